#![forbid(unsafe_code)]
//! The compiler wrappers `mpicc`, `mpif77` and `mpif90`.
//!
//! A wrapper runs the real compiler with every argument it was given, in order, plus what an
//! MPI program needs: `-I<incdir>` always, and `-L<libdir> -Wl,-rpath,<libdir> -lmpi` when the
//! compiler will link. It then exits with the compiler's exit code.
//!
//! Build systems ask wrappers what they would add instead of running them, so both dialects
//! are understood: MPICH's `-show`, `-compile_info`, `-link_info` (and `-show-compile-info`,
//! `-show-link-info`), and Open MPI's `--showme[:compile|link|incdirs|libdirs|libs|version|command|help]`
//! with one or two dashes. CMake's FindMPI asks `-showme:compile` and `-showme:link` first.
//!
//! Linking is decided as MPICH's `mpicc` script decides it: no link flags with `-c`, `-S`, `-E`,
//! `-M` or `-MM` (nor `-fsyntax-only`), nor when every argument only asks the compiler about
//! itself (`-v`, `--version`, `-dumpversion`, ...).
//!
//! Where the headers and the library are: `FTMPI_INCDIR` and `FTMPI_LIBDIR`, else
//! `FTMPI_PREFIX/include` and `FTMPI_PREFIX/lib`, else found from the wrapper's own location:
//! the build tree keeps `include/mpi.h` beside the binaries and `libmpi.so` with them, an
//! installation has `bin/`, `include/` and `lib/` under one prefix.

use std::env;
use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{self, Command, Stdio};

/// Set in the compiler's environment so that a compiler variable naming a wrapper (say
/// `MPICH_CC=mpicc`) fails at once instead of starting wrappers without end.
const RECURSION_GUARD: &str = "FTMPI_WRAPPER_RECURSION_CHECK";

/// The first gfortran release that rejects calls passing different types to one external
/// procedure, which every `mpif.h` program does with its choice buffers.
const GFORTRAN_STRICT_ARGS_MAJOR: u32 = 10;

/// Which wrapper is running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    C,
    F77,
    F90,
}

impl Lang {
    /// The wrapper's own name, used in messages.
    pub fn wrapper_name(self) -> &'static str {
        match self {
            Lang::C => "mpicc",
            Lang::F77 => "mpif77",
            Lang::F90 => "mpif90",
        }
    }

    /// Variables naming the compiler, most specific first; MPICH's names before Open MPI's.
    pub fn compiler_vars(self) -> &'static [&'static str] {
        match self {
            Lang::C => &["MPICH_CC", "OMPI_CC"],
            Lang::F77 => &["MPICH_F77", "MPICH_FC", "OMPI_F77", "OMPI_FC"],
            Lang::F90 => &["MPICH_F90", "MPICH_FC", "OMPI_FC"],
        }
    }

    pub fn default_compiler(self) -> &'static str {
        match self {
            Lang::C => "cc",
            Lang::F77 | Lang::F90 => "gfortran",
        }
    }

    fn is_fortran(self) -> bool {
        self != Lang::C
    }

    /// MPICH's option prefixes that replace the compiler for one call (`-cc=clang`).
    fn compiler_options(self) -> &'static [&'static str] {
        match self {
            Lang::C => &["-cc="],
            Lang::F77 => &["-fc=", "-f77="],
            Lang::F90 => &["-fc=", "-f90="],
        }
    }

    fn language_label(self) -> &'static str {
        match self {
            Lang::C => "C",
            Lang::F77 => "Fortran 77",
            Lang::F90 => "Fortran",
        }
    }
}

/// A question answered by printing instead of compiling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Info {
    /// The whole command (`-show`, `--showme`).
    Show,
    /// The command that compiles without linking (`-compile_info`, `-compile-info`).
    CompileCommand,
    /// The whole command, linking (`-link_info`, `-link-info`).
    LinkCommand,
    /// Only the flags added when compiling (`--showme:compile`, `-show-compile-info`).
    CompileFlags,
    /// Only the flags added when linking (`--showme:link`, `-show-link-info`).
    LinkFlags,
    Incdirs,
    Libdirs,
    Libs,
    Version,
    /// The compiler that would run (`--showme:command`).
    Command,
    Help,
}

