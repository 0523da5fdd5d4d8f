//! Group algebra (MPI-1.2 section 5.3): set operations, inclusion and exclusion by ranks or
//! ranges, rank translation and comparison. A group is an ordered list of world ranks
//! ([`Group`]); every function here is pure and checks its arguments with MPICH's classes
//! and wording.
#![forbid(unsafe_code)]

use std::collections::HashSet;

use crate::abi::consts as c;
use crate::core::comm::Group;
use crate::core::error::{MpiError, Result};

/// How two groups relate (`MPI_Group_compare`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// Same members in the same order.
    Ident,
    /// Same members, another order.
    Similar,
    Unequal,
}

impl Relation {
    /// The MPI constant for the relation.
    pub fn to_mpi(self) -> i32 {
        match self {
            Relation::Ident => c::MPI_IDENT,
            Relation::Similar => c::MPI_SIMILAR,
            Relation::Unequal => c::MPI_UNEQUAL,
        }
    }
}

pub fn compare(a: &Group, b: &Group) -> Relation {
    if a.members == b.members {
        return Relation::Ident;
    }
    if a.size() == b.size() && a.members.iter().all(|&w| b.rank_of(w).is_some()) {
        return Relation::Similar;
    }
    Relation::Unequal
}

/// Members of `a`, then the members of `b` not in `a`, each in its group's order.
pub fn union(a: &Group, b: &Group) -> Group {
    let mut m: Vec<u32> = a.members.to_vec();
    m.extend(b.members.iter().copied().filter(|&w| a.rank_of(w).is_none()));
    Group::new(m)
}

/// Members of `a` that are also in `b`, in `a`'s order.
pub fn intersection(a: &Group, b: &Group) -> Group {
    Group::new(a.members.iter().copied().filter(|&w| b.rank_of(w).is_some()).collect())
}

/// Members of `a` that are not in `b`, in `a`'s order.
pub fn difference(a: &Group, b: &Group) -> Group {
    Group::new(a.members.iter().copied().filter(|&w| b.rank_of(w).is_none()).collect())
}

/// Checks a list of distinct ranks of a group of `size`; returns them as indices.
fn distinct_ranks(size: u32, ranks: &[i32]) -> Result<Vec<u32>> {
    let mut seen: Vec<Option<usize>> = vec![None; size as usize];
    let mut out = Vec::with_capacity(ranks.len());
    for (i, &r) in ranks.iter().enumerate() {
        if r < 0 || r as u32 >= size {
            return Err(MpiError::new(
                c::MPI_ERR_RANK,
                format!("Invalid rank in rank array at index {i}; value is {r} but must be in the range 0 to {}", size as i64 - 1),
            ));
        }
        if let Some(j) = seen[r as usize] {
            return Err(MpiError::new(
                c::MPI_ERR_RANK,
                format!("Duplicate ranks in rank array at index {i}, has value {r} which is also the value at index {j}"),
            ));
        }
        seen[r as usize] = Some(i);
        out.push(r as u32);
    }
    Ok(out)
}

/// The group of `g`'s members at `ranks`, in that order (`MPI_Group_incl`).
pub fn incl(g: &Group, ranks: &[i32]) -> Result<Group> {
    let idx = distinct_ranks(g.size(), ranks)?;
    Ok(Group::new(idx.iter().map(|&r| g.world(r)).collect()))
}

/// `g` without the members at `ranks` (`MPI_Group_excl`).
pub fn excl(g: &Group, ranks: &[i32]) -> Result<Group> {
    let idx = distinct_ranks(g.size(), ranks)?;
    let gone: HashSet<u32> = idx.into_iter().collect();
    Ok(Group::new((0..g.size()).filter(|r| !gone.contains(r)).map(|r| g.world(r)).collect()))
}

/// Expands `(first, last, stride)` triples into ranks, checked as MPICH checks them: stride not
/// zero and pointing from first towards last, both ends valid ranks, no rank twice.
pub fn expand_ranges(size: u32, ranges: &[[i32; 3]]) -> Result<Vec<u32>> {
    let mut seen = vec![false; size as usize];
    let mut out = Vec::new();
    for (i, &[first, last, stride]) in ranges.iter().enumerate() {
        if stride == 0 {
            return Err(MpiError::arg(format!("Range {i} has stride 0")));
        }
        if (first < last && stride < 0) || (first > last && stride > 0) {
            return Err(MpiError::arg(format!(
                "Range {i} ({first}, {last}, {stride}): the stride does not lead from first to last"
            )));
        }
        for (what, v) in [("first", first), ("last", last)] {
            if v < 0 || v as u32 >= size {
                // MPICH's class for a range outside the group, not MPI_ERR_RANK.
                return Err(MpiError::arg(format!(
                    "Range {i}: {what} rank is {v} but must be nonnegative and less than {size}"
                )));
            }
        }
        let mut r = first as i64;
        while (stride > 0 && r <= last as i64) || (stride < 0 && r >= last as i64) {
            let ru = r as usize;
            if seen[ru] {
                return Err(MpiError::arg(format!("Range {i} names rank {r}, which an earlier range already names")));
            }
            seen[ru] = true;
            out.push(r as u32);
            r += stride as i64;
        }
    }
    Ok(out)
}

