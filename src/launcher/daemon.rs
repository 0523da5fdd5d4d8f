#![forbid(unsafe_code)]
//! `ftmpid`, the per-host daemon: started on each host of a job by mpirun's launch agent, it
//! starts that host's ranks on mpirun's orders and reports what becomes of them.
//!
//! `ftmpid --connect IP:PORT --host N` reads the job key from the first line of its standard
//! input (never from the command line, which `ps` shows), connects to mpirun, proves it knows
//! the key (`auth::client_handshake`), says which host it serves, and then obeys
//! `daemon_proto::ToDaemon` frames. Ranks get the daemon's environment plus the job's, their
//! rank and incarnation, `FTMPI_HOST` (the host's index) and `FTMPI_TCP_ADDR` (this end's
//! address of the connection to mpirun, which is on the job's network). Their stdout and stderr
//! go to mpirun in `Output` frames; their stdin is /dev/null.
//!
//! Without mpirun the ranks must not live on, since mpirun may already have replaced them:
//! when the connection ends or stays silent for `HEARTBEAT_TIMEOUT`, the daemon SIGKILLs every
//! rank (and what they started) and exits.

use std::collections::HashMap;
use std::ffi::OsString;
use std::io::{self, BufRead, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::ffi::OsStringExt;
use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crossbeam_channel::{Sender, select};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use parking_lot::Mutex;

use super::coordinator::Exit;
use super::daemon_proto::{self as dp, FromDaemon, ToDaemon};
use super::proto::env;
use super::spawn::{Proc, kill_all, wait_for};

/// How long connecting to mpirun and the handshake may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

struct Setup {
    program: OsString,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    cwd: Option<std::path::PathBuf>,
}

fn say(text: &str) {
    let _ = writeln!(io::stderr().lock(), "ftmpid: {text}");
}

/// The whole of `ftmpid`.
pub fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            say(&e);
            ExitCode::from(1)
        }
    }
}

fn parse_args() -> Result<(SocketAddr, u32), String> {
    let mut connect = None;
    let mut host = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--connect" => {
                let v = args.next().ok_or("--connect needs IP:PORT")?;
                connect = Some(
                    v.parse::<SocketAddr>()
                        .map_err(|_| format!("--connect: {v:?} is not IP:PORT"))?,
                );
            }
            "--host" => {
                let v = args.next().ok_or("--host needs an index")?;
                host = Some(
                    v.parse::<u32>()
                        .map_err(|_| format!("--host: {v:?} is not a host index"))?,
                );
            }
            other => {
                return Err(format!(
                    "unknown argument {other:?} (usage: ftmpid --connect IP:PORT --host N, job key on stdin)"
                ));
            }
        }
    }
    match (connect, host) {
        (Some(c), Some(h)) => Ok((c, h)),
        _ => Err("usage: ftmpid --connect IP:PORT --host N (job key on stdin)".into()),
    }
}

/// Connects to mpirun, trying again for up to [`CONNECT_TIMEOUT`] while the network says it
/// cannot reach it yet: a neighbour entry that failed moments ago (a link that just came
/// back, a host that just booted) answers "no route to host" at once until it is resolved
/// afresh, and giving up then would fail the whole host for a hiccup.
fn connect_back(addr: std::net::SocketAddr) -> Result<TcpStream, String> {
    let deadline = std::time::Instant::now() + CONNECT_TIMEOUT;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match TcpStream::connect_timeout(&addr, left.max(std::time::Duration::from_millis(100))) {
            Ok(s) => return Ok(s),
            Err(e)
                if matches!(e.raw_os_error(), Some(libc::EHOSTUNREACH) | Some(libc::ENETUNREACH))
                    && std::time::Instant::now() < deadline =>
            {
                // Back off briefly: the kernel resolves the neighbour again on the next try.
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            Err(e) => return Err(format!("cannot connect to mpirun at {addr}: {e}")),
        }
    }
}

