//! Failure state and recovery rules, without I/O (`FT-SEMANTICS.md` is the contract).
//!
//! `runtime` feeds this module the failure events `mpirun` broadcasts and the outcomes of
//! recovery agreements; it answers what a communicator looks like afterwards (who is a gap,
//! who was renumbered) and what an operation on it must return. Nothing here knows about
//! sockets or shared memory, so the rules are unit-tested in-process.
#![forbid(unsafe_code)]

pub mod modes;
pub mod state;
