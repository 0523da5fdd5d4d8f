//! Error classes and errors with a specific message.

use crate::abi::consts as c;
use std::fmt;

/// An MPI error: the class (MPICH's number) and what exactly went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MpiError {
    pub class: i32,
    pub detail: String,
}

pub type Result<T> = std::result::Result<T, MpiError>;

impl MpiError {
    pub fn new(class: i32, detail: impl Into<String>) -> MpiError {
        MpiError { class, detail: detail.into() }
    }
    pub fn other(detail: impl Into<String>) -> MpiError {
        MpiError::new(c::MPI_ERR_OTHER, detail)
    }
    pub fn intern(detail: impl Into<String>) -> MpiError {
        MpiError::new(c::MPI_ERR_INTERN, detail)
    }
    pub fn arg(detail: impl Into<String>) -> MpiError {
        MpiError::new(c::MPI_ERR_ARG, detail)
    }
}

impl fmt::Display for MpiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", class_name(self.class), self.detail)
    }
}

/// (class, name, generic text), MPICH's wording where it has one.
const CLASSES: &[(i32, &str, &str)] = &[
    (c::MPI_SUCCESS, "MPI_SUCCESS", "No MPI error"),
    (c::MPI_ERR_BUFFER, "MPI_ERR_BUFFER", "Invalid buffer pointer"),
    (c::MPI_ERR_COUNT, "MPI_ERR_COUNT", "Invalid count"),
    (c::MPI_ERR_TYPE, "MPI_ERR_TYPE", "Invalid datatype"),
    (c::MPI_ERR_TAG, "MPI_ERR_TAG", "Invalid tag"),
    (c::MPI_ERR_COMM, "MPI_ERR_COMM", "Invalid communicator"),
    (c::MPI_ERR_RANK, "MPI_ERR_RANK", "Invalid rank"),
    (c::MPI_ERR_ROOT, "MPI_ERR_ROOT", "Invalid root"),
    (c::MPI_ERR_GROUP, "MPI_ERR_GROUP", "Invalid group"),
    (c::MPI_ERR_OP, "MPI_ERR_OP", "Invalid MPI_Op"),
    (c::MPI_ERR_TOPOLOGY, "MPI_ERR_TOPOLOGY", "Invalid topology"),
    (c::MPI_ERR_DIMS, "MPI_ERR_DIMS", "Invalid dimension argument"),
    (c::MPI_ERR_ARG, "MPI_ERR_ARG", "Invalid argument"),
    (c::MPI_ERR_UNKNOWN, "MPI_ERR_UNKNOWN", "Unknown error"),
    (c::MPI_ERR_TRUNCATE, "MPI_ERR_TRUNCATE", "Message truncated"),
    (c::MPI_ERR_OTHER, "MPI_ERR_OTHER", "Other MPI error"),
    (c::MPI_ERR_INTERN, "MPI_ERR_INTERN", "Internal MPI error"),
    (c::MPI_ERR_IN_STATUS, "MPI_ERR_IN_STATUS", "See the MPI_ERROR field in MPI_Status for the error code"),
    (c::MPI_ERR_PENDING, "MPI_ERR_PENDING", "Pending request (no error)"),
    (c::MPI_ERR_REQUEST, "MPI_ERR_REQUEST", "Invalid MPI_Request"),
    (c::MPI_ERR_ACCESS, "MPI_ERR_ACCESS", "Access denied"),
    (c::MPI_ERR_AMODE, "MPI_ERR_AMODE", "Invalid amode value"),
    (c::MPI_ERR_BAD_FILE, "MPI_ERR_BAD_FILE", "Invalid file name"),
    (c::MPI_ERR_CONVERSION, "MPI_ERR_CONVERSION", "An error occurred in a user-supplied data conversion function"),
    (c::MPI_ERR_DUP_DATAREP, "MPI_ERR_DUP_DATAREP", "Data representation already defined"),
    (c::MPI_ERR_FILE_EXISTS, "MPI_ERR_FILE_EXISTS", "File exists"),
    (c::MPI_ERR_FILE_IN_USE, "MPI_ERR_FILE_IN_USE", "File in use"),
    (c::MPI_ERR_FILE, "MPI_ERR_FILE", "Invalid MPI_File"),
    (c::MPI_ERR_INFO, "MPI_ERR_INFO", "Invalid MPI_Info"),
    (c::MPI_ERR_INFO_KEY, "MPI_ERR_INFO_KEY", "Invalid key for MPI_Info"),
    (c::MPI_ERR_INFO_VALUE, "MPI_ERR_INFO_VALUE", "Invalid MPI_Info value"),
    (c::MPI_ERR_INFO_NOKEY, "MPI_ERR_INFO_NOKEY", "MPI_Info key is not defined"),
    (c::MPI_ERR_IO, "MPI_ERR_IO", "Other I/O error"),
    (c::MPI_ERR_NAME, "MPI_ERR_NAME", "Invalid service name"),
    (c::MPI_ERR_NO_MEM, "MPI_ERR_NO_MEM", "Memory allocation failed"),
    (c::MPI_ERR_NOT_SAME, "MPI_ERR_NOT_SAME", "Collective argument not identical on all processes"),
    (c::MPI_ERR_NO_SPACE, "MPI_ERR_NO_SPACE", "Not enough space"),
    (c::MPI_ERR_NO_SUCH_FILE, "MPI_ERR_NO_SUCH_FILE", "File does not exist"),
    (c::MPI_ERR_PORT, "MPI_ERR_PORT", "Invalid port"),
    (c::MPI_ERR_QUOTA, "MPI_ERR_QUOTA", "Quota exceeded"),
    (c::MPI_ERR_READ_ONLY, "MPI_ERR_READ_ONLY", "Read-only file or filesystem name"),
    (c::MPI_ERR_SERVICE, "MPI_ERR_SERVICE", "Invalid service name"),
    (c::MPI_ERR_SPAWN, "MPI_ERR_SPAWN", "Error in spawn call"),
    (c::MPI_ERR_UNSUPPORTED_DATAREP, "MPI_ERR_UNSUPPORTED_DATAREP", "Unsupported datarep"),
    (c::MPI_ERR_UNSUPPORTED_OPERATION, "MPI_ERR_UNSUPPORTED_OPERATION", "Unsupported operation"),
    (c::MPI_ERR_WIN, "MPI_ERR_WIN", "Invalid MPI_Win"),
    (c::MPI_ERR_BASE, "MPI_ERR_BASE", "Invalid base address"),
    (c::MPI_ERR_LOCKTYPE, "MPI_ERR_LOCKTYPE", "Invalid lock type"),
    (c::MPI_ERR_KEYVAL, "MPI_ERR_KEYVAL", "Invalid keyval"),
    (c::MPI_ERR_RMA_CONFLICT, "MPI_ERR_RMA_CONFLICT", "Conflicting accesses to window"),
    (c::MPI_ERR_RMA_SYNC, "MPI_ERR_RMA_SYNC", "Wrong synchronization of RMA calls"),
    (c::MPI_ERR_SIZE, "MPI_ERR_SIZE", "Invalid size"),
    (c::MPI_ERR_DISP, "MPI_ERR_DISP", "Invalid displacement"),
    (c::MPI_ERR_ASSERT, "MPI_ERR_ASSERT", "Invalid assert"),
    (c::MPI_ERR_RMA_RANGE, "MPI_ERR_RMA_RANGE", "Target memory is not part of the window"),
    (c::MPI_ERR_RMA_ATTACH, "MPI_ERR_RMA_ATTACH", "Memory cannot be attached"),
    (c::MPI_ERR_RMA_SHARED, "MPI_ERR_RMA_SHARED", "Memory cannot be shared"),
    (c::MPI_ERR_RMA_FLAVOR, "MPI_ERR_RMA_FLAVOR", "Passed window has incorrect flavor"),
    (c::MPI_ERR_SESSION, "MPI_ERR_SESSION", "Invalid session"),
    (c::MPI_ERR_PROC_ABORTED, "MPI_ERR_PROC_ABORTED", "Process aborted"),
    (c::MPI_ERR_VALUE_TOO_LARGE, "MPI_ERR_VALUE_TOO_LARGE", "Value is too large to store"),
];

fn lookup(class: i32) -> Option<&'static (i32, &'static str, &'static str)> {
    CLASSES.iter().find(|e| e.0 == class)
}

/// True for a number that is an error class of this library.
pub fn is_class(class: i32) -> bool {
    lookup(class).is_some()
}

/// `MPI_ERR_RANK` for 6.
pub fn class_name(class: i32) -> &'static str {
    lookup(class).map(|e| e.1).unwrap_or("MPI_ERR_UNKNOWN")
}

/// The generic text of a class.
pub fn class_text(class: i32) -> &'static str {
    lookup(class).map(|e| e.2).unwrap_or("Unknown error class")
}
