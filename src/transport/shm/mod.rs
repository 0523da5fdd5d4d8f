//! Shared-memory transport: per-pair SPSC rings in the receiver's segment, a futex doorbell
//! per rank, and single-copy reads of large messages with `process_vm_readv`.
//!
//! Each rank owns one segment, `/dev/shm/ftmpi-<job>-<rank>-<incarnation>`, holding one
//! inbound ring per sender (itself included, so self-sends take the same path). A sender
//! opens a peer's segment on first use and writes frames into its own ring there.
//!
//! A peer on another host (or every peer, with `FTMPI_TRANSPORT=tcp`) is reached through the
//! TCP ring bridge ([`crate::transport::tcp`]): its ring here is fed by a reader thread, and
//! frames to it go into a private outbox that a writer thread sends. Everything above
//! `try_send` and `poll_frame` is the same for both; [`ShmTransport::can_cma`] tells the
//! runtime when single-copy reads are impossible.

pub mod cma;
pub mod coop;
pub mod doorbell;
pub mod ring;
pub mod segment;

use std::io::{self, IoSliceMut};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::auth::JobKey;
use crate::transport::tcp::endpoint::Endpoint;
use crate::transport::tcp::{Bridge, Outbound};

use crate::transport::userbuf::UserBuf;
use crate::transport::wire::{COMPACT_HEADER_LEN, HEADER_LEN, Header, WireError, compact_eager_words};
use ring::{Ring, TxState, padded};
use segment::{COOP_SLOTS, CoopSlot, Segment};

/// What follows a header in a frame.
pub enum Payload<'a> {
    None,
    Bytes(&'a [u8]),
    /// Packed bytes of a user buffer starting at this packed offset (length in the header).
    User(&'a UserBuf, usize),
}

/// A validated frame at the front of a ring, not yet consumed.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    pub src: u32,
    pub header: Header,
    pos: u64,
    frame_len: u64,
}

/// Jobs of up to this many ranks map a ring whole when it is first used: at most
/// `POPULATE_MAX_RANKS - 1` rings of 128 KiB per rank, for no page faults during the first
/// pass of small messages (a third of the first latency measured after start-up at 2 ranks).
/// Larger jobs keep allocating shared memory page by page as rings fill.
const POPULATE_MAX_RANKS: usize = 4;

/// What [`ShmTransport::take_eager_from`] found.
pub enum EagerLook {
    /// The message, this many bytes of it, taken.
    Took(usize),
    /// Nothing published yet.
    Empty,
    /// Some other frame (or a ring no longer read): left in place.
    Other,
}

/// A frame that failed validation; its sender's ring is no longer read.
#[derive(Debug)]
pub struct BadFrame {
    pub src: u32,
    pub error: WireError,
}

struct Peer {
    /// The peer's segment, or for a TCP peer the outbox towards it (one ring).
    seg: Arc<Segment>,
    tx: TxState,
    out: Option<Outbound>,
}

/// Who this rank is on the network, for [`ShmTransport::listen`].
pub struct TcpSetup {
    pub me: u32,
    pub incarnation: u32,
    /// Host index: peers with another one are reached through TCP.
    pub host: u32,
    /// `FTMPI_TRANSPORT=tcp`: every other rank through TCP.
    pub force_tcp: bool,
    pub bind: IpAddr,
    pub key: Option<JobKey>,
    /// Serve from the start (a job across hosts).
    pub keep: bool,
}

/// The shared-memory endpoints of one rank.
pub struct ShmTransport {
    own: Arc<Segment>,
    own_name: String,
    /// This rank: the index of its ring in every peer's segment.
    own_ring: usize,
    /// Whether rings are mapped whole when first used (small jobs, see `POPULATE_MAX_RANKS`).
    populate: bool,
    rx_tail: Vec<u64>,
    /// Senders whose ring held a malformed frame: no longer read.
    poisoned: Vec<bool>,
    peers: Vec<Option<Peer>>,
    peer_names: Vec<String>,
    peer_pids: Vec<i32>,
    next_poll: usize,
    /// Copy slots of the own segment not in use.
    coop_free: Vec<usize>,
    coop_gen: u64,
    /// Peers reached through TCP.
    remote: Vec<bool>,
    peer_tcp: Vec<Option<SocketAddr>>,
    me: u32,
    host: u32,
    incarnation: u32,
    force_tcp: bool,
    tcp: Option<Bridge>,
}

