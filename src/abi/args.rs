//! Checks by parameter kind, with MPICH's wording.

use std::ffi::c_int;

use super::consts as c;
use crate::core::error::{MpiError, Result};

/// Largest tag (the value of the MPI_TAG_UB attribute): 2^30 - 1, far above the standard's
/// minimum of 32767, with room below `i32::MAX` so overflowing tag arithmetic is caught.
pub const TAG_UB: c_int = (1 << 30) - 1;

pub fn count(n: c_int) -> Result<usize> {
    if n < 0 {
        return Err(MpiError::new(c::MPI_ERR_COUNT, format!("Negative count, value is {n}")));
    }
    Ok(n as usize)
}

pub fn send_tag(tag: c_int) -> Result<()> {
    if !(0..=TAG_UB).contains(&tag) {
        return Err(MpiError::new(c::MPI_ERR_TAG, format!("Invalid tag, value is {tag}")));
    }
    Ok(())
}

pub fn recv_tag(tag: c_int) -> Result<()> {
    if tag == c::MPI_ANY_TAG {
        return Ok(());
    }
    send_tag(tag)
}

/// A destination rank: `0..size` or MPI_PROC_NULL.
pub fn dest(rank: c_int, size: u32) -> Result<()> {
    if rank == c::MPI_PROC_NULL || (rank >= 0 && (rank as u32) < size) {
        return Ok(());
    }
    Err(MpiError::new(c::MPI_ERR_RANK, format!("Invalid rank has value {rank} but must be nonnegative and less than {size}")))
}

/// A source rank: also MPI_ANY_SOURCE.
pub fn source(rank: c_int, size: u32) -> Result<()> {
    if rank == c::MPI_ANY_SOURCE {
        return Ok(());
    }
    dest(rank, size)
}

/// A NULL buffer with data to move is an error for predefined types; derived types may
/// address memory absolutely from MPI_BOTTOM (NULL).
pub fn buffer(buf: *const std::ffi::c_void, count: usize, datatype: c_int) -> Result<()> {
    if buf.is_null() && count > 0 && super::handle::is_predefined_datatype(datatype) {
        let size = super::handle::datatype(datatype).map(|t| t.size()).unwrap_or(1);
        if size > 0 {
            return Err(MpiError::new(c::MPI_ERR_BUFFER, "Null buffer pointer"));
        }
    }
    Ok(())
}

/// A pointer argument the function writes to.
pub fn out_ptr<T>(p: *mut T, what: &str) -> Result<()> {
    if p.is_null() {
        return Err(MpiError::arg(format!("Null pointer in parameter {what}")));
    }
    Ok(())
}

/// A communicator for a collective operation: MPI-1.2 defines none on intercommunicators.
pub fn intracomm(inter: bool, comm: std::ffi::c_int) -> Result<()> {
    if inter {
        return Err(MpiError::new(
            c::MPI_ERR_COMM,
            format!("Invalid communicator: communicator {comm:#x} is an intercommunicator; collective operations on intercommunicators are not supported"),
        ));
    }
    Ok(())
}
