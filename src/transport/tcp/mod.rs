//! TCP between ranks on different hosts: a bridge that extends the shared-memory rings over
//! a socket, so that matching, probes, collectives and the fault-tolerance code see the same
//! rings whatever carries the bytes.
//!
//! # The ring bridge
//! Every rank's segment already holds one inbound SPSC ring per sender and one doorbell. For
//! a sender on another host, the producer of that ring is the receiving rank's end of the
//! sender's connection ([`inbound`]): it reads frames from the socket without blocking, validates
//! each header with [`crate::transport::wire::Header::decode`] (the bytes are untrusted),
//! writes the frame into the ring and publishes it, exactly as a sender on the same host would.
//! A *reader thread* does this while the rank is busy or asleep (and rings the doorbell); a
//! rank in MPI (waiting, or testing with `MPI_Test`) reads its sockets itself at each round of
//! progress. On the sending side
//! the MPI thread writes frames into an *outbox*: a ring with the same layout in private
//! memory ([`Segment::private`]), drained onto the socket by a *writer thread*. The wire
//! format is the ring's own: frames padded to 64-byte lines, so the writer sends whatever run
//! of published frames it finds with one `writev` (the ring's wrap makes two slices), without
//! copying, and the reader reads each payload straight into the receiving ring. Threads touch
//! only rings, doorbells and this module's tables, never MPI state.
//!
//! One short-cut: when the outbox is empty, the MPI thread writes a frame of up to 64 KiB
//! (every eager message and streamed piece) to the socket itself (non-blocking, `MSG_DONTWAIT`); only what the socket does not
//! take goes to the writer, which sends it before anything newer. Waking the writer for every
//! small message cost more than the rest of the path together (an 8-byte ping-pong over
//! loopback: 10 µs one way instead of 40-70 µs on the 2-core test machine).
//!
//! Why a bridge rather than a second transport beside shared memory: the runtime reads frames
//! in place (payload slices, consume), drains a dead sender's ring, and sleeps on one futex;
//! with the bridge all of that is unchanged and per-peer choice is one flag. The cost is one
//! copy on each side (user buffer to outbox, socket to ring), the copies a TCP stack makes
//! anyway with a bounce buffer.
//!
//! # Connections
//! One connection per pair of ranks, carrying both directions, made by whichever sends first
//! (its writer thread connects while frames wait in the outbox); the other rank's writer
//! takes the same connection when it has frames of its own. Sharing it is what lets a reply
//! carry the acknowledgement of the request: with a connection per direction, about every
//! other small message cost a separate ACK segment, which the receiving kernel handles on the
//! answering rank's time (8 B between two namespaces: 1.5 segments a message, 5.4-6.3 µs;
//! shared: 1.0, 5.2-5.4 µs). When both connect at the same moment, the lower rank's
//! connection is kept: the higher rank's listener admits it for both ways while its own
//! attempt is answered [`ADMIT_USE_YOURS`] and withdrawn before any frame goes on it, so each
//! direction's frames still travel one ordered stream. Each end of a shared connection has a
//! reader thread, and a goodbye closes only its sender's half.
//!
//! Every connection runs the job key's challenge-response ([`crate::auth`]) under a read
//! timeout; then the connecting side says which world rank and incarnation it is and the size
//! of its rings. The listener admits it only for the incarnation this rank knows for that rank,
//! and only when no connection from that rank is feeding its ring; a new incarnation waits
//! until the old one has been forgotten (its failure event) and its endpoint installed (the
//! recovery that respawned it). Anything else is closed and logged ("refused a connection"),
//! never used; the listener keeps serving.
//!
//! # Back-pressure and failures
//! A full outbox makes `try_send` report no room, as a full peer ring does; the writer waits
//! in `poll` for room in the socket (every write is non-blocking), the kernel's windows fill, and a reader whose ring is full stops reading (it
//! polls for room with a backoff from 1 µs to 1 ms: the consumer does not ring anyone when it
//! frees space; it yields first). Nothing is dropped. End of stream or an error on a connection that was not
//! closed with a goodbye (sent at `MPI_Finalize`), or a malformed frame, reports the peer as
//! lost: the runtime tells mpirun it suspects it, as for a vanished shared-memory peer.
//! When the failure event arrives, the runtime first reads what the dead peer's socket still
//! holds, up to its end of stream ([`Bridge::drain_step`]), so that CONT delivers it; only
//! then is the connection closed and the ring emptied. What the dead peer had not yet put on
//! the wire is lost: frames in its outbox die with it, and a process killed with unread
//! bytes in a socket makes its kernel reset the connection, dropping its unsent queue too.
//! (With a connection per direction the sending one had nothing unread and ended with a
//! normal close; the shared connection trades that for the acknowledgements, see above.)
#![forbid(unsafe_code)]

pub mod endpoint;
pub mod inbound;

use std::io::{self, IoSlice, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::socket::{MsgFlags, send, sendmsg};
use parking_lot::{Condvar, Mutex};

use self::inbound::Inbound;
use crate::auth::{self, JobKey};
use crate::transport::shm::doorbell;
use crate::transport::shm::ring::{Ring, padded};
use crate::transport::shm::segment::Segment;
use crate::transport::wire::{COMPACT_HEADER_LEN, FLAG_SYNC, HEADER_LEN, Kind};

/// After authentication the connecting side sends this, its world rank, incarnation and
/// ring size (24 bytes); the listener answers with [`admission`]: one of the `ADMIT_` values,
/// then its own rank and incarnation, which the connecting side checks (it will read frames
/// from the listener, so it must be the rank it meant to reach, not a newer process on a
/// reused address).
const HELLO_MAGIC: &[u8; 8] = b"FTMPIHI1";
const ADMISSION_LEN: usize = 9;
/// Admitted for both directions: the listener sends its frames to the connecting side on
/// this connection too, so the connecting side reads it as well.
const ADMIT_BOTH_WAYS: u8 = 2;
/// Not admitted: both sides connected at once, and the connection made by the lower rank
/// is the one kept (for both directions). The connecting side waits for it.
const ADMIT_USE_YOURS: u8 = 3;
/// A line starting with this (and a zero where a frame has its magic byte) ends a
/// connection cleanly.
const BYE: &[u8; 8] = b"FTMPIBYE";
/// The goodbye as it goes on the wire: one line.
const BYE_LINE: [u8; 64] = {
    let mut line = [0u8; 64];
    let mut i = 0;
    while i < BYE.len() {
        line[i] = BYE[i];
        i += 1;
    }
    line
};
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a connection from a new incarnation waits for the old one to be forgotten.
const ADMIT_TIMEOUT: Duration = Duration::from_secs(60);
/// Smallest outbox: a sender can run this far ahead of its writer thread (frames are still
/// bounded by the receiver's ring, a quarter of it each).
pub const OUTBOX_MIN_BYTES: usize = 1 << 20;
/// Largest frame the MPI thread may write to a socket itself (see [`Outbound::try_direct`]).
pub const DIRECT_MAX: usize = 64 * 1024 + 64;
/// Bytes of frames a writer sends in one go.
const BATCH: u64 = 256 * 1024;
/// Empty polls of the outbox before its writer sleeps on the outbox's doorbell.
const WRITER_SPIN: u32 = 2000;
/// How long a parked reader waits before it looks whether the MPI thread still reads: how
/// late the readers take over when the rank leaves MPI to compute (the kernel's buffers
/// hold what arrives meanwhile). Each look is a thread wake-up on the ranks' cores.
const PARK: Duration = Duration::from_millis(5);
/// Most connections the MPI thread reads itself; with more, one look at all of them costs
/// more than the wake-ups it saves, and the reader threads do it all.
const MAX_POLLED: usize = 8;
/// Yields of a reader waiting for room in a full ring before it sleeps between looks.
const READER_YIELDS: u32 = 200;

/// `FTMPI_TRANSPORT`: how peers are reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Shared memory within a host, TCP between hosts.
    Auto,
    /// TCP to every other rank, also on the same host (tests and benchmarks).
    Tcp,
}

