#![forbid(unsafe_code)]
//! `mpirun`, `mpiexec` and `ftmpirun`: start a job on this host and watch it.
//!
//! The pieces, each owning one thing:
//! - [`options`]: the command line.
//! - [`proto`]: the bootstrap protocol, shared with the ranks' side in the MPI library.
//! - `coordinator`: the job's state machine (fence, failures, exit code), free of I/O.
//! - `spawn`: the ranks' processes on this host (start, wait, kill); the part a per-host
//!   daemon will take over.
//! - `stdio`: forwarding the ranks' output, a line at a time.
//! - `bootstrap`: the socket server, a reader and a writer thread per connection.
//! - `jobdir`: the job id, the socket directory and cleaning up after the job.
//! - [`hostfile`], `remote`, [`daemon_proto`], [`daemon`]: jobs on several hosts (a daemon
//!   per host, started by a launch agent, talking to mpirun over authenticated TCP).
//!
//! This file is the driver: every thread reports to one channel, and the main thread feeds
//! what arrives to the coordinator and carries out its actions. Nothing polls or sleeps; the
//! only timed wait is the coordinator's next deadline.

pub mod daemon;
pub mod daemon_proto;
pub mod hostfile;
pub mod options;
pub mod proto;

mod bootstrap;
mod coordinator;
mod jobdir;
mod remote;
mod spawn;
mod stdio;

use std::collections::HashMap;
use std::ffi::OsString;
use std::io::{self, Write};
use std::os::unix::net::UnixListener;
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{RecvTimeoutError, Sender};
use nix::errno::Errno;
use nix::sys::signal::{SigSet, Signal};

use coordinator::{Action, ConnId, Coordinator, FtConfig, Input};
use options::{Options, Request, UsageError};

/// Which command was run; they differ in name and, for `ftmpirun`, in default modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Mpirun,
    Mpiexec,
    /// FT-MPI's own launcher name: REBUILD and NOP unless told otherwise.
    Ftmpirun,
}

impl Flavor {
    /// The command name, which also prefixes everything mpirun itself prints.
    pub fn name(self) -> &'static str {
        match self {
            Flavor::Mpirun => "mpirun",
            Flavor::Mpiexec => "mpiexec",
            Flavor::Ftmpirun => "ftmpirun",
        }
    }

    /// Communicator and message mode when neither the command line nor the environment
    /// names one.
    fn default_modes(self) -> (Option<&'static str>, Option<&'static str>) {
        match self {
            Flavor::Ftmpirun => (Some("REBUILD"), Some("NOP")),
            Flavor::Mpirun | Flavor::Mpiexec => (None, None),
        }
    }
}

/// How long the output of a finished job may sit idle before mpirun stops waiting for it.
const OUTPUT_IDLE: Duration = Duration::from_secs(1);

/// What the threads report to the driver.
pub(crate) enum Event {
    Connected(ConnId, bootstrap::Conn),
    Input(Input),
    /// A TCP connection failed the handshake; say why.
    Refused(String),
    /// A daemon connected and proved it knows the job key.
    DaemonUp {
        id: ConnId,
        host: u32,
        pid: u32,
        peer: String,
        conn: remote::DaemonConn,
    },
    Daemon(ConnId, daemon_proto::FromDaemon),
    DaemonLost(ConnId, String),
    /// The launch agent of a host exited, with this status.
    AgentExited(u32, String),
}