impl Info {
    fn needs_compile_flags(self) -> bool {
        matches!(
            self,
            Info::Show | Info::CompileCommand | Info::LinkCommand | Info::CompileFlags
        )
    }
}

/// The command line, sorted into what the wrapper keeps and what goes to the compiler.
#[derive(Debug, PartialEq, Eq)]
pub struct Request {
    pub info: Option<Info>,
    /// From `-cc=` / `-fc=`; wins over the environment.
    pub compiler: Option<String>,
    pub linking: bool,
    /// Everything else, unchanged and in order.
    pub args: Vec<OsString>,
}

/// Where the headers and the library are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    pub incdir: PathBuf,
    pub libdir: PathBuf,
}

/// Options that make the compiler stop before linking.
fn stops_before_link(arg: &[u8]) -> bool {
    matches!(
        arg,
        b"-c" | b"-S" | b"-E" | b"-M" | b"-MM" | b"-fsyntax-only"
    )
}

/// Options that only ask the compiler about itself; alone, they need no link flags.
fn is_query(arg: &[u8]) -> bool {
    matches!(
        arg,
        b"-v"
            | b"--version"
            | b"-version"
            | b"-dumpversion"
            | b"-dumpfullversion"
            | b"-dumpmachine"
            | b"-dumpspecs"
            | b"--help"
            | b"-help"
            | b"--target-help"
    ) || arg.starts_with(b"--help=")
        || arg.starts_with(b"-print-")
        || arg.starts_with(b"--print-")
}

fn parse_info(arg: &[u8]) -> Result<Option<Info>, String> {
    let info = match arg {
        b"-show" => Info::Show,
        b"-compile_info" | b"-compile-info" => Info::CompileCommand,
        b"-link_info" | b"-link-info" => Info::LinkCommand,
        b"-show-compile-info" => Info::CompileFlags,
        b"-show-link-info" => Info::LinkFlags,
        b"-help" => Info::Help,
        _ => {
            let rest = if let Some(r) = arg.strip_prefix(b"--showme") {
                r
            } else if let Some(r) = arg.strip_prefix(b"-showme") {
                r
            } else {
                return Ok(None);
            };
            match rest {
                b"" => Info::Show,
                b":compile" => Info::CompileFlags,
                b":link" => Info::LinkFlags,
                b":incdirs" => Info::Incdirs,
                b":libdirs" => Info::Libdirs,
                b":libs" => Info::Libs,
                b":version" => Info::Version,
                b":command" => Info::Command,
                b":help" => Info::Help,
                _ => {
                    return Err(format!(
                        "unknown option {}; try --showme:help",
                        String::from_utf8_lossy(arg)
                    ));
                }
            }
        }
    };
    Ok(Some(info))
}

/// Sorts the command line; the first info option wins, and all of them are taken out.
pub fn parse(lang: Lang, args: impl IntoIterator<Item = OsString>) -> Result<Request, String> {
    let mut info = None;
    let mut compiler = None;
    let mut compile_only = false;
    let mut rest = Vec::new();
    for arg in args {
        let bytes = arg.as_bytes();
        if let Some(i) = parse_info(bytes)? {
            info.get_or_insert(i);
            continue;
        }
        if let Some(name) = lang
            .compiler_options()
            .iter()
            .find_map(|p| bytes.strip_prefix(p.as_bytes()))
        {
            compiler = Some(String::from_utf8_lossy(name).into_owned());
            continue;
        }
        compile_only |= stops_before_link(bytes);
        rest.push(arg);
    }
    let only_queries = !rest.is_empty() && rest.iter().all(|a| is_query(a.as_bytes()));
    let linking = match info {
        Some(Info::CompileCommand) => false,
        Some(Info::LinkCommand) => true,
        _ => !compile_only && !only_queries,
    };
    Ok(Request {
        info,
        compiler,
        linking,
        args: rest,
    })
}

/// The compiler command as words; a variable may hold a command with options ("gcc -m64").
pub fn compiler_words(
    lang: Lang,
    from_option: Option<&str>,
    var: impl Fn(&str) -> Option<OsString>,
) -> Vec<OsString> {
    let chosen = from_option.map(OsString::from).or_else(|| {
        lang.compiler_vars()
            .iter()
            .find_map(|name| var(name).filter(|v| !v.is_empty()))
    });
    let Some(value) = chosen else {
        return vec![lang.default_compiler().into()];
    };
    let words: Vec<OsString> = match value.to_str() {
        Some(s) => s.split_whitespace().map(OsString::from).collect(),
        None => vec![value],
    };
    if words.is_empty() {
        vec![lang.default_compiler().into()]
    } else {
        words
    }
}

