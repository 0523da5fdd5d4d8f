#![forbid(unsafe_code)]
//! The job's state machine: which ranks run, who has joined the bootstrap fence, how failures
//! are announced and recovered from, and when and why the job ends.
//!
//! It does no I/O and reads no clock, in the manner of quinn-proto: the driver in `mod.rs`
//! feeds it [`Input`]s with the current time, carries out the [`Action`]s it queues, and calls
//! [`Coordinator::handle_timeout`] once [`Coordinator::poll_timeout`] has passed. Where a rank
//! runs is not its business, so a per-host daemon can later report the same inputs.
//!
//! Rules:
//! - Before the fence completes, and at any time in a job that is not fault tolerant, the
//!   first failure ends the job: every rank is killed, one line says why, and the exit code is
//!   decided by that failure. Whatever dies afterwards is not reported.
//! - A rank exiting with code 0 is fine unless it joined the job (`Hello`) and did not
//!   `Finalize`, or it left without joining while others wait for it at the fence.
//! - A rank's exit is judged only once its bootstrap connection has drained (or after
//!   [`DRAIN_GRACE`]), so an `Abort` or `Finalize` it sent just before dying is not lost to
//!   the race between the socket reader and the process waiter.
//! - `Finalize` is a barrier: `FinalizeAck` goes out once every live rank that has its table
//!   has finalized and no recovery is under way.
//!
//! A job is fault tolerant when its communicator mode is not ABORT, or once a rank sends
//! `Mode` with a fault-tolerant mode. After the fence, a failure there does not end the job:
//! it becomes the next numbered `Failure` event for every live rank with a table, and the
//! ranks recover by agreements (`Recover` / `Recovered`) served here. In REBUILD mode dead
//! ranks are respawned with a higher incarnation; a respawned process is held (no table, no
//! events) until an agreement over `MPI_COMM_WORLD` lets it in. Held processes that no
//! agreement can let in any more (everyone else has finalized) are killed without counting as
//! failures. The exit code is 0 when every process alive at the end finalized, and the job
//! ends with a log of its failures and recoveries.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use super::options::Inject;
use super::proto::{self, Msg};

/// Names one bootstrap connection for the life of the job.
pub(crate) type ConnId = u64;

/// How long a rank's exit waits for its bootstrap connection to close. The kernel closes a
/// dead process's sockets before its parent hears of the death, so this only matters when
/// another process inherited the socket.
pub(crate) const DRAIN_GRACE: Duration = Duration::from_millis(250);

/// How long after SIGKILL the job waits for its ranks before giving up on them.
pub(crate) const KILL_GRACE: Duration = Duration::from_secs(5);

/// How many times one rank may be respawned unless `FTMPI_MAX_RESPAWNS` says otherwise.
pub(crate) const DEFAULT_MAX_RESPAWNS: u32 = 16;

/// The fault-tolerance settings of a job.
#[derive(Debug, Clone)]
pub(crate) struct FtConfig {
    /// The job's communicator mode (`proto::COMM_MODE_*`).
    pub(crate) comm_mode: u8,
    pub(crate) injections: Vec<Inject>,
    pub(crate) max_respawns: u32,
}

impl Default for FtConfig {
    fn default() -> Self {
        FtConfig {
            comm_mode: proto::COMM_MODE_ABORT,
            injections: Vec::new(),
            max_respawns: DEFAULT_MAX_RESPAWNS,
        }
    }
}

/// How a rank's process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    Code(i32),
    Signal(i32),
    /// Waiting for it failed; it is gone, but how is unknown.
    Lost,
    /// It was never started, because the job ended first.
    NotStarted,
}

/// Something that happened, reported by the driver.
#[derive(Debug)]
pub(crate) enum Input {
    Connected(ConnId),
    Message(ConnId, Msg),
    /// The connection sent something that is not a frame; the reader has stopped.
    BadFrame(ConnId, String),
    /// The connection reached end of stream or failed.
    Closed(ConnId),
    Spawned {
        rank: u32,
        pid: u32,
    },
    SpawnFailed {
        rank: u32,
        error: String,
        exit_code: u8,
    },
    Exited {
        rank: u32,
        exit: Exit,
    },
    /// SIGINT or SIGTERM reached mpirun.
    Signal(Signal),
    /// The bootstrap socket stopped accepting connections.
    ServerFailed(String),
    /// A host's daemon is gone (or never came), with these ranks' processes: they failed
    /// together, as one event.
    HostLost {
        host: String,
        reason: String,
        ranks: Vec<u32>,
    },
}

/// Something for the driver to do.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// Start the rank's process (again, when `incarnation` > 0), with the same program,
    /// arguments, directory and environment, plus its rank and incarnation.
    Spawn { rank: u32, incarnation: u32 },
    /// Write this whole frame to the connection.
    Send { conn: ConnId, frame: Arc<Vec<u8>> },
    /// Shut the connection down.
    Close(ConnId),
    /// SIGKILL every rank still running.
    KillAll,
    /// Send `signal` to the process now in `rank`, if it still runs.
    Kill { rank: u32, signal: Signal },
    /// Remove the shared-memory segment of a dead process,
    /// `/dev/shm/ftmpi-<jobid>-<rank>-<incarnation>`.
    RemoveSegment { rank: u32, incarnation: u32 },
    /// Print a line on mpirun's stderr, after `mpirun: `.
    Report(String),
}

#[derive(Debug, Default)]
struct Rank {
    incarnation: u32,
    pid: Option<u32>,
    /// The pid and endpoint its current process announced.
    hello: Option<(u32, Vec<u8>)>,
    /// The latest pid and endpoint of the rank, for tables sent after it has gone.
    entry: Option<(u32, Vec<u8>)>,
    /// Its bootstrap connection, while open.
    conn: Option<ConnId>,
    /// The current process has received the endpoint table.
    has_table: bool,
    finalized: bool,
    /// `FinalizeAck` has been sent to it.
    acked: bool,
    exit: Option<Exit>,
    /// The exit is known but waits for the connection to drain, at most until then.
    held_until: Option<Instant>,
    judged: bool,
    /// Why mpirun signalled the current process, for the failure log.
    killed_for: Option<&'static str>,
    /// The last failure event sent to this process (its joins must have applied it).
    sent_seq: u64,
    respawns: u32,
    /// Why the rank cannot be respawned again.
    no_respawn: Option<String>,
    /// A respawned process that nothing can let in any more: killed, and not a failure.
    retired: bool,
    /// The host the current process was lost with.
    lost_with: Option<String>,
}

impl Rank {
    /// A process that has its table and has not been judged dead.
    fn in_job(&self) -> bool {
        self.has_table && !self.judged
    }

    /// A respawned process that said hello and waits for an agreement to let it in.
    fn held(&self) -> bool {
        !self.has_table && self.hello.is_some() && !self.judged
    }

    fn running(&self) -> bool {
        self.pid.is_some() && self.exit.is_none()
    }
}

/// One recovery agreement, keyed by (context, round).
#[derive(Debug)]
struct Agreement {
    context: u32,
    mode: u8,
    members: Vec<u32>,
    /// Each member's incarnation when the agreement started.
    incarnations: Vec<u32>,
    /// Members that sent this `Recover`: incarnation, mask, and the last failure event
    /// they had applied.
    joined: HashMap<u32, (u32, Vec<u64>, u64)>,
    /// Members found dead (or replaced) since it started; not used for REBUILD of the world,
    /// where the dead are waited for in their new incarnation.
    failed: BTreeSet<u32>,
    started: Instant,
    /// Once complete: what a late `Recover` for it receives.
    result: Option<Arc<Vec<u8>>>,
    /// A strict-collective agreement: some member went into a recovery instead of joining.
    defected: bool,
}

/// Set in `Recover.context` of strict-collective agreements (see `runtime::ft`).
const AGREE_CONTEXT: u32 = 1 << 31;

impl Agreement {
    fn rebuilds_world(&self) -> bool {
        self.context == 0 && self.mode == proto::COMM_MODE_REBUILD
    }
}

#[derive(Debug, Clone, Copy)]
struct Ending {
    code: u8,
    give_up_at: Instant,
}

/// See the module documentation.
#[derive(Debug)]
pub(crate) struct Coordinator {
    ranks: Vec<Rank>,
    /// Open connections, and the rank each one registered as.
    conns: HashMap<ConnId, Option<u32>>,
    fence_done: bool,
    /// The job limit and when it runs out.
    timeout: Option<(Duration, Instant)>,
    ending: Option<Ending>,
    gave_up: bool,
    actions: VecDeque<Action>,

    started: Instant,
    /// The job's communicator mode.
    job_mode: u8,
    /// Failures after the fence are survivable.
    ft: bool,
    max_respawns: u32,
    /// Faults to inject, each with its deadline once the fence is done, until it fires.
    injections: Vec<(Inject, Option<Instant>)>,
    /// The last failure event's number.
    seq: u64,
    agreements: HashMap<(u32, u32), Agreement>,
    /// FinalizeAck has gone out.
    barrier_done: bool,
    failures: usize,
    recoveries: usize,
    /// The exit code of the last failure, for a job where nobody finalized.
    last_failure_code: u8,
    /// (time since the start, text) of each failure, recovery and respawn.
    log: Vec<(Duration, String)>,
    logged: bool,
}

impl Coordinator {
    /// A job of `size` ranks in ABORT mode starting at `now`; the first actions start every
    /// rank.
    #[cfg(test)]
    pub(crate) fn new(size: u32, timeout: Option<Duration>, now: Instant) -> Self {
        Self::with_ft(size, timeout, FtConfig::default(), now)
    }

    /// A job of `size` ranks starting at `now`; the first actions start every rank.
    pub(crate) fn with_ft(
        size: u32,
        timeout: Option<Duration>,
        ft: FtConfig,
        now: Instant,
    ) -> Self {
        let mut c = Coordinator {
            ranks: (0..size).map(|_| Rank::default()).collect(),
            conns: HashMap::new(),
            fence_done: false,
            timeout: timeout.map(|t| (t, now + t)),
            ending: None,
            gave_up: false,
            actions: VecDeque::new(),
            started: now,
            job_mode: ft.comm_mode,
            ft: ft.comm_mode != proto::COMM_MODE_ABORT,
            max_respawns: ft.max_respawns,
            injections: ft.injections.into_iter().map(|i| (i, None)).collect(),
            seq: 0,
            agreements: HashMap::new(),
            barrier_done: false,
            failures: 0,
            recoveries: 0,
            last_failure_code: 1,
            log: Vec::new(),
            logged: false,
        };
        for rank in 0..size {
            c.actions.push_back(Action::Spawn {
                rank,
                incarnation: 0,
            });
        }
        c
    }