impl Mode {
    pub fn parse(v: Option<&str>) -> Result<Mode, String> {
        match v.map(str::trim) {
            None | Some("") | Some("auto") => Ok(Mode::Auto),
            Some("tcp") => Ok(Mode::Tcp),
            Some(other) => Err(format!(
                "FTMPI_TRANSPORT={other:?} is not a transport: use \"tcp\" (TCP between all ranks) or \"auto\" (shared memory within a host, TCP between hosts; the default)"
            )),
        }
    }

    pub fn from_env() -> Result<Mode, String> {
        Mode::parse(std::env::var("FTMPI_TRANSPORT").ok().as_deref())
    }
}

struct Active {
    stop: Arc<AtomicBool>,
    stream: TcpStream,
    /// The reader thread is still (or may still be) writing into the ring.
    running: bool,
}

/// How far this rank's sending side towards a peer has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sending {
    /// No writer yet: a connection from the peer is admitted, and this rank's writer will
    /// take it.
    Idle,
    /// The writer is connecting: a connection from the peer made at the same time is kept
    /// only if the peer's rank is lower.
    Connecting,
    /// The writer has its connection.
    Open,
}

struct Slot {
    /// The incarnation this rank expects from that rank.
    expected_inc: u32,
    /// The connection feeding that rank's ring, until the rank is forgotten.
    active: Option<Active>,
    sending: Sending,
    /// Counts the times that rank was forgotten: a writer that started before the last
    /// time installs nothing (see [`connect_and_settle`]).
    epoch: u64,
}

impl Slot {
    /// A clone of the connection with that rank (every one carries both ways), for this
    /// rank's writer.
    fn both_ways_stream(&self) -> Option<io::Result<TcpStream>> {
        self.active.as_ref().filter(|a| a.running).map(|a| a.stream.try_clone())
    }
}

struct Shared {
    me: u32,
    inc: u32,
    key: Option<JobKey>,
    own: Arc<Segment>,
    slots: Mutex<Vec<Slot>>,
    cv: Condvar,
    lost: Mutex<Vec<u32>>,
    news: AtomicBool,
    /// The admitted connections, for the MPI thread to read while it waits; `inbound_gen`
    /// changes with the list.
    inbound: Mutex<Vec<Arc<Inbound>>>,
    inbound_gen: AtomicU64,
    /// The MPI thread reads the sockets while it waits: it sets `mpi_polling` and counts its
    /// rounds in `mpi_polls`; readers then stay out of `poll(2)` (see [`Shared::park`]).
    mpi_polling: AtomicBool,
    mpi_polls: AtomicU64,
    /// Held while `mpi_polling` changes, together with `kick`.
    park_lock: Mutex<()>,
    park_cv: Condvar,
    /// Readable exactly while `mpi_polling` is set (one byte, written when it is set and
    /// read back when it is cleared): readers wait in `poll(2)` on it beside their socket,
    /// so one that is already in `poll` when the MPI thread starts reading leaves it and
    /// parks. Otherwise the kernel wakes it for every packet, finds the packet taken, and puts
    /// it back to sleep inside the same `poll` call, for as long as the call's timeout: each
    /// such wake-up preempts a rank on a busy host.
    kick: (UnixStream, UnixStream),
}

impl Shared {
    fn report_lost(&self, rank: u32) {
        self.lost.lock().push(rank);
        self.news.store(true, Ordering::Release);
        doorbell::ring_always(self.own.doorbell());
    }

    fn max_payload(&self) -> u64 {
        (self.own.ring_cap() / 4) as u64
    }

    /// Keeps a reader thread away from its socket while the MPI thread reads the sockets
    /// itself: a reader asleep in `poll` would be woken by every packet only to find it
    /// taken, and on a busy host that wake-up takes a core from the ranks. Returns once the
    /// MPI thread has not looked for [`PARK`], or it is about to sleep (it wakes the readers
    /// then, see [`Bridge::stop_polling`]).
    fn park(&self) {
        while self.mpi_polling.load(Ordering::Acquire) {
            let seen = self.mpi_polls.load(Ordering::Acquire);
            let mut g = self.park_lock.lock();
            if !self.mpi_polling.load(Ordering::Acquire) {
                return;
            }
            self.park_cv.wait_for(&mut g, PARK);
            if self.mpi_polls.load(Ordering::Acquire) == seen {
                self.set_polling(&mut g, false);
                return;
            }
        }
    }

    /// Sets or clears `mpi_polling` and `kick` together, under `park_lock` (`_held`).
    fn set_polling(&self, _held: &mut parking_lot::MutexGuard<'_, ()>, on: bool) {
        if self.mpi_polling.load(Ordering::Acquire) == on {
            return;
        }
        self.mpi_polling.store(on, Ordering::Release);
        if on {
            let _ = (&self.kick.0).write(&[1]);
        } else {
            let mut b = [0u8; 8];
            while matches!((&self.kick.1).read(&mut b), Ok(n) if n > 0) {}
            self.park_cv.notify_all();
        }
    }

    fn set_inbound(&self, edit: impl FnOnce(&mut Vec<Arc<Inbound>>)) {
        edit(&mut self.inbound.lock());
        self.inbound_gen.fetch_add(1, Ordering::AcqRel);
    }
}

/// This rank's TCP side: the listener, the admitted connections, and lost peers.
pub struct Bridge {
    shared: Arc<Shared>,
    listener: Option<TcpListener>,
    addr: Option<SocketAddr>,
    bind_error: Option<String>,
    serving: bool,
    /// The MPI thread's copy of `Shared::inbound`, and the generation it was taken at.
    polled: Vec<Arc<Inbound>>,
    polled_gen: u64,
}

