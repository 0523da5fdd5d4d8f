//! Integer handles in MPICH's encoding ↔ the runtime's table indices.
//!
//! Bits 30-31 say builtin (`01`) or direct (`10`), bits 26-29 the object kind, the rest the
//! index. Null handles have `00` in the top bits, so a handle of the wrong kind (an
//! `MPI_Datatype` passed as a communicator) is refused with the right error class, not used.

use std::sync::Arc;

use once_cell::sync::Lazy;

use super::consts as c;
use super::types::{MPI_Comm, MPI_Datatype, MPI_Errhandler, MPI_Group, MPI_Request};
use crate::core::datatype::Datatype;
use crate::core::error::{MpiError, Result};
use crate::runtime::types;

const BUILTIN: u32 = 0x4000_0000;
const DIRECT: u32 = 0x8000_0000;
const INDEX_MASK: u32 = 0x03ff_ffff;
const OBJ_COMM: u32 = 1 << 26;
const OBJ_GROUP: u32 = 2 << 26;
const OBJ_KEYVAL: u32 = 9 << 26;
/// Keyvals also carry the kind of object they attach to in bits 22-25 (communicator = 1).
const KEYVAL_FOR_COMM: u32 = 1 << 22;
const OBJ_DATATYPE: u32 = 3 << 26;
const OBJ_ERRHANDLER: u32 = 5 << 26;
const OBJ_REQUEST: u32 = 11 << 26;

fn split(h: i32) -> (u32, u32) {
    let h = h as u32;
    (h & !INDEX_MASK, h & INDEX_MASK)
}

/// Table index of a communicator handle (existence is checked by the runtime).
pub fn comm(h: MPI_Comm) -> Result<u32> {
    if h == c::MPI_COMM_NULL {
        return Err(MpiError::new(c::MPI_ERR_COMM, "Null communicator"));
    }
    match split(h) {
        (k, i) if k == BUILTIN | OBJ_COMM && i < 2 => Ok(i),
        (k, i) if k == DIRECT | OBJ_COMM && i >= 2 => Ok(i),
        _ => Err(MpiError::new(c::MPI_ERR_COMM, format!("Invalid communicator (handle {h:#x})"))),
    }
}

pub fn comm_handle(i: u32) -> MPI_Comm {
    (if i < 2 { BUILTIN | OBJ_COMM | i } else { DIRECT | OBJ_COMM | i }) as i32
}

/// Table index of a request handle; `None` for MPI_REQUEST_NULL.
pub fn request(h: MPI_Request) -> Result<Option<u32>> {
    if h == c::MPI_REQUEST_NULL {
        return Ok(None);
    }
    match split(h) {
        (k, i) if k == DIRECT | OBJ_REQUEST => Ok(Some(i)),
        _ => Err(MpiError::new(c::MPI_ERR_REQUEST, format!("Invalid MPI_Request (handle {h:#x})"))),
    }
}

pub fn request_handle(i: u32) -> MPI_Request {
    (DIRECT | OBJ_REQUEST | i) as i32
}

pub fn errhandler(h: MPI_Errhandler) -> Result<u32> {
    match split(h) {
        (k, i) if k == BUILTIN | OBJ_ERRHANDLER && i < 2 => Ok(i),
        (k, i) if k == DIRECT | OBJ_ERRHANDLER && i >= 2 => Ok(i),
        _ => Err(MpiError::arg(format!("Invalid errhandler (handle {h:#x})"))),
    }
}

pub fn errhandler_handle(i: u32) -> MPI_Errhandler {
    (if i < 2 { BUILTIN | OBJ_ERRHANDLER | i } else { DIRECT | OBJ_ERRHANDLER | i }) as i32
}

/// Table index of a group handle; MPI_GROUP_EMPTY is index 0.
pub fn group(h: MPI_Group) -> Result<u32> {
    if h == c::MPI_GROUP_NULL {
        return Err(MpiError::new(c::MPI_ERR_GROUP, "Null group passed to function"));
    }
    match split(h) {
        (k, 0) if k == BUILTIN | OBJ_GROUP => Ok(0),
        (k, i) if k == DIRECT | OBJ_GROUP && i > 0 => Ok(i),
        _ => Err(MpiError::new(c::MPI_ERR_GROUP, format!("Invalid group (handle {h:#x})"))),
    }
}

