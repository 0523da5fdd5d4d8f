//! The driver inside each rank: owns the one global state, starts and ends the job's
//! connection, and drives point-to-point operations through the transport.
//!
//! Everything MPI-visible lives in one [`Runtime`] behind a re-entrant lock, taken once per
//! MPI call. The lock is never held while a user's error handler runs (`abi::errh` calls it
//! after the call's work is done), so a handler may `longjmp` away. A user callback that
//! calls back into MPI while the library is working (for example from a reduction function)
//! gets `MPI_ERR_INTERN` instead of a deadlock.
#![forbid(unsafe_code)]

pub mod attrs;
pub mod bootstrap;
pub mod coll;
pub mod comms;
pub mod config;
pub mod construct;
mod coop;
pub mod ft;
pub mod groups;
pub mod p2p;
pub mod progress;
pub mod requests;
pub mod types;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU8, Ordering};

use parking_lot::RawMutex;
use parking_lot::lock_api::{RawMutex as RawMutexApi, ReentrantMutex};

use crate::core::comm::{ContextPool, Group, SELF_ID, WORLD_ID};
use crate::core::error::{MpiError, Result};
use crate::core::matching::Matching;
use crate::transport::shm::ShmTransport;
use crate::transport::wire::Header;
use bootstrap::{Boot, JobInfo};
use attrs::Keyvals;
use comms::{Comm, Comms, Errhandlers};
use groups::Groups;
use config::Config;
use requests::Requests;

/// A message that arrived before its receive was posted.
#[derive(Debug)]
pub enum Unexpected {
    Eager { data: Vec<u8>, sync_sreq: Option<u64> },
    /// Only the header of a large message; its data stays with the sender.
    Rts { header: Header },
}

/// What to do once a queued frame has gone out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnSent {
    Nothing,
    Complete(u32),
    AwaitAck(u32),
    AwaitPull(u32),
}

/// A frame waiting for room in a peer's ring.
#[derive(Debug)]
pub struct Pending {
    pub header: Header,
    /// The send request whose buffer holds the payload.
    pub payload_from: Option<u32>,
    pub on_sent: OnSent,
}

/// Bookkeeping of the buffer given to MPI_Buffer_attach.
#[derive(Debug, Clone, Copy)]
pub struct BsendBuffer {
    pub addr: usize,
    pub size: usize,
    pub used: usize,
}

/// All MPI state of this process.
pub struct Runtime {
    pub info: JobInfo,
    pub config: Config,
    pub shm: ShmTransport,
    boot: Option<Boot>,
    pub reqs: Requests,
    pub matching: Matching<u32, Unexpected>,
    pending: Vec<VecDeque<Pending>>,
    npending: usize,
    streams: Vec<u32>,
    coops: Vec<coop::Coop>,
    assists: Vec<coop::Assist>,
    cma_ok: bool,
    pub comms: Comms,
    pub errhandlers: Errhandlers,
    pub ctx_pool: ContextPool,
    pub bsend: Option<BsendBuffer>,
    pub groups: Groups,
    pub keyvals: Keyvals,
    pub ft: ft::Ft,
}

const UNINIT: u8 = 0;
const RUNNING: u8 = 1;
const FINALIZED: u8 = 2;

static PHASE: AtomicU8 = AtomicU8::new(UNINIT);
/// The lock around the runtime: re-entrant (a callback into MPI gets an error, not a
/// deadlock), built at compile time, and naming threads by `pthread_self`.
type Global = ReentrantMutex<RawMutex, crate::abi::PthreadId, RefCell<Option<Runtime>>>;
static GLOBAL: Global = Global::const_new(<RawMutex as RawMutexApi>::INIT, crate::abi::PthreadId, RefCell::new(None));

/// True between MPI_Init and MPI_Finalize... and after (MPI_Initialized stays true).
pub fn initialized() -> bool {
    PHASE.load(Ordering::Acquire) != UNINIT
}

pub fn finalized() -> bool {
    PHASE.load(Ordering::Acquire) == FINALIZED
}

/// Runs `f` on the runtime; fails if MPI is not initialized or already finalized.
pub fn with<R>(f: impl FnOnce(&mut Runtime) -> Result<R>) -> Result<R> {
    match PHASE.load(Ordering::Acquire) {
        UNINIT => return Err(MpiError::other("MPI has not been initialized (call MPI_Init first)")),
        FINALIZED => return Err(MpiError::other("MPI has already been finalized")),
        _ => {}
    }
    let guard = GLOBAL.lock();
    let mut cell = guard
        .try_borrow_mut()
        .map_err(|_| MpiError::intern("an MPI function was called from a callback while the library was busy"))?;
    let rt = cell.as_mut().ok_or_else(|| MpiError::other("MPI has already been finalized"))?;
    f(rt)
}

