//! Point-to-point protocol: eager and rendezvous sends, receives, and what each arriving
//! frame means.
//!
//! The protocol is chosen in one place, [`Runtime::start_send`]: a message up to the eager
//! limit goes whole through the ring (synchronous mode asks for an ACK when it is matched);
//! a larger one sends an RTS naming where its packed bytes are, and the receiver either reads
//! them with one `process_vm_readv` and answers FIN, or, where that is not permitted or when
//! large messages also go the other way ([`Runtime::sending_large_to`]), answers CTS and the
//! sender streams DATA frames through the ring.

use crate::abi::consts as c;
use crate::core::error::{MpiError, Result};
use crate::core::matching::{Envelope, Pattern};
use crate::transport::shm::{EagerLook, Frame, Payload};
use crate::transport::wire::{FLAG_STREAM, FLAG_SYNC, Header, Kind, compact_eager_words};

use super::requests::{Body, Buf, RecvStage, RecvState, Request, SendMode, SendStage, SendState, Status};
use super::{BsendBuffer, OnSent, Pending, Runtime, Unexpected};

/// A rendezvous receive into runs shorter than this on average reads the packed bytes into
/// one scratch buffer and unpacks them in user space: per iovec, the kernel costs more than
/// the extra copy (a matrix column, 8-byte runs, arrives twice as fast; 4 KiB runs are
/// better read straight into place).
const SCATTER_MIN_RUN: usize = 2048;

/// DATA frames of a send from many short runs carry this much: the sender packs the next
/// piece while the receiver unpacks the last, so the two strided passes overlap instead of
/// adding up (a matrix column streamed in 8 KiB pieces arrives in about half the time).
const PACKED_CHUNK: usize = 8 * 1024;

/// Looks at the sender's ring between two rounds of progress while a blocking receive
/// without a request waits (progress costs some hundred instructions, a look a handful).
const QUICK_LOOKS: u32 = 16;

/// What the front of a sender's ring held for a blocking receive without a request.
enum RingLook {
    /// The receive is over: its length, or `None` for the general path to take over.
    Done(Option<usize>),
    /// Another frame went to the protocol (it may have set messages aside).
    Handled,
    /// Nothing is published there yet.
    Empty,
}

/// Which half of a communicator's contexts an operation uses, and so which group its ranks
/// name. On an intercommunicator, `P2p` ranks are remote ranks (MPI-1.2 section 5.6) while
/// `Coll` stays inside the local group, so the collective code runs unchanged on either kind;
/// `CollRemote` is the library's own traffic to the remote group (the two leaders agreeing on
/// a context id). Local and remote members are different processes and library receives
/// always name their source, so `Coll` and `CollRemote` share the collective context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Half {
    P2p,
    Coll,
    CollRemote,
}

impl Runtime {
    fn context(&self, comm: u32, half: Half) -> Result<u32> {
        let cm = self.comm(comm)?;
        Ok(match half {
            Half::P2p => cm.p2p_ctx(),
            Half::Coll | Half::CollRemote => cm.coll_ctx(),
        })
    }

    /// Creates a send request (not started). `dest` is a communicator rank or MPI_PROC_NULL.
    pub fn new_send(&mut self, comm: u32, dest: i32, tag: i32, buf: Buf, mode: SendMode, half: Half) -> Result<u32> {
        if dest == c::MPI_PROC_NULL {
            let mut r = Request::new(Body::Null, comm);
            r.status = Status::proc_null();
            return Ok(self.reqs.insert(r));
        }
        if self.ft.world.any {
            self.ft_gate(comm, Some(dest as u32), half, false)?;
        }
        let cm = self.comm(comm)?;
        let world = cm.group_for(half).world(dest as u32);
        let context = self.context(comm, half)?;
        let s = SendState { dest: world, context, tag, mode, buf, stage: SendStage::Idle, bsend_bytes: 0 };
        Ok(self.reqs.insert(Request::new(Body::Send(s), comm)))
    }

    /// The fast path of a blocking standard-mode send: a small message to a rank whose ring
    /// has room and nothing queued goes out at once, without a request. Returns `false` when
    /// the general path must be taken.
    pub fn try_send_now(&mut self, comm: u32, dest: i32, tag: i32, ub: &crate::transport::userbuf::UserBuf) -> Result<bool> {
        self.try_send_now_on(comm, dest, tag, ub.len(), Payload::User(ub, 0), Half::P2p)
    }

    /// The lean path of `MPI_Send` for `bytes` already checked by the caller (count, tag,
    /// a dense predefined datatype): `false` sends the caller down the general path, which
    /// checks everything again and reports what is wrong.
    #[inline]
    pub fn send_bytes_now(&mut self, comm: u32, dest: i32, tag: i32, bytes: &[u8]) -> Result<bool> {
        let Some(cm) = self.comms.get(comm) else { return Ok(false) };
        // `dest >= 0` was checked; the general path checks it against both sizes.
        if dest as u32 >= cm.size().min(cm.peer_size()) {
            return Ok(false);
        }
        self.try_send_now_on(comm, dest, tag, bytes.len(), Payload::Bytes(bytes), Half::P2p)
    }

