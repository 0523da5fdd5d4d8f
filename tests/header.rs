//! The checked-in `include/mpi.h` and `include/mpif.h` are the ones `build.rs` generates, and
//! both compile: C with `-Wall -Werror -pedantic`, Fortran in fixed form under IMPLICIT NONE.
//!
//! After changing `src/abi`, refresh the copies with `FTMPI_BLESS=1 cargo test --test header`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::{env, fs};

fn checked_in(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("include").join(name)
}

fn generated(name: &str) -> PathBuf {
    Path::new(env!("OUT_DIR")).join(name)
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("header");
    fs::create_dir_all(&dir).expect("create scratch dir");
    dir.join(name)
}

fn assert_up_to_date(name: &str) {
    let fresh = fs::read_to_string(generated(name)).expect("generated header in OUT_DIR");
    let path = checked_in(name);
    if env::var_os("FTMPI_BLESS").is_some_and(|v| v == "1") {
        fs::create_dir_all(path.parent().unwrap()).expect("create include/");
        if fs::read_to_string(&path).ok().as_deref() != Some(&fresh) {
            fs::write(&path, &fresh).expect("write checked-in header");
        }
        return;
    }
    let old = fs::read_to_string(&path).unwrap_or_default();
    if old != fresh {
        let line = old.lines().zip(fresh.lines()).position(|(a, b)| a != b).unwrap_or(old.lines().count().min(fresh.lines().count()));
        panic!(
            "include/{name} is out of date (first difference at line {}).\n\
             It is generated from src/abi by build.rs; refresh it with:\n\n    \
             FTMPI_BLESS=1 cargo test --test header\n\n\
             checked in: {:?}\ngenerated:  {:?}",
            line + 1,
            old.lines().nth(line).unwrap_or("<end of file>"),
            fresh.lines().nth(line).unwrap_or("<end of file>"),
        );
    }
}

#[test]
fn mpi_h_is_up_to_date() {
    assert_up_to_date("mpi.h");
}

