//! Builds and runs the MPI programs listed in `c-tests/testlist` and
//! `fortran-tests/testlist` (MPICH's `runtests`, in Rust), plus two checks of
//! the installation: the compiler wrappers' `-show` output, and the ABI
//! acceptance check (a program built by Debian's `mpicc.mpich` runs on our
//! `libmpi.so.12` under our `mpirun`).
//!
//! Usage: `cargo test --test mpi_programs [-- [--list] [--skip TEXT]... [FILTER]...]`;
//! a run is selected when its name contains one of the FILTERs (if any are
//! given) and none of the `--skip` TEXTs.
//!
//! Environment:
//! - `FTMPI_TEST_MPICC`, `FTMPI_TEST_MPIF77`, `FTMPI_TEST_MPIRUN`: use another
//!   MPI's tools (e.g. `mpicc.mpich`, `mpif77.mpich`, `mpiexec.mpich`) to
//!   validate the programs; runs marked `only=ftmpi` and the ftmpi-specific
//!   checks are then skipped, and the compilers and programs run without the
//!   directories cargo put on `LD_LIBRARY_PATH` (its `deps/` holds a
//!   `libmpich.so.12` that is our library).
//! - `FTMPI_TEST_WRAP`: a command put before each program, e.g. `valgrind -q`.
//! - `FTMPI_TEST_TIMEOUT_SCALE`: multiplies every timeout (for slow wrappers).
//! - `CI=true`: a missing `gfortran` or `mpicc.mpich` is a failure, not a skip.
//!
//! Testlist lines: `<path> <nprocs> [timeout=S] [env=NAME=VAL]... [arg=X]...
//! [mpirunarg=X]... [expect=exit:N|exit:nonzero] [expect=stderr:TEXT]...
//! [expect=stdout:TEXT]... [only=ftmpi]`, with `#` comments and shell-like
//! double quotes.  Without `expect=`, a run passes when it exits 0 and prints
//! " No Errors" exactly once.

use std::collections::{HashMap, VecDeque};
use std::env;
use std::ffi::OsString;
use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::{PermissionsExt, symlink};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{RecvTimeoutError, unbounded};

