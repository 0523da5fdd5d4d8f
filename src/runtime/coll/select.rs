//! Which algorithm runs a collective: a table keyed by communicator size and message size,
//! overridable per collective from the environment (for tests and tuning).
//!
//! Every member must pick the same algorithm, so the choice depends only on values all
//! members agree on: the size of the communicator, the bytes the standard requires to match,
//! whether the operation commutes, and the environment (the same in every rank of a job).
//!
//! The thresholds were measured on the development machine (2 cores, shared memory, 2 to 4
//! ranks, message sizes from 8 B to 4 MiB with each algorithm forced) and follow MPICH's
//! defaults where that machine cannot tell (large groups). Measured: recursive doubling
//! beats Rabenseifner's allreduce up to 8 KiB, and the ring beats it at any size when the
//! group is not a power of two; a binomial broadcast beats scatter + ring allgather at every
//! size on fewer than 8 ranks; posting all of an alltoall at once beats pairwise exchange up
//! to 128 KiB blocks on 4 ranks; Bruck's allgather beats the ring up to about 256 KiB in
//! all.

/// The collectives with more than one algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coll {
    Bcast,
    Reduce,
    Allreduce,
    Gather,
    Scatter,
    Allgather,
    Alltoall,
    ReduceScatter,
}

impl Coll {
    const ALL: [Coll; 8] =
        [Coll::Bcast, Coll::Reduce, Coll::Allreduce, Coll::Gather, Coll::Scatter, Coll::Allgather, Coll::Alltoall, Coll::ReduceScatter];

    /// `FTMPI_COLL_<NAME>` chooses the algorithm of this collective.
    fn env_name(self) -> &'static str {
        match self {
            Coll::Bcast => "FTMPI_COLL_BCAST",
            Coll::Reduce => "FTMPI_COLL_REDUCE",
            Coll::Allreduce => "FTMPI_COLL_ALLREDUCE",
            Coll::Gather => "FTMPI_COLL_GATHER",
            Coll::Scatter => "FTMPI_COLL_SCATTER",
            Coll::Allgather => "FTMPI_COLL_ALLGATHER",
            Coll::Alltoall => "FTMPI_COLL_ALLTOALL",
            Coll::ReduceScatter => "FTMPI_COLL_REDUCE_SCATTER",
        }
    }

    /// Whether the collective combines data with an operation (so rank order can matter).
    fn reduces(self) -> bool {
        matches!(self, Coll::Reduce | Coll::Allreduce | Coll::ReduceScatter)
    }

    /// The algorithms this collective has.
    fn algorithms(self) -> &'static [Algo] {
        match self {
            Coll::Bcast => &[Algo::Binomial, Algo::ScatterRing],
            Coll::Reduce => &[Algo::Binomial, Algo::Rabenseifner],
            Coll::Allreduce => &[Algo::RecursiveDoubling, Algo::Rabenseifner, Algo::Ring],
            Coll::Gather | Coll::Scatter => &[Algo::Binomial, Algo::Linear],
            Coll::Allgather => &[Algo::RecursiveDoubling, Algo::Bruck, Algo::Ring],
            Coll::Alltoall => &[Algo::Scattered, Algo::Pairwise],
            Coll::ReduceScatter => &[Algo::ViaReduce, Algo::Pairwise],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algo {
    /// Binomial tree (bcast, reduce, gather, scatter).
    Binomial,
    /// Binomial scatter, then ring allgather (van de Geijn's bcast for long messages).
    ScatterRing,
    /// Recursive halving reduce-scatter, then recursive doubling allgather (allreduce) or a
    /// gather (reduce).
    Rabenseifner,
    /// Recursive doubling (allreduce, allgather).
    RecursiveDoubling,
    /// Ring reduce-scatter + ring allgather (allreduce), ring allgather.
    Ring,
    /// The root talks to every member directly.
    Linear,
    /// Bruck's allgather: ceil(log2 p) steps for any p.
    Bruck,
    /// Every send and receive posted at once (alltoall).
    Scattered,
    /// p - 1 exchanges with one partner each (alltoall, reduce-scatter).
    Pairwise,
    /// Reduce to rank 0, then scatter the blocks (reduce-scatter).
    ViaReduce,
}

impl Algo {
    const ALL: [Algo; 10] = [
        Algo::Binomial,
        Algo::ScatterRing,
        Algo::Rabenseifner,
        Algo::RecursiveDoubling,
        Algo::Ring,
        Algo::Linear,
        Algo::Bruck,
        Algo::Scattered,
        Algo::Pairwise,
        Algo::ViaReduce,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Algo::Binomial => "binomial",
            Algo::ScatterRing => "scatter_ring",
            Algo::Rabenseifner => "rabenseifner",
            Algo::RecursiveDoubling => "recursive_doubling",
            Algo::Ring => "ring",
            Algo::Linear => "linear",
            Algo::Bruck => "bruck",
            Algo::Scattered => "scattered",
            Algo::Pairwise => "pairwise",
            Algo::ViaReduce => "via_reduce",
        }
    }

    /// Whether this algorithm, as a reduction, keeps rank order (needed by non-commutative
    /// operations).
    fn ordered(self) -> bool {
        !matches!(self, Algo::Ring | Algo::Pairwise)
    }
}

