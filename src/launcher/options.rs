#![forbid(unsafe_code)]
//! The command line of `mpirun`, `mpiexec` and `ftmpirun`.
//!
//! Options come before the program; the first word that is not an option (or the word after
//! `--`) is the program, and everything after it belongs to the program. Long options also
//! take their value after `=` (`--timeout=10`).

use std::ffi::OsString;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use std::net::Ipv4Addr;

use nix::sys::signal::Signal;

use super::Flavor;
use super::hostfile::{self, HostSpec, MapBy};

/// Exit code for a bad command line.
pub const USAGE_EXIT: u8 = 2;

/// What the command line asks for.
// Made once per run: the size of `Run` costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, PartialEq, Eq)]
pub enum Request {
    Run(Options),
    Help,
    Version,
}

/// A job to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub np: u32,
    pub tag_output: bool,
    /// `-x NAME` (value from mpirun's environment) or `-x NAME=VALUE`, in order.
    pub exports: Vec<(String, Option<String>)>,
    pub timeout: Option<Duration>,
    /// Upper case, as the ranks receive it.
    pub comm_mode: Option<String>,
    /// Upper case, as the ranks receive it.
    pub msg_mode: Option<String>,
    pub coll_strict: bool,
    /// The `--inject` specs as given, for the ranks' environment.
    pub inject: Vec<String>,
    /// The same, parsed.
    pub injections: Vec<Inject>,
    pub program: OsString,
    pub args: Vec<OsString>,
    /// The hosts from `--hostfile` or `-H`; empty for a job on this host only.
    pub hosts: Vec<HostSpec>,
    pub map_by: MapBy,
    /// `--launch-agent`: the command that starts a daemon on `{host}`.
    pub launch_agent: Option<String>,
    /// `--iface`: the network interface whose address mpirun listens on.
    pub iface: Option<String>,
    /// `--net`: the network (address and prefix length) mpirun listens on.
    pub net: Option<(Ipv4Addr, u8)>,
}

/// One fault to inject: `kill:rank=R:after=T[:signal=S]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inject {
    pub rank: u32,
    /// Counted from the moment every rank has joined the job (the fence).
    pub after: Duration,
    pub signal: Signal,
}

/// A command-line mistake; `mpirun` prints it and exits with [`USAGE_EXIT`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

const COMM_MODES: &[&str] = &["ABORT", "BLANK", "SHRINK", "REBUILD"];
const MSG_MODES: &[&str] = &["NOP", "CONT", "RESET", "NOOP", "CONTINUE"];

