//! `mpirun` as a user sees it: real processes, real signals, real sockets.
//!
//! Every run has a time limit; nothing sleeps to wait for an event. Ranks that speak the
//! bootstrap protocol are this test binary run again (`fake_rank` below), told by
//! `FTMPI_TEST_FAKE_RANK` which scenario to play.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, unbounded};
use mpi::launcher::proto::{self, Msg, ProtoError};
use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

const MPIRUN: &str = env!("CARGO_BIN_EXE_mpirun");
const MPIEXEC: &str = env!("CARGO_BIN_EXE_mpiexec");
const FTMPIRUN: &str = env!("CARGO_BIN_EXE_ftmpirun");

/// Selects the fake rank's scenario.
const FAKE: &str = "FTMPI_TEST_FAKE_RANK";

/// The limit for a whole run; runs that should end quickly also check their elapsed time.
const LIMIT: Duration = Duration::from_secs(60);

/// How quickly a job must end once one rank has failed.
const FAST: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------------------
// Running mpirun

enum Chunk {
    Out(String),
    Err(String),
    OutEnd,
    ErrEnd,
}

/// A running mpirun, in its own process group so a hang can be cleaned up.
struct Job {
    pid: Pid,
    started: Instant,
    chunks: Receiver<Chunk>,
    status: Receiver<ExitStatus>,
    stdout: String,
    stderr: String,
    open: usize,
}

struct Done {
    status: ExitStatus,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

impl Done {
    fn code(&self) -> Option<i32> {
        self.status.code()
    }

    fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code(),
            Some(code),
            "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
        self
    }

    fn stdout_lines(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.stdout.lines().collect();
        v.sort();
        v
    }
}

fn mpirun(args: &[&str]) -> Command {
    command(MPIRUN, args)
}

fn command(bin: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(bin);
    cmd.args(args);
    // The ranks inherit mpirun's environment; what the outer world set must not leak in.
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("FTMPI_") {
            cmd.env_remove(k);
        }
    }
    cmd.env_remove("MPIEXEC_TIMEOUT");
    cmd
}

fn start(mut cmd: Command, stdin: Option<&str>) -> Job {
    cmd.process_group(0)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("mpirun starts");
    let pid = Pid::from_raw(child.id() as i32);
    if let Some(text) = stdin {
        let mut input = child.stdin.take().unwrap();
        let text = text.to_owned();
        thread::spawn(move || {
            let _ = input.write_all(text.as_bytes());
        });
    }
    let (tx, chunks) = unbounded();
    let out = child.stdout.take().unwrap();
    let err = child.stderr.take().unwrap();
    for (src, is_out) in [
        (Box::new(out) as Box<dyn Read + Send>, true),
        (Box::new(err), false),
    ] {
        let tx = tx.clone();
        thread::spawn(move || {
            let mut r = BufReader::new(src);
            loop {
                let mut line = Vec::new();
                match r.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        let line = String::from_utf8_lossy(&line).into_owned();
                        let _ = tx.send(if is_out {
                            Chunk::Out(line)
                        } else {
                            Chunk::Err(line)
                        });
                    }
                }
            }
            let _ = tx.send(if is_out { Chunk::OutEnd } else { Chunk::ErrEnd });
        });
    }
    let (status_tx, status) = unbounded();
    thread::spawn(move || {
        if let Ok(s) = child.wait() {
            let _ = status_tx.send(s);
        }
    });
    Job {
        pid,
        started: Instant::now(),
        chunks,
        status,
        stdout: String::new(),
        stderr: String::new(),
        open: 2,
    }
}

fn run(cmd: Command) -> Done {
    start(cmd, None).finish()
}

impl Job {
    fn take(&mut self, chunk: Chunk) {
        match chunk {
            Chunk::Out(s) => self.stdout.push_str(&s),
            Chunk::Err(s) => self.stderr.push_str(&s),
            Chunk::OutEnd | Chunk::ErrEnd => self.open -= 1,
        }
    }

    fn deadline(&self) -> Instant {
        self.started + LIMIT
    }

    fn hang(&self, what: &str) -> ! {
        let _ = killpg(self.pid, Signal::SIGKILL);
        panic!(
            "{what} after {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.started.elapsed(),
            self.stdout,
            self.stderr
        );
    }

    /// Waits until stdout holds `n` lines containing `needle`.
    fn wait_for(&mut self, needle: &str, n: usize) {
        while self.stdout.matches(needle).count() < n {
            match self.chunks.recv_deadline(self.deadline()) {
                Ok(c) => self.take(c),
                Err(_) => self.hang(&format!("no {n} × {needle:?} on stdout")),
            }
        }
    }

    fn signal(&self, signal: Signal) {
        kill(self.pid, signal).unwrap();
    }

