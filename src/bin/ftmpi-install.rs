#![forbid(unsafe_code)]
//! `ftmpi-install --prefix DIR`: copies the build beside this binary (say `target/release`)
//! into `DIR/bin`, `DIR/lib` and `DIR/include`, the layout the wrappers recognise as installed.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process;

const PROGRAMS: [&str; 6] = ["mpirun", "mpiexec", "ftmpirun", "mpicc", "mpif77", "mpif90"];
const SONAME: &str = "libmpi.so.12";
/// Names programs and build systems look for: the link-time name, and MPICH's sonames, so
/// binaries built against Debian's MPICH load this library.
const LIB_LINKS: [&str; 3] = ["libmpi.so", "libmpich.so.12", "libmpichfort.so.12"];
const REQUIRED_HEADERS: [&str; 2] = ["mpi.h", "mpif.h"];

const USAGE: &str = "usage: ftmpi-install --prefix DIR

Installs the ftmpi build that sits beside this program:
  DIR/bin      mpirun, mpiexec, ftmpirun, mpicc, mpif77, mpif90
  DIR/lib      libmpi.so.12, with libmpi.so, libmpich.so.12 and libmpichfort.so.12 linked to it
  DIR/include  mpi.h, mpif.h and the other headers of the build

Options:
  --prefix DIR, --prefix=DIR   where to install (created if missing)
  -h, --help                   this text";

fn parse_args(args: impl IntoIterator<Item = OsString>) -> Result<Option<PathBuf>, String> {
    let mut args = args.into_iter();
    let mut prefix = None;
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy();
        if text == "-h" || text == "--help" || text == "-help" {
            return Ok(None);
        } else if text == "--prefix" || text == "-prefix" {
            let dir = args
                .next()
                .ok_or_else(|| format!("{text} needs a directory"))?;
            prefix = Some(PathBuf::from(dir));
        } else if let Some(dir) = text.strip_prefix("--prefix=") {
            prefix = Some(PathBuf::from(dir));
        } else {
            return Err(format!("unknown argument '{text}'"));
        }
    }
    match prefix {
        Some(p) if p.as_os_str().is_empty() => Err("--prefix needs a directory".into()),
        Some(p) => Ok(Some(p)),
        None => Err("--prefix DIR is required".into()),
    }
}

/// One file to copy, and the mode it gets.
struct Item {
    from: PathBuf,
    to: PathBuf,
    mode: u32,
}

fn plan(src: &Path, prefix: &Path) -> Result<Vec<Item>, String> {
    let mut items = Vec::new();
    let mut missing = Vec::new();
    for prog in PROGRAMS {
        let from = src.join(prog);
        if from.is_file() {
            items.push(Item {
                from,
                to: prefix.join("bin").join(prog),
                mode: 0o755,
            });
        } else {
            missing.push(from);
        }
    }
    // libmpi.so is what the build writes; libmpi.so.12 beside it holds the same library.
    match ["libmpi.so", SONAME]
        .iter()
        .map(|n| src.join(n))
        .find(|p| p.is_file())
    {
        Some(from) => items.push(Item {
            from,
            to: prefix.join("lib").join(SONAME),
            mode: 0o755,
        }),
        None => missing.push(src.join("libmpi.so")),
    }
    let incdir = src.join("include");
    for h in REQUIRED_HEADERS {
        if !incdir.join(h).is_file() {
            missing.push(incdir.join(h));
        }
    }
    if !missing.is_empty() {
        let list: Vec<String> = missing.iter().map(|p| p.display().to_string()).collect();
        return Err(format!(
            "missing from the build directory {}:\n  {}\n(build with `cargo build --release` \
             and run the ftmpi-install that sits in target/release)",
            src.display(),
            list.join("\n  ")
        ));
    }
    let mut headers: Vec<PathBuf> = fs::read_dir(&incdir)
        .map_err(|e| format!("cannot list {}: {e}", incdir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "h") && p.is_file())
        .collect();
    headers.sort();
    for from in headers {
        let name = from
            .file_name()
            .expect("listed files have names")
            .to_owned();
        items.push(Item {
            from,
            to: prefix.join("include").join(name),
            mode: 0o644,
        });
    }
    Ok(items)
}

/// Copies beside the target and renames over it: a running `mpirun` or a loaded library
/// being replaced keeps its old inode instead of failing with ETXTBSY or changing under it.
fn install_file(item: &Item) -> io::Result<()> {
    let tmp = temp_beside(&item.to);
    let result = fs::copy(&item.from, &tmp)
        .and_then(|_| fs::set_permissions(&tmp, fs::Permissions::from_mode(item.mode)))
        .and_then(|()| fs::rename(&tmp, &item.to));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn install_link(target: &str, link: &Path) -> io::Result<()> {
    let tmp = temp_beside(link);
    let _ = fs::remove_file(&tmp);
    symlink(target, &tmp)?;
    fs::rename(&tmp, link).inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })
}

fn temp_beside(path: &Path) -> PathBuf {
    let mut name = OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    name.push(format!(".ftmpi-install.{}", process::id()));
    path.with_file_name(name)
}

fn install(src: &Path, prefix: &Path) -> Result<(), String> {
    let items = plan(src, prefix)?;
    for sub in ["bin", "lib", "include"] {
        let dir = prefix.join(sub);
        fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    for item in &items {
        install_file(item).map_err(|e| {
            format!(
                "cannot copy {} to {}: {e}",
                item.from.display(),
                item.to.display()
            )
        })?;
        println!("{}", item.to.display());
    }
    for name in LIB_LINKS {
        let link = prefix.join("lib").join(name);
        install_link(SONAME, &link)
            .map_err(|e| format!("cannot create the link {}: {e}", link.display()))?;
        println!("{} -> {SONAME}", link.display());
    }
    Ok(())
}

fn main() {
    let prefix = match parse_args(std::env::args_os().skip(1)) {
        Ok(Some(p)) => p,
        Ok(None) => {
            println!("{USAGE}");
            return;
        }
        Err(e) => {
            eprintln!("ftmpi-install: {e}\n\n{USAGE}");
            process::exit(2);
        }
    };
    let Some(src) = mpi::wrappers::own_dir() else {
        eprintln!("ftmpi-install: cannot find the directory this program runs from");
        process::exit(1);
    };
    if let Err(e) = install(&src, &prefix) {
        eprintln!("ftmpi-install: {e}");
        process::exit(1);
    }
}
