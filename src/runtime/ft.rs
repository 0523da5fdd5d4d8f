//! Fault tolerance in the rank: the control thread that listens to `mpirun`, what a failure
//! event does to communicators and pending operations, the checks every operation passes,
//! and recovery (`MPI_Comm_dup` and friends on a communicator with failed members).
//!
//! `mpirun` sees every death first (waitpid), numbers it and sends it to every live rank on
//! the bootstrap connection, so all ranks learn of failures in the same order. A control
//! thread reads that connection, queues what it reads and rings this rank's doorbell; the
//! MPI thread applies the events at its next progress (one atomic load when nothing came).
//! Recovery is an agreement run by `mpirun` (see `launcher::proto::Msg::Recover`): it knows
//! first-hand who is alive, so a death during recovery only changes the outcome, and a
//! REBUILD restarts the dead there.
#![forbid(unsafe_code)]

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::abi::consts as c;
use crate::core::comm::Group;
use crate::core::error::{MpiError, Result};
use crate::ft::modes::{CommMode, MsgMode};
use crate::ft::state::{Cause, CommState, WorldFt, repair};
use crate::launcher::proto::{self, Msg};
use crate::transport::shm::Waker;

use super::Runtime;
use super::comms::{Comm, WORLD};
use super::p2p::Half;
use super::requests::{Body, RecvStage, Status};

use crate::launcher::proto::MODE_AGREE;
/// Set in `Recover.context` of strict-collective agreements, apart from recoveries.
pub const AGREE_CONTEXT: u32 = 1 << 31;

/// What the control thread hands to the MPI thread.
#[derive(Default)]
pub struct Inbox {
    /// Bumped after each message queued: the MPI thread's cheap "anything new?" check.
    bell: AtomicU64,
    queue: Mutex<VecDeque<Msg>>,
    /// The connection to mpirun broke.
    closed: AtomicBool,
}

/// Longest wait for the rest of a failed TCP peer's stream.
const TCP_DRAIN: std::time::Duration = std::time::Duration::from_millis(50);

impl Inbox {
    fn push(&self, m: Msg) {
        self.queue.lock().push_back(m);
        self.bell.fetch_add(1, Ordering::Release);
    }
}

/// Starts the thread that reads `mpirun`'s messages for the rest of the process's life.
pub fn start_control(mut stream: super::bootstrap::BootStream, inbox: Arc<Inbox>, waker: Waker) -> Result<()> {
    std::thread::Builder::new()
        .name("ftmpi-control".into())
        .spawn(move || {
            loop {
                match proto::read_msg(&mut stream) {
                    Ok(m) => inbox.push(m),
                    Err(_) => {
                        inbox.closed.store(true, Ordering::Release);
                        inbox.bell.fetch_add(1, Ordering::Release);
                        waker.wake();
                        return;
                    }
                }
                waker.wake();
            }
        })
        .map(|_| ())
        .map_err(|e| MpiError::other(format!("cannot start the control thread: {e}")))
}

/// An agreed recovery, as `mpirun` sent it.
#[derive(Debug, Clone)]
pub struct Agreed {
    pub context: u32,
    pub round: u32,
    pub ok: bool,
    pub failed: Vec<u32>,
    pub dup_context: u32,
    pub rejoined: Vec<(u32, u32, u32, Vec<u8>)>,
    pub message: String,
}

impl Agreed {
    pub fn from_msg(m: Msg) -> Option<Agreed> {
        match m {
            Msg::Recovered { context, round, ok, failed, dup_context, rejoined, message } => {
                Some(Agreed { context, round, ok, failed, dup_context, rejoined, message })
            }
            _ => None,
        }
    }
}

/// Fault-tolerance state of this rank.
pub struct Ft {
    pub world: WorldFt,
    pub inbox: Arc<Inbox>,
    seen: u64,
    pub job_comm_mode: CommMode,
    pub job_msg_mode: MsgMode,
    pub coll_strict: bool,
    agreed: Vec<Agreed>,
    pub finalize_ack: bool,
    /// This process replaced a failed one (REBUILD).
    pub restarted: bool,
    /// For a restarted process: the context of the duplicate the survivors made in the
    /// recovery it joined, handed out by its first `MPI_Comm_dup(MPI_COMM_WORLD)`.
    pub world_dup: Option<u32>,
    /// `*newcomm` held `FT_MPI_CHECK_RECOVER` on entry to the current dup.
    pub check_recover: bool,
    /// How long a recovery may take before it fails.
    pub recovery_timeout: Duration,
    /// Peers reported to mpirun as vanished (once each per incarnation).
    suspected: Vec<bool>,
    /// Receives whose sender vanished under them: failed by that sender's failure event.
    pub awaiting_failure: Vec<(u32, u32)>,
}