impl ShmTransport {
    /// Creates this rank's segment with one ring of `ring_cap` bytes per rank of the job.
    pub fn create(name: String, size: usize, ring_cap: usize) -> io::Result<ShmTransport> {
        // A stale segment of a crashed job with the same name would make O_EXCL fail.
        Segment::unlink(&name);
        let own = Arc::new(Segment::create(&name, size, ring_cap)?);
        Ok(ShmTransport {
            own,
            own_name: name,
            own_ring: usize::MAX,
            populate: size <= POPULATE_MAX_RANKS,
            rx_tail: vec![0; size],
            poisoned: vec![false; size],
            peers: (0..size).map(|_| None).collect(),
            peer_names: vec![String::new(); size],
            peer_pids: vec![0; size],
            next_poll: 0,
            coop_free: (0..COOP_SLOTS).rev().collect(),
            coop_gen: 0,
            remote: vec![false; size],
            peer_tcp: vec![None; size],
            me: 0,
            host: 0,
            incarnation: 0,
            force_tcp: false,
            tcp: None,
        })
    }

    /// Makes this rank reachable over TCP: binds a listener on `t.bind` (any port), whose
    /// address goes into the endpoint blob. Connections are accepted only once some peer
    /// needs them (see `set_peers`), or at once when `t.keep` (the launcher chose an address).
    pub fn listen(&mut self, t: TcpSetup) -> io::Result<()> {
        self.me = t.me;
        self.incarnation = t.incarnation;
        self.host = t.host;
        self.force_tcp = t.force_tcp;
        let mut b = Bridge::new(t.me, t.incarnation, self.own.clone(), t.bind, t.key)?;
        if t.keep || t.force_tcp {
            b.serve()?;
        }
        self.tcp = Some(b);
        Ok(())
    }

    /// The endpoint blob published at the fence (see `tcp::endpoint`).
    pub fn endpoint(&self) -> Vec<u8> {
        let tcp = self.tcp.as_ref().and_then(|b| b.addr());
        Endpoint { host: self.host, incarnation: self.incarnation, shm: self.own_name.clone(), tcp }.encode()
    }

    /// Takes in a peer's endpoint blob (untrusted input) and decides how it is reached.
    fn install(&mut self, r: usize, pid: u32, blob: &[u8]) -> io::Result<()> {
        let e = Endpoint::decode(blob).map_err(|e| io::Error::other(format!("endpoint of rank {r}: {e}")))?;
        let remote = r as u32 != self.me && self.tcp.is_some() && (self.force_tcp || e.host != self.host);
        if remote && e.tcp.is_none() {
            return Err(io::Error::other(format!("rank {r} is on host {} (this rank on host {}) but has no TCP listener", e.host, self.host)));
        }
        if let Some(b) = self.tcp.as_mut() {
            b.expect(r as u32, e.incarnation);
            if remote {
                b.serve()?;
            }
        }
        self.peer_names[r] = e.shm;
        self.peer_pids[r] = pid as i32;
        self.remote[r] = remote;
        self.peer_tcp[r] = e.tcp;
        Ok(())
    }

    /// True when some peer is reached through TCP.
    pub fn uses_tcp(&self) -> bool {
        self.remote.iter().any(|&r| r)
    }

    /// False for a peer whose memory `process_vm_readv` cannot reach (another host, or TCP
    /// forced): large messages to and from it are streamed.
    pub fn can_cma(&self, peer: u32) -> bool {
        !self.remote.get(peer as usize).copied().unwrap_or(true)
    }

    /// Reads what TCP peers sent into their rings on this thread (each round of progress): true when
    /// frames arrived.
    pub fn poll_sockets(&mut self) -> bool {
        self.tcp.as_mut().is_some_and(|b| b.poll_inbound())
    }

    /// See [`Bridge::drain_step`]: false when `src` is not a TCP peer.
    pub fn drain_tcp_step(&mut self, src: u32, deadline: std::time::Instant) -> bool {
        self.tcp.as_mut().is_some_and(|b| b.drain_step(src, deadline))
    }

    /// True when a TCP connection broke since the last `take_lost`.
    pub fn tcp_news(&self) -> bool {
        self.tcp.as_ref().is_some_and(|b| b.has_news())
    }