    pub(crate) fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// When [`Coordinator::handle_timeout`] is next due. It changes when a rank exits with its
    /// connection open, when the fence completes (fault injection), and when the job starts to
    /// end.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        let held = self.ranks.iter().filter_map(|r| r.held_until);
        let job = match self.ending {
            Some(e) if !self.gave_up => Some(e.give_up_at),
            Some(_) => None,
            None => self.timeout.map(|(_, at)| at),
        };
        let injections = self
            .injections
            .iter()
            .filter(|_| self.ending.is_none())
            .filter_map(|(_, at)| *at);
        held.chain(job).chain(injections).min()
    }

    /// The exit code, once the job is over.
    pub(crate) fn finished(&self) -> Option<u8> {
        let code = match self.ending {
            Some(e) => e.code,
            None if self.failures > 0 && !self.ranks.iter().any(|r| r.finalized) => {
                self.last_failure_code
            }
            None => 0,
        };
        if self.gave_up || self.ranks.iter().all(|r| r.judged) {
            Some(code)
        } else {
            None
        }
    }

    pub(crate) fn handle(&mut self, input: Input, now: Instant) {
        match input {
            Input::Connected(conn) => {
                self.conns.insert(conn, None);
            }
            Input::Message(conn, msg) => self.on_message(conn, msg, now),
            Input::BadFrame(conn, error) => {
                let who = self.who(conn);
                self.reject(conn, format!("malformed frame from {who}: {error}"), now);
            }
            Input::Closed(conn) => self.close(conn, false, now),
            Input::Spawned { rank, pid } => self.on_spawned(rank, pid, now),
            Input::SpawnFailed {
                rank,
                error,
                exit_code,
            } => self.on_spawn_failed(rank, error, exit_code, now),
            Input::Exited { rank, exit } => self.on_exit(rank, exit, now),
            Input::ServerFailed(error) => {
                self.end(1, format!("bootstrap: {error}; aborting the job"), now);
            }
            Input::HostLost {
                host,
                reason,
                ranks,
            } => self.on_host_lost(host, reason, ranks, now),
            Input::Signal(signal) => {
                if self.ending.is_some() {
                    // A second signal: stop waiting for the ranks.
                    self.gave_up = true;
                } else {
                    let alive = self.alive();
                    self.end(
                        128 + signal as u8,
                        format!("caught {}; killing {}", signal.as_str(), ranks(alive)),
                        now,
                    );
                }
            }
        }
        self.progress(now);
    }

    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        for rank in 0..self.ranks.len() {
            if self.ranks[rank].held_until.is_some_and(|t| t <= now) {
                self.judge(rank, now);
            }
        }
        if self.ending.is_none() {
            self.inject(now);
        }
        match self.ending {
            None => {
                if let Some((limit, at)) = self.timeout
                    && at <= now
                {
                    let alive = self.alive();
                    self.end(
                        124,
                        format!(
                            "job timed out after {} s; killed {}",
                            limit.as_secs(),
                            ranks(alive)
                        ),
                        now,
                    );
                }
            }
            Some(e) => {
                if e.give_up_at <= now && !self.gave_up && self.finished().is_none() {
                    self.gave_up = true;
                    let left = self.ranks.iter().filter(|r| r.exit.is_none()).count();
                    self.report(format!(
                        "{} still running {} s after SIGKILL; giving up on them",
                        ranks(left),
                        KILL_GRACE.as_secs()
                    ));
                }
            }
        }
        self.progress(now);
    }

    fn on_message(&mut self, conn: ConnId, msg: Msg, now: Instant) {
        let Some(&registered) = self.conns.get(&conn) else {
            // Already closed or rejected; what it still had in flight does not count.
            return;
        };
        match (registered, msg) {
            (
                None,
                Msg::Hello {
                    rank,
                    incarnation,
                    pid,
                    endpoint,
                },
            ) => self.on_hello(conn, rank, incarnation, pid, endpoint, now),
            (None, other) => self.reject(
                conn,
                format!("connection {conn} sent {} before Hello", other.name()),
                now,
            ),
            (Some(rank), Msg::Abort { code, message }) => {
                let message = message.trim_end();
                let text = if message.is_empty() {
                    format!("rank {rank} called MPI_Abort with code {code}")
                } else {
                    format!("rank {rank} called MPI_Abort with code {code}: {message}")
                };
                self.end(exit_byte(code), text, now);
            }
            (Some(rank), Msg::Finalize) => {
                let r = &mut self.ranks[rank as usize];
                r.finalized = true;
                if self.barrier_done {
                    // Nobody is left to wait for.
                    self.ack(rank as usize);
                }
            }
            (
                Some(rank),
                Msg::Recover {
                    context,
                    round,
                    mode,
                    members,
                    mask,
                    seq,
                },
            ) => self.on_recover(conn, rank, (context, round), mode, members, (mask, seq), now),
            (Some(_), Msg::Mode { comm_mode, .. }) => {
                if comm_mode != proto::COMM_MODE_ABORT {
                    self.ft = true;
                }
            }
            (Some(_), Msg::Suspect { rank, incarnation }) => {
                if let Some(r) = self.ranks.get_mut(rank as usize)
                    && r.incarnation == incarnation
                    && r.running()
                    && r.killed_for.is_none()
                {
                    r.killed_for = Some("suspected");
                    self.actions.push_back(Action::Kill {
                        rank,
                        signal: Signal::SIGKILL,
                    });
                }
            }
            (Some(rank), other) => self.reject(
                conn,
                format!(
                    "rank {rank} sent {}, which a rank never sends after Hello",
                    other.name()
                ),
                now,
            ),
        }
    }

    fn on_hello(
        &mut self,
        conn: ConnId,
        rank: u32,
        incarnation: u32,
        pid: u32,
        endpoint: Vec<u8>,
        now: Instant,
    ) {
        if self.ending.is_some() {
            self.close(conn, true, now);
            return;
        }
        let size = self.ranks.len();
        let Some(r) = self.ranks.get(rank as usize) else {
            let reason =
                format!("Hello from pid {pid} for rank {rank}, but the job has {size} ranks");
            return self.reject(conn, reason, now);
        };
        let reason = if incarnation != r.incarnation {
            format!(
                "Hello from pid {pid} for rank {rank} incarnation {incarnation}, \
                 but the rank is in incarnation {}",
                r.incarnation
            )
        } else if r.hello.is_some() {
            format!("Hello from pid {pid} for rank {rank}, which is already registered")
        } else if r.exit.is_some() {
            format!("Hello from pid {pid} for rank {rank}, which has already exited")
        } else {
            let r = &mut self.ranks[rank as usize];
            r.hello = Some((pid, endpoint.clone()));
            r.entry = Some((pid, endpoint));
            r.conn = Some(conn);
            self.conns.insert(conn, Some(rank));
            self.check_fence(now);
            return;
        };
        self.reject(conn, reason, now);
    }

    /// Sends the table once every rank has joined, or ends the job if a rank that never
    /// joined has gone, since the fence can then never complete.
    fn check_fence(&mut self, now: Instant) {
        if self.fence_done || self.ending.is_some() {
            return;
        }
        if self.ranks.iter().all(|r| r.hello.is_some()) {
            let frame = self.table();
            let body = frame.len() - 4;
            if body > proto::MAX_FRAME {
                self.end(
                    1,
                    format!(
                        "the endpoint table takes {body} bytes, more than the bootstrap limit \
                         of {} bytes; aborting the job",
                        proto::MAX_FRAME
                    ),
                    now,
                );
                return;
            }
            self.fence_done = true;
            for (inject, at) in &mut self.injections {
                *at = Some(now + inject.after);
            }
            let frame = Arc::new(frame);
            for r in &mut self.ranks {
                r.has_table = true;
                if let Some(conn) = r.conn {
                    self.actions.push_back(Action::Send {
                        conn,
                        frame: Arc::clone(&frame),
                    });
                }
            }
            return;
        }
        if !self.ranks.iter().any(|r| r.hello.is_some()) {
            return;
        }
        let gone = self
            .ranks
            .iter()
            .enumerate()
            .find(|(_, r)| r.hello.is_none() && r.exit.is_some());
        if let Some((rank, r)) = gone {
            let text = format!(
                "rank {rank} ({}) exited without joining the job while other ranks wait for it \
                 in MPI_Init; aborting the job",
                pid_text(r.pid)
            );
            self.end(1, text, now);
        }
    }

    /// Every rank's latest pid and endpoint.
    fn table(&self) -> Vec<u8> {
        let entries = self
            .ranks
            .iter()
            .map(|r| r.entry.clone().unwrap_or_default())
            .collect();
        proto::encode(&Msg::Table { entries })
    }

    fn on_spawned(&mut self, rank: u32, pid: u32, now: Instant) {
        let Some(r) = self.ranks.get_mut(rank as usize) else {
            return;
        };
        r.pid = Some(pid);
        let incarnation = r.incarnation;
        if r.retired {
            self.actions.push_back(Action::Kill {
                rank,
                signal: Signal::SIGKILL,
            });
        }
        if incarnation > 0 {
            self.log(
                now,
                format!("rank {rank} respawned as incarnation {incarnation} (pid {pid})"),
            );
        }
    }

    fn on_spawn_failed(&mut self, rank: u32, error: String, exit_code: u8, now: Instant) {
        let respawn = self
            .ranks
            .get(rank as usize)
            .is_some_and(|r| r.incarnation > 0);
        if !respawn || self.ending.is_some() {
            self.end(
                exit_code,
                format!("cannot start rank {rank}: {error}; aborting the job"),
                now,
            );
            return;
        }
        let text = format!("cannot respawn rank {rank}: {error}");
        let r = &mut self.ranks[rank as usize];
        r.exit = Some(Exit::NotStarted);
        r.judged = true;
        r.no_respawn = Some(text.clone());
        self.log(now, text);
    }

    fn on_exit(&mut self, rank: u32, exit: Exit, now: Instant) {
        let ending = self.ending.is_some();
        let Some(r) = self.ranks.get_mut(rank as usize) else {
            return;
        };
        if r.exit.is_some() {
            return;
        }
        r.exit = Some(exit);
        if r.conn.is_some() && !ending {
            r.held_until = Some(now + DRAIN_GRACE);
        } else {
            self.judge(rank as usize, now);
        }
    }

    /// Every rank of a lost host failed at once. Their failure events go out back to back,
    /// in rank order, before anything else happens; what their own bootstrap connections
    /// did meanwhile does not matter, since only an exit report judges a rank.
    fn on_host_lost(&mut self, host: String, reason: String, ranks: Vec<u32>, now: Instant) {
        let mut lost: Vec<usize> = ranks
            .into_iter()
            .map(|r| r as usize)
            .filter(|&r| r < self.ranks.len() && self.ranks[r].exit.is_none())
            .collect();
        lost.sort_unstable();
        lost.dedup();
        if lost.is_empty() {
            if self.ending.is_none() && !self.ranks.iter().all(|r| r.judged) {
                self.report(format!("host {host} was lost ({reason}); none of its ranks was running"));
            }
            return;
        }
        let list = lost
            .iter()
            .map(|r| r.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let what = format!(
            "host {host} was lost ({reason}) with rank{} {list}",
            if lost.len() == 1 { "" } else { "s" }
        );
        for &r in &lost {
            let x = &mut self.ranks[r];
            // A rank that had finalized is done; losing it now is no failure.
            x.exit = Some(if x.finalized { Exit::Code(0) } else { Exit::Lost });
            x.lost_with = Some(host.clone());
            x.held_until = None;
            // A rank whose daemon died may live on: cut it off from the job.
            if let Some(conn) = x.conn.take() {
                self.conns.remove(&conn);
                self.actions.push_back(Action::Close(conn));
            }
        }
        let failing = lost.iter().any(|&r| !self.ranks[r].finalized);
        if self.ending.is_some() || !failing {
            for &r in &lost {
                self.judge(r, now);
            }
            return;
        }
        if !self.ft || !self.fence_done {
            for &r in &lost {
                self.ranks[r].judged = true;
            }
            self.end(1, format!("{what}; aborting the job"), now);
            return;
        }
        self.log(now, what);
        for r in lost {
            self.judge(r, now);
        }
    }

    /// Decides what a rank's exit means for the job.
    fn judge(&mut self, rank: usize, now: Instant) {
        let r = &mut self.ranks[rank];
        r.held_until = None;
        r.judged = true;
        if self.ending.is_some() || r.retired {
            return;
        }
        let pid = pid_text(r.pid);
        // (exit code for mpirun, how, value, text)
        let failure = match r.exit {
            Some(Exit::Signal(signo)) => {
                let name = Signal::try_from(signo).map_or("unknown signal", |s| s.as_str());
                Some((
                    128u8.wrapping_add(signo as u8),
                    proto::HOW_SIGNAL,
                    signo,
                    format!("rank {rank} ({pid}) was killed by signal {signo} ({name})"),
                ))
            }
            Some(Exit::Code(code)) if code != 0 => Some((
                exit_byte(code),
                proto::HOW_EXIT,
                code,
                format!("rank {rank} ({pid}) exited with code {code}"),
            )),
            Some(Exit::Code(_)) if r.hello.is_some() && !r.finalized => Some((
                1,
                proto::HOW_EXIT,
                0,
                format!("rank {rank} ({pid}) exited without calling MPI_Finalize"),
            )),
            Some(Exit::Code(_)) if r.incarnation > 0 && !r.has_table => Some((
                1,
                proto::HOW_EXIT,
                0,
                format!("rank {rank} ({pid}) exited before joining the job"),
            )),
            Some(Exit::Lost) => Some((
                1,
                proto::HOW_LOST,
                0,
                match &r.lost_with {
                    Some(h) => format!("rank {rank} ({pid}) was lost with host {h}"),
                    None => format!("rank {rank} ({pid}) was lost"),
                },
            )),
            _ => None,
        };
        let finalized_with_code = r.finalized && matches!(r.exit, Some(Exit::Code(_)));
        match failure {
            Some((code, how, value, text))
                if self.ft && self.fence_done && !finalized_with_code =>
            {
                self.survive(rank, code, how, value, text, now);
            }
            Some((code, _, _, text)) => self.end(code, format!("{text}; aborting the job"), now),
            None => self.check_fence(now),
        }
    }

    /// A failure in a fault-tolerant job: numbered, announced, logged, and in REBUILD mode
    /// repaired at once.
    fn survive(&mut self, rank: usize, code: u8, how: u8, value: i32, text: String, now: Instant) {
        self.failures += 1;
        self.last_failure_code = code;
        let r = &self.ranks[rank];
        let incarnation = r.incarnation;
        let tag = r.killed_for.map(|w| format!(" [{w}]")).unwrap_or_default();
        self.actions.push_back(Action::RemoveSegment {
            rank: rank as u32,
            incarnation,
        });
        if r.has_table {
            self.seq += 1;
            let frame = Arc::new(proto::encode(&Msg::Failure {
                seq: self.seq,
                rank: rank as u32,
                incarnation,
                how,
                value,
            }));
            for other in &mut self.ranks {
                if other.in_job()
                    && let Some(conn) = other.conn
                {
                    other.sent_seq = self.seq;
                    self.actions.push_back(Action::Send {
                        conn,
                        frame: Arc::clone(&frame),
                    });
                }
            }
            self.log(now, format!("{text}{tag}"));
        } else {
            // Nobody has heard of this process: no event, only the log.
            self.log(
                now,
                format!("{text} (incarnation {incarnation}, before it was let in){tag}"),
            );
        }
        if self.job_mode == proto::COMM_MODE_REBUILD && !self.ranks[rank].finalized {
            self.respawn(rank, now);
        }
    }

    /// Starts the next incarnation of a dead rank. False when it may not be respawned.
    fn respawn(&mut self, rank: usize, now: Instant) -> bool {
        if self.barrier_done || self.ending.is_some() {
            return false;
        }
        let max = self.max_respawns;
        let r = &mut self.ranks[rank];
        if r.no_respawn.is_some() {
            return false;
        }
        if r.respawns >= max {
            let text = format!(
                "rank {rank} was respawned {max} times already; not again (FTMPI_MAX_RESPAWNS)"
            );
            r.no_respawn = Some(text.clone());
            self.log(now, text);
            return false;
        }
        // What the old process may still send does not belong to the new one.
        if let Some(conn) = r.conn.take() {
            self.conns.remove(&conn);
            self.actions.push_back(Action::Close(conn));
        }
        r.incarnation += 1;
        r.respawns += 1;
        r.pid = None;
        r.hello = None;
        r.has_table = false;
        r.finalized = false;
        r.acked = false;
        r.exit = None;
        r.held_until = None;
        r.judged = false;
        r.killed_for = None;
        r.sent_seq = 0;
        r.lost_with = None;
        let incarnation = r.incarnation;
        self.actions.push_back(Action::Spawn {
            rank: rank as u32,
            incarnation,
        });
        true
    }

    #[allow(clippy::too_many_arguments)]
    fn on_recover(
        &mut self,
        conn: ConnId,
        rank: u32,
        key: (u32, u32),
        mode: u8,
        members: Vec<u32>,
        (mask, seq): (Vec<u64>, u64),
        now: Instant,
    ) {
        let size = self.ranks.len();
        let mut seen = BTreeSet::new();
        let problem = if let Some(&m) = members.iter().find(|&&m| m as usize >= size) {
            Some(format!("member {m} is not a rank of a job of {size}"))
        } else if let Some(&m) = members.iter().find(|&&m| !seen.insert(m)) {
            Some(format!("member {m} is listed twice"))
        } else if !members.contains(&rank) {
            Some(format!("rank {rank} is not a member"))
        } else {
            match self.agreements.get(&key) {
                Some(a) if a.result.is_some() => {
                    let frame = a.result.clone();
                    if let Some(frame) = frame {
                        self.actions.push_back(Action::Send { conn, frame });
                    }
                    return;
                }
                Some(a) if a.members != members || a.mode != mode => Some(
                    "members or mode differ from those of the first Recover of this round"
                        .to_string(),
                ),
                _ => None,
            }
        };
        if let Some(message) = problem {
            let frame = proto::encode(&Msg::Recovered {
                context: key.0,
                round: key.1,
                ok: false,
                failed: Vec::new(),
                dup_context: 0,
                rejoined: Vec::new(),
                message,
            });
            self.actions.push_back(Action::Send {
                conn,
                frame: Arc::new(frame),
            });
            return;
        }
        let incarnation = self.ranks[rank as usize].incarnation;
        let first_join = self.agreements.get(&key).is_none_or(|a| !a.joined.contains_key(&rank));
        if mode != proto::MODE_AGREE && first_join {
            // The other members may be waiting on this one in an operation on the same
            // communicator, which it will not answer before the recovery: tell them.
            let joined: Vec<u32> = self.agreements.get(&key).map(|a| a.joined.keys().copied().collect()).unwrap_or_default();
            let frame = Arc::new(proto::encode(&Msg::Revoke { context: key.0, rank }));
            for &m in &members {
                let r = &self.ranks[m as usize];
                if m != rank
                    && !joined.contains(&m)
                    && r.in_job()
                    && let Some(conn) = r.conn
                {
                    self.actions.push_back(Action::Send { conn, frame: Arc::clone(&frame) });
                }
            }
        }
        let ranks = &self.ranks;
        let a = self.agreements.entry(key).or_insert_with(|| Agreement {
            context: key.0,
            mode,
            incarnations: members
                .iter()
                .map(|&m| ranks[m as usize].incarnation)
                .collect(),
            members,
            joined: HashMap::new(),
            failed: BTreeSet::new(),
            started: now,
            result: None,
            defected: false,
        });
        a.joined.insert(rank, (incarnation, mask, seq));
    }

    /// Moves every open agreement on, then the finalize barrier.
    fn progress(&mut self, now: Instant) {
        if self.fence_done && self.ending.is_none() {
            let mut open: Vec<(u32, u32)> = self
                .agreements
                .iter()
                .filter(|(_, a)| a.result.is_none())
                .map(|(k, _)| *k)
                .collect();
            open.sort_unstable();
            for key in open {
                self.check_agreement(key, now);
            }
            self.check_barrier();
        }
        self.flush_log();
    }

    /// Completes the agreement once every member has joined, finalized or died (and, for
    /// REBUILD of the world, come back).
    fn check_agreement(&mut self, key: (u32, u32), now: Instant) {
        let Some(a) = self.agreements.get(&key) else {
            return;
        };
        let rebuild = a.rebuilds_world();
        let members = a.members.clone();
        // A strict collective's member that went into a recovery of the same communicator
        // instead (its collective failed) will never join: it counts as failing the collective.
        let recovering: Vec<u32> = if a.mode == proto::MODE_AGREE {
            let comm = key.0 & !AGREE_CONTEXT;
            self.agreements
                .iter()
                .filter(|(k, b)| k.0 == comm && b.result.is_none() && b.mode != proto::MODE_AGREE)
                .flat_map(|(_, b)| b.joined.keys().copied())
                .collect()
        } else {
            Vec::new()
        };
        let Some(a) = self.agreements.get(&key) else {
            return;
        };
        let mut waiting = false;
        let mut impossible = None;
        let mut dead = Vec::new();
        for (i, &m) in members.iter().enumerate() {
            let r = &self.ranks[m as usize];
            let joined = a
                .joined
                .get(&m)
                .is_some_and(|(inc, _, seq)| *inc == r.incarnation && r.in_job() && *seq >= r.sent_seq);
            if rebuild {
                if r.finalized || joined || r.held() {
                    continue;
                }
                if r.judged {
                    dead.push(m as usize);
                }
                waiting = true;
            } else {
                let gone = !r.in_job() || r.incarnation != a.incarnations[i];
                if gone || a.failed.contains(&m) {
                    dead.push(m as usize);
                    continue;
                }
                if !(joined || r.finalized || recovering.contains(&m)) {
                    waiting = true;
                }
            }
        }
        if rebuild {
            for rank in dead {
                if !self.respawn(rank, now) {
                    let why = self.ranks[rank].no_respawn.clone();
                    impossible =
                        Some(why.unwrap_or_else(|| format!("rank {rank} cannot be respawned now")));
                }
            }
        } else if let Some(a) = self.agreements.get_mut(&key) {
            a.failed.extend(dead.into_iter().map(|m| m as u32));
        }
        if !recovering.is_empty()
            && let Some(a) = self.agreements.get_mut(&key)
        {
            a.defected = members.iter().any(|m| recovering.contains(m) && !a.joined.contains_key(m));
        }
        match impossible {
            Some(why) => self.complete(key, Some(why), now),
            None if !waiting => self.complete(key, None, now),
            None => {}
        }
    }

    /// Sends the outcome of the agreement to its live members.
    fn complete(&mut self, key: (u32, u32), impossible: Option<String>, now: Instant) {
        let Some(a) = self.agreements.get(&key) else {
            return;
        };
        let rebuild = a.rebuilds_world();
        let live_joined: Vec<u32> = a
            .members
            .iter()
            .copied()
            .filter(|&m| {
                let r = &self.ranks[m as usize];
                a.joined
                    .get(&m)
                    .is_some_and(|(inc, _, seq)| *inc == r.incarnation && r.in_job() && *seq >= r.sent_seq)
            })
            .collect();
        let (failed, let_in): (Vec<u32>, Vec<u32>) = if rebuild {
            let held: Vec<u32> = a
                .members
                .iter()
                .copied()
                .filter(|&m| self.ranks[m as usize].held())
                .collect();
            (held.clone(), held)
        } else {
            (a.failed.iter().copied().collect(), Vec::new())
        };
        // Context ids free at every member that takes part; a held process has used none.
        let mut mask: Option<Vec<u64>> = None;
        let fresh = default_mask();
        let masks = live_joined
            .iter()
            .map(|m| &a.joined[m].1)
            .chain(let_in.iter().map(|_| &fresh));
        for m in masks {
            mask = Some(match mask {
                None => m.clone(),
                Some(acc) => acc.iter().zip(m).map(|(x, y)| x & y).collect(),
            });
        }
        if a.mode == proto::MODE_AGREE {
            // The end of a strict collective: the AND of one word each, no context id, no log.
            let all = mask.as_ref().and_then(|m| m.first().copied()).unwrap_or(0) & 1 & !(a.defected as u64);
            let frame = Arc::new(proto::encode(&Msg::Recovered {
                context: key.0,
                round: key.1,
                ok: true,
                failed: a.failed.iter().copied().collect(),
                dup_context: all as u32,
                rejoined: Vec::new(),
                message: String::new(),
            }));
            for m in &live_joined {
                if let Some(conn) = self.ranks[*m as usize].conn {
                    self.actions.push_back(Action::Send { conn, frame: Arc::clone(&frame) });
                }
            }
            self.agreements.remove(&key);
            return;
        }
        let dup_context = mask
            .unwrap_or(fresh)
            .iter()
            .enumerate()
            .flat_map(|(w, &bits)| {
                (0..64)
                    .filter(move |b| bits >> b & 1 == 1)
                    .map(move |b| w * 64 + b)
            })
            .find(|&id| id >= 2);
        let message = match (&impossible, dup_context) {
            (Some(why), _) => why.clone(),
            (None, None) => "no free context id".to_string(),
            (None, Some(_)) => String::new(),
        };
        let ok = message.is_empty();
        let rejoined = if ok {
            let_in
                .iter()
                .map(|&m| {
                    let r = &self.ranks[m as usize];
                    let (pid, endpoint) = r.hello.clone().unwrap_or_default();
                    (m, r.incarnation, pid, endpoint)
                })
                .collect()
        } else {
            Vec::new()
        };
        let frame = Arc::new(proto::encode(&Msg::Recovered {
            context: key.0,
            round: key.1,
            ok,
            failed: failed.clone(),
            dup_context: if ok {
                dup_context.unwrap_or(0) as u32
            } else {
                0
            },
            rejoined,
            message: message.clone(),
        }));
        let (mode, members, started) = (a.mode, a.members.len(), a.started);
        if ok && !let_in.is_empty() {
            // The new processes learn every endpoint first, then the outcome.
            let table = Arc::new(self.table());
            for &m in &let_in {
                let r = &mut self.ranks[m as usize];
                r.has_table = true;
                if let Some(conn) = r.conn {
                    self.actions.push_back(Action::Send {
                        conn,
                        frame: Arc::clone(&table),
                    });
                    self.actions.push_back(Action::Send {
                        conn,
                        frame: Arc::clone(&frame),
                    });
                }
            }
        }
        for m in &live_joined {
            if let Some(conn) = self.ranks[*m as usize].conn {
                self.actions.push_back(Action::Send {
                    conn,
                    frame: Arc::clone(&frame),
                });
            }
        }
        if let Some(a) = self.agreements.get_mut(&key) {
            a.result = Some(frame);
        }
        self.recoveries += 1;
        let name = if key.0 == 0 {
            "MPI_COMM_WORLD".to_string()
        } else {
            format!("context {}", key.0)
        };
        let took = now.saturating_duration_since(started).as_secs_f64() * 1e3;
        let kept = members - failed.len();
        let what = format!(
            "recovery of {name} ({}, {kept} of {members} members)",
            mode_name(mode)
        );
        let text = if ok {
            format!("{what} took {took:.1} ms")
        } else {
            format!("{what} failed after {took:.1} ms: {message}")
        };
        self.log(now, text);
    }

    /// Acknowledges every `Finalize` once nobody else can still finalize, and retires the
    /// held processes that nothing can let in any more.
    fn check_barrier(&mut self) {
        if self.barrier_done
            || self.agreements.values().any(|a| a.result.is_none())
            || self.ranks.iter().any(|r| r.in_job() && !r.finalized)
        {
            return;
        }
        self.barrier_done = true;
        for rank in 0..self.ranks.len() {
            let r = &mut self.ranks[rank];
            if r.finalized {
                self.ack(rank);
            } else if !r.has_table && !r.judged {
                r.retired = true;
                if r.running() {
                    self.actions.push_back(Action::Kill {
                        rank: rank as u32,
                        signal: Signal::SIGKILL,
                    });
                }
            }
        }
    }

    fn ack(&mut self, rank: usize) {
        let r = &mut self.ranks[rank];
        if r.acked {
            return;
        }
        r.acked = true;
        if let Some(conn) = r.conn {
            self.actions.push_back(Action::Send {
                conn,
                frame: Arc::new(proto::encode(&Msg::FinalizeAck)),
            });
        }
    }

    /// Fires the injected faults that are due.
    fn inject(&mut self, now: Instant) {
        for i in 0..self.injections.len() {
            let (inject, at) = self.injections[i];
            if at.is_none_or(|t| t > now) {
                continue;
            }
            self.injections[i].1 = None;
            if let Some(r) = self.ranks.get_mut(inject.rank as usize)
                && r.running()
                && !r.retired
            {
                r.killed_for = Some("injected");
                self.actions.push_back(Action::Kill {
                    rank: inject.rank,
                    signal: inject.signal,
                });
            }
        }
    }

    /// Starts the end of the job, unless it has already started.
    fn end(&mut self, code: u8, text: String, now: Instant) {
        if self.ending.is_some() {
            return;
        }
        self.ending = Some(Ending {
            code,
            give_up_at: now + KILL_GRACE,
        });
        self.actions.retain(|a| !matches!(a, Action::Spawn { .. }));
        for r in &mut self.ranks {
            if r.pid.is_none() && r.exit.is_none() {
                r.exit = Some(Exit::NotStarted);
                r.judged = true;
            }
        }
        self.report(text);
        self.actions.push_back(Action::KillAll);
    }

    /// Logs why the connection is refused and shuts it. Refusals are not news once the job is
    /// ending: connections then break as their ranks die.
    fn reject(&mut self, conn: ConnId, reason: String, now: Instant) {
        if self.ending.is_none() {
            self.report(format!("bootstrap: {reason}; closing the connection"));
        }
        self.close(conn, true, now);
    }

    fn close(&mut self, conn: ConnId, shut: bool, now: Instant) {
        let Some(registered) = self.conns.remove(&conn) else {
            return;
        };
        if shut {
            self.actions.push_back(Action::Close(conn));
        }
        if let Some(rank) = registered {
            let r = &mut self.ranks[rank as usize];
            r.conn = None;
            if r.held_until.is_some() {
                self.judge(rank as usize, now);
            }
        }
    }

    fn who(&self, conn: ConnId) -> String {
        match self.conns.get(&conn) {
            Some(Some(rank)) => format!("rank {rank}"),
            _ => format!("connection {conn}"),
        }
    }

    fn alive(&self) -> usize {
        self.ranks
            .iter()
            .filter(|r| r.pid.is_some() && r.exit.is_none())
            .count()
    }

    fn report(&mut self, text: String) {
        self.actions.push_back(Action::Report(text));
    }

    fn log(&mut self, now: Instant, text: String) {
        self.log
            .push((now.saturating_duration_since(self.started), text));
    }

    /// Prints the failure log once the job is over, if anything failed.
    fn flush_log(&mut self) {
        if self.logged || self.failures == 0 || self.finished().is_none() {
            return;
        }
        self.logged = true;
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        self.report(format!(
            "failure log: {}, {}",
            plural(self.failures, "failure", "failures"),
            plural(self.recoveries, "recovery", "recoveries")
        ));
        for (at, text) in std::mem::take(&mut self.log) {
            self.report(format!("  {:.3} s  {text}", at.as_secs_f64()));
        }
    }
}

