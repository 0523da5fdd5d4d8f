//! mpirun (placeholder: the protocol only).
#![forbid(unsafe_code)]
pub mod proto;