#[test]
fn mpif_h_is_up_to_date() {
    assert_up_to_date("mpif.h");
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Uses the types, the pointer constants, the callback typedefs as MPICH programs do, and a
/// handle constant in a `case` label (it must be an integer constant expression).
const C_PROGRAM: &str = r#"
#include <mpi.h>

static void handler(MPI_Comm *comm, int *code, ...) { (void)comm; (void)code; }

int main(int argc, char **argv) {
    MPI_Status status;
    MPI_Errhandler errh;
    MPI_Aint extent = sizeof(MPI_Status);
    MPI_Fint f = MPI_Comm_c2f(MPI_COMM_WORLD);
    int x = 0;
    MPI_Init(&argc, &argv);
    MPI_Errhandler_create(handler, &errh);
    MPI_Recv(&x, 1, MPI_INT, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_Comm_f2c(f), MPI_STATUS_IGNORE);
    MPI_Recv(&x, 1, MPI_INT, 0, 0, MPI_COMM_WORLD, &status);
    MPI_Errhandler_set(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    switch (status.MPI_ERROR) {
    case MPI_SUCCESS: break;
    case MPI_ERR_OTHER: break;
    default: break;
    }
#ifdef FTMPI
    x = PMPI_Comm_rank(MPI_COMM_WORLD, &x);
#endif
    return MPI_Finalize() + (int)extent + x;
}
"#;

#[test]
fn mpi_h_compiles_as_c99() {
    let src = scratch("uses_mpi_h.c");
    fs::write(&src, C_PROGRAM).unwrap();
    let include = checked_in("");
    for std in ["-std=c99", "-std=c89"] {
        run(Command::new(env::var("CC").unwrap_or_else(|_| "cc".into()))
            .args(["-Wall", "-Wextra", "-Werror", "-pedantic", std, "-fsyntax-only", "-I"])
            .arg(&include)
            .arg(&src));
    }
}

#[test]
fn mpi_h_compiles_as_cxx() {
    let Ok(out) = Command::new("c++").arg("--version").output() else {
        eprintln!("SKIPPED: no C++ compiler");
        return;
    };
    if !out.status.success() {
        return;
    }
    let src = scratch("uses_mpi_h.cc");
    fs::write(&src, C_PROGRAM).unwrap();
    run(Command::new("c++")
        .args(["-Wall", "-Werror", "-pedantic", "-fsyntax-only", "-I"])
        .arg(checked_in(""))
        .arg(&src));
}

/// Two program units include mpif.h (so every declaration must be per unit), and every
/// sentinel and common block is used.
const FORTRAN_PROGRAM: &str = r"
      PROGRAM USES
      IMPLICIT NONE
      INCLUDE 'mpif.h'
      INTEGER IERR, STATUS(MPI_STATUS_SIZE), X
      DOUBLE PRECISION T
      CALL MPI_INIT(IERR)
      CALL MPI_SEND(MPI_BOTTOM, 1, MPI_INTEGER, 0, MPI_ANY_TAG,
     &              MPI_COMM_WORLD, IERR)
      CALL MPI_RECV(X, 1, MPI_INTEGER, MPI_ANY_SOURCE, 0,
     &              MPI_COMM_WORLD, MPI_STATUS_IGNORE, IERR)
      CALL MPI_RECV(X, 1, MPI_INTEGER, 0, 0, MPI_COMM_WORLD,
     &              STATUS, IERR)
      X = STATUS(MPI_SOURCE) + STATUS(MPI_TAG) + STATUS(MPI_ERROR)
      T = MPI_WTIME() + MPI_WTICK()
      CALL OTHER(MPI_IN_PLACE)
      END

      SUBROUTINE OTHER(Y)
      IMPLICIT NONE
      INCLUDE 'mpif.h'
      INTEGER Y, IERR, REQ(2)
      INTEGER(KIND=MPI_ADDRESS_KIND) ADDR
      CALL MPI_GET_ADDRESS(Y, ADDR, IERR)
      CALL MPI_WAITALL(2, REQ, MPI_STATUSES_IGNORE, IERR)
      Y = MPI_ERRCODES_IGNORE(1) + MPI_ERR_LASTCODE + FTMPI
      CALL MPI_FINALIZE(IERR)
      END
";

#[test]
fn mpif_h_compiles_in_fixed_form() {
    let have_gfortran = Command::new("gfortran").arg("--version").output().is_ok_and(|o| o.status.success());
    if !have_gfortran {
        assert!(env::var("CI").map_or(true, |v| v != "true"), "gfortran is required when CI=true");
        eprintln!("SKIPPED: mpif_h_compiles_in_fixed_form needs gfortran, which is not installed");
        return;
    }
    let src = scratch("uses_mpif_h.f");
    fs::write(&src, FORTRAN_PROGRAM.trim_start_matches('\n')).unwrap();
    run(Command::new("gfortran")
        .args(["-ffixed-form", "-Wall", "-Werror", "-fsyntax-only", "-I"])
        .arg(checked_in(""))
        .arg(&src));
}

#[test]
fn mpif_h_fits_fixed_form_columns() {
    let text = fs::read_to_string(generated("mpif.h")).unwrap();
    for (n, line) in text.lines().enumerate() {
        assert!(line.len() <= 72, "mpif.h line {} is longer than 72 columns: {line}", n + 1);
        if line.starts_with('!') || line.is_empty() {
            continue;
        }
        let (label, stmt) = line.split_at(6.min(line.len()));
        assert!(
            label == "      " || (label.starts_with("     ") && label.len() == 6),
            "mpif.h line {}: columns 1-6 must be blank or a continuation mark: {line}",
            n + 1
        );
        assert!(!stmt.starts_with(' '), "mpif.h line {}: statement must start in column 7", n + 1);
    }
}