impl Ft {
    pub fn new(size: usize) -> Ft {
        let env = |n: &str| std::env::var(n).ok();
        let secs = env("FTMPI_RECOVERY_TIMEOUT").and_then(|v| v.parse::<f64>().ok()).filter(|s| *s > 0.0).unwrap_or(60.0);
        Ft {
            world: WorldFt::new(size),
            inbox: Arc::new(Inbox::default()),
            seen: 0,
            job_comm_mode: env(proto::env::COMM_MODE).and_then(|s| CommMode::parse(&s)).unwrap_or_default(),
            job_msg_mode: env(proto::env::MSG_MODE).and_then(|s| MsgMode::parse(&s)).unwrap_or_default(),
            coll_strict: env(proto::env::COLL_STRICT).is_some_and(|v| v == "1"),
            agreed: Vec::new(),
            finalize_ack: false,
            restarted: false,
            world_dup: None,
            check_recover: false,
            recovery_timeout: Duration::from_secs_f64(secs),
            suspected: vec![false; size],
            awaiting_failure: Vec::new(),
        }
    }

    /// True when the control thread queued something not yet applied.
    pub fn inbox_pending(&self) -> bool {
        self.inbox.bell.load(Ordering::Acquire) != self.seen
    }

    fn take_agreed(&mut self, context: u32, round: u32) -> Option<Agreed> {
        let i = self.agreed.iter().position(|a| a.context == context && a.round == round)?;
        Some(self.agreed.swap_remove(i))
    }

    fn has_agreed(&self, context: u32, round: u32) -> bool {
        self.agreed.iter().any(|a| a.context == context && a.round == round)
    }
}

fn failure(detail: impl Into<String>) -> MpiError {
    MpiError::other(detail)
}

impl Runtime {
    /// Applies what the control thread queued. Cheap when nothing came.
    pub fn ft_poll(&mut self) -> Result<bool> {
        let bell = self.ft.inbox.bell.load(Ordering::Acquire);
        if bell == self.ft.seen {
            return Ok(false);
        }
        self.ft.seen = bell;
        loop {
            let m = self.ft.inbox.queue.lock().pop_front();
            let Some(m) = m else { break };
            match m {
                Msg::Failure { seq, rank, incarnation, how, value } => {
                    self.on_failure(seq, rank, incarnation, Cause::from_wire(how, value))
                }
                m @ Msg::Recovered { .. } => {
                    if let Some(a) = Agreed::from_msg(m) {
                        self.ft.agreed.push(a);
                    }
                }
                Msg::FinalizeAck => self.ft.finalize_ack = true,
                Msg::Revoke { context, rank } => self.on_revoke(context, rank),
                other => eprintln!("ftmpi: rank {}: unexpected {} message from mpirun ignored", self.info.rank, other.name()),
            }
        }
        if self.ft.inbox.closed.load(Ordering::Acquire) && !self.ft.finalize_ack {
            eprintln!("ftmpi: rank {}: mpirun has gone away; exiting", self.info.rank);
            std::process::exit(1);
        }
        Ok(true)
    }

    /// Tells mpirun that failures are survivable on `MPI_COMM_WORLD`.
    pub fn announce_mode(&mut self, comm_mode: CommMode, msg_mode: MsgMode) -> Result<()> {
        let m = Msg::Mode { comm_mode: comm_mode.value() as u8, msg_mode: msg_mode.value() as u8 };
        match self.boot.as_mut() {
            Some(b) => b.send(&m),
            None => Ok(()),
        }
    }

    /// The transport saw `world` vanish: mpirun makes sure it is dead, and then the failure
    /// reaches everyone as an ordinary event.
    pub fn suspect(&mut self, world: u32) {
        match self.ft.suspected.get_mut(world as usize) {
            Some(s) if !*s => *s = true,
            _ => return,
        }
        let incarnation = self.ft.world.incarnation.get(world as usize).copied().unwrap_or(0);
        if let Some(b) = self.boot.as_mut() {
            let _ = b.send(&Msg::Suspect { rank: world, incarnation });
        }
    }

