//! Jobs across three "hosts": network namespaces ftmpi-h0..h2 joined by a bridge
//! (`scripts/netns up`). mpirun runs inside ftmpi-h0 and starts a daemon in each namespace
//! with `--launch-agent 'ip netns exec {host}'`.
//!
//! Needs root and iproute2. Without them every test says "skipped: network namespaces
//! unavailable (...)" and passes, unless `CI=true`, where that is a failure. The tests share
//! the namespaces (one of them kills everything in ftmpi-h1), so they run one at a time.
//! Every run has a time limit; nothing sleeps to wait for an event.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::symlink;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, unbounded};
use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

const MPIRUN: &str = env!("CARGO_BIN_EXE_mpirun");
const MPICC: &str = env!("CARGO_BIN_EXE_mpicc");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const LIMIT: Duration = Duration::from_secs(60);
const HOSTS: &str = "ftmpi-h0,ftmpi-h1,ftmpi-h2";

/// One test at a time: they share the namespaces.
static SERIAL: Mutex<()> = Mutex::new(());

/// Creates the namespaces once; `Err` says why they are unavailable.
fn namespaces() -> Result<(), String> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        if !nix::unistd::geteuid().is_root() {
            return Err("not root".into());
        }
        let out = Command::new(Path::new(ROOT).join("scripts/netns"))
            .arg("up")
            .output()
            .map_err(|e| format!("cannot run scripts/netns: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "scripts/netns up failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(())
    })
    .clone()
}

/// `None` (after saying so) when the test is to be skipped.
fn setup() -> Option<std::sync::MutexGuard<'static, ()>> {
    let guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    match namespaces() {
        Ok(()) => Some(guard),
        Err(why) => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("network namespaces unavailable ({why}), and CI=true");
            }
            println!("skipped: network namespaces unavailable ({why})");
            None
        }
    }
}

/// The directory of `libmpi.so`, with its soname link.
fn libdir() -> PathBuf {
    let dir = Path::new(MPIRUN).parent().unwrap().to_path_buf();
    let soname = dir.join("libmpi.so.12");
    if fs::symlink_metadata(&soname).is_err() {
        let _ = symlink("libmpi.so", &soname);
    }
    dir
}

/// Builds `src` (relative to the crate) once.
fn build(src: &str) -> PathBuf {
    let src = Path::new(ROOT).join(src);
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hosts");
    fs::create_dir_all(&out_dir).unwrap();
    let out = out_dir.join(src.with_extension("").file_name().unwrap());
    let status = Command::new(MPICC)
        .args(["-Wall", "-Werror", "-g"])
        .arg(format!("-I{}", src.parent().unwrap().display()))
        .arg(format!("-I{ROOT}/c-tests"))
        .arg("-o")
        .arg(&out)
        .arg(&src)
        .env("FTMPI_LIBDIR", libdir())
        .env("FTMPI_INCDIR", Path::new(ROOT).join("include"))
        .status()
        .expect("mpicc runs");
    assert!(status.success(), "cannot build {}", src.display());
    out
}

enum Line {
    Out(String),
    Err(String),
}

/// mpirun in ftmpi-h0, in its own process group.
struct Job {
    child: Child,
    started: Instant,
    lines: Receiver<Line>,
    stdout: String,
    stderr: String,
}

struct Done {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Done {
    fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.status.code(),
            Some(code),
            "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
        self
    }
}