/// Starts MPI in this process: connects to the launcher, creates the shared-memory endpoint
/// and waits for everyone else's (the fence).
pub fn init() -> Result<()> {
    let guard = GLOBAL.lock();
    if PHASE.load(Ordering::Acquire) != UNINIT {
        return Err(MpiError::other("MPI_Init was called more than once"));
    }
    // mpirun waits for SIGINT and SIGTERM with them blocked, and a child inherits the mask:
    // unblock them, so a rank gets its signals as a program started by a shell would.
    let mut fwd = nix::sys::signal::SigSet::empty();
    fwd.add(nix::sys::signal::Signal::SIGINT);
    fwd.add(nix::sys::signal::Signal::SIGTERM);
    let _ = nix::sys::signal::sigprocmask(nix::sys::signal::SigmaskHow::SIG_UNBLOCK, Some(&fwd), None);
    let info = JobInfo::from_env()?;
    let mut config = Config::from_env(info.size as usize);
    let name = format!("ftmpi-{}-{}-{}", info.jobid, info.rank, info.incarnation);
    let mut shm = ShmTransport::create(name, info.size as usize, config.ring_bytes)
        .map_err(|e| MpiError::other(format!("cannot create the shared-memory segment in /dev/shm: {e}")))?;
    crate::transport::shm::cma::allow_peers();
    let transport = crate::transport::tcp::Mode::from_env().map_err(MpiError::other)?;
    if info.socket.is_some() {
        start_tcp(&mut shm, &info, transport)?;
    }
    let mut boot = None;
    let table = match &info.socket {
        Some(path) => {
            let mut b = Boot::connect(path)?;
            let t = b.fence(&info, shm.endpoint())?;
            boot = Some(b);
            t
        }
        None => vec![(std::process::id(), shm.endpoint())],
    };
    shm.set_peers(&table).map_err(|e| MpiError::other(format!("bad endpoint table from mpirun: {e}")))?;
    if shm.uses_tcp() && std::env::var("FTMPI_SPIN_COUNT").is_err() {
        // TCP frames move through this rank's reader and writer threads: a waiting rank
        // that spins long keeps them off the cores (a 64 KiB ping-pong over loopback takes
        // a third less time, a 4 MiB one half).
        config.spin = config.spin.min(TCP_SPIN);
    }
    if info.socket.is_none() {
        shm.open_peer(0).map_err(|e| MpiError::other(format!("cannot map the shared-memory segment: {e}")))?;
        shm.unlink_own();
    }
    let size = info.size;
    let rank = info.rank;
    let mut ft = ft::Ft::new(size as usize);
    let mut comms = Comms::default();
    let errhandlers = Errhandlers::default();
    let mut world = Comm::new(WORLD_ID, Group::new((0..size).collect()), rank, "MPI_COMM_WORLD");
    world.ft = crate::ft::state::CommFt::new(size, ft.job_comm_mode, ft.job_msg_mode, ft.coll_strict);
    let mut selfc = Comm::new(SELF_ID, Group::new(vec![rank]), 0, "MPI_COMM_SELF");
    selfc.ft = world.ft.inherit(1);
    let mut ctx_pool = ContextPool::default();
    if let Some(b) = boot.as_mut() {
        if info.incarnation > 0 {
            // A respawned process: mpirun sends the outcome of the recovery it joins.
            let a = b.recovered()?;
            if !a.ok {
                return Err(MpiError::other(format!("this process was respawned, but the recovery failed: {}", a.message)));
            }
            for &(r, inc, pid, ref ep) in &a.rejoined {
                if r != rank {
                    shm.replace_peer(r, pid, ep).map_err(|e| MpiError::other(format!("bad endpoint from mpirun: {e}")))?;
                    ft.world.revive(r, inc);
                }
            }
            world.ft.epoch = a.round;
            world.ft.round = a.round;
            if ctx_pool.take(a.dup_context) {
                ft.world_dup = Some(a.dup_context);
            }
            ft.restarted = true;
        }
        let waker = shm.wake_handle().open().map_err(|e| MpiError::other(format!("cannot open this rank's doorbell: {e}")))?;
        ft::start_control(b.control_stream()?, ft.inbox.clone(), waker)?;
    }
    comms.insert(world);
    comms.insert(selfc);
    let rt = Runtime {
        cma_ok: config.cma,
        info,
        config,
        shm,
        boot,
        reqs: Requests::default(),
        matching: Matching::default(),
        pending: (0..size).map(|_| VecDeque::new()).collect(),
        npending: 0,
        streams: Vec::new(),
        coops: Vec::new(),
        assists: Vec::new(),
        comms,
        errhandlers,
        ctx_pool,
        bsend: None,
        groups: Groups::default(),
        keyvals: Keyvals::default(),
        ft,
    };
    *guard.borrow_mut() = Some(rt);
    PHASE.store(RUNNING, Ordering::Release);
    Ok(())
}