impl Bridge {
    /// Binds a listener on `bind` (any port) for a rank whose segment is `own`. The accept
    /// thread starts only with [`Bridge::serve`]; a bind failure is reported then.
    pub fn new(me: u32, inc: u32, own: Arc<Segment>, bind: IpAddr, key: Option<JobKey>) -> io::Result<Bridge> {
        let nrings = own.nrings();
        let kick = UnixStream::pair()?;
        kick.0.set_nonblocking(true)?;
        kick.1.set_nonblocking(true)?;
        let (listener, bind_error) = match TcpListener::bind((bind, 0)) {
            Ok(l) => (Some(l), None),
            Err(e) => (None, Some(format!("cannot listen on {bind}: {e}"))),
        };
        let addr = listener.as_ref().and_then(|l| l.local_addr().ok());
        let slots = (0..nrings).map(|_| Slot { expected_inc: 0, active: None, sending: Sending::Idle, epoch: 0 }).collect();
        let shared = Arc::new(Shared {
            me,
            inc,
            key,
            own,
            slots: Mutex::new(slots),
            cv: Condvar::new(),
            lost: Mutex::new(Vec::new()),
            news: AtomicBool::new(false),
            inbound: Mutex::new(Vec::new()),
            inbound_gen: AtomicU64::new(0),
            mpi_polling: AtomicBool::new(false),
            mpi_polls: AtomicU64::new(0),
            park_lock: Mutex::new(()),
            park_cv: Condvar::new(),
            kick,
        });
        Ok(Bridge { shared, listener, addr, bind_error, serving: false, polled: Vec::new(), polled_gen: 0 })
    }

    /// The listener's address, published in the endpoint blob.
    pub fn addr(&self) -> Option<SocketAddr> {
        self.addr
    }

    /// Starts accepting connections (once). Fails without a listener or a job key.
    pub fn serve(&mut self) -> io::Result<()> {
        if self.serving {
            return Ok(());
        }
        if self.shared.key.is_none() {
            return Err(io::Error::other(format!(
                "{} is not set (or not 64 hex digits): TCP between ranks needs the job key that mpirun gives every rank",
                auth::KEY_ENV
            )));
        }
        let listener = match self.listener.take() {
            Some(l) => l,
            None => return Err(io::Error::other(self.bind_error.clone().unwrap_or_else(|| "no TCP listener".into()))),
        };
        if std::env::var("FTMPI_DEBUG_TCP").is_ok_and(|v| v == "1") {
            eprintln!("ftmpi: rank {} listens on {}", self.shared.me, self.addr.map(|a| a.to_string()).unwrap_or_default());
        }
        let shared = self.shared.clone();
        std::thread::Builder::new().name("ftmpi-tcp-accept".into()).spawn(move || accept_loop(shared, listener))?;
        self.serving = true;
        Ok(())
    }

    pub fn serving(&self) -> bool {
        self.serving
    }

    /// The incarnation of `rank` whose connection this rank admits.
    pub fn expect(&self, rank: u32, incarnation: u32) {
        if let Some(s) = self.shared.slots.lock().get_mut(rank as usize) {
            s.expected_inc = incarnation;
        }
        self.shared.cv.notify_all();
    }

    /// `rank` is dead: closes its connection, waits until its reader has stopped writing into
    /// its ring, runs `reset` (which empties the ring), and lets a successor connect.
    pub fn forget(&self, rank: u32, reset: impl FnOnce()) {
        let mut slots = self.shared.slots.lock();
        let Some(slot) = slots.get_mut(rank as usize) else {
            reset();
            return;
        };
        if let Some(a) = &slot.active {
            a.stop.store(true, Ordering::Release);
            let _ = a.stream.shutdown(Shutdown::Both);
        }
        while slots[rank as usize].active.as_ref().is_some_and(|a| a.running) {
            self.shared.cv.wait(&mut slots);
        }
        reset();
        slots[rank as usize].active = None;
        slots[rank as usize].sending = Sending::Idle;
        slots[rank as usize].epoch += 1;
        drop(slots);
        self.shared.lost.lock().retain(|&r| r != rank);
        self.shared.cv.notify_all();
    }

    /// Starts sending to `dest` at `addr`: frames written into `outbox` (ring 0) go out
    /// through a writer thread, which connects first.
    pub fn connect(&self, dest: u32, addr: SocketAddr, outbox: Arc<Segment>) -> io::Result<Outbound> {
        let ctl = Arc::new(OutCtl::default());
        let (shared, ob, c) = (self.shared.clone(), outbox.clone(), ctl.clone());
        std::thread::Builder::new().name(format!("ftmpi-tcp-to-{dest}")).spawn(move || writer(shared, dest, addr, ob, c))?;
        Ok(Outbound { ctl, outbox })
    }

    /// Reads the sockets of the admitted connections into their rings, without blocking
    /// (see [`inbound`]): each round of progress calls this before it looks at the rings, so a
    /// message does not wait for a reader thread to wake. True when frames arrived.
    pub fn poll_inbound(&mut self) -> bool {
        let generation = self.shared.inbound_gen.load(Ordering::Acquire);
        if generation != self.polled_gen {
            self.polled = self.shared.inbound.lock().clone();
            self.polled_gen = generation;
        }
        if self.polled.is_empty() || self.polled.len() > MAX_POLLED {
            return false;
        }
        let sh = &self.shared;
        sh.mpi_polls.store(sh.mpi_polls.load(Ordering::Relaxed).wrapping_add(1), Ordering::Release);
        if !sh.mpi_polling.load(Ordering::Relaxed) {
            sh.set_polling(&mut sh.park_lock.lock(), true);
        }
        // One `poll` looks at all the sockets; only those with bytes are read. Bytes already
        // read (a frame that waited for room in the ring) count as ready too.
        let mut fds: Vec<PollFd<'_>> = self.polled.iter().map(|i| PollFd::new(i.fd(), PollFlags::POLLIN)).collect();
        let _ = poll(&mut fds, PollTimeout::ZERO);
        let max_payload = self.shared.max_payload();
        let mut any = false;
        for (inb, f) in self.polled.iter().zip(&fds) {
            let ready = inb.buffered() || f.revents().is_some_and(|r| !r.is_empty());
            if ready && let Some(p) = inb.try_pump(&self.shared.own, max_payload) {
                any |= p.frames > 0;
            }
        }
        any
    }

    /// The MPI thread is about to sleep: the reader threads watch the sockets again.
    pub fn stop_polling(&self) {
        let sh = &self.shared;
        if sh.mpi_polling.load(Ordering::Acquire) {
            sh.set_polling(&mut sh.park_lock.lock(), false);
        }
    }

    /// One step of taking in what a failed `rank` sent before it died: reads its socket into
    /// its ring (waiting up to a millisecond for bytes). False once the stream has ended, or
    /// at `deadline` (a lost host sends no end), or when there is no connection from it; the
    /// caller empties the ring between steps and once more after the last.
    pub fn drain_step(&mut self, rank: u32, deadline: Instant) -> bool {
        let Some(inb) = self.shared.inbound.lock().iter().find(|i| i.rank == rank).cloned() else {
            return false;
        };
        let got = inb.try_pump(&self.shared.own, self.shared.max_payload());
        if inb.finished() || Instant::now() >= deadline {
            return false;
        }
        if got.is_none_or(|p| p.frames == 0 && !p.ring_full) {
            inb.wait_readable(1);
        }
        true
    }

    /// `MPI_Finalize`: on each connection that a peer made and this rank never
    /// sent on, says goodbye and closes this rank's half, as a writer does at its close, so
    /// that the peer does not take the end of this process for a failure.
    pub fn goodbye_unsent(&self) {
        let mut slots = self.shared.slots.lock();
        for slot in slots.iter_mut().filter(|s| s.sending == Sending::Idle) {
            if let Some(a) = &slot.active {
                // Nothing was ever written here: the socket takes 64 bytes at once.
                let _ = send(a.stream.as_raw_fd(), &BYE_LINE, MsgFlags::MSG_NOSIGNAL | MsgFlags::MSG_DONTWAIT);
                let _ = a.stream.shutdown(Shutdown::Write);
                slot.sending = Sending::Open;
            }
        }
    }

