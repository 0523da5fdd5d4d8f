//! Process and communicator failure states, and the values behind the FT attributes.

use super::modes::{CommMode, MsgMode};

/// How a process ended (as `mpirun` saw it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    Signal(i32),
    /// Exited without `MPI_Finalize`, with this code.
    Exit(i32),
    /// Vanished without an exit status (lost host, failed wait).
    Lost,
}

impl Cause {
    /// From the launcher protocol's `how` and `value`.
    pub fn from_wire(how: u8, value: i32) -> Cause {
        match how {
            1 => Cause::Signal(value),
            2 => Cause::Exit(value),
            _ => Cause::Lost,
        }
    }

    pub fn describe(self) -> String {
        match self {
            Cause::Signal(s) => format!("killed by signal {s}{}", signal_name(s).map(|n| format!(" ({n})")).unwrap_or_default()),
            Cause::Exit(c) => format!("exited with code {c} without calling MPI_Finalize"),
            Cause::Lost => "lost".to_string(),
        }
    }
}

fn signal_name(s: i32) -> Option<&'static str> {
    Some(match s {
        1 => "SIGHUP",
        2 => "SIGINT",
        6 => "SIGABRT",
        7 => "SIGBUS",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        15 => "SIGTERM",
        _ => return None,
    })
}

/// What this process knows about the job's processes.
#[derive(Debug, Clone)]
pub struct WorldFt {
    /// Per world rank: the cause of its latest failure while it is dead.
    pub dead: Vec<Option<Cause>>,
    /// Per world rank: the incarnation now running (or last seen).
    pub incarnation: Vec<u32>,
    /// Sequence number of the last event applied.
    pub last_seq: u64,
    /// True once any failure happened: operations then take the slow path.
    pub any: bool,
}

impl WorldFt {
    pub fn new(size: usize) -> WorldFt {
        WorldFt { dead: vec![None; size], incarnation: vec![0; size], last_seq: 0, any: false }
    }

    pub fn is_dead(&self, world: u32) -> bool {
        self.dead.get(world as usize).is_some_and(|d| d.is_some())
    }

    /// Records a failure event; false when it is stale (an older incarnation, or a repeat).
    pub fn fail(&mut self, seq: u64, world: u32, incarnation: u32, cause: Cause) -> bool {
        let w = world as usize;
        if w >= self.dead.len() || seq <= self.last_seq {
            return false;
        }
        self.last_seq = seq;
        if incarnation < self.incarnation[w] {
            return false;
        }
        self.incarnation[w] = incarnation;
        self.dead[w] = Some(cause);
        self.any = true;
        true
    }

    /// A respawned process took `world`'s place.
    pub fn revive(&mut self, world: u32, incarnation: u32) {
        if let Some(d) = self.dead.get_mut(world as usize) {
            *d = None;
            self.incarnation[world as usize] = incarnation;
        }
    }
}

/// Communicator states (the `FTMPI_COMM_STATE` attribute).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CommState {
    #[default]
    Ok,
    Detected,
    Recover,
    Recovered,
    Failed,
}

impl CommState {
    pub fn value(self) -> i32 {
        match self {
            CommState::Ok => 0,
            CommState::Detected => 1,
            CommState::Recover => 2,
            CommState::Recovered => 3,
            CommState::Failed => 4,
        }
    }
}

/// The memory the FT attribute values point to. Boxed by the communicator, so a pointer
/// handed out by `MPI_Attr_get` stays valid while the communicator lives.
#[derive(Debug, Clone, Default)]
pub struct AttrValues {
    pub com_num_failed: i32,
    pub list_num_failed: i32,
    /// Per rank (extent): failures since the last recovery.
    pub com_failed: Vec<i32>,
    /// Failed ranks in the order they were learned.
    pub list_failed: Vec<i32>,
    pub comm_mode: i32,
    pub msg_mode: i32,
    pub state: i32,
    pub coll_mode: i32,
}

/// Fault-tolerance bookkeeping of one communicator.
#[derive(Debug, Clone)]
pub struct CommFt {
    pub comm_mode: CommMode,
    pub msg_mode: MsgMode,
    pub state: CommState,
    /// Bumped at each recovery; part of the communicator's wire contexts, so that messages
    /// of an earlier epoch never match.
    pub epoch: u32,
    /// Recoveries started, which names the next agreement.
    pub round: u32,
    /// BLANK gaps, by rank; empty when there are none (`has_gaps` relies on it).
    pub gaps: Vec<bool>,
    /// Ranks whose failure is still to be reported to an `MPI_ANY_SOURCE` receive (CONT).
    pub unreported: Vec<u32>,
    /// Strict collectives: one more agreement at the end of each.
    pub coll_strict: bool,
    /// Collectives since the last recovery (names strict-mode agreements).
    pub coll_seq: u32,
    /// World ranks that have joined a recovery of this communicator that this process has
    /// not joined yet: operations waiting on them fail.
    pub recovering: Vec<u32>,
    pub attrs: Box<AttrValues>,
}

impl CommFt {
    pub fn new(extent: u32, comm_mode: CommMode, msg_mode: MsgMode, coll_strict: bool) -> CommFt {
        let mut ft = CommFt {
            comm_mode,
            msg_mode,
            state: CommState::Ok,
            epoch: 0,
            round: 0,
            gaps: Vec::new(),
            unreported: Vec::new(),
            coll_strict,
            coll_seq: 0,
            recovering: Vec::new(),
            attrs: Box::default(),
        };
        ft.attrs.com_failed = vec![0; extent as usize];
        ft.sync_attrs();
        ft
    }