impl Job {
    fn start(mpirun_args: &[&str], prog: &Path, args: &[&str]) -> Job {
        let net = ["--net", "10.77.0.0/24"];
        let net: &[&str] = if mpirun_args.contains(&"--iface") {
            &[]
        } else {
            &net
        };
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", "ftmpi-h0", MPIRUN])
            .args(["--launch-agent", "ip netns exec {host}"])
            .args(net)
            .args(["--timeout", "50"])
            .args(mpirun_args)
            .arg(prog)
            .args(args)
            .env("LD_LIBRARY_PATH", libdir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let mut child = cmd.spawn().expect("mpirun starts");
        let (tx, lines) = unbounded();
        let out = child.stdout.take().unwrap();
        let err = child.stderr.take().unwrap();
        let t = tx.clone();
        thread::spawn(move || {
            for l in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = t.send(Line::Out(l));
            }
        });
        thread::spawn(move || {
            for l in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx.send(Line::Err(l));
            }
        });
        Job {
            child,
            started: Instant::now(),
            lines,
            stdout: String::new(),
            stderr: String::new(),
        }
    }

    fn deadline(&self) -> Instant {
        self.started + LIMIT
    }

    fn take(&mut self, l: Line) -> (bool, String) {
        match l {
            Line::Out(s) => {
                self.stdout.push_str(&s);
                self.stdout.push('\n');
                (true, s)
            }
            Line::Err(s) => {
                self.stderr.push_str(&s);
                self.stderr.push('\n');
                (false, s)
            }
        }
    }

    /// Waits for a line (stdout if `out`, else stderr) that satisfies `want`.
    fn wait_line(&mut self, out: bool, want: impl Fn(&str) -> bool) -> String {
        loop {
            match self.lines.recv_deadline(self.deadline()) {
                Ok(l) => {
                    let (is_out, s) = self.take(l);
                    if is_out == out && want(&s) {
                        return s;
                    }
                }
                Err(e) => {
                    self.kill();
                    panic!(
                        "no such line ({e:?})\n--- stdout\n{}\n--- stderr\n{}",
                        self.stdout, self.stderr
                    );
                }
            }
        }
    }

    fn kill(&mut self) {
        let _ = killpg(Pid::from_raw(self.child.id() as i32), Signal::SIGKILL);
        let _ = self.child.wait();
    }

    fn finish(mut self) -> Done {
        drop(self.child.stdin.take());
        loop {
            match self.lines.recv_deadline(self.deadline()) {
                Ok(l) => {
                    self.take(l);
                }
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {
                    self.kill();
                    panic!(
                        "mpirun did not finish in {LIMIT:?}\n--- stdout\n{}\n--- stderr\n{}",
                        self.stdout, self.stderr
                    );
                }
            }
        }
        // Both pipes ended, so mpirun is exiting or gone.
        let status = self.child.wait().unwrap();
        Done {
            status,
            stdout: self.stdout,
            stderr: self.stderr,
        }
    }
}

fn run(mpirun_args: &[&str], prog: &Path, args: &[&str]) -> Done {
    Job::start(mpirun_args, prog, args).finish()
}

/// SIGKILLs the daemon of namespace `ns`, then everything else in it.
fn kill_host(ns: &str) {
    let out = Command::new("ip")
        .args(["netns", "pids", ns])
        .output()
        .expect("ip netns pids");
    let pids: Vec<i32> = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect();
    let comm = |p: i32| fs::read_to_string(format!("/proc/{p}/comm")).unwrap_or_default();
    let (daemons, others): (Vec<i32>, Vec<i32>) =
        pids.into_iter().partition(|&p| comm(p).trim() == "ftmpid");
    assert!(!daemons.is_empty(), "no daemon in {ns}");
    for p in daemons.into_iter().chain(others) {
        let _ = kill(Pid::from_raw(p), Signal::SIGKILL);
    }
}