/// Algorithms forced from the environment: `FTMPI_COLL_BCAST=scatter_ring`,
/// `FTMPI_COLL_ALLREDUCE=ring`, ... (names as in [`Algo::name`]). A forced algorithm that
/// cannot run a given call (ring with a non-commutative operation) falls back to the table.
#[derive(Debug, Clone, Default)]
pub struct CollTuning {
    forced: Vec<(Coll, Algo)>,
}

impl CollTuning {
    pub fn from_env() -> CollTuning {
        let mut forced = Vec::new();
        for coll in Coll::ALL {
            let Ok(v) = std::env::var(coll.env_name()) else { continue };
            let v = v.trim().to_ascii_lowercase();
            if v.is_empty() || v == "auto" {
                continue;
            }
            match Algo::ALL.iter().find(|a| a.name() == v && coll.algorithms().contains(a)) {
                Some(&a) => forced.push((coll, a)),
                None => {
                    let names: Vec<&str> = coll.algorithms().iter().map(|a| a.name()).collect();
                    eprintln!("ftmpi: ignoring {}={v}: expected auto or one of {}", coll.env_name(), names.join(", "));
                }
            }
        }
        CollTuning { forced }
    }

    /// The algorithm for `coll` on `p` members moving `bytes` (the whole message for bcast
    /// and the reductions, one member's block for the gathers, scatters and alltoall).
    pub fn choose(&self, coll: Coll, p: u32, bytes: usize, commutative: bool) -> Algo {
        if let Some(&(_, a)) = self.forced.iter().find(|(c, _)| *c == coll)
            && (commutative || !coll.reduces() || a.ordered())
        {
            return a;
        }
        default_choice(coll, p, bytes, commutative)
    }
}

/// The table.
pub fn default_choice(coll: Coll, p: u32, bytes: usize, commutative: bool) -> Algo {
    const KIB: usize = 1024;
    match coll {
        Coll::Bcast => {
            if p < 8 || bytes < 12 * KIB {
                Algo::Binomial
            } else {
                Algo::ScatterRing
            }
        }
        Coll::Reduce => {
            if bytes <= 8 * KIB {
                Algo::Binomial
            } else {
                Algo::Rabenseifner
            }
        }
        Coll::Allreduce => {
            // Whole-vector exchanges are cheapest while they stay eager (16 KiB).
            if bytes <= 8 * KIB {
                Algo::RecursiveDoubling
            } else if commutative && !p.is_power_of_two() {
                // Folding a non-power-of-two group costs a whole-vector transfer each way.
                Algo::Ring
            } else {
                Algo::Rabenseifner
            }
        }
        Coll::Gather | Coll::Scatter => {
            if bytes.saturating_mul(p as usize) <= 16 * KIB {
                Algo::Binomial
            } else {
                Algo::Linear
            }
        }
        Coll::Allgather => {
            let total = bytes.saturating_mul(p as usize);
            if p.is_power_of_two() && total <= 512 * KIB {
                Algo::RecursiveDoubling
            } else if total < 256 * KIB {
                Algo::Bruck
            } else {
                Algo::Ring
            }
        }
        Coll::Alltoall => {
            // Posting everything at once wins on small groups even for long blocks (the
            // shared-memory rings absorb it); large groups take turns.
            if bytes <= 32 * KIB || (p <= 8 && bytes <= 256 * KIB) {
                Algo::Scattered
            } else {
                Algo::Pairwise
            }
        }
        Coll::ReduceScatter => {
            if commutative && bytes > 2 * KIB {
                Algo::Pairwise
            } else {
                Algo::ViaReduce
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forced_algorithms_respect_commutativity() {
        let t = CollTuning { forced: vec![(Coll::Allreduce, Algo::Ring), (Coll::Bcast, Algo::ScatterRing)] };
        assert_eq!(t.choose(Coll::Allreduce, 4, 8, true), Algo::Ring);
        assert_ne!(t.choose(Coll::Allreduce, 4, 8, false), Algo::Ring);
        assert_eq!(t.choose(Coll::Bcast, 2, 8, true), Algo::ScatterRing);
        assert_eq!(t.choose(Coll::Reduce, 2, 8, true), Algo::Binomial);
    }

    #[test]
    fn every_table_entry_is_an_algorithm_of_its_collective() {
        for coll in Coll::ALL {
            for p in 1..70 {
                for bytes in [0, 1, 8, 2048, 4096, 65536, 1 << 20, 8 << 20] {
                    for comm in [true, false] {
                        let a = default_choice(coll, p, bytes, comm);
                        assert!(coll.algorithms().contains(&a), "{coll:?} {p} {bytes}: {a:?}");
                        assert!(comm || !coll.reduces() || a.ordered(), "{coll:?} {p} {bytes}: {a:?} with a non-commutative op");
                    }
                }
            }
        }
    }
}