    /// Waits for mpirun to exit and for its output to close. The output must close soon after
    /// the exit: a rank or a child of one that outlived mpirun would hold it open.
    fn finish(mut self) -> Done {
        let status = loop {
            if self.open == 0 {
                match self.status.recv_deadline(self.deadline()) {
                    Ok(s) => break s,
                    Err(_) => self.hang("mpirun did not exit"),
                }
            }
            crossbeam_channel::select! {
                recv(self.status) -> s => match s {
                    Ok(s) => break s,
                    Err(_) => self.hang("waiting for mpirun failed"),
                },
                recv(self.chunks) -> c => match c {
                    Ok(c) => self.take(c),
                    Err(_) => self.open = 0,
                },
                default(self.deadline().saturating_duration_since(Instant::now())) => {
                    self.hang("mpirun did not exit")
                }
            }
        };
        let elapsed = self.started.elapsed();
        let closed_by = Instant::now() + FAST;
        while self.open > 0 {
            match self.chunks.recv_deadline(closed_by) {
                Ok(c) => self.take(c),
                Err(RecvTimeoutError::Timeout) => {
                    self.hang("mpirun exited but its output stayed open: something survived")
                }
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        Done {
            status,
            stdout: self.stdout,
            stderr: self.stderr,
            elapsed,
        }
    }
}

fn sh(script: &str) -> [&str; 3] {
    ["sh", "-c", script]
}

fn with<'a>(opts: &[&'a str], program: &[&'a str]) -> Vec<&'a str> {
    opts.iter().chain(program).copied().collect()
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("launcher-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// True when no process `pid` is running (a zombie waiting for init counts as gone).
fn gone(pid: u32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => {
            let state = stat[stat.rfind(')').unwrap() + 1..]
                .split_whitespace()
                .next();
            matches!(state, Some("Z" | "X"))
        }
    }
}

// ---------------------------------------------------------------------------------------
// Exit codes, failures and signals

#[test]
fn all_ranks_exiting_zero_is_success() {
    let done = run(mpirun(&["-np", "3", "hostname"]));
    done.expect_code(0);
    assert_eq!(done.stdout.lines().count(), 3, "{}", done.stdout);
    assert!(done.stderr.is_empty(), "{}", done.stderr);
    run(mpirun(&["-n", "2", "true"])).expect_code(0);
}

#[test]
fn a_failing_rank_ends_the_job_with_its_code() {
    let script = r#"if [ "$FTMPI_RANK" = 2 ]; then exit 3; fi; exec sleep 30"#;
    let done = run(mpirun(&with(&["-np", "3"], &sh(script))));
    done.expect_code(3);
    assert!(done.elapsed < FAST, "took {:?}", done.elapsed);
    assert!(
        done.stderr.contains("mpirun: rank 2 (pid ")
            && done
                .stderr
                .contains(") exited with code 3; aborting the job"),
        "{}",
        done.stderr
    );
    assert_eq!(done.stderr.lines().count(), 1, "{}", done.stderr);
}

#[test]
fn signal_death_kills_the_others_and_their_children_at_once() {
    let dir = scratch("sigkill");
    let fifo = dir.join("go");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
    // Rank 0's sleep is a child of its shell, not the rank itself; rank 1 dies on cue.
    let script = r#"if [ "$FTMPI_RANK" = 1 ]; then read go < "$GO"; kill -9 $$; fi
                    sleep 30 & echo "sleeper $!"; wait; echo survived"#;
    let mut cmd = mpirun(&with(&["-np", "2"], &sh(script)));
    cmd.env("GO", &fifo);
    let mut job = start(cmd, None);
    job.wait_for("sleeper ", 1);
    let sleeper: u32 = job
        .stdout
        .trim()
        .strip_prefix("sleeper ")
        .unwrap()
        .parse()
        .unwrap();
    let killed_at = Instant::now();
    fs::write(&fifo, "go\n").unwrap();
    let done = job.finish();
    done.expect_code(137);
    assert!(killed_at.elapsed() < FAST, "took {:?}", killed_at.elapsed());
    assert!(
        done.stderr
            .contains("was killed by signal 9 (SIGKILL); aborting the job")
            && done.stderr.contains("mpirun: rank 1 (pid "),
        "{}",
        done.stderr
    );
    assert!(!done.stdout.contains("survived"));
    assert!(gone(sleeper), "rank 0's child {sleeper} still runs");
    let _ = fs::remove_dir_all(dir);
}

#[test]
fn timeout_kills_the_job_with_124() {
    let done = run(mpirun(&["--timeout", "1", "-np", "2", "sleep", "30"]));
    done.expect_code(124);
    assert!(done.elapsed >= Duration::from_secs(1) && done.elapsed < FAST);
    assert!(
        done.stderr
            .contains("mpirun: job timed out after 1 s; killed 2 ranks"),
        "{}",
        done.stderr
    );

    let mut cmd = mpirun(&["-np", "1", "sleep", "30"]);
    cmd.env("MPIEXEC_TIMEOUT", "1");
    let done = run(cmd);
    done.expect_code(124);
    assert!(done.stderr.contains("killed 1 rank"), "{}", done.stderr);
}

#[test]
fn sigterm_and_sigint_kill_the_job() {
    for (signal, code) in [(Signal::SIGTERM, 143), (Signal::SIGINT, 130)] {
        let mut job = start(
            mpirun(&with(&["-np", "2"], &sh("echo ready; exec sleep 30"))),
            None,
        );
        job.wait_for("ready", 2);
        let sent = Instant::now();
        job.signal(signal);
        let done = job.finish();
        done.expect_code(code);
        assert!(sent.elapsed() < FAST);
        assert!(
            done.stderr.contains(&format!("caught {}", signal.as_str())),
            "{}",
            done.stderr
        );
    }
}

#[test]
fn missing_program_exits_127() {
    let done = run(mpirun(&["-np", "2", "./no-such-program-here"]));
    done.expect_code(127);
    assert!(
        done.stderr.contains("cannot start rank 0"),
        "{}",
        done.stderr
    );
}

// ---------------------------------------------------------------------------------------
// Output, input and environment

#[test]
fn tag_output_prefixes_every_line_like_open_mpi() {
    let script = r#"printf 'a%s\nb%s' $FTMPI_RANK $FTMPI_RANK; echo e$FTMPI_RANK >&2"#;
    let done = run(mpirun(&with(&["-np", "2", "--tag-output"], &sh(script))));
    done.expect_code(0);
    assert_eq!(
        done.stdout_lines(),
        [
            "[1,0]<stdout>:a0",
            "[1,0]<stdout>:b0",
            "[1,1]<stdout>:a1",
            "[1,1]<stdout>:b1"
        ]
    );
    let mut err: Vec<&str> = done.stderr.lines().collect();
    err.sort();
    assert_eq!(err, ["[1,0]<stderr>:e0", "[1,1]<stderr>:e1"]);
}

#[test]
fn untagged_output_is_passed_on_exactly() {
    let done = run(mpirun(&with(
        &["-np", "1"],
        &sh("printf 'x\\n\\ny'; printf z >&2"),
    )));
    done.expect_code(0);
    assert_eq!(done.stdout, "x\n\ny");
    assert_eq!(done.stderr, "z");
}

#[test]
fn lines_of_different_ranks_never_mix() {
    let long = "0123456789".repeat(40);
    let script =
        format!(r#"i=0; while [ $i -lt 400 ]; do echo "$FTMPI_RANK:{long}"; i=$((i+1)); done"#);
    let done = run(mpirun(&with(&["-np", "4"], &sh(&script))));
    done.expect_code(0);
    let mut per_rank = [0; 4];
    for line in done.stdout.lines() {
        let (rank, rest) = line.split_once(':').expect("a whole line");
        assert_eq!(rest, long, "mixed line: {line}");
        per_rank[rank.parse::<usize>().unwrap()] += 1;
    }
    assert_eq!(per_rank, [400; 4]);
}

#[test]
fn stdin_goes_to_rank_0_only() {
    let script = r#"echo "$FTMPI_RANK read [$(tr '\n' ,)]""#;
    let job = start(
        mpirun(&with(&["-np", "3"], &sh(script))),
        Some("one\ntwo\n"),
    );
    let done = job.finish();
    done.expect_code(0);
    assert_eq!(
        done.stdout_lines(),
        ["0 read [one,two,]", "1 read []", "2 read []"]
    );
}

#[test]
fn environment_of_the_ranks() {
    let script = r#"echo "$FTMPI_RANK/$FTMPI_SIZE inc=$FTMPI_INCARNATION foo=$FOO alpha=$ALPHA job=$FTMPI_JOBID boot=$FTMPI_BOOTSTRAP"
                    test -S "$FTMPI_BOOTSTRAP" && echo socket-ok
                    grep SigBlk /proc/self/status
                    echo "modes=${FTMPI_COMM_MODE-unset}/${FTMPI_MSG_MODE-unset} strict=${FTMPI_COLL_STRICT-unset} inject=${FTMPI_INJECT-unset}""#;
    let mut cmd = mpirun(&with(
        &["-np", "2", "-x", "FOO=bar", "-x", "ALPHA"],
        &sh(script),
    ));
    cmd.env("ALPHA", "beta");
    let done = run(cmd);
    done.expect_code(0);
    let out = &done.stdout;
    for rank in 0..2 {
        assert!(
            out.contains(&format!("{rank}/2 inc=0 foo=bar alpha=beta job=")),
            "{out}"
        );
    }
    let jobid = out
        .split("job=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    let (pid, random) = jobid.split_once('-').unwrap();
    assert!(pid.parse::<u32>().is_ok() && random.len() == 16, "{jobid}");
    let boot = out.split("boot=").nth(1).unwrap().lines().next().unwrap();
    assert!(
        boot.ends_with(&format!("ftmpi-{jobid}/boot.sock")),
        "{boot}"
    );
    assert!(
        !Path::new(boot).parent().unwrap().exists(),
        "socket directory left behind"
    );
    assert_eq!(out.matches("socket-ok").count(), 2, "{out}");
    // mpirun blocks SIGINT and SIGTERM for itself; ranks must not inherit that.
    assert_eq!(out.matches("SigBlk:\t0000000000000000").count(), 2, "{out}");
    assert_eq!(
        out.matches("modes=unset/unset strict=unset inject=unset")
            .count(),
        2
    );
}

#[test]
fn ft_options_reach_the_ranks_in_upper_case() {
    let script = r#"echo "${FTMPI_COMM_MODE-unset}/${FTMPI_MSG_MODE-unset} ${FTMPI_COLL_STRICT-unset} ${FTMPI_INJECT-unset}""#;
    let done = run(mpirun(&with(
        &[
            "-cm",
            "Shrink",
            "--msg-mode",
            "continue",
            "--coll-strict",
            "--inject",
            "kill:rank=0:after=300",
            "--inject",
            "kill:rank=0:after=5ms:signal=TERM",
            "--oversubscribe",
            "--bind-to",
            "core",
        ],
        &sh(script),
    )));
    done.expect_code(0);
    assert_eq!(
        done.stdout,
        "SHRINK/CONTINUE 1 kill:rank=0:after=300;kill:rank=0:after=5ms:signal=TERM\n"
    );

    let done = run(command(FTMPIRUN, &sh(script)));
    done.expect_code(0);
    assert_eq!(done.stdout, "REBUILD/NOP unset unset\n");

    let done = run(command(FTMPIRUN, &with(&["-mm", "cont"], &sh(script))));
    assert_eq!(done.stdout, "REBUILD/CONT unset unset\n");

    let done = run(command(MPIEXEC, &with(&["-n", "1"], &sh(script))));
    assert_eq!(done.stdout, "unset/unset unset unset\n");
}

#[test]
fn many_more_ranks_than_cores() {
    let done = run(mpirun(&with(
        &["-np", "64"],
        &sh(r#"echo "rank $FTMPI_RANK of $FTMPI_SIZE""#),
    )));
    done.expect_code(0);
    let mut ranks: Vec<u32> = done
        .stdout
        .lines()
        .map(|l| {
            let rest = l.strip_prefix("rank ").unwrap();
            assert!(rest.ends_with(" of 64"), "{l}");
            rest.split(' ').next().unwrap().parse().unwrap()
        })
        .collect();
    ranks.sort();
    assert_eq!(ranks, (0..64).collect::<Vec<_>>());
}

// ---------------------------------------------------------------------------------------
// The command line

#[test]
fn usage_errors_exit_2() {
    let cases: &[(&[&str], &str)] = &[
        (&[], "no program to run"),
        (&["-np", "2"], "no program to run"),
        (&["-np"], "-np needs"),
        (&["-np", "zero", "true"], "not a number of ranks"),
        (&["-np", "0", "true"], "not a number of ranks"),
        (&["--frobnicate", "true"], "unknown option --frobnicate"),
        (&["-cm", "sometimes", "true"], "unknown mode"),
        (&["-mm", "rebuild", "true"], "unknown mode"),
        (&["--timeout", "soon", "true"], "seconds"),
        (
            &["-x", "=x", "true"],
            "not a valid environment variable name",
        ),
    ];
    for (args, message) in cases {
        let done = run(mpirun(args));
        assert_eq!(done.code(), Some(2), "{args:?}: {}", done.stderr);
        assert!(
            done.stderr.starts_with("mpirun: ") && done.stderr.contains(message),
            "{args:?}: {}",
            done.stderr
        );
        assert!(done.stdout.is_empty());
    }
    let mut cmd = mpirun(&["true"]);
    cmd.env("MPIEXEC_TIMEOUT", "later");
    assert_eq!(run(cmd).code(), Some(2));
}

#[test]
fn help_and_version() {
    for (bin, name) in [
        (MPIRUN, "mpirun"),
        (MPIEXEC, "mpiexec"),
        (FTMPIRUN, "ftmpirun"),
    ] {
        for flag in ["-h", "--help"] {
            let done = run(command(bin, &[flag]));
            done.expect_code(0);
            assert!(
                done.stdout.starts_with(&format!("Usage: {name} ")),
                "{}",
                done.stdout
            );
            assert!(done.stdout.contains("--tag-output"));
        }
        let done = run(command(bin, &["--version"]));
        done.expect_code(0);
        assert!(done.stdout.starts_with(&format!("{name} (ftmpi) ")));
    }
    let done = run(command(MPIEXEC, &["--nope"]));
    assert_eq!(done.code(), Some(2));
    assert!(done.stderr.starts_with("mpiexec: unknown option --nope"));
}

// ---------------------------------------------------------------------------------------
// The bootstrap protocol, with this binary as the ranks

/// The ranks' side of the tests below; does nothing unless run by mpirun for one of them.
#[test]
fn fake_rank() {
    let Ok(scenario) = std::env::var(FAKE) else {
        return;
    };
    let code = match fake::play(&scenario) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("fake rank {}: {e}", fake::rank());
            99
        }
    };
    std::process::exit(code);
}

fn fake_ranks(np: u32, scenario: &str) -> Command {
    fake_job(MPIRUN, &[], np, scenario)
}

fn fake_job(bin: &str, opts: &[&str], np: u32, scenario: &str) -> Command {
    let me = std::env::current_exe().unwrap();
    let np = np.to_string();
    let mut cmd = command(bin, &with(opts, &["-np", &np]));
    cmd.arg(me)
        .args(["--exact", "fake_rank", "--nocapture", "--test-threads=1"])
        .env(FAKE, scenario);
    cmd
}

#[test]
fn fence_then_finalize_then_cleanup() {
    let done = run(fake_ranks(8, "fence"));
    done.expect_code(0);
    for rank in 0..8 {
        assert!(
            done.stdout.contains(&format!("rank {rank} table ok\n")),
            "{}",
            done.stdout
        );
        assert!(
            done.stdout.contains(&format!("rank {rank} finalized\n")),
            "{}",
            done.stdout
        );
    }
    let segment = done
        .stdout
        .split("segment ")
        .nth(1)
        .unwrap()
        .lines()
        .next()
        .unwrap();
    let boot = done
        .stdout
        .split("bootstrap ")
        .nth(1)
        .unwrap()
        .lines()
        .next()
        .unwrap();
    assert!(!Path::new(segment).exists(), "{segment} left behind");
    assert!(
        !Path::new(boot).parent().unwrap().exists(),
        "{boot} left behind"
    );
    assert!(done.stderr.is_empty(), "{}", done.stderr);
}

#[test]
fn fence_with_64_ranks() {
    let done = run(fake_ranks(64, "fence"));
    done.expect_code(0);
    assert_eq!(done.stdout.matches(" finalized\n").count(), 64);
}

#[test]
fn mpi_abort_ends_the_job_with_its_code() {
    let done = run(fake_ranks(3, "abort"));
    done.expect_code(7);
    assert!(done.elapsed < FAST, "took {:?}", done.elapsed);
    assert!(
        done.stderr
            .contains("mpirun: rank 1 called MPI_Abort with code 7: bad input\n"),
        "{}",
        done.stderr
    );
    assert_eq!(
        done.stderr.matches("mpirun: ").count(),
        1,
        "{}",
        done.stderr
    );
}

#[test]
fn exit_without_finalize_is_a_failure() {
    let done = run(fake_ranks(2, "no-finalize"));
    done.expect_code(1);
    assert!(
        done.stderr.contains("mpirun: rank 1 (pid ")
            && done
                .stderr
                .contains("exited without calling MPI_Finalize; aborting the job"),
        "{}",
        done.stderr
    );
}

#[test]
fn leaving_before_the_fence_fails_the_job() {
    let done = run(fake_ranks(2, "skip-join"));
    done.expect_code(1);
    assert!(
        done.stderr.contains("rank 1 (pid ")
            && done.stderr.contains("exited without joining the job"),
        "{}",
        done.stderr
    );
}

#[test]
fn bad_clients_are_refused_and_the_job_carries_on() {
    let done = run(fake_ranks(2, "bad-clients"));
    done.expect_code(0);
    let refusals = done
        .stderr
        .lines()
        .filter(|l| l.starts_with("mpirun: bootstrap: ") && l.ends_with("; closing the connection"))
        .count();
    let made: usize = done
        .stdout
        .split("refusals ")
        .nth(1)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(refusals, made, "{}", done.stderr);
    assert!(!done.stderr.contains("panicked"), "{}", done.stderr);
    assert_eq!(
        done.stdout.matches(" finalized\n").count(),
        2,
        "{}",
        done.stdout
    );
}

// ---------------------------------------------------------------------------------------
// Fault tolerance, with this binary as the ranks

#[test]
fn inject_errors_exit_2() {
    let cases: &[(&[&str], &str)] = &[
        (&["--inject", "kill:1@3", "true"], "not KEY=VALUE"),
        (
            &["--inject", "kill:rank=1", "-np", "2", "true"],
            "after= is missing",
        ),
        (
            &["--inject", "kill:rank=0:after=1:signal=NOPE", "true"],
            "not a signal",
        ),
        (
            &["--inject", "kill:rank=2:after=1", "-np", "2", "true"],
            "rank 2 is not in a job of 2 ranks",
        ),
        (
            &["--inject", "stop:rank=0:after=1", "true"],
            "unknown fault",
        ),
    ];
    for (args, message) in cases {
        let done = run(mpirun(args));
        assert_eq!(done.code(), Some(2), "{args:?}: {}", done.stderr);
        assert!(
            done.stderr.starts_with("mpirun: --inject: ") && done.stderr.contains(message),
            "{args:?}: {}",
            done.stderr
        );
    }
    for (var, value, message) in [
        (
            "FTMPI_INJECT",
            "kill:rank=0:after=1;kill:rank=0:after=x",
            "FTMPI_INJECT: ",
        ),
        (
            "FTMPI_COMM_MODE",
            "sometimes",
            "FTMPI_COMM_MODE: unknown mode",
        ),
        ("FTMPI_MAX_RESPAWNS", "many", "FTMPI_MAX_RESPAWNS: "),
    ] {
        let mut cmd = mpirun(&["true"]);
        cmd.env(var, value);
        let done = run(cmd);
        assert_eq!(done.code(), Some(2), "{var}: {}", done.stderr);
        assert!(done.stderr.contains(message), "{var}: {}", done.stderr);
    }
}

#[test]
fn injection_in_an_abort_job_ends_it() {
    let done = run(fake_job(
        MPIRUN,
        &["--inject", "kill:rank=1:after=0"],
        3,
        "wait-for-failure",
    ));
    done.expect_code(137);
    assert!(done.elapsed < FAST, "took {:?}", done.elapsed);
    assert!(
        done.stderr.contains("mpirun: rank 1 (pid ")
            && done
                .stderr
                .contains("was killed by signal 9 (SIGKILL); aborting the job"),
        "{}",
        done.stderr
    );
    assert!(!done.stderr.contains("failure log"), "{}", done.stderr);
}

#[test]
fn shrink_job_survives_an_injected_kill() {
    // ABRT, because this binary's runtime catches SEGV and ranks inherit a blocked TERM.
    let done = run(fake_job(
        MPIRUN,
        &[
            "-cm",
            "shrink",
            "--inject",
            "kill:rank=1:after=0:signal=abrt",
        ],
        3,
        "shrink",
    ));
    done.expect_code(0);
    for rank in [0, 2] {
        assert!(
            done.stdout.contains(&format!(
                "rank {rank} failure seq=1 rank=1 how=1 value=6\n"
            )),
            "{}",
            done.stdout
        );
        assert!(
            done.stdout
                .contains(&format!("rank {rank} recovered failed=[1] dup=2\n")),
            "{}",
            done.stdout
        );
        assert!(done.stdout.contains(&format!("rank {rank} finalized\n")));
    }
    assert!(done.stdout.contains("segment gone\n"), "{}", done.stdout);
    let log: Vec<&str> = done.stderr.lines().collect();
    assert_eq!(log.len(), 3, "{}", done.stderr);
    assert_eq!(log[0], "mpirun: failure log: 1 failure, 1 recovery");
    assert!(
        log[1].contains(" s  rank 1 (pid ")
            && log[1].ends_with("was killed by signal 6 (SIGABRT) [injected]"),
        "{}",
        done.stderr
    );
    assert!(
        log[2].contains(" s  recovery of MPI_COMM_WORLD (SHRINK, 2 of 3 members) took "),
        "{}",
        done.stderr
    );
}

#[test]
fn rebuild_job_respawns_the_killed_rank() {
    let done = run(fake_job(
        FTMPIRUN,
        &["--inject", "kill:rank=1:after=0"],
        3,
        "rebuild",
    ));
    done.expect_code(0);
    for rank in [0, 2] {
        assert!(
            done.stdout.contains(&format!(
                "rank {rank} recovered failed=[1] rejoined=[1.1] dup=2\n"
            )),
            "{}",
            done.stdout
        );
    }
    assert!(
        done.stdout
            .contains("rank 1 incarnation 1 let in with 3 endpoints, recovered failed=[1]\n"),
        "{}",
        done.stdout
    );
    assert_eq!(
        done.stdout.matches(" finalized\n").count(),
        3,
        "{}",
        done.stdout
    );
    assert!(
        done.stderr
            .starts_with("ftmpirun: failure log: 1 failure, 1 recovery\n")
            && done
                .stderr
                .contains("rank 1 respawned as incarnation 1 (pid ")
            && done.stderr.contains("(REBUILD, 2 of 3 members)"),
        "{}",
        done.stderr
    );
}

mod fake {
    use super::*;

    pub fn rank() -> u32 {
        var("FTMPI_RANK").parse().unwrap_or(u32::MAX)
    }

    fn var(name: &str) -> String {
        std::env::var(name).unwrap_or_default()
    }

    fn connect() -> Result<UnixStream, String> {
        UnixStream::connect(var("FTMPI_BOOTSTRAP")).map_err(|e| format!("connect: {e}"))
    }

    fn send(s: &mut UnixStream, msg: &Msg) -> Result<(), String> {
        proto::write_msg(s, msg).map_err(|e| format!("send {}: {e}", msg.name()))
    }

    /// The next message, past the `Revoke` notices a real rank acts on and these ignore.
    fn recv(s: &mut UnixStream) -> Result<Msg, String> {
        loop {
            match proto::read_msg(s).map_err(|e| format!("receive: {e}"))? {
                Msg::Revoke { .. } => continue,
                m => return Ok(m),
            }
        }
    }

    fn hello(rank: u32, incarnation: u32) -> Msg {
        Msg::Hello {
            rank,
            incarnation,
            pid: std::process::id(),
            endpoint: format!("ep{rank}").into_bytes(),
        }
    }

    /// Hello, then the table, checked against what every rank announces.
    fn join() -> Result<UnixStream, String> {
        let (me, size) = (rank(), var("FTMPI_SIZE").parse::<usize>().unwrap_or(0));
        let mut s = connect()?;
        send(&mut s, &hello(me, 0))?;
        let Msg::Table { entries } = recv(&mut s)? else {
            return Err("expected Table".into());
        };
        if entries.len() != size {
            return Err(format!("table of {} for a job of {size}", entries.len()));
        }
        for (r, (_, endpoint)) in entries.iter().enumerate() {
            if endpoint != format!("ep{r}").as_bytes() {
                return Err(format!("wrong endpoint for rank {r}"));
            }
        }
        if entries[me as usize].0 != std::process::id() {
            return Err("my own pid is wrong in the table".into());
        }
        println!("rank {me} table ok");
        Ok(s)
    }

    fn finalize(mut s: UnixStream) -> Result<i32, String> {
        send(&mut s, &Msg::Finalize)?;
        match recv(&mut s)? {
            Msg::FinalizeAck => {
                println!("rank {} finalized", rank());
                Ok(0)
            }
            other => Err(format!("expected FinalizeAck, got {}", other.name())),
        }
    }

    /// Blocks until mpirun kills this process.
    fn wait_to_be_killed(mut s: UnixStream) -> Result<i32, String> {
        let _ = proto::read_msg(&mut s);
        Err("still alive after the job ended".into())
    }

    /// Sends `bytes` on a fresh connection and checks that mpirun hangs up.
    fn refused(what: &str, bytes: &[u8], close_write: bool) -> Result<(), String> {
        let mut s = connect()?;
        s.write_all(bytes)
            .map_err(|e| format!("{what}: write: {e}"))?;
        if close_write {
            s.shutdown(std::net::Shutdown::Write)
                .map_err(|e| e.to_string())?;
        }
        match proto::read_msg(&mut s) {
            Err(ProtoError::Closed | ProtoError::Io(_)) => Ok(()),
            other => Err(format!("{what}: not refused: {other:?}")),
        }
    }

    fn free_ids() -> Vec<u64> {
        vec![!0b11]
    }

    fn list(v: &[u32]) -> String {
        let items: Vec<String> = v.iter().map(u32::to_string).collect();
        format!("[{}]", items.join(","))
    }

    /// Reads the failure event every survivor gets, then recovers MPI_COMM_WORLD in `mode`.
    fn survive(s: &mut UnixStream, mode: u8) -> Result<Msg, String> {
        let me = rank();
        let applied = match recv(s)? {
            Msg::Failure {
                seq,
                rank,
                how,
                value,
                ..
            } => {
                println!("rank {me} failure seq={seq} rank={rank} how={how} value={value}");
                seq
            }
            other => return Err(format!("expected Failure, got {other:?}")),
        };
        send(
            s,
            &Msg::Recover {
                context: 0,
                round: 1,
                mode,
                members: vec![0, 1, 2],
                mask: free_ids(),
                seq: applied,
            },
        )?;
        recv(s)
    }

    pub fn play(scenario: &str) -> Result<i32, String> {
        let me = rank();
        match scenario {
            "wait-for-failure" => {
                let s = join()?;
                wait_to_be_killed(s)
            }
            "shrink" => {
                let segment = format!("/dev/shm/ftmpi-{}-1-0", var("FTMPI_JOBID"));
                if me == 1 {
                    // Made before the fence, so it exists when the injected kill comes.
                    fs::write(&segment, b"x").map_err(|e| e.to_string())?;
                    let s = join()?;
                    return wait_to_be_killed(s);
                }
                let mut s = join()?;
                let outcome = survive(&mut s, proto::COMM_MODE_SHRINK)?;
                if me == 0 && !Path::new(&segment).exists() {
                    println!("segment gone");
                }
                match outcome {
                    Msg::Recovered {
                        ok: true,
                        failed,
                        dup_context,
                        ..
                    } => println!(
                        "rank {me} recovered failed={} dup={dup_context}",
                        list(&failed)
                    ),
                    other => return Err(format!("expected Recovered, got {other:?}")),
                }
                finalize(s)
            }
            "rebuild" => {
                if me == 1 && var("FTMPI_INCARNATION") == "1" {
                    let mut s = connect()?;
                    send(&mut s, &hello(1, 1))?;
                    let Msg::Table { entries } = recv(&mut s)? else {
                        return Err("expected Table".into());
                    };
                    if entries[1].0 != std::process::id() {
                        return Err("my new pid is not in the table".into());
                    }
                    match recv(&mut s)? {
                        Msg::Recovered {
                            ok: true, failed, ..
                        } => println!(
                            "rank 1 incarnation 1 let in with {} endpoints, recovered failed={}",
                            entries.len(),
                            list(&failed)
                        ),
                        other => return Err(format!("expected Recovered, got {other:?}")),
                    }
                    return finalize(s);
                }
                let s = join()?;
                if me == 1 {
                    return wait_to_be_killed(s);
                }
                let mut s = s;
                match survive(&mut s, proto::COMM_MODE_REBUILD)? {
                    Msg::Recovered {
                        ok: true,
                        failed,
                        dup_context,
                        rejoined,
                        ..
                    } => {
                        let back: Vec<String> = rejoined
                            .iter()
                            .map(|(r, inc, _, _)| format!("{r}.{inc}"))
                            .collect();
                        println!(
                            "rank {me} recovered failed={} rejoined=[{}] dup={dup_context}",
                            list(&failed),
                            back.join(",")
                        );
                    }
                    other => return Err(format!("expected Recovered, got {other:?}")),
                }
                finalize(s)
            }
            "fence" => {
                let s = join()?;
                if me == 0 {
                    // What a rank's shared memory would look like; mpirun must remove it.
                    let segment = format!("/dev/shm/ftmpi-{}-fake-segment", var("FTMPI_JOBID"));
                    fs::write(&segment, b"x").map_err(|e| e.to_string())?;
                    println!("segment {segment}");
                    println!("bootstrap {}", var("FTMPI_BOOTSTRAP"));
                }
                finalize(s)
            }
            "abort" => {
                let mut s = join()?;
                if me == 1 {
                    send(
                        &mut s,
                        &Msg::Abort {
                            code: 7,
                            message: "bad input".into(),
                        },
                    )?;
                    // Exiting at once, without Finalize, races the Abort to mpirun.
                    return Ok(0);
                }
                wait_to_be_killed(s)
            }
            "no-finalize" => {
                let s = join()?;
                if me == 1 {
                    return Ok(0);
                }
                wait_to_be_killed(s)
            }
            "skip-join" => {
                if me == 1 {
                    return Ok(0);
                }
                let mut s = connect()?;
                send(&mut s, &hello(me, 0))?;
                wait_to_be_killed(s)
            }
            "bad-clients" => {
                if me == 1 {
                    let s = join()?;
                    return finalize(s);
                }
                let frame = |m: &Msg| proto::encode(m);
                let mut long_endpoint = hello(0, 0);
                if let Msg::Hello { endpoint, .. } = &mut long_endpoint {
                    *endpoint = vec![b'x'; proto::MAX_ENDPOINT + 1];
                }
                let mut trailing = frame(&Msg::Finalize);
                trailing[0] = 2;
                trailing.push(0);
                let cases: Vec<(&str, Vec<u8>, bool)> = vec![
                    ("length 0", vec![0, 0, 0, 0], false),
                    ("length over the limit", vec![0xff, 0xff, 0xff, 0xff], false),
                    ("unknown kind", vec![5, 0, 0, 0, 99, 1, 2, 3, 4], false),
                    ("short Hello", vec![3, 0, 0, 0, 1, 0, 0], false),
                    ("trailing bytes", trailing, false),
                    ("endpoint too long", frame(&long_endpoint), false),
                    ("frame cut short", vec![20, 0, 0, 0, 1, 2], true),
                    ("rank out of range", frame(&hello(1000, 0)), false),
                    ("wrong incarnation", frame(&hello(1, 3)), false),
                    ("Finalize first", frame(&Msg::Finalize), false),
                    (
                        "Table from a rank",
                        frame(&Msg::Table {
                            entries: vec![(1, vec![])],
                        }),
                        false,
                    ),
                ];
                for (what, bytes, close_write) in &cases {
                    refused(what, bytes, *close_write)?;
                }
                let mut s = join()?;
                // Now that both ranks are registered, nobody may claim them again.
                refused("duplicate rank 1", &frame(&hello(1, 0)), false)?;
                refused("duplicate rank 0", &frame(&hello(0, 0)), false)?;
                println!("refusals {}", cases.len() + 2);
                send(&mut s, &Msg::Finalize)?;
                match recv(&mut s)? {
                    Msg::FinalizeAck => println!("rank 0 finalized"),
                    other => return Err(format!("expected FinalizeAck, got {}", other.name())),
                }
                Ok(0)
            }
            other => Err(format!("unknown scenario {other}")),
        }
    }
}
