#![forbid(unsafe_code)]
//! Ranks on this host: starting them, waiting for them, killing them.
//!
//! This is the half of a per-host daemon that runs inside mpirun while jobs are local: it
//! carries out `Spawn`, `Kill` and `KillAll` and reports `Spawned` and `Exited`, which a daemon on
//! another host would send over its connection instead.
//!
//! Each rank has a waiter thread. It learns of the death with `waitid(WNOWAIT)`, which leaves
//! the zombie in place, and reaps it under the lock that [`LocalHost::kill_all`] takes, so a
//! SIGKILL can never reach a recycled pid.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs;
use std::io;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crossbeam_channel::Sender;
use nix::errno::Errno;
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{Id, WaitPidFlag, WaitStatus, waitid, waitpid};
use nix::unistd::Pid;
use parking_lot::Mutex;

use super::Event;
use super::coordinator::{Exit, Input};
use super::proto;
use super::stdio::{Output, Stream};

/// What every rank runs.
pub(crate) struct Launch {
    pub(crate) program: OsString,
    pub(crate) args: Vec<OsString>,
    /// Set on top of mpirun's own environment, which every rank inherits.
    pub(crate) env: Vec<(OsString, OsString)>,
    pub(crate) tag_output: bool,
}

/// Why a rank could not be started.
pub(crate) struct SpawnError {
    pub(crate) text: String,
    /// As a shell reports it: 127 when the program is missing, 126 when it cannot run.
    pub(crate) exit_code: u8,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Proc {
    pub(crate) pid: Pid,
    pub(crate) reaped: bool,
}

/// The ranks of one job on this host.
pub(crate) struct LocalHost {
    launch: Launch,
    procs: Arc<Mutex<HashMap<u32, Proc>>>,
    events: Sender<Event>,
    output: Output,
}

impl LocalHost {
    pub(crate) fn new(launch: Launch, events: Sender<Event>) -> LocalHost {
        let output = Output::new(launch.tag_output);
        LocalHost {
            launch,
            procs: Arc::new(Mutex::new(HashMap::new())),
            events,
            output,
        }
    }

    /// Starts `rank` in `incarnation` (0 at the start of the job, higher when respawned), with
    /// the same program, arguments, directory and environment every time. Rank 0 reads
    /// mpirun's stdin; the others read /dev/null.
    pub(crate) fn spawn(&mut self, rank: u32, incarnation: u32) -> Result<u32, SpawnError> {
        let mut cmd = Command::new(&self.launch.program);
        cmd.args(&self.launch.args)
            .envs(self.launch.env.iter().map(|(k, v)| (k, v)))
            .env(proto::env::RANK, rank.to_string())
            .env(proto::env::INCARNATION, incarnation.to_string())
            .stdin(if rank == 0 {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| SpawnError {
            text: format!("{}: {e}", self.launch.program.to_string_lossy()),
            exit_code: match e.kind() {
                io::ErrorKind::NotFound => 127,
                io::ErrorKind::PermissionDenied => 126,
                _ => 1,
            },
        })?;
        let pid = child.id();
        self.procs.lock().insert(
            rank,
            Proc {
                pid: Pid::from_raw(pid as i32),
                reaped: false,
            },
        );
        // The waiter reaps the child, not `Child`: dropping it neither waits nor kills.
        let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
        drop(child);

        let procs = Arc::clone(&self.procs);
        let events = self.events.clone();
        let waiter = thread::Builder::new()
            .name(format!("rank {rank} waiter"))
            .stack_size(128 << 10)
            .spawn(move || {
                let exit = wait_for(rank, Pid::from_raw(pid as i32), &procs);
                let _ = events.send(Event::Input(Input::Exited { rank, exit }));
            });
        let forwarded = waiter.and_then(|_| {
            if let Some(out) = stdout {
                self.output.forward(out, rank, Stream::Stdout)?;
            }
            if let Some(err) = stderr {
                self.output.forward(err, rank, Stream::Stderr)?;
            }
            Ok(())
        });
        if let Err(e) = forwarded {
            // Without its threads the rank cannot be watched; the job ends, this rank with it.
            self.kill_all();
            return Err(SpawnError {
                text: format!("cannot start a thread for rank {rank}: {e}"),
                exit_code: 1,
            });
        }
        Ok(pid)
    }

    /// SIGKILLs every rank not yet reaped, and every process they started. Returns how many
    /// ranks were signalled.
    pub(crate) fn kill_all(&self) -> usize {
        kill_all(&self.procs)
    }

    /// Sends `signal` to the process now in `rank`, unless it has been reaped.
    pub(crate) fn kill(&self, rank: u32, signal: Signal) {
        let procs = self.procs.lock();
        if let Some(p) = procs.get(&rank)
            && !p.reaped
        {
            let _ = kill(p.pid, signal);
        }
    }

    /// Forwards the output of a rank on another host, as read from its daemon.
    pub(crate) fn forward_remote<R: io::Read + Send + 'static>(
        &mut self,
        src: R,
        rank: u32,
        stream: Stream,
    ) -> io::Result<()> {
        self.output.forward(src, rank, stream)
    }