    /// The peers whose TCP connection broke (to be suspected).
    pub fn take_lost(&mut self) -> Vec<u32> {
        self.tcp.as_ref().map(|b| b.take_lost()).unwrap_or_default()
    }

    /// Sends what is queued for TCP peers and says goodbye, so they do not take the
    /// closing connections for failures (`MPI_Finalize`). Waits at most `timeout`.
    pub fn close_tcp(&mut self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        if let Some(b) = &self.tcp {
            b.goodbye_unsent();
        }
        let outs: Vec<&Outbound> = self.peers.iter().flatten().filter_map(|p| p.out.as_ref()).collect();
        for o in &outs {
            o.close();
        }
        for o in &outs {
            o.wait_closed(deadline);
        }
    }

    /// Removes this rank's segment name (peers that mapped it keep their mapping).
    pub fn unlink_own(&self) {
        Segment::unlink(&self.own_name);
    }

    /// Records the peers' pids and segment names from the fence. Names are untrusted input.
    pub fn set_peers(&mut self, table: &[(u32, Vec<u8>)]) -> io::Result<()> {
        if table.len() != self.peers.len() {
            return Err(io::Error::other(format!("endpoint table has {} entries, job has {}", table.len(), self.peers.len())));
        }
        for (r, (pid, blob)) in table.iter().enumerate() {
            self.install(r, *pid, blob)?;
            if self.peer_names[r] == self.own_name {
                self.own_ring = r;
            }
        }
        Ok(())
    }

    pub fn pid(&self, rank: u32) -> i32 {
        self.peer_pids[rank as usize]
    }

    /// The largest payload one frame may carry.
    pub fn max_payload(&self) -> usize {
        self.own.ring_cap() / 4
    }

    /// Maps a peer's segment now rather than on first send.
    pub fn open_peer(&mut self, dest: u32) -> io::Result<()> {
        self.peer(dest).map(|_| ())
    }

    #[inline]
    fn peer(&mut self, dest: u32) -> io::Result<&mut Peer> {
        let d = dest as usize;
        if self.peers[d].is_none() {
            self.open_segment(dest)?;
        }
        Ok(self.peers[d].as_mut().expect("opened above"))
    }

    /// Opens the way to `dest` on first use: its segment on this host, or a TCP connection
    /// and a private outbox for a peer elsewhere.
    #[cold]
    fn open_segment(&mut self, dest: u32) -> io::Result<()> {
        let d = dest as usize;
        if self.remote[d] {
            let (Some(b), Some(addr)) = (self.tcp.as_ref(), self.peer_tcp[d]) else {
                return Err(io::Error::other(format!("rank {dest} has no TCP address")));
            };
            let outbox = Arc::new(Segment::private(1, self.own.ring_cap().max(crate::transport::tcp::OUTBOX_MIN_BYTES))?);
            let out = b.connect(dest, addr, outbox.clone())?;
            self.peers[d] = Some(Peer { seg: outbox, tx: TxState::default(), out: Some(out) });
        } else {
            let seg = Segment::open(&self.peer_names[d])?;
            if seg.nrings() != self.rx_tail.len() || seg.ring_cap() != self.own.ring_cap() {
                return Err(io::Error::other(format!("segment of rank {dest} does not match this job")));
            }
            if self.populate {
                seg.populate_ring(self.own_ring);
            }
            self.peers[d] = Some(Peer { seg: Arc::new(seg), tx: TxState::default(), out: None });
        }
        Ok(())
    }

    /// The first frame from `src` is at hand: its ring's pages, which its sender already
    /// populated, are mapped here too (see [`Segment::populate_ring`]).
    #[cold]
    fn first_frame_from(&self, src: usize) {
        if self.populate {
            self.own.populate_ring(src);
        }
    }