    /// Takes in everything `world` has already put into its ring for this rank, and over TCP
    /// what is still in the socket: a killed process's last frames are on their way, and its
    /// end of stream follows them (a lost host's never comes: [`TCP_DRAIN`] bounds the wait).
    fn deliver_sent_by(&mut self, world: u32) {
        let deadline = std::time::Instant::now() + TCP_DRAIN;
        loop {
            while let Some(Ok(f)) = self.shm.poll_frame_from(world) {
                let _ = self.handle_frame(f);
            }
            if !self.shm.drain_tcp_step(world, deadline) {
                break;
            }
        }
        while let Some(Ok(f)) = self.shm.poll_frame_from(world) {
            let _ = self.handle_frame(f);
        }
    }

    /// World rank `world` (in `incarnation`) failed.
    fn on_failure(&mut self, seq: u64, world: u32, incarnation: u32, cause: Cause) {
        if world == self.info.rank || !self.ft.world.fail(seq, world, incarnation, cause) {
            return;
        }
        // What it sent before it died still counts (CONT delivers it); then its ring starts
        // over for a successor, and nothing more goes to it.
        self.deliver_sent_by(world);
        self.shm.forget_peer(world);
        // Its rendezvous messages not yet matched can never be read now: they were never
        // sent, as far as a receiver can tell (eager ones, whole here, stay deliverable).
        self.matching.drop_unexpected(|e, u| e.src == world && matches!(u, super::Unexpected::Rts { .. }));
        let dropped = self.pending[world as usize].len();
        self.pending[world as usize].clear();
        self.npending -= dropped;

        let what = cause.describe();
        let mut abort_in = None;
        for ci in self.comms.ids() {
            let Some(cm) = self.comms.get_mut(ci) else { continue };
            let Some(r) = cm.peer_group().rank_of(world).or_else(|| cm.group.rank_of(world)) else { continue };
            if cm.ft.comm_mode == CommMode::Abort {
                abort_in = Some(if cm.name.is_empty() { format!("communicator {ci}") } else { cm.name.clone() });
                continue;
            }
            cm.ft.on_failure(r);
        }
        if let Some(name) = abort_in {
            let msg = format!("rank {world} {what}; {name} is in ABORT mode, so the job ends");
            eprintln!("ftmpi: rank {}: {msg}", self.info.rank);
            if let Some(b) = self.boot.as_mut() {
                b.abort(1, &msg);
            }
            std::process::exit(1);
        }
        if let Some(s) = self.ft.suspected.get_mut(world as usize) {
            *s = false;
        }
        let waiting: Vec<u32> = self.ft.awaiting_failure.iter().filter(|(_, w)| *w == world).map(|(r, _)| *r).collect();
        self.ft.awaiting_failure.retain(|(_, w)| *w != world);
        for rid in waiting {
            self.fail_request(rid, format!("world rank {world} {what} while its message was being read"), None);
        }
        self.fail_requests(world, &what);
    }

    /// World rank `world` joined a recovery of the communicator with `context` that this
    /// process has not joined yet: what waits on that member fails (it answers nothing
    /// before the recovery), and so do collectives, which need it.
    fn on_revoke(&mut self, context: u32, world: u32) {
        let Some(ci) = self.comms.ids().into_iter().find(|&i| self.comms.get(i).is_some_and(|c| c.id == context && !c.is_inter()))
        else {
            return;
        };
        let cm = self.comms.get_mut(ci).expect("found");
        if cm.ft.state == CommState::Recover || cm.group.rank_of(world).is_none() {
            return;
        }
        if !cm.ft.recovering.contains(&world) {
            cm.ft.recovering.push(world);
        }
        // What it sent before it joined is in its ring already: deliver that first.
        self.deliver_sent_by(world);
        let Some(cm) = self.comms.get_mut(ci) else { return };
        cm.ft.state = CommState::Detected;
        cm.ft.sync_attrs();
        self.ft.world.any = true;
        let coll_ctx = cm.coll_ctx();
        let rank = cm.group.rank_of(world).unwrap_or(0);
        let name = cm.display_name().to_string();
        for rid in self.reqs.ids() {
            let Some(r) = self.reqs.get(rid) else { continue };
            if r.done || r.comm != ci {
                continue;
            }
            let hit = match &r.body {
                Body::Send(s) => s.dest == world || s.context == coll_ctx,
                Body::Recv(q) => q.pattern.src == Some(world) || q.pattern.context == coll_ctx,
                Body::Null => false,
            };
            if hit {
                self.fail_request(rid, format!("rank {rank} of {name} is recovering it; recover it with MPI_Comm_dup"), None);
            }
        }
    }