fn run() -> Result<ExitCode, String> {
    let (addr, host) = parse_args()?;
    let mut line = String::new();
    io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the job key from stdin: {e}"))?;
    let key = crate::auth::JobKey::from_hex(&line)
        .ok_or("stdin does not start with a job key (64 hex digits)")?;

    let mut stream = connect_back(addr)?;
    let _ = stream.set_nodelay(true);
    stream
        .set_read_timeout(Some(CONNECT_TIMEOUT))
        .map_err(|e| e.to_string())?;
    crate::auth::client_handshake(&mut stream, &key)
        .map_err(|e| format!("mpirun at {addr}: {e}"))?;
    stream
        .write_all(&[dp::ROLE_DAEMON])
        .and_then(|()| {
            stream.write_all(
                &FromDaemon::Hello {
                    host,
                    pid: std::process::id(),
                }
                .encode(),
            )
        })
        .map_err(|e| format!("mpirun at {addr}: {e}"))?;
    stream
        .set_read_timeout(Some(dp::HEARTBEAT_TIMEOUT))
        .map_err(|e| e.to_string())?;
    let local_ip = stream.local_addr().map_err(|e| e.to_string())?.ip();

    // The writer: frames from every thread, and a heartbeat each second.
    let (tx, frames) = crossbeam_channel::unbounded::<Vec<u8>>();
    let mut out = stream.try_clone().map_err(|e| e.to_string())?;
    thread::Builder::new()
        .name("writer".into())
        .spawn(move || {
            let tick = crossbeam_channel::tick(dp::HEARTBEAT);
            let beat = FromDaemon::Heartbeat.encode();
            loop {
                let frame = select! {
                    recv(frames) -> f => match f { Ok(f) => f, Err(_) => return },
                    recv(tick) -> _ => beat.clone(),
                };
                if out.write_all(&frame).is_err() {
                    return;
                }
            }
        })
        .map_err(|e| e.to_string())?;

    let procs: Arc<Mutex<HashMap<u32, Proc>>> = Arc::new(Mutex::new(HashMap::new()));
    let mut setup: Option<Setup> = None;
    let jobid = std::sync::OnceLock::<String>::new();
    let mut started: Vec<(u32, u32)> = Vec::new();
    let (reaped_tx, reaped) = crossbeam_channel::unbounded::<()>();
    let reason = loop {
        let body = match dp::read_frame(&mut stream) {
            Ok(b) => b,
            Err(dp::FrameError::Closed) => break None,
            Err(dp::FrameError::Io(e))
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                break Some(format!(
                    "no word from mpirun for {} s",
                    dp::HEARTBEAT_TIMEOUT.as_secs()
                ));
            }
            Err(e) => break Some(format!("connection to mpirun failed: {e}")),
        };
        let msg = match ToDaemon::decode(&body) {
            Ok(m) => m,
            Err(e) => break Some(format!("malformed frame from mpirun: {e}")),
        };
        match msg {
            ToDaemon::Heartbeat => {}
            ToDaemon::Setup {
                program,
                args,
                env: vars,
                cwd,
            } => {
                let env: Vec<(OsString, OsString)> = vars
                    .into_iter()
                    .map(|(k, v)| (OsString::from_vec(k), OsString::from_vec(v)))
                    .collect();
                if let Some((_, id)) = env.iter().find(|(k, _)| k == env::JOBID) {
                    let _ = jobid.set(id.to_string_lossy().into_owned());
                }
                let cwd = std::path::PathBuf::from(OsString::from_vec(cwd));
                setup = Some(Setup {
                    program: OsString::from_vec(program),
                    args: args.into_iter().map(OsString::from_vec).collect(),
                    env,
                    cwd: cwd.is_dir().then_some(cwd),
                });
            }
            ToDaemon::Spawn { rank, incarnation } => {
                let report = match &setup {
                    None => FromDaemon::SpawnFailed {
                        rank,
                        incarnation,
                        exit_code: 1,
                        error: "the daemon has no program to run".into(),
                    },
                    Some(s) => {
                        started.push((rank, incarnation));
                        let ids = Ids {
                            host,
                            local_ip,
                            rank,
                            incarnation,
                        };
                        spawn(s, ids, &procs, &tx, &reaped_tx, &jobid)
                    }
                };
                let _ = tx.send(report.encode());
            }
            ToDaemon::Kill { rank, signal } => {
                let procs = procs.lock();
                if let Some(p) = procs.get(&rank)
                    && !p.reaped
                    && let Ok(sig) = Signal::try_from(signal)
                {
                    let _ = kill(p.pid, sig);
                }
            }
            ToDaemon::KillAll => {
                kill_all(&procs);
            }
        }
    };
    let killed = kill_all(&procs);
    // Exit only once they are gone, so whoever waits for this daemon waits for them too.
    let give_up = std::time::Instant::now() + Duration::from_secs(2);
    while procs.lock().values().any(|p| !p.reaped) {
        if reaped.recv_deadline(give_up).is_err() {
            break;
        }
    }
    if let Some(id) = jobid.get() {
        // Only this host's: on a shared /dev/shm the others still run.
        for (rank, incarnation) in started.iter() {
            let _ = std::fs::remove_file(format!("/dev/shm/ftmpi-{id}-{rank}-{incarnation}"));
        }
    }
    match reason {
        None if killed == 0 => Ok(ExitCode::SUCCESS),
        None => {
            say(&format!(
                "mpirun closed the connection; killed {killed} rank(s)"
            ));
            Ok(ExitCode::from(1))
        }
        Some(r) => {
            say(&format!("{r}; killed {killed} rank(s)"));
            Ok(ExitCode::from(1))
        }
    }
}

