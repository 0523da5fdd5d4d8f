//! Communicator and error-handler tables, and communicator creation.

use std::sync::Arc;

use crate::core::comm::Group;
use crate::core::error::{MpiError, Result};
use crate::core::topo::Topology;
use crate::ft::state::CommFt;

use super::Runtime;
use super::p2p::Half;

/// Table index of MPI_COMM_WORLD and MPI_COMM_SELF.
pub const WORLD: u32 = 0;
pub const SELF: u32 = 1;
/// Table index of MPI_ERRORS_ARE_FATAL and MPI_ERRORS_RETURN.
pub const ERRORS_ARE_FATAL: u32 = 0;
pub const ERRORS_RETURN: u32 = 1;

#[derive(Debug, Clone)]
pub struct Comm {
    /// Context id (see `core::comm`).
    pub id: u32,
    pub group: Group,
    pub rank: u32,
    /// Index in the error-handler table.
    pub errhandler: u32,
    pub name: String,
    /// The remote group of an intercommunicator; `None` for an intracommunicator.
    pub remote: Option<Group>,
    /// The Cartesian or graph topology attached at creation.
    pub topo: Option<Arc<Topology>>,
    /// Cached attributes as (keyval index, value), in the order they were first set.
    pub attrs: Vec<(u32, usize)>,
    /// Modes, failure state and recovery epoch.
    pub ft: CommFt,
}

impl Comm {
    pub fn new(id: u32, group: Group, rank: u32, name: &str) -> Comm {
        let extent = group.size();
        Comm {
            id,
            group,
            rank,
            errhandler: ERRORS_ARE_FATAL,
            name: name.to_string(),
            remote: None,
            topo: None,
            attrs: Vec::new(),
            ft: CommFt::new(extent, Default::default(), Default::default(), false),
        }
    }

    /// How messages name the communicator: its name, or "the communicator" without one.
    pub fn display_name(&self) -> &str {
        if self.name.is_empty() { "the communicator" } else { &self.name }
    }

    /// Context of point-to-point traffic: the id's, tagged with the recovery epoch so that
    /// a message sent before a recovery never matches a receive posted after it.
    pub fn p2p_ctx(&self) -> u32 {
        crate::core::comm::p2p_context(self.id) | epoch_bits(self.ft.epoch)
    }

    /// Context of collective traffic.
    pub fn coll_ctx(&self) -> u32 {
        crate::core::comm::coll_context(self.id) | epoch_bits(self.ft.epoch)
    }

    /// Size of the local group (`MPI_Comm_size`).
    pub fn size(&self) -> u32 {
        self.group.size()
    }

    pub fn is_inter(&self) -> bool {
        self.remote.is_some()
    }

    /// The group point-to-point ranks name: the remote group of an intercommunicator, else
    /// the communicator's own group.
    pub fn peer_group(&self) -> &Group {
        self.remote.as_ref().unwrap_or(&self.group)
    }

    /// Number of valid destination and source ranks for point-to-point calls.
    pub fn peer_size(&self) -> u32 {
        self.peer_group().size()
    }

    /// The group that ranks of an operation on `half` name: collective traffic (`Coll`) stays
    /// in the local group, the rest addresses the peer group.
    pub fn group_for(&self, half: Half) -> &Group {
        match half {
            Half::Coll => &self.group,
            Half::P2p | Half::CollRemote => self.peer_group(),
        }
    }
}

/// Context ids take the low 13 bits (4096 ids, two halves); the epoch takes the rest.
fn epoch_bits(epoch: u32) -> u32 {
    (epoch & 0x7_ffff) << 13
}

/// Communicators by index; 0 and 1 are the predefined ones.
#[derive(Default)]
pub struct Comms {
    slots: Vec<Option<Comm>>,
    free: Vec<u32>,
}

impl Comms {
    pub fn insert(&mut self, c: Comm) -> u32 {
        if let Some(i) = self.free.pop() {
            self.slots[i as usize] = Some(c);
            i
        } else {
            self.slots.push(Some(c));
            (self.slots.len() - 1) as u32
        }
    }