    /// True when a connection was lost since the last [`Bridge::take_lost`].
    pub fn has_news(&self) -> bool {
        self.shared.news.load(Ordering::Acquire)
    }

    /// The peers whose connections broke.
    pub fn take_lost(&self) -> Vec<u32> {
        self.shared.news.store(false, Ordering::Release);
        std::mem::take(&mut *self.shared.lost.lock())
    }
}

#[derive(Default)]
struct WriteState {
    partial: Vec<u8>,
    /// Where the MPI thread builds a frame it writes itself.
    scratch: Vec<u8>,
}

#[derive(Default)]
struct OutCtl {
    stop: AtomicBool,
    bye: AtomicBool,
    broken: AtomicBool,
    stream: Mutex<Option<TcpStream>>,
    /// Held while bytes go onto the socket; holds the unsent end of a frame the MPI thread
    /// wrote in part, which the writer sends before anything else.
    wlock: Mutex<WriteState>,
    has_partial: AtomicBool,
    done: Mutex<bool>,
    done_cv: Condvar,
}

/// The sending half towards one peer; dropping it closes the connection.
pub struct Outbound {
    ctl: Arc<OutCtl>,
    outbox: Arc<Segment>,
}

impl Outbound {
    /// The connection failed: frames written now would never arrive.
    pub fn broken(&self) -> bool {
        self.ctl.broken.load(Ordering::Acquire)
    }

    /// The short-cut for a small frame when the outbox is empty (`drained`): the MPI thread
    /// writes it to the socket itself, without waking the writer, if the socket takes it at
    /// once. `fill` writes the frame into the buffer it is given (`frame_len` bytes, in the
    /// ring's layout). Returns false when the frame must go through the outbox instead.
    pub fn try_direct(&self, drained: bool, frame_len: usize, fill: impl FnOnce(&mut [u8])) -> bool {
        if !drained || frame_len > DIRECT_MAX || self.ctl.bye.load(Ordering::Relaxed) {
            return false;
        }
        let Some(mut w) = self.ctl.wlock.try_lock() else { return false };
        if !w.partial.is_empty() {
            return false;
        }
        let Some(stream) = self.ctl.stream.try_lock() else { return false };
        let Some(s) = stream.as_ref() else { return false };
        let WriteState { partial, scratch } = &mut *w;
        scratch.clear();
        scratch.resize(frame_len, 0);
        let frame = &mut scratch[..];
        fill(frame);
        let flags = MsgFlags::MSG_NOSIGNAL | MsgFlags::MSG_DONTWAIT;
        match send(s.as_raw_fd(), frame, flags) {
            Ok(n) if n == frame_len => true,
            Ok(n) => {
                // The socket took part of it: the writer sends the rest, before the outbox.
                partial.extend_from_slice(&frame[n..]);
                self.ctl.has_partial.store(true, Ordering::Release);
                doorbell::ring_always(self.outbox.doorbell());
                true
            }
            // Full, or failing: the outbox path queues it, and the writer reports an error.
            Err(_) => false,
        }
    }

    /// Asks the writer to send what is in the outbox, then a goodbye, and close.
    pub fn close(&self) {
        self.ctl.bye.store(true, Ordering::Release);
        doorbell::ring_always(self.outbox.doorbell());
    }

    /// Waits until the writer has finished, at most until `deadline`.
    pub fn wait_closed(&self, deadline: Instant) {
        let mut done = self.ctl.done.lock();
        while !*done {
            if self.ctl.done_cv.wait_until(&mut done, deadline).timed_out() {
                return;
            }
        }
    }
}

impl Drop for Outbound {
    fn drop(&mut self) {
        self.ctl.stop.store(true, Ordering::Release);
        // A writer that said goodbye has closed its half; the other half may still bring the
        // peer's last frames (and its goodbye) to this rank's reader.
        if let Some(s) = self.ctl.stream.lock().as_ref()
            && !*self.ctl.done.lock()
        {
            let _ = s.shutdown(Shutdown::Both);
        }
        doorbell::ring_always(self.outbox.doorbell());
    }
}

fn admission(answer: u8, rank: u32, inc: u32) -> [u8; ADMISSION_LEN] {
    let mut b = [answer; ADMISSION_LEN];
    b[1..5].copy_from_slice(&rank.to_le_bytes());
    b[5..9].copy_from_slice(&inc.to_le_bytes());
    b
}

fn hello_bytes(rank: u32, inc: u32, ring_cap: u64) -> [u8; 24] {
    let mut b = [0u8; 24];
    b[..8].copy_from_slice(HELLO_MAGIC);
    b[8..12].copy_from_slice(&rank.to_le_bytes());
    b[12..16].copy_from_slice(&inc.to_le_bytes());
    b[16..24].copy_from_slice(&ring_cap.to_le_bytes());
    b
}

/// Connects, authenticates and says who this rank is; returns the stream, the listener's
/// `ADMIT_` answer and the rank and incarnation the listener says it is.
fn connect_and_hello(shared: &Shared, addr: SocketAddr) -> io::Result<(TcpStream, u8, u32, u32)> {
    let key = shared.key.as_ref().ok_or_else(|| io::Error::other("no job key"))?;
    let mut s = TcpStream::connect_timeout(&addr, HANDSHAKE_TIMEOUT)?;
    s.set_nodelay(true)?;
    s.set_read_timeout(Some(HANDSHAKE_TIMEOUT))?;
    s.set_write_timeout(Some(HANDSHAKE_TIMEOUT))?;
    auth::client_handshake(&mut s, key).map_err(|e| io::Error::other(format!("authentication failed: {e}")))?;
    s.write_all(&hello_bytes(shared.me, shared.inc, shared.own.ring_cap() as u64))?;
    s.set_read_timeout(Some(ADMIT_TIMEOUT + HANDSHAKE_TIMEOUT))?;
    // Exactly the answer: what follows on an admitted connection is the peer's frames.
    let mut ack = [0u8; ADMISSION_LEN];
    s.read_exact(&mut ack)?;
    if ![ADMIT_BOTH_WAYS, ADMIT_USE_YOURS].contains(&ack[0]) {
        return Err(io::Error::other("the peer did not admit the connection"));
    }
    s.set_read_timeout(None)?;
    s.set_write_timeout(None)?;
    let rank = u32::from_le_bytes([ack[1], ack[2], ack[3], ack[4]]);
    let inc = u32::from_le_bytes([ack[5], ack[6], ack[7], ack[8]]);
    Ok((s, ack[0], rank, inc))
}

