//! MPI semantics in safe Rust: error classes, datatypes as runs of bytes, communicators and
//! context ids, and message matching. No I/O, clocks, threads or libc here, so all of it can
//! be tested in-process.
//!
//! Error-class numbers come from `abi::consts`, the one table of ABI values (a leaf module of
//! plain literals), so they are written down once.
#![forbid(unsafe_code)]

pub mod comm;
pub mod datatype;
pub mod error;
pub mod group;
pub mod idhash;
pub mod matching;
pub mod op;
pub mod topo;
