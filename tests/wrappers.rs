//! The built wrappers and `ftmpi-install`, run as programs.
//!
//! Most tests point the wrappers at a made-up layout with FTMPI_INCDIR / FTMPI_LIBDIR and a fake
//! compiler script, so they need nothing installed. The end-to-end ones compile real programs
//! against Debian's MPICH standing in for libmpi (same ABI), and run CMake's FindMPI on the
//! wrappers; they skip, saying so, when gcc, gfortran, MPICH or cmake is missing.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

const MPICC: &str = env!("CARGO_BIN_EXE_mpicc");
const MPIF77: &str = env!("CARGO_BIN_EXE_mpif77");
const MPIF90: &str = env!("CARGO_BIN_EXE_mpif90");
const INSTALL: &str = env!("CARGO_BIN_EXE_ftmpi-install");

const TIMEOUT: Duration = Duration::from_secs(120);

/// Variables that change what a wrapper does; each test sets the ones it means.
const WRAPPER_VARS: [&str; 11] = [
    "MPICH_CC",
    "OMPI_CC",
    "MPICH_FC",
    "MPICH_F77",
    "MPICH_F90",
    "OMPI_FC",
    "OMPI_F77",
    "FTMPI_INCDIR",
    "FTMPI_LIBDIR",
    "FTMPI_PREFIX",
    "FTMPI_WRAPPER_RECURSION_CHECK",
];

const MPICH_INCDIR: &str = "/usr/include/x86_64-linux-gnu/mpich";
const MPICH_LIB: &str = "/usr/lib/x86_64-linux-gnu/libmpich.so.12";
const MPICHFORT_LIB: &str = "/usr/lib/x86_64-linux-gnu/libmpichfort.so.12";

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("wrappers-{}-{n}-{tag}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir.canonicalize().unwrap())
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.0.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Runs with a timeout; the child leads its own process group so the compiler it started
/// dies with it.
fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let child = spawn_retrying(cmd);
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(TIMEOUT) {
        Ok(out) => out.expect("wait for child"),
        Err(_) => {
            let _ = killpg(Pid::from_raw(pid as i32), Signal::SIGKILL);
            panic!("{cmd:?} did not finish within {TIMEOUT:?}");
        }
    }
}

/// A binary copied into place moments ago can be briefly open for writing in a process another
/// test thread is forking (ETXTBSY); that clears once the fork has exec'd.
fn spawn_retrying(cmd: &mut Command) -> std::process::Child {
    let mut tries = 0;
    loop {
        match cmd.spawn() {
            Ok(c) => return c,
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) && tries < 10_000 => {
                tries += 1;
                thread::yield_now();
            }
            Err(e) => panic!("cannot start {cmd:?}: {e}"),
        }
    }
}

fn wrapper(exe: impl AsRef<OsStr>) -> Command {
    let mut cmd = Command::new(exe);
    for v in WRAPPER_VARS {
        cmd.env_remove(v);
    }
    cmd
}

/// A wrapper pointed at `/fake/include` and `/fake/lib`.
fn fake(exe: &str) -> Command {
    let mut cmd = wrapper(exe);
    cmd.env("FTMPI_INCDIR", "/fake/include")
        .env("FTMPI_LIBDIR", "/fake/lib");
    cmd
}

fn stdout_ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .trim_end()
        .to_string()
}

fn show(exe: &str, args: &[&str]) -> String {
    stdout_ok(&run(fake(exe).args(args)))
}

const LINK: &str = "-L/fake/lib -Wl,-rpath,/fake/lib -lmpi";