/// The connection this rank sends its frames to `dest` on: the one `dest` made, or a new
/// one. A new one is also read here, by a reader thread of its own, exactly like one accepted
/// by the listener.
fn open(shared: &Arc<Shared>, dest: u32, addr: SocketAddr, ctl: &OutCtl) -> io::Result<TcpStream> {
    let d = dest as usize;
    let (epoch, inc) = {
        let mut slots = shared.slots.lock();
        if ctl.stop.load(Ordering::Acquire) {
            return Err(io::Error::other("closed"));
        }
        let slot = &mut slots[d];
        if let Some(s) = slot.both_ways_stream() {
            slot.sending = Sending::Open;
            return s;
        }
        slot.sending = Sending::Connecting;
        (slot.epoch, slot.expected_inc)
    };
    let res = connect_and_settle(shared, dest, addr, ctl, epoch, inc);
    if res.is_err() {
        // A later writer towards the same incarnation starts over.
        let mut slots = shared.slots.lock();
        if slots[d].epoch == epoch && slots[d].sending == Sending::Connecting {
            slots[d].sending = Sending::Idle;
        }
        drop(slots);
        shared.cv.notify_all();
    }
    res
}

/// [`open`]'s new connection to incarnation `inc` of `dest`, made while the slot was at
/// `epoch`: if the peer was forgotten meanwhile (its failure, see [`Bridge::forget`]), or
/// this outbound dropped, nothing is installed.
fn connect_and_settle(shared: &Arc<Shared>, dest: u32, addr: SocketAddr, ctl: &OutCtl, epoch: u64, inc: u32) -> io::Result<TcpStream> {
    let d = dest as usize;
    let (s, answer, rank, their_inc) = connect_and_hello(shared, addr)?;
    if (rank, their_inc) != (dest, inc) {
        return Err(io::Error::other(format!("{addr} is rank {rank} incarnation {their_inc}, not rank {dest} incarnation {inc}")));
    }
    let deadline = Instant::now() + ADMIT_TIMEOUT;
    let gone = |slots: &Vec<Slot>| slots[d].epoch != epoch || ctl.stop.load(Ordering::Acquire);
    let closed = || io::Error::other("closed");
    let mut slots = shared.slots.lock();
    match answer {
        ADMIT_BOTH_WAYS => {
            // The peer admitted it only after its own connection here (if any) was
            // forgotten; this side may still be finishing that.
            while slots[d].active.is_some() && !gone(&slots) {
                if shared.cv.wait_until(&mut slots, deadline).timed_out() {
                    return Err(io::Error::other("an earlier connection from that rank is still open"));
                }
            }
            if gone(&slots) {
                return Err(closed());
            }
            let stop = Arc::new(AtomicBool::new(false));
            let stream = s.try_clone()?;
            let reading = s.try_clone()?;
            slots[d].active = Some(Active { stop: stop.clone(), stream, running: true });
            slots[d].sending = Sending::Open;
            drop(slots);
            let sh = shared.clone();
            let spawned = std::thread::Builder::new()
                .name("ftmpi-tcp-from".into())
                .spawn(move || feed(sh, dest, reading, stop, addr.to_string()));
            if let Err(e) = spawned {
                let mut slots = shared.slots.lock();
                if slots[d].epoch == epoch {
                    slots[d].active = None;
                    slots[d].sending = Sending::Connecting;
                }
                drop(slots);
                shared.cv.notify_all();
                return Err(e);
            }
            Ok(s)
        }
        _ => {
            // Both connected at once and `dest`'s connection is the one kept: its admission
            // here (by the listener) hands it over.
            drop(s);
            loop {
                if gone(&slots) {
                    return Err(closed());
                }
                if let Some(s) = slots[d].both_ways_stream() {
                    slots[d].sending = Sending::Open;
                    return s;
                }
                if Instant::now() >= deadline {
                    return Err(io::Error::other("the peer's own connection never came"));
                }
                // Short waits: closing the outbound does not notify this condition variable.
                shared.cv.wait_for(&mut slots, Duration::from_millis(20));
            }
        }
    }
}

fn writer(shared: Arc<Shared>, dest: u32, addr: SocketAddr, outbox: Arc<Segment>, ctl: Arc<OutCtl>) {
    let res = open(&shared, dest, addr, &ctl).and_then(|s| {
        *ctl.stream.lock() = Some(s.try_clone()?);
        pump(s, &outbox, &ctl)
    });
    // After the goodbye (MPI_Finalize) a peer that has already exited is no failure.
    if let Err(e) = res
        && !ctl.stop.load(Ordering::Acquire)
        && !ctl.bye.load(Ordering::Acquire)
    {
        ctl.broken.store(true, Ordering::Release);
        if !matches!(e.kind(), io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset) {
            eprintln!("ftmpi: rank {}: connection to rank {dest} at {addr} failed: {e}", shared.me);
        }
        shared.report_lost(dest);
    }
    *ctl.done.lock() = true;
    ctl.done_cv.notify_all();
}

/// The length of the frame at `pos` in our own outbox (trusted: the MPI thread wrote it).
fn frame_len_at(ring: &Ring<'_>, pos: u64) -> u64 {
    let (a, b) = ring.slices(pos, COMPACT_HEADER_LEN);
    let mut h = [0u8; COMPACT_HEADER_LEN];
    h[..a.len()].copy_from_slice(a);
    h[a.len()..].copy_from_slice(b);
    let hlen = if h[9] == Kind::Eager as u8 && h[10] & FLAG_SYNC == 0 { COMPACT_HEADER_LEN } else { HEADER_LEN };
    let len = u32::from_le_bytes([h[24], h[25], h[26], h[27]]) as usize;
    padded(hlen + len) as u64
}

/// How long a writer waits for room in the socket before it looks at its stop flag again.
const WRITE_WAIT_MS: u16 = 100;

