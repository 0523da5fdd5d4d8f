//! Every function `include/mpi.h` declares is exported by `libmpi.so`: `MPI_X` and its
//! profiling twin `PMPI_X`, and the Fortran 77 binding in the four spellings compilers use
//! (`mpi_x_`, `mpi_x__`, `mpi_x`, `MPI_X`), except where Fortran has no such function.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// C functions with no Fortran binding, and why.
const NO_FORTRAN: &[&str] = &[
    // Handle conversion between C and Fortran: C only (and macros in MPICH's mpi.h).
    "MPI_Comm_f2c",
    "MPI_Comm_c2f",
    "MPI_Type_f2c",
    "MPI_Type_c2f",
    "MPI_Group_f2c",
    "MPI_Group_c2f",
    "MPI_Request_f2c",
    "MPI_Request_c2f",
    "MPI_Op_f2c",
    "MPI_Op_c2f",
    "MPI_Errhandler_f2c",
    "MPI_Errhandler_c2f",
    "MPI_Info_f2c",
    "MPI_Info_c2f",
    "MPI_Win_f2c",
    "MPI_Win_c2f",
    "MPI_Status_f2c",
    "MPI_Status_c2f",
];

/// The library built beside this test: `target/<profile>/deps/libmpi.so`.
fn library() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let deps = exe.parent().expect("deps dir");
    let lib = deps.join("libmpi.so");
    assert!(lib.exists(), "{} not found; cargo builds it with the tests", lib.display());
    lib
}

fn exported(lib: &Path) -> BTreeSet<String> {
    let out = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(lib)
        .output()
        .expect("run nm (binutils)");
    assert!(out.status.success(), "nm failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (_addr, kind, name) = (f.next()?, f.next()?, f.next()?);
            matches!(kind, "T" | "W" | "i").then(|| name.to_string())
        })
        .collect()
}

/// Names of the one-line function prototypes in mpi.h.
fn prototypes() -> Vec<String> {
    let header = Path::new(env!("CARGO_MANIFEST_DIR")).join("include/mpi.h");
    let text = std::fs::read_to_string(&header).expect("read include/mpi.h");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("typedef") && !l.starts_with(' ') && l.ends_with(");"))
        .filter_map(|l| {
            let open = l.find('(')?;
            let name = l[..open].rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).next()?;
            (!name.is_empty()).then(|| name.to_string())
        })
        .collect()
}

/// `MPI_NULL_COPY_FN` and friends are callbacks, not MPI calls: no PMPI twin, and their
/// Fortran versions have the Fortran callback shape.
fn is_predefined_callback(name: &str) -> bool {
    !name.chars().any(|c| c.is_ascii_lowercase())
}

fn fortran_spellings(name: &str) -> [String; 4] {
    let lower = name.to_lowercase();
    [format!("{lower}_"), format!("{lower}__"), lower, name.to_uppercase()]
}

#[test]
fn every_prototype_is_exported() {
    let symbols = exported(&library());
    let protos = prototypes();
    assert!(protos.iter().any(|p| p == "MPI_Init"), "no prototypes found in include/mpi.h");
    let declared: BTreeSet<&str> = protos.iter().map(String::as_str).collect();
    let mut missing = Vec::new();
    for name in &protos {
        if name.starts_with("PMPI_") {
            assert!(declared.contains(&name[1..]), "{name} is declared without {}", &name[1..]);
            continue;
        }
        let mut want = vec![name.clone()];
        if name.starts_with("MPI_") && !is_predefined_callback(name) {
            want.push(format!("P{name}"));
            assert!(declared.contains(format!("P{name}").as_str()), "mpi.h lacks the prototype of P{name}");
        }
        let is_mpi = name.starts_with("MPI_") || name.starts_with("FTMPI_");
        if is_mpi && !NO_FORTRAN.contains(&name.as_str()) {
            let spellings = fortran_spellings(name);
            if is_predefined_callback(name) {
                // The upper-case spelling is the C function itself.
                want.extend(spellings.into_iter().take(3));
            } else {
                want.extend(spellings);
            }
        }
        missing.extend(want.into_iter().filter(|s| !symbols.contains(s)));
    }
    assert!(
        missing.is_empty(),
        "libmpi.so does not export {} symbol(s) that include/mpi.h promises:\n  {}\n\
         (a Fortran binding build.rs cannot derive belongs in src/abi/fortran/manual.rs; a C-only \
         function belongs in NO_FORTRAN in tests/symbols.rs)",
        missing.len(),
        missing.join("\n  ")
    );
}

#[test]
fn sonames_and_fortran_blocks() {
    let symbols = exported(&library());
    // The common blocks of mpif.h, found by the library at run time (src/abi/fortran/mod.rs).
    let data: BTreeSet<String> = {
        let out = Command::new("nm").args(["-D", "--defined-only"]).arg(library()).output().unwrap();
        String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| l.split_whitespace().nth(2).map(String::from)).collect()
    };
    for block in ["mpipriv1_", "mpipriv2_"] {
        assert!(data.contains(block), "libmpi.so does not define the Fortran common block {block}");
    }
    assert!(symbols.contains("mpi_wtime_"), "MPI_WTIME is a Fortran function and must be exported");
    let out = Command::new("readelf").args(["-d"]).arg(library()).output();
    if let Ok(out) = out {
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("[libmpi.so.12]"), "soname is not libmpi.so.12:\n{text}");
    }
}