const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");
const TARGET_TMPDIR: &str = env!("CARGO_TARGET_TMPDIR");
const OUR_MPICC: &str = env!("CARGO_BIN_EXE_mpicc");
const OUR_MPIF77: &str = env!("CARGO_BIN_EXE_mpif77");
const OUR_MPIRUN: &str = env!("CARGO_BIN_EXE_mpirun");

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
const COMPILE_TIMEOUT: Duration = Duration::from_secs(120);
/// How long output may keep flowing after the launcher has exited.
const DRAIN_GRACE: Duration = Duration::from_secs(5);
/// Output kept per stream; a program that prints more has failed anyway.
const OUTPUT_CAP: usize = 16 << 20;
const TAIL_LINES: usize = 25;
/// The programs for the ABI check, built with `mpicc.mpich`, and their sizes.
const ABI_PROGRAMS: &[(&str, usize)] = &[
    ("pt2pt/send_recv.c", 2),
    ("pt2pt/completion.c", 2),
    ("datatype/basic_types.c", 2),
];

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Lang {
    C,
    Fortran,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ExitExpect {
    Code(i32),
    NonZero,
}

/// One line of a testlist.
#[derive(Clone, Debug)]
struct Spec {
    lang: Lang,
    name: String,
    src: PathBuf,
    nprocs: usize,
    timeout: Duration,
    env: Vec<(String, String)>,
    args: Vec<String>,
    mpirun_args: Vec<String>,
    expect_exit: Option<ExitExpect>,
    expect_stderr: Vec<String>,
    expect_stdout: Vec<String>,
    only_ftmpi: bool,
}

/// The tools under test.
#[derive(Clone, Debug)]
struct Tools {
    mpicc: OsString,
    mpif77: OsString,
    mpirun: OsString,
    /// Another MPI's tools were selected through the FTMPI_TEST_* overrides.
    foreign: bool,
    wrap: Vec<String>,
    timeout_scale: f64,
    libdir: PathBuf,
    incdir: PathBuf,
}

/// What a finished process left.
struct Outcome {
    status: Option<ExitStatus>,
    timed_out: bool,
    stdout: String,
    stderr: String,
    elapsed: Duration,
    /// Processes of its group still alive (or holding its output) after it exited.
    leftovers: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Verdict {
    Ok,
    Failed,
    Timeout,
    Skipped,
}

struct Report {
    name: String,
    verdict: Verdict,
    seconds: f64,
    details: String,
}

fn main() {
    let mut list_only = false;
    let mut filters = Vec::new();
    let mut skips = Vec::new();
    let mut args = env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--list" => list_only = true,
            "--skip" => skips.extend(args.next()),
            // libtest's flags (`cargo test -- ...` passes them to every test target)
            // mean nothing here; some take a value.
            "--test-threads" | "--format" | "--color" | "--logfile" | "-Z" | "--shuffle-seed" => {
                args.next();
            }
            a if a.starts_with('-') => {}
            a => filters.push(a.to_string()),
        }
    }

    let manifest = PathBuf::from(MANIFEST_DIR);
    let mut specs = Vec::new();
    for (dir, lang) in [("c-tests", Lang::C), ("fortran-tests", Lang::Fortran)] {
        let root = manifest.join(dir);
        match parse_testlist(&root, dir, lang) {
            Ok(mut s) => specs.append(&mut s),
            Err(e) => {
                eprintln!("error: testlist under {}: {e}", root.display());
                std::process::exit(2);
            }
        }
    }
    disambiguate(&mut specs);

    let selected = |name: &str| {
        (filters.is_empty() || filters.iter().any(|f| name.contains(f)))
            && !skips.iter().any(|f| name.contains(f))
    };
    specs.retain(|s| selected(&s.name));
    let abi_names: Vec<String> = ABI_PROGRAMS
        .iter()
        .map(|(p, n)| format!("abi: mpicc.mpich c-tests/{p} np={n}"))
        .filter(|n| selected(n))
        .collect();
    let show_names: Vec<String> = ["wrapper: mpicc -show", "wrapper: mpif77 -show"]
        .iter()
        .map(|s| s.to_string())
        .filter(|n| selected(n))
        .collect();

    if list_only {
        for n in specs
            .iter()
            .map(|s| &s.name)
            .chain(&show_names)
            .chain(&abi_names)
        {
            println!("{n}: test");
        }
        return;
    }

    let tools = tools();
    let ci = matches!(env::var("CI").as_deref(), Ok("true") | Ok("1"));
    let cores = thread::available_parallelism().map_or(2, |n| n.get());
    let mut reports = Vec::new();

    println!(
        "mpi_programs: {} runs with {} / {} / {}{}",
        specs.len(),
        tools.mpicc.to_string_lossy(),
        tools.mpif77.to_string_lossy(),
        tools.mpirun.to_string_lossy(),
        if tools.foreign {
            " (overrides: only=ftmpi runs skipped)"
        } else {
            ""
        }
    );

    // Runs that cannot happen here become skips (or failures in CI) up front.
    let have_gfortran = find_in_path("gfortran").is_some();
    if !have_gfortran && specs.iter().any(|s| s.lang == Lang::Fortran) {
        let line = "!".repeat(72);
        println!("{line}\n!! gfortran is not on PATH: the Fortran programs cannot be built.");
        if ci {
            println!("!! CI=true, so they count as failures.");
        } else {
            println!("!! They are SKIPPED. Install gfortran to run them.");
        }
        println!("{line}");
    }
    let mut runnable = Vec::new();
    for spec in specs {
        // (reason, whether it is a failure rather than a skip)
        let skip = if spec.only_ftmpi && tools.foreign {
            Some(("only=ftmpi, and another MPI's tools are selected", false))
        } else if spec.lang == Lang::Fortran && !have_gfortran {
            Some(("gfortran not found", ci))
        } else {
            None
        };
        match skip {
            Some((why, true)) => reports.push(failed(&spec.name, format!("{why} (CI=true)"))),
            Some((why, false)) => reports.push(skipped(&spec.name, why.to_string())),
            None => runnable.push(spec),
        }
    }

    for name in &show_names {
        reports.push(check_show(name, &tools));
    }
    print_reports(&reports);

    let binaries = compile_all(&runnable, &tools, cores);
    let budget = (2 * cores).max(2);
    let run_reports = run_all(runnable, &binaries, &tools, budget);
    reports.extend(run_reports);

    for name in &abi_names {
        let r = abi_check(name, &tools, ci);
        print_reports(std::slice::from_ref(&r));
        reports.push(r);
    }

    let failures: Vec<&Report> = reports
        .iter()
        .filter(|r| matches!(r.verdict, Verdict::Failed | Verdict::Timeout))
        .collect();
    if !failures.is_empty() {
        println!("\nfailures:");
        for r in &failures {
            println!("\n---- {} ----\n{}", r.name, r.details.trim_end());
        }
        println!("\nfailed runs:");
        for r in &failures {
            println!("    {}", r.name);
        }
    }
    let passed = reports.iter().filter(|r| r.verdict == Verdict::Ok).count();
    let skipped_n = reports
        .iter()
        .filter(|r| r.verdict == Verdict::Skipped)
        .count();
    println!();
    if skipped_n > 0 {
        println!(
            "{passed} passed, {} failed, {skipped_n} skipped",
            failures.len()
        );
    } else {
        println!("{passed} passed, {} failed", failures.len());
    }
    io::stdout().flush().ok();
    if !failures.is_empty() {
        std::process::exit(1);
    }
}

