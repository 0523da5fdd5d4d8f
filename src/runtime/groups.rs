//! The group table: each group handle the application holds is one slot. Groups are values
//! (an `Arc`ed member list), so handing one out costs a slot, not a copy.
#![forbid(unsafe_code)]

use crate::abi::consts as c;
use crate::core::comm::Group;
use crate::core::error::{MpiError, Result};

/// Table index of MPI_GROUP_EMPTY, which is never freed.
pub const EMPTY: u32 = 0;

/// Groups by index; slot 0 is MPI_GROUP_EMPTY.
pub struct Groups {
    slots: Vec<Option<Group>>,
    free: Vec<u32>,
}

impl Default for Groups {
    fn default() -> Self {
        Groups { slots: vec![Some(Group::new(Vec::new()))], free: Vec::new() }
    }
}

impl Groups {
    /// Stores a group and returns its index; an empty group is MPI_GROUP_EMPTY itself.
    pub fn insert(&mut self, g: Group) -> u32 {
        if g.size() == 0 {
            return EMPTY;
        }
        match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = Some(g);
                i
            }
            None => {
                self.slots.push(Some(g));
                (self.slots.len() - 1) as u32
            }
        }
    }

    pub fn get(&self, i: u32) -> Result<&Group> {
        self.slots
            .get(i as usize)
            .and_then(|s| s.as_ref())
            .ok_or_else(|| MpiError::new(c::MPI_ERR_GROUP, "Invalid group: it was freed"))
    }

    /// MPI_Group_free. Freeing MPI_GROUP_EMPTY is allowed and does nothing, as in MPICH.
    pub fn free(&mut self, i: u32) -> Result<()> {
        self.get(i)?;
        if i != EMPTY {
            self.slots[i as usize] = None;
            self.free.push(i);
        }
        Ok(())
    }

    /// Groups the application holds (for leak checks in tests).
    pub fn live(&self) -> usize {
        self.slots.iter().skip(1).filter(|s| s.is_some()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_reused_and_empty_is_permanent() {
        let mut t = Groups::default();
        assert_eq!(t.insert(Group::new(vec![])), EMPTY);
        let a = t.insert(Group::new(vec![1]));
        t.free(a).unwrap();
        assert_eq!(t.get(a).unwrap_err().class, c::MPI_ERR_GROUP);
        assert_eq!(t.insert(Group::new(vec![2])), a);
        t.free(EMPTY).unwrap();
        assert_eq!(t.get(EMPTY).unwrap().size(), 0);
        assert_eq!(t.live(), 1);
    }
}