#[test]
fn hello_on_three_hosts_with_output_and_exit_code() {
    let Some(_g) = setup() else { return };
    let hello = build("tests/hosts/hello.c");
    let d = run(&["-np", "6", "-H", HOSTS, "--tag-output"], &hello, &[]);
    d.expect_code(0);
    for rank in 0..6 {
        let host = rank % 3;
        let line = format!("[1,{rank}]<stdout>:hello from rank {rank} of 6 on host {host} sum 6");
        assert!(d.stdout.lines().any(|l| l == line), "{line}\n{}", d.stdout);
        let err = format!("[1,{rank}]<stderr>:rank {rank} stderr");
        assert!(d.stderr.lines().any(|l| l == err), "{err}\n{}", d.stderr);
    }
    // --map-by slot with two slots each: 0,1 on h0, 2,3 on h1, 4,5 on h2.
    let d = run(
        &["-np", "6", "-H", "ftmpi-h0:2,ftmpi-h1:2,ftmpi-h2:2"],
        &hello,
        &["5"],
    );
    d.expect_code(5);
    let d = run(
        &[
            "-np",
            "6",
            "-H",
            "ftmpi-h0:2,ftmpi-h1:2,ftmpi-h2:2",
            "--map-by",
            "slot",
        ],
        &hello,
        &[],
    );
    d.expect_code(0);
    for rank in 0..6 {
        let line = format!("hello from rank {rank} of 6 on host {} sum 6", rank / 2);
        assert!(d.stdout.lines().any(|l| l == line), "{line}\n{}", d.stdout);
    }
}

#[test]
fn the_network_by_interface_and_unresolvable_hosts() {
    let Some(_g) = setup() else { return };
    let hello = build("tests/hosts/hello.c");
    let d = run(&["-np", "3", "-H", HOSTS, "--iface", "eth0"], &hello, &[]);
    d.expect_code(0);
    assert_eq!(
        d.stdout.lines().filter(|l| l.starts_with("hello")).count(),
        3
    );
    let d = run(
        &["-np", "3", "-H", HOSTS, "--iface", "nosuch0"],
        &hello,
        &[],
    );
    d.expect_code(1);
    assert!(
        d.stderr
            .contains("--iface: interface nosuch0 has no IPv4 address"),
        "{}",
        d.stderr
    );
    // Without --iface or --net, mpirun needs the address that routes to the first host.
    let out = Command::new(MPIRUN)
        .args(["-H", "ftmpi-unresolvable.invalid", "--timeout", "20"])
        .arg(&hello)
        .env("LD_LIBRARY_PATH", libdir())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot find this host's address towards ftmpi-unresolvable.invalid")
            && err.contains("--iface or --net"),
        "{err}"
    );
}

#[test]
fn host_kill_without_fault_tolerance_ends_the_job_naming_the_host() {
    let Some(_g) = setup() else { return };
    let d = host_kill("abort", 4);
    d.expect_code(1);
    // The daemon's connection ends with an end of stream, or with a reset when it died with
    // bytes unread: "its connection closed" or "its connection failed: Connection reset ...".
    let lost = d.stderr.lines().find(|l| l.starts_with("mpirun: host ftmpi-h1 was lost (its daemon was lost: its connection "));
    assert!(lost.is_some_and(|l| l.ends_with(") with ranks 1, 4; aborting the job")), "{}", d.stderr);
    assert!(!d.stdout.contains("after:"), "{}", d.stdout);
}

#[test]
fn hostfile_and_a_local_host() {
    let Some(_g) = setup() else { return };
    let hello = build("tests/hosts/hello.c");
    let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hosts/hostfile");
    fs::create_dir_all(file.parent().unwrap()).unwrap();
    fs::write(&file, "# the job's hosts\nlocalhost slots=1\nftmpi-h2:2\n").unwrap();
    let d = run(
        &["-np", "3", "--hostfile", file.to_str().unwrap()],
        &hello,
        &[],
    );
    d.expect_code(0);
    for (rank, host) in [(0, 0), (1, 1), (2, 1)] {
        let line = format!("hello from rank {rank} of 3 on host {host} sum 3");
        assert!(d.stdout.lines().any(|l| l == line), "{line}\n{}", d.stdout);
    }
}