fn have(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn skip(test: &str, why: &str) {
    eprintln!("{test}: skipped, {why}");
}

/// A compiler stand-in that records its arguments one per line in $ARGS_OUT and exits with
/// $FAKE_EXIT. As a Fortran compiler it answers --version and -dumpversion like gfortran
/// $FAKE_FC_VERSION, or like some other compiler when $FAKE_FC_VENDOR is set.
///
/// The wrapper gets it as "/bin/sh <path>": starting a script this test just wrote could hit
/// ETXTBSY inside the wrapper, where nothing would retry.
fn fake_compiler(dir: &TempDir) -> String {
    let script = dir.write(
        "fakecc",
        r#"case "$1" in
--version)
    if [ -n "$FAKE_FC_VENDOR" ]; then echo "$FAKE_FC_VENDOR version 17.0.6"
    else echo "GNU Fortran (Debian 12.2.0-14) $FAKE_FC_VERSION"; fi
    exit 0;;
-dumpversion) echo "$FAKE_FC_VERSION"; exit 0;;
esac
printf '%s\n' "$@" > "$ARGS_OUT"
exit "${FAKE_EXIT:-0}"
"#,
    );
    format!("/bin/sh {}", script.display())
}

fn recorded_args(dir: &TempDir) -> Vec<String> {
    fs::read_to_string(dir.path().join("args"))
        .expect("the fake compiler ran")
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn show_prints_the_whole_link_command() {
    assert_eq!(
        show(MPICC, &["-show", "hello.c", "-o", "hello"]),
        format!("cc hello.c -o hello -I/fake/include {LINK}")
    );
    assert_eq!(
        show(MPICC, &["-show"]),
        format!("cc -I/fake/include {LINK}")
    );
    assert_eq!(
        show(MPICC, &["--showme", "-O2", "x.c"]),
        format!("cc -O2 x.c -I/fake/include {LINK}")
    );
    assert_eq!(
        show(MPICC, &["-show", "it's here.c"]),
        format!(r"cc 'it'\''s here.c' -I/fake/include {LINK}")
    );
}

#[test]
fn no_link_flags_when_not_linking() {
    for flag in ["-c", "-E", "-S", "-M", "-MM"] {
        assert_eq!(
            show(MPICC, &["-show", flag, "x.c"]),
            format!("cc {flag} x.c -I/fake/include"),
            "{flag}"
        );
    }
    assert_eq!(show(MPICC, &["-show", "-v"]), "cc -v -I/fake/include");
    assert_eq!(
        show(MPICC, &["-show", "-MD", "x.c"]),
        format!("cc -MD x.c -I/fake/include {LINK}")
    );
}

#[test]
fn open_mpi_showme_options() {
    assert_eq!(show(MPICC, &["--showme:compile"]), "-I/fake/include");
    assert_eq!(show(MPICC, &["-showme:compile"]), "-I/fake/include");
    assert_eq!(show(MPICC, &["--showme:link"]), LINK);
    assert_eq!(show(MPICC, &["-showme:link"]), LINK);
    assert_eq!(show(MPICC, &["--showme:incdirs"]), "/fake/include");
    assert_eq!(show(MPICC, &["--showme:libdirs"]), "/fake/lib");
    assert_eq!(show(MPICC, &["--showme:libs"]), "mpi");
    assert_eq!(show(MPICC, &["--showme:command"]), "cc");
    let version = show(MPICC, &["--showme:version"]);
    assert!(version.starts_with("mpicc: ftmpi "), "{version}");
    assert!(show(MPICC, &["--showme:help"]).contains("--showme:compile"));
    let bad = run(fake(MPICC).arg("--showme:nonsense"));
    assert!(!bad.status.success());
}

#[test]
fn mpich_info_options() {
    assert_eq!(show(MPICC, &["-compile_info"]), "cc -I/fake/include");
    assert_eq!(show(MPICC, &["-compile-info"]), "cc -I/fake/include");
    assert_eq!(
        show(MPICC, &["-link_info"]),
        format!("cc -I/fake/include {LINK}")
    );
    assert_eq!(
        show(MPICC, &["-link-info"]),
        format!("cc -I/fake/include {LINK}")
    );
    assert_eq!(show(MPICC, &["-show-compile-info"]), "-I/fake/include");
    assert_eq!(show(MPICC, &["-show-link-info"]), LINK);
    assert!(show(MPICC, &["-help"]).contains("-compile_info"));
}

#[test]
fn info_options_run_nothing() {
    // A compiler that cannot exist: printing must not try to start it.
    let mut cmd = fake(MPICC);
    cmd.env("MPICH_CC", "/nonexistent/cc");
    let out = stdout_ok(&run(cmd.arg("-show").arg("x.c")));
    assert_eq!(out, format!("/nonexistent/cc x.c -I/fake/include {LINK}"));
}

#[test]
fn arguments_pass_through_and_exit_code_comes_back() {
    let dir = TempDir::new("passthrough");
    let fakecc = fake_compiler(&dir);
    let out = run(fake(MPICC)
        .env("MPICH_CC", &fakecc)
        .env("OMPI_CC", "/nonexistent/cc")
        .env("ARGS_OUT", dir.path().join("args"))
        .env("FAKE_EXIT", "7")
        .args(["-DGREETING=hello world", "x.c", "", "-o", "x", "-lm"]));
    assert_eq!(out.status.code(), Some(7));
    assert_eq!(
        recorded_args(&dir),
        [
            "-DGREETING=hello world",
            "x.c",
            "",
            "-o",
            "x",
            "-lm",
            "-I/fake/include",
            "-L/fake/lib",
            "-Wl,-rpath,/fake/lib",
            "-lmpi"
        ]
    );

    let out = run(fake(MPICC)
        .env("OMPI_CC", &fakecc)
        .env("ARGS_OUT", dir.path().join("args"))
        .args(["-c", "x.c"]));
    assert!(out.status.success());
    assert_eq!(recorded_args(&dir), ["-c", "x.c", "-I/fake/include"]);
}

#[test]
fn compiler_choice_from_environment_and_option() {
    let mut cmd = fake(MPICC);
    cmd.env("MPICH_CC", "gcc -m64").env("OMPI_CC", "clang");
    assert_eq!(stdout_ok(&run(cmd.arg("--showme:command"))), "gcc -m64");
    let mut cmd = fake(MPICC);
    cmd.env("OMPI_CC", "clang");
    assert_eq!(stdout_ok(&run(cmd.arg("--showme:command"))), "clang");
    let mut cmd = fake(MPICC);
    cmd.env("MPICH_CC", "gcc");
    assert_eq!(
        stdout_ok(&run(cmd.args(["-cc=tcc", "-show", "-c", "x.c"]))),
        "tcc -c x.c -I/fake/include"
    );
    let mut cmd = fake(MPIF77);
    cmd.env("MPICH_FC", "fc-general").env("MPICH_F77", "fc-77");
    assert_eq!(stdout_ok(&run(cmd.arg("--showme:command"))), "fc-77");
    let mut cmd = fake(MPIF90);
    cmd.env("MPICH_F77", "fc-77").env("OMPI_FC", "fc-ompi");
    assert_eq!(stdout_ok(&run(cmd.arg("--showme:command"))), "fc-ompi");
    assert_eq!(show(MPIF90, &["--showme:command"]), "gfortran");
}

#[test]
fn missing_compiler_and_recursion_are_reported() {
    let mut cmd = fake(MPICC);
    cmd.env("MPICH_CC", "/nonexistent/cc");
    let out = run(cmd.arg("x.c"));
    assert_eq!(out.status.code(), Some(127));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/cc"));

    let mut cmd = fake(MPICC);
    cmd.env("MPICH_CC", MPICC);
    let out = run(cmd.arg("x.c"));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("MPICH_CC"));

    let out = run(&mut fake(MPICC));
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn fortran_gets_argument_mismatch_flag_from_gfortran_10() {
    let dir = TempDir::new("fortran");
    let fakefc = fake_compiler(&dir);
    let with = |exe: &str, var: &str, version: &str, vendor: Option<&str>, args: &[&str]| {
        let mut cmd = fake(exe);
        cmd.env(var, &fakefc).env("FAKE_FC_VERSION", version);
        if let Some(v) = vendor {
            cmd.env("FAKE_FC_VENDOR", v);
        }
        stdout_ok(&run(cmd.args(args)))
    };
    assert_eq!(
        with(MPIF77, "MPICH_F77", "12", None, &["-show", "x.f"]),
        format!("{fakefc} -fallow-argument-mismatch x.f -I/fake/include {LINK}")
    );
    assert_eq!(
        with(MPIF90, "MPICH_F90", "10.2.1", None, &["--showme:compile"]),
        "-fallow-argument-mismatch -I/fake/include"
    );
    assert_eq!(
        with(MPIF90, "MPICH_FC", "9", None, &["-show", "-c", "x.f90"]),
        format!("{fakefc} -c x.f90 -I/fake/include")
    );
    assert_eq!(
        with(
            MPIF90,
            "OMPI_FC",
            "17",
            Some("flang-new"),
            &["--showme:compile"]
        ),
        "-I/fake/include"
    );
    assert_eq!(
        with(MPIF77, "MPICH_F77", "12", None, &["--showme:link"]),
        LINK
    );

    let out = run(fake(MPIF77)
        .env("MPICH_F77", &fakefc)
        .env("FAKE_FC_VERSION", "13")
        .env("ARGS_OUT", dir.path().join("args"))
        .args(["-c", "x.f"]));
    assert!(out.status.success());
    assert_eq!(
        recorded_args(&dir),
        ["-fallow-argument-mismatch", "-c", "x.f", "-I/fake/include"]
    );
}

/// Puts a wrapper binary at `dest` without opening a file for writing when possible.
fn place_binary(src: &str, dest: &Path) {
    fs::create_dir_all(dest.parent().unwrap()).unwrap();
    if fs::hard_link(src, dest).is_err() {
        fs::copy(src, dest).unwrap();
    }
}

#[test]
fn build_tree_layout_is_found_beside_the_wrapper() {
    let dir = TempDir::new("buildtree");
    let exe = dir.path().join("release/mpicc");
    place_binary(MPICC, &exe);
    dir.write("release/include/mpi.h", "");
    let out = stdout_ok(&run(wrapper(&exe).arg("-show")));
    let r = dir.path().join("release");
    assert_eq!(
        out,
        format!("cc -I{0}/include -L{0} -Wl,-rpath,{0} -lmpi", r.display())
    );
}

#[test]
fn installed_layout_is_found_from_bin_and_through_symlinks() {
    let dir = TempDir::new("installed");
    let prefix = dir.path().join("prefix");
    let exe = prefix.join("bin/mpif90");
    place_binary(MPIF90, &exe);
    dir.write("prefix/include/mpi.h", "");
    fs::create_dir_all(prefix.join("lib")).unwrap();
    let p = prefix.display();
    assert_eq!(
        stdout_ok(&run(wrapper(&exe).arg("--showme:incdirs"))),
        format!("{p}/include")
    );
    assert_eq!(
        stdout_ok(&run(wrapper(&exe).arg("--showme:libdirs"))),
        format!("{p}/lib")
    );

    let link = dir.path().join("elsewhere/mpif90");
    fs::create_dir_all(link.parent().unwrap()).unwrap();
    symlink(&exe, &link).unwrap();
    assert_eq!(
        stdout_ok(&run(wrapper(&link).arg("--showme:link"))),
        format!("-L{p}/lib -Wl,-rpath,{p}/lib -lmpi")
    );

    // One override keeps the other location found from the wrapper.
    assert_eq!(
        stdout_ok(&run(wrapper(&exe)
            .env("FTMPI_LIBDIR", "/other/lib")
            .arg("--showme:libdirs"))),
        "/other/lib"
    );
    assert_eq!(
        stdout_ok(&run(wrapper(&exe)
            .env("FTMPI_LIBDIR", "/other/lib")
            .arg("--showme:incdirs"))),
        format!("{p}/include")
    );
}

#[test]
fn prefix_override_and_missing_layout() {
    let dir = TempDir::new("nolayout");
    let exe = dir.path().join("bin/mpicc");
    place_binary(MPICC, &exe);
    let out = run(wrapper(&exe).arg("-show"));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let d = dir.path().display();
    assert!(err.contains(&format!("{d}/bin/include/mpi.h")), "{err}");
    assert!(err.contains(&format!("{d}/include/mpi.h")), "{err}");
    assert!(err.contains("FTMPI_PREFIX"), "{err}");

    assert_eq!(
        stdout_ok(&run(wrapper(&exe)
            .env("FTMPI_PREFIX", "/opt/ft")
            .args(["-show", "-c", "x.c"]))),
        "cc -c x.c -I/opt/ft/include"
    );
}

fn mpich_present(test: &str) -> bool {
    let ok = Path::new(MPICH_INCDIR).join("mpi.h").is_file()
        && Path::new(MPICH_INCDIR).join("mpif.h").is_file()
        && Path::new(MPICH_LIB).exists()
        && Path::new(MPICHFORT_LIB).exists();
    if !ok {
        skip(test, "Debian's MPICH (libmpich-dev) is not installed");
    }
    ok
}

/// A library directory whose libmpi.so is a linker script naming Debian's MPICH, which has the
/// ABI ftmpi copies, so programs compiled by the wrappers link and run without ftmpi built.
fn mpich_standin(dir: &TempDir) -> PathBuf {
    dir.write(
        "lib/libmpi.so",
        &format!("INPUT({MPICHFORT_LIB} {MPICH_LIB})\n"),
    );
    dir.path().join("lib")
}

fn standin(exe: &str, libdir: &Path) -> Command {
    let mut cmd = wrapper(exe);
    cmd.env("FTMPI_INCDIR", MPICH_INCDIR)
        .env("FTMPI_LIBDIR", libdir);
    cmd
}

const HELLO_C: &str = r#"#include <mpi.h>
#include <stdio.h>
int main(int argc, char **argv) {
    int rank, size;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    printf("hello %d of %d\n", rank, size);
    MPI_Finalize();
    return 0;
}
"#;

/// Fixed form, `include 'mpif.h'`, and one routine called with INTEGER and REAL buffers,
/// which gfortran 10 and later reject without -fallow-argument-mismatch.
const HELLO_F77: &str = "      program hello
      implicit none
      include 'mpif.h'
      integer ierr, rank, ibuf(2)
      real rbuf(2)
      call MPI_INIT(ierr)
      call MPI_COMM_RANK(MPI_COMM_WORLD, rank, ierr)
      ibuf(1) = 1
      rbuf(1) = 1.0
      call MPI_SEND(ibuf, 2, MPI_INTEGER, MPI_PROC_NULL, 0,
     &     MPI_COMM_WORLD, ierr)
      call MPI_SEND(rbuf, 2, MPI_REAL, MPI_PROC_NULL, 0,
     &     MPI_COMM_WORLD, ierr)
      print *, 'fortran hello', rank
      call MPI_FINALIZE(ierr)
      end
";

#[test]
fn compiles_links_and_runs_c_against_mpich_standin() {
    let test = "compiles_links_and_runs_c_against_mpich_standin";
    if !mpich_present(test) {
        return;
    }
    if !have("cc") {
        return skip(test, "no cc");
    }
    let dir = TempDir::new("c-e2e");
    let lib = mpich_standin(&dir);
    let src = dir.write("hello.c", HELLO_C);
    let obj = dir.path().join("hello.o");
    let exe = dir.path().join("hello");
    stdout_ok(&run(standin(MPICC, &lib)
        .arg("-c")
        .arg(&src)
        .arg("-o")
        .arg(&obj)));
    stdout_ok(&run(standin(MPICC, &lib).arg(&obj).arg("-o").arg(&exe)));
    let out = stdout_ok(&run(Command::new(&exe).env_remove("LD_LIBRARY_PATH")));
    assert_eq!(out, "hello 0 of 1");
    if have("readelf") {
        let dynamic = stdout_ok(&run(Command::new("readelf").arg("-d").arg(&exe)));
        assert!(dynamic.contains(&lib.display().to_string()), "{dynamic}");
    }

    let bad = dir.write("bad.c", "int main(void) { return undeclared; }\n");
    let out = run(standin(MPICC, &lib).arg("-c").arg(&bad).arg("-o").arg(&obj));
    assert!(!out.status.success());
    assert_ne!(out.status.code(), Some(127));
}

#[test]
fn compiles_links_and_runs_fortran_with_mpif_h() {
    let test = "compiles_links_and_runs_fortran_with_mpif_h";
    if !mpich_present(test) {
        return;
    }
    if !have("gfortran") {
        return skip(test, "no gfortran");
    }
    let dir = TempDir::new("f-e2e");
    let lib = mpich_standin(&dir);
    let fixed = dir.write("hello.f", HELLO_F77);
    let free = dir.write(
        "hello.f90",
        "program hello\n  implicit none\n  include 'mpif.h'\n  integer :: ierr\n  \
         call MPI_INIT(ierr)\n  print *, 'free form'\n  call MPI_FINALIZE(ierr)\nend program\n",
    );
    for (exe, src, want) in [
        (MPIF77, &fixed, "fortran hello"),
        (MPIF90, &free, "free form"),
    ] {
        let bin = dir.path().join("a.out");
        stdout_ok(&run(standin(exe, &lib).arg(src).arg("-o").arg(&bin)));
        let out = stdout_ok(&run(&mut Command::new(&bin)));
        assert!(out.contains(want), "{out}");
    }
}

#[test]
fn cmake_find_mpi_accepts_the_wrappers() {
    let test = "cmake_find_mpi_accepts_the_wrappers";
    if !mpich_present(test) {
        return;
    }
    if !have("cmake") || !have("cc") || !have("gfortran") {
        return skip(test, "cmake, cc or gfortran is missing");
    }
    let dir = TempDir::new("cmake");
    let lib = mpich_standin(&dir);
    dir.write("src/hello.c", HELLO_C);
    dir.write("src/hello.f", HELLO_F77);
    dir.write(
        "src/CMakeLists.txt",
        r#"cmake_minimum_required(VERSION 3.10)
project(wrappers_findmpi C Fortran)
find_package(MPI REQUIRED COMPONENTS C Fortran)
message(STATUS "FTMPI_C_INCLUDE_DIRS=${MPI_C_INCLUDE_DIRS}")
message(STATUS "FTMPI_C_LIBRARIES=${MPI_C_LIBRARIES}")
message(STATUS "FTMPI_FORTRAN_COMPILE_OPTIONS=${MPI_Fortran_COMPILE_OPTIONS}")
add_executable(hello hello.c)
target_link_libraries(hello MPI::MPI_C)
add_executable(hellof hello.f)
target_link_libraries(hellof MPI::MPI_Fortran)
"#,
    );
    let build = dir.path().join("build");
    let mut configure = standin("cmake", &lib);
    configure
        .arg("-S")
        .arg(dir.path().join("src"))
        .arg("-B")
        .arg(&build)
        .arg(format!("-DMPI_C_COMPILER={MPICC}"))
        .arg(format!("-DMPI_Fortran_COMPILER={MPIF90}"));
    let out = stdout_ok(&run(&mut configure));
    assert!(
        out.contains(&format!("FTMPI_C_INCLUDE_DIRS={MPICH_INCDIR}")),
        "{out}"
    );
    assert!(
        out.contains(&format!("FTMPI_C_LIBRARIES={}/libmpi.so", lib.display())),
        "{out}"
    );
    assert!(
        out.contains("FTMPI_FORTRAN_COMPILE_OPTIONS=-fallow-argument-mismatch"),
        "{out}"
    );
    stdout_ok(&run(Command::new("cmake").arg("--build").arg(&build)));
    assert_eq!(
        stdout_ok(&run(&mut Command::new(build.join("hello")))),
        "hello 0 of 1"
    );
    assert!(stdout_ok(&run(&mut Command::new(build.join("hellof")))).contains("fortran hello"));
}

/// A stand-in for target/release: ftmpi-install and the real mpicc linked in, the other
/// programs and the library as placeholder files.
fn fake_release(dir: &TempDir) -> PathBuf {
    let rel = dir.path().join("release");
    place_binary(INSTALL, &rel.join("ftmpi-install"));
    place_binary(MPICC, &rel.join("mpicc"));
    for prog in ["mpirun", "mpiexec", "ftmpirun", "mpif77", "mpif90"] {
        let p = dir.write(&format!("release/{prog}"), &format!("placeholder {prog}\n"));
        fs::set_permissions(p, fs::Permissions::from_mode(0o755)).unwrap();
    }
    dir.write("release/libmpi.so", "placeholder library\n");
    dir.write("release/include/mpi.h", "/* mpi.h */\n");
    dir.write("release/include/mpif.h", "! mpif.h\n");
    dir.write("release/include/mpio.h", "/* extra */\n");
    dir.write("release/include/notes.txt", "not a header\n");
    rel
}

#[test]
fn install_lays_out_bin_lib_include() {
    let dir = TempDir::new("install");
    let rel = fake_release(&dir);
    let prefix = dir.path().join("prefix");
    // Twice: a second install over the first replaces files and links in place.
    for _ in 0..2 {
        let out = run(Command::new(rel.join("ftmpi-install"))
            .arg("--prefix")
            .arg(&prefix));
        stdout_ok(&out);
    }
    for prog in ["mpirun", "mpiexec", "ftmpirun", "mpicc", "mpif77", "mpif90"] {
        let meta = fs::metadata(prefix.join("bin").join(prog)).unwrap();
        assert!(
            meta.is_file() && meta.permissions().mode() & 0o111 != 0,
            "{prog}"
        );
    }
    let lib = prefix.join("lib/libmpi.so.12");
    assert!(fs::symlink_metadata(&lib).unwrap().file_type().is_file());
    assert_eq!(fs::read_to_string(&lib).unwrap(), "placeholder library\n");
    for name in ["libmpi.so", "libmpich.so.12", "libmpichfort.so.12"] {
        let link = prefix.join("lib").join(name);
        assert_eq!(
            fs::read_link(&link).unwrap(),
            Path::new("libmpi.so.12"),
            "{name}"
        );
    }
    for h in ["mpi.h", "mpif.h", "mpio.h"] {
        assert!(prefix.join("include").join(h).is_file(), "{h}");
    }
    assert!(!prefix.join("include/notes.txt").exists());

    // The installed wrapper recognises its new home.
    let out = stdout_ok(&run(
        wrapper(prefix.join("bin/mpicc")).args(["-show", "-c", "x.c"])
    ));
    assert_eq!(out, format!("cc -c x.c -I{}/include", prefix.display()));
}

#[test]
fn install_reports_what_is_missing_and_usage() {
    let dir = TempDir::new("install-missing");
    let rel = fake_release(&dir);
    fs::remove_file(rel.join("include/mpif.h")).unwrap();
    fs::remove_file(rel.join("mpirun")).unwrap();
    let prefix = dir.path().join("prefix");
    let out =
        run(Command::new(rel.join("ftmpi-install")).arg(format!("--prefix={}", prefix.display())));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("{}/include/mpif.h", rel.display())),
        "{err}"
    );
    assert!(err.contains(&format!("{}/mpirun", rel.display())), "{err}");
    assert!(
        !prefix.exists(),
        "nothing is installed when something is missing"
    );

    let out = run(Command::new(INSTALL).arg("--help"));
    assert!(stdout_ok(&out).contains("--prefix"));
    let out = run(&mut Command::new(INSTALL));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--prefix"));
}

#[test]
fn build_tree_wrapper_finds_its_headers_or_says_where_it_looked() {
    // Whether target/<profile>/include exists yet depends on the build script.
    let out = run(wrapper(MPICC).arg("--showme:incdirs"));
    let bin_dir = Path::new(MPICC).parent().unwrap().canonicalize().unwrap();
    if out.status.success() {
        assert_eq!(
            stdout_ok(&out),
            bin_dir.join("include").display().to_string()
        );
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("{}/include/mpi.h", bin_dir.display())),
            "{err}"
        );
    }
}