    /// The lean path of `MPI_Recv` into `out` from a named rank with a named tag, both
    /// checked by the caller but the rank's range: as [`Runtime::try_recv_now_user`].
    #[inline]
    pub fn recv_bytes_now(&mut self, comm: u32, src: i32, tag: i32, out: &mut [u8]) -> Result<Option<usize>> {
        let Some(cm) = self.comms.get(comm) else { return Ok(None) };
        if src as u32 >= cm.peer_size() {
            return Ok(None);
        }
        let cap = out.len();
        let mut put = |a: &[u8], b: &[u8]| {
            out[..a.len()].copy_from_slice(a);
            if !b.is_empty() {
                out[a.len()..a.len() + b.len()].copy_from_slice(b);
            }
        };
        self.try_recv_now_capped(comm, src, tag, Half::P2p, cap, &mut put)
    }

    /// [`Runtime::try_send_now`] for `len` bytes from `payload` on either half (collectives
    /// send their short messages this way, without a request). After a failure every send
    /// takes the general path, which checks the communicator's state.
    pub fn try_send_now_on(&mut self, comm: u32, dest: i32, tag: i32, len: usize, payload: Payload<'_>, half: Half) -> Result<bool> {
        if len > self.config.eager_limit || dest < 0 || self.ft.world.any {
            return Ok(false);
        }
        let cm = self.comm(comm)?;
        let world = cm.group_for(half).world(dest as u32);
        if !self.pending[world as usize].is_empty() {
            return Ok(false);
        }
        let context = match half {
            Half::P2p => cm.p2p_ctx(),
            Half::Coll | Half::CollRemote => cm.coll_ctx(),
        };
        if let Payload::Bytes(bytes) = payload {
            let me = self.info.rank;
            return Ok(self.shm.try_send_eager(me, world, context, tag, &bytes[..len]).unwrap_or(false));
        }
        let h = Header {
            src: self.info.rank,
            context,
            tag,
            len: len as u64,
            msg_len: len as u64,
            ..Header::new(Kind::Eager)
        };
        let me = self.info.rank;
        // On an error the general path queues the message and reports the peer.
        Ok(self.shm.try_send(me, world, &h, payload).unwrap_or(false))
    }

    /// A blocking receive without a request, for the library's own short messages: waits
    /// for an eager message from `src` with `tag` on `half`'s context and hands its payload
    /// (at most two slices, split where the ring wraps) to `put`. Returns its length, or
    /// `None` when the general path must be taken instead (after a failure, when a receive
    /// posted earlier may want the same message, or when the message is not eager). Nothing
    /// is consumed in that case, so the general path sees the messages in their order.
    pub fn try_recv_now_on(&mut self, comm: u32, src: i32, tag: i32, half: Half, put: &mut dyn FnMut(&[u8], &[u8])) -> Result<Option<usize>> {
        self.try_recv_now_capped(comm, src, tag, half, usize::MAX, put)
    }

    /// The fast path of a blocking `MPI_Recv` from a named rank with a named tag: an eager
    /// message that fits goes straight from the sender's ring into `ub`, with no request.
    /// `None` sends the caller down the general path (wildcards, a message too long, a
    /// rendezvous message, an earlier posted receive, or any failure in the job).
    pub fn try_recv_now_user(&mut self, comm: u32, src: i32, tag: i32, ub: &crate::transport::userbuf::UserBuf) -> Result<Option<usize>> {
        if tag < 0 {
            return Ok(None);
        }
        let mut put = |a: &[u8], b: &[u8]| {
            ub.write(0, a);
            ub.write(a.len(), b);
        };
        self.try_recv_now_capped(comm, src, tag, Half::P2p, ub.len(), &mut put)
    }

    pub(crate) fn try_recv_now_capped(&mut self, comm: u32, src: i32, tag: i32, half: Half, cap: usize, put: &mut dyn FnMut(&[u8], &[u8])) -> Result<Option<usize>> {
        if src < 0 || self.ft.world.any {
            return Ok(None);
        }
        let cm = self.comm(comm)?;
        let env = Envelope { context: self.context(comm, half)?, src: cm.group_for(half).world(src as u32), tag };
        let (posted, unexpected) = self.matching.posted_and_unexpected(&env);
        if posted {
            return Ok(None);
        }
        // A negative tag is on no valid frame: its receive leaves frames to full decoding.
        let words = (tag >= 0).then(|| compact_eager_words(env.src, env.context, env.tag));
        match self.recv_now_look(&env, words, cap, put, unexpected.is_some())? {
            Some(got) => Ok(got),
            None => self.recv_now_wait(&env, words, cap, put),
        }
    }

    /// One look for the message of a blocking receive without a request: `Some(Some(len))`
    /// when it was taken, `Some(None)` to give up, `None` to wait on. `look_aside`: whether
    /// the queue of messages set aside may hold it.
    #[inline]
    fn recv_now_look(&mut self, env: &Envelope, words: Option<(u64, u64)>, cap: usize, put: &mut dyn FnMut(&[u8], &[u8]), look_aside: bool) -> Result<Option<Option<usize>>> {
        if look_aside && let Some(got) = self.recv_now_aside(env, cap, put)? {
            return Ok(Some(got));
        }
        // After a failure every receive takes the general path, which checks the
        // communicator's state (messages already set aside were looked at above).
        if self.ft.world.any {
            return Ok(Some(None));
        }
        loop {
            match self.recv_now_ring(env, words, cap, put)? {
                RingLook::Done(got) => return Ok(Some(got)),
                // A frame that is not this message is never set aside as one it matches.
                RingLook::Handled => continue,
                RingLook::Empty => return Ok(None),
            }
        }
    }

