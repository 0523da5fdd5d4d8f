//! ftmpi: a fault-tolerant MPI with MPICH's ABI.

pub mod launcher;