    /// The modes and strictness of a communicator created from this one; a fresh state.
    pub fn inherit(&self, extent: u32) -> CommFt {
        CommFt::new(extent, self.comm_mode, self.msg_mode, self.coll_strict)
    }

    pub fn sync_attrs(&mut self) {
        self.attrs.comm_mode = self.comm_mode.value();
        self.attrs.msg_mode = self.msg_mode.value();
        self.attrs.state = self.state.value();
        self.attrs.coll_mode = self.coll_strict as i32;
    }

    pub fn is_gap(&self, rank: u32) -> bool {
        self.gaps.get(rank as usize).copied().unwrap_or(false)
    }

    /// One test per collective call: `gaps` is kept empty when no rank is a gap.
    pub fn has_gaps(&self) -> bool {
        !self.gaps.is_empty()
    }

    /// Rank `rank` of this communicator failed.
    pub fn on_failure(&mut self, rank: u32) {
        if self.is_gap(rank) {
            return;
        }
        self.state = CommState::Detected;
        if let Some(n) = self.attrs.com_failed.get_mut(rank as usize) {
            if *n == 0 {
                self.attrs.com_num_failed += 1;
            }
            *n += 1;
        }
        self.attrs.list_failed.push(rank as i32);
        self.attrs.list_num_failed += 1;
        if self.msg_mode == MsgMode::Cont {
            self.unreported.push(rank);
        }
        self.sync_attrs();
    }

    /// After an agreed recovery: counts start again, for a communicator of `extent` ranks.
    pub fn recovered(&mut self, extent: u32, gaps: Vec<bool>) {
        self.state = CommState::Ok;
        self.epoch = self.epoch.wrapping_add(1);
        self.gaps = if gaps.iter().any(|&g| g) { gaps } else { Vec::new() };
        self.unreported.clear();
        self.coll_seq = 0;
        self.recovering.clear();
        let a = &mut self.attrs;
        a.com_num_failed = 0;
        a.list_num_failed = 0;
        a.com_failed.clear();
        a.com_failed.resize(extent as usize, 0);
        a.list_failed.clear();
        self.sync_attrs();
    }
}

/// The outcome of a recovery for one communicator, from its members (world ranks) and the
/// agreed failed set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repair {
    /// The members afterwards, in rank order (SHRINK drops the failed).
    pub members: Vec<u32>,
    /// Gaps by rank (BLANK); empty otherwise.
    pub gaps: Vec<bool>,
}

/// Applies `mode` to `members` given the agreed `failed` world ranks. `revived` are the failed
/// ranks that were respawned (REBUILD of `MPI_COMM_WORLD`); a failed rank that was not
/// respawned becomes a gap under REBUILD, since its replacement is not a member yet.
pub fn repair(mode: CommMode, members: &[u32], failed: &[u32], revived: &[u32]) -> Repair {
    let is_failed = |w: &u32| failed.contains(w);
    match mode {
        CommMode::Shrink => Repair { members: members.iter().copied().filter(|w| !is_failed(w)).collect(), gaps: Vec::new() },
        CommMode::Blank | CommMode::Abort => {
            Repair { members: members.to_vec(), gaps: members.iter().map(is_failed).collect() }
        }
        CommMode::Rebuild => Repair {
            members: members.to_vec(),
            gaps: members.iter().map(|w| is_failed(w) && !revived.contains(w)).collect(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrink_keeps_order_blank_keeps_positions() {
        let m = [0, 1, 2, 3, 4];
        assert_eq!(repair(CommMode::Shrink, &m, &[1, 3], &[]).members, vec![0, 2, 4]);
        let b = repair(CommMode::Blank, &m, &[1, 3], &[]);
        assert_eq!(b.members, m.to_vec());
        assert_eq!(b.gaps, vec![false, true, false, true, false]);
        let r = repair(CommMode::Rebuild, &m, &[1, 3], &[1]);
        assert_eq!(r.gaps, vec![false, false, false, true, false]);
    }

    #[test]
    fn counts_and_lists_follow_failures_and_reset_on_recovery() {
        let mut ft = CommFt::new(4, CommMode::Shrink, MsgMode::Cont, false);
        ft.on_failure(2);
        ft.on_failure(2);
        ft.on_failure(0);
        assert_eq!(ft.state, CommState::Detected);
        assert_eq!(ft.attrs.com_num_failed, 2);
        assert_eq!(ft.attrs.com_failed, vec![1, 0, 2, 0]);
        assert_eq!(ft.attrs.list_failed, vec![2, 2, 0]);
        assert_eq!(ft.attrs.list_num_failed, 3);
        assert_eq!(ft.unreported, vec![2, 2, 0]);
        ft.recovered(2, vec![false, false]);
        assert_eq!(ft.state, CommState::Ok);
        assert_eq!(ft.epoch, 1);
        assert_eq!(ft.attrs.com_failed, vec![0, 0]);
        assert!(ft.attrs.list_failed.is_empty() && ft.unreported.is_empty() && !ft.has_gaps());
    }

    #[test]
    fn stale_and_repeated_events_are_ignored() {
        let mut w = WorldFt::new(3);
        assert!(w.fail(1, 2, 0, Cause::Signal(9)));
        assert!(!w.fail(1, 2, 0, Cause::Signal(9)));
        w.revive(2, 1);
        assert!(!w.is_dead(2));
        assert!(!w.fail(2, 2, 0, Cause::Signal(9)));
        assert!(w.fail(3, 2, 1, Cause::Exit(99)));
        assert_eq!(w.dead[2], Some(Cause::Exit(99)));
        assert_eq!(Cause::Signal(9).describe(), "killed by signal 9 (SIGKILL)");
    }
}