#[test]
fn c_tests_across_hosts() {
    let Some(_g) = setup() else { return };
    for (src, np) in [
        ("c-tests/pt2pt/send_recv.c", "3"),
        ("c-tests/pt2pt/any_source.c", "4"),
        ("c-tests/coll/allgather.c", "6"),
        ("c-tests/coll/reduce.c", "5"),
    ] {
        let prog = build(src);
        let d = run(&["-np", np, "-H", HOSTS], &prog, &[]);
        d.expect_code(0);
        assert!(d.stdout.contains("No Errors"), "{src}\n{}", d.stdout);
    }
}

#[test]
fn abort_on_a_remote_host_ends_the_job() {
    let Some(_g) = setup() else { return };
    let prog = build("tests/hosts/abort.c");
    let started = Instant::now();
    let d = run(&["-np", "6", "-H", HOSTS], &prog, &[]);
    d.expect_code(7);
    assert!(d.stderr.contains("rank 5"), "{}", d.stderr);
    assert!(!d.stdout.contains("returned"), "{}", d.stdout);
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn a_launch_agent_that_fails_names_the_host() {
    let Some(_g) = setup() else { return };
    let hello = build("tests/hosts/hello.c");
    let d = run(&["-np", "3", "-H", "ftmpi-h0,ftmpi-nowhere"], &hello, &[]);
    d.expect_code(1);
    assert!(
        d.stderr.contains("host ftmpi-nowhere was lost")
            && d.stderr.contains("launch agent exited"),
        "{}",
        d.stderr
    );
    // A program the daemons cannot start: as with a local rank, 127 and the reason.
    let d = run(
        &["-np", "2", "-H", "ftmpi-h1,ftmpi-h2"],
        Path::new("/nonexistent/prog"),
        &[],
    );
    d.expect_code(127);
    assert!(
        d.stderr.contains("cannot start rank") && d.stderr.contains("/nonexistent/prog"),
        "{}",
        d.stderr
    );
}

fn host_kill(mode: &str, expect_size: usize) -> Done {
    let prog = build("tests/hosts/host_kill.c");
    let size = expect_size.to_string();
    let mut job = Job::start(&["-np", "6", "-H", HOSTS, "-cm", mode], &prog, &[&size]);
    job.wait_line(true, |l| l == "ready");
    kill_host("ftmpi-h1");
    job.finish()
}

/// The "after:" lines of a job that lost ftmpi-h1: `n` of them, none wrong, none from host 1.
fn survivors(d: &Done, n: usize) -> Vec<&str> {
    let after: Vec<&str> = d.stdout.lines().filter(|l| l.starts_with("after:")).collect();
    assert_eq!(after.len(), n, "{}\n{}", d.stdout, d.stderr);
    assert!(after.iter().all(|l| !l.contains("WRONG") && !l.contains("host 1 ")), "{}", d.stdout);
    after
}

#[test]
fn host_kill_under_shrink() {
    let Some(_g) = setup() else { return };
    let d = host_kill("shrink", 4);
    d.expect_code(0);
    survivors(&d, 4);
    assert!(
        d.stderr.contains("host ftmpi-h1 was lost") && d.stderr.contains("ranks 1, 4"),
        "{}",
        d.stderr
    );
}

#[test]
fn host_kill_under_rebuild_respawns_elsewhere() {
    let Some(_g) = setup() else { return };
    let d = host_kill("rebuild", 6);
    d.expect_code(0);
    let after = survivors(&d, 6);
    // Least loaded first: h0 and h2 run two ranks each, so rank 1 goes to h0 and rank 4,
    // with h0 now the busier, to h2.
    assert!(
        after.contains(&"after: rank 1 of 6 on host 0 sum 6"),
        "{}",
        d.stdout
    );
    assert!(
        after.contains(&"after: rank 4 of 6 on host 2 sum 6"),
        "{}",
        d.stdout
    );
    assert!(d.stderr.contains("respawned"), "{}", d.stderr);
}

#[test]
fn outsiders_without_the_key_are_refused_and_the_job_completes() {
    let Some(_g) = setup() else { return };
    let prog = build("tests/hosts/outsider.c");
    let mut job = Job::start(
        &["-np", "3", "-H", "localhost,ftmpi-h1,ftmpi-h2"],
        &prog,
        &[],
    );
    let line = job.wait_line(true, |l| l.starts_with("bootstrap tcp:"));
    let addr = line.trim_start_matches("bootstrap tcp:").to_string();
    // The test's own namespace cannot reach 10.77.0.1: the outsiders knock from ftmpi-h2.
    let knock = |payload: &str| {
        let script = format!(
            "exec 3<>/dev/tcp/{}/{}; printf '{payload}' >&3; cat <&3 >/dev/null",
            addr.split(':').next().unwrap(),
            addr.split(':').nth(1).unwrap()
        );
        let mut c = Command::new("ip")
            .args(["netns", "exec", "ftmpi-h2", "bash", "-c", &script])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        c.wait().unwrap()
    };
    // A wrong key: a well-formed start, then a MAC that cannot be right.
    let mut hello = String::from("FTMPI-AUTH1\\0");
    hello.push_str(&"\\1".repeat(32));
    hello.push_str(&"\\2".repeat(32));
    knock(&hello);
    job.wait_line(false, |l| {
        l.starts_with("mpirun: refused a connection from 10.77.0.3:")
            && l.contains("authentication failed")
    });
    // No key at all: something that is not an ftmpi peer.
    knock(&"x".repeat(44));
    job.wait_line(false, |l| {
        l.starts_with("mpirun: refused a connection from 10.77.0.3:")
            && l.contains("not an ftmpi peer")
    });
    // And one that says nothing and hangs up.
    knock("");
    job.wait_line(false, |l| {
        l.starts_with("mpirun: refused a connection from 10.77.0.3:")
            && l.contains("authentication failed")
    });
    job.child
        .stdin
        .as_mut()
        .unwrap()
        .write_all(b"go\n")
        .unwrap();
    let d = job.finish();
    d.expect_code(0);
    assert!(d.stdout.contains("done sum 3"), "{}", d.stdout);
}

/// Brings the link of a namespace back up when dropped, even after a failed assertion.
struct LinkDown(&'static str);

impl LinkDown {
    fn new(link: &'static str) -> LinkDown {
        let ok = Command::new("ip")
            .args(["link", "set", link, "down"])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "cannot take {link} down");
        LinkDown(link)
    }
}

impl Drop for LinkDown {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["link", "set", self.0, "up"])
            .status();
    }
}