    /// Fails the pending operations a failure of `world` ends.
    fn fail_requests(&mut self, world: u32, what: &str) {
        for rid in self.reqs.ids() {
            let Some(req) = self.reqs.get(rid) else { continue };
            if req.done {
                continue;
            }
            let Some(cm) = self.comms.get(req.comm) else { continue };
            let in_comm = cm.group.rank_of(world).is_some() || cm.remote.as_ref().is_some_and(|g| g.rank_of(world).is_some());
            let nop = in_comm && cm.ft.msg_mode == MsgMode::Nop;
            let coll_ctx = cm.coll_ctx();
            let (peer, ctx) = match &req.body {
                Body::Send(s) => (Some(s.dest), s.context),
                // An MPI_ANY_SOURCE receive that matched a rendezvous is bound to its sender.
                Body::Recv(r) if r.pattern.src.is_none() && matches!(r.stage, RecvStage::Streaming { .. } | RecvStage::Coop) => {
                    (r.group.members.get(req.status.source as usize).copied(), r.pattern.context)
                }
                Body::Recv(r) => (r.pattern.src, r.pattern.context),
                Body::Null => continue,
            };
            let rank_text = cm.peer_group().rank_of(world).map(|r| format!("rank {r}")).unwrap_or_else(|| format!("world rank {world}"));
            let comm_name = cm.display_name();
            let detail = if peer == Some(world) {
                format!("{rank_text} of {comm_name} {what}")
            } else if in_comm && (nop || ctx == coll_ctx) {
                format!("{rank_text} of {comm_name} {what}; the operation cannot complete (recover with MPI_Comm_dup)")
            } else {
                continue;
            };
            self.fail_request(rid, detail, None);
        }
        // CONT: the oldest posted MPI_ANY_SOURCE receive of each communicator learns of it.
        for ci in self.comms.ids() {
            let Some(cm) = self.comms.get(ci) else { continue };
            if cm.ft.msg_mode != MsgMode::Cont || cm.ft.unreported.is_empty() {
                continue;
            }
            let ctx = cm.p2p_ctx();
            let Some(rid) = self.matching.first_posted(ctx, |p| p.src.is_none()) else { continue };
            let dead = cm.ft.unreported[0];
            let detail = format!("rank {dead} of {} {what}", cm.display_name());
            self.comms.get_mut(ci).expect("live").ft.unreported.remove(0);
            self.fail_request(rid, detail, Some(dead as i32));
        }
    }

    /// A receive whose sender, world rank `world`, is known to be dead.
    pub(super) fn fail_recv_from_dead(&mut self, rid: u32, world: u32) {
        let why = self.ft.world.dead.get(world as usize).copied().flatten().map(|c| c.describe()).unwrap_or_else(|| "failed".into());
        self.fail_request(rid, format!("world rank {world} {why} while its message was being read"), None);
    }

    /// A frame for `dest`, which is dead: nothing reads it any more. Control frames (answers
    /// to what it sent before it died) are dropped; an operation of this rank fails.
    pub(super) fn frame_to_dead(&mut self, dest: u32, on_sent: super::OnSent) {
        use super::OnSent;
        if let OnSent::Complete(rid) | OnSent::AwaitAck(rid) | OnSent::AwaitPull(rid) = on_sent {
            let why = self.ft.world.dead.get(dest as usize).copied().flatten().map(|c| c.describe()).unwrap_or_else(|| "failed".into());
            self.fail_request(rid, format!("world rank {dest} {why}"), None);
        }
    }

    /// Completes a pending request with `MPI_ERR_OTHER`, taking it out of every queue first.
    pub(super) fn fail_request(&mut self, rid: u32, detail: String, source: Option<i32>) {
        let Some(req) = self.reqs.get(rid) else { return };
        match &req.body {
            Body::Recv(r) if r.stage == RecvStage::Posted => {
                let ctx = r.pattern.context;
                self.matching.unpost(ctx, rid);
            }
            Body::Send(s) => {
                let dest = s.dest;
                self.unqueue(dest, rid);
                self.streams.retain(|&x| x != rid);
            }
            _ => {}
        }
        if let Some(req) = self.reqs.get_mut(rid) {
            req.error_detail = Some(detail);
        }
        let st = Status { source: source.unwrap_or(c::MPI_ANY_SOURCE), error: c::MPI_ERR_OTHER, ..Status::empty() };
        self.complete(rid, st);
    }