/// The whole of `mpirun`: parse the command line, run the job, return its exit status.
pub fn main(flavor: Flavor) -> ExitCode {
    let name = flavor.name();
    let args = std::env::args_os().skip(1).collect();
    match options::parse(args, std::env::var_os("MPIEXEC_TIMEOUT")) {
        Err(e) => {
            say(
                name,
                &format!("{e}\nTry '{name} --help' for more information."),
            );
            ExitCode::from(options::USAGE_EXIT)
        }
        Ok(Request::Help) => {
            let _ = io::stdout().write_all(options::usage(flavor).as_bytes());
            ExitCode::SUCCESS
        }
        Ok(Request::Version) => {
            let _ = writeln!(io::stdout(), "{name} (ftmpi) {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Ok(Request::Run(opts)) => {
            let ft = match ft_config(flavor, &opts) {
                Ok(ft) => ft,
                Err(e) => {
                    say(name, &e.to_string());
                    return ExitCode::from(options::USAGE_EXIT);
                }
            };
            match run(flavor, &opts, ft) {
                Ok(code) => ExitCode::from(code),
                Err(e) => {
                    say(name, &e.to_string());
                    ExitCode::from(1)
                }
            }
        }
    }
}

/// Prints `name: text` on stderr; a closed stderr is no reason to fail.
fn say(name: &str, text: &str) {
    let _ = writeln!(io::stderr().lock(), "{name}: {text}");
}

/// The job's fault-tolerance settings: the command line first, then mpirun's environment,
/// then the flavor's defaults.
fn ft_config(flavor: Flavor, opts: &Options) -> Result<FtConfig, UsageError> {
    use proto::env;
    let var = |name: &str| -> Result<Option<String>, UsageError> {
        match std::env::var_os(name) {
            None => Ok(None),
            Some(v) => v
                .into_string()
                .map(Some)
                .map_err(|_| UsageError(format!("{name} is not valid UTF-8"))),
        }
    };
    let mode = match (&opts.comm_mode, var(env::COMM_MODE)?) {
        (Some(m), _) => m.clone(),
        (None, Some(m)) if !m.trim().is_empty() => m.trim().to_ascii_uppercase(),
        _ => flavor.default_modes().0.unwrap_or("ABORT").to_string(),
    };
    let comm_mode = match mode.as_str() {
        "ABORT" => proto::COMM_MODE_ABORT,
        "BLANK" => proto::COMM_MODE_BLANK,
        "SHRINK" => proto::COMM_MODE_SHRINK,
        "REBUILD" => proto::COMM_MODE_REBUILD,
        _ => {
            return Err(UsageError(format!(
                "{}: unknown mode {mode:?} (expected one of abort, blank, shrink, rebuild)",
                env::COMM_MODE
            )));
        }
    };
    let mut injections = opts.injections.clone();
    if let Some(text) = var(env::INJECT)? {
        injections.extend(options::env_injections(&text, opts.np)?);
    }
    let max_respawns = match var(env::MAX_RESPAWNS)? {
        None => coordinator::DEFAULT_MAX_RESPAWNS,
        Some(v) => v.trim().parse::<u32>().map_err(|_| {
            UsageError(format!(
                "{}: {v:?} is not a whole number",
                env::MAX_RESPAWNS
            ))
        })?,
    };
    Ok(FtConfig {
        comm_mode,
        injections,
        max_respawns,
    })
}

fn run(flavor: Flavor, opts: &Options, ft: FtConfig) -> io::Result<u8> {
    let name = flavor.name();
    // Blocked before any thread exists, so every thread inherits the mask and only the
    // watcher receives them. Children start with an empty mask (std::process resets it).
    let signals = block_signals()?;

    let job = jobdir::JobDir::create()?;
    let socket = job.socket();
    let listener = UnixListener::bind(&socket).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot listen on {}: {e}", socket.display()),
        )
    })?;

    let (tx, rx) = crossbeam_channel::unbounded();
    watch_signals(signals, tx.clone())?;
    bootstrap::serve(listener, tx.clone())?;

    let key = crate::auth::JobKey::generate()?;
    let mut env = job_env(flavor, opts, job.id(), &socket, &key);
    // A job on several hosts, unless every host is this one.
    let multi = opts.hosts.iter().any(|h| h.name != hostfile::LOCAL_NAME);
    let mut cluster = None;
    if multi {
        let ip = remote::choose_addr(opts).map_err(io::Error::other)?;
        let listen = remote::listen(ip, key.clone(), tx.clone())?;
        let remote_env: Vec<(Vec<u8>, Vec<u8>)> = env
            .iter()
            .filter(|(k, _)| k != proto::env::BOOTSTRAP && k != proto::env::HOST)
            .map(|(k, v)| (k.as_encoded_bytes().to_vec(), v.as_encoded_bytes().to_vec()))
            .chain([(
                proto::env::BOOTSTRAP.as_bytes().to_vec(),
                format!("tcp:{listen}").into_bytes(),
            )])
            .collect();
        let setup = daemon_proto::ToDaemon::Setup {
            program: opts.program.as_encoded_bytes().to_vec(),
            args: opts.args.iter().map(|a| a.as_encoded_bytes().to_vec()).collect(),
            env: remote_env,
            cwd: std::env::current_dir()
                .map(|d| d.into_os_string().into_encoded_bytes())
                .unwrap_or_default(),
        };
        let local = remote::Cluster::local_index(&opts.hosts).unwrap_or(0);
        env.push((proto::env::HOST.into(), local.to_string().into()));
        env.push((proto::env::TCP_ADDR.into(), ip.to_string().into()));
        cluster = Some(remote::Cluster::start(opts, listen, &key, setup, &tx)?);
    }
    let launch = spawn::Launch {
        program: opts.program.clone(),
        args: opts.args.clone(),
        env,
        tag_output: opts.tag_output,
    };
    let mut host = spawn::LocalHost::new(launch, tx);
    let mut coord = Coordinator::with_ft(opts.np, opts.timeout, ft, Instant::now());
    let mut conns: HashMap<ConnId, bootstrap::Conn> = HashMap::new();

    let code = loop {
        while let Some(action) = coord.poll_action() {
            match action {
                Action::Spawn { rank, incarnation } => {
                    let here = match cluster.as_mut() {
                        None => Ok(true),
                        Some(c) => c.spawn(rank, incarnation, &mut |reader, rank, is_err| {
                            let stream = if is_err {
                                stdio::Stream::Stderr
                            } else {
                                stdio::Stream::Stdout
                            };
                            host.forward_remote(reader, rank, stream)
                        }),
                    };
                    let input = match here {
                        Ok(true) => match host.spawn(rank, incarnation) {
                            Ok(pid) => Some(Input::Spawned { rank, pid }),
                            Err(e) => Some(Input::SpawnFailed {
                                rank,
                                error: e.text,
                                exit_code: e.exit_code,
                            }),
                        },
                        // Its daemon reports the outcome.
                        Ok(false) => None,
                        Err(error) => Some(Input::SpawnFailed {
                            rank,
                            error,
                            exit_code: 1,
                        }),
                    };
                    if let (Some(Input::SpawnFailed { rank, .. }), Some(c)) =
                        (&input, cluster.as_mut())
                    {
                        c.local_exit(*rank);
                    }
                    if let Some(input) = input {
                        coord.handle(input, Instant::now());
                    }
                }
                Action::Send { conn, frame } => {
                    if let Some(c) = conns.get(&conn) {
                        c.send(frame);
                    }
                }
                Action::Close(conn) => {
                    if let Some(c) = conns.remove(&conn) {
                        c.shutdown();
                    }
                }
                Action::KillAll => {
                    host.kill_all();
                    if let Some(c) = cluster.as_mut() {
                        c.kill_all();
                    }
                }
                Action::Kill { rank, signal } => match &cluster {
                    Some(c) if !c.is_local(rank) => c.kill(rank, signal as i32),
                    _ => host.kill(rank, signal),
                },
                Action::RemoveSegment { rank, incarnation } => {
                    job.remove_segment(rank, incarnation);
                }
                Action::Report(text) => say(name, &text),
            }
        }
        if let Some(code) = coord.finished() {
            break code;
        }
        let daemons_due = cluster.as_ref().and_then(|c| c.start_deadline());
        let deadline = match (coord.poll_timeout(), daemons_due) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let event = match deadline {
            Some(deadline) => match rx.recv_deadline(deadline) {
                Ok(event) => Some(event),
                Err(RecvTimeoutError::Timeout) => None,
                // The driver holds a sender through `host`, so this cannot happen.
                Err(RecvTimeoutError::Disconnected) => break 1,
            },
            None => match rx.recv() {
                Ok(event) => Some(event),
                Err(_) => break 1,
            },
        };
        let now = Instant::now();
        match event {
            Some(Event::Connected(id, conn)) => {
                conns.insert(id, conn);
                coord.handle(Input::Connected(id), now);
            }
            Some(Event::Input(input)) => {
                if let Input::Closed(id) = input {
                    conns.remove(&id);
                }
                if let (Input::Exited { rank, .. }, Some(c)) = (&input, cluster.as_mut()) {
                    c.local_exit(*rank);
                }
                coord.handle(input, now);
            }
            Some(Event::Refused(text)) => say(name, &text),
            Some(Event::DaemonUp {
                id,
                host: index,
                pid,
                peer,
                conn,
            }) => {
                if let Some(c) = cluster.as_mut()
                    && let Some(text) = c.up(id, index, pid, peer, conn)
                {
                    say(name, &text);
                }
            }
            Some(Event::Daemon(id, msg)) => {
                if let Some(c) = cluster.as_mut() {
                    match c.news(id, msg) {
                        remote::News::Input(input) => coord.handle(input, now),
                        remote::News::Say(text) => say(name, &text),
                        remote::News::Nothing => {}
                    }
                }
            }
            Some(Event::DaemonLost(id, reason)) => {
                if let Some(input) = cluster.as_mut().and_then(|c| c.conn_lost(id, &reason)) {
                    coord.handle(input, now);
                }
            }
            Some(Event::AgentExited(index, status)) => {
                if let Some(input) = cluster.as_mut().and_then(|c| c.agent_exited(index, &status))
                {
                    coord.handle(input, now);
                }
            }
            None => {}
        }
        if daemons_due.is_some_and(|t| t <= now)
            && let Some(c) = cluster.as_mut()
        {
            for input in c.overdue() {
                coord.handle(input, now);
            }
        }
        // Also after an event: a steady stream of them must not hold a deadline back.
        if coord.poll_timeout().is_some_and(|t| t <= now) {
            coord.handle_timeout(now);
        }
    };

    // Remote output still comes through the daemons' connections: pass it on until every
    // remote stream has ended, or none of them has moved for a while.
    if let Some(mut c) = cluster {
        while c.output_open() {
            match rx.recv_timeout(OUTPUT_IDLE) {
                Ok(Event::Daemon(id, msg)) => {
                    c.news(id, msg);
                }
                Ok(Event::DaemonLost(id, reason)) => {
                    c.conn_lost(id, &reason);
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    }
    if !host.drain_output(OUTPUT_IDLE) {
        say(
            name,
            "output of the job is still open (held by a process a rank started); not waiting for it",
        );
    }
    drop(job);
    Ok(code)
}

/// What mpirun adds to each rank's environment, on top of its own; the spawner adds the rank
/// and incarnation. Later entries win, so `-x` cannot override the protocol's variables.
fn job_env(
    flavor: Flavor,
    opts: &Options,
    jobid: &str,
    socket: &std::path::Path,
    key: &crate::auth::JobKey,
) -> Vec<(OsString, OsString)> {
    use proto::env;
    let mut vars: Vec<(OsString, OsString)> = Vec::new();
    let mut set = |k: &str, v: &str| vars.push((k.into(), v.into()));
    for (name, value) in &opts.exports {
        match value {
            Some(v) => set(name, v),
            None => {
                if std::env::var_os(name).is_none() {
                    say(
                        flavor.name(),
                        &format!("-x {name}: {name} is not set here; nothing to export"),
                    );
                }
            }
        }
    }
    let (default_comm, default_msg) = flavor.default_modes();
    for (var, given, default) in [
        (env::COMM_MODE, &opts.comm_mode, default_comm),
        (env::MSG_MODE, &opts.msg_mode, default_msg),
    ] {
        if let Some(mode) = given {
            set(var, mode);
        } else if let Some(mode) = default
            && std::env::var_os(var).is_none()
        {
            set(var, mode);
        }
    }
    if opts.coll_strict {
        set(env::COLL_STRICT, "1");
    }
    if !opts.inject.is_empty() {
        set(env::INJECT, &opts.inject.join(";"));
    }
    set(env::JOBID, jobid);
    set(env::SIZE, &opts.np.to_string());
    set(env::JOB_KEY, &key.to_hex());
    if !opts.hosts.iter().any(|h| h.name != hostfile::LOCAL_NAME) {
        set(env::HOST, "0");
    }
    vars.push((env::BOOTSTRAP.into(), socket.as_os_str().to_owned()));
    vars
}

fn block_signals() -> io::Result<SigSet> {
    let mut set = SigSet::empty();
    set.add(Signal::SIGINT);
    set.add(Signal::SIGTERM);
    set.thread_block().map_err(io::Error::from)?;
    Ok(set)
}

fn watch_signals(set: SigSet, events: Sender<Event>) -> io::Result<()> {
    thread::Builder::new()
        .name("signals".into())
        .stack_size(128 << 10)
        .spawn(move || {
            loop {
                match set.wait() {
                    Ok(signal) => {
                        if events.send(Event::Input(Input::Signal(signal))).is_err() {
                            return;
                        }
                    }
                    Err(Errno::EINTR) => {}
                    Err(_) => return,
                }
            }
        })?;
    Ok(())
}