#[test]
fn a_partitioned_host_is_lost_and_its_daemon_kills_its_ranks() {
    let Some(_g) = setup() else { return };
    let prog = build("tests/hosts/host_kill.c");
    let mut job = Job::start(&["-np", "6", "-H", HOSTS, "-cm", "shrink"], &prog, &["4"]);
    job.wait_line(true, |l| l == "ready");
    let link = LinkDown::new("ftmpi-v1");
    // The daemon writes on mpirun's stderr, so the job's output ends only once it is gone too.
    let d = job.finish();
    drop(link);
    d.expect_code(0);
    let after = d.stdout.lines().filter(|l| l.starts_with("after:")).count();
    assert_eq!(after, 4, "{}\n{}", d.stdout, d.stderr);
    assert!(
        d.stderr.contains(
            "host ftmpi-h1 was lost (its daemon was lost: no heartbeat for 3 s) with ranks 1, 4"
        ),
        "{}",
        d.stderr
    );
    assert!(
        d.stderr
            .contains("ftmpid: no word from mpirun for 3 s; killed 2 rank(s)"),
        "{}",
        d.stderr
    );
    let left = Command::new("ip")
        .args(["netns", "pids", "ftmpi-h1"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&left.stdout).trim().is_empty(),
        "processes left in ftmpi-h1: {}",
        String::from_utf8_lossy(&left.stdout)
    );
}