    /// The check every operation on `comm` passes before it starts: the fast path is one
    /// flag. `peer` is the rank named (or `None` for `MPI_ANY_SOURCE`). Returns the failure to
    /// report to an `MPI_ANY_SOURCE` receive under CONT, as `Ok(Some(rank))`.
    pub fn ft_gate(&mut self, comm: u32, peer: Option<u32>, half: Half, is_recv: bool) -> Result<Option<u32>> {
        let report = self.ft_check(comm, peer, half, is_recv)?;
        if report.is_some()
            && let Some(cm) = self.comms.get_mut(comm)
        {
            cm.ft.unreported.remove(0);
        }
        Ok(report)
    }

    /// [`Runtime::ft_gate`] without its effect: the CONT report it returns stays pending.
    pub fn ft_check(&self, comm: u32, peer: Option<u32>, half: Half, is_recv: bool) -> Result<Option<u32>> {
        if !self.ft.world.any {
            return Ok(None);
        }
        let cm = self.comm(comm)?;
        let name = cm.display_name().to_string();
        if half == Half::P2p
            && let Some(p) = peer
            && cm.ft.is_gap(p)
        {
            return Err(MpiError::new(
                c::MPI_ERR_RANK,
                format!("Invalid rank {p}: it is a gap left by a failed process in {name} (BLANK mode)"),
            ));
        }
        if cm.ft.state != CommState::Detected {
            // A dead peer outside a failure state (a gap, or REBUILD not yet refilled) never
            // answers: fail at once rather than wait for it.
            if let Some(p) = peer
                && let Some(&w) = cm.group_for(half).members.get(p as usize)
                && self.ft.world.is_dead(w)
            {
                return Err(failure(format!("rank {p} of {name} has failed and was not replaced")));
            }
            return Ok(None);
        }
        let dead_peer = |p: u32| cm.peer_group().members.get(p as usize).is_some_and(|&w| self.ft.world.is_dead(w));
        // Naming the dead peer itself: say how it died, in either message mode.
        if let Some(p) = peer
            && half == Half::P2p
            && dead_peer(p)
        {
            let w = cm.peer_group().world(p);
            let why = self.ft.world.dead[w as usize].map(|c| c.describe()).unwrap_or_default();
            return Err(failure(format!("rank {p} of {name} {why}")));
        }
        let failed = || {
            let mut v: Vec<String> = Vec::new();
            for &r in &cm.ft.attrs.list_failed {
                let why = cm.group.members.get(r as usize).and_then(|&w| self.ft.world.dead.get(w as usize).copied().flatten());
                let text = match why {
                    Some(c) => format!("rank {r} {}", c.describe()),
                    None => format!("rank {r}"),
                };
                if !v.contains(&text) {
                    v.push(text);
                }
            }
            v.join("; ")
        };
        if cm.ft.msg_mode == MsgMode::Nop || half != Half::P2p {
            return Err(failure(format!(
                "{name} has failed members ({}); communication on it fails until it is recovered with MPI_Comm_dup",
                failed()
            )));
        }
        // Receives from such a member still take what it sent before (see `new_recv`).
        if let Some(p) = peer
            && !is_recv
            && cm.peer_group().members.get(p as usize).is_some_and(|w| cm.ft.recovering.contains(w))
        {
            return Err(failure(format!("rank {p} of {name} is recovering it; recover it with MPI_Comm_dup")));
        }
        match peer {
            Some(p) if dead_peer(p) => {
                let w = cm.peer_group().world(p);
                let why = self.ft.world.dead[w as usize].map(|c| c.describe()).unwrap_or_default();
                Err(failure(format!("rank {p} of {name} {why}")))
            }
            None if is_recv && !cm.ft.unreported.is_empty() => Ok(Some(cm.ft.unreported[0])),
            _ => Ok(None),
        }
    }