/// `MPI_Group_range_incl`.
pub fn range_incl(g: &Group, ranges: &[[i32; 3]]) -> Result<Group> {
    let idx = expand_ranges(g.size(), ranges)?;
    Ok(Group::new(idx.iter().map(|&r| g.world(r)).collect()))
}

/// `MPI_Group_range_excl`.
pub fn range_excl(g: &Group, ranges: &[[i32; 3]]) -> Result<Group> {
    let gone: HashSet<u32> = expand_ranges(g.size(), ranges)?.into_iter().collect();
    Ok(Group::new((0..g.size()).filter(|r| !gone.contains(r)).map(|r| g.world(r)).collect()))
}

/// Ranks in `b` of the members of `a` at `ranks`: `MPI_UNDEFINED` for a member not in `b`,
/// `MPI_PROC_NULL` kept as it is.
pub fn translate_ranks(a: &Group, ranks: &[i32], b: &Group) -> Result<Vec<i32>> {
    ranks
        .iter()
        .enumerate()
        .map(|(i, &r)| {
            if r == c::MPI_PROC_NULL {
                return Ok(c::MPI_PROC_NULL);
            }
            if r < 0 || r as u32 >= a.size() {
                return Err(MpiError::new(
                    c::MPI_ERR_RANK,
                    format!("Invalid rank in rank array at index {i}; value is {r} but must be in the range 0 to {}", a.size() as i64 - 1),
                ));
            }
            Ok(b.rank_of(a.world(r as u32)).map_or(c::MPI_UNDEFINED, |x| x as i32))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(m: &[u32]) -> Group {
        Group::new(m.to_vec())
    }

    #[test]
    fn set_operations_keep_the_first_groups_order() {
        let a = g(&[5, 1, 3]);
        let b = g(&[3, 4, 5, 0]);
        assert_eq!(*union(&a, &b).members, vec![5, 1, 3, 4, 0]);
        assert_eq!(*intersection(&a, &b).members, vec![5, 3]);
        assert_eq!(*intersection(&b, &a).members, vec![3, 5]);
        assert_eq!(*difference(&a, &b).members, vec![1]);
        assert_eq!(difference(&a, &a).size(), 0);
    }

    #[test]
    fn compare_tells_order_from_membership() {
        assert_eq!(compare(&g(&[1, 2]), &g(&[1, 2])), Relation::Ident);
        assert_eq!(compare(&g(&[1, 2]), &g(&[2, 1])), Relation::Similar);
        assert_eq!(compare(&g(&[1, 2]), &g(&[1, 3])), Relation::Unequal);
        assert_eq!(compare(&g(&[1, 2]), &g(&[1])), Relation::Unequal);
        assert_eq!(compare(&g(&[]), &g(&[])), Relation::Ident);
    }

    #[test]
    fn incl_and_excl_check_ranks() {
        let a = g(&[10, 11, 12, 13]);
        assert_eq!(*incl(&a, &[3, 0]).unwrap().members, vec![13, 10]);
        assert_eq!(*excl(&a, &[3, 0]).unwrap().members, vec![11, 12]);
        assert_eq!(incl(&a, &[]).unwrap().size(), 0);
        assert_eq!(incl(&a, &[4]).unwrap_err().class, c::MPI_ERR_RANK);
        assert_eq!(incl(&a, &[-1]).unwrap_err().class, c::MPI_ERR_RANK);
        assert_eq!(excl(&a, &[1, 1]).unwrap_err().class, c::MPI_ERR_RANK);
    }

    #[test]
    fn ranges_expand_both_ways_and_are_validated() {
        assert_eq!(expand_ranges(10, &[[0, 9, 3]]).unwrap(), vec![0, 3, 6, 9]);
        assert_eq!(expand_ranges(10, &[[8, 1, -3]]).unwrap(), vec![8, 5, 2]);
        assert_eq!(expand_ranges(10, &[[4, 4, 1], [5, 7, 2]]).unwrap(), vec![4, 5, 7]);
        assert_eq!(expand_ranges(10, &[[0, 3, 0]]).unwrap_err().class, c::MPI_ERR_ARG);
        assert_eq!(expand_ranges(10, &[[3, 0, 1]]).unwrap_err().class, c::MPI_ERR_ARG);
        assert_eq!(expand_ranges(10, &[[0, 10, 1]]).unwrap_err().class, c::MPI_ERR_ARG);
        assert_eq!(expand_ranges(10, &[[0, 4, 2], [4, 5, 1]]).unwrap_err().class, c::MPI_ERR_ARG);
        let a = g(&[0, 1, 2, 3, 4, 5]);
        assert_eq!(*range_incl(&a, &[[5, 0, -2]]).unwrap().members, vec![5, 3, 1]);
        assert_eq!(*range_excl(&a, &[[5, 0, -2]]).unwrap().members, vec![0, 2, 4]);
    }

    #[test]
    fn translation_maps_through_world_ranks() {
        let a = g(&[7, 8, 9]);
        let b = g(&[9, 7]);
        assert_eq!(translate_ranks(&a, &[0, 1, 2, c::MPI_PROC_NULL], &b).unwrap(), vec![1, c::MPI_UNDEFINED, 0, c::MPI_PROC_NULL]);
        assert_eq!(translate_ranks(&a, &[3], &b).unwrap_err().class, c::MPI_ERR_RANK);
    }
}