/// The mask of a process that has used no context id: all free but 0 and 1.
fn default_mask() -> Vec<u64> {
    let mut mask = vec![u64::MAX; proto::MAX_MASK_WORDS];
    mask[0] &= !0b11;
    mask
}

fn mode_name(mode: u8) -> &'static str {
    match mode {
        proto::COMM_MODE_ABORT => "ABORT",
        proto::COMM_MODE_BLANK => "BLANK",
        proto::COMM_MODE_SHRINK => "SHRINK",
        _ => "REBUILD",
    }
}

/// A code (from `MPI_Abort` or a rank's exit) as mpirun's exit status: as given when it fits,
/// else its low byte as `exit(2)` would keep it (−1 gives 255), but never 0 for a code that
/// is not 0.
pub(crate) fn exit_byte(code: i32) -> u8 {
    match u8::try_from(code) {
        Ok(c) => c,
        Err(_) => match code as u8 {
            0 => 1,
            c => c,
        },
    }
}

fn ranks(n: usize) -> String {
    if n == 1 {
        "1 rank".into()
    } else {
        format!("{n} ranks")
    }
}

fn pid_text(pid: Option<u32>) -> String {
    pid.map_or_else(|| "pid unknown".into(), |p| format!("pid {p}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A coordinator on a virtual clock, with its actions collected.
    struct Job {
        c: Coordinator,
        now: Instant,
        done: Vec<Action>,
    }

    impl Job {
        fn new(size: u32, timeout: Option<Duration>) -> Job {
            Job::with_ft(size, timeout, FtConfig::default())
        }

        fn with_ft(size: u32, timeout: Option<Duration>, ft: FtConfig) -> Job {
            let now = Instant::now();
            let mut job = Job {
                c: Coordinator::with_ft(size, timeout, ft, now),
                now,
                done: Vec::new(),
            };
            let spawns = job.take();
            assert_eq!(spawns.len(), size as usize);
            for rank in 0..size {
                job.input(Input::Spawned {
                    rank,
                    pid: 1000 + rank,
                });
            }
            job
        }

        fn input(&mut self, i: Input) {
            self.c.handle(i, self.now);
            while let Some(a) = self.c.poll_action() {
                self.done.push(a);
            }
        }

        fn advance(&mut self, d: Duration) {
            self.now += d;
            if self.c.poll_timeout().is_some_and(|t| t <= self.now) {
                self.c.handle_timeout(self.now);
            }
            while let Some(a) = self.c.poll_action() {
                self.done.push(a);
            }
        }

        /// The actions so far, without `Revoke` notices (`take_all` keeps them).
        fn take(&mut self) -> Vec<Action> {
            let is_revoke = |a: &Action| {
                matches!(a, Action::Send { frame, .. } if matches!(proto::decode(&frame[4..]), Ok(Msg::Revoke { .. })))
            };
            self.take_all().into_iter().filter(|a| !is_revoke(a)).collect()
        }

        fn take_all(&mut self) -> Vec<Action> {
            while let Some(a) = self.c.poll_action() {
                self.done.push(a);
            }
            std::mem::take(&mut self.done)
        }

        fn join(&mut self, rank: u32) {
            let conn = 100 + rank as u64;
            self.input(Input::Connected(conn));
            self.input(Input::Message(conn, hello(rank)));
        }

        /// A job in `mode` whose ranks have all joined and received the table.
        fn ft(size: u32, mode: u8) -> Job {
            Job::ft_with(
                size,
                FtConfig {
                    comm_mode: mode,
                    ..FtConfig::default()
                },
            )
        }

        fn ft_with(size: u32, ft: FtConfig) -> Job {
            let mut job = Job::with_ft(size, None, ft);
            for rank in 0..size {
                job.join(rank);
            }
            assert_eq!(job.take().len(), size as usize, "the tables");
            job
        }

        fn kill(&mut self, rank: u32, signal: i32) {
            self.input(Input::Closed(100 + rank as u64));
            self.input(Input::Exited {
                rank,
                exit: Exit::Signal(signal),
            });
        }

        fn send(&mut self, conn: ConnId, msg: Msg) {
            self.input(Input::Message(conn, msg));
        }

        fn recover(&mut self, conn: ConnId, mode: u8, members: &[u32], free: &[usize]) {
            self.send(conn, recover(0, 1, mode, members, free));
        }

        /// A respawned process of `rank` starts and says hello on connection 200 + rank.
        fn rejoin(&mut self, rank: u32, incarnation: u32) {
            self.input(Input::Spawned {
                rank,
                pid: 2000 + rank,
            });
            let conn = 200 + rank as u64;
            self.input(Input::Connected(conn));
            self.send(
                conn,
                Msg::Hello {
                    rank,
                    incarnation,
                    pid: 2000 + rank,
                    endpoint: format!("new{rank}").into_bytes(),
                },
            );
        }

        fn reports(&mut self) -> Vec<String> {
            self.take()
                .into_iter()
                .filter_map(|a| match a {
                    Action::Report(t) => Some(t),
                    _ => None,
                })
                .collect()
        }
    }

    fn hello(rank: u32) -> Msg {
        Msg::Hello {
            rank,
            incarnation: 0,
            pid: 1000 + rank,
            endpoint: format!("ep{rank}").into_bytes(),
        }
    }

    fn recover(context: u32, round: u32, mode: u8, members: &[u32], free: &[usize]) -> Msg {
        let mut mask = vec![0u64; 2];
        for &id in free {
            mask[id / 64] |= 1 << (id % 64);
        }
        // Joins in these tests have applied every failure event; `stale_joins_wait` tests
        // the rule that they must.
        Msg::Recover {
            context,
            round,
            mode,
            members: members.to_vec(),
            mask,
            seq: u64::MAX,
        }
    }

    /// The messages sent to `conn`, in order, without the `Revoke` notices (tested apart).
    fn sent(actions: &[Action], conn: ConnId) -> Vec<Msg> {
        sent_all(actions, conn).into_iter().filter(|m| !matches!(m, Msg::Revoke { .. })).collect()
    }

    fn sent_all(actions: &[Action], conn: ConnId) -> Vec<Msg> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Send { conn: c, frame } if *c == conn => {
                    Some(proto::decode(&frame[4..]).unwrap())
                }
                _ => None,
            })
            .collect()
    }

    fn failure(seq: u64, rank: u32, incarnation: u32, how: u8, value: i32) -> Msg {
        Msg::Failure {
            seq,
            rank,
            incarnation,
            how,
            value,
        }
    }

    fn recovered(failed: &[u32], dup_context: u32, rejoined: &[(u32, u32)]) -> Msg {
        Msg::Recovered {
            context: 0,
            round: 1,
            ok: true,
            failed: failed.to_vec(),
            dup_context,
            rejoined: rejoined
                .iter()
                .map(|&(rank, inc)| (rank, inc, 2000 + rank, format!("new{rank}").into_bytes()))
                .collect(),
            message: String::new(),
        }
    }

    fn refused(msg: &Msg) -> Option<&str> {
        match msg {
            Msg::Recovered {
                ok: false, message, ..
            } => Some(message),
            _ => None,
        }
    }

    const SHRINK: u8 = proto::COMM_MODE_SHRINK;
    const REBUILD: u8 = proto::COMM_MODE_REBUILD;
    const BLANK: u8 = proto::COMM_MODE_BLANK;

    fn exited(rank: u32, code: i32) -> Input {
        Input::Exited {
            rank,
            exit: Exit::Code(code),
        }
    }

    #[test]
    fn table_goes_to_everyone_once_the_last_rank_joins() {
        let mut job = Job::new(3, None);
        job.join(2);
        job.join(0);
        assert!(job.take().is_empty());
        job.join(1);
        let sends = job.take();
        assert_eq!(sends.len(), 3);
        let expected = proto::encode(&Msg::Table {
            entries: (0..3)
                .map(|r| (1000 + r, format!("ep{r}").into_bytes()))
                .collect(),
        });
        for (a, conn) in sends.iter().zip([100, 101, 102]) {
            assert_eq!(
                a,
                &Action::Send {
                    conn,
                    frame: Arc::new(expected.clone())
                }
            );
        }
    }

    #[test]
    fn finalized_ranks_exiting_zero_end_the_job_with_zero() {
        let mut job = Job::new(2, None);
        job.join(0);
        job.join(1);
        job.take();
        // Finalize is a barrier: nobody is acknowledged before everybody has finalized.
        job.input(Input::Message(100, Msg::Finalize));
        assert!(job.take().is_empty());
        job.input(Input::Message(101, Msg::Finalize));
        let ack = Arc::new(proto::encode(&Msg::FinalizeAck));
        assert_eq!(
            job.take(),
            vec![
                Action::Send {
                    conn: 100,
                    frame: Arc::clone(&ack)
                },
                Action::Send {
                    conn: 101,
                    frame: ack
                }
            ]
        );
        for rank in 0..2 {
            job.input(Input::Closed(100 + rank as u64));
            job.input(exited(rank, 0));
        }
        assert!(job.take().is_empty());
        assert_eq!(job.c.finished(), Some(0));
    }

    #[test]
    fn programs_that_never_connect_may_exit_zero() {
        let mut job = Job::new(2, None);
        job.input(exited(1, 0));
        job.input(exited(0, 0));
        assert!(job.take().is_empty());
        assert_eq!(job.c.finished(), Some(0));
    }

    #[test]
    fn a_failure_kills_everyone_and_later_deaths_are_silent() {
        let mut job = Job::new(3, None);
        job.input(exited(1, 3));
        assert_eq!(
            job.take(),
            vec![
                Action::Report("rank 1 (pid 1001) exited with code 3; aborting the job".into()),
                Action::KillAll
            ]
        );
        job.input(Input::Exited {
            rank: 0,
            exit: Exit::Signal(9),
        });
        assert_eq!(job.c.finished(), None);
        job.input(exited(2, 5));
        assert!(job.take().is_empty());
        assert_eq!(job.c.finished(), Some(3));
    }

    #[test]
    fn signal_death_gives_128_plus_signal() {
        let mut job = Job::new(2, None);
        job.input(Input::Exited {
            rank: 1,
            exit: Exit::Signal(9),
        });
        assert_eq!(
            job.reports(),
            ["rank 1 (pid 1001) was killed by signal 9 (SIGKILL); aborting the job"]
        );
        job.input(Input::Exited {
            rank: 0,
            exit: Exit::Signal(9),
        });
        assert_eq!(job.c.finished(), Some(137));
    }

    #[test]
    fn exit_without_finalize_is_a_failure() {
        let mut job = Job::new(2, None);
        job.join(0);
        job.join(1);
        job.take();
        job.input(Input::Closed(101));
        job.input(exited(1, 0));
        assert_eq!(
            job.reports(),
            ["rank 1 (pid 1001) exited without calling MPI_Finalize; aborting the job"]
        );
        job.input(exited(0, 0));
        assert_eq!(job.c.finished(), Some(1));
    }

    #[test]
    fn abort_that_races_the_exit_still_wins() {
        let mut job = Job::new(2, None);
        job.join(0);
        job.join(1);
        job.take();
        // The waiter saw the death before the socket reader delivered the last frames.
        job.input(exited(1, 0));
        assert!(
            job.take().is_empty(),
            "judged before the connection drained"
        );
        job.input(Input::Message(
            101,
            Msg::Abort {
                code: 7,
                message: "bad input\n".into(),
            },
        ));
        job.input(Input::Closed(101));
        assert_eq!(
            job.take(),
            vec![
                Action::Report("rank 1 called MPI_Abort with code 7: bad input".into()),
                Action::KillAll
            ]
        );
        job.input(Input::Exited {
            rank: 0,
            exit: Exit::Signal(9),
        });
        assert_eq!(job.c.finished(), Some(7));
    }

    #[test]
    fn finalize_that_races_the_exit_is_counted() {
        let mut job = Job::new(1, None);
        job.join(0);
        job.take();
        job.input(exited(0, 0));
        job.input(Input::Message(100, Msg::Finalize));
        job.input(Input::Closed(100));
        assert!(job.reports().is_empty());
        assert_eq!(job.c.finished(), Some(0));
    }

    #[test]
    fn a_held_exit_is_judged_after_the_grace_period() {
        let mut job = Job::new(2, None);
        job.join(0);
        job.join(1);
        job.take();
        job.input(exited(1, 4));
        assert!(job.take().is_empty());
        assert_eq!(job.c.poll_timeout(), Some(job.now + DRAIN_GRACE));
        job.advance(DRAIN_GRACE);
        assert_eq!(
            job.reports(),
            ["rank 1 (pid 1001) exited with code 4; aborting the job"]
        );
    }

    #[test]
    fn abort_codes() {
        let mut job = Job::new(1, None);
        job.join(0);
        job.input(Input::Message(
            100,
            Msg::Abort {
                code: 0,
                message: String::new(),
            },
        ));
        assert_eq!(job.reports(), ["rank 0 called MPI_Abort with code 0"]);
        job.input(exited(0, 0));
        assert_eq!(job.c.finished(), Some(0));
        assert_eq!(exit_byte(255), 255);
        assert_eq!(exit_byte(-1), 255);
        assert_eq!(exit_byte(256), 1);
        assert_eq!(exit_byte(300), 44);
    }

    #[test]
    fn bad_clients_are_refused_and_the_job_goes_on() {
        let mut job = Job::new(2, None);
        job.join(0);
        job.take();
        let bad = |conn, msg| vec![Input::Connected(conn), Input::Message(conn, msg)];
        let cases = [
            bad(1, hello(7)),
            bad(2, hello(0)),
            bad(
                3,
                Msg::Hello {
                    rank: 1,
                    incarnation: 4,
                    pid: 1,
                    endpoint: Vec::new(),
                },
            ),
            bad(4, Msg::Finalize),
            bad(
                5,
                Msg::Table {
                    entries: Vec::new(),
                },
            ),
            vec![
                Input::Connected(6),
                Input::BadFrame(6, "frame length 0".into()),
            ],
        ];
        for (i, inputs) in cases.into_iter().enumerate() {
            for input in inputs {
                job.input(input);
            }
            let actions = job.take();
            assert_eq!(actions.len(), 2, "case {i}: {actions:?}");
            assert!(
                matches!(&actions[0], Action::Report(t) if t.starts_with("bootstrap: ")),
                "case {i}: {actions:?}"
            );
            assert_eq!(actions[1], Action::Close(i as u64 + 1));
        }
        // A refused connection's later frames are ignored.
        job.input(Input::Message(
            4,
            Msg::Abort {
                code: 1,
                message: String::new(),
            },
        ));
        assert!(job.take().is_empty());
        // A rank that breaks the protocol after Hello loses its connection, not the job.
        job.input(Input::Message(100, hello(0)));
        assert_eq!(job.take().len(), 2);
        job.join(1);
        assert_eq!(
            job.take().len(),
            1,
            "the table goes to the remaining connection"
        );
        assert_eq!(job.c.finished(), None);
    }

    #[test]
    fn leaving_without_joining_breaks_the_fence() {
        let mut job = Job::new(2, None);
        job.input(exited(1, 0));
        assert!(job.take().is_empty());
        job.join(0);
        assert_eq!(
            job.reports(),
            [
                "rank 1 (pid 1001) exited without joining the job while other ranks wait for it \
              in MPI_Init; aborting the job"
            ]
        );
    }

    #[test]
    fn timeout_kills_the_living() {
        let mut job = Job::new(3, Some(Duration::from_secs(2)));
        job.input(exited(0, 0));
        assert_eq!(job.c.poll_timeout(), Some(job.now + Duration::from_secs(2)));
        job.advance(Duration::from_secs(1));
        assert!(job.take().is_empty());
        job.advance(Duration::from_secs(1));
        assert_eq!(
            job.take(),
            vec![
                Action::Report("job timed out after 2 s; killed 2 ranks".into()),
                Action::KillAll
            ]
        );
        job.input(Input::Exited {
            rank: 1,
            exit: Exit::Signal(9),
        });
        job.input(Input::Exited {
            rank: 2,
            exit: Exit::Signal(9),
        });
        assert_eq!(job.c.finished(), Some(124));
    }

    #[test]
    fn signals_and_giving_up_on_unkillable_ranks() {
        let mut job = Job::new(2, None);
        job.input(Input::Signal(Signal::SIGTERM));
        assert_eq!(
            job.take(),
            vec![
                Action::Report("caught SIGTERM; killing 2 ranks".into()),
                Action::KillAll
            ]
        );
        job.input(exited(0, 0));
        assert_eq!(job.c.finished(), None);
        job.advance(KILL_GRACE);
        assert_eq!(
            job.reports(),
            ["1 rank still running 5 s after SIGKILL; giving up on them"]
        );
        assert_eq!(job.c.finished(), Some(143));
    }

    #[test]
    fn spawn_failure_cancels_the_rest() {
        let now = Instant::now();
        let mut c = Coordinator::new(4, None, now);
        assert!(matches!(
            c.poll_action(),
            Some(Action::Spawn { rank: 0, .. })
        ));
        c.handle(Input::Spawned { rank: 0, pid: 5 }, now);
        assert!(matches!(
            c.poll_action(),
            Some(Action::Spawn { rank: 1, .. })
        ));
        c.handle(
            Input::SpawnFailed {
                rank: 1,
                error: "./nope: No such file or directory".into(),
                exit_code: 127,
            },
            now,
        );
        assert_eq!(
            c.poll_action(),
            Some(Action::Report(
                "cannot start rank 1: ./nope: No such file or directory; aborting the job".into()
            ))
        );
        assert_eq!(c.poll_action(), Some(Action::KillAll));
        assert_eq!(c.poll_action(), None);
        c.handle(
            Input::Exited {
                rank: 0,
                exit: Exit::Signal(9),
            },
            now,
        );
        assert_eq!(c.finished(), Some(127));
    }

    #[test]
    fn oversized_table_ends_the_job() {
        let mut job = Job::new(300, None);
        for rank in 0..300 {
            job.input(Input::Connected(rank as u64));
            job.input(Input::Message(
                rank as u64,
                Msg::Hello {
                    rank,
                    incarnation: 0,
                    pid: rank,
                    endpoint: vec![0; proto::MAX_ENDPOINT],
                },
            ));
        }
        let reports = job.reports();
        assert_eq!(reports.len(), 1);
        assert!(
            reports[0].contains("more than the bootstrap limit"),
            "{reports:?}"
        );
    }

    // -----------------------------------------------------------------------------------
    // Fault tolerance

    #[test]
    fn ft_failures_are_numbered_and_sent_to_the_living() {
        let mut job = Job::ft(3, SHRINK);
        job.kill(1, 9);
        let a = job.take();
        assert!(!a.contains(&Action::KillAll), "{a:?}");
        assert!(a.contains(&Action::RemoveSegment {
            rank: 1,
            incarnation: 0
        }));
        assert!(!a.iter().any(|a| matches!(a, Action::Report(_))), "{a:?}");
        let first = failure(1, 1, 0, proto::HOW_SIGNAL, 9);
        assert_eq!(sent(&a, 100), sent(&a, 102));
        assert_eq!(sent(&a, 102), [first]);
        assert!(sent(&a, 101).is_empty());
        // Exiting without Finalize, even with 0, is a failure; code and how are told.
        job.input(Input::Closed(102));
        job.input(exited(2, 3));
        let a = job.take();
        assert_eq!(sent(&a, 100), [failure(2, 2, 0, proto::HOW_EXIT, 3)]);
        job.input(Input::Exited {
            rank: 0,
            exit: Exit::Lost,
        });
        job.input(Input::Closed(100));
        assert_eq!(job.c.seq, 3);
        assert_eq!(
            job.c.finished(),
            Some(1),
            "nobody finalized: the last failure's code"
        );
    }

    #[test]
    fn ft_exit_zero_without_finalize_is_a_failure_with_value_0() {
        let mut job = Job::ft(2, BLANK);
        job.input(Input::Closed(101));
        job.input(exited(1, 0));
        assert_eq!(
            sent(&job.take(), 100),
            [failure(1, 1, 0, proto::HOW_EXIT, 0)]
        );
        job.send(100, Msg::Finalize);
        assert_eq!(sent(&job.take(), 100), [Msg::FinalizeAck]);
        job.input(Input::Closed(100));
        job.input(exited(0, 0));
        assert_eq!(
            job.c.finished(),
            Some(0),
            "every process alive at the end finalized"
        );
        let log = job.reports();
        assert_eq!(log[0], "failure log: 1 failure, 0 recoveries");
        assert!(
            log[1].ends_with(" s  rank 1 (pid 1001) exited without calling MPI_Finalize"),
            "{log:?}"
        );
    }

    #[test]
    fn ft_deaths_before_the_fence_still_end_the_job() {
        let mut job = Job::with_ft(
            2,
            None,
            FtConfig {
                comm_mode: REBUILD,
                ..FtConfig::default()
            },
        );
        job.join(0);
        job.take();
        job.input(Input::Exited {
            rank: 1,
            exit: Exit::Signal(11),
        });
        let a = job.take();
        assert!(a.contains(&Action::KillAll), "{a:?}");
        assert!(!a.iter().any(|a| matches!(a, Action::Spawn { .. })));
    }

    #[test]
    fn a_mode_message_makes_an_abort_job_fault_tolerant() {
        let mut job = Job::ft(2, proto::COMM_MODE_ABORT);
        job.send(
            100,
            Msg::Mode {
                comm_mode: proto::COMM_MODE_ABORT,
                msg_mode: 0,
            },
        );
        assert!(!job.c.ft);
        job.send(
            100,
            Msg::Mode {
                comm_mode: SHRINK,
                msg_mode: proto::MSG_MODE_CONT,
            },
        );
        job.kill(1, 9);
        let a = job.take();
        assert!(!a.contains(&Action::KillAll), "{a:?}");
        assert_eq!(sent(&a, 100), [failure(1, 1, 0, proto::HOW_SIGNAL, 9)]);
    }

    #[test]
    fn finalized_rank_exiting_with_a_code_still_ends_an_ft_job() {
        let mut job = Job::ft(2, SHRINK);
        job.send(100, Msg::Finalize);
        job.send(101, Msg::Finalize);
        job.take();
        job.input(Input::Closed(101));
        job.input(exited(1, 5));
        let a = job.take();
        assert!(a.contains(&Action::KillAll));
        job.input(exited(0, 0));
        assert_eq!(job.c.finished(), Some(5));
    }

    #[test]
    fn shrink_agreement_waits_for_every_live_member() {
        let mut job = Job::ft(4, SHRINK);
        job.kill(2, 9);
        job.take();
        let all = [0, 1, 2, 3];
        job.recover(100, SHRINK, &all, &[2, 3, 5]);
        job.recover(101, SHRINK, &all, &[3, 5]);
        assert!(job.take().is_empty(), "rank 3 has not joined");
        job.now += Duration::from_millis(3);
        job.recover(103, SHRINK, &all, &[3, 4, 5]);
        let a = job.take();
        for conn in [100, 101, 103] {
            assert_eq!(sent(&a, conn), [recovered(&[2], 3, &[])], "conn {conn}");
        }
        // A late duplicate gets the same answer; the log has the recovery.
        job.recover(101, SHRINK, &all, &[3]);
        assert_eq!(sent(&job.take(), 101), [recovered(&[2], 3, &[])]);
        for rank in [0, 1, 3] {
            job.send(100 + rank as u64, Msg::Finalize);
        }
        assert_eq!(job.take().len(), 3, "the acks");
        for rank in [0, 1, 3] {
            job.input(Input::Closed(100 + rank as u64));
            job.input(exited(rank, 0));
        }
        assert_eq!(job.c.finished(), Some(0));
        let log = job.reports();
        assert_eq!(log[0], "failure log: 1 failure, 1 recovery");
        assert!(
            log[2].ends_with(" s  recovery of MPI_COMM_WORLD (SHRINK, 3 of 4 members) took 3.0 ms"),
            "{log:?}"
        );
    }

    #[test]
    fn each_join_tells_the_members_still_out_whom_not_to_wait_for() {
        let mut job = Job::ft(3, SHRINK);
        let all = [0, 1, 2];
        job.send(101, recover(4, 1, SHRINK, &all, &[3]));
        let a = job.take_all();
        assert_eq!(sent_all(&a, 100), [Msg::Revoke { context: 4, rank: 1 }]);
        assert_eq!(sent_all(&a, 102), [Msg::Revoke { context: 4, rank: 1 }]);
        assert!(sent_all(&a, 101).is_empty(), "not to the member that joined");
        job.send(100, recover(4, 1, SHRINK, &all, &[3]));
        let a = job.take_all();
        assert_eq!(sent_all(&a, 102), [Msg::Revoke { context: 4, rank: 0 }]);
        assert!(sent_all(&a, 101).is_empty(), "not to members that joined already");
        job.send(100, recover(4, 1, SHRINK, &all, &[3]));
        assert!(sent_all(&job.take_all(), 102).is_empty(), "once per member");
    }

    #[test]
    fn stale_joins_wait_until_the_member_has_applied_every_failure() {
        let mut job = Job::ft(4, SHRINK);
        job.kill(2, 9);
        job.take();
        let all = [0, 1, 2, 3];
        let with_seq = |seq| match recover(0, 1, SHRINK, &all, &[3]) {
            Msg::Recover { context, round, mode, members, mask, .. } => Msg::Recover { context, round, mode, members, mask, seq },
            other => other,
        };
        // Rank 1 joined before it had applied failure 1: its join does not count yet.
        job.recover(100, SHRINK, &all, &[3]);
        job.send(101, with_seq(0));
        job.recover(103, SHRINK, &all, &[3]);
        assert!(job.take().is_empty(), "rank 1's join is stale");
        job.send(101, with_seq(1));
        let a = job.take();
        for conn in [100, 101, 103] {
            assert_eq!(sent(&a, conn), [recovered(&[2], 3, &[])], "conn {conn}");
        }
    }

    #[test]
    fn a_strict_collective_ends_when_a_member_goes_into_recovery_instead() {
        let mut job = Job::ft(3, SHRINK);
        let all = [0, 1, 2];
        let agree = |ok: u64| Msg::Recover {
            context: AGREE_CONTEXT | 5,
            round: 1,
            mode: proto::MODE_AGREE,
            members: all.to_vec(),
            mask: vec![ok],
            seq: u64::MAX,
        };
        job.send(100, agree(1));
        job.send(101, agree(1));
        assert!(job.take().is_empty(), "rank 2 has not joined");
        // Rank 2's collective failed and it recovers communicator 5 instead.
        job.send(102, recover(5, 1, SHRINK, &all, &[3]));
        let a = job.take();
        let outcome = Msg::Recovered {
            context: AGREE_CONTEXT | 5,
            round: 1,
            ok: true,
            failed: Vec::new(),
            dup_context: 0,
            rejoined: Vec::new(),
            message: String::new(),
        };
        assert_eq!(sent(&a, 100), [outcome.clone()]);
        assert_eq!(sent(&a, 101), [outcome]);
        // With everyone in it, the recovery itself completes.
        job.send(100, recover(5, 1, SHRINK, &all, &[3]));
        job.send(101, recover(5, 1, SHRINK, &all, &[3]));
        let a = job.take();
        assert_eq!(sent(&a, 102).len(), 1);
    }

    #[test]
    fn a_death_during_the_agreement_is_announced_before_its_outcome() {
        let mut job = Job::ft(4, SHRINK);
        job.kill(2, 9);
        job.take();
        let all = [0, 1, 2, 3];
        job.recover(100, SHRINK, &all, &[7]);
        job.recover(101, SHRINK, &all, &[7, 8]);
        assert!(job.take().is_empty());
        // The exit is judged only after the connection drained: still waiting.
        job.input(Input::Exited {
            rank: 3,
            exit: Exit::Signal(15),
        });
        assert!(job.take().is_empty());
        job.input(Input::Closed(103));
        let a = job.take();
        assert_eq!(
            sent(&a, 100),
            [
                failure(2, 3, 0, proto::HOW_SIGNAL, 15),
                recovered(&[2, 3], 7, &[])
            ]
        );
        assert_eq!(sent(&a, 101), sent(&a, 100));
    }

    #[test]
    fn a_member_that_dies_after_joining_is_failed_and_its_mask_ignored() {
        let mut job = Job::ft(3, BLANK);
        let all = [0, 1, 2];
        job.recover(101, BLANK, &all, &[2]);
        job.recover(100, BLANK, &all, &[2, 3]);
        job.kill(1, 9);
        job.recover(102, BLANK, &all, &[3]);
        let a = job.take();
        assert_eq!(
            sent(&a, 102),
            [
                failure(1, 1, 0, proto::HOW_SIGNAL, 9),
                recovered(&[1], 3, &[])
            ]
        );
    }

    #[test]
    fn finalized_members_do_not_hold_an_agreement_up() {
        let mut job = Job::ft(3, SHRINK);
        job.kill(2, 9);
        job.send(101, Msg::Finalize);
        job.take();
        job.recover(100, SHRINK, &[0, 1, 2], &[2]);
        let a = job.take();
        assert_eq!(sent(&a, 100), [recovered(&[2], 2, &[])]);
        assert!(sent(&a, 101).is_empty());
    }

    #[test]
    fn bad_recovers_are_refused_to_their_sender_only() {
        let mut job = Job::ft(3, SHRINK);
        job.recover(100, SHRINK, &[0, 1, 2], &[2]);
        job.take();
        let cases = [
            (recover(0, 1, SHRINK, &[0, 1], &[2]), "differ"),
            (recover(0, 1, BLANK, &[0, 1, 2], &[2]), "differ"),
            (recover(0, 2, SHRINK, &[0, 2], &[2]), "not a member"),
            (recover(0, 2, SHRINK, &[1, 7], &[2]), "not a rank"),
            (recover(0, 2, SHRINK, &[1, 1], &[2]), "twice"),
        ];
        for (msg, says) in cases {
            job.send(101, msg);
            let a = job.take();
            assert_eq!(a.len(), 1, "{a:?}");
            let m = sent(&a, 101);
            assert!(refused(&m[0]).is_some_and(|t| t.contains(says)), "{m:?}");
        }
        // The agreement itself is unharmed.
        job.recover(101, SHRINK, &[0, 1, 2], &[2]);
        job.recover(102, SHRINK, &[0, 1, 2], &[2]);
        assert_eq!(sent(&job.take(), 100), [recovered(&[], 2, &[])]);
    }

    #[test]
    fn no_common_free_context_id_fails_the_agreement() {
        let mut job = Job::ft(2, SHRINK);
        job.recover(100, SHRINK, &[0, 1], &[2, 3]);
        job.recover(101, SHRINK, &[0, 1], &[4]);
        let a = job.take();
        for conn in [100, 101] {
            let m = sent(&a, conn);
            assert_eq!(refused(&m[0]), Some("no free context id"));
        }
        // 0 and 1 are never handed out, even when a mask says they are free.
        job.send(100, recover(5, 0, SHRINK, &[0, 1], &[0, 1, 70]));
        job.send(101, recover(5, 0, SHRINK, &[0, 1], &[0, 1, 70, 71]));
        let m = sent(&job.take(), 100);
        assert!(
            matches!(
                &m[0],
                Msg::Recovered {
                    ok: true,
                    dup_context: 70,
                    context: 5,
                    round: 0,
                    ..
                }
            ),
            "{m:?}"
        );
    }

    #[test]
    fn rebuild_of_the_world_respawns_and_lets_the_new_process_in() {
        let mut job = Job::ft(3, SHRINK);
        job.kill(1, 9);
        job.take();
        let all = [0, 1, 2];
        job.recover(100, REBUILD, &all, &[2, 3]);
        let a = job.take();
        assert_eq!(
            a,
            vec![Action::Spawn {
                rank: 1,
                incarnation: 1
            }]
        );
        job.recover(102, REBUILD, &all, &[3, 4]);
        assert!(job.take().is_empty());
        // No table at Hello for a respawned process: it comes with the outcome.
        job.rejoin(1, 1);
        let a = job.take();
        let outcome = recovered(&[1], 3, &[(1, 1)]);
        let table = Msg::Table {
            entries: vec![
                (1000, b"ep0".to_vec()),
                (2001, b"new1".to_vec()),
                (1002, b"ep2".to_vec()),
            ],
        };
        assert_eq!(sent(&a, 201), [table, outcome.clone()]);
        assert_eq!(sent(&a, 100), sent(&a, 102));
        assert_eq!(sent(&a, 102), [outcome]);
        // Now it is in the job: it hears of the next failure, and finalizes with the others.
        job.kill(0, 9);
        let a = job.take();
        assert_eq!(sent(&a, 201), [failure(2, 0, 0, proto::HOW_SIGNAL, 9)]);
        job.send(102, Msg::Finalize);
        assert!(job.take().is_empty());
        job.send(201, Msg::Finalize);
        let a = job.take();
        assert_eq!(sent(&a, 201), [Msg::FinalizeAck]);
        assert_eq!(sent(&a, 102), [Msg::FinalizeAck]);
        for rank in [1, 2] {
            job.input(exited(rank, 0));
        }
        job.input(Input::Closed(201));
        job.input(Input::Closed(102));
        assert_eq!(job.c.finished(), Some(0));
        let log = job.reports();
        assert_eq!(log[0], "failure log: 2 failures, 1 recovery");
        assert!(
            log[2].ends_with(" s  rank 1 respawned as incarnation 1 (pid 2001)"),
            "{log:?}"
        );
        assert!(
            log[3].contains("recovery of MPI_COMM_WORLD (REBUILD, 2 of 3 members)"),
            "{log:?}"
        );
    }

    #[test]
    fn rebuild_mode_respawns_at_once_and_holds_the_new_process() {
        let mut job = Job::ft(3, REBUILD);
        job.kill(1, 9);
        let a = job.take();
        assert!(a.contains(&Action::Spawn {
            rank: 1,
            incarnation: 1
        }));
        job.rejoin(1, 1);
        assert!(job.take().is_empty(), "held: no table");
        // A held process hears of no failure.
        job.kill(2, 6);
        let a = job.take();
        assert_eq!(sent(&a, 100), [failure(2, 2, 0, proto::HOW_SIGNAL, 6)]);
        assert!(sent(&a, 201).is_empty());
        assert!(a.contains(&Action::Spawn {
            rank: 2,
            incarnation: 1
        }));
        job.rejoin(2, 1);
        // The held processes count as joined: one Recover lets both in.
        job.recover(100, REBUILD, &[0, 1, 2], &[2]);
        let a = job.take();
        assert_eq!(sent(&a, 100), [recovered(&[1, 2], 2, &[(1, 1), (2, 1)])]);
        assert!(matches!(sent(&a, 201)[0], Msg::Table { .. }));
        assert!(matches!(sent(&a, 202)[0], Msg::Table { .. }));
    }

    #[test]
    fn a_respawn_that_dies_is_respawned_until_the_limit() {
        let mut job = Job::ft_with(
            2,
            FtConfig {
                comm_mode: REBUILD,
                max_respawns: 2,
                ..FtConfig::default()
            },
        );
        job.recover(100, REBUILD, &[0, 1], &[2]);
        job.kill(1, 9);
        assert!(job.take().contains(&Action::Spawn {
            rank: 1,
            incarnation: 1
        }));
        // Dies before its Hello: nobody is told, it comes back once more.
        job.input(Input::Spawned { rank: 1, pid: 2001 });
        job.input(exited(1, 1));
        let a = job.take();
        assert!(sent(&a, 100).is_empty(), "{a:?}");
        assert!(a.contains(&Action::Spawn {
            rank: 1,
            incarnation: 2
        }));
        job.input(Input::Spawned { rank: 1, pid: 2002 });
        job.input(Input::Exited {
            rank: 1,
            exit: Exit::Signal(11),
        });
        let a = job.take();
        assert!(
            !a.iter().any(|a| matches!(a, Action::Spawn { .. })),
            "{a:?}"
        );
        let m = sent(&a, 100);
        assert!(
            refused(&m[0]).is_some_and(|t| t.contains("respawned 2 times")),
            "{m:?}"
        );
        // The survivor finishes alone.
        job.send(100, Msg::Finalize);
        assert_eq!(sent(&job.take(), 100), [Msg::FinalizeAck]);
        job.input(Input::Closed(100));
        job.input(exited(0, 0));
        assert_eq!(job.c.finished(), Some(0));
        let log = job.reports();
        assert_eq!(log[0], "failure log: 3 failures, 1 recovery");
    }

    #[test]
    fn a_respawn_that_cannot_start_fails_the_rebuild() {
        let mut job = Job::ft(2, SHRINK);
        job.kill(1, 9);
        job.recover(100, REBUILD, &[0, 1], &[2]);
        job.take();
        job.input(Input::SpawnFailed {
            rank: 1,
            error: "./a.out: No such file or directory".into(),
            exit_code: 127,
        });
        let a = job.take();
        assert!(!a.contains(&Action::KillAll));
        let m = sent(&a, 100);
        assert!(
            refused(&m[0]).is_some_and(|t| t.contains("cannot respawn rank 1")),
            "{m:?}"
        );
    }

    #[test]
    fn the_barrier_retires_held_processes_nobody_lets_in() {
        let mut job = Job::ft(3, REBUILD);
        job.kill(1, 9);
        job.rejoin(1, 1);
        job.take();
        job.send(100, Msg::Finalize);
        assert!(job.take().is_empty());
        job.send(102, Msg::Finalize);
        let a = job.take();
        assert_eq!(sent(&a, 100), [Msg::FinalizeAck]);
        assert_eq!(sent(&a, 102), [Msg::FinalizeAck]);
        assert!(a.contains(&Action::Kill {
            rank: 1,
            signal: Signal::SIGKILL
        }));
        // Its death is no failure, and does not respawn it again.
        job.input(Input::Closed(201));
        job.input(Input::Exited {
            rank: 1,
            exit: Exit::Signal(9),
        });
        for rank in [0, 2] {
            job.input(Input::Closed(100 + rank as u64));
            job.input(exited(rank, 0));
        }
        let log = job.reports();
        assert_eq!(log[0], "failure log: 1 failure, 0 recoveries");
        assert_eq!(job.c.finished(), Some(0));
    }

    #[test]
    fn the_barrier_waits_for_an_open_agreement() {
        let mut job = Job::ft(3, SHRINK);
        job.recover(100, SHRINK, &[0, 1, 2], &[2]);
        job.send(101, Msg::Finalize);
        job.send(102, Msg::Finalize);
        // Rank 0 waits in the agreement, which the finalized members no longer hold up.
        let a = job.take();
        assert_eq!(sent(&a, 100), [recovered(&[], 2, &[])]);
        assert!(sent(&a, 101).is_empty());
        job.send(100, Msg::Finalize);
        assert_eq!(job.take().len(), 3);
    }

    #[test]
    fn the_old_connection_of_a_respawned_rank_is_cut() {
        let mut job = Job::ft(2, REBUILD);
        // The process dies but its socket stays open (a child holds it).
        job.input(Input::Exited {
            rank: 1,
            exit: Exit::Signal(9),
        });
        job.advance(DRAIN_GRACE);
        let a = job.take();
        assert!(a.contains(&Action::Close(101)), "{a:?}");
        job.send(101, Msg::Finalize);
        job.send(100, Msg::Finalize);
        // Only rank 0 is acknowledged; the stale Finalize did not count for the new rank 1.
        let a = job.take();
        assert_eq!(sent(&a, 100), [Msg::FinalizeAck]);
        assert!(sent(&a, 101).is_empty());
    }

    #[test]
    fn suspects_are_killed_once_in_the_named_incarnation() {
        let mut job = Job::ft(3, SHRINK);
        job.send(
            100,
            Msg::Suspect {
                rank: 2,
                incarnation: 1,
            },
        );
        job.send(
            100,
            Msg::Suspect {
                rank: 9,
                incarnation: 0,
            },
        );
        assert!(job.take().is_empty());
        job.send(
            100,
            Msg::Suspect {
                rank: 2,
                incarnation: 0,
            },
        );
        job.send(
            101,
            Msg::Suspect {
                rank: 2,
                incarnation: 0,
            },
        );
        assert_eq!(
            job.take(),
            vec![Action::Kill {
                rank: 2,
                signal: Signal::SIGKILL
            }]
        );
        job.kill(2, 9);
        job.input(Input::Exited {
            rank: 2,
            exit: Exit::Signal(9),
        });
        job.send(
            100,
            Msg::Suspect {
                rank: 2,
                incarnation: 0,
            },
        );
        let a = job.take();
        assert!(!a.iter().any(|a| matches!(a, Action::Kill { .. })), "{a:?}");
        for rank in [0, 1] {
            job.send(100 + rank as u64, Msg::Finalize);
            job.input(Input::Closed(100 + rank as u64));
            job.input(exited(rank, 0));
        }
        let log = job.reports();
        assert!(log[1].ends_with("(SIGKILL) [suspected]"), "{log:?}");
    }

    #[test]
    fn injected_faults_fire_once_after_the_fence() {
        let inject = |rank, ms, signal| Inject {
            rank,
            after: Duration::from_millis(ms),
            signal,
        };
        let mut job = Job::with_ft(
            3,
            None,
            FtConfig {
                comm_mode: SHRINK,
                injections: vec![
                    inject(1, 2000, Signal::SIGTERM),
                    inject(2, 500, Signal::SIGKILL),
                    inject(2, 700, Signal::SIGKILL),
                ],
                ..FtConfig::default()
            },
        );
        assert_eq!(job.c.poll_timeout(), None, "counted from the fence");
        job.advance(Duration::from_secs(10));
        for rank in 0..3 {
            job.join(rank);
        }
        job.take();
        let fence = job.now;
        assert_eq!(
            job.c.poll_timeout(),
            Some(fence + Duration::from_millis(500))
        );
        job.advance(Duration::from_millis(500));
        assert_eq!(
            job.take(),
            vec![Action::Kill {
                rank: 2,
                signal: Signal::SIGKILL
            }]
        );
        job.kill(2, 9);
        job.take();
        // The second spec for rank 2 finds nobody to kill.
        job.advance(Duration::from_millis(200));
        assert!(job.take().is_empty());
        job.advance(Duration::from_millis(1300));
        assert_eq!(
            job.take(),
            vec![Action::Kill {
                rank: 1,
                signal: Signal::SIGTERM
            }]
        );
        assert_eq!(job.c.poll_timeout(), None);
        job.kill(1, 15);
        job.send(100, Msg::Finalize);
        job.input(Input::Closed(100));
        job.input(exited(0, 0));
        let log = job.reports();
        assert_eq!(log[0], "failure log: 2 failures, 0 recoveries");
        assert!(
            log[1].starts_with(
                "  10.500 s  rank 2 (pid 1002) was killed by signal 9 (SIGKILL) [injected]"
            ),
            "{log:?}"
        );
        assert!(log[2].ends_with("(SIGTERM) [injected]"), "{log:?}");
        assert_eq!(job.c.finished(), Some(0));
    }

    #[test]
    fn injection_in_an_abort_job_ends_it_as_any_death_would() {
        let mut job = Job::with_ft(
            2,
            None,
            FtConfig {
                injections: vec![Inject {
                    rank: 0,
                    after: Duration::ZERO,
                    signal: Signal::SIGKILL,
                }],
                ..FtConfig::default()
            },
        );
        job.join(0);
        job.join(1);
        job.take();
        job.advance(Duration::ZERO);
        assert_eq!(
            job.take(),
            vec![Action::Kill {
                rank: 0,
                signal: Signal::SIGKILL
            }]
        );
        job.kill(0, 9);
        assert!(job.take().contains(&Action::KillAll));
        job.kill(1, 9);
        assert_eq!(job.c.finished(), Some(137));
    }

    #[test]
    fn a_lost_host_fails_its_ranks_in_one_ordered_event() {
        let ft = FtConfig {
            comm_mode: proto::COMM_MODE_SHRINK,
            ..FtConfig::default()
        };
        let mut job = Job::with_ft(5, None, ft);
        for rank in 0..5 {
            job.input(Input::Connected(rank as ConnId));
            job.input(Input::Message(rank as ConnId, hello(rank)));
        }
        job.take();
        // The lost ranks' own connections break first; that alone decides nothing.
        job.input(Input::Closed(3));
        assert!(job.take().is_empty());
        job.input(Input::HostLost {
            host: "n1".into(),
            reason: "its daemon was lost: no heartbeat for 3 s".into(),
            ranks: vec![3, 1],
        });
        let acts = job.take();
        let to_0 = sent(&acts, 0);
        assert_eq!(
            to_0,
            vec![
                failure(1, 1, 0, proto::HOW_LOST, 0),
                failure(2, 3, 0, proto::HOW_LOST, 0)
            ]
        );
        // Nothing else is sent between the two events.
        let frames: Vec<&Action> = acts
            .iter()
            .filter(|a| matches!(a, Action::Send { .. }))
            .collect();
        let seqs: Vec<u64> = frames
            .iter()
            .filter_map(|a| match a {
                Action::Send { frame, .. } => match proto::decode(&frame[4..]) {
                    Ok(Msg::Failure { seq, .. }) => Some(seq),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        assert_eq!(seqs.len(), frames.len());
        assert!(seqs.windows(2).all(|w| w[0] <= w[1]));
        // A late report about the same processes changes nothing.
        job.input(Input::Exited { rank: 1, exit: Exit::Signal(9) });
        assert!(job.take().is_empty());
        assert_eq!(job.c.finished(), None);
    }

    #[test]
    fn a_lost_host_ends_a_job_that_is_not_fault_tolerant() {
        let mut job = Job::new(4, None);
        for rank in 0..4 {
            job.input(Input::Connected(rank as ConnId));
            job.input(Input::Message(rank as ConnId, hello(rank)));
        }
        job.take();
        job.input(Input::HostLost {
            host: "n2".into(),
            reason: "its daemon was lost: its connection closed".into(),
            ranks: vec![2, 3],
        });
        let acts = job.take();
        assert!(acts.contains(&Action::Report(
            "host n2 was lost (its daemon was lost: its connection closed) with ranks 2, 3; aborting the job".into()
        )), "{acts:?}");
        assert!(acts.contains(&Action::KillAll));
        job.input(exited(0, 137));
        job.input(exited(1, 137));
        assert_eq!(job.c.finished(), Some(1));
    }

    #[test]
    fn a_lost_host_under_rebuild_respawns_all_its_ranks() {
        let ft = FtConfig {
            comm_mode: proto::COMM_MODE_REBUILD,
            ..FtConfig::default()
        };
        let mut job = Job::with_ft(4, None, ft);
        for rank in 0..4 {
            job.input(Input::Connected(rank as ConnId));
            job.input(Input::Message(rank as ConnId, hello(rank)));
        }
        job.take();
        job.input(Input::HostLost {
            host: "n1".into(),
            reason: "its daemon was lost: its connection closed".into(),
            ranks: vec![1, 2],
        });
        let acts = job.take();
        let spawns: Vec<&Action> = acts
            .iter()
            .filter(|a| matches!(a, Action::Spawn { .. }))
            .collect();
        assert_eq!(
            spawns,
            vec![
                &Action::Spawn { rank: 1, incarnation: 1 },
                &Action::Spawn { rank: 2, incarnation: 1 }
            ]
        );
        assert!(acts.contains(&Action::Close(1)) && acts.contains(&Action::Close(2)));
        assert_eq!(
            sent(&acts, 0),
            vec![
                failure(1, 1, 0, proto::HOW_LOST, 0),
                failure(2, 2, 0, proto::HOW_LOST, 0)
            ]
        );
    }
}