pub fn group_handle(i: u32) -> MPI_Group {
    (if i == 0 { BUILTIN | OBJ_GROUP } else { DIRECT | OBJ_GROUP | i }) as i32
}

/// A communicator keyval: one of the predefined keys (kept as its C value) or a created one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyval {
    Predefined(i32),
    User(u32),
}

pub fn keyval(h: i32) -> Result<Keyval> {
    let u = h as u32;
    if u & 0xfc00_0000 == BUILTIN | OBJ_KEYVAL && h != c::MPI_KEYVAL_INVALID {
        return Ok(Keyval::Predefined(h));
    }
    if u & !(INDEX_MASK >> 4) == DIRECT | OBJ_KEYVAL | KEYVAL_FOR_COMM {
        return Ok(Keyval::User(u & (INDEX_MASK >> 4)));
    }
    Err(MpiError::new(c::MPI_ERR_KEYVAL, format!("Invalid keyval (handle {h:#x})")))
}

pub fn keyval_handle(i: u32) -> i32 {
    (DIRECT | OBJ_KEYVAL | KEYVAL_FOR_COMM | i) as i32
}

/// The predefined datatypes: (handle, bytes, alignment of the value part for pair types
/// or 0 for plain ones, name).
const PREDEFINED: &[(MPI_Datatype, usize, usize, &str)] = &[
    (c::MPI_CHAR, 1, 0, "MPI_CHAR"),
    (c::MPI_SIGNED_CHAR, 1, 0, "MPI_SIGNED_CHAR"),
    (c::MPI_UNSIGNED_CHAR, 1, 0, "MPI_UNSIGNED_CHAR"),
    (c::MPI_BYTE, 1, 0, "MPI_BYTE"),
    (c::MPI_WCHAR, 4, 0, "MPI_WCHAR"),
    (c::MPI_SHORT, 2, 0, "MPI_SHORT"),
    (c::MPI_UNSIGNED_SHORT, 2, 0, "MPI_UNSIGNED_SHORT"),
    (c::MPI_INT, 4, 0, "MPI_INT"),
    (c::MPI_UNSIGNED, 4, 0, "MPI_UNSIGNED"),
    (c::MPI_LONG, 8, 0, "MPI_LONG"),
    (c::MPI_UNSIGNED_LONG, 8, 0, "MPI_UNSIGNED_LONG"),
    (c::MPI_FLOAT, 4, 0, "MPI_FLOAT"),
    (c::MPI_DOUBLE, 8, 0, "MPI_DOUBLE"),
    (c::MPI_LONG_DOUBLE, 16, 0, "MPI_LONG_DOUBLE"),
    (c::MPI_LONG_LONG_INT, 8, 0, "MPI_LONG_LONG_INT"),
    (c::MPI_UNSIGNED_LONG_LONG, 8, 0, "MPI_UNSIGNED_LONG_LONG"),
    (c::MPI_PACKED, 1, 0, "MPI_PACKED"),
    (c::MPI_LB, 0, 0, "MPI_LB"),
    (c::MPI_UB, 0, 0, "MPI_UB"),
    (c::MPI_2INT, 8, 0, "MPI_2INT"),
    (c::MPI_COMPLEX, 8, 0, "MPI_COMPLEX"),
    (c::MPI_DOUBLE_COMPLEX, 16, 0, "MPI_DOUBLE_COMPLEX"),
    (c::MPI_LOGICAL, 4, 0, "MPI_LOGICAL"),
    (c::MPI_REAL, 4, 0, "MPI_REAL"),
    (c::MPI_DOUBLE_PRECISION, 8, 0, "MPI_DOUBLE_PRECISION"),
    (c::MPI_INTEGER, 4, 0, "MPI_INTEGER"),
    (c::MPI_2INTEGER, 8, 0, "MPI_2INTEGER"),
    (c::MPI_2REAL, 8, 0, "MPI_2REAL"),
    (c::MPI_2DOUBLE_PRECISION, 16, 0, "MPI_2DOUBLE_PRECISION"),
    (c::MPI_CHARACTER, 1, 0, "MPI_CHARACTER"),
    (c::MPI_REAL4, 4, 0, "MPI_REAL4"),
    (c::MPI_REAL8, 8, 0, "MPI_REAL8"),
    (c::MPI_REAL16, 16, 0, "MPI_REAL16"),
    (c::MPI_COMPLEX8, 8, 0, "MPI_COMPLEX8"),
    (c::MPI_COMPLEX16, 16, 0, "MPI_COMPLEX16"),
    (c::MPI_COMPLEX32, 32, 0, "MPI_COMPLEX32"),
    (c::MPI_INTEGER1, 1, 0, "MPI_INTEGER1"),
    (c::MPI_INTEGER2, 2, 0, "MPI_INTEGER2"),
    (c::MPI_INTEGER4, 4, 0, "MPI_INTEGER4"),
    (c::MPI_INTEGER8, 8, 0, "MPI_INTEGER8"),
    (c::MPI_INT8_T, 1, 0, "MPI_INT8_T"),
    (c::MPI_INT16_T, 2, 0, "MPI_INT16_T"),
    (c::MPI_INT32_T, 4, 0, "MPI_INT32_T"),
    (c::MPI_INT64_T, 8, 0, "MPI_INT64_T"),
    (c::MPI_UINT8_T, 1, 0, "MPI_UINT8_T"),
    (c::MPI_UINT16_T, 2, 0, "MPI_UINT16_T"),
    (c::MPI_UINT32_T, 4, 0, "MPI_UINT32_T"),
    (c::MPI_UINT64_T, 8, 0, "MPI_UINT64_T"),
    (c::MPI_C_BOOL, 1, 0, "MPI_C_BOOL"),
    (c::MPI_C_FLOAT_COMPLEX, 8, 0, "MPI_C_FLOAT_COMPLEX"),
    (c::MPI_C_DOUBLE_COMPLEX, 16, 0, "MPI_C_DOUBLE_COMPLEX"),
    (c::MPI_C_LONG_DOUBLE_COMPLEX, 32, 0, "MPI_C_LONG_DOUBLE_COMPLEX"),
    (c::MPI_AINT, 8, 0, "MPI_AINT"),
    (c::MPI_OFFSET, 8, 0, "MPI_OFFSET"),
    (c::MPI_COUNT, 8, 0, "MPI_COUNT"),
    (c::MPI_CXX_BOOL, 1, 0, "MPI_CXX_BOOL"),
    (c::MPI_CXX_FLOAT_COMPLEX, 8, 0, "MPI_CXX_FLOAT_COMPLEX"),
    (c::MPI_CXX_DOUBLE_COMPLEX, 16, 0, "MPI_CXX_DOUBLE_COMPLEX"),
    (c::MPI_CXX_LONG_DOUBLE_COMPLEX, 32, 0, "MPI_CXX_LONG_DOUBLE_COMPLEX"),
    // struct { T value; int index; } for MINLOC/MAXLOC
    (c::MPI_FLOAT_INT, 4, 4, "MPI_FLOAT_INT"),
    (c::MPI_DOUBLE_INT, 8, 8, "MPI_DOUBLE_INT"),
    (c::MPI_LONG_INT, 8, 8, "MPI_LONG_INT"),
    (c::MPI_SHORT_INT, 2, 2, "MPI_SHORT_INT"),
    (c::MPI_LONG_DOUBLE_INT, 16, 16, "MPI_LONG_DOUBLE_INT"),
];

