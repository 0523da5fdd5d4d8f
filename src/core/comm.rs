//! Communicators' pure parts: the group (rank ↔ world rank) and context ids.
//!
//! Context ids agree across processes without a global counter: each process keeps a bit set
//! of ids it has free, the members AND their sets (an allreduce), and all take the lowest id
//! free everywhere. Freed ids return to the set, so creating and freeing communicators in a
//! loop never runs out. Each id gives two wire contexts, one for point-to-point and one for
//! collectives, so collective traffic never matches user messages.

use std::sync::Arc;

use super::idhash::IdMap;

/// Ids available at once in a process.
pub const MAX_CONTEXTS: usize = 4096;
const WORDS: usize = MAX_CONTEXTS / 64;
/// Ids of MPI_COMM_WORLD and MPI_COMM_SELF.
pub const WORLD_ID: u32 = 0;
pub const SELF_ID: u32 = 1;

/// Wire context of a communicator's point-to-point traffic.
pub fn p2p_context(id: u32) -> u32 {
    id * 2
}

/// Wire context of a communicator's collective traffic.
pub fn coll_context(id: u32) -> u32 {
    id * 2 + 1
}

/// The context ids this process has free.
#[derive(Debug, Clone)]
pub struct ContextPool {
    free: Vec<u64>,
}

impl Default for ContextPool {
    fn default() -> Self {
        let mut free = vec![u64::MAX; WORDS];
        free[0] &= !0b11; // world and self
        ContextPool { free }
    }
}

impl ContextPool {
    /// This process's free set, to be ANDed with the other members'.
    pub fn mask(&self) -> Vec<u64> {
        self.free.clone()
    }

    /// Takes the lowest id set in `common` (the AND of all members' masks).
    pub fn take_lowest(&mut self, common: &[u64]) -> Option<u32> {
        for (w, &bits) in common.iter().enumerate().take(WORDS) {
            let avail = bits & self.free[w];
            if avail != 0 {
                let b = avail.trailing_zeros();
                self.free[w] &= !(1u64 << b);
                return Some((w * 64) as u32 + b);
            }
        }
        None
    }

    /// Takes a particular id (agreed elsewhere); false if it is not free here.
    pub fn take(&mut self, id: u32) -> bool {
        let (w, b) = (id as usize / 64, id % 64);
        if id <= SELF_ID || w >= WORDS || self.free[w] & (1u64 << b) == 0 {
            return false;
        }
        self.free[w] &= !(1u64 << b);
        true
    }

    pub fn release(&mut self, id: u32) {
        if (id as usize) < MAX_CONTEXTS && id > SELF_ID {
            self.free[id as usize / 64] |= 1u64 << (id % 64);
        }
    }
}

/// An ordered set of world ranks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub members: Arc<Vec<u32>>,
    /// World rank → group rank; `None` when member i is world rank i (no lookup needed).
    index: Option<Arc<IdMap<u32, u32>>>,
}

impl Group {
    pub fn new(members: Vec<u32>) -> Group {
        let identity = members.iter().enumerate().all(|(i, &w)| w == i as u32);
        let index = (!identity).then(|| Arc::new(members.iter().enumerate().map(|(i, &w)| (w, i as u32)).collect()));
        Group { members: Arc::new(members), index }
    }

    pub fn size(&self) -> u32 {
        self.members.len() as u32
    }

    /// World rank of group rank `r`.
    pub fn world(&self, r: u32) -> u32 {
        self.members[r as usize]
    }

    /// Group rank of world rank `w`, if a member.
    pub fn rank_of(&self, w: u32) -> Option<u32> {
        match &self.index {
            Some(ix) => ix.get(&w).copied(),
            None => (w < self.size()).then_some(w),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowest_common_id_is_taken_and_reused() {
        let and = |a: &ContextPool, b: &ContextPool| -> Vec<u64> { a.mask().iter().zip(b.mask()).map(|(p, q)| p & q).collect() };
        let (mut a, mut b, mut c) = (ContextPool::default(), ContextPool::default(), ContextPool::default());
        // a and b make a communicator: both take 2.
        let common = and(&a, &b);
        assert_eq!((a.take_lowest(&common), b.take_lowest(&common)), (Some(2), Some(2)));
        // a, b and c agree next: 2 is busy at a and b, so all take 3.
        let common: Vec<u64> = and(&a, &b).iter().zip(c.mask()).map(|(p, q)| p & q).collect();
        assert_eq!((a.take_lowest(&common), b.take_lowest(&common), c.take_lowest(&common)), (Some(3), Some(3), Some(3)));
        // Freed ids come back.
        a.release(2);
        b.release(2);
        let common = and(&a, &b);
        assert_eq!(a.take_lowest(&common), Some(2));
    }

    #[test]
    fn group_maps_both_ways() {
        let g = Group::new(vec![4, 2, 7]);
        assert_eq!(g.world(1), 2);
        assert_eq!(g.rank_of(7), Some(2));
        assert_eq!(g.rank_of(3), None);
    }
}
