//! Tunables, read once from the environment at `MPI_Init`. Each field's doc is its
//! documentation; the variable is `FTMPI_<AREA>_<NAME>`.

use std::env;

#[derive(Debug, Clone)]
pub struct Config {
    /// `FTMPI_SHM_RING_BYTES`: bytes of each inbound ring (power of two, at least 16 KiB).
    /// Default 128 KiB up to 16 ranks on the host; beyond, 2 MiB divided among the senders
    /// (at least 16 KiB), so a rank's segment stays near 2 MiB and the host's shared memory
    /// grows linearly with the ranks instead of with their square.
    pub ring_bytes: usize,
    /// `FTMPI_EAGER_LIMIT`: largest message sent eagerly through the ring; larger ones use
    /// rendezvous. Capped at a quarter of the ring. Default 16 KiB.
    pub eager_limit: usize,
    /// The eager limit towards ranks on other hosts (TCP): `FTMPI_EAGER_LIMIT` when set, else
    /// the largest payload a ring frame takes (a quarter of the ring: 32 KiB by default).
    pub remote_eager_limit: usize,
    /// `FTMPI_SHM_CMA`: `0` turns off single-copy reads (`process_vm_readv`) and streams large
    /// messages through the rings instead. Default on.
    pub cma: bool,
    /// `FTMPI_SHM_COOP`: `0` makes the receiver of a large message copy it alone; by default
    /// the sender copies part of it at the same time (`runtime::coop`), unless the host has
    /// more ranks than cores, where the two would only take turns on one core.
    pub coop: bool,
    /// `FTMPI_SPIN_COUNT`: empty polls before a waiting rank starts yielding. Default 2000 (tens
    /// of microseconds: a peer sharing our core gets it back soon)
    /// when the node has a core per rank, 50 when oversubscribed.
    pub spin: u32,
    /// `FTMPI_YIELD_COUNT`: yields before a waiting rank sleeps on its doorbell. Default 100,
    /// 4 when oversubscribed.
    pub yields: u32,
    /// `FTMPI_COLL_<COLLECTIVE>`: forces a collective's algorithm (see `runtime::coll::select`).
    pub coll: crate::runtime::coll::select::CollTuning,
}

fn var<T: std::str::FromStr>(name: &str) -> Option<T> {
    env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

impl Config {
    /// Reads the environment; `local_ranks` is how many ranks share this host.
    pub fn from_env(local_ranks: usize) -> Config {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        let crowded = local_ranks > cores;
        let ring_bytes = var::<usize>("FTMPI_SHM_RING_BYTES")
            .filter(|v| v.is_power_of_two() && *v >= 16 * 1024)
            .unwrap_or_else(|| default_ring_bytes(local_ranks));
        let user_eager = var::<usize>("FTMPI_EAGER_LIMIT");
        let eager_limit = user_eager.unwrap_or(16 * 1024).min(ring_bytes / 4);
        // A rendezvous to another host costs a round trip over the network before any data
        // moves, and its data is streamed through the rings anyway: up to the largest frame a
        // ring takes, a message goes whole (32 KiB one way between two namespaces: 10-12 µs
        // instead of 36).
        let remote_eager_limit = user_eager.unwrap_or(usize::MAX).min(ring_bytes / 4);
        Config {
            ring_bytes,
            eager_limit,
            remote_eager_limit,
            cma: var::<u32>("FTMPI_SHM_CMA").is_none_or(|v| v != 0),
            coop: var::<u32>("FTMPI_SHM_COOP").map_or(!crowded, |v| v != 0),
            spin: var("FTMPI_SPIN_COUNT").unwrap_or(if crowded { 50 } else { 2000 }),
            yields: var("FTMPI_YIELD_COUNT").unwrap_or(if crowded { 4 } else { 100 }),
            coll: crate::runtime::coll::select::CollTuning::from_env(),
        }
    }
}

/// The default ring size for `local_ranks` ranks sharing the host (every rank computes the
/// same, so segments match).
pub fn default_ring_bytes(local_ranks: usize) -> usize {
    const BUDGET: usize = 2 << 20;
    if local_ranks <= 16 {
        return 128 * 1024;
    }
    let per = (BUDGET / local_ranks).max(16 * 1024);
    // The largest power of two that fits.
    1usize << (usize::BITS - 1 - per.leading_zeros())
}

#[cfg(test)]
mod tests {
    use super::default_ring_bytes;

    #[test]
    fn rings_shrink_beyond_sixteen_ranks_so_a_segment_stays_near_two_mib() {
        assert_eq!(default_ring_bytes(1), 128 << 10);
        assert_eq!(default_ring_bytes(16), 128 << 10);
        assert_eq!(default_ring_bytes(17), 64 << 10);
        assert_eq!(default_ring_bytes(32), 64 << 10);
        assert_eq!(default_ring_bytes(64), 32 << 10);
        assert_eq!(default_ring_bytes(200), 16 << 10);
        for n in [17, 33, 64, 100, 1000] {
            assert!(default_ring_bytes(n).is_power_of_two());
            assert!(n * default_ring_bytes(n) <= (2 << 20).max(n * (16 << 10)));
        }
    }
}
