//! The table of derived datatypes.
//!
//! Datatype handles are decoded in many places, some inside `runtime::with` (a send builds its
//! buffer view there) and some outside, so the table has its own lock rather than living in
//! [`super::Runtime`]: a lookup never needs the runtime, and the runtime lock is never taken
//! while this one is held. Entries are `Arc`s: a type freed while an operation or another type
//! still uses it lives on until they let go (requests hold its `Layout`).
//!
//! A freed slot is not handed out again at once, so a stale handle is refused
//! (`MPI_ERR_TYPE`) instead of silently naming a newer type.
#![forbid(unsafe_code)]

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use once_cell::sync::Lazy;
use parking_lot::Mutex;

use crate::abi::consts as c;
use crate::core::datatype::Datatype;
use crate::core::error::{MpiError, Result};

/// Handle indices below this are MPICH's predefined pair types (`MPI_FLOAT_INT`..).
pub const FIRST_INDEX: u32 = 5;
/// Handle indices have 26 bits.
const INDEX_LIMIT: u32 = 1 << 26;
/// Freed slots wait in line until this many are free before one is reused.
const REUSE_AFTER: usize = 4096;

#[derive(Default)]
struct Types {
    slots: Vec<Option<Arc<Datatype>>>,
    freed: VecDeque<u32>,
    /// Names given to predefined types with `MPI_Type_set_name`, by handle.
    renamed: HashMap<i32, String>,
}

static TABLE: Lazy<Mutex<Types>> = Lazy::new(|| Mutex::new(Types::default()));

/// Stores a new type; returns its handle index.
pub fn insert(t: Datatype) -> Result<u32> {
    let mut tab = TABLE.lock();
    let t = Some(Arc::new(t));
    let next = FIRST_INDEX + tab.slots.len() as u32;
    if tab.freed.len() > REUSE_AFTER || (next >= INDEX_LIMIT && !tab.freed.is_empty()) {
        let i = tab.freed.pop_front().expect("checked non-empty");
        tab.slots[(i - FIRST_INDEX) as usize] = t;
        return Ok(i);
    }
    if next >= INDEX_LIMIT {
        return Err(MpiError::intern("Too many datatypes exist at once (free some with MPI_Type_free)"));
    }
    tab.slots.push(t);
    Ok(next)
}

/// The type with handle index `i`, if it exists.
pub fn get(i: u32) -> Option<Arc<Datatype>> {
    let tab = TABLE.lock();
    i.checked_sub(FIRST_INDEX).and_then(|k| tab.slots.get(k as usize)).and_then(|s| s.clone())
}

fn missing(i: u32) -> MpiError {
    MpiError::new(c::MPI_ERR_TYPE, format!("Invalid datatype: derived datatype {i} has been freed or never existed"))
}

/// Changes the type in slot `i` (commit, naming). Operations that already hold the old
/// version keep it, which is fine: neither change alters the data a type describes.
pub fn update(i: u32, f: impl FnOnce(&mut Datatype)) -> Result<()> {
    let mut tab = TABLE.lock();
    let slot = i
        .checked_sub(FIRST_INDEX)
        .and_then(|k| tab.slots.get_mut(k as usize))
        .and_then(|s| s.as_mut())
        .ok_or_else(|| missing(i))?;
    f(Arc::make_mut(slot));
    Ok(())
}

/// `MPI_Type_free`: drops the table's reference.
pub fn remove(i: u32) -> Result<()> {
    let mut tab = TABLE.lock();
    let slot = i
        .checked_sub(FIRST_INDEX)
        .and_then(|k| tab.slots.get_mut(k as usize))
        .filter(|s| s.is_some())
        .ok_or_else(|| missing(i))?;
    *slot = None;
    tab.freed.push_back(i);
    Ok(())
}

/// The name a predefined type was given, if any.
pub fn predefined_name(handle: i32) -> Option<String> {
    TABLE.lock().renamed.get(&handle).cloned()
}

pub fn rename_predefined(handle: i32, name: String) {
    TABLE.lock().renamed.insert(handle, name);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freed_handles_stay_invalid_and_users_keep_the_type() {
        let t = Datatype::new_contiguous(2, &Datatype::contiguous(4, "MPI_INT", c::MPI_INT)).unwrap();
        let i = insert(t).unwrap();
        assert!(i >= FIRST_INDEX);
        update(i, |t| t.committed = true).unwrap();
        let held = get(i).unwrap();
        assert!(held.committed);
        remove(i).unwrap();
        assert!(get(i).is_none());
        assert!(remove(i).is_err_and(|e| e.class == c::MPI_ERR_TYPE));
        assert!(update(i, |_| {}).is_err());
        // The operation that held it still can use it.
        assert_eq!(held.size(), 8);
        let j = insert(Datatype::new_dup(&held)).unwrap();
        assert_ne!(i, j, "a freed slot is not reused at once");
        assert!(get(3).is_none());
    }
}