/// Writes both slices, as `writev` would, with `MSG_NOSIGNAL` (a peer that died must not
/// kill this process with SIGPIPE: C programs keep its default action) and without blocking
/// in the call: a full socket is waited for in `poll`, which gives up when the outbound is
/// dropped (`ctl.stop`).
fn send_all(s: &TcpStream, ctl: &OutCtl, mut a: &[u8], mut b: &[u8]) -> io::Result<()> {
    while !a.is_empty() || !b.is_empty() {
        let iov = [IoSlice::new(a), IoSlice::new(b)];
        let n = match sendmsg::<()>(s.as_raw_fd(), &iov, &[], MsgFlags::MSG_NOSIGNAL | MsgFlags::MSG_DONTWAIT, None) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => n,
            Err(Errno::EINTR) => continue,
            Err(Errno::EAGAIN) => {
                if ctl.stop.load(Ordering::Acquire) {
                    return Err(io::Error::other("closed"));
                }
                let mut fds = [PollFd::new(s.as_fd(), PollFlags::POLLOUT)];
                match poll(&mut fds, PollTimeout::from(WRITE_WAIT_MS)) {
                    Ok(_) | Err(Errno::EINTR) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            Err(e) => return Err(e.into()),
        };
        let from_a = n.min(a.len());
        a = &a[from_a..];
        b = &b[n - from_a..];
    }
    Ok(())
}

/// Sends the outbox's frames as they are published.
fn pump(s: TcpStream, outbox: &Segment, ctl: &OutCtl) -> io::Result<()> {
    let (rc, data) = outbox.ring(0);
    let ring = Ring { ctl: rc, data, cap: outbox.ring_cap() };
    let mut tail = 0u64;
    let mut busy = false;
    loop {
        if ctl.has_partial.load(Ordering::Acquire) {
            let mut w = ctl.wlock.lock();
            send_all(&s, ctl, &w.partial, &[])?;
            w.partial.clear();
            ctl.has_partial.store(false, Ordering::Release);
        }
        if !ring.ready(tail) {
            if ctl.stop.load(Ordering::Acquire) {
                return Ok(());
            }
            if ctl.bye.load(Ordering::Acquire) {
                send_all(&s, ctl, &BYE_LINE, &[])?;
                let _ = s.shutdown(Shutdown::Write);
                return Ok(());
            }
            // Spin only right after sending (the next frame of a stream comes soon); an idle
            // writer sleeps, so hundreds of them cost nothing. Stop, goodbye and partial
            // frames ring the doorbell; the timeout is a safety net.
            let mut spins = 0;
            while busy && spins < WRITER_SPIN && !ring.ready(tail) {
                std::hint::spin_loop();
                spins += 1;
            }
            busy = false;
            if !ring.ready(tail) {
                doorbell::sleep(outbox.doorbell(), outbox.sleeping(), Duration::from_secs(1), || {
                    ring.ready(tail)
                        || ctl.stop.load(Ordering::Acquire)
                        || ctl.bye.load(Ordering::Acquire)
                        || ctl.has_partial.load(Ordering::Acquire)
                });
            }
            continue;
        }
        let mut end = tail;
        while end - tail < BATCH && ring.ready(end) {
            end += frame_len_at(&ring, end);
        }
        let (a, b) = ring.slices(tail, (end - tail) as usize);
        let mut w = ctl.wlock.lock();
        if !w.partial.is_empty() {
            send_all(&s, ctl, &w.partial, &[])?;
            w.partial.clear();
            ctl.has_partial.store(false, Ordering::Release);
        }
        send_all(&s, ctl, a, b)?;
        // Released under the lock: an empty outbox tells the MPI thread that everything
        // before its next frame is on the socket.
        ring.release(tail, end - tail);
        drop(w);
        tail = end;
        busy = true;
    }
}

fn accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    for conn in listener.incoming() {
        match conn {
            Ok(s) => {
                let sh = shared.clone();
                let spawned = std::thread::Builder::new().name("ftmpi-tcp-from".into()).spawn(move || serve_conn(sh, s));
                if let Err(e) = spawned {
                    eprintln!("ftmpi: rank {}: cannot start a thread for a TCP connection: {e}", shared.me);
                }
            }
            // Out of descriptors or an aborted handshake: the next connection may do better.
            Err(_) => std::thread::yield_now(),
        }
    }
}