    pub fn get(&self, i: u32) -> Option<&Comm> {
        self.slots.get(i as usize).and_then(|s| s.as_ref())
    }

    pub fn get_mut(&mut self, i: u32) -> Option<&mut Comm> {
        self.slots.get_mut(i as usize).and_then(|s| s.as_mut())
    }

    /// Indices of every live communicator.
    pub fn ids(&self) -> Vec<u32> {
        self.slots.iter().enumerate().filter(|(_, s)| s.is_some()).map(|(i, _)| i as u32).collect()
    }

    pub fn remove(&mut self, i: u32) -> Option<Comm> {
        let c = self.slots.get_mut(i as usize).and_then(|s| s.take());
        if c.is_some() {
            self.free.push(i);
        }
        c
    }
}

/// What an error handler does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Errh {
    Fatal,
    Return,
    /// A user function, kept as an opaque address that only `abi` turns back into a pointer.
    User(usize),
}

#[derive(Debug)]
struct ErrhSlot {
    errh: Errh,
    /// References: the creator's, one per MPI_Errhandler_get, one per communicator using it.
    /// The slot goes when the last one is let go (MPI-1.2 section 7.2).
    refs: u32,
}

/// Error handlers by index; 0 and 1 are the predefined ones, never freed.
pub struct Errhandlers {
    slots: Vec<Option<ErrhSlot>>,
}

impl Default for Errhandlers {
    fn default() -> Self {
        let fixed = |errh| Some(ErrhSlot { errh, refs: 1 });
        Errhandlers { slots: vec![fixed(Errh::Fatal), fixed(Errh::Return)] }
    }
}

impl Errhandlers {
    pub fn create(&mut self, f: usize) -> u32 {
        let slot = Some(ErrhSlot { errh: Errh::User(f), refs: 1 });
        if let Some(i) = self.slots.iter().skip(2).position(|s| s.is_none()) {
            self.slots[i + 2] = slot;
            (i + 2) as u32
        } else {
            self.slots.push(slot);
            (self.slots.len() - 1) as u32
        }
    }

    pub fn get(&self, i: u32) -> Option<Errh> {
        self.slots.get(i as usize).and_then(|s| s.as_ref()).map(|s| s.errh)
    }

    /// The handler in effect for a communicator.
    pub fn effective(&self, i: u32) -> Errh {
        self.get(i).unwrap_or(Errh::Fatal)
    }

    /// Takes a reference (a communicator starts using it, or MPI_Errhandler_get hands it out).
    pub fn attach(&mut self, i: u32) {
        if let Some(Some(s)) = self.slots.get_mut(i as usize) {
            s.refs += 1;
        }
    }

    /// Lets a reference go.
    pub fn detach(&mut self, i: u32) {
        if let Some(Some(s)) = self.slots.get_mut(i as usize) {
            s.refs = s.refs.saturating_sub(1);
            if s.refs == 0 && i > 1 {
                self.slots[i as usize] = None;
            }
        }
    }

    /// MPI_Errhandler_free: lets the caller's reference go.
    pub fn free(&mut self, i: u32) -> Result<()> {
        match self.slots.get(i as usize) {
            Some(Some(_)) => {
                if i > 1 {
                    self.detach(i);
                }
                Ok(())
            }
            _ => Err(MpiError::arg("Invalid errhandler: it was already freed")),
        }
    }
}

impl Runtime {
    pub fn comm(&self, i: u32) -> Result<&Comm> {
        self.comms.get(i).ok_or_else(|| MpiError::new(crate::abi::consts::MPI_ERR_COMM, "Invalid communicator: it was freed"))
    }

    /// Agrees on a context id free at every member of `parent` (a collective call over the
    /// local group; see `agree_inter` for both groups of an intercommunicator).
    pub fn agree_context(&mut self, parent: u32) -> Result<u32> {
        let common = self.agree_common(parent)?;
        self.take_context(&common)
    }