    /// `MPI_Start` of a persistent request after a failure: the checks its creation
    /// passed, again (it may name a rank that has died since, or its communicator may have
    /// failed or been recovered). Returns true when it completed the request at once: the
    /// CONT report of a failure to an `MPI_ANY_SOURCE` receive.
    pub fn ft_start_gate(&mut self, rid: u32) -> Result<bool> {
        let Some(req) = self.reqs.get(rid) else { return Ok(false) };
        if !req.persistent {
            return Ok(false);
        }
        let (world, ctx, is_recv) = match &req.body {
            Body::Send(s) => (Some(s.dest), s.context, false),
            Body::Recv(r) => (r.pattern.src, r.pattern.context, true),
            Body::Null => return Ok(false),
        };
        let cm = self.comm(req.comm)?;
        let half = if ctx == cm.p2p_ctx() {
            Half::P2p
        } else if ctx == cm.coll_ctx() {
            Half::Coll
        } else {
            // Messages of an earlier epoch never match: it would wait forever.
            return Err(failure(
                "this persistent request was made before its communicator was recovered; make it again on the recovered communicator",
            ));
        };
        let peer = match world {
            Some(w) => Some(cm.group_for(half).rank_of(w).ok_or_else(|| failure(format!("world rank {w} is no longer a member of the communicator")))?),
            None => None,
        };
        let comm = req.comm;
        let Some(dead) = self.ft_gate(comm, peer, half, is_recv)? else { return Ok(false) };
        let detail = self.ft_report_text(comm, dead);
        if let Some(r) = self.reqs.get_mut(rid) {
            r.active = true;
            r.done = true;
            r.status = Status { source: dead as i32, error: c::MPI_ERR_OTHER, ..Status::empty() };
            r.error_detail = Some(detail);
        }
        Ok(true)
    }

    /// What a failure makes of `MPI_Probe`/`MPI_Iprobe` on `comm` (`src` a rank or
    /// `MPI_ANY_SOURCE`): the checks of a receive, so a probe never waits for a dead sender,
    /// and under CONT a probe for `MPI_ANY_SOURCE` takes the report of a failure, like a
    /// receive would (the loop "probe, then receive what it found" then learns of each
    /// failure once). `Ok(Some)` is that report: an error status naming the dead rank.
    pub fn probe_gate(&mut self, comm: u32, src: i32) -> Result<Option<(Status, String)>> {
        let peer = (src != c::MPI_ANY_SOURCE).then_some(src as u32);
        Ok(self.ft_gate(comm, peer, Half::P2p, true)?.map(|dead| {
            let st = Status { source: dead as i32, error: c::MPI_ERR_OTHER, ..Status::empty() };
            (st, self.ft_report_text(comm, dead))
        }))
    }

    /// True when [`Runtime::probe_gate`] would end a probe now: what a blocked probe waits
    /// for besides a message.
    pub fn probe_ends(&self, comm: u32, src: i32) -> bool {
        let peer = (src != c::MPI_ANY_SOURCE).then_some(src as u32);
        self.ft.world.any && !matches!(self.ft_check(comm, peer, Half::P2p, true), Ok(None))
    }

    /// A probe naming a member that is inside a recovery of `comm`: nothing more will come
    /// from it (what it sent before has been looked at already).
    pub fn probe_recovering(&self, comm: u32, src: i32) -> Result<()> {
        if !self.ft.world.any || src < 0 {
            return Ok(());
        }
        let Some(cm) = self.comms.get(comm) else { return Ok(()) };
        match cm.peer_group().members.get(src as usize) {
            Some(w) if cm.ft.recovering.contains(w) => Err(failure(format!(
                "rank {src} of {} is recovering it; recover it with MPI_Comm_dup",
                cm.display_name()
            ))),
            _ => Ok(()),
        }
    }

    /// The text for a CONT report to an `MPI_ANY_SOURCE` receive.
    pub fn ft_report_text(&self, comm: u32, rank: u32) -> String {
        let cm = self.comms.get(comm);
        let name = cm.map(|c| c.display_name().to_string()).unwrap_or_default();
        let why = cm
            .and_then(|c| c.peer_group().members.get(rank as usize).copied())
            .and_then(|w| self.ft.world.dead.get(w as usize).copied().flatten())
            .map(|c| c.describe())
            .unwrap_or_else(|| "failed".into());
        format!("rank {rank} of {name} {why}")
    }

    /// Does `comm` need a recovery before it can be duplicated or split?
    fn needs_recovery(&self, cm: &Comm) -> bool {
        matches!(cm.ft.state, CommState::Detected | CommState::Failed | CommState::Recover)
    }