/// Parses the arguments after the program name. `env_timeout` is `MPIEXEC_TIMEOUT`, which
/// `--timeout` overrides.
pub fn parse(args: Vec<OsString>, env_timeout: Option<OsString>) -> Result<Request, UsageError> {
    let mut np: Option<u32> = None;
    let mut tag_output = false;
    let mut exports = Vec::new();
    let mut timeout = None;
    let mut comm_mode = None;
    let mut msg_mode = None;
    let mut coll_strict = false;
    let mut inject = Vec::new();
    let mut hostfile_hosts: Option<Vec<HostSpec>> = None;
    let mut list_hosts: Option<Vec<HostSpec>> = None;
    let mut map_by = MapBy::default();
    let mut launch_agent = None;
    let mut iface = None;
    let mut net = None;

    let mut words = args.into_iter();
    let mut program = None;
    while let Some(word) = words.next() {
        let Some(text) = word.to_str() else {
            if word.as_encoded_bytes().starts_with(b"-") {
                return Err(UsageError(format!(
                    "option {} is not valid UTF-8",
                    word.to_string_lossy()
                )));
            }
            program = Some(word);
            break;
        };
        if text == "--" {
            program = words.next();
            break;
        }
        if !text.starts_with('-') || text == "-" {
            program = Some(word);
            break;
        }
        let (name, inline) = match text.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name, Some(value.to_owned())),
            _ => (text, None),
        };
        let mut value = |what: &str| -> Result<String, UsageError> {
            if let Some(v) = inline.clone() {
                return Ok(v);
            }
            match words.next() {
                Some(v) => v
                    .into_string()
                    .map_err(|v| UsageError(format!("{name}: {what} {v:?} is not valid UTF-8"))),
                None => Err(UsageError(format!("{name} needs {what}"))),
            }
        };
        let takes_value = matches!(
            name,
            "-np"
                | "--np"
                | "-n"
                | "--n"
                | "-x"
                | "--timeout"
                | "-cm"
                | "--comm-mode"
                | "-mm"
                | "--msg-mode"
                | "--inject"
                | "--bind-to"
                | "-f"
                | "--hostfile"
                | "-hostfile"
                | "--machinefile"
                | "-machinefile"
                | "-H"
                | "--host"
                | "-host"
                | "-hosts"
                | "--map-by"
                | "--launch-agent"
                | "--iface"
                | "--net"
        );
        if inline.is_some() && !takes_value {
            return Err(UsageError(format!("{name} takes no value")));
        }
        match name {
            "-h" | "--help" => return Ok(Request::Help),
            "--version" => return Ok(Request::Version),
            "-np" | "--np" | "-n" | "--n" => {
                let v = value("a number of ranks")?;
                np = Some(parse_np(name, &v)?);
            }
            "--tag-output" | "-tag-output" => tag_output = true,
            "-x" => exports.push(parse_export(&value("NAME or NAME=VALUE")?)?),
            "--timeout" => timeout = Some(parse_timeout("--timeout", &value("seconds")?)?),
            "-cm" | "--comm-mode" => {
                comm_mode = Some(parse_mode(name, &value("a mode")?, COMM_MODES)?);
            }
            "-mm" | "--msg-mode" => {
                msg_mode = Some(parse_mode(name, &value("a mode")?, MSG_MODES)?);
            }
            "--coll-strict" => coll_strict = true,
            "--inject" => {
                let spec = value("a spec")?;
                if spec.is_empty() {
                    return Err(UsageError("--inject needs a non-empty spec".into()));
                }
                parse_inject(&spec).map_err(|e| UsageError(format!("--inject: {e}")))?;
                inject.push(spec);
            }
            "--oversubscribe" | "-oversubscribe" => {}
            "--bind-to" => {
                value("a binding")?;
            }
            "-f" | "--hostfile" | "-hostfile" | "--machinefile" | "-machinefile" => {
                let path = value("a file")?;
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| UsageError(format!("{name}: cannot read {path}: {e}")))?;
                let hosts = hostfile::parse_hostfile(&text)
                    .map_err(|e| UsageError(format!("{name}: {path}: {e}")))?;
                if hostfile_hosts.replace(hosts).is_some() {
                    return Err(UsageError(format!("{name}: only one hostfile, please")));
                }
            }
            "-H" | "--host" | "-host" | "-hosts" => {
                let hosts = hostfile::parse_host_list(&value("a list of hosts")?)
                    .map_err(|e| UsageError(format!("{name}: {e}")))?;
                list_hosts.get_or_insert_with(Vec::new).extend(hosts);
            }
            "--map-by" => {
                map_by = match value("slot or node")?.to_ascii_lowercase().as_str() {
                    "slot" | "core" => MapBy::Slot,
                    "node" => MapBy::Node,
                    other => {
                        return Err(UsageError(format!(
                            "--map-by: {other:?} is not slot or node"
                        )));
                    }
                };
            }
            "--launch-agent" => {
                let agent = value("a command")?;
                if agent.trim().is_empty() {
                    return Err(UsageError("--launch-agent needs a command".into()));
                }
                launch_agent = Some(agent);
            }
            "--iface" => {
                let v = value("an interface name")?;
                if v.is_empty() {
                    return Err(UsageError("--iface needs an interface name".into()));
                }
                iface = Some(v);
            }
            "--net" => net = Some(parse_net(&value("A.B.C.D/N")?)?),
            _ => return Err(UsageError(format!("unknown option {name}"))),
        }
    }

    let Some(program) = program else {
        return Err(UsageError("no program to run".into()));
    };
    let hosts = match (hostfile_hosts, list_hosts) {
        (Some(_), Some(_)) => {
            return Err(UsageError(
                "give the hosts with --hostfile or with -H, not both".into(),
            ));
        }
        (Some(h), None) => h,
        (None, Some(l)) => {
            let mut merged = Vec::new();
            for h in l {
                match merged.iter_mut().find(|m: &&mut HostSpec| m.name == h.name) {
                    Some(m) => m.slots += h.slots,
                    None => merged.push(h),
                }
            }
            merged
        }
        (None, None) => Vec::new(),
    };
    if iface.is_some() && net.is_some() {
        return Err(UsageError("give --iface or --net, not both".into()));
    }
    let timeout = match timeout {
        Some(t) => t,
        None => match env_timeout {
            Some(v) => {
                let v = v
                    .into_string()
                    .map_err(|_| UsageError("MPIEXEC_TIMEOUT is not valid UTF-8".into()))?;
                parse_timeout("MPIEXEC_TIMEOUT", &v)?
            }
            None => None,
        },
    };
    let np = np.unwrap_or(1);
    let injections = inject
        .iter()
        .map(|spec| {
            let i = parse_inject(spec).map_err(|e| UsageError(format!("--inject: {e}")))?;
            check_inject_rank(&i, spec, np).map_err(|e| UsageError(format!("--inject: {e}")))?;
            Ok(i)
        })
        .collect::<Result<Vec<_>, UsageError>>()?;
    Ok(Request::Run(Options {
        np,
        tag_output,
        exports,
        timeout,
        comm_mode,
        msg_mode,
        coll_strict,
        inject,
        injections,
        program,
        args: words.collect(),
        hosts,
        map_by,
        launch_agent,
        iface,
        net,
    }))
}