fn tools() -> Tools {
    let over = |var: &str| env::var_os(var).filter(|v| !v.is_empty());
    let (mpicc, mpif77, mpirun) = (
        over("FTMPI_TEST_MPICC"),
        over("FTMPI_TEST_MPIF77"),
        over("FTMPI_TEST_MPIRUN"),
    );
    let foreign = mpicc.is_some() || mpif77.is_some() || mpirun.is_some();
    let wrap = env::var("FTMPI_TEST_WRAP")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let timeout_scale = env::var("FTMPI_TEST_TIMEOUT_SCALE")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|x| *x > 0.0)
        .unwrap_or(1.0);
    Tools {
        mpicc: mpicc.unwrap_or_else(|| OUR_MPICC.into()),
        mpif77: mpif77.unwrap_or_else(|| OUR_MPIF77.into()),
        mpirun: mpirun.unwrap_or_else(|| OUR_MPIRUN.into()),
        foreign,
        wrap,
        timeout_scale,
        libdir: prepare_libdir(),
        incdir: Path::new(MANIFEST_DIR).join("include"),
    }
}

/// The `deps/` folder beside this test binary holds `libmpi.so` (cargo leaves the
/// cdylib there); programs are linked and run against it through `libmpi.so.12`.
fn prepare_libdir() -> PathBuf {
    let exe = env::current_exe().expect("current_exe");
    let deps = exe
        .parent()
        .expect("test binary has a directory")
        .to_path_buf();
    let lib = deps.join("libmpi.so");
    let soname = deps.join("libmpi.so.12");
    if lib.exists() && fs::symlink_metadata(&soname).is_err() {
        // Another runner may create it at the same moment; either link will do.
        if let Err(e) = symlink("libmpi.so", &soname)
            && e.kind() != io::ErrorKind::AlreadyExists
        {
            eprintln!("warning: cannot create {}: {e}", soname.display());
        }
    }
    deps
}

