//! Bytes between world ranks.
//!
//! # Contract
//! - A transport moves *frames* (a 64-byte [`wire::Header`] and an optional payload) from one
//!   world rank to another, in order per pair. It knows nothing of communicators, matching or
//!   requests: `runtime` decides what to send and `core` what it means.
//! - Start-up: every rank creates its inbound endpoint (for shared memory, a segment holding
//!   one ring per sender) *before* it registers with the launcher, and publishes an opaque
//!   endpoint blob. After the fence every peer's endpoint can be opened.
//! - Progress is polled by the runtime (`runtime::progress`); no transport thread touches MPI
//!   state. A transport reports whether a poll did anything, which spin-then-block needs.
//! - Blocking: all inbound traffic of a rank rings one doorbell (a futex word in its own
//!   segment); a waiting rank sleeps on it after a short spin, and anything that must wake a
//!   rank (a frame, a control event) rings it.
//! - Untrusted input: every header is validated by [`wire::Header::decode`] before it is
//!   obeyed; a bad frame is reported to the runtime, never trusted.
//!
//! - Per peer: shared memory within a host; between hosts (or with `FTMPI_TRANSPORT=tcp`) the
//!   [`tcp`] bridge, which feeds the same rings from sockets.
//!
//! `unsafe` lives only in [`userbuf`] (user memory) and [`shm`] (mapped memory, futexes,
//! process_vm_readv).
#![deny(unsafe_op_in_unsafe_fn)]

pub mod shm;
pub mod tcp;
pub mod userbuf;
pub mod wire;