    /// Writes one frame into `dest`'s ring. Returns `Ok(false)` when the ring has no room.
    pub fn try_send(&mut self, me: u32, dest: u32, hdr: &Header, payload: Payload<'_>) -> io::Result<bool> {
        let len = hdr.len as usize;
        debug_assert!(len <= self.max_payload());
        let hlen = hdr.wire_len();
        let frame_len = padded(hlen + len);
        let peer = self.peer(dest)?;
        let ring_index = match &peer.out {
            None => me as usize,
            Some(o) if o.broken() => return Err(io::Error::other(format!("the connection to rank {dest} is lost"))),
            Some(o) => {
                let (ctl, data) = peer.seg.ring(0);
                let outbox = Ring { ctl, data, cap: peer.seg.ring_cap() };
                let drained = outbox.ctl.tail.load(std::sync::atomic::Ordering::Acquire) == peer.tx.head;
                let sent = o.try_direct(drained, frame_len, |buf| {
                    buf[8..hlen].copy_from_slice(&hdr.encode()[8..hlen]);
                    let mut at = hlen;
                    match payload {
                        Payload::None => {}
                        Payload::Bytes(b) => buf[at..at + len].copy_from_slice(&b[..len]),
                        Payload::User(ub, offset) => ub.read(offset, len, &mut |s| {
                            buf[at..at + s.len()].copy_from_slice(s);
                            at += s.len();
                        }),
                    }
                });
                if sent {
                    return Ok(true);
                }
                0
            }
        };
        let (ctl, data) = peer.seg.ring(ring_index);
        let ring = Ring { ctl, data, cap: peer.seg.ring_cap() };
        if ring.free(&mut peer.tx, frame_len) < frame_len {
            return Ok(false);
        }
        let head = peer.tx.head;
        // The stamp (bytes 0..8) is written last, by `publish`.
        ring.write_header(head, &hdr.encode(), hlen);
        let mut at = head + hlen as u64;
        match payload {
            Payload::None => {}
            Payload::Bytes(b) => ring.write_at(at, &b[..len]),
            Payload::User(ub, offset) => ub.read(offset, len, &mut |s| {
                ring.write_at(at, s);
                at += s.len() as u64;
            }),
        }
        peer.tx.head = head + frame_len as u64;
        ring.publish(head);
        doorbell::ring(peer.seg.doorbell(), peer.seg.sleeping());
        Ok(true)
    }

    /// [`ShmTransport::try_send`] for a plain eager message (the compact header): its three
    /// words are stored directly, the same bytes `Header::encode` gives.
    #[inline]
    pub fn try_send_eager(&mut self, me: u32, dest: u32, context: u32, tag: i32, bytes: &[u8]) -> io::Result<bool> {
        let len = bytes.len();
        debug_assert!(len <= self.max_payload());
        if self.remote[dest as usize] {
            // The outbox of a TCP peer has its own rules (one ring, direct writes).
            let h = Header { src: me, context, tag, len: len as u64, msg_len: len as u64, ..Header::new(crate::transport::wire::Kind::Eager) };
            return self.try_send(me, dest, &h, Payload::Bytes(bytes));
        }
        let frame_len = padded(COMPACT_HEADER_LEN + len);
        let peer = self.peer(dest)?;
        let (ctl, data) = peer.seg.ring(me as usize);
        let ring = Ring { ctl, data, cap: peer.seg.ring_cap() };
        if ring.free(&mut peer.tx, frame_len) < frame_len {
            return Ok(false);
        }
        let head = peer.tx.head;
        let (w1, w2) = compact_eager_words(me, context, tag);
        ring.write_head_words(head, w1, w2, len as u32);
        if len > 0 {
            ring.write_at(head + COMPACT_HEADER_LEN as u64, bytes);
        }
        peer.tx.head = head + frame_len as u64;
        ring.publish(head);
        doorbell::ring(peer.seg.doorbell(), peer.seg.sleeping());
        Ok(true)
    }

