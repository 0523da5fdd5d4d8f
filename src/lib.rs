//! ftmpi: a fault-tolerant MPI with MPICH's ABI.
//!
//! Layers, top to bottom: `abi` (the C and Fortran entry points), `runtime` (the driver in
//! each rank), `core` (MPI semantics, no I/O), `transport` (bytes between ranks). `launcher`
//! is `mpirun`; `wrappers` are `mpicc` and friends; `auth` is the job key and its handshake.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

pub mod abi;
pub mod auth;
pub mod core;
pub mod ft;
pub mod launcher;
pub mod runtime;
pub mod transport;
pub mod wrappers;