/// Finds the headers and the library from the overrides, then from `exe_dir`.
pub fn locate_from(
    var: impl Fn(&str) -> Option<OsString>,
    exe_dir: Option<&Path>,
) -> Result<Layout, String> {
    let nonempty = |name: &str| var(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    let prefix = nonempty("FTMPI_PREFIX");
    let incdir = nonempty("FTMPI_INCDIR").or_else(|| prefix.as_ref().map(|p| p.join("include")));
    let libdir = nonempty("FTMPI_LIBDIR").or_else(|| prefix.as_ref().map(|p| p.join("lib")));
    if let (Some(incdir), Some(libdir)) = (&incdir, &libdir) {
        return Ok(Layout {
            incdir: incdir.clone(),
            libdir: libdir.clone(),
        });
    }
    let Some(exe_dir) = exe_dir else {
        return Err("cannot find the wrapper's own location; \
                    set FTMPI_PREFIX, or FTMPI_INCDIR and FTMPI_LIBDIR"
            .into());
    };
    let found = detect(exe_dir).ok_or_else(|| {
        let installed = exe_dir.parent().unwrap_or(exe_dir).join("include/mpi.h");
        format!(
            "cannot find the ftmpi headers: neither {} (build tree) nor {} (installed) exists; \
             set FTMPI_PREFIX, or FTMPI_INCDIR and FTMPI_LIBDIR",
            exe_dir.join("include/mpi.h").display(),
            installed.display()
        )
    })?;
    Ok(Layout {
        incdir: incdir.unwrap_or(found.incdir),
        libdir: libdir.unwrap_or(found.libdir),
    })
}

/// The build tree puts `include/` beside the binaries and the library with them; an
/// installation has `<prefix>/bin`, `<prefix>/include` and `<prefix>/lib`.
fn detect(exe_dir: &Path) -> Option<Layout> {
    let beside = exe_dir.join("include");
    if beside.join("mpi.h").is_file() {
        return Some(Layout {
            incdir: beside,
            libdir: exe_dir.to_path_buf(),
        });
    }
    let prefix = exe_dir.parent()?;
    if prefix.join("include/mpi.h").is_file() {
        return Some(Layout {
            incdir: prefix.join("include"),
            libdir: prefix.join("lib"),
        });
    }
    None
}

/// The directory of the running wrapper, symlinks resolved, so a link in `/usr/local/bin` to
/// the build tree still finds the build tree.
pub fn own_dir() -> Option<PathBuf> {
    let exe = env::current_exe().ok()?.canonicalize().ok()?;
    exe.parent().map(Path::to_path_buf)
}

/// `-I<dir>` as one word.
fn joined(flag: &str, dir: &Path) -> OsString {
    let mut word = OsString::from(flag);
    word.push(dir.as_os_str());
    word
}

/// Flags placed before the user's arguments, so the user can override them.
pub fn leading_flags(fortran_mismatch: bool) -> Vec<OsString> {
    if fortran_mismatch {
        vec!["-fallow-argument-mismatch".into()]
    } else {
        Vec::new()
    }
}

pub fn include_flags(layout: &Layout) -> Vec<OsString> {
    vec![joined("-I", &layout.incdir)]
}

pub fn link_flags(layout: &Layout) -> Vec<OsString> {
    let lib = layout.libdir.as_os_str();
    // -Wl, splits its argument at commas, so a directory with a comma goes through -Xlinker.
    let rpath: Vec<OsString> = if lib.as_bytes().contains(&b',') {
        vec![
            "-Xlinker".into(),
            "-rpath".into(),
            "-Xlinker".into(),
            lib.into(),
        ]
    } else {
        vec![joined("-Wl,-rpath,", &layout.libdir)]
    };
    let mut flags = vec![joined("-L", &layout.libdir)];
    flags.extend(rpath);
    flags.push("-lmpi".into());
    flags
}

/// The full command: compiler, leading flags, the user's arguments, `-I`, then link flags
/// after the user's objects and libraries, where static link order needs them.
pub fn command_line(
    compiler: &[OsString],
    leading: &[OsString],
    req: &Request,
    layout: &Layout,
) -> Vec<OsString> {
    let mut cmd = compiler.to_vec();
    cmd.extend_from_slice(leading);
    cmd.extend(req.args.iter().cloned());
    cmd.extend(include_flags(layout));
    if req.linking {
        cmd.extend(link_flags(layout));
    }
    cmd
}

/// Quotes a word for a POSIX shell only when it needs it, so ordinary output stays plain.
pub fn shell_quote(word: &OsStr) -> String {
    let s = word.to_string_lossy();
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_@%+=:,./-".contains(&b));
    if plain {
        s.into_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

pub fn shell_join(words: &[OsString]) -> String {
    words
        .iter()
        .map(|w| shell_quote(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether `--version` output names GNU Fortran.
pub fn is_gnu_fortran(version_text: &str) -> bool {
    version_text
        .lines()
        .next()
        .is_some_and(|l| l.contains("GNU Fortran"))
}

/// The major number of `-dumpversion` output ("12", "9.4.0").
pub fn major_version(text: &str) -> Option<u32> {
    let digits: String = text
        .trim()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

fn probe(compiler: &[OsString], arg: &str) -> Option<String> {
    let out = Command::new(&compiler[0])
        .args(&compiler[1..])
        .arg(arg)
        .env(RECURSION_GUARD, "1")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// gfortran 10 and later reject the mismatched buffer types every `mpif.h` program passes
/// unless told to allow them; other compilers would reject the flag itself.
fn fortran_needs_mismatch_flag(compiler: &[OsString]) -> bool {
    let Some(version) = probe(compiler, "--version") else {
        return false;
    };
    if !is_gnu_fortran(&version) {
        return false;
    }
    probe(compiler, "-dumpversion")
        .and_then(|v| major_version(&v))
        .is_some_and(|m| m >= GFORTRAN_STRICT_ARGS_MAJOR)
}

fn help(lang: Lang) -> String {
    let name = lang.wrapper_name();
    let var_list = lang.compiler_vars().join(", ");
    format!(
        "usage: {name} [options] files...\n\
         Runs the {label} compiler with the ftmpi include path, library path, rpath and -lmpi.\n\
         All arguments not listed here go to the compiler unchanged.\n\
         \n\
         MPICH-style:\n\
         \x20 -show                 print the command instead of running it\n\
         \x20 -compile_info         print the command that compiles (no link flags)\n\
         \x20 -link_info            print the command that links\n\
         \x20 -show-compile-info    print only the flags added when compiling\n\
         \x20 -show-link-info       print only the flags added when linking\n\
         \x20 {opt:<22}use compiler NAME\n\
         \x20 -help                 this text\n\
         Open MPI-style (one or two dashes):\n\
         \x20 --showme              print the command instead of running it\n\
         \x20 --showme:compile      flags added when compiling\n\
         \x20 --showme:link         flags added when linking\n\
         \x20 --showme:incdirs      include directories added\n\
         \x20 --showme:libdirs      library directories added\n\
         \x20 --showme:libs         libraries added\n\
         \x20 --showme:command      the compiler command\n\
         \x20 --showme:version      the ftmpi version\n\
         \x20 --showme:help         this text\n\
         \n\
         Compiler: {var_list}, else {default}.\n\
         Locations: FTMPI_INCDIR and FTMPI_LIBDIR, else FTMPI_PREFIX/include and \
         FTMPI_PREFIX/lib, else found beside the wrapper.",
        label = lang.language_label(),
        opt = format!("{}NAME", lang.compiler_options()[0]),
        default = lang.default_compiler(),
    )
}

fn exit_code(status: process::ExitStatus) -> i32 {
    match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(sig)) => 128 + sig,
        (None, None) => 1,
    }
}

/// Runs one wrapper invocation and returns the exit code.
pub fn run(lang: Lang, args: Vec<OsString>) -> i32 {
    let name = lang.wrapper_name();
    if args.is_empty() {
        eprintln!("{name}: no arguments given; {name} -help lists the options");
        return 1;
    }
    let req = match parse(lang, args) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{name}: {e}");
            return 1;
        }
    };
    if env::var_os(RECURSION_GUARD).is_some() {
        eprintln!(
            "{name}: called by the compiler it runs; check that {} does not name an MPI wrapper",
            lang.compiler_vars().join(" / ")
        );
        return 1;
    }
    let compiler = compiler_words(lang, req.compiler.as_deref(), |k| env::var_os(k));
    if req.info == Some(Info::Help) {
        println!("{}", help(lang));
        return 0;
    }
    if req.info == Some(Info::Version) {
        println!(
            "{name}: ftmpi {} (Language: {})",
            env!("CARGO_PKG_VERSION"),
            lang.language_label()
        );
        return 0;
    }
    if req.info == Some(Info::Command) {
        println!("{}", shell_join(&compiler));
        return 0;
    }
    let layout = match locate_from(|k| env::var_os(k), own_dir().as_deref()) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{name}: {e}");
            return 1;
        }
    };
    let needs_compile_flags = req.info.is_none_or(Info::needs_compile_flags);
    let leading = leading_flags(
        lang.is_fortran() && needs_compile_flags && fortran_needs_mismatch_flag(&compiler),
    );
    let printed = match req.info {
        None => None,
        Some(Info::Show | Info::CompileCommand | Info::LinkCommand) => Some(shell_join(
            &command_line(&compiler, &leading, &req, &layout),
        )),
        Some(Info::CompileFlags) => {
            let mut flags = leading.clone();
            flags.extend(include_flags(&layout));
            Some(shell_join(&flags))
        }
        Some(Info::LinkFlags) => Some(shell_join(&link_flags(&layout))),
        Some(Info::Incdirs) => Some(shell_quote(layout.incdir.as_os_str())),
        Some(Info::Libdirs) => Some(shell_quote(layout.libdir.as_os_str())),
        Some(Info::Libs) => Some("mpi".into()),
        Some(Info::Version | Info::Command | Info::Help) => unreachable!("handled above"),
    };
    if let Some(text) = printed {
        println!("{text}");
        return 0;
    }
    let cmd = command_line(&compiler, &leading, &req, &layout);
    match Command::new(&cmd[0])
        .args(&cmd[1..])
        .env(RECURSION_GUARD, "1")
        .status()
    {
        Ok(status) => exit_code(status),
        Err(e) => {
            eprintln!("{name}: cannot run {}: {e}", compiler[0].to_string_lossy());
            if e.kind() == io::ErrorKind::NotFound {
                127
            } else {
                126
            }
        }
    }
}

/// Entry point of the wrapper binaries.
pub fn main(lang: Lang) -> ! {
    let code = run(lang, env::args_os().skip(1).collect());
    process::exit(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    fn layout() -> Layout {
        Layout {
            incdir: "/p/include".into(),
            libdir: "/p/lib".into(),
        }
    }

    #[test]
    fn compile_only_options_drop_link_flags() {
        for flag in ["-c", "-S", "-E", "-M", "-MM", "-fsyntax-only"] {
            let req = parse(Lang::C, os(&[flag, "x.c"])).unwrap();
            assert!(!req.linking, "{flag}");
        }
        for flag in ["-MD", "-MMD", "-O2", "-shared"] {
            let req = parse(Lang::C, os(&[flag, "x.c"])).unwrap();
            assert!(req.linking, "{flag}");
        }
    }

    #[test]
    fn queries_alone_do_not_link_but_show_alone_does() {
        assert!(!parse(Lang::C, os(&["-v"])).unwrap().linking);
        assert!(!parse(Lang::C, os(&["--version"])).unwrap().linking);
        assert!(parse(Lang::C, os(&["-v", "x.c"])).unwrap().linking);
        let show = parse(Lang::C, os(&["-show"])).unwrap();
        assert_eq!(show.info, Some(Info::Show));
        assert!(show.linking && show.args.is_empty());
    }

    #[test]
    fn info_options_in_both_dialects() {
        let cases = [
            ("-show", Info::Show),
            ("-showme", Info::Show),
            ("--showme", Info::Show),
            ("-showme:compile", Info::CompileFlags),
            ("--showme:link", Info::LinkFlags),
            ("--showme:incdirs", Info::Incdirs),
            ("--showme:libdirs", Info::Libdirs),
            ("--showme:libs", Info::Libs),
            ("--showme:version", Info::Version),
            ("-compile_info", Info::CompileCommand),
            ("-compile-info", Info::CompileCommand),
            ("-link_info", Info::LinkCommand),
            ("-show-compile-info", Info::CompileFlags),
            ("-show-link-info", Info::LinkFlags),
        ];
        for (arg, info) in cases {
            assert_eq!(
                parse(Lang::C, os(&[arg])).unwrap().info,
                Some(info),
                "{arg}"
            );
        }
        assert!(parse(Lang::C, os(&["--showme:bogus"])).is_err());
        assert!(
            !parse(Lang::C, os(&["-compile_info", "x.c"]))
                .unwrap()
                .linking
        );
        assert!(parse(Lang::C, os(&["-link_info", "-c"])).unwrap().linking);
    }

    #[test]
    fn arguments_pass_through_in_order() {
        let req = parse(Lang::C, os(&["-O2", "-show", "a b.c", "-o", "x", "-lm"])).unwrap();
        assert_eq!(req.args, os(&["-O2", "a b.c", "-o", "x", "-lm"]));
        let cmd = command_line(&os(&["cc"]), &[], &req, &layout());
        assert_eq!(
            shell_join(&cmd),
            "cc -O2 'a b.c' -o x -lm -I/p/include -L/p/lib -Wl,-rpath,/p/lib -lmpi"
        );
    }

    #[test]
    fn compiler_choice_order() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| OsString::from(*v))
            }
        };
        assert_eq!(compiler_words(Lang::C, None, env(&[])), os(&["cc"]));
        assert_eq!(
            compiler_words(
                Lang::C,
                None,
                env(&[("OMPI_CC", "clang"), ("MPICH_CC", "gcc -m64")])
            ),
            os(&["gcc", "-m64"])
        );
        assert_eq!(
            compiler_words(Lang::C, Some("tcc"), env(&[("MPICH_CC", "gcc")])),
            os(&["tcc"])
        );
        assert_eq!(
            compiler_words(
                Lang::F77,
                None,
                env(&[("MPICH_FC", "a"), ("MPICH_F77", "b")])
            ),
            os(&["b"])
        );
        assert_eq!(
            compiler_words(
                Lang::F90,
                None,
                env(&[("OMPI_FC", "c"), ("MPICH_F77", "b")])
            ),
            os(&["c"])
        );
        assert_eq!(
            compiler_words(Lang::F90, None, env(&[("MPICH_FC", "")])),
            os(&["gfortran"])
        );
        let req = parse(Lang::F90, os(&["-fc=ifx", "x.f90"])).unwrap();
        assert_eq!(req.compiler.as_deref(), Some("ifx"));
    }

    #[test]
    fn rpath_with_comma_goes_through_xlinker() {
        let l = Layout {
            incdir: "/a,b/include".into(),
            libdir: "/a,b/lib".into(),
        };
        assert_eq!(
            shell_join(&link_flags(&l)),
            "-L/a,b/lib -Xlinker -rpath -Xlinker /a,b/lib -lmpi"
        );
    }

    #[test]
    fn overrides_need_no_exe_dir() {
        let vars = |k: &str| match k {
            "FTMPI_PREFIX" => Some(OsString::from("/opt/ft")),
            "FTMPI_LIBDIR" => Some(OsString::from("/x/lib64")),
            _ => None,
        };
        let l = locate_from(vars, None).unwrap();
        assert_eq!(l.incdir, PathBuf::from("/opt/ft/include"));
        assert_eq!(l.libdir, PathBuf::from("/x/lib64"));
        let err = locate_from(|_| None, Some(Path::new("/nonexistent/bin"))).unwrap_err();
        assert!(err.contains("/nonexistent/bin/include/mpi.h"), "{err}");
        assert!(err.contains("/nonexistent/include/mpi.h"), "{err}");
    }

    #[test]
    fn gfortran_version_parsing() {
        assert!(is_gnu_fortran(
            "GNU Fortran (Debian 12.2.0-14) 12.2.0\nCopyright"
        ));
        assert!(!is_gnu_fortran("flang-new version 17.0.6\n"));
        assert_eq!(major_version("12\n"), Some(12));
        assert_eq!(major_version("9.4.0\n"), Some(9));
        assert_eq!(major_version("garbage"), None);
    }

    #[test]
    fn quoting() {
        assert_eq!(shell_quote(OsStr::new("-I/a/b")), "-I/a/b");
        assert_eq!(shell_quote(OsStr::new("")), "''");
        assert_eq!(shell_quote(OsStr::new("it's")), r"'it'\''s'");
    }
}