/// Who a new process is.
struct Ids {
    host: u32,
    local_ip: std::net::IpAddr,
    rank: u32,
    incarnation: u32,
}

fn spawn(
    s: &Setup,
    ids: Ids,
    procs: &Arc<Mutex<HashMap<u32, Proc>>>,
    tx: &Sender<Vec<u8>>,
    reaped: &Sender<()>,
    jobid: &std::sync::OnceLock<String>,
) -> FromDaemon {
    let Ids {
        host,
        local_ip,
        rank,
        incarnation,
    } = ids;
    let mut cmd = Command::new(&s.program);
    cmd.args(&s.args)
        .envs(s.env.iter().map(|(k, v)| (k, v)))
        .env(env::RANK, rank.to_string())
        .env(env::INCARNATION, incarnation.to_string())
        .env(env::HOST, host.to_string())
        .env(env::TCP_ADDR, local_ip.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = &s.cwd {
        cmd.current_dir(dir);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return FromDaemon::SpawnFailed {
                rank,
                incarnation,
                exit_code: match e.kind() {
                    io::ErrorKind::NotFound => 127,
                    io::ErrorKind::PermissionDenied => 126,
                    _ => 1,
                },
                error: format!("{}: {e}", s.program.to_string_lossy()),
            };
        }
    };
    let pid = Pid::from_raw(child.id() as i32);
    procs.lock().insert(rank, Proc { pid, reaped: false });
    for (src, stream) in [
        (
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
            dp::STDOUT,
        ),
        (
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
            dp::STDERR,
        ),
    ] {
        let Some(mut src) = src else { continue };
        let tx = tx.clone();
        let _ = thread::Builder::new()
            .name(format!("rank {rank} output"))
            .stack_size(128 << 10)
            .spawn(move || {
                let mut buf = vec![0u8; dp::MAX_OUTPUT];
                loop {
                    let n = match src.read(&mut buf) {
                        Ok(n) => n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(_) => 0,
                    };
                    let frame = FromDaemon::Output {
                        rank,
                        incarnation,
                        stream,
                        data: buf[..n].to_vec(),
                    };
                    if tx.send(frame.encode()).is_err() || n == 0 {
                        return;
                    }
                }
            });
    }
    drop(child);
    let procs = Arc::clone(procs);
    let tx = tx.clone();
    let reaped = reaped.clone();
    let segment = jobid
        .get()
        .map(|id| format!("/dev/shm/ftmpi-{id}-{rank}-{incarnation}"));
    let _ = thread::Builder::new()
        .name(format!("rank {rank} waiter"))
        .stack_size(128 << 10)
        .spawn(move || {
            let exit = wait_for(rank, pid, &procs);
            let _ = reaped.send(());
            let (how, value) = match exit {
                Exit::Code(c) => (dp::EXIT_CODE, c),
                Exit::Signal(s) => (dp::EXIT_SIGNAL, s),
                _ => (dp::EXIT_LOST, 0),
            };
            // A crashed rank leaves its segment behind; nobody maps a dead rank's segment.
            if let Some(path) = segment {
                let _ = std::fs::remove_file(path);
            }
            let _ = tx.send(
                FromDaemon::Exited {
                    rank,
                    incarnation,
                    how,
                    value,
                }
                .encode(),
            );
        });
    FromDaemon::Spawned {
        rank,
        incarnation,
        pid: pid.as_raw() as u32,
    }
}