    /// Waits for the message of a blocking receive without a request: between rounds of
    /// progress (which leave the sender's ring alone) only the sender's next stamp is
    /// watched, one load each, so the message is seen soon after it is published.
    #[inline(never)]
    fn recv_now_wait(&mut self, env: &Envelope, words: Option<(u64, u64)>, cap: usize, put: &mut dyn FnMut(&[u8], &[u8])) -> Result<Option<usize>> {
        let mut idle: u32 = 0;
        loop {
            let mut did = false;
            if !self.shm.wait_published(env.src, QUICK_LOOKS) {
                // Progress may set the message aside or see a failure; only then is the
                // queue of messages set aside looked at again.
                did = self.progress_skipping(env.src as usize)? || self.ft.world.any;
                if did {
                    idle = 0;
                } else {
                    self.idle_round(&mut idle);
                }
            }
            if let Some(got) = self.recv_now_look(env, words, cap, put, did)? {
                return Ok(got);
            }
        }
    }

    /// A message set aside earlier for [`Runtime::try_recv_now_on`]: `Some(Some(len))`
    /// when taken, `Some(None)` to give up, `None` when there is none.
    fn recv_now_aside(&mut self, env: &Envelope, cap: usize, put: &mut dyn FnMut(&[u8], &[u8])) -> Result<Option<Option<usize>>> {
        let pattern = Pattern { context: env.context, src: Some(env.src), tag: Some(env.tag) };
        match self.matching.peek(&pattern) {
            Some((_, Unexpected::Eager { data, .. })) if data.len() > cap => Ok(Some(None)),
            Some((_, Unexpected::Eager { .. })) => {
                let Some((_, Unexpected::Eager { data, sync_sreq })) = self.matching.take_unexpected(&pattern) else {
                    return Err(MpiError::intern("unexpected message vanished"));
                };
                put(&data, &[]);
                if let Some(sreq) = sync_sreq {
                    self.send_ctrl(env.src, Kind::Ack, sreq, 0)?;
                }
                Ok(Some(Some(data.len())))
            }
            Some((_, Unexpected::Rts { .. })) => Ok(Some(None)),
            None => Ok(None),
        }
    }

    /// The front of the sender's ring: the message itself (or a reason to give up), another
    /// frame handed to the protocol, or nothing published yet (one load of the sender's
    /// next stamp).
    #[inline]
    fn recv_now_ring(&mut self, env: &Envelope, words: Option<(u64, u64)>, cap: usize, put: &mut dyn FnMut(&[u8], &[u8])) -> Result<RingLook> {
        if let Some(words) = words {
            // The common case, a plain eager message, in two compares; anything else is
            // decoded and validated below.
            match self.shm.take_eager_from(env.src, words, cap, put) {
                EagerLook::Took(n) => return Ok(RingLook::Done(Some(n))),
                EagerLook::Empty => return Ok(RingLook::Empty),
                EagerLook::Other => {}
            }
        }
        match self.shm.poll_frame_from(env.src) {
            None => Ok(RingLook::Empty),
            Some(Err(bad)) => {
                self.reject(bad.src, &format!("malformed frame rejected: {}", bad.error));
                Ok(RingLook::Handled)
            }
            Some(Ok(f)) => {
                let h = f.header;
                let ours = h.context == env.context && h.tag == env.tag;
                if ours && h.kind() == Kind::Eager {
                    if h.len as usize > cap {
                        // Truncation: left in the ring for the general path to report.
                        return Ok(RingLook::Done(None));
                    }
                    let (a, b) = self.shm.payload(&f);
                    put(a, b);
                    self.shm.consume(&f);
                    if h.flags & FLAG_SYNC != 0 {
                        self.send_ctrl(env.src, Kind::Ack, h.sreq, 0)?;
                    }
                    return Ok(RingLook::Done(Some(h.len as usize)));
                }
                self.handle_frame(f)?;
                if ours && h.kind() == Kind::Rts {
                    return Ok(RingLook::Done(None));
                }
                Ok(RingLook::Handled)
            }
        }
    }