    #[inline]
    fn own_ring(&self, src: usize) -> Ring<'_> {
        let (ctl, data) = self.own.ring(src);
        Ring { ctl, data, cap: self.own.ring_cap() }
    }

    /// The next frame from any sender, round-robin, validated.
    pub fn poll_frame(&mut self) -> Option<Result<Frame, BadFrame>> {
        self.poll_frame_skipping(usize::MAX)
    }

    /// [`ShmTransport::poll_frame`] leaving the ring of sender `skip` alone (its reader
    /// looks at it itself).
    pub fn poll_frame_skipping(&mut self, skip: usize) -> Option<Result<Frame, BadFrame>> {
        let n = self.rx_tail.len();
        for k in 0..n {
            let src = (self.next_poll + k) % n;
            let tail = self.rx_tail[src];
            if src == skip || self.poisoned[src] || !self.own_ring(src).ready(tail) {
                continue;
            }
            self.next_poll = (src + 1) % n;
            return Some(self.frame_at(src, tail));
        }
        None
    }

    /// Decodes the published frame at `tail` in `src`'s ring.
    fn frame_at(&mut self, src: usize, tail: u64) -> Result<Frame, BadFrame> {
        if tail == 0 {
            self.first_frame_from(src);
        }
        let ring = self.own_ring(src);
        // A frame starts on a line and the ring is whole lines, so its header never wraps:
        // it is decoded in place.
        let (a, b) = ring.slices(tail, HEADER_LEN);
        let max = self.max_payload() as u64;
        let decoded = match <&[u8; HEADER_LEN]>::try_from(a) {
            Ok(line) => Header::decode(line, src as u32, max),
            Err(_) => {
                let mut raw = [0u8; HEADER_LEN];
                raw[..a.len()].copy_from_slice(a);
                raw[a.len()..].copy_from_slice(b);
                Header::decode(&raw, src as u32, max)
            }
        };
        match decoded {
            Ok(header) => {
                let frame_len = padded(header.wire_len() + header.len as usize) as u64;
                Ok(Frame { src: src as u32, header, pos: tail, frame_len })
            }
            Err(error) => {
                // Nothing after a bad frame can be trusted to be where it claims: stop
                // reading this sender's ring.
                self.poisoned[src] = true;
                Err(BadFrame { src: src as u32, error })
            }
        }
    }

    /// The next frame from `src` only, validated (draining a dead sender's ring, or
    /// waiting for one sender's message).
    pub fn poll_frame_from(&mut self, src: u32) -> Option<Result<Frame, BadFrame>> {
        let s = src as usize;
        if s >= self.rx_tail.len() || self.poisoned[s] {
            return None;
        }
        let tail = self.rx_tail[s];
        if !self.own_ring(s).ready(tail) {
            return None;
        }
        Some(self.frame_at(s, tail))
    }

    /// Takes the frame at the front of `src`'s ring if it is the plain eager message whose
    /// header words are `words` (see [`crate::transport::wire::compact_eager_words`]) with
    /// at most `cap` bytes: its payload goes to `put` and the frame is consumed. Anything
    /// else is left for [`ShmTransport::poll_frame_from`] and its full validation.
    #[inline]
    pub fn take_eager_from(&mut self, src: u32, words: (u64, u64), cap: usize, put: &mut dyn FnMut(&[u8], &[u8])) -> EagerLook {
        let s = src as usize;
        if s >= self.rx_tail.len() || self.poisoned[s] {
            return EagerLook::Other;
        }
        let tail = self.rx_tail[s];
        let max = self.max_payload();
        let ring = self.own_ring(s);
        if !ring.ready(tail) {
            return EagerLook::Empty;
        }
        if tail == 0 {
            self.first_frame_from(s);
        }
        let (w1, w2, len) = ring.head_words(tail);
        let len = len as usize;
        if (w1, w2) != words || len > max || len > cap {
            return EagerLook::Other;
        }
        let (a, b) = ring.slices(tail + COMPACT_HEADER_LEN as u64, len);
        put(a, b);
        let frame_len = padded(COMPACT_HEADER_LEN + len) as u64;
        ring.release(tail, frame_len);
        self.rx_tail[s] = tail + frame_len;
        EagerLook::Took(len)
    }

    /// Watches `src`'s ring for its next frame, at most `looks` times: true once one is
    /// published, false if none came (or the ring is no longer read).
    #[inline]
    pub fn wait_published(&self, src: u32, looks: u32) -> bool {
        let s = src as usize;
        if s >= self.rx_tail.len() || self.poisoned[s] {
            return false;
        }
        let ring = self.own_ring(s);
        let tail = self.rx_tail[s];
        (0..looks).any(|_| ring.ready(tail))
    }

    /// `src` died: its ring starts over empty for whoever takes its place, and its segment
    /// is no longer written to.
    pub fn forget_peer(&mut self, src: u32) {
        let s = src as usize;
        if s >= self.rx_tail.len() {
            return;
        }
        // A TCP peer's reader must stop writing into the ring before it is emptied.
        match &self.tcp {
            Some(b) => b.forget(src, || self.own_ring(s).reset()),
            None => self.own_ring(s).reset(),
        }
        self.rx_tail[s] = 0;
        self.poisoned[s] = false;
        self.peers[s] = None;
    }

    /// A respawned process took `rank`'s place: its pid and segment (untrusted input).
    pub fn replace_peer(&mut self, rank: u32, pid: u32, endpoint: &[u8]) -> io::Result<()> {
        let r = rank as usize;
        if r >= self.peers.len() {
            return Err(io::Error::other(format!("no rank {rank} in this job")));
        }
        self.peers[r] = None;
        self.install(r, pid, endpoint)
    }

    /// The payload of a frame returned by `poll_frame`, as at most two slices.
    pub fn payload(&self, f: &Frame) -> (&[u8], &[u8]) {
        self.own_ring(f.src as usize).slices(f.pos + f.header.wire_len() as u64, f.header.len as usize)
    }

    /// Copies a frame's payload into a user buffer at a packed offset.
    pub fn payload_to_user(&self, f: &Frame, ub: &UserBuf, offset: usize) {
        let (a, b) = self.payload(f);
        ub.write(offset, a);
        ub.write(offset + a.len(), b);
    }

    /// Hands a frame's bytes back to its sender.
    pub fn consume(&mut self, f: &Frame) {
        let s = f.src as usize;
        debug_assert_eq!(self.rx_tail[s], f.pos);
        self.own_ring(s).release(f.pos, f.frame_len);
        self.rx_tail[s] = f.pos + f.frame_len;
    }

    /// True when some inbound ring holds unread bytes.
    pub fn has_input(&self) -> bool {
        (0..self.rx_tail.len()).any(|s| !self.poisoned[s] && self.own_ring(s).ready(self.rx_tail[s])) || self.tcp_news()
    }

    /// Sleeps on the doorbell until a frame arrives, the doorbell is rung, or `timeout`.
    pub fn sleep(&self, timeout: Duration) {
        doorbell::sleep(self.own.doorbell(), self.own.sleeping(), timeout, || self.has_input());
    }

    /// As `sleep`, but also stays awake when `other_work` says so (checked after announcing
    /// the sleep, so a wake-up rung in between is not lost).
    pub fn sleep_unless(&self, timeout: Duration, other_work: impl FnOnce() -> bool) {
        if let Some(b) = &self.tcp {
            b.stop_polling();
        }
        doorbell::sleep(self.own.doorbell(), self.own.sleeping(), timeout, || other_work() || self.has_input());
    }

    /// Wakes this rank from another thread of the same process (control events).
    pub fn wake_handle(&self) -> WakeHandle {
        WakeHandle { name: self.own_name.clone() }
    }

    /// Takes a free copy slot of this rank's segment for a new message: (slot, generation).
    pub fn coop_start(&mut self) -> Option<(usize, u64)> {
        let slot = self.coop_free.pop()?;
        self.coop_gen = (self.coop_gen + 1) & coop::GEN_MASK;
        coop::open(self.own.coop_slot(slot), self.coop_gen);
        Some((slot, self.coop_gen))
    }

    /// Gives a copy slot back once no one can write through it any more.
    pub fn coop_end(&mut self, slot: usize) {
        debug_assert!(!self.coop_free.contains(&slot));
        self.coop_free.push(slot);
    }

    /// A copy slot of this rank's segment.
    pub fn own_coop(&self, slot: usize) -> &CoopSlot {
        self.own.coop_slot(slot)
    }

    /// A copy slot of `dest`'s segment (`slot` comes from `dest` and is checked).
    pub fn peer_coop(&mut self, dest: u32, slot: usize) -> io::Result<&CoopSlot> {
        if slot >= COOP_SLOTS {
            return Err(io::Error::other(format!("rank {dest} named copy slot {slot} of {COOP_SLOTS}")));
        }
        Ok(self.peer(dest)?.seg.coop_slot(slot))
    }

    /// Writes the bytes `source` hands out, in order, into `dest`'s memory from `addr` on.
    pub fn cma_write(&self, dest: u32, addr: u64, source: impl FnOnce(&mut dyn FnMut(&[u8]))) -> io::Result<()> {
        let pid = self.peer_pids[dest as usize];
        let mut at = addr;
        let mut res = Ok(());
        source(&mut |s| {
            if res.is_ok() {
                res = cma::write(pid, at, s);
                at += s.len() as u64;
            }
        });
        res
    }

    /// Reads `len` packed bytes of `src`'s memory at `addr` into `ub` at packed `offset`.
    pub fn cma_read(&self, src: u32, addr: u64, ub: &UserBuf, offset: usize, len: usize) -> io::Result<()> {
        let pid = self.peer_pids[src as usize];
        let n = ub.with_io_slices_mut(offset, len, |slices: &mut [IoSliceMut<'_>]| cma::read(pid, addr, slices))?;
        if n != len {
            return Err(io::Error::other(format!("read {n} of {len} bytes from rank {src}")));
        }
        Ok(())
    }
}

/// Rings a rank's own doorbell from another thread: opens its own segment by name.
pub struct WakeHandle {
    name: String,
}

impl WakeHandle {
    pub fn open(&self) -> io::Result<Waker> {
        Ok(Waker { seg: Segment::open(&self.name)? })
    }
}

/// An open doorbell to ring.
pub struct Waker {
    seg: Segment,
}

impl Waker {
    pub fn wake(&self) {
        doorbell::ring_always(self.seg.doorbell());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::wire::Kind;

    fn pair(tag: &str) -> (ShmTransport, ShmTransport) {
        let job = format!("ftmpi-unit-{tag}-{}", std::process::id());
        let mut a = ShmTransport::create(format!("{job}-0"), 2, 16 * 1024).unwrap();
        let mut b = ShmTransport::create(format!("{job}-1"), 2, 16 * 1024).unwrap();
        let table = vec![(std::process::id(), a.endpoint()), (std::process::id(), b.endpoint())];
        a.set_peers(&table).unwrap();
        b.set_peers(&table).unwrap();
        a.open_peer(1).unwrap();
        b.open_peer(0).unwrap();
        a.unlink_own();
        b.unlink_own();
        (a, b)
    }

    fn eager(src: u32, tag: i32, len: usize) -> Header {
        Header { src, tag, len: len as u64, msg_len: len as u64, ..Header::new(Kind::Eager) }
    }

    #[test]
    fn frames_arrive_in_order_across_the_wrap_and_the_ring_fills() {
        let (mut a, mut b) = pair("order");
        let payload: Vec<u8> = (0..3000u32).map(|i| i as u8).collect();
        let mut next_tag = 0;
        let mut got = 0;
        // Push far more than the ring holds, draining as we go.
        while got < 100 {
            while next_tag < 100 && a.try_send(0, 1, &eager(0, next_tag, payload.len()), Payload::Bytes(&payload)).unwrap() {
                next_tag += 1;
            }
            assert!(next_tag - got <= 5, "a 16 KiB ring cannot hold more than five 3 KiB frames");
            let f = b.poll_frame().expect("a frame is waiting").expect("valid");
            assert_eq!(f.header.tag, got);
            let (x, y) = b.payload(&f);
            assert_eq!([x, y].concat(), payload);
            b.consume(&f);
            got += 1;
        }
        assert!(b.poll_frame().is_none());
    }

    #[test]
    fn plain_eager_frames_written_directly_decode_as_encoded_ones() {
        let (mut a, mut b) = pair("direct");
        let payload: Vec<u8> = (0..40u8).collect();
        assert!(a.try_send_eager(0, 1, 9, 5, &payload).unwrap());
        assert!(a.try_send(0, 1, &Header { context: 9, ..eager(0, 5, payload.len()) }, Payload::Bytes(&payload)).unwrap());
        let f1 = b.poll_frame().expect("a frame").expect("valid");
        let (x, y) = b.payload(&f1);
        assert_eq!([x, y].concat(), payload);
        b.consume(&f1);
        let f2 = b.poll_frame().expect("a frame").expect("valid");
        assert_eq!(f1.header, f2.header);
        b.consume(&f2);
        // And the receiver's two-word check takes it.
        assert!(a.try_send_eager(0, 1, 9, 5, &payload[..3]).unwrap());
        let mut got = Vec::new();
        let words = compact_eager_words(0, 9, 5);
        match b.take_eager_from(0, words, 100, &mut |x: &[u8], y: &[u8]| got = [x, y].concat()) {
            EagerLook::Took(3) => {}
            _ => panic!("the plain eager message was not taken"),
        }
        assert_eq!(got, &payload[..3]);
        assert!(matches!(b.take_eager_from(0, words, 100, &mut |_: &[u8], _: &[u8]| {}), EagerLook::Empty));
    }

    #[test]
    fn a_frame_lying_about_its_sender_is_rejected() {
        let (mut a, mut b) = pair("liar");
        assert!(a.try_send(0, 1, &eager(7, 1, 0), Payload::None).unwrap());
        match b.poll_frame() {
            Some(Err(BadFrame { src: 0, error: WireError::WrongSource { claimed: 7, expected: 0 } })) => {}
            other => panic!("expected a rejection, got {other:?}"),
        }
        // Nothing more is read from that sender.
        assert!(a.try_send(0, 1, &eager(0, 2, 4), Payload::Bytes(b"abcd")).unwrap());
        assert!(b.poll_frame().is_none());
        assert!(!b.has_input());
    }

    /// Two ranks of one process joined by the TCP bridge (`FTMPI_TRANSPORT=tcp`).
    fn tcp_pair(tag: &str) -> (ShmTransport, ShmTransport) {
        let job = format!("ftmpi-unit-{tag}-{}", std::process::id());
        let key = JobKey::from_hex(&"5a".repeat(32)).unwrap();
        let mut a = ShmTransport::create(format!("{job}-0"), 2, 16 * 1024).unwrap();
        let mut b = ShmTransport::create(format!("{job}-1"), 2, 16 * 1024).unwrap();
        for (t, me) in [(&mut a, 0), (&mut b, 1)] {
            let setup = TcpSetup { me, incarnation: 0, host: 0, force_tcp: true, bind: "127.0.0.1".parse().unwrap(), key: Some(key.clone()), keep: false };
            t.listen(setup).unwrap();
        }
        let table = vec![(std::process::id(), a.endpoint()), (std::process::id(), b.endpoint())];
        a.set_peers(&table).unwrap();
        b.set_peers(&table).unwrap();
        a.unlink_own();
        b.unlink_own();
        (a, b)
    }

    /// Sends `n` frames of `len` bytes from `x` (rank `from`) to `y`, reading as they come.
    fn stream(x: &mut ShmTransport, y: &mut ShmTransport, from: u32, n: i32, len: usize) {
        let to = 1 - from;
        let payload: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
        let (mut sent, mut got) = (0, 0);
        while got < n {
            while sent < n && x.try_send(from, to, &eager(from, sent, len), Payload::Bytes(&payload)).unwrap() {
                sent += 1;
            }
            match y.poll_frame() {
                Some(f) => {
                    let f = f.expect("valid");
                    assert_eq!((f.src, f.header.tag), (from, got));
                    let (p, q) = y.payload(&f);
                    assert_eq!([p, q].concat(), payload);
                    y.consume(&f);
                    got += 1;
                }
                None => std::thread::yield_now(),
            }
        }
    }

    #[test]
    fn forced_tcp_carries_frames_both_ways_and_a_dropped_peer_is_lost() {
        let (mut a, mut b) = tcp_pair("tcp");
        assert!(!a.can_cma(1) && a.can_cma(0) && a.uses_tcp());
        stream(&mut a, &mut b, 0, 200, 3000);
        stream(&mut b, &mut a, 1, 200, 1000);
        stream(&mut a, &mut b, 0, 50, 4096);
        assert!(!a.tcp_news() && !b.tcp_news());
        // Rank 1 vanishes without a goodbye: rank 0 hears of it.
        drop(b);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !a.tcp_news() && Instant::now() < deadline {
            std::thread::yield_now();
        }
        assert_eq!(a.take_lost(), vec![1]);
        a.forget_peer(1);
        assert!(!a.has_input());
    }

    #[test]
    fn endpoint_names_from_the_launcher_are_checked() {
        let (mut a, _b) = pair("names");
        let bad = vec![(1, b"../../etc/passwd".to_vec()), (2, b"ftmpi-x".to_vec())];
        assert!(a.set_peers(&bad).is_err());
        assert!(a.set_peers(&[(1, b"ftmpi-x".to_vec())]).is_err());
    }
}