    /// See [`Output::drain`].
    pub(crate) fn drain_output(&mut self, idle: Duration) -> bool {
        self.output.drain(idle)
    }
}

/// Blocks until the rank's process ends, then reaps it.
pub(crate) fn wait_for(rank: u32, pid: Pid, procs: &Mutex<HashMap<u32, Proc>>) -> Exit {
    let seen = loop {
        match waitid(Id::Pid(pid), WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT) {
            Err(Errno::EINTR) => continue,
            other => break other,
        }
    };
    let mut procs = procs.lock();
    let status = match seen {
        Ok(_) => loop {
            match waitpid(pid, None) {
                Err(Errno::EINTR) => continue,
                other => break other,
            }
        },
        Err(e) => Err(e),
    };
    if let Some(p) = procs.get_mut(&rank)
        && p.pid == pid
    {
        // Reaped now, or not our child to wait for: either way not ours to kill.
        p.reaped = true;
    }
    match status {
        Ok(WaitStatus::Exited(_, code)) => Exit::Code(code),
        Ok(WaitStatus::Signaled(_, signal, _)) => Exit::Signal(signal as i32),
        _ => Exit::Lost,
    }
}

/// Every process below `roots`, from /proc. Best effort: a process that forks while this runs
/// may be missed.
/// SIGKILLs every rank in `procs` not yet reaped and whatever they started; returns how many
/// ranks were signalled (mpirun's own ranks, and a daemon's).
pub(crate) fn kill_all(procs: &Mutex<HashMap<u32, Proc>>) -> usize {
    let roots: Vec<Pid> = procs.lock().values().filter(|p| !p.reaped).map(|p| p.pid).collect();
    // The family tree is read before anyone dies: an orphan forgets its parent.
    let family = descendants(&roots);
    let mut killed = 0;
    {
        let procs = procs.lock();
        for p in procs.values().filter(|p| !p.reaped) {
            if kill(p.pid, Signal::SIGKILL).is_ok() {
                killed += 1;
            }
        }
    }
    for pid in family {
        let _ = kill(pid, Signal::SIGKILL);
    }
    killed
}

pub(crate) fn descendants(roots: &[Pid]) -> Vec<Pid> {
    if roots.is_empty() {
        return Vec::new();
    }
    let Ok(dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        if let Some(ppid) = parent_of(&stat) {
            children.entry(ppid).or_default().push(pid);
        }
    }
    let mut found = Vec::new();
    let mut todo: Vec<i32> = roots.iter().map(|p| p.as_raw()).collect();
    while let Some(pid) = todo.pop() {
        if let Some(kids) = children.remove(&pid) {
            found.extend(kids.iter().map(|&k| Pid::from_raw(k)));
            todo.extend(kids);
        }
    }
    found
}

/// The parent pid from the text of /proc/PID/stat: `pid (comm) state ppid ...`, where comm may
/// itself hold spaces and parentheses.
fn parent_of(stat: &str) -> Option<i32> {
    let after_comm = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_comm.split_whitespace();
    fields.next()?;
    fields.next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_from_stat_with_odd_names() {
        assert_eq!(parent_of("42 (sh) S 7 42 42 0 -1"), Some(7));
        assert_eq!(parent_of("42 (a) b) (c) R 9 1 1"), Some(9));
        assert_eq!(parent_of("42 (x"), None);
        assert_eq!(parent_of(""), None);
    }

    #[test]
    fn our_own_parent_has_us_as_a_descendant() {
        let me = Pid::from_raw(std::process::id() as i32);
        let parent = nix::unistd::getppid();
        assert!(descendants(&[parent]).contains(&me));
        assert!(descendants(&[]).is_empty());
    }
}