    /// Runs a recovery of `ci` if it needs one (or `forced`, for `FT_MPI_CHECK_RECOVER`).
    /// Repairs `ci` in place and returns the agreed context id for a duplicate.
    pub fn recover_if_needed(&mut self, ci: u32, forced: bool) -> Result<Option<u32>> {
        let cm = self.comm(ci)?;
        if !(forced || self.needs_recovery(cm)) {
            return Ok(None);
        }
        if cm.is_inter() {
            return Err(MpiError::new(c::MPI_ERR_COMM, "an intercommunicator with failed members cannot be recovered; recover the intracommunicators it was made from"));
        }
        if self.boot.is_none() {
            // A singleton has nobody to agree with.
            let id = self.take_context(&self.ctx_pool.mask())?;
            return Ok(Some(id));
        }
        let started = Instant::now();
        let deadline = started + self.ft.recovery_timeout;
        let context = cm.id;
        let mode = cm.ft.comm_mode;
        let members: Vec<u32> = cm.group.members.to_vec();
        let round = cm.ft.round + 1;
        {
            let cm = self.comms.get_mut(ci).expect("checked");
            cm.ft.round = round;
            cm.ft.state = CommState::Recover;
        }
        let mask = self.ctx_pool.mask();
        let Some(agreed) = self.agree(context, round, mode.value() as u8, &members, mask, deadline)? else {
            if let Some(cm) = self.comms.get_mut(ci) {
                cm.ft.state = CommState::Failed;
                cm.ft.sync_attrs();
            }
            return Err(failure(format!(
                "recovery of {} did not complete within {:.0} s (FTMPI_RECOVERY_TIMEOUT): some members never joined it",
                self.comm(ci)?.display_name(),
                self.ft.recovery_timeout.as_secs_f64()
            )));
        };
        if !agreed.ok {
            if let Some(cm) = self.comms.get_mut(ci) {
                cm.ft.state = CommState::Failed;
                cm.ft.sync_attrs();
            }
            return Err(failure(format!("recovery failed: {}", agreed.message)));
        }
        self.apply_recovery(ci, &members, &agreed)?;
        Ok(Some(agreed.dup_context))
    }

    /// Repairs `ci` in place after an agreement.
    fn apply_recovery(&mut self, ci: u32, members: &[u32], a: &Agreed) -> Result<()> {
        let mut revived = Vec::new();
        for (rank, inc, pid, ep) in &a.rejoined {
            if *rank == self.info.rank {
                continue;
            }
            self.shm
                .replace_peer(*rank, *pid, ep)
                .map_err(|e| failure(format!("bad endpoint for respawned rank {rank} from mpirun: {e}")))?;
            self.ft.world.revive(*rank, *inc);
            revived.push(*rank);
        }
        let cm = self.comm(ci)?;
        let mode = if cm.ft.comm_mode == CommMode::Rebuild && ci != WORLD { CommMode::Blank } else { cm.ft.comm_mode };
        let rep = repair(mode, members, &a.failed, &revived);
        let old_ctx = [cm.p2p_ctx(), cm.coll_ctx()];
        // Whatever was pending on the old epoch can never complete now.
        for ctx in old_ctx {
            for rid in self.matching.retire_context(ctx) {
                self.fail_request(rid, "the communicator was recovered while this receive was pending".into(), None);
            }
        }
        for rid in self.reqs.ids() {
            if let Some(r) = self.reqs.get(rid)
                && !r.done
                && r.comm == ci
            {
                self.fail_request(rid, "the communicator was recovered while this operation was pending".into(), None);
            }
        }
        let me = self.info.rank;
        let group = Group::new(rep.members.clone());
        let rank = group.rank_of(me).ok_or_else(|| MpiError::intern("this process is not in the recovered communicator"))?;
        let extent = group.size();
        let cm = self.comms.get_mut(ci).expect("checked");
        cm.group = group;
        cm.rank = rank;
        cm.ft.recovered(extent, rep.gaps);
        cm.ft.epoch = a.round;
        Ok(())
    }

    /// `MPI_Comm_dup` of a communicator that needed recovery: the healthy duplicate, with the
    /// agreed context id.
    pub fn dup_with_context(&mut self, ci: u32, id: u32) -> Result<u32> {
        if !self.ctx_pool.take(id) {
            return Err(MpiError::intern(format!("agreed context id {id} is not free here")));
        }
        let old = self.comm(ci)?.clone();
        self.errhandlers.attach(old.errhandler);
        let mut ft = old.ft.inherit(old.size());
        ft.gaps = old.ft.gaps.clone();
        Ok(self.comms.insert(Comm { id, name: String::new(), attrs: Vec::new(), ft, ..old }))
    }

    /// Sets a communicator's modes (`FTMPI_Comm_set_mode`).
    pub fn set_modes(&mut self, ci: u32, comm_mode: CommMode, msg_mode: MsgMode) -> Result<()> {
        let cm = self.comms.get_mut(ci).ok_or_else(|| MpiError::new(c::MPI_ERR_COMM, "Invalid communicator"))?;
        cm.ft.comm_mode = comm_mode;
        cm.ft.msg_mode = msg_mode;
        cm.ft.sync_attrs();
        if ci == WORLD && comm_mode.tolerant() {
            self.announce_mode(comm_mode, msg_mode)?;
        }
        Ok(())
    }