fn find_in_path(prog: &str) -> Option<PathBuf> {
    env::var_os("PATH").and_then(|paths| {
        env::split_paths(&paths).map(|d| d.join(prog)).find(|p| {
            fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}

// ---------------------------------------------------------------- testlists

/// Reads `<root>/testlist` and every `<root>/<area>/testlist` (each area may keep its own
/// list); paths in all of them are relative to `root`.
fn parse_testlist(root: &Path, dir: &str, lang: Lang) -> Result<Vec<Spec>, String> {
    let mut lists = vec![root.join("testlist")];
    let mut areas: Vec<PathBuf> = fs::read_dir(root)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path().join("testlist")))
        .filter(|p| p.is_file())
        .collect();
    areas.sort();
    lists.extend(areas);
    let mut specs = Vec::new();
    for path in lists {
        let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        for (i, raw) in text.lines().enumerate() {
            let lineno = i + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let at = |e: String| format!("{} line {lineno}: {e}", path.display());
            let words = split_words(line).map_err(at)?;
            let spec = parse_line(root, dir, lang, &words).map_err(at)?;
            specs.push(spec);
        }
    }
    Ok(specs)
}

/// Splits on whitespace; double quotes group, anywhere in a word, and are removed.
fn split_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                in_word = true;
            }
            c if c.is_whitespace() && !quoted => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if quoted {
        return Err("unterminated quote".into());
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

fn parse_line(root: &Path, dir: &str, lang: Lang, words: &[String]) -> Result<Spec, String> {
    let [path, nprocs, rest @ ..] = words else {
        return Err("expected <path> <nprocs>".into());
    };
    let src = root.join(path);
    if !src.is_file() {
        return Err(format!("no such program {}", src.display()));
    }
    let nprocs: usize = nprocs
        .parse()
        .map_err(|_| format!("bad nprocs {nprocs:?}"))?;
    if nprocs == 0 {
        return Err("nprocs must be positive".into());
    }
    let mut spec = Spec {
        lang,
        name: format!("{dir}/{path} np={nprocs}"),
        src,
        nprocs,
        timeout: DEFAULT_TIMEOUT,
        env: Vec::new(),
        args: Vec::new(),
        mpirun_args: Vec::new(),
        expect_exit: None,
        expect_stderr: Vec::new(),
        expect_stdout: Vec::new(),
        only_ftmpi: false,
    };
    for w in rest {
        let (key, val) = w
            .split_once('=')
            .ok_or_else(|| format!("bad option {w:?}"))?;
        match key {
            "timeout" => {
                let s: f64 = val.parse().map_err(|_| format!("bad timeout {val:?}"))?;
                spec.timeout = Duration::from_secs_f64(s);
            }
            "env" => {
                let (k, v) = val
                    .split_once('=')
                    .ok_or_else(|| format!("bad env {val:?}"))?;
                spec.env.push((k.to_string(), v.to_string()));
            }
            "arg" => spec.args.push(val.to_string()),
            "mpirunarg" => spec.mpirun_args.push(val.to_string()),
            "expect" => {
                if let Some(code) = val.strip_prefix("exit:") {
                    spec.expect_exit = Some(if code == "nonzero" {
                        ExitExpect::NonZero
                    } else {
                        ExitExpect::Code(code.parse().map_err(|_| format!("bad exit {code:?}"))?)
                    });
                } else if let Some(t) = val.strip_prefix("stderr:") {
                    spec.expect_stderr.push(t.to_string());
                } else if let Some(t) = val.strip_prefix("stdout:") {
                    spec.expect_stdout.push(t.to_string());
                } else {
                    return Err(format!("bad expectation {val:?}"));
                }
            }
            "only" if val == "ftmpi" => spec.only_ftmpi = true,
            _ => return Err(format!("unknown option {w:?}")),
        }
    }
    // The transport is part of what a run tests: `cargo test -- "over tcp"` selects them.
    if let Some((_, t)) = spec.env.iter().find(|(k, _)| k == "FTMPI_TRANSPORT") {
        spec.name = format!("{} over {t}", spec.name);
    }
    Ok(spec)
}

/// Runs of one program with one size that appear more than once get their
/// options in the name, so every name is unique.
fn disambiguate(specs: &mut [Spec]) {
    let mut count: HashMap<String, usize> = HashMap::new();
    for s in specs.iter() {
        *count.entry(s.name.clone()).or_default() += 1;
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    for s in specs.iter_mut() {
        if count[&s.name] > 1 {
            let k = seen.entry(s.name.clone()).or_default();
            *k += 1;
            let mut tag = Vec::new();
            if s.only_ftmpi {
                tag.push("ftmpi".to_string());
            }
            if !s.args.is_empty() {
                tag.push("args".to_string());
            }
            tag.push(format!("#{k}"));
            s.name = format!("{} [{}]", s.name, tag.join(" "));
        }
    }
}

// ---------------------------------------------------------------- processes

/// Runs `cmd` in a process group of its own, collecting its output, and kills
/// the whole group if it has not exited within `timeout`.
fn run_with_timeout(mut cmd: Command, timeout: Duration) -> io::Result<Outcome> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let start = Instant::now();
    let mut child = cmd.spawn()?;
    let pgid = child.id();

    let (done_tx, done_rx) = unbounded::<()>();
    let mut bufs = Vec::new();
    let streams: [Option<Box<dyn Read + Send>>; 2] = [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    ];
    for stream in streams {
        let buf = Arc::new(Mutex::new(Vec::new()));
        bufs.push(buf.clone());
        let done = done_tx.clone();
        thread::spawn(move || {
            if let Some(mut s) = stream {
                let mut chunk = [0u8; 8192];
                loop {
                    match s.read(&mut chunk) {
                        Ok(0) => break,
                        Ok(n) => {
                            let mut b = buf.lock().unwrap();
                            if b.len() < OUTPUT_CAP {
                                b.extend_from_slice(&chunk[..n]);
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(_) => break,
                    }
                }
            }
            done.send(()).ok();
        });
    }
    drop(done_tx);

    let (status_tx, status_rx) = unbounded();
    thread::spawn(move || {
        status_tx.send(child.wait()).ok();
    });

    let mut timed_out = false;
    let status = match status_rx.recv_timeout(timeout) {
        Ok(st) => Some(st?),
        Err(RecvTimeoutError::Timeout) => {
            timed_out = true;
            kill_group(pgid);
            match status_rx.recv_timeout(Duration::from_secs(10)) {
                Ok(st) => st.ok(),
                Err(_) => None,
            }
        }
        Err(RecvTimeoutError::Disconnected) => None,
    };
    let elapsed = start.elapsed();

    // The launcher is gone; its output must end soon, and nothing of its group may live on.
    let mut leftovers = None;
    let drain_deadline = Instant::now() + DRAIN_GRACE;
    let mut open = 2;
    while open > 0 {
        match done_rx.recv_timeout(drain_deadline.saturating_duration_since(Instant::now())) {
            Ok(()) => open -= 1,
            Err(_) => break,
        }
    }
    if !timed_out {
        let alive = live_group_members(pgid);
        if open > 0 || !alive.is_empty() {
            leftovers = Some(if alive.is_empty() {
                "its output stayed open after mpirun exited".to_string()
            } else {
                format!("processes of the job still alive after mpirun exited: {alive}")
            });
            kill_group(pgid);
        }
    }
    if open > 0 {
        // Whatever still holds the pipes was just killed; give the readers a moment.
        let deadline = Instant::now() + DRAIN_GRACE;
        while open > 0
            && done_rx
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .is_ok()
        {
            open -= 1;
        }
    }

    let take = |b: &Arc<Mutex<Vec<u8>>>| String::from_utf8_lossy(&b.lock().unwrap()).into_owned();
    Ok(Outcome {
        status,
        timed_out,
        stdout: take(&bufs[0]),
        stderr: take(&bufs[1]),
        elapsed,
        leftovers,
    })
}

fn kill_group(pgid: u32) {
    // std has no killpg; procps' kill(1) takes a negative pid as a process group.
    let _ = Command::new("kill")
        .args(["-s", "KILL", "--", &format!("-{pgid}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Live (non-zombie) processes whose process group is `pgid`, from /proc.
fn live_group_members(pgid: u32) -> String {
    let Ok(entries) = fs::read_dir("/proc") else {
        return String::new();
    };
    let mut found = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
        let Some(close) = stat.rfind(')') else {
            continue;
        };
        let comm = stat[..close].split_once('(').map_or("?", |(_, c)| c);
        let mut fields = stat[close + 1..].split_whitespace();
        let state = fields.next().unwrap_or("");
        let pgrp = fields.nth(1).and_then(|s| s.parse::<u32>().ok());
        if pgrp == Some(pgid) && state != "Z" && state != "X" {
            found.push(format!("{pid} ({comm})"));
        }
    }
    found.join(", ")
}

fn exit_code(st: &ExitStatus) -> i32 {
    st.code().unwrap_or_else(|| 128 + st.signal().unwrap_or(0))
}

fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(n);
    let mut out = String::new();
    if start > 0 {
        out.push_str(&format!("[... {start} lines before ...]\n"));
    }
    for l in &lines[start..] {
        out.push_str(l);
        out.push('\n');
    }
    out
}

fn output_details(o: &Outcome) -> String {
    let mut d = String::new();
    if !o.stdout.is_empty() {
        d.push_str(&format!("--- stdout ---\n{}", tail(&o.stdout, TAIL_LINES)));
    }
    if !o.stderr.is_empty() {
        d.push_str(&format!("--- stderr ---\n{}", tail(&o.stderr, TAIL_LINES)));
    }
    d
}

// ---------------------------------------------------------------- building

type Binaries = HashMap<PathBuf, Result<PathBuf, String>>;

fn toolset_dir(tools: &Tools) -> PathBuf {
    let name = if tools.foreign {
        let cc = Path::new(&tools.mpicc)
            .file_name()
            .map_or("other".into(), |s| s.to_string_lossy().into_owned());
        format!(
            "with-{}",
            cc.replace(|c: char| !c.is_ascii_alphanumeric() && c != '.', "_")
        )
    } else {
        "ftmpi".to_string()
    };
    Path::new(TARGET_TMPDIR).join("mpi_programs").join(name)
}

fn binary_path(base: &Path, src: &Path) -> PathBuf {
    let rel = src.strip_prefix(MANIFEST_DIR).unwrap_or(src);
    let flat = rel.with_extension("").to_string_lossy().replace('/', "__");
    base.join(flat)
}

fn compile_command(
    compiler: &OsString,
    lang: Lang,
    src: &Path,
    out: &Path,
    tools: &Tools,
) -> Command {
    let mut cmd = Command::new(compiler);
    // The language's root (c-tests/ or fortran-tests/), where the shared headers live; areas
    // may keep testlists of their own, so look for the outermost one.
    let include = src
        .ancestors()
        .filter(|d| d.join("testlist").is_file())
        .last()
        .unwrap_or(Path::new(MANIFEST_DIR));
    match lang {
        Lang::C => cmd.args(["-Wall", "-Werror", "-g"]),
        Lang::Fortran => cmd.args(["-Wall", "-g"]),
    };
    if let Some(dir) = src.parent() {
        cmd.arg(format!("-I{}", dir.display()));
    }
    cmd.arg(format!("-I{}", include.display()))
        .arg("-o")
        .arg(out)
        .arg(src)
        .env("FTMPI_LIBDIR", &tools.libdir)
        .env("FTMPI_INCDIR", &tools.incdir);
    without_cargo_libs(&mut cmd, tools);
    cmd
}

fn compile_one(
    compiler: &OsString,
    lang: Lang,
    src: &Path,
    out: &Path,
    tools: &Tools,
) -> Result<PathBuf, String> {
    let _ = fs::remove_file(out);
    let cmd = compile_command(compiler, lang, src, out, tools);
    let shown = format!("{cmd:?}");
    let o = run_with_timeout(cmd, COMPILE_TIMEOUT)
        .map_err(|e| format!("cannot start {}: {e}", compiler.to_string_lossy()))?;
    let ok = o.status.as_ref().is_some_and(|s| s.success());
    if o.timed_out {
        Err(format!(
            "compiler timed out: {shown}\n{}",
            output_details(&o)
        ))
    } else if !ok {
        Err(format!(
            "compile failed ({}): {shown}\n{}",
            o.status.map_or(-1, |s| exit_code(&s)),
            output_details(&o)
        ))
    } else if !out.is_file() {
        Err(format!(
            "the compiler exited 0 but wrote no {}: {shown}\n{}",
            out.display(),
            output_details(&o)
        ))
    } else {
        Ok(out.to_path_buf())
    }
}

fn compile_all(specs: &[Spec], tools: &Tools, cores: usize) -> Binaries {
    let base = toolset_dir(tools);
    if let Err(e) = fs::create_dir_all(&base) {
        eprintln!("error: cannot create {}: {e}", base.display());
    }
    let mut jobs: Vec<(Lang, PathBuf)> = Vec::new();
    for s in specs {
        if !jobs.iter().any(|(_, p)| *p == s.src) {
            jobs.push((s.lang, s.src.clone()));
        }
    }
    let started = Instant::now();
    let (job_tx, job_rx) = unbounded::<(Lang, PathBuf)>();
    let (res_tx, res_rx) = unbounded();
    for j in &jobs {
        job_tx.send(j.clone()).unwrap();
    }
    drop(job_tx);
    let workers: Vec<_> = (0..cores.max(1))
        .map(|_| {
            let (job_rx, res_tx, tools, base) =
                (job_rx.clone(), res_tx.clone(), tools.clone(), base.clone());
            thread::spawn(move || {
                for (lang, src) in job_rx.iter() {
                    let compiler = if lang == Lang::C {
                        &tools.mpicc
                    } else {
                        &tools.mpif77
                    };
                    let out = binary_path(&base, &src);
                    let r = compile_one(compiler, lang, &src, &out, &tools);
                    res_tx.send((src, r)).ok();
                }
            })
        })
        .collect();
    drop(res_tx);
    let bins: Binaries = res_rx.iter().collect();
    for w in workers {
        w.join().ok();
    }
    let bad = bins.values().filter(|r| r.is_err()).count();
    println!(
        "built {} programs in {:.1} s{}",
        jobs.len(),
        started.elapsed().as_secs_f64(),
        if bad > 0 {
            format!(" ({bad} failed to build)")
        } else {
            String::new()
        }
    );
    bins
}

// ---------------------------------------------------------------- running

fn mpirun_command(
    tools: &Tools,
    nprocs: usize,
    mpirun_args: &[String],
    prog: &Path,
    args: &[String],
) -> Command {
    let mut cmd = Command::new(&tools.mpirun);
    cmd.args(mpirun_args).arg("-np").arg(nprocs.to_string());
    cmd.args(&tools.wrap).arg(prog).args(args);
    without_cargo_libs(&mut cmd, tools);
    cmd
}

/// With another MPI's tools, takes out the directories cargo put on `LD_LIBRARY_PATH` for
/// this test: its `deps/` holds `libmpich.so.12`, a link to our library, which would
/// otherwise replace MPICH's own in the programs MPICH built.
fn without_cargo_libs(cmd: &mut Command, tools: &Tools) {
    if !tools.foreign {
        return;
    }
    let Some(old) = env::var_os("LD_LIBRARY_PATH") else {
        return;
    };
    // target/<profile>/deps is libdir; cargo also adds target/<profile> and its build
    // script output directories below it, and the Rust toolchain's library directory.
    let profile = tools.libdir.parent().unwrap_or(&tools.libdir);
    let kept: Vec<PathBuf> = env::split_paths(&old)
        .filter(|d| {
            !d.as_os_str().is_empty()
                && !d.starts_with(profile)
                && !d.starts_with(&tools.libdir)
                && !d.components().any(|c| c.as_os_str() == "rustlib")
        })
        .collect();
    if kept.is_empty() {
        cmd.env_remove("LD_LIBRARY_PATH");
    } else {
        match env::join_paths(kept) {
            Ok(p) => cmd.env("LD_LIBRARY_PATH", p),
            Err(_) => cmd.env_remove("LD_LIBRARY_PATH"),
        };
    }
}

fn run_spec(spec: &Spec, prog: &Path, tools: &Tools) -> Report {
    let mut cmd = mpirun_command(tools, spec.nprocs, &spec.mpirun_args, prog, &spec.args);
    for (k, v) in &spec.env {
        cmd.env(k, v);
    }
    let timeout = spec.timeout.mul_f64(tools.timeout_scale);
    let o = match run_with_timeout(cmd, timeout) {
        Ok(o) => o,
        Err(e) => {
            return failed(
                &spec.name,
                format!("cannot start {}: {e}", tools.mpirun.to_string_lossy()),
            );
        }
    };
    judge(spec, &o, timeout)
}

fn judge(spec: &Spec, o: &Outcome, timeout: Duration) -> Report {
    let seconds = o.elapsed.as_secs_f64();
    if o.timed_out {
        return Report {
            name: spec.name.clone(),
            verdict: Verdict::Timeout,
            seconds,
            details: format!(
                "timed out after {} s with {} ranks: hang\n{}",
                timeout.as_secs_f64(),
                spec.nprocs,
                output_details(o)
            ),
        };
    }
    let mut problems = Vec::new();
    let code = o.status.as_ref().map(exit_code);
    let explicit = spec.expect_exit.is_some()
        || !spec.expect_stderr.is_empty()
        || !spec.expect_stdout.is_empty();
    match (spec.expect_exit.unwrap_or(ExitExpect::Code(0)), code) {
        (_, None) => problems.push("no exit status".to_string()),
        (ExitExpect::Code(want), Some(got)) if want != got => {
            problems.push(format!("exit code {got}, expected {want}"))
        }
        (ExitExpect::NonZero, Some(0)) => {
            problems.push("exit code 0, expected a failure".to_string())
        }
        _ => {}
    }
    if !explicit {
        let n = o.stdout.lines().filter(|l| l.trim() == "No Errors").count();
        if n != 1 {
            problems.push(format!("\" No Errors\" printed {n} times, expected once"));
        }
    }
    for t in &spec.expect_stderr {
        if !o.stderr.contains(t.as_str()) {
            problems.push(format!("stderr lacks {t:?}"));
        }
    }
    for t in &spec.expect_stdout {
        if !o.stdout.contains(t.as_str()) {
            problems.push(format!("stdout lacks {t:?}"));
        }
    }
    if let Some(l) = &o.leftovers {
        problems.push(l.clone());
    }
    if problems.is_empty() {
        Report {
            name: spec.name.clone(),
            verdict: Verdict::Ok,
            seconds,
            details: String::new(),
        }
    } else {
        Report {
            name: spec.name.clone(),
            verdict: Verdict::Failed,
            seconds,
            details: format!("{}\n{}", problems.join("\n"), output_details(o)),
        }
    }
}

/// Runs the specs in parallel, keeping at most `budget` ranks alive at once
/// (a run larger than the budget runs alone).
fn run_all(specs: Vec<Spec>, binaries: &Binaries, tools: &Tools, budget: usize) -> Vec<Report> {
    let mut reports = Vec::new();
    let mut queue: Vec<Spec> = Vec::new();
    // The compiler's complaint is shown once per program, with its first run.
    let mut first_failure: HashMap<PathBuf, String> = HashMap::new();
    for s in specs {
        let r = match binaries.get(&s.src) {
            Some(Ok(_)) => {
                queue.push(s);
                continue;
            }
            Some(Err(e)) => match first_failure.get(&s.src) {
                Some(first) => failed(&s.name, format!("not built: see {first}")),
                None => {
                    first_failure.insert(s.src.clone(), s.name.clone());
                    failed(&s.name, e.clone())
                }
            },
            None => failed(&s.name, "not built".into()),
        };
        print_reports(std::slice::from_ref(&r));
        reports.push(r);
    }
    // Largest first, so that the big runs never wait behind a stream of small ones.
    queue.sort_by_key(|s| std::cmp::Reverse(s.nprocs.min(budget)));
    let mut pending: VecDeque<Spec> = queue.into();
    let (tx, rx) = unbounded::<(usize, Report)>();
    let mut in_use = 0;
    let mut running = 0;
    loop {
        let mut i = 0;
        while i < pending.len() {
            let w = pending[i].nprocs.min(budget);
            if in_use + w <= budget {
                let spec = pending.remove(i).unwrap();
                let prog = binaries[&spec.src].as_ref().unwrap().clone();
                let (tx, tools) = (tx.clone(), tools.clone());
                in_use += w;
                running += 1;
                thread::spawn(move || {
                    let r = run_spec(&spec, &prog, &tools);
                    tx.send((w, r)).ok();
                });
            } else {
                i += 1;
            }
        }
        if running == 0 {
            break;
        }
        let (w, r) = rx.recv().expect("a runner thread vanished");
        in_use -= w;
        running -= 1;
        print_reports(std::slice::from_ref(&r));
        reports.push(r);
    }
    reports
}

fn failed(name: &str, details: String) -> Report {
    Report {
        name: name.to_string(),
        verdict: Verdict::Failed,
        seconds: 0.0,
        details,
    }
}

fn skipped(name: &str, why: String) -> Report {
    Report {
        name: name.to_string(),
        verdict: Verdict::Skipped,
        seconds: 0.0,
        details: why,
    }
}

fn print_reports(reports: &[Report]) {
    let mut out = io::stdout().lock();
    for r in reports {
        let _ = match r.verdict {
            Verdict::Ok => writeln!(out, "ok       {}  ({:.2} s)", r.name, r.seconds),
            Verdict::Failed => writeln!(out, "FAILED   {}  ({:.2} s)", r.name, r.seconds),
            Verdict::Timeout => writeln!(out, "TIMEOUT  {}  ({:.2} s)", r.name, r.seconds),
            Verdict::Skipped => writeln!(out, "skipped  {}  ({})", r.name, r.details),
        };
    }
    let _ = out.flush();
}

// ---------------------------------------------------------------- ftmpi checks

/// `mpicc -show` / `mpif77 -show` name our include and library directories and libmpi.
fn check_show(name: &str, tools: &Tools) -> Report {
    if tools.foreign {
        return skipped(
            name,
            "checks ftmpi's wrappers; another MPI's tools are selected".into(),
        );
    }
    let wrapper = if name.contains("mpif77") {
        OUR_MPIF77
    } else {
        OUR_MPICC
    };
    let mut cmd = Command::new(wrapper);
    cmd.arg("-show")
        .env("FTMPI_LIBDIR", &tools.libdir)
        .env("FTMPI_INCDIR", &tools.incdir);
    let o = match run_with_timeout(cmd, DEFAULT_TIMEOUT) {
        Ok(o) => o,
        Err(e) => return failed(name, format!("cannot start {wrapper}: {e}")),
    };
    let mut problems = Vec::new();
    if !o.status.as_ref().is_some_and(|s| s.success()) || o.timed_out {
        problems.push(format!("`{wrapper} -show` did not exit 0"));
    }
    let words: Vec<&str> = o.stdout.split_whitespace().collect();
    for want in [
        format!("-I{}", tools.incdir.display()),
        format!("-L{}", tools.libdir.display()),
        "-lmpi".to_string(),
    ] {
        if !words.contains(&want.as_str()) {
            problems.push(format!("output lacks {want}"));
        }
    }
    let seconds = o.elapsed.as_secs_f64();
    if problems.is_empty() {
        Report {
            name: name.to_string(),
            verdict: Verdict::Ok,
            seconds,
            details: String::new(),
        }
    } else {
        Report {
            name: name.to_string(),
            verdict: Verdict::Failed,
            seconds,
            details: format!("{}\n{}", problems.join("\n"), output_details(&o)),
        }
    }
}

/// A program built by MPICH's own wrapper runs on our library under our mpirun.
fn abi_check(name: &str, tools: &Tools, ci: bool) -> Report {
    if tools.foreign {
        return skipped(
            name,
            "runs ftmpi's mpirun; another MPI's tools are selected".into(),
        );
    }
    let Some(mpich_cc) = find_in_path("mpicc.mpich") else {
        let why = "mpicc.mpich not found (Debian's libmpich-dev)".to_string();
        return if ci {
            failed(name, format!("{why}; CI=true"))
        } else {
            skipped(name, why)
        };
    };
    let (rel, nprocs) = ABI_PROGRAMS
        .iter()
        .find(|(p, n)| name.ends_with(&format!("c-tests/{p} np={n}")))
        .copied()
        .expect("ABI check name");
    let src = Path::new(MANIFEST_DIR).join("c-tests").join(rel);
    let base = Path::new(TARGET_TMPDIR).join("mpi_programs").join("abi");
    let libs = base.join("lib");
    if let Err(e) = fs::create_dir_all(&libs) {
        return failed(name, format!("cannot create {}: {e}", libs.display()));
    }
    // The MPICH-built binary asks for libmpich.so.12; both sonames lead to our library.
    let ours = tools.libdir.join("libmpi.so");
    for soname in ["libmpich.so.12", "libmpi.so.12"] {
        let link = libs.join(soname);
        let _ = fs::remove_file(&link);
        if let Err(e) = symlink(&ours, &link)
            && e.kind() != io::ErrorKind::AlreadyExists
        {
            return failed(name, format!("cannot link {}: {e}", link.display()));
        }
    }
    let prog = match compile_one(
        &mpich_cc.into_os_string(),
        Lang::C,
        &src,
        &binary_path(&base, &src),
        tools,
    ) {
        Ok(p) => p,
        Err(e) => return failed(name, format!("building with mpicc.mpich: {e}")),
    };
    let ld_path = match env::var_os("LD_LIBRARY_PATH") {
        Some(old) if !old.is_empty() => {
            let mut p = libs.clone().into_os_string();
            p.push(":");
            p.push(old);
            p
        }
        _ => libs.clone().into_os_string(),
    };

    // The dynamic linker must pick our library, not MPICH's.
    let mut problems = Vec::new();
    if find_in_path("ldd").is_some() {
        let mut ldd = Command::new("ldd");
        ldd.arg(&prog).env("LD_LIBRARY_PATH", &ld_path);
        if let Ok(o) = run_with_timeout(ldd, DEFAULT_TIMEOUT) {
            let line = o
                .stdout
                .lines()
                .find(|l| l.contains("libmpich.so.12"))
                .unwrap_or("")
                .to_string();
            if !line.contains(&libs.to_string_lossy().into_owned()) {
                problems.push(format!(
                    "ldd resolves libmpich.so.12 elsewhere: {:?}",
                    line.trim()
                ));
            }
        }
    }

    let mut cmd = mpirun_command(tools, nprocs, &[], &prog, &[]);
    cmd.env("LD_LIBRARY_PATH", &ld_path);
    let spec = Spec {
        lang: Lang::C,
        name: name.to_string(),
        src,
        nprocs,
        timeout: DEFAULT_TIMEOUT,
        env: Vec::new(),
        args: Vec::new(),
        mpirun_args: Vec::new(),
        expect_exit: None,
        expect_stderr: Vec::new(),
        expect_stdout: Vec::new(),
        only_ftmpi: true,
    };
    let timeout = spec.timeout.mul_f64(tools.timeout_scale);
    let mut r = match run_with_timeout(cmd, timeout) {
        Ok(o) => judge(&spec, &o, timeout),
        Err(e) => failed(
            name,
            format!("cannot start {}: {e}", tools.mpirun.to_string_lossy()),
        ),
    };
    if !problems.is_empty() && r.verdict == Verdict::Ok {
        r.verdict = Verdict::Failed;
    }
    if !problems.is_empty() {
        r.details = format!("{}\n{}", problems.join("\n"), r.details);
    }
    r
}
