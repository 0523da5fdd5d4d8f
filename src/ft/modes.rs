//! Communicator and message modes.

/// What recovery does with the failed ranks of a communicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CommMode {
    /// A failure ends the job, as in any MPI.
    #[default]
    Abort,
    /// Failed ranks stay as gaps; survivors keep their ranks.
    Blank,
    /// Failed ranks are removed; survivors are renumbered in order.
    Shrink,
    /// Failed ranks are restarted into the same rank.
    Rebuild,
}

/// What communication does while a communicator has failed members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MsgMode {
    /// Every operation on the communicator fails until it is recovered.
    #[default]
    Nop,
    /// Operations not involving a failed rank go on.
    Cont,
}

impl CommMode {
    /// From the `FTMPI_COMM_MODE_*` value.
    pub fn from_value(v: i32) -> Option<CommMode> {
        Some(match v {
            0 => CommMode::Abort,
            1 => CommMode::Blank,
            2 => CommMode::Shrink,
            3 => CommMode::Rebuild,
            _ => return None,
        })
    }

    pub fn value(self) -> i32 {
        match self {
            CommMode::Abort => 0,
            CommMode::Blank => 1,
            CommMode::Shrink => 2,
            CommMode::Rebuild => 3,
        }
    }

    /// From the command line or environment (any case).
    pub fn parse(s: &str) -> Option<CommMode> {
        Some(match s.trim().to_ascii_uppercase().as_str() {
            "ABORT" => CommMode::Abort,
            "BLANK" => CommMode::Blank,
            "SHRINK" => CommMode::Shrink,
            "REBUILD" => CommMode::Rebuild,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            CommMode::Abort => "ABORT",
            CommMode::Blank => "BLANK",
            CommMode::Shrink => "SHRINK",
            CommMode::Rebuild => "REBUILD",
        }
    }

    /// True when a failure is survivable in this mode.
    pub fn tolerant(self) -> bool {
        self != CommMode::Abort
    }
}

impl MsgMode {
    pub fn from_value(v: i32) -> Option<MsgMode> {
        Some(match v {
            0 => MsgMode::Nop,
            1 => MsgMode::Cont,
            _ => return None,
        })
    }

    pub fn value(self) -> i32 {
        match self {
            MsgMode::Nop => 0,
            MsgMode::Cont => 1,
        }
    }

    /// Accepts the aliases RESET and NOOP for NOP, CONTINUE for CONT.
    pub fn parse(s: &str) -> Option<MsgMode> {
        Some(match s.trim().to_ascii_uppercase().as_str() {
            "NOP" | "NOOP" | "RESET" => MsgMode::Nop,
            "CONT" | "CONTINUE" => MsgMode::Cont,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            MsgMode::Nop => "NOP",
            MsgMode::Cont => "CONT",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_values_and_aliases() {
        for m in [CommMode::Abort, CommMode::Blank, CommMode::Shrink, CommMode::Rebuild] {
            assert_eq!(CommMode::from_value(m.value()), Some(m));
            assert_eq!(CommMode::parse(&m.name().to_lowercase()), Some(m));
        }
        assert_eq!(CommMode::from_value(4), None);
        assert_eq!(MsgMode::parse("reset"), Some(MsgMode::Nop));
        assert_eq!(MsgMode::parse("NOOP"), Some(MsgMode::Nop));
        assert_eq!(MsgMode::parse("continue"), Some(MsgMode::Cont));
        assert_eq!(MsgMode::parse("sometimes"), None);
        assert_eq!(MsgMode::from_value(-1), None);
    }
}