    /// Creates a receive request (not started). `src` is a rank, MPI_ANY_SOURCE or MPI_PROC_NULL.
    pub fn new_recv(&mut self, comm: u32, src: i32, tag: i32, buf: Buf, half: Half) -> Result<u32> {
        if src == c::MPI_PROC_NULL {
            let mut r = Request::new(Body::Null, comm);
            r.status = Status::proc_null();
            return Ok(self.reqs.insert(r));
        }
        if self.ft.world.any {
            let peer = (src != c::MPI_ANY_SOURCE).then_some(src as u32);
            if let Some(dead) = self.ft_gate(comm, peer, half, true)? {
                let mut r = Request::new(Body::Null, comm);
                r.done = true;
                r.status = Status { source: dead as i32, error: c::MPI_ERR_OTHER, ..Status::empty() };
                r.error_detail = Some(self.ft_report_text(comm, dead));
                return Ok(self.reqs.insert(r));
            }
        }
        let cm = self.comm(comm)?;
        let group = cm.group_for(half).clone();
        let pattern = Pattern {
            context: self.context(comm, half)?,
            src: if src == c::MPI_ANY_SOURCE { None } else { Some(group.world(src as u32)) },
            tag: if tag == c::MPI_ANY_TAG { None } else { Some(tag) },
        };
        if self.ft.world.any
            && let Some(w) = pattern.src
            && cm.ft.recovering.contains(&w)
            && self.matching.peek(&pattern).is_none()
        {
            // The sender is in a recovery of this communicator: what it sent before is
            // still received, nothing more will come.
            return Err(MpiError::other(format!(
                "rank {src} of {} is recovering it; recover it with MPI_Comm_dup",
                cm.display_name()
            )));
        }
        let r = RecvState { pattern, group, buf, stage: RecvStage::Idle };
        Ok(self.reqs.insert(Request::new(Body::Recv(r), comm)))
    }

    /// Starts a request made by `new_send`/`new_recv` (or restarts a persistent one).
    pub fn start(&mut self, rid: u32) -> Result<()> {
        if self.ft.world.any && self.ft_start_gate(rid)? {
            return Ok(());
        }
        let req = self.reqs.get_mut(rid).ok_or_else(|| MpiError::new(c::MPI_ERR_REQUEST, "Invalid request"))?;
        req.active = true;
        if !matches!(req.body, Body::Null) {
            req.error_detail = None;
        }
        match &mut req.body {
            Body::Null => {
                req.done = true;
                Ok(())
            }
            Body::Send(s) => {
                req.done = false;
                req.status = Status::empty();
                if s.mode == SendMode::Buffered {
                    self.start_bsend(rid)
                } else {
                    self.start_send(rid)
                }
            }
            Body::Recv(r) => {
                req.done = false;
                req.status = Status::empty();
                r.stage = RecvStage::Posted;
                self.start_recv(rid)
            }
        }
    }

    /// The protocol decision: eager or rendezvous.
    fn start_send(&mut self, rid: u32) -> Result<()> {
        let me = self.info.rank;
        let wire = self.reqs.wire_id(rid);
        let Some(Request { body: Body::Send(s), .. }) = self.reqs.get_mut(rid) else {
            return Err(MpiError::intern("start_send on a request that is not a send"));
        };
        let len = s.buf.len();
        let mut h = Header { src: me, context: s.context, tag: s.tag, msg_len: len as u64, ..Header::new(Kind::Eager) };
        let dest = s.dest;
        let eager_limit = if self.shm.can_cma(dest) { self.config.eager_limit } else { self.config.remote_eager_limit };
        if len <= eager_limit {
            h.len = len as u64;
            let on_sent = if s.mode == SendMode::Sync {
                h.flags = FLAG_SYNC;
                h.sreq = wire;
                OnSent::AwaitAck(rid)
            } else {
                OnSent::Complete(rid)
            };
            s.stage = SendStage::Queued;
            self.send_frame(dest, h, Some(rid), on_sent)
        } else {
            h.kind = Some(Kind::Rts);
            h.sreq = wire;
            if !self.shm.can_cma(dest) {
                // Another host's memory is out of process_vm_readv's reach: stream the data.
                h.flags = FLAG_STREAM;
                s.stage = SendStage::Queued;
                return self.send_frame(dest, h, None, OnSent::AwaitPull(rid));
            }
            if let Buf::User(u) = &s.buf
                && u.contiguous_span().is_none()
            {
                if len / u.run_count().max(1) < SCATTER_MIN_RUN {
                    h.flags = FLAG_STREAM;
                    s.stage = SendStage::Queued;
                    return self.send_frame(dest, h, None, OnSent::AwaitPull(rid));
                }
                // The receiver reads one run; pack a strided buffer once.
                s.buf = Buf::Owned(u.to_vec(0, len));
            }
            let (addr, _) = s.buf.contiguous_span().expect("owned buffers are contiguous");
            h.addr = addr as u64;
            s.stage = SendStage::Queued;
            self.send_frame(dest, h, None, OnSent::AwaitPull(rid))
        }
    }