/// Empty polls before a waiting rank yields when it has TCP peers.
const TCP_SPIN: u32 = 50;

/// Prepares the TCP side of the transport before the fence: the host index and listener
/// address go into the endpoint blob (`FTMPI_HOST`, `FTMPI_TCP_ADDR`).
fn start_tcp(shm: &mut ShmTransport, info: &JobInfo, transport: crate::transport::tcp::Mode) -> Result<()> {
    use crate::launcher::proto::env;
    let host = match std::env::var(env::HOST) {
        Ok(v) => v.trim().parse::<u32>().map_err(|_| MpiError::other(format!("{}={v:?} is not a host index", env::HOST)))?,
        Err(_) => 0,
    };
    let chosen = std::env::var(env::TCP_ADDR).ok().filter(|v| !v.trim().is_empty());
    let bind: std::net::IpAddr = chosen
        .as_deref()
        .unwrap_or("127.0.0.1")
        .trim()
        .parse()
        .map_err(|_| MpiError::other(format!("{}={:?} is not an IP address", env::TCP_ADDR, chosen.as_deref().unwrap_or(""))))?;
    let key = crate::auth::JobKey::from_env();
    // An address chosen by the launcher means a job across hosts: serve from the start, so
    // a rank respawned on another host can reach this one.
    let keep = chosen.is_some() && key.is_some();
    let forced = transport == crate::transport::tcp::Mode::Tcp;
    let setup = crate::transport::shm::TcpSetup { me: info.rank, incarnation: info.incarnation, host, force_tcp: forced, bind, key, keep };
    shm.listen(setup)
        .map_err(|e| MpiError::other(format!("cannot start the TCP transport: {e}")))
}

/// Ends MPI: synchronizes with the other ranks, tells the launcher, releases the segment.
pub fn finalize() -> Result<()> {
    attrs::finalize_self()?;
    with(|rt| {
        // Through mpirun rather than a barrier on MPI_COMM_WORLD: it never waits for the dead.
        rt.finalize_barrier()?;
        // Everyone is in MPI_Finalize: TCP peers are told this is a close, not a failure.
        rt.shm.close_tcp(std::time::Duration::from_secs(5));
        rt.shm.unlink_own();
        Ok(())
    })?;
    let guard = GLOBAL.lock();
    PHASE.store(FINALIZED, Ordering::Release);
    let rt = guard.borrow_mut().take();
    drop(rt);
    Ok(())
}

/// Ends the whole job with `code`. Never returns.
pub fn abort(code: i32, message: &str) -> ! {
    if PHASE.load(Ordering::Acquire) == RUNNING {
        if let Some(guard) = GLOBAL.try_lock() {
            if let Ok(mut cell) = guard.try_borrow_mut() {
                if let Some(rt) = cell.as_mut() {
                    rt.shm.unlink_own();
                    if let Some(b) = rt.boot.as_mut() {
                        b.abort(code, message);
                    }
                }
            }
        }
    }
    std::process::exit(code & 0xff)
}

/// True in a process that replaced a failed one (REBUILD).
pub fn restarted() -> bool {
    with(|rt| Ok(rt.ft.restarted)).unwrap_or(false)
}

/// This process's world rank, when known (for messages).
pub fn world_rank() -> Option<u32> {
    if PHASE.load(Ordering::Acquire) != RUNNING {
        return None;
    }
    let guard = GLOBAL.try_lock()?;
    let cell = guard.try_borrow().ok()?;
    cell.as_ref().map(|rt| rt.info.rank)
}
