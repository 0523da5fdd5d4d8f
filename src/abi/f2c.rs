//! Handle conversion between C and Fortran. Handles are MPICH's ints on both sides, so every
//! conversion is the identity. MPICH's `mpi.h` makes them macros; they are also functions here
//! so programs that take their address, or call them from other languages, link.

use super::types::{MPI_Comm, MPI_Datatype, MPI_Errhandler, MPI_Fint, MPI_Group, MPI_Op, MPI_Request};

/// The C communicator of a Fortran handle.
///
/// fortran: none
#[unsafe(no_mangle)]
pub extern "C" fn MPI_Comm_f2c(comm: MPI_Fint) -> MPI_Comm {
    comm
}

/// The Fortran handle of a C communicator.
///
/// fortran: none
#[unsafe(no_mangle)]
pub extern "C" fn MPI_Comm_c2f(comm: MPI_Comm) -> MPI_Fint {
    comm
}

/// The C group of a Fortran handle.
///
/// fortran: none
#[unsafe(no_mangle)]
pub extern "C" fn MPI_Group_f2c(group: MPI_Fint) -> MPI_Group {
    group
}

/// The Fortran handle of a C group.
///
/// fortran: none
#[unsafe(no_mangle)]
pub extern "C" fn MPI_Group_c2f(group: MPI_Group) -> MPI_Fint {
    group
}

/// The C datatype of a Fortran handle.
///
/// fortran: none
#[unsafe(no_mangle)]
pub extern "C" fn MPI_Type_f2c(datatype: MPI_Fint) -> MPI_Datatype {
    datatype
}

/// The Fortran handle of a C datatype.
///
/// fortran: none
#[unsafe(no_mangle)]
pub extern "C" fn MPI_Type_c2f(datatype: MPI_Datatype) -> MPI_Fint {
    datatype
}

/// The C operation of a Fortran handle.
///
/// fortran: none
#[unsafe(no_mangle)]
pub extern "C" fn MPI_Op_f2c(op: MPI_Fint) -> MPI_Op {
    op
}

/// The Fortran handle of a C operation.
///
/// fortran: none
#[unsafe(no_mangle)]
pub extern "C" fn MPI_Op_c2f(op: MPI_Op) -> MPI_Fint {
    op
}

/// The C request of a Fortran handle.
///
/// fortran: none
#[unsafe(no_mangle)]
pub extern "C" fn MPI_Request_f2c(request: MPI_Fint) -> MPI_Request {
    request
}

/// The Fortran handle of a C request.
///
/// fortran: none
#[unsafe(no_mangle)]
pub extern "C" fn MPI_Request_c2f(request: MPI_Request) -> MPI_Fint {
    request
}

/// The C error handler of a Fortran handle.
///
/// fortran: none
#[unsafe(no_mangle)]
pub extern "C" fn MPI_Errhandler_f2c(errhandler: MPI_Fint) -> MPI_Errhandler {
    errhandler
}

/// The Fortran handle of a C error handler.
///
/// fortran: none
#[unsafe(no_mangle)]
pub extern "C" fn MPI_Errhandler_c2f(errhandler: MPI_Errhandler) -> MPI_Fint {
    errhandler
}

include!(concat!(env!("OUT_DIR"), "/abi_gen/f2c.rs"));
