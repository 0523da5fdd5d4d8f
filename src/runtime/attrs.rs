//! Attribute caching on communicators (MPI-1.2 section 5.7): the keyval table, and the calls
//! that run the application's copy and delete callbacks.
//!
//! Callbacks are the application's code and may call MPI themselves (MPI_Comm_rank in a delete
//! callback is common), so they never run inside [`super::with`]: the free functions at the
//! end of this file collect what to call under the lock, call it with the lock released, and
//! take the lock again to record the outcome. The callbacks reach this module as closures made
//! by `abi`, which do the unsafe call into C or Fortran.
#![forbid(unsafe_code)]

use std::sync::Arc;

use crate::abi::consts as c;
use crate::core::error::{MpiError, Result};

use super::Runtime;
use super::comms::SELF;

/// A copy callback: `(communicator index, keyval index, value)` to `Some(new value)` when the
/// attribute is to be copied into the new communicator.
pub type CopyFn = Arc<dyn Fn(u32, u32, usize) -> Result<Option<usize>> + Send + Sync>;
/// A delete callback: `(communicator index, keyval index, value)`.
pub type DeleteFn = Arc<dyn Fn(u32, u32, usize) -> Result<()> + Send + Sync>;

struct Keyval {
    copy: Option<CopyFn>,
    delete: Option<DeleteFn>,
    /// The application's handle (until MPI_Keyval_free) plus one per attribute using it: the
    /// callbacks must outlive every attribute set with them (MPI-1.2 section 5.7.1).
    refs: u32,
    freed: bool,
}

/// Keyvals by index. Index 0 is never used, so the first keyval is `0xa4400001`, as in MPICH.
pub struct Keyvals {
    slots: Vec<Option<Keyval>>,
    free: Vec<u32>,
}

impl Default for Keyvals {
    fn default() -> Self {
        Keyvals { slots: vec![None], free: Vec::new() }
    }
}

impl Keyvals {
    pub fn create(&mut self, copy: Option<CopyFn>, delete: Option<DeleteFn>) -> u32 {
        let kv = Some(Keyval { copy, delete, refs: 1, freed: false });
        match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = kv;
                i
            }
            None => {
                self.slots.push(kv);
                (self.slots.len() - 1) as u32
            }
        }
    }

    fn get(&self, k: u32) -> Result<&Keyval> {
        match self.slots.get(k as usize).and_then(|s| s.as_ref()) {
            Some(kv) if !kv.freed => Ok(kv),
            _ => Err(MpiError::new(c::MPI_ERR_KEYVAL, "Invalid keyval: it does not exist or was freed")),
        }
    }

    /// Fails unless `k` is a live keyval.
    pub fn check(&self, k: u32) -> Result<()> {
        self.get(k).map(|_| ())
    }

    /// MPI_Keyval_free: the handle goes; attributes still set keep the callbacks alive.
    pub fn free(&mut self, k: u32) -> Result<()> {
        self.get(k)?;
        if let Some(Some(kv)) = self.slots.get_mut(k as usize) {
            kv.freed = true;
        }
        self.release(k);
        Ok(())
    }

    fn hold(&mut self, k: u32) {
        if let Some(Some(kv)) = self.slots.get_mut(k as usize) {
            kv.refs += 1;
        }
    }

    /// Lets one reference go (an attribute removed, or the handle freed).
    pub fn release(&mut self, k: u32) {
        if let Some(Some(kv)) = self.slots.get_mut(k as usize) {
            kv.refs = kv.refs.saturating_sub(1);
            if kv.refs == 0 {
                self.slots[k as usize] = None;
                self.free.push(k);
            }
        }
    }

    fn callbacks(&self, k: u32) -> (Option<CopyFn>, Option<DeleteFn>) {
        match self.slots.get(k as usize).and_then(|s| s.as_ref()) {
            Some(kv) => (kv.copy.clone(), kv.delete.clone()),
            None => (None, None),
        }
    }

    /// Keyvals alive (for leak checks in tests).
    pub fn live(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }
}

impl Runtime {
    /// The value of attribute `k` on `comm`, if set.
    pub fn attr_get(&self, comm: u32, k: u32) -> Result<Option<usize>> {
        self.keyvals.check(k)?;
        Ok(self.comm(comm)?.attrs.iter().find(|a| a.0 == k).map(|a| a.1))
    }

    /// Sets attribute `k`; the caller has run the delete callback of a value it replaces.
    fn attr_store(&mut self, comm: u32, k: u32, v: usize) -> Result<()> {
        self.comm(comm)?;
        let cm = self.comms.get_mut(comm).expect("checked");
        match cm.attrs.iter_mut().find(|a| a.0 == k) {
            Some(a) => a.1 = v,
            None => {
                cm.attrs.push((k, v));
                self.keyvals.hold(k);
            }
        }
        Ok(())
    }