/// Predefined datatypes by the low byte of their handle: builtin ones (kind bits `01`) in
/// the first half, MPICH's direct pair types in the second. A plain array: looked up on
/// every send and receive.
static PREDEFINED_TYPES: Lazy<Vec<Option<(MPI_Datatype, Arc<Datatype>)>>> = Lazy::new(|| {
    let mut table = vec![None; 512];
    for &(h, size, align, name) in PREDEFINED {
        let t = if h == c::MPI_LB || h == c::MPI_UB {
            Datatype::marker(h == c::MPI_UB, name)
        } else if align == 0 {
            Datatype::contiguous(size, name, h)
        } else {
            Datatype::pair(size, align, name, h)
        };
        table[predefined_slot(h)] = Some((h, Arc::new(t)));
    }
    table
});

#[inline]
const fn predefined_slot(h: MPI_Datatype) -> usize {
    let low = (h as u32 & 0xff) as usize;
    if (h as u32) & DIRECT != 0 { 256 + low } else { low }
}

fn predefined(h: MPI_Datatype) -> Option<&'static Arc<Datatype>> {
    match PREDEFINED_TYPES.get(predefined_slot(h)) {
        Some(Some((known, t))) if *known == h => Some(t),
        _ => None,
    }
}

/// The datatype behind a handle, committed or not: predefined ones, and derived ones from
/// the runtime's table (a freed one is refused).
pub fn datatype(h: MPI_Datatype) -> Result<Arc<Datatype>> {
    if h == c::MPI_DATATYPE_NULL {
        return Err(MpiError::new(c::MPI_ERR_TYPE, "Datatype is MPI_DATATYPE_NULL"));
    }
    if let Some(t) = predefined(h) {
        return Ok(t.clone());
    }
    match split(h) {
        (k, i) if k == DIRECT | OBJ_DATATYPE && i >= types::FIRST_INDEX => types::get(i).ok_or_else(|| {
            MpiError::new(c::MPI_ERR_TYPE, format!("Invalid datatype (handle {h:#x}): it has been freed or never existed"))
        }),
        (k, _) if k == DIRECT | OBJ_DATATYPE || k == BUILTIN | OBJ_DATATYPE => {
            Err(MpiError::new(c::MPI_ERR_TYPE, format!("Invalid datatype (handle {h:#x}): not a known datatype")))
        }
        _ => Err(MpiError::new(c::MPI_ERR_TYPE, format!("Invalid datatype (handle {h:#x})"))),
    }
}

