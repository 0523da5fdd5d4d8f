#![forbid(unsafe_code)]
//! The job's state machine: which ranks run, who has joined the bootstrap fence, and when and
//! why the job ends.
//!
//! It does no I/O and reads no clock, in the manner of quinn-proto: the driver in `mod.rs`
//! feeds it [`Input`]s with the current time, carries out the [`Action`]s it queues, and calls
//! [`Coordinator::handle_timeout`] once [`Coordinator::poll_timeout`] has passed. Where a rank
//! runs is not its business, so a per-host daemon can later report the same inputs.
//!
//! Rules:
//! - The first failure ends the job: every rank is killed, one line says why, and the exit
//!   code is decided by that failure. Whatever dies afterwards is not reported.
//! - A rank exiting with code 0 is fine unless it joined the job (`Hello`) and did not
//!   `Finalize`, or it left without joining while others wait for it at the fence.
//! - A rank's exit is judged only once its bootstrap connection has drained (or after
//!   [`DRAIN_GRACE`]), so an `Abort` or `Finalize` it sent just before dying is not lost to
//!   the race between the socket reader and the process waiter.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use super::proto::{self, Msg};

/// Names one bootstrap connection for the life of the job.
pub(crate) type ConnId = u64;

/// How long a rank's exit waits for its bootstrap connection to close. The kernel closes a
/// dead process's sockets before its parent hears of the death, so this only matters when
/// another process inherited the socket.
pub(crate) const DRAIN_GRACE: Duration = Duration::from_millis(250);

/// How long after SIGKILL the job waits for its ranks before giving up on them.
pub(crate) const KILL_GRACE: Duration = Duration::from_secs(5);

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
}

/// Something for the driver to do.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Action {
    Spawn {
        rank: u32,
        incarnation: u32,
    },
    /// Write this whole frame to the connection.
    Send {
        conn: ConnId,
        frame: Arc<Vec<u8>>,
    },
    /// Shut the connection down.
    Close(ConnId),
    /// SIGKILL every rank still running.
    KillAll,
    /// Print a line on mpirun's stderr, after `mpirun: `.
    Report(String),
}

#[derive(Debug, Default)]
struct Rank {
    incarnation: u32,
    pid: Option<u32>,
    /// The pid and endpoint it announced.
    hello: Option<(u32, Vec<u8>)>,
    /// Its bootstrap connection, while open.
    conn: Option<ConnId>,
    finalized: bool,
    exit: Option<Exit>,
    /// The exit is known but waits for the connection to drain, at most until then.
    held_until: Option<Instant>,
    judged: bool,
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
}

impl Coordinator {
    /// A job of `size` ranks starting at `now`; the first actions start every rank.
    pub(crate) fn new(size: u32, timeout: Option<Duration>, now: Instant) -> Self {
        let mut c = Coordinator {
            ranks: (0..size).map(|_| Rank::default()).collect(),
            conns: HashMap::new(),
            fence_done: false,
            timeout: timeout.map(|t| (t, now + t)),
            ending: None,
            gave_up: false,
            actions: VecDeque::new(),
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
    /// connection open, and when the job starts to end.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        let held = self.ranks.iter().filter_map(|r| r.held_until);
        let job = match self.ending {
            Some(e) if !self.gave_up => Some(e.give_up_at),
            Some(_) => None,
            None => self.timeout.map(|(_, at)| at),
        };
        held.chain(job).min()
    }

    /// The exit code, once the job is over.
    pub(crate) fn finished(&self) -> Option<u8> {
        let code = self.ending.map_or(0, |e| e.code);
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
            Input::Spawned { rank, pid } => {
                if let Some(r) = self.ranks.get_mut(rank as usize) {
                    r.pid = Some(pid);
                }
            }
            Input::SpawnFailed {
                rank,
                error,
                exit_code,
            } => {
                self.end(
                    exit_code,
                    format!("cannot start rank {rank}: {error}; aborting the job"),
                    now,
                );
            }
            Input::Exited { rank, exit } => self.on_exit(rank, exit, now),
            Input::ServerFailed(error) => {
                self.end(1, format!("bootstrap: {error}; aborting the job"), now);
            }
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
    }

    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        for rank in 0..self.ranks.len() {
            if self.ranks[rank].held_until.is_some_and(|t| t <= now) {
                self.judge(rank, now);
            }
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
                self.ranks[rank as usize].finalized = true;
                self.actions.push_back(Action::Send {
                    conn,
                    frame: Arc::new(proto::encode(&Msg::FinalizeAck)),
                });
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
            r.hello = Some((pid, endpoint));
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
            let entries = self.ranks.iter().filter_map(|r| r.hello.clone()).collect();
            let frame = proto::encode(&Msg::Table { entries });
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
            let frame = Arc::new(frame);
            for r in &self.ranks {
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

    /// Decides what a rank's exit means for the job.
    fn judge(&mut self, rank: usize, now: Instant) {
        let r = &mut self.ranks[rank];
        r.held_until = None;
        r.judged = true;
        if self.ending.is_some() {
            return;
        }
        let pid = pid_text(r.pid);
        let failure = match r.exit {
            Some(Exit::Signal(signo)) => {
                let name = Signal::try_from(signo).map_or("unknown signal", |s| s.as_str());
                Some((
                    128u8.wrapping_add(signo as u8),
                    format!("rank {rank} ({pid}) was killed by signal {signo} ({name})"),
                ))
            }
            Some(Exit::Code(code)) if code != 0 => Some((
                exit_byte(code),
                format!("rank {rank} ({pid}) exited with code {code}"),
            )),
            Some(Exit::Code(_)) if r.hello.is_some() && !r.finalized => Some((
                1,
                format!("rank {rank} ({pid}) exited without calling MPI_Finalize"),
            )),
            Some(Exit::Lost) => Some((1, format!("rank {rank} ({pid}) was lost"))),
            _ => None,
        };
        match failure {
            Some((code, text)) => self.end(code, format!("{text}; aborting the job"), now),
            None => self.check_fence(now),
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
            let now = Instant::now();
            let mut job = Job {
                c: Coordinator::new(size, timeout, now),
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

        fn take(&mut self) -> Vec<Action> {
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
        for rank in 0..2 {
            job.input(Input::Message(100 + rank as u64, Msg::Finalize));
            job.input(Input::Closed(100 + rank as u64));
            job.input(exited(rank, 0));
        }
        let acks = job.take();
        assert_eq!(acks.len(), 2);
        assert!(acks.iter().all(|a| matches!(a, Action::Send { .. })));
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
}
