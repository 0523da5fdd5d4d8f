#![forbid(unsafe_code)]
//! The job's hosts: hostfiles, `-H` lists, and which host each rank runs on.
//!
//! A hostfile holds one host a line, in MPICH's form `host[:slots]` or Open MPI's
//! `host [slots=N] [max_slots=M]` (`max_slots` is accepted and ignored). `#` starts a comment;
//! blank lines are skipped. A host without a count has one slot. A host named twice is one host
//! whose slots add up, so it gets one daemon.
//!
//! Placement: `slot` fills each host's slots in the order given, `node` deals the ranks out one
//! host at a time, skipping hosts whose slots are taken. When the job has more ranks than slots,
//! placement starts over from the first host with the remaining ranks, as MPICH does, so hosts
//! run more ranks than their slots say.

use std::fmt;

/// One host of the job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostSpec {
    pub name: String,
    pub slots: u32,
}

/// `--map-by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MapBy {
    #[default]
    Slot,
    Node,
}

impl fmt::Display for MapBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MapBy::Slot => "slot",
            MapBy::Node => "node",
        })
    }
}

/// A host runs ranks in mpirun's own process tree, without a daemon, only when it is named
/// exactly this.
pub const LOCAL_NAME: &str = "localhost";

/// Most slots one host may claim; a larger count is surely a typo.
const MAX_SLOTS: u32 = 1 << 20;

/// The hosts of a hostfile's text.
pub fn parse_hostfile(text: &str) -> Result<Vec<HostSpec>, String> {
    let mut hosts = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let host = parse_line(line).map_err(|e| format!("line {}: {e}", n + 1))?;
        add(&mut hosts, host);
    }
    if hosts.is_empty() {
        return Err("no hosts in it".into());
    }
    Ok(hosts)
}

/// The hosts of `-H h1,h2:4,...`.
pub fn parse_host_list(list: &str) -> Result<Vec<HostSpec>, String> {
    let mut hosts = Vec::new();
    for item in list.split(',') {
        let item = item.trim();
        if item.is_empty() {
            return Err(format!("{list:?} has an empty host name"));
        }
        add(&mut hosts, parse_name_slots(item)?);
    }
    Ok(hosts)
}

fn add(hosts: &mut Vec<HostSpec>, host: HostSpec) {
    match hosts.iter_mut().find(|h| h.name == host.name) {
        Some(h) => h.slots = h.slots.saturating_add(host.slots).min(MAX_SLOTS),
        None => hosts.push(host),
    }
}

fn parse_line(line: &str) -> Result<HostSpec, String> {
    let mut words = line.split_whitespace();
    let first = words.next().ok_or("empty line")?;
    let mut host = parse_name_slots(first)?;
    let mut slots_given = first.contains(':');
    for word in words {
        let Some((key, value)) = word.split_once('=') else {
            return Err(format!("{word:?} is not KEY=VALUE (expected host slots=N)"));
        };
        match key {
            "slots" => {
                if slots_given {
                    return Err("the slots are given twice".into());
                }
                host.slots = parse_slots(value)?;
                slots_given = true;
            }
            "max_slots" | "max-slots" => {
                parse_slots(value)?;
            }
            _ => return Err(format!("unknown field {key:?} (expected slots=N)")),
        }
    }
    Ok(host)
}

/// `host` or `host:slots`.
fn parse_name_slots(item: &str) -> Result<HostSpec, String> {
    let (name, slots) = match item.split_once(':') {
        Some((name, slots)) => (name, parse_slots(slots)?),
        None => (item, 1),
    };
    check_name(name)?;
    Ok(HostSpec {
        name: name.to_string(),
        slots,
    })
}

fn parse_slots(v: &str) -> Result<u32, String> {
    match v.parse::<u32>() {
        Ok(n) if (1..=MAX_SLOTS).contains(&n) => Ok(n),
        _ => Err(format!("{v:?} is not a number of slots (1 to {MAX_SLOTS})")),
    }
}