/// `A.B.C.D/N`; the address is masked to its network.
fn parse_net(v: &str) -> Result<(Ipv4Addr, u8), UsageError> {
    let bad = || UsageError(format!("--net: {v:?} is not a network A.B.C.D/N"));
    let (addr, len) = v.split_once('/').ok_or_else(bad)?;
    let addr: Ipv4Addr = addr.parse().map_err(|_| bad())?;
    let len: u8 = len.parse().map_err(|_| bad())?;
    if len > 32 {
        return Err(bad());
    }
    Ok((Ipv4Addr::from(u32::from(addr) & prefix_mask(len)), len))
}

/// The netmask of a prefix length of at most 32.
pub fn prefix_mask(len: u8) -> u32 {
    if len == 0 { 0 } else { u32::MAX << (32 - u32::from(len)) }
}

/// The specs in `FTMPI_INJECT` (separated by `;`) for a job of `np` ranks.
pub fn env_injections(value: &str, np: u32) -> Result<Vec<Inject>, UsageError> {
    value
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|spec| {
            parse_inject(spec)
                .and_then(|i| check_inject_rank(&i, spec, np).map(|()| i))
                .map_err(|e| UsageError(format!("FTMPI_INJECT: {e}")))
        })
        .collect()
}

fn check_inject_rank(i: &Inject, spec: &str, np: u32) -> Result<(), String> {
    if i.rank >= np {
        return Err(format!(
            "{spec:?}: rank {} is not in a job of {np} rank{}",
            i.rank,
            if np == 1 { "" } else { "s" }
        ));
    }
    Ok(())
}

/// Parses `kill:rank=R:after=T[:signal=S]`; the fields after `kill` may come in any order.
pub fn parse_inject(spec: &str) -> Result<Inject, String> {
    const FORM: &str = "expected kill:rank=R:after=T[:signal=S]";
    let mut fields = spec.split(':');
    if fields.next() != Some("kill") {
        return Err(format!("{spec:?}: unknown fault ({FORM})"));
    }
    let (mut rank, mut after, mut signal) = (None, None, None);
    for field in fields {
        let Some((key, value)) = field.split_once('=') else {
            return Err(format!("{spec:?}: {field:?} is not KEY=VALUE ({FORM})"));
        };
        let bad = |what: &str| format!("{spec:?}: {key}={value:?} is not {what}");
        let slot_taken =
            match key {
                "rank" => rank
                    .replace(value.parse::<u32>().map_err(|_| bad("a rank"))?)
                    .is_some(),
                "after" => after
                    .replace(parse_delay(value).ok_or_else(|| {
                        bad("a time (seconds, or a number with the suffix ms or s)")
                    })?)
                    .is_some(),
                "signal" => signal
                    .replace(parse_signal(value).ok_or_else(|| bad("a signal"))?)
                    .is_some(),
                _ => return Err(format!("{spec:?}: unknown field {key:?} ({FORM})")),
            };
        if slot_taken {
            return Err(format!("{spec:?}: {key} is given twice"));
        }
    }
    let rank = rank.ok_or_else(|| format!("{spec:?}: rank= is missing ({FORM})"))?;
    let after = after.ok_or_else(|| format!("{spec:?}: after= is missing ({FORM})"))?;
    Ok(Inject {
        rank,
        after,
        signal: signal.unwrap_or(Signal::SIGKILL),
    })
}