    /// Joins the agreement (`context`, `round`) held by mpirun and waits for its outcome;
    /// `None` once `deadline` has passed. A failure event applied while waiting makes this
    /// rank join again, so that mpirun counts the join only once it knows of every failure.
    fn agree(&mut self, context: u32, round: u32, mode: u8, members: &[u32], mask: Vec<u64>, deadline: Instant) -> Result<Option<Agreed>> {
        loop {
            let seq = self.ft.world.last_seq;
            let msg = Msg::Recover { context, round, mode, members: members.to_vec(), mask: mask.clone(), seq };
            self.boot.as_mut().ok_or_else(|| MpiError::intern("no connection to mpirun"))?.send(&msg)?;
            self.wait_until(|rt| rt.ft.has_agreed(context, round) || rt.ft.world.last_seq != seq || Instant::now() > deadline)?;
            if let Some(a) = self.ft.take_agreed(context, round) {
                return Ok(Some(a));
            }
            if Instant::now() > deadline {
                return Ok(None);
            }
        }
    }

    /// Strict collectives (`--coll-strict`): every live member returns the same code, agreed
    /// through mpirun after the collective. Off by default: it costs a round trip.
    pub fn strict_agree<R>(&mut self, ci: u32, r: Result<R>) -> Result<R> {
        let Some(cm) = self.comms.get_mut(ci) else { return r };
        if !cm.ft.coll_strict || cm.is_inter() || self.boot.is_none() {
            return r;
        }
        cm.ft.coll_seq = cm.ft.coll_seq.wrapping_add(1);
        let (context, round) = (AGREE_CONTEXT | cm.id, cm.ft.coll_seq | (cm.ft.epoch << 20));
        let members = cm.group.members.to_vec();
        let deadline = Instant::now() + self.ft.recovery_timeout;
        let agreed = match self.agree(context, round, MODE_AGREE, &members, vec![r.is_ok() as u64], deadline) {
            Ok(a) => a,
            Err(e) => return r.and(Err(e)),
        };
        // The agreement alone decides: a failure this process learned of meanwhile may have
        // come after every member had finished the collective.
        let all_ok = match agreed {
            Some(a) => a.ok && a.dup_context == 1,
            None => false,
        };
        match r {
            Ok(_) if !all_ok => Err(failure(
                "a member of the communicator failed during this collective (strict mode: every live member reports it)",
            )),
            r => r,
        }
    }

    /// Address of an FT attribute's value for `ci`, or `None` for other keys.
    pub fn ft_attr(&self, ci: u32, key: i32) -> Result<Option<usize>> {
        let cm = self.comm(ci)?;
        let a = &*cm.ft.attrs;
        Ok(Some(match key {
            c::FT_MPI_COM_NUM_FAILED => &a.com_num_failed as *const i32 as usize,
            c::FT_MPI_LIST_NUM_FAILED => &a.list_num_failed as *const i32 as usize,
            c::FT_MPI_COM_FAILED => a.com_failed.as_ptr() as usize,
            c::FT_MPI_LIST_FAILED => a.list_failed.as_ptr() as usize,
            c::FTMPI_COMM_MODE => &a.comm_mode as *const i32 as usize,
            c::FTMPI_MSG_MODE => &a.msg_mode as *const i32 as usize,
            c::FTMPI_COMM_STATE => &a.state as *const i32 as usize,
            c::FTMPI_COLL_MODE => &a.coll_mode as *const i32 as usize,
            _ => return Ok(None),
        }))
    }

    /// The communicator's failure map and list (Fortran helpers).
    pub fn ft_failed(&self, ci: u32) -> Result<(Vec<i32>, Vec<i32>)> {
        let cm = self.comm(ci)?;
        Ok((cm.ft.attrs.com_failed.clone(), cm.ft.attrs.list_failed.clone()))
    }

    /// Finalize: waits until every live rank has finalized (mpirun answers then), never for
    /// the dead, while still serving what peers need of this rank.
    pub fn finalize_barrier(&mut self) -> Result<()> {
        self.wait_until(|rt| !rt.has_outbound_work())?;
        let Some(b) = self.boot.as_mut() else { return Ok(()) };
        b.send(&Msg::Finalize)?;
        self.wait_until(|rt| rt.ft.finalize_ack)
    }
}