fn serve_conn(shared: Arc<Shared>, mut s: TcpStream) {
    let from = s.peer_addr().map(|a| a.to_string()).unwrap_or_else(|_| "an unknown address".into());
    match admit(&shared, &mut s) {
        Ok(Some((rank, stop))) => feed(shared, rank, s, stop, from),
        // The peer uses the connection this rank is making.
        Ok(None) => {
            let _ = s.shutdown(Shutdown::Both);
        }
        Err(why) => {
            eprintln!("ftmpi: rank {} refused a connection from {from}: {why}", shared.me);
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

/// A reader thread: moves `rank`'s frames from an admitted connection into its ring until
/// the connection ends or the rank is forgotten, and reports a connection lost.
fn feed(shared: Arc<Shared>, rank: u32, s: TcpStream, stop: Arc<AtomicBool>, from: String) {
    let res = match Inbound::new(rank, s, stop.clone()) {
        Ok(inb) => {
            let inb = Arc::new(inb);
            shared.set_inbound(|v| v.push(inb.clone()));
            let own = &shared.own;
            let res = inb.run(own, shared.max_payload(), || doorbell::ring(own.doorbell(), own.sleeping()), || shared.park(), shared.kick.1.as_fd());
            shared.set_inbound(|v| v.retain(|x| !Arc::ptr_eq(x, &inb)));
            // After a goodbye only the reading half is done: this rank may still be sending
            // its last frames and its own goodbye on the same connection.
            inb.shutdown(if matches!(res, Ok(())) { Shutdown::Read } else { Shutdown::Both });
            res
        }
        Err(e) => Err(Ended::from(e)),
    };
    if !stop.load(Ordering::Acquire) {
        match res {
            Ok(()) => {}
            Err(Ended::Lost) => shared.report_lost(rank),
            Err(Ended::Malformed(why)) => {
                eprintln!("ftmpi: rank {}: closed the connection from rank {rank} ({from}): {why}", shared.me);
                shared.report_lost(rank);
            }
        }
    }
    let mut slots = shared.slots.lock();
    if let Some(a) = slots[rank as usize].active.as_mut()
        && Arc::ptr_eq(&a.stop, &stop)
    {
        a.running = false;
    }
    drop(slots);
    shared.cv.notify_all();
}

/// Authenticates a connection and admits it as the feed of one rank's ring, and for this
/// rank's frames to that rank too unless this rank already has a connection of its own for
/// them. `None`: both connected at the same time and this rank's connection is kept.
fn admit(shared: &Shared, s: &mut TcpStream) -> Result<Option<(u32, Arc<AtomicBool>)>, String> {
    let key = shared.key.as_ref().ok_or("no job key")?;
    s.set_read_timeout(Some(HANDSHAKE_TIMEOUT)).map_err(|e| e.to_string())?;
    s.set_write_timeout(Some(HANDSHAKE_TIMEOUT)).map_err(|e| e.to_string())?;
    auth::server_handshake(s, key).map_err(|e| format!("authentication failed: {e}"))?;
    let mut hello = [0u8; 24];
    s.read_exact(&mut hello).map_err(|e| format!("no hello after authentication: {e}"))?;
    if &hello[..8] != HELLO_MAGIC {
        return Err("bad hello".into());
    }
    let rank = u32::from_le_bytes([hello[8], hello[9], hello[10], hello[11]]);
    let inc = u32::from_le_bytes([hello[12], hello[13], hello[14], hello[15]]);
    let mut cap = [0u8; 8];
    cap.copy_from_slice(&hello[16..24]);
    let cap = u64::from_le_bytes(cap);
    if rank as usize >= shared.own.nrings() || rank == shared.me {
        return Err(format!("it claims to be rank {rank}"));
    }
    if cap != shared.own.ring_cap() as u64 {
        return Err(format!("rank {rank} has rings of {cap} bytes, this rank {} (FTMPI_SHM_RING_BYTES differs)", shared.own.ring_cap()));
    }
    let deadline = Instant::now() + ADMIT_TIMEOUT;
    let mut slots = shared.slots.lock();
    loop {
        let slot = &slots[rank as usize];
        if inc < slot.expected_inc {
            return Err(format!("rank {rank} incarnation {inc} has been replaced by incarnation {}", slot.expected_inc));
        }
        if inc == slot.expected_inc {
            // Both sides connecting at once: the lower rank's connection is kept. This
            // rank's, if it is being made or made (an open writer always has one).
            if slot.sending != Sending::Idle && rank > shared.me {
                drop(slots);
                let _ = s.write_all(&admission(ADMIT_USE_YOURS, shared.me, shared.inc));
                return Ok(None);
            }
            if slot.active.is_none() {
                break;
            }
        }
        if shared.cv.wait_until(&mut slots, deadline).timed_out() {
            return Err(format!("rank {rank} (incarnation {inc}) is already connected"));
        }
    }
    // Options are the socket's, shared by its clones: this rank's writer may write on it
    // for as long as it takes.
    s.set_read_timeout(None).and_then(|_| s.set_write_timeout(None)).and_then(|_| s.set_nodelay(true)).map_err(|e| e.to_string())?;
    let stop = Arc::new(AtomicBool::new(false));
    let stream = s.try_clone().map_err(|e| e.to_string())?;
    slots[rank as usize].active = Some(Active { stop: stop.clone(), stream, running: true });
    // The ack goes out under the lock: once this rank's writer can take the connection
    // (`both_ways_stream`), the ack byte is ahead of any frame on it.
    // Nothing of this rank's towards it yet, or its connection lost the tie: this one
    // carries both ways.
    let admitted = s.write_all(&admission(ADMIT_BOTH_WAYS, shared.me, shared.inc));
    drop(slots);
    shared.cv.notify_all();
    if admitted.is_err() {
        // Admitted but gone: the reader sees the end at once and reports the peer.
        let _ = s.shutdown(Shutdown::Both);
    }
    Ok(Some((rank, stop)))
}

pub enum Ended {
    Lost,
    Malformed(String),
}

impl From<io::Error> for Ended {
    fn from(_: io::Error) -> Ended {
        Ended::Lost
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::shm::ring::TxState;
    use crate::transport::wire::Header;
    use crate::transport::wire::Kind;

    #[test]
    fn transport_names() {
        assert_eq!(Mode::parse(None), Ok(Mode::Auto));
        assert_eq!(Mode::parse(Some("auto")), Ok(Mode::Auto));
        assert_eq!(Mode::parse(Some("tcp")), Ok(Mode::Tcp));
        assert!(Mode::parse(Some("udp")).unwrap_err().contains("not a transport"));
    }

    fn key(b: u8) -> JobKey {
        JobKey::from_hex(&format!("{b:02x}").repeat(32)).unwrap()
    }

    fn segment(ring_cap: usize) -> Arc<Segment> {
        Arc::new(Segment::private(2, ring_cap).unwrap())
    }

    fn eager(src: u32, tag: i32, len: usize) -> Header {
        Header { src, tag, len: len as u64, msg_len: len as u64, ..Header::new(Kind::Eager) }
    }

    /// Writes a frame into an outbox as `ShmTransport::try_send` does.
    fn put(ring: &Ring<'_>, tx: &mut TxState, h: &Header, payload: &[u8]) -> bool {
        let flen = padded(h.wire_len() + payload.len());
        if ring.free(tx, flen) < flen {
            return false;
        }
        ring.write_at(tx.head + 8, &h.encode()[8..h.wire_len()]);
        ring.write_at(tx.head + h.wire_len() as u64, payload);
        ring.publish(tx.head);
        tx.head += flen as u64;
        true
    }

    /// Receiving rank 1 with a listener; returns the bridge and its segment.
    fn receiver(k: JobKey) -> (Bridge, Arc<Segment>) {
        let seg = segment(16 * 1024);
        let mut b = Bridge::new(1, 0, seg.clone(), "127.0.0.1".parse().unwrap(), Some(k)).unwrap();
        b.serve().unwrap();
        (b, seg)
    }

    #[test]
    fn frames_cross_the_bridge_in_order_with_back_pressure() {
        let (rx, rseg) = receiver(key(7));
        let sseg = segment(16 * 1024);
        let tx_bridge = Bridge::new(0, 0, sseg, "127.0.0.1".parse().unwrap(), Some(key(7))).unwrap();
        let outbox = Arc::new(Segment::private(1, 16 * 1024).unwrap());
        let out = tx_bridge.connect(1, rx.addr().unwrap(), outbox.clone()).unwrap();
        let (oc, od) = outbox.ring(0);
        let oring = Ring { ctl: oc, data: od, cap: outbox.ring_cap() };
        let mut otx = TxState::default();
        let (ic, id) = rseg.ring(0);
        let iring = Ring { ctl: ic, data: id, cap: rseg.ring_cap() };
        let mut tail = 0u64;
        let mut sent = 0;
        let mut got = 0;
        // Far more than both rings hold, with sizes that cross the wrap at different places.
        let size = |i: i32| (i as usize * 37) % 4000;
        while got < 300 {
            while sent < 300 {
                let p: Vec<u8> = (0..size(sent)).map(|j| (j as i32 + sent) as u8).collect();
                if !put(&oring, &mut otx, &eager(0, sent, p.len()), &p) {
                    break;
                }
                doorbell::ring(outbox.doorbell(), outbox.sleeping());
                sent += 1;
            }
            if !iring.ready(tail) {
                std::thread::yield_now();
                continue;
            }
            let (a, b) = iring.slices(tail, HEADER_LEN);
            let mut raw = [0u8; HEADER_LEN];
            raw[..a.len()].copy_from_slice(a);
            raw[a.len()..].copy_from_slice(b);
            let h = Header::decode(&raw, 0, 4096).unwrap();
            assert_eq!(h.tag, got);
            let (a, b) = iring.slices(tail + h.wire_len() as u64, h.len as usize);
            let want: Vec<u8> = (0..size(got)).map(|j| (j as i32 + got) as u8).collect();
            assert_eq!([a, b].concat(), want);
            let flen = padded(h.wire_len() + h.len as usize) as u64;
            iring.release(tail, flen);
            tail += flen;
            got += 1;
        }
        assert!(!rx.has_news());
        out.close();
        out.wait_closed(Instant::now() + Duration::from_secs(10));
        assert!(!out.broken());
    }

    /// Connects to `addr` as rank 0 and authenticates with `k`.
    fn raw_client(addr: SocketAddr, k: &JobKey) -> Result<TcpStream, auth::AuthError> {
        let mut s = TcpStream::connect(addr)?;
        s.set_read_timeout(Some(Duration::from_secs(10)))?;
        auth::client_handshake(&mut s, k)?;
        Ok(s)
    }

    #[test]
    fn a_wrong_key_is_refused_and_the_listener_keeps_serving() {
        let (rx, _seg) = receiver(key(1));
        assert!(raw_client(rx.addr().unwrap(), &key(2)).is_err());
        // Not even a handshake.
        let mut s = TcpStream::connect(rx.addr().unwrap()).unwrap();
        s.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
        s.shutdown(Shutdown::Write).unwrap();
        let mut buf = Vec::new();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let _ = s.read_to_end(&mut buf);
        // The right key still gets in, and is admitted.
        let mut s = raw_client(rx.addr().unwrap(), &key(1)).unwrap();
        s.write_all(&hello_bytes(0, 0, 16 * 1024)).unwrap();
        let mut ack = [0u8; ADMISSION_LEN];
        s.read_exact(&mut ack).unwrap();
        assert_eq!(ack, admission(ADMIT_BOTH_WAYS, 1, 0));
    }

    #[test]
    fn a_malformed_frame_closes_the_connection_and_loses_the_peer() {
        let (rx, seg) = receiver(key(3));
        let mut s = raw_client(rx.addr().unwrap(), &key(3)).unwrap();
        s.write_all(&hello_bytes(0, 0, 16 * 1024)).unwrap();
        let mut ack = [0u8; ADMISSION_LEN];
        s.read_exact(&mut ack).unwrap();
        // A frame that says it comes from rank 5 on rank 0's connection.
        let mut line = [0u8; 64];
        line[8..32].copy_from_slice(&eager(5, 1, 0).encode()[8..32]);
        s.write_all(&line).unwrap();
        let mut rest = Vec::new();
        let _ = s.read_to_end(&mut rest);
        // Closed: the peer is reported exactly once, and nothing reached the ring.
        let (c, d) = seg.ring(0);
        assert!(!Ring { ctl: c, data: d, cap: seg.ring_cap() }.ready(0));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !rx.has_news() && Instant::now() < deadline {
            std::thread::yield_now();
        }
        assert_eq!(rx.take_lost(), vec![0]);
        // A second connection from rank 0 waits for rank 0 to be forgotten.
        rx.forget(0, || {});
        let mut s = raw_client(rx.addr().unwrap(), &key(3)).unwrap();
        s.write_all(&hello_bytes(0, 0, 16 * 1024)).unwrap();
        s.read_exact(&mut ack).unwrap();
        assert_eq!(ack, admission(ADMIT_BOTH_WAYS, 1, 0));
    }

    /// Waits for the next frame in `seg`'s ring for rank `from` and returns its tag.
    fn next_tag(seg: &Segment, from: u32, tail: &mut u64) -> i32 {
        let (c, d) = seg.ring(from as usize);
        let ring = Ring { ctl: c, data: d, cap: seg.ring_cap() };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !ring.ready(*tail) {
            assert!(Instant::now() < deadline, "no frame from rank {from}");
            std::thread::yield_now();
        }
        let (a, b) = ring.slices(*tail, HEADER_LEN);
        let mut raw = [0u8; HEADER_LEN];
        raw[..a.len()].copy_from_slice(a);
        raw[a.len()..].copy_from_slice(b);
        let h = Header::decode(&raw, from, 4096).unwrap();
        let flen = padded(h.wire_len() + h.len as usize) as u64;
        ring.release(*tail, flen);
        *tail += flen;
        h.tag
    }

    /// One of two ranks: serving, with an outbox towards the other.
    struct Side {
        me: u32,
        bridge: Bridge,
        seg: Arc<Segment>,
        outbox: Arc<Segment>,
        tx: TxState,
        tail: u64,
    }

    impl Side {
        fn new(me: u32, k: JobKey) -> Side {
            let seg = segment(16 * 1024);
            let mut bridge = Bridge::new(me, 0, seg.clone(), "127.0.0.1".parse().unwrap(), Some(k)).unwrap();
            bridge.serve().unwrap();
            let outbox = Arc::new(Segment::private(1, 16 * 1024).unwrap());
            Side { me, bridge, seg, outbox, tx: TxState::default(), tail: 0 }
        }

        fn connect(&self, other: &Side) -> Outbound {
            self.bridge.connect(other.me, other.bridge.addr().unwrap(), self.outbox.clone()).unwrap()
        }

        fn send(&mut self, tag: i32) {
            let (c, d) = self.outbox.ring(0);
            let ring = Ring { ctl: c, data: d, cap: self.outbox.ring_cap() };
            assert!(put(&ring, &mut self.tx, &eager(self.me, tag, 8), &[7u8; 8]));
            doorbell::ring(self.outbox.doorbell(), self.outbox.sleeping());
        }

        fn recv(&mut self, from: u32) -> i32 {
            next_tag(&self.seg, from, &mut self.tail)
        }

        fn connections(&self) -> usize {
            self.bridge.shared.inbound.lock().len()
        }
    }

    /// One connection carries both directions: made by whoever sends first, and when both
    /// connect at the same moment, the lower rank's is kept and the other withdrawn.
    #[test]
    fn two_ranks_share_one_connection_even_when_both_connect_at_once() {
        for round in 0..20 {
            let (mut a, mut b) = (Side::new(0, key(9)), Side::new(1, key(9)));
            let (oa, ob) = match round % 3 {
                // Both at once.
                0 => (a.connect(&b), b.connect(&a)),
                1 => {
                    let ob = b.connect(&a);
                    (a.connect(&b), ob)
                }
                // Rank 1 first; rank 0 answers once the first frame is in.
                _ => {
                    let ob = b.connect(&a);
                    b.send(1000);
                    assert_eq!(a.recv(1), 1000);
                    (a.connect(&b), ob)
                }
            };
            for i in 0..3 {
                a.send(round * 10 + i);
                b.send(round * 10 + i + 5);
            }
            for i in 0..3 {
                assert_eq!(b.recv(0), round * 10 + i);
                assert_eq!(a.recv(1), round * 10 + i + 5);
            }
            assert_eq!((a.connections(), b.connections()), (1, 1), "round {round}");
            // Goodbyes both ways on the one connection: neither side takes it for a failure.
            oa.close();
            ob.close();
            let deadline = Instant::now() + Duration::from_secs(10);
            oa.wait_closed(deadline);
            ob.wait_closed(deadline);
            assert!(!oa.broken() && !ob.broken());
            while a.connections() + b.connections() > 0 {
                assert!(Instant::now() < deadline, "round {round}: the readers did not see the goodbyes");
                std::thread::yield_now();
            }
            assert!(!a.bridge.has_news() && !b.bridge.has_news(), "round {round}");
        }
    }

    /// A rank that only receives says goodbye on the connection its peer made, at
    /// `MPI_Finalize`, so that its exit is not taken for a failure.
    #[test]
    fn a_rank_that_never_sent_says_goodbye_on_its_peers_connection() {
        let (mut a, mut b) = (Side::new(0, key(5)), Side::new(1, key(5)));
        let oa = a.connect(&b);
        a.send(42);
        assert_eq!(b.recv(0), 42);
        oa.close();
        b.bridge.goodbye_unsent();
        let deadline = Instant::now() + Duration::from_secs(10);
        oa.wait_closed(deadline);
        while a.connections() + b.connections() > 0 {
            assert!(Instant::now() < deadline, "a reader did not see its goodbye");
            std::thread::yield_now();
        }
        assert!(!oa.broken() && !a.bridge.has_news() && !b.bridge.has_news());
    }

    /// A listener that turns out to be another rank (a process on a reused address) is not
    /// read from: the connection fails and the rank meant is reported lost.
    #[test]
    fn a_connection_that_reaches_another_rank_is_not_used() {
        let (a, c) = (Side::new(0, key(6)), Side::new(2, key(6)));
        let out = a.bridge.connect(1, c.bridge.addr().unwrap(), a.outbox.clone()).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !a.bridge.has_news() {
            assert!(Instant::now() < deadline, "the wrong rank was not noticed");
            std::thread::yield_now();
        }
        assert_eq!(a.bridge.take_lost(), vec![1]);
        assert!(out.broken());
        assert_eq!(a.connections(), 0);
    }

    #[test]
    fn a_stale_incarnation_is_refused() {
        let (rx, _seg) = receiver(key(4));
        rx.expect(0, 2);
        let mut s = raw_client(rx.addr().unwrap(), &key(4)).unwrap();
        s.write_all(&hello_bytes(0, 1, 16 * 1024)).unwrap();
        let mut ack = [0u8; ADMISSION_LEN];
        assert!(s.read_exact(&mut ack).is_err());
    }
}