/// `1.5`, `1.5s` or `200ms`.
fn parse_delay(v: &str) -> Option<Duration> {
    let (number, scale) = if let Some(ms) = v.strip_suffix("ms") {
        (ms, 1e-3)
    } else if let Some(s) = v.strip_suffix('s') {
        (s, 1.0)
    } else {
        (v, 1.0)
    };
    // Signs, "inf" and "nan" are refused by the digit check.
    if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let seconds = number.parse::<f64>().ok()? * scale;
    Duration::try_from_secs_f64(seconds).ok()
}

/// A signal number, or a name with or without `SIG`, in any case.
fn parse_signal(v: &str) -> Option<Signal> {
    if let Ok(n) = v.parse::<i32>() {
        return Signal::try_from(n).ok();
    }
    let upper = v.to_ascii_uppercase();
    let name = if upper.starts_with("SIG") {
        upper
    } else {
        format!("SIG{upper}")
    };
    Signal::from_str(&name).ok()
}

fn parse_np(name: &str, v: &str) -> Result<u32, UsageError> {
    match v.parse::<u32>() {
        Ok(n) if n >= 1 && n as usize <= super::proto::MAX_TABLE => Ok(n),
        _ => Err(UsageError(format!(
            "{name}: {v:?} is not a number of ranks (1 to {})",
            super::proto::MAX_TABLE
        ))),
    }
}

/// Whole seconds; 0 means no limit, as for MPICH's `MPIEXEC_TIMEOUT`.
fn parse_timeout(name: &str, v: &str) -> Result<Option<Duration>, UsageError> {
    match v.trim().parse::<u64>() {
        Ok(0) => Ok(None),
        Ok(s) => Ok(Some(Duration::from_secs(s))),
        Err(_) => Err(UsageError(format!(
            "{name}: {v:?} is not a whole number of seconds"
        ))),
    }
}

fn parse_mode(name: &str, v: &str, modes: &[&str]) -> Result<String, UsageError> {
    let upper = v.to_ascii_uppercase();
    if modes.contains(&upper.as_str()) {
        Ok(upper)
    } else {
        Err(UsageError(format!(
            "{name}: unknown mode {v:?} (expected one of {})",
            modes.join(", ").to_ascii_lowercase()
        )))
    }
}

fn parse_export(v: &str) -> Result<(String, Option<String>), UsageError> {
    let (name, value) = match v.split_once('=') {
        Some((n, val)) => (n, Some(val.to_owned())),
        None => (v, None),
    };
    let mut chars = name.chars();
    let valid = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(UsageError(format!(
            "-x: {name:?} is not a valid environment variable name"
        )));
    }
    Ok((name.to_owned(), value))
}