    /// MPI_Bsend: copy into library memory accounted against the attached buffer, send that
    /// copy in the background, and complete the user's request at once.
    fn start_bsend(&mut self, rid: u32) -> Result<()> {
        let Some(Request { body: Body::Send(s), comm, .. }) = self.reqs.get(rid) else {
            return Err(MpiError::intern("start_bsend on a request that is not a send"));
        };
        let need = s.buf.len() + c::MPI_BSEND_OVERHEAD as usize;
        let Some(bb) = self.bsend.as_mut() else {
            return Err(MpiError::new(c::MPI_ERR_BUFFER, "Insufficient space in Bsend buffer: no buffer is attached"));
        };
        if bb.used + need > bb.size {
            return Err(MpiError::new(
                c::MPI_ERR_BUFFER,
                format!(
                    "Insufficient space in Bsend buffer; requested {}; total buffer size is {}, {} in use",
                    need, bb.size, bb.used
                ),
            ));
        }
        bb.used += need;
        let data = match &s.buf {
            Buf::User(u) => u.to_vec(0, u.len()),
            Buf::Owned(v) => v.clone(),
        };
        let inner = SendState {
            dest: s.dest,
            context: s.context,
            tag: s.tag,
            mode: SendMode::Standard,
            buf: Buf::Owned(data),
            stage: SendStage::Idle,
            bsend_bytes: need,
        };
        let mut r = Request::new(Body::Send(inner), *comm);
        r.free_when_done = true;
        let inner_id = self.reqs.insert(r);
        self.start_send(inner_id)?;
        self.complete(rid, Status::empty());
        Ok(())
    }

    /// Sends a frame now if the peer's ring has room and nothing is queued before it, else
    /// queues it (per-destination FIFO keeps the non-overtaking order).
    pub(super) fn send_frame(&mut self, dest: u32, h: Header, payload_from: Option<u32>, on_sent: OnSent) -> Result<()> {
        if self.ft.world.any && self.ft.world.is_dead(dest) {
            // Queued, it would wait forever (and hold up MPI_Finalize).
            self.frame_to_dead(dest, on_sent);
            return Ok(());
        }
        if self.pending[dest as usize].is_empty() && self.try_push(dest, &h, payload_from)? {
            self.after_sent(on_sent);
            return Ok(());
        }
        self.pending[dest as usize].push_back(Pending { header: h, payload_from, on_sent });
        self.npending += 1;
        Ok(())
    }

    pub(super) fn try_push(&mut self, dest: u32, h: &Header, payload_from: Option<u32>) -> Result<bool> {
        let me = self.info.rank;
        let payload = match payload_from.and_then(|r| self.reqs.get(r)) {
            Some(Request { body: Body::Send(s), .. }) => match &s.buf {
                Buf::User(u) => Payload::User(u, h.offset as usize),
                Buf::Owned(v) => Payload::Bytes(&v[h.offset as usize..]),
            },
            _ => Payload::None,
        };
        match self.shm.try_send(me, dest, h, payload) {
            Ok(sent) => Ok(sent),
            Err(_) => {
                // The peer's segment is gone (or unusable): it has died, or is about to be
                // made to. The frame waits in the queue until the failure event drops it.
                self.suspect(dest);
                Ok(false)
            }
        }
    }

    pub(super) fn after_sent(&mut self, on_sent: OnSent) {
        let set = |rt: &mut Runtime, rid: u32, st: SendStage| {
            if let Some(Request { body: Body::Send(s), .. }) = rt.reqs.get_mut(rid) {
                s.stage = st;
            }
        };
        match on_sent {
            OnSent::Nothing => {}
            OnSent::Complete(rid) => {
                set(self, rid, SendStage::Done);
                self.complete(rid, Status::empty());
            }
            OnSent::AwaitAck(rid) => set(self, rid, SendStage::AwaitAck),
            OnSent::AwaitPull(rid) => set(self, rid, SendStage::AwaitPull),
        }
    }

    /// Marks a request complete; releases what it held.
    pub(super) fn complete(&mut self, rid: u32, status: Status) {
        let Some(req) = self.reqs.get_mut(rid) else { return };
        req.done = true;
        req.status = status;
        let mut release = 0;
        if let Body::Send(s) = &mut req.body {
            s.stage = SendStage::Done;
            release = std::mem::take(&mut s.bsend_bytes);
        }
        if let Body::Recv(r) = &mut req.body {
            r.stage = RecvStage::Done;
        }
        let drop_it = req.free_when_done;
        if release > 0 {
            if let Some(bb) = self.bsend.as_mut() {
                bb.used = bb.used.saturating_sub(release);
            }
        }
        if drop_it {
            self.reqs.remove(rid);
        }
    }

    fn recv_status(&self, rid: u32, env: &Envelope, msg_len: usize) -> Status {
        let (group_rank, cap) = match self.reqs.get(rid) {
            Some(Request { body: Body::Recv(r), .. }) => (r.group.rank_of(env.src), r.buf.len()),
            _ => (None, 0),
        };
        Status {
            source: group_rank.map(|r| r as i32).unwrap_or(c::MPI_ANY_SOURCE),
            tag: env.tag,
            bytes: msg_len.min(cap),
            cancelled: false,
            error: if msg_len > cap { c::MPI_ERR_TRUNCATE } else { 0 },
        }
    }

    pub(super) fn truncation_detail(&mut self, rid: u32, st: &Status, msg_len: usize) {
        if st.error == c::MPI_ERR_TRUNCATE {
            if let Some(req) = self.reqs.get_mut(rid) {
                req.error_detail = Some(format!(
                    "Message truncated; {} bytes received but buffer size is {}",
                    msg_len, st.bytes
                ));
            }
        }
    }