    /// The AND of the free-id sets of `parent`'s local group, known to every member.
    pub fn agree_common(&mut self, parent: u32) -> Result<Vec<u64>> {
        let mask = self.ctx_pool.mask();
        self.allreduce_band(parent, mask)
    }

    /// Takes the lowest id of an agreed set.
    pub fn take_context(&mut self, common: &[u64]) -> Result<u32> {
        self.ctx_pool.take_lowest(common).ok_or_else(|| {
            MpiError::other(format!("Too many communicators: all {} context ids are in use", crate::core::comm::MAX_CONTEXTS))
        })
    }

    /// MPI_Comm_dup: same groups and topology, new context, same error handler. Attributes
    /// are copied by `attrs::comm_dup`, which calls the copy callbacks.
    pub fn comm_dup(&mut self, i: u32) -> Result<u32> {
        // A communicator with failed members is recovered by its dup (FT-MPI): repaired in
        // place, and the duplicate gets the context agreed during the recovery.
        let forced = std::mem::take(&mut self.ft.check_recover);
        if i == WORLD
            && let Some(id) = self.ft.world_dup.take()
        {
            // Respawned: the survivors made this duplicate in the recovery this process
            // joined, so this process's recovery dup is already done.
            self.ctx_pool.release(id);
            return self.dup_with_context(i, id);
        }
        if let Some(id) = self.recover_if_needed(i, forced)? {
            return self.dup_with_context(i, id);
        }
        let old = self.comm(i)?.clone();
        let agreed = if old.is_inter() { self.agree_inter(i) } else { self.agree_context(i) };
        let id = match agreed {
            Ok(id) => id,
            // A member failed while the members agreed: every member's agreement fails, so
            // every member recovers instead, and the dup is the recovery after all.
            Err(e) if self.comm(i).is_ok_and(|c| c.ft.state == crate::ft::state::CommState::Detected) => {
                match self.recover_if_needed(i, false)? {
                    Some(id) => return self.dup_with_context(i, id),
                    None => return Err(e),
                }
            }
            Err(e) => return Err(e),
        };
        self.errhandlers.attach(old.errhandler);
        let ft = old.ft.inherit(old.size());
        Ok(self.comms.insert(Comm { id, name: String::new(), attrs: Vec::new(), ft, ..old }))
    }

    /// A new communicator derived from `parent`: the parent's error handler, no name.
    pub fn insert_derived(&mut self, parent: u32, mut c: Comm) -> Result<u32> {
        let p = self.comm(parent)?;
        let eh = p.errhandler;
        c.ft = p.ft.inherit(c.size());
        self.errhandlers.attach(eh);
        c.errhandler = eh;
        Ok(self.comms.insert(c))
    }

    /// MPI_Comm_free without the delete callbacks (`attrs::comm_free` runs those first):
    /// drops the attributes' hold on their keyvals and returns the context id.
    pub fn comm_free(&mut self, i: u32) -> Result<()> {
        if i == WORLD || i == SELF {
            return Err(MpiError::new(crate::abi::consts::MPI_ERR_COMM, "Cannot free a predefined communicator"));
        }
        let c = self.comms.remove(i).ok_or_else(|| MpiError::new(crate::abi::consts::MPI_ERR_COMM, "Invalid communicator"))?;
        for &(k, _) in &c.attrs {
            self.keyvals.release(k);
        }
        self.errhandlers.detach(c.errhandler);
        self.ctx_pool.release(c.id);
        self.matching.forget_context_if_idle(c.p2p_ctx());
        self.matching.forget_context_if_idle(c.coll_ctx());
        Ok(())
    }

    /// MPI_Errhandler_set.
    pub fn set_errhandler(&mut self, comm: u32, eh: u32) -> Result<()> {
        self.errhandlers.get(eh).ok_or_else(|| MpiError::arg("Invalid errhandler"))?;
        let old = self.comm(comm)?.errhandler;
        self.errhandlers.attach(eh);
        self.errhandlers.detach(old);
        self.comms.get_mut(comm).expect("checked").errhandler = eh;
        Ok(())
    }
}