/// A datatype a communication call may use: it must be committed.
pub fn committed_datatype(h: MPI_Datatype) -> Result<Arc<Datatype>> {
    let t = datatype(h)?;
    if !t.committed {
        return Err(MpiError::new(c::MPI_ERR_TYPE, format!("Datatype (handle {h:#x}) has not been committed (call MPI_Type_commit)")));
    }
    Ok(t)
}

/// Table index of a derived datatype handle (`None` for a predefined one).
pub fn derived_index(h: MPI_Datatype) -> Result<Option<u32>> {
    datatype(h)?;
    match split(h) {
        (k, i) if k == DIRECT | OBJ_DATATYPE && i >= types::FIRST_INDEX => Ok(Some(i)),
        _ => Ok(None),
    }
}

pub fn datatype_handle(i: u32) -> MPI_Datatype {
    (DIRECT | OBJ_DATATYPE | i) as i32
}

/// Bytes of one element of a predefined datatype whose elements lie back to back (so
/// `count` of them are `count * size` contiguous bytes); `None` for any other handle.
#[inline]
pub fn dense_predefined_size(h: MPI_Datatype) -> Option<usize> {
    match DENSE_SIZES[predefined_slot(h)] {
        (known, size) if known == h && size > 0 => Some(size as usize),
        _ => None,
    }
}

/// (handle, element bytes) of the plain predefined types by [`predefined_slot`], built at
/// compile time: pair types have padding and the markers no data, so they are left out.
static DENSE_SIZES: [(MPI_Datatype, u8); 512] = {
    let mut table = [(0, 0u8); 512];
    let mut i = 0;
    while i < PREDEFINED.len() {
        let (h, size, align, _) = PREDEFINED[i];
        if align == 0 && size > 0 && h != c::MPI_LB && h != c::MPI_UB {
            table[predefined_slot(h)] = (h, size as u8);
        }
        i += 1;
    }
    table
};

/// Table index of a valid communicator handle, without building an error for others.
#[inline]
pub fn comm_index(h: MPI_Comm) -> Option<u32> {
    match split(h) {
        (k, i) if k == BUILTIN | OBJ_COMM && i < 2 => Some(i),
        (k, i) if k == DIRECT | OBJ_COMM && i >= 2 => Some(i),
        _ => None,
    }
}

/// True for a predefined datatype handle.
pub fn is_predefined_datatype(h: MPI_Datatype) -> bool {
    predefined(h).is_some()
}