    /// Matches a newly posted receive against unexpected messages, or leaves it posted.
    fn start_recv(&mut self, rid: u32) -> Result<()> {
        let pattern = match self.reqs.get(rid) {
            Some(Request { body: Body::Recv(r), .. }) => r.pattern,
            _ => return Err(MpiError::intern("start_recv on a request that is not a receive")),
        };
        match self.matching.post(pattern, rid) {
            None => Ok(()),
            Some((env, Unexpected::Eager { data, sync_sreq })) => {
                let st = self.recv_status(rid, &env, data.len());
                if let Some(Request { body: Body::Recv(r), .. }) = self.reqs.get_mut(rid) {
                    r.buf.write(0, &data);
                }
                self.truncation_detail(rid, &st, data.len());
                self.complete(rid, st);
                if let Some(sreq) = sync_sreq {
                    self.send_ctrl(env.src, Kind::Ack, sreq, 0)?;
                }
                Ok(())
            }
            Some((env, Unexpected::Rts { header })) => self.start_pull(rid, env, header),
        }
    }

    pub(super) fn send_ctrl(&mut self, dest: u32, kind: Kind, sreq: u64, rreq: u64) -> Result<()> {
        let h = Header { src: self.info.rank, sreq, rreq, ..Header::new(kind) };
        self.send_frame(dest, h, None, OnSent::Nothing)
    }

    /// True when this rank has a rendezvous send to `peer` that `peer` has not pulled yet:
    /// large messages go both ways between the two. Each core then has copies of its own to
    /// do, and streaming through the rings, whose lines stay in cache, beats single-copy
    /// reads from memory that must be pinned page by page (`bench/bibw.c`: 19-35 GB/s
    /// against 13-20 from 64 to 256 KiB, 15-18 against 10-11 from 1 to 16 MiB).
    fn sending_large_to(&self, peer: u32) -> bool {
        self.reqs.any(|r| matches!(&r.body, Body::Send(s) if s.dest == peer && s.stage == SendStage::AwaitPull))
    }

    /// A matched RTS: read the data with one copy, or ask for it to be streamed.
    fn start_pull(&mut self, rid: u32, env: Envelope, h: Header) -> Result<()> {
        let total = h.msg_len as usize;
        let st = self.recv_status(rid, &env, total);
        if self.cma_ok && h.flags & FLAG_STREAM == 0 && self.shm.can_cma(env.src) && !self.sending_large_to(env.src) {
            if self.try_start_coop(rid, &env, &h, &st)? {
                return Ok(());
            }
            let pid = self.shm.pid(env.src);
            let n = st.bytes;
            let res = match self.reqs.get_mut(rid) {
                Some(Request { body: Body::Recv(r), .. })
                    if n > 0 && matches!(&r.buf, Buf::User(u) if n / u.run_count().max(1) < SCATTER_MIN_RUN) =>
                {
                    let mut packed = vec![0u8; n];
                    let res = crate::transport::shm::cma::read(pid, h.addr, &mut [std::io::IoSliceMut::new(&mut packed)]);
                    if res.is_ok() {
                        r.buf.write(0, &packed);
                    }
                    res
                }
                Some(Request { body: Body::Recv(r), .. }) if n > 0 => {
                    r.buf.with_io_slices_mut(0, n, |s| crate::transport::shm::cma::read(pid, h.addr, s))
                }
                _ => Ok(0),
            };
            match res {
                Ok(_) => {
                    self.send_ctrl(env.src, Kind::Fin, h.sreq, 0)?;
                    self.truncation_detail(rid, &st, total);
                    self.complete(rid, st);
                    return Ok(());
                }
                Err(e) if matches!(e.raw_os_error(), Some(libc::EPERM) | Some(libc::ENOSYS) | Some(libc::EACCES)) => {
                    // Not permitted here (ptrace rules, seccomp): stream through the rings.
                    self.cma_ok = false;
                }
                Err(e) if e.raw_os_error() == Some(libc::ESRCH) && self.ft.world.is_dead(env.src) => {
                    self.fail_recv_from_dead(rid, env.src);
                    return Ok(());
                }
                Err(e) if e.raw_os_error() == Some(libc::ESRCH) => {
                    // The sender is gone: mpirun confirms it, and the failure event then
                    // fails this receive like any other operation that needed the sender.
                    self.suspect(env.src);
                    self.ft.awaiting_failure.push((rid, env.src));
                    return Ok(());
                }
                Err(e) => {
                    self.send_ctrl(env.src, Kind::Fin, h.sreq, 0)?;
                    let st = Status { error: c::MPI_ERR_OTHER, ..st };
                    if let Some(req) = self.reqs.get_mut(rid) {
                        req.error_detail = Some(format!("reading {total} bytes from rank {} failed: {e}", env.src));
                    }
                    self.complete(rid, st);
                    return Ok(());
                }
            }
        }
        let wire = self.reqs.wire_id(rid);
        if let Some(Request { body: Body::Recv(r), status, .. }) = self.reqs.get_mut(rid) {
            r.stage = RecvStage::Streaming { total, received: 0 };
            *status = st;
        }
        self.truncation_detail(rid, &st, total);
        self.send_ctrl(env.src, Kind::Cts, h.sreq, wire)
    }