/// The `--help` text.
pub fn usage(flavor: Flavor) -> String {
    let name = flavor.name();
    let defaults = match flavor {
        Flavor::Ftmpirun => {
            "\n`ftmpirun` runs in FT-MPI's default modes, REBUILD and NOP, unless told otherwise.\n"
        }
        _ => "",
    };
    format!(
        "Usage: {name} [options] [--] program [args...]

Starts N copies of program as one MPI job, on this host or on the hosts named with
--hostfile or -H (a daemon per host, except one named localhost), forwards their output,
and ends the whole job as soon as one rank fails.
{defaults}
Options:
  -n, -np N            number of ranks (default 1)
  -x NAME[=VALUE]      export NAME to the ranks (the environment is forwarded anyway)
  --tag-output         prefix each output line with [1,RANK]<stdout>: or [1,RANK]<stderr>:
  --timeout S          kill the job after S seconds and exit with 124
                       (also MPIEXEC_TIMEOUT=S; 0 means no limit)
  -cm, --comm-mode M   FT-MPI communicator mode: abort, blank, shrink or rebuild
  -mm, --msg-mode M    FT-MPI message mode: nop or cont (also reset, noop, continue)
  --coll-strict        collectives agree on their result (FTMPI_COLL_STRICT=1)
  --inject SPEC        kill a rank: kill:rank=R:after=T[:signal=S], T in seconds (or
                       with suffix ms/s) after all ranks joined, S a number or name
                       (default KILL); repeatable (also FTMPI_INJECT, ';'-separated)
  -f, --hostfile F     run on the hosts in F (also --machinefile): one a line, as
                       host, host:SLOTS or host slots=SLOTS; # starts a comment
  -H, --host H1,H2     run on these hosts (H:SLOTS gives a host SLOTS slots)
  --map-by slot|node   fill each host's slots in turn (slot, the default) or deal the
                       ranks out one host at a time (node); more ranks than slots start
                       over from the first host
  --launch-agent CMD   how to start a daemon on a host (default 'ssh {{host}}'): {{host}} is
                       replaced by the host's name, and the daemon's command line replaces
                       {{cmd}}, or is appended when there is no {{cmd}}
  --iface NAME         listen for daemons and ranks on this interface's address
  --net A.B.C.D/N      listen on this host's address in that network
  --oversubscribe      accepted and ignored
  --bind-to X          accepted and ignored
  -h, --help           show this help
  --version            show the version

Exit status: 0 when every rank exits 0; a failing rank's exit code (128+signal when
killed); the code given to MPI_Abort; 124 on timeout; 130/143 on SIGINT/SIGTERM;
2 for a bad command line.
"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<OsString> {
        words.iter().map(OsString::from).collect()
    }

    fn run(words: &[&str]) -> Options {
        match parse(args(words), None) {
            Ok(Request::Run(o)) => o,
            other => panic!("{words:?}: {other:?}"),
        }
    }

    fn error(words: &[&str]) -> String {
        match parse(args(words), None) {
            Err(UsageError(m)) => m,
            other => panic!("{words:?}: {other:?}"),
        }
    }

    #[test]
    fn program_and_its_options_are_left_alone() {
        let o = run(&["-np", "4", "./a.out", "-np", "2", "--help"]);
        assert_eq!(o.np, 4);
        assert_eq!(o.program, "./a.out");
        assert_eq!(o.args, args(&["-np", "2", "--help"]));
        let o = run(&["-n", "3", "--", "-weird-name", "x"]);
        assert_eq!((o.np, o.program.to_str().unwrap()), (3, "-weird-name"));
        assert_eq!(run(&["hostname"]).np, 1);
        assert_eq!(run(&["--np=5", "true"]).np, 5);
    }

    #[test]
    fn modes_are_case_insensitive_and_upper_cased() {
        let o = run(&["-cm", "Shrink", "--msg-mode", "continue", "p"]);
        assert_eq!(o.comm_mode.as_deref(), Some("SHRINK"));
        assert_eq!(o.msg_mode.as_deref(), Some("CONTINUE"));
        let o = run(&["--comm-mode=REBUILD", "-mm", "nop", "p"]);
        assert_eq!(o.comm_mode.as_deref(), Some("REBUILD"));
        assert!(error(&["-cm", "restart", "p"]).contains("unknown mode"));
        assert!(error(&["-mm", "abort", "p"]).contains("unknown mode"));
    }

    #[test]
    fn exports_timeout_inject_and_ignored_options() {
        let o = run(&[
            "-x",
            "A=1",
            "-x",
            "HOME",
            "-x",
            "E=",
            "--timeout",
            "7",
            "--inject",
            "kill:rank=1:after=2",
            "--inject",
            "kill:after=150ms:rank=0:signal=term",
            "--oversubscribe",
            "--bind-to",
            "core",
            "--coll-strict",
            "--tag-output",
            "-np",
            "2",
            "p",
        ]);
        assert_eq!(
            o.exports,
            vec![
                ("A".into(), Some("1".into())),
                ("HOME".into(), None),
                ("E".into(), Some(String::new()))
            ]
        );
        assert_eq!(o.timeout, Some(Duration::from_secs(7)));
        assert_eq!(
            o.inject,
            vec!["kill:rank=1:after=2", "kill:after=150ms:rank=0:signal=term"]
        );
        assert_eq!(
            o.injections,
            vec![
                Inject {
                    rank: 1,
                    after: Duration::from_secs(2),
                    signal: Signal::SIGKILL
                },
                Inject {
                    rank: 0,
                    after: Duration::from_millis(150),
                    signal: Signal::SIGTERM
                }
            ]
        );
        assert!(o.coll_strict && o.tag_output);
        assert!(error(&["-x", "1BAD=2", "p"]).contains("not a valid"));
    }

    #[test]
    fn timeout_from_the_environment_yields_to_the_flag() {
        let env = |v: &str| Some(OsString::from(v));
        let t = |words: &[&str], e| match parse(args(words), e) {
            Ok(Request::Run(o)) => o.timeout,
            other => panic!("{other:?}"),
        };
        assert_eq!(t(&["p"], env("3")), Some(Duration::from_secs(3)));
        assert_eq!(
            t(&["--timeout", "5", "p"], env("3")),
            Some(Duration::from_secs(5))
        );
        assert_eq!(t(&["p"], env("0")), None);
        assert!(parse(args(&["p"]), env("soon")).is_err());
    }

    #[test]
    fn usage_errors() {
        assert!(error(&[]).contains("no program"));
        assert!(error(&["-np", "2"]).contains("no program"));
        assert!(error(&["-np"]).contains("needs"));
        assert!(error(&["-np", "0", "p"]).contains("not a number of ranks"));
        assert!(error(&["-np", "-3", "p"]).contains("not a number of ranks"));
        assert!(error(&["--frobnicate", "p"]).contains("unknown option --frobnicate"));
        assert!(error(&["--tag-output=yes", "p"]).contains("takes no value"));
        assert!(error(&["--timeout", "1.5", "p"]).contains("seconds"));
        assert!(error(&["--inject", "", "p"]).contains("non-empty"));
        assert!(error(&["--"]).contains("no program"));
    }

    #[test]
    fn inject_specs() {
        let ok = |s: &str| parse_inject(s).unwrap();
        assert_eq!(
            ok("kill:rank=3:after=1.5"),
            Inject {
                rank: 3,
                after: Duration::from_millis(1500),
                signal: Signal::SIGKILL
            }
        );
        assert_eq!(ok("kill:rank=0:after=0").after, Duration::ZERO);
        assert_eq!(ok("kill:rank=0:after=2s").after, Duration::from_secs(2));
        assert_eq!(
            ok("kill:rank=0:after=.25").after,
            Duration::from_millis(250)
        );
        assert_eq!(
            ok("kill:rank=0:after=20ms").after,
            Duration::from_millis(20)
        );
        for (sig, want) in [
            ("9", Signal::SIGKILL),
            ("15", Signal::SIGTERM),
            ("KILL", Signal::SIGKILL),
            ("segv", Signal::SIGSEGV),
            ("SIGTERM", Signal::SIGTERM),
            ("SigUsr1", Signal::SIGUSR1),
        ] {
            assert_eq!(
                ok(&format!("kill:rank=1:after=1:signal={sig}")).signal,
                want,
                "{sig}"
            );
        }
        for (bad, says) in [
            ("", "unknown fault"),
            ("stop:rank=1:after=1", "unknown fault"),
            ("kill", "rank= is missing"),
            ("kill:1@3", "not KEY=VALUE"),
            ("kill:rank=1", "after= is missing"),
            ("kill:after=1", "rank= is missing"),
            ("kill:rank=-1:after=1", "not a rank"),
            ("kill:rank=x:after=1", "not a rank"),
            ("kill:rank=1:after=-1", "not a time"),
            ("kill:rank=1:after=soon", "not a time"),
            ("kill:rank=1:after=inf", "not a time"),
            ("kill:rank=1:after=ms", "not a time"),
            ("kill:rank=1:after=1e400", "not a time"),
            ("kill:rank=1:after=1:signal=0", "not a signal"),
            ("kill:rank=1:after=1:signal=99", "not a signal"),
            ("kill:rank=1:after=1:signal=NOPE", "not a signal"),
            ("kill:rank=1:after=1:rank=2", "given twice"),
            ("kill:rank=1:after=1:when=now", "unknown field"),
        ] {
            let e = parse_inject(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
        // The job's size is known only once the whole line is read.
        assert!(
            error(&["--inject", "kill:rank=2:after=1", "-np", "2", "p"])
                .contains("--inject: \"kill:rank=2:after=1\": rank 2 is not in a job of 2 ranks")
        );
        assert!(error(&["--inject", "kill:rank=1", "p"]).starts_with("--inject: "));
        assert_eq!(
            env_injections(
                " kill:rank=1:after=1 ;;kill:rank=0:after=2ms:signal=TERM;",
                2
            )
            .unwrap()
            .len(),
            2
        );
        assert_eq!(env_injections("", 2).unwrap(), vec![]);
        let e = env_injections("kill:rank=1:after=1;kill:rank=5:after=1", 2).unwrap_err();
        assert!(
            e.0.starts_with("FTMPI_INJECT: ") && e.0.contains("rank 5"),
            "{e}"
        );
    }

    #[test]
    fn hosts_placement_agent_and_network() {
        let o = run(&["-np", "2", "p"]);
        assert!(o.hosts.is_empty() && o.launch_agent.is_none() && o.net.is_none());
        assert_eq!(o.map_by, MapBy::Slot);
        let o = run(&[
            "-H",
            "a,b:2",
            "--host",
            "c",
            "--map-by",
            "node",
            "--launch-agent",
            "ip netns exec {host}",
            "--net",
            "10.77.0.9/24",
            "p",
        ]);
        let names: Vec<(&str, u32)> = o.hosts.iter().map(|h| (h.name.as_str(), h.slots)).collect();
        assert_eq!(names, vec![("a", 1), ("b", 2), ("c", 1)]);
        assert_eq!(o.map_by, MapBy::Node);
        assert_eq!(o.launch_agent.as_deref(), Some("ip netns exec {host}"));
        assert_eq!(o.net, Some((Ipv4Addr::new(10, 77, 0, 0), 24)));
        assert_eq!(run(&["--iface=eth1", "p"]).iface.as_deref(), Some("eth1"));

        let dir = std::env::temp_dir().join(format!("ftmpi-hostfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("hosts");
        std::fs::write(&file, "n1 slots=2\nn2:3 # big one\n").unwrap();
        let f = file.to_str().unwrap();
        for flag in ["-f", "--hostfile", "--machinefile", "-machinefile"] {
            let o = run(&[flag, f, "p"]);
            assert_eq!(o.hosts.len(), 2, "{flag}");
            assert_eq!((o.hosts[1].name.as_str(), o.hosts[1].slots), ("n2", 3));
        }
        assert!(error(&["-f", f, "-H", "a", "p"]).contains("not both"));
        std::fs::write(&file, "n1 cores=2\n").unwrap();
        assert!(error(&["-f", f, "p"]).contains("line 1"));
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(error(&["-f", "/nonexistent/hosts", "p"]).contains("cannot read"));
        assert!(error(&["--map-by", "socket", "p"]).contains("not slot or node"));
        assert!(error(&["--net", "10.0.0.0", "p"]).contains("A.B.C.D/N"));
        assert!(error(&["--net", "10.0.0.0/33", "p"]).contains("A.B.C.D/N"));
        assert!(error(&["--iface", "e", "--net", "1.2.3.4/8", "p"]).contains("not both"));
        assert!(error(&["--launch-agent", " ", "p"]).contains("needs a command"));
        assert!(error(&["-H", "a;b", "p"]).contains("not a host name"));
        assert_eq!(prefix_mask(0), 0);
        assert_eq!(prefix_mask(24), 0xffff_ff00);
        assert_eq!(prefix_mask(32), u32::MAX);
    }

    #[test]
    fn help_and_version() {
        assert_eq!(parse(args(&["-h"]), None), Ok(Request::Help));
        assert_eq!(
            parse(args(&["-np", "2", "--help", "p"]), None),
            Ok(Request::Help)
        );
        assert_eq!(parse(args(&["--version"]), None), Ok(Request::Version));
        assert!(usage(Flavor::Ftmpirun).contains("REBUILD"));
    }
}