/// Host names go into a shell command (the launch agent), so only the characters of host
/// names and addresses are allowed.
fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
    if ok {
        Ok(())
    } else {
        Err(format!("{name:?} is not a host name"))
    }
}

/// The host index of each of `np` ranks.
pub fn place(hosts: &[HostSpec], np: u32, map: MapBy) -> Vec<usize> {
    assert!(!hosts.is_empty());
    let mut out = Vec::with_capacity(np as usize);
    match map {
        MapBy::Slot => {
            let mut h = 0;
            let mut used = 0;
            while out.len() < np as usize {
                out.push(h);
                used += 1;
                if used >= hosts[h].slots {
                    used = 0;
                    h = (h + 1) % hosts.len();
                }
            }
        }
        MapBy::Node => {
            let mut free: Vec<u32> = Vec::new();
            while out.len() < np as usize {
                if free.iter().all(|&f| f == 0) {
                    free = hosts.iter().map(|h| h.slots).collect();
                }
                for (h, f) in free.iter_mut().enumerate() {
                    if *f > 0 && out.len() < np as usize {
                        *f -= 1;
                        out.push(h);
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(name: &str, slots: u32) -> HostSpec {
        HostSpec {
            name: name.into(),
            slots,
        }
    }

    #[test]
    fn hostfile_forms() {
        let text =
            "# cluster\n\nnode1\nnode2:4   # MPICH\nnode3 slots=2 max_slots=8\n  node1 slots=2\n";
        assert_eq!(
            parse_hostfile(text).unwrap(),
            vec![h("node1", 3), h("node2", 4), h("node3", 2)]
        );
        assert_eq!(
            parse_hostfile("10.0.0.7:2\n").unwrap(),
            vec![h("10.0.0.7", 2)]
        );
        for (bad, says) in [
            ("", "no hosts"),
            ("# only\n\n", "no hosts"),
            ("a:0\n", "line 1"),
            ("a\nb:x\n", "line 2"),
            ("a slots=2 slots=3", "twice"),
            ("a:2 slots=3", "twice"),
            ("a cpus=2", "unknown field"),
            ("a b", "KEY=VALUE"),
            ("a;rm", "not a host name"),
            ("-oops", "not a host name"),
        ] {
            let e = parse_hostfile(bad).unwrap_err();
            assert!(e.contains(says), "{bad:?}: {e}");
        }
    }

    #[test]
    fn host_lists() {
        assert_eq!(
            parse_host_list("a,b:3,a").unwrap(),
            vec![h("a", 2), h("b", 3)]
        );
        assert!(parse_host_list("a,,b").is_err());
        assert!(parse_host_list("a:-1").is_err());
        assert!(parse_host_list("$(x)").is_err());
    }

    #[test]
    fn placement() {
        let hosts = [h("a", 2), h("b", 1), h("c", 3)];
        assert_eq!(place(&hosts, 6, MapBy::Slot), vec![0, 0, 1, 2, 2, 2]);
        assert_eq!(place(&hosts, 4, MapBy::Slot), vec![0, 0, 1, 2]);
        // Past the slots: around again.
        assert_eq!(place(&hosts, 8, MapBy::Slot), vec![0, 0, 1, 2, 2, 2, 0, 0]);
        assert_eq!(place(&hosts, 6, MapBy::Node), vec![0, 1, 2, 0, 2, 2]);
        assert_eq!(place(&hosts, 8, MapBy::Node), vec![0, 1, 2, 0, 2, 2, 0, 1]);
        let one = [h("x", 1), h("y", 1), h("z", 1)];
        assert_eq!(place(&one, 5, MapBy::Slot), vec![0, 1, 2, 0, 1]);
        assert_eq!(place(&one, 5, MapBy::Node), vec![0, 1, 2, 0, 1]);
    }
}