    /// Handles one validated frame from the transport.
    pub(super) fn handle_frame(&mut self, f: Frame) -> Result<()> {
        let h = f.header;
        let env = Envelope { context: h.context, src: f.src, tag: h.tag };
        match h.kind() {
            Kind::Eager => {
                let sync = (h.flags & FLAG_SYNC != 0).then_some(h.sreq);
                if let Some(rid) = self.matching.arrive(&env) {
                    let st = self.recv_status(rid, &env, h.len as usize);
                    if let Some(Request { body: Body::Recv(r), .. }) = self.reqs.get_mut(rid) {
                        let (a, b) = self.shm.payload(&f);
                        r.buf.write(0, a);
                        r.buf.write(a.len(), b);
                    }
                    self.shm.consume(&f);
                    self.truncation_detail(rid, &st, h.len as usize);
                    self.complete(rid, st);
                    if let Some(sreq) = sync {
                        self.send_ctrl(f.src, Kind::Ack, sreq, 0)?;
                    }
                } else {
                    let (a, b) = self.shm.payload(&f);
                    let mut data = Vec::with_capacity(a.len() + b.len());
                    data.extend_from_slice(a);
                    data.extend_from_slice(b);
                    self.shm.consume(&f);
                    self.matching.keep_unexpected(env, Unexpected::Eager { data, sync_sreq: sync });
                }
                Ok(())
            }
            Kind::Rts => {
                self.shm.consume(&f);
                match self.matching.arrive(&env) {
                    Some(rid) => self.start_pull(rid, env, h),
                    None => {
                        self.matching.keep_unexpected(env, Unexpected::Rts { header: h });
                        Ok(())
                    }
                }
            }
            Kind::Cts => {
                self.shm.consume(&f);
                match self.own_send(h.sreq, f.src, SendStage::AwaitPull) {
                    Some(rid) => {
                        if let Some(Request { body: Body::Send(s), .. }) = self.reqs.get_mut(rid) {
                            s.stage = SendStage::Streaming { rreq: h.rreq, sent: 0 };
                        }
                        self.streams.push(rid);
                        Ok(())
                    }
                    None => {
                        self.reject(f.src, "CTS for a request that is not waiting for one");
                        Ok(())
                    }
                }
            }
            Kind::Data => {
                let rid = self.reqs.from_wire(h.rreq);
                let ok = rid.and_then(|rid| match self.reqs.get_mut(rid) {
                    Some(Request { body: Body::Recv(r), .. }) => match r.stage {
                        RecvStage::Streaming { total, received } if total as u64 == h.msg_len => {
                            let (a, b) = self.shm.payload(&f);
                            r.buf.write(h.offset as usize, a);
                            r.buf.write(h.offset as usize + a.len(), b);
                            let received = received + h.len as usize;
                            r.stage = RecvStage::Streaming { total, received };
                            Some((rid, received >= total))
                        }
                        _ => None,
                    },
                    _ => None,
                });
                self.shm.consume(&f);
                match ok {
                    Some((rid, true)) => {
                        let st = self.reqs.get(rid).map(|r| r.status).unwrap_or_else(Status::empty);
                        self.complete(rid, st);
                    }
                    Some((_, false)) => {}
                    None => self.reject(f.src, "DATA for a receive that is not streaming"),
                }
                Ok(())
            }
            Kind::Coop => {
                self.shm.consume(&f);
                self.on_coop(f.src, &h);
                Ok(())
            }
            Kind::Fin | Kind::Ack => {
                self.shm.consume(&f);
                let want = if h.kind() == Kind::Fin { SendStage::AwaitPull } else { SendStage::AwaitAck };
                match self.own_send(h.sreq, f.src, want) {
                    Some(rid) => self.complete(rid, Status::empty()),
                    None => self.reject(f.src, "acknowledgement for a request that is not waiting for one"),
                }
                Ok(())
            }
        }
    }

    /// The send request named by a wire id from `src`, if it is in stage `want`.
    pub(super) fn own_send(&self, wire: u64, src: u32, want: SendStage) -> Option<u32> {
        let rid = self.reqs.from_wire(wire)?;
        match self.reqs.get(rid) {
            Some(Request { body: Body::Send(s), done: false, .. }) if s.dest == src && s.stage == want => Some(rid),
            _ => None,
        }
    }

    pub(super) fn reject(&self, src: u32, what: &str) {
        if self.ft.world.any {
            // After a failure, peers answer operations this rank has already failed.
            return;
        }
        eprintln!("ftmpi: rank {}: ignored a frame from rank {src}: {what}", self.info.rank);
    }