    fn attr_remove(&mut self, comm: u32, k: u32) {
        if let Some(cm) = self.comms.get_mut(comm)
            && let Some(i) = cm.attrs.iter().position(|a| a.0 == k)
        {
            cm.attrs.remove(i);
            self.keyvals.release(k);
        }
    }

    /// The attributes of `comm` with their delete callbacks, most recently set first.
    fn delete_plan(&self, comm: u32) -> Result<Vec<(u32, usize, Option<DeleteFn>)>> {
        Ok(self.comm(comm)?.attrs.iter().rev().map(|&(k, v)| (k, v, self.keyvals.callbacks(k).1)).collect())
    }
}

/// MPI_Attr_put / MPI_Comm_set_attr: a value already set is deleted first (its callback runs).
pub fn put(comm: u32, k: u32, v: usize) -> Result<()> {
    let old = super::with(|rt| {
        let old = rt.attr_get(comm, k)?;
        Ok(old.map(|o| (o, rt.keyvals.callbacks(k).1)))
    })?;
    if let Some((o, Some(delete))) = old {
        delete(comm, k, o)?;
    }
    super::with(|rt| {
        rt.keyvals.check(k)?;
        rt.attr_store(comm, k, v)
    })
}

/// MPI_Attr_delete / MPI_Comm_delete_attr. Deleting an attribute that is not set is not an
/// error in MPICH, and is not here.
pub fn delete(comm: u32, k: u32) -> Result<()> {
    let old = super::with(|rt| {
        let old = rt.attr_get(comm, k)?;
        Ok(old.map(|o| (o, rt.keyvals.callbacks(k).1)))
    })?;
    let Some((o, del)) = old else { return Ok(()) };
    if let Some(del) = del {
        del(comm, k, o)?;
    }
    super::with(|rt| {
        rt.attr_remove(comm, k);
        Ok(())
    })
}

/// Runs the delete callbacks of every attribute of `comm` and removes the attributes. On a
/// callback's error the attributes not yet deleted stay, and the error is returned.
fn delete_all(comm: u32) -> Result<()> {
    let plan = super::with(|rt| rt.delete_plan(comm))?;
    for (k, v, del) in plan {
        if let Some(del) = del {
            del(comm, k, v)?;
        }
        super::with(|rt| {
            rt.attr_remove(comm, k);
            Ok(())
        })?;
    }
    Ok(())
}

/// MPI_Comm_free: delete callbacks, then the communicator and its context id.
pub fn comm_free(comm: u32) -> Result<()> {
    super::with(|rt| {
        if comm <= SELF {
            return Err(MpiError::new(c::MPI_ERR_COMM, "Cannot free a predefined communicator"));
        }
        rt.comm(comm).map(|_| ())
    })?;
    delete_all(comm)?;
    super::with(|rt| rt.comm_free(comm))
}

/// MPI_Comm_dup: a new context (collective), then the copy callbacks of the old
/// communicator's attributes decide what the new one gets.
pub fn comm_dup(comm: u32) -> Result<u32> {
    let (new, plan) = super::with(|rt| {
        let new = rt.comm_dup(comm)?;
        let plan: Vec<(u32, usize, Option<CopyFn>)> =
            rt.comm(comm)?.attrs.iter().map(|&(k, v)| (k, v, rt.keyvals.callbacks(k).0)).collect();
        Ok((new, plan))
    })?;
    for (k, v, copy) in plan {
        let Some(copy) = copy else { continue };
        match copy(comm, k, v) {
            Ok(Some(nv)) => super::with(|rt| rt.attr_store(new, k, nv))?,
            Ok(None) => {}
            Err(e) => {
                // The new communicator is not handed out: undo it, deleting what was copied.
                let _ = comm_free(new);
                return Err(e);
            }
        }
    }
    Ok(new)
}

/// MPI_Finalize begins as if MPI_COMM_SELF were freed (MPI-2.2 section 8.7.1): its attributes'
/// delete callbacks run, most recently set first.
pub fn finalize_self() -> Result<()> {
    delete_all(SELF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyval_lives_while_attributes_use_it() {
        let mut t = Keyvals::default();
        let k = t.create(None, None);
        assert_eq!(k, 1);
        t.hold(k);
        t.free(k).unwrap();
        assert_eq!(t.check(k).unwrap_err().class, c::MPI_ERR_KEYVAL);
        assert_eq!(t.free(k).unwrap_err().class, c::MPI_ERR_KEYVAL);
        assert_eq!(t.live(), 1);
        t.release(k);
        assert_eq!(t.live(), 0);
        assert_eq!(t.create(None, None), k);
    }
}