    /// Pushes DATA frames of streaming sends while the rings have room.
    pub(super) fn push_streams(&mut self) -> Result<bool> {
        let mut did = false;
        let max = self.shm.max_payload();
        let mut i = 0;
        while i < self.streams.len() {
            let rid = self.streams[i];
            let mut finished = false;
            loop {
                let wire = self.reqs.wire_id(rid);
                let Some(Request { body: Body::Send(s), .. }) = self.reqs.get(rid) else {
                    finished = true;
                    break;
                };
                let SendStage::Streaming { rreq, sent } = s.stage else {
                    finished = true;
                    break;
                };
                let total = s.buf.len();
                if sent >= total {
                    self.complete(rid, Status::empty());
                    finished = true;
                    break;
                }
                let piece = if matches!(&s.buf, Buf::User(u) if u.contiguous_span().is_none()) { PACKED_CHUNK } else { max };
                let chunk = (total - sent).min(piece).min(max);
                let h = Header {
                    src: self.info.rank,
                    context: s.context,
                    tag: s.tag,
                    len: chunk as u64,
                    msg_len: total as u64,
                    sreq: wire,
                    rreq,
                    offset: sent as u64,
                    ..Header::new(Kind::Data)
                };
                let dest = s.dest;
                if !self.try_push(dest, &h, Some(rid))? {
                    break;
                }
                did = true;
                if let Some(Request { body: Body::Send(s), .. }) = self.reqs.get_mut(rid) {
                    s.stage = SendStage::Streaming { rreq, sent: sent + chunk };
                }
            }
            if finished {
                self.streams.swap_remove(i);
            } else {
                i += 1;
            }
        }
        Ok(did)
    }

    /// Retries queued frames in order, per destination.
    pub(super) fn flush_pending(&mut self) -> Result<bool> {
        if self.npending == 0 {
            return Ok(false);
        }
        let mut did = false;
        for dest in 0..self.pending.len() {
            while let Some(p) = self.pending[dest].front() {
                let (h, from, on_sent) = (p.header, p.payload_from, p.on_sent);
                if !self.try_push(dest as u32, &h, from)? {
                    break;
                }
                self.pending[dest].pop_front();
                self.npending -= 1;
                did = true;
                self.after_sent(on_sent);
            }
        }
        Ok(did)
    }

    /// Takes the frames of send request `rid` out of `dest`'s queue; returns how many.
    pub(super) fn unqueue(&mut self, dest: u32, rid: u32) -> usize {
        let q = &mut self.pending[dest as usize];
        let before = q.len();
        q.retain(|p| {
            !(p.payload_from == Some(rid)
                || matches!(p.on_sent, OnSent::Complete(r) | OnSent::AwaitAck(r) | OnSent::AwaitPull(r) if r == rid))
        });
        let removed = before - q.len();
        self.npending -= removed;
        removed
    }

    pub(super) fn has_outbound_work(&self) -> bool {
        self.npending > 0 || !self.streams.is_empty() || !self.coops.is_empty() || !self.assists.is_empty()
    }

    /// MPI_Cancel: receives still posted and sends still queued can be cancelled.
    pub fn cancel(&mut self, rid: u32) -> Result<()> {
        let req = self.reqs.get(rid).ok_or_else(|| MpiError::new(c::MPI_ERR_REQUEST, "Invalid request"))?;
        if req.done {
            return Ok(());
        }
        match &req.body {
            Body::Recv(r) if r.stage == RecvStage::Posted => {
                let ctx = r.pattern.context;
                if self.matching.unpost(ctx, rid) {
                    let st = Status { cancelled: true, ..Status::empty() };
                    self.complete(rid, st);
                }
            }
            Body::Send(s) if s.stage == SendStage::Queued => {
                if self.unqueue(s.dest, rid) > 0 {
                    let st = Status { cancelled: true, ..Status::empty() };
                    self.complete(rid, st);
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The oldest unexpected message matching, as a status (MPI_Iprobe after progress).
    pub fn probe_unexpected(&self, comm: u32, src: i32, tag: i32) -> Result<Option<Status>> {
        let cm = self.comm(comm)?;
        let group = cm.peer_group();
        let pat = Pattern {
            context: cm.p2p_ctx(),
            src: if src == c::MPI_ANY_SOURCE { None } else { Some(group.world(src as u32)) },
            tag: if tag == c::MPI_ANY_TAG { None } else { Some(tag) },
        };
        Ok(self.matching.peek(&pat).map(|(env, u)| {
            let bytes = match u {
                Unexpected::Eager { data, .. } => data.len(),
                Unexpected::Rts { header } => header.msg_len as usize,
            };
            Status {
                source: group.rank_of(env.src).map(|r| r as i32).unwrap_or(c::MPI_ANY_SOURCE),
                tag: env.tag,
                bytes,
                cancelled: false,
                error: 0,
            }
        }))
    }

    /// MPI_Buffer_attach.
    pub fn buffer_attach(&mut self, addr: usize, size: usize) -> Result<()> {
        if self.bsend.is_some() {
            return Err(MpiError::new(c::MPI_ERR_BUFFER, "Buffer is already attached"));
        }
        self.bsend = Some(BsendBuffer { addr, size, used: 0 });
        Ok(())
    }

    /// MPI_Buffer_detach: waits until every buffered message has left, then returns the buffer.
    pub fn buffer_detach(&mut self) -> Result<(usize, usize)> {
        if self.bsend.is_none() {
            return Err(MpiError::new(c::MPI_ERR_BUFFER, "No buffer is attached"));
        }
        self.wait_until(|rt| rt.bsend.is_none_or(|b| b.used == 0))?;
        let b = self.bsend.take().expect("checked above");
        Ok((b.addr, b.size))
    }
}
