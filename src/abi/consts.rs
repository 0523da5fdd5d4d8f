//! Every constant and predefined handle of the C and Fortran interfaces.
//!
//! Values are MPICH's (`mpich/mpi.h` and `mpif.h` from Debian's `libmpich-dev`, MPICH 4.0), so a
//! program built against MPICH runs on this library without recompiling. Handles carry MPICH's
//! encoding: the object kind sits in bits 26-29 and builtin objects have `01` in bits 30-31.
//!
//! This file is read three ways: the library compiles it, cbindgen turns each item into a
//! `#define` in `mpi.h`, and `build.rs` parses it with syn to write the `PARAMETER`s of
//! `mpif.h`. So every item is `pub const NAME: TYPE = LITERAL;` where the literal is an integer,
//! optionally negated, and TYPE is `c_int` or one of the handle typedefs of `types.rs`. Handle
//! values above `i32::MAX` (MPICH's "direct" pair types) are written in decimal, with the hex in
//! a comment. Names that exist only in Fortran, or that have a different value there (string
//! lengths, the Fortran twins of the predefined keyvals), are tables in `build.rs`.

use super::types::{MPI_Comm, MPI_Datatype, MPI_Errhandler, MPI_Group, MPI_Info, MPI_Op, MPI_Request, MPI_Win};
use core::ffi::c_int;

// ---------------------------------------------------------------------------------------------
// Version

/// The MPI standard version this library implements: MPI-1.2, plus the MPI-2 names that MPI-1
/// codes use (`MPI_Init_thread`, `MPI_Comm_set_name`, `MPI_Get_address`, ...).
pub const MPI_VERSION: c_int = 1;
pub const MPI_SUBVERSION: c_int = 2;
/// Defined so that `#ifdef FTMPI` code paths of FT-MPI programs compile.
pub const FTMPI: c_int = 1;

// ---------------------------------------------------------------------------------------------
// Null handles

pub const MPI_COMM_NULL: MPI_Comm = 0x04000000;
pub const MPI_OP_NULL: MPI_Op = 0x18000000;
pub const MPI_GROUP_NULL: MPI_Group = 0x08000000;
pub const MPI_DATATYPE_NULL: MPI_Datatype = 0x0c000000;
pub const MPI_REQUEST_NULL: MPI_Request = 0x2c000000;
pub const MPI_ERRHANDLER_NULL: MPI_Errhandler = 0x14000000;
pub const MPI_INFO_NULL: MPI_Info = 0x1c000000;
pub const MPI_WIN_NULL: MPI_Win = 0x20000000;

// ---------------------------------------------------------------------------------------------
// Results of MPI_Comm_compare and MPI_Group_compare

pub const MPI_IDENT: c_int = 0;
pub const MPI_CONGRUENT: c_int = 1;
pub const MPI_SIMILAR: c_int = 2;
pub const MPI_UNEQUAL: c_int = 3;

// ---------------------------------------------------------------------------------------------
// Predefined datatypes. The byte size is in bits 8-15 of the handle.

// C types
pub const MPI_CHAR: MPI_Datatype = 0x4c000101;
pub const MPI_SIGNED_CHAR: MPI_Datatype = 0x4c000118;
pub const MPI_UNSIGNED_CHAR: MPI_Datatype = 0x4c000102;
pub const MPI_BYTE: MPI_Datatype = 0x4c00010d;
pub const MPI_WCHAR: MPI_Datatype = 0x4c00040e;
pub const MPI_SHORT: MPI_Datatype = 0x4c000203;
pub const MPI_UNSIGNED_SHORT: MPI_Datatype = 0x4c000204;
pub const MPI_INT: MPI_Datatype = 0x4c000405;
pub const MPI_UNSIGNED: MPI_Datatype = 0x4c000406;
pub const MPI_LONG: MPI_Datatype = 0x4c000807;
pub const MPI_UNSIGNED_LONG: MPI_Datatype = 0x4c000808;
pub const MPI_FLOAT: MPI_Datatype = 0x4c00040a;
pub const MPI_DOUBLE: MPI_Datatype = 0x4c00080b;
pub const MPI_LONG_DOUBLE: MPI_Datatype = 0x4c00100c;
pub const MPI_LONG_LONG_INT: MPI_Datatype = 0x4c000809;
pub const MPI_UNSIGNED_LONG_LONG: MPI_Datatype = 0x4c000819;
pub const MPI_LONG_LONG: MPI_Datatype = 0x4c000809;
pub const MPI_PACKED: MPI_Datatype = 0x4c00010f;
pub const MPI_LB: MPI_Datatype = 0x4c000010;
pub const MPI_UB: MPI_Datatype = 0x4c000011;

// Pair types for MPI_MINLOC and MPI_MAXLOC: struct { T value; int index; }
pub const MPI_FLOAT_INT: MPI_Datatype = -1946157056; // 0x8c000000
pub const MPI_DOUBLE_INT: MPI_Datatype = -1946157055; // 0x8c000001
pub const MPI_LONG_INT: MPI_Datatype = -1946157054; // 0x8c000002
pub const MPI_SHORT_INT: MPI_Datatype = -1946157053; // 0x8c000003
pub const MPI_2INT: MPI_Datatype = 0x4c000816;
pub const MPI_LONG_DOUBLE_INT: MPI_Datatype = -1946157052; // 0x8c000004

// Fortran types
pub const MPI_COMPLEX: MPI_Datatype = 0x4c00081e;
pub const MPI_DOUBLE_COMPLEX: MPI_Datatype = 0x4c001022;
pub const MPI_LOGICAL: MPI_Datatype = 0x4c00041d;
pub const MPI_REAL: MPI_Datatype = 0x4c00041c;
pub const MPI_DOUBLE_PRECISION: MPI_Datatype = 0x4c00081f;
pub const MPI_INTEGER: MPI_Datatype = 0x4c00041b;
pub const MPI_2INTEGER: MPI_Datatype = 0x4c000820;
pub const MPI_2REAL: MPI_Datatype = 0x4c000821;
pub const MPI_2DOUBLE_PRECISION: MPI_Datatype = 0x4c001023;
pub const MPI_CHARACTER: MPI_Datatype = 0x4c00011a;

// Size-specific Fortran types
pub const MPI_REAL4: MPI_Datatype = 0x4c000427;
pub const MPI_REAL8: MPI_Datatype = 0x4c000829;
pub const MPI_REAL16: MPI_Datatype = 0x4c00102b;
pub const MPI_COMPLEX8: MPI_Datatype = 0x4c000828;
pub const MPI_COMPLEX16: MPI_Datatype = 0x4c00102a;
pub const MPI_COMPLEX32: MPI_Datatype = 0x4c00202c;
pub const MPI_INTEGER1: MPI_Datatype = 0x4c00012d;
pub const MPI_INTEGER2: MPI_Datatype = 0x4c00022f;
pub const MPI_INTEGER4: MPI_Datatype = 0x4c000430;
pub const MPI_INTEGER8: MPI_Datatype = 0x4c000831;
/// Not supported, as in MPICH on this platform: it is MPI_DATATYPE_NULL.
pub const MPI_INTEGER16: MPI_Datatype = 0x0c000000;

// C99 fixed-width types
pub const MPI_INT8_T: MPI_Datatype = 0x4c000137;
pub const MPI_INT16_T: MPI_Datatype = 0x4c000238;
pub const MPI_INT32_T: MPI_Datatype = 0x4c000439;
pub const MPI_INT64_T: MPI_Datatype = 0x4c00083a;
pub const MPI_UINT8_T: MPI_Datatype = 0x4c00013b;
pub const MPI_UINT16_T: MPI_Datatype = 0x4c00023c;
pub const MPI_UINT32_T: MPI_Datatype = 0x4c00043d;
pub const MPI_UINT64_T: MPI_Datatype = 0x4c00083e;

// Other C99 types
pub const MPI_C_BOOL: MPI_Datatype = 0x4c00013f;
pub const MPI_C_FLOAT_COMPLEX: MPI_Datatype = 0x4c000840;
pub const MPI_C_COMPLEX: MPI_Datatype = 0x4c000840;
pub const MPI_C_DOUBLE_COMPLEX: MPI_Datatype = 0x4c001041;
pub const MPI_C_LONG_DOUBLE_COMPLEX: MPI_Datatype = 0x4c002042;

// Address, offset and count types
pub const MPI_AINT: MPI_Datatype = 0x4c000843;
pub const MPI_OFFSET: MPI_Datatype = 0x4c000844;
pub const MPI_COUNT: MPI_Datatype = 0x4c000845;

// C++ types
pub const MPI_CXX_BOOL: MPI_Datatype = 0x4c000133;
pub const MPI_CXX_FLOAT_COMPLEX: MPI_Datatype = 0x4c000834;
pub const MPI_CXX_DOUBLE_COMPLEX: MPI_Datatype = 0x4c001035;
pub const MPI_CXX_LONG_DOUBLE_COMPLEX: MPI_Datatype = 0x4c002036;

// Type classes for MPI_Type_match_size
pub const MPI_TYPECLASS_REAL: c_int = 1;
pub const MPI_TYPECLASS_INTEGER: c_int = 2;
pub const MPI_TYPECLASS_COMPLEX: c_int = 3;

// ---------------------------------------------------------------------------------------------
// Communicators and groups

pub const MPI_COMM_WORLD: MPI_Comm = 0x44000000;
pub const MPI_COMM_SELF: MPI_Comm = 0x44000001;
pub const MPI_GROUP_EMPTY: MPI_Group = 0x48000000;

// ---------------------------------------------------------------------------------------------
// Reduction operations

pub const MPI_MAX: MPI_Op = 0x58000001;
pub const MPI_MIN: MPI_Op = 0x58000002;
pub const MPI_SUM: MPI_Op = 0x58000003;
pub const MPI_PROD: MPI_Op = 0x58000004;
pub const MPI_LAND: MPI_Op = 0x58000005;
pub const MPI_BAND: MPI_Op = 0x58000006;
pub const MPI_LOR: MPI_Op = 0x58000007;
pub const MPI_BOR: MPI_Op = 0x58000008;
pub const MPI_LXOR: MPI_Op = 0x58000009;
pub const MPI_BXOR: MPI_Op = 0x5800000a;
pub const MPI_MINLOC: MPI_Op = 0x5800000b;
pub const MPI_MAXLOC: MPI_Op = 0x5800000c;
pub const MPI_REPLACE: MPI_Op = 0x5800000d;
pub const MPI_NO_OP: MPI_Op = 0x5800000e;

// ---------------------------------------------------------------------------------------------
// Error handlers

pub const MPI_ERRORS_ARE_FATAL: MPI_Errhandler = 0x54000000;
pub const MPI_ERRORS_RETURN: MPI_Errhandler = 0x54000001;

// ---------------------------------------------------------------------------------------------
// Info

pub const MPI_INFO_ENV: MPI_Info = 0x5c000001;
pub const MPI_MAX_INFO_KEY: c_int = 255;
pub const MPI_MAX_INFO_VAL: c_int = 1024;

// ---------------------------------------------------------------------------------------------
// Attribute keys. Predefined keys are odd in C; the Fortran key is the C key plus one (MPICH's
// rule, so MPI_Attr_get knows to hand Fortran the value rather than a pointer to it).

pub const MPI_KEYVAL_INVALID: c_int = 0x24000000;
pub const MPI_TAG_UB: c_int = 0x64400001;
pub const MPI_HOST: c_int = 0x64400003;
pub const MPI_IO: c_int = 0x64400005;
pub const MPI_WTIME_IS_GLOBAL: c_int = 0x64400007;
pub const MPI_UNIVERSE_SIZE: c_int = 0x64400009;
pub const MPI_LASTUSEDCODE: c_int = 0x6440000b;
pub const MPI_APPNUM: c_int = 0x6440000d;

// ---------------------------------------------------------------------------------------------
// String lengths (C: buffer sizes including the NUL; Fortran gets one less, see build.rs)

pub const MPI_MAX_PROCESSOR_NAME: c_int = 128;
pub const MPI_MAX_LIBRARY_VERSION_STRING: c_int = 8192;
pub const MPI_MAX_ERROR_STRING: c_int = 512;
pub const MPI_MAX_PORT_NAME: c_int = 256;
pub const MPI_MAX_OBJECT_NAME: c_int = 128;

// ---------------------------------------------------------------------------------------------
// A Fortran status is an INTEGER array laid out as MPI_Status; these index it from C (0-based).
// Fortran's own MPI_STATUS_SIZE, MPI_SOURCE, MPI_TAG and MPI_ERROR (1-based) are in build.rs.

pub const MPI_F_STATUS_SIZE: c_int = 5;
pub const MPI_F_SOURCE: c_int = 2;
pub const MPI_F_TAG: c_int = 3;
pub const MPI_F_ERROR: c_int = 4;

// ---------------------------------------------------------------------------------------------
// Ranks, tags and other special values

pub const MPI_UNDEFINED: c_int = -32766;
pub const MPI_PROC_NULL: c_int = -1;
pub const MPI_ANY_SOURCE: c_int = -2;
pub const MPI_ROOT: c_int = -3;
pub const MPI_ANY_TAG: c_int = -1;
/// Upper bound on the bookkeeping per message in an MPI_Buffer_attach buffer. 96 is MPICH's
/// value; programs size their buffers with it, so the library must never need more.
pub const MPI_BSEND_OVERHEAD: c_int = 96;

// Topology kinds (MPI_Topo_test)
pub const MPI_GRAPH: c_int = 1;
pub const MPI_CART: c_int = 2;
pub const MPI_DIST_GRAPH: c_int = 3;

// Thread support levels
pub const MPI_THREAD_SINGLE: c_int = 0;
pub const MPI_THREAD_FUNNELED: c_int = 1;
pub const MPI_THREAD_SERIALIZED: c_int = 2;
pub const MPI_THREAD_MULTIPLE: c_int = 3;

// Datatype combiners (MPI_Type_get_envelope)
pub const MPI_COMBINER_NAMED: c_int = 1;
pub const MPI_COMBINER_DUP: c_int = 2;
pub const MPI_COMBINER_CONTIGUOUS: c_int = 3;
pub const MPI_COMBINER_VECTOR: c_int = 4;
pub const MPI_COMBINER_HVECTOR_INTEGER: c_int = 5;
pub const MPI_COMBINER_HVECTOR: c_int = 6;
pub const MPI_COMBINER_INDEXED: c_int = 7;
pub const MPI_COMBINER_HINDEXED_INTEGER: c_int = 8;
pub const MPI_COMBINER_HINDEXED: c_int = 9;
pub const MPI_COMBINER_INDEXED_BLOCK: c_int = 10;
pub const MPI_COMBINER_STRUCT_INTEGER: c_int = 11;
pub const MPI_COMBINER_STRUCT: c_int = 12;
pub const MPI_COMBINER_SUBARRAY: c_int = 13;
pub const MPI_COMBINER_DARRAY: c_int = 14;
pub const MPI_COMBINER_F90_REAL: c_int = 15;
pub const MPI_COMBINER_F90_COMPLEX: c_int = 16;
pub const MPI_COMBINER_F90_INTEGER: c_int = 17;
pub const MPI_COMBINER_RESIZED: c_int = 18;
pub const MPI_COMBINER_HINDEXED_BLOCK: c_int = 19;

// Array orders and distributions (MPI_Type_create_subarray, MPI_Type_create_darray)
pub const MPI_ORDER_C: c_int = 56;
pub const MPI_ORDER_FORTRAN: c_int = 57;
pub const MPI_DISTRIBUTE_BLOCK: c_int = 121;
pub const MPI_DISTRIBUTE_CYCLIC: c_int = 122;
pub const MPI_DISTRIBUTE_NONE: c_int = 123;
pub const MPI_DISTRIBUTE_DFLT_DARG: c_int = -49767;

// ---------------------------------------------------------------------------------------------
// Error classes

pub const MPI_SUCCESS: c_int = 0;
pub const MPI_ERR_BUFFER: c_int = 1;
pub const MPI_ERR_COUNT: c_int = 2;
pub const MPI_ERR_TYPE: c_int = 3;
pub const MPI_ERR_TAG: c_int = 4;
pub const MPI_ERR_COMM: c_int = 5;
pub const MPI_ERR_RANK: c_int = 6;
pub const MPI_ERR_ROOT: c_int = 7;
pub const MPI_ERR_GROUP: c_int = 8;
pub const MPI_ERR_OP: c_int = 9;
pub const MPI_ERR_TOPOLOGY: c_int = 10;
pub const MPI_ERR_DIMS: c_int = 11;
pub const MPI_ERR_ARG: c_int = 12;
pub const MPI_ERR_UNKNOWN: c_int = 13;
pub const MPI_ERR_TRUNCATE: c_int = 14;
pub const MPI_ERR_OTHER: c_int = 15;
pub const MPI_ERR_INTERN: c_int = 16;
pub const MPI_ERR_IN_STATUS: c_int = 17;
pub const MPI_ERR_PENDING: c_int = 18;
pub const MPI_ERR_REQUEST: c_int = 19;
pub const MPI_ERR_ACCESS: c_int = 20;
pub const MPI_ERR_AMODE: c_int = 21;
pub const MPI_ERR_BAD_FILE: c_int = 22;
pub const MPI_ERR_CONVERSION: c_int = 23;
pub const MPI_ERR_DUP_DATAREP: c_int = 24;
pub const MPI_ERR_FILE_EXISTS: c_int = 25;
pub const MPI_ERR_FILE_IN_USE: c_int = 26;
pub const MPI_ERR_FILE: c_int = 27;
pub const MPI_ERR_INFO: c_int = 28;
pub const MPI_ERR_INFO_KEY: c_int = 29;
pub const MPI_ERR_INFO_VALUE: c_int = 30;
pub const MPI_ERR_INFO_NOKEY: c_int = 31;
pub const MPI_ERR_IO: c_int = 32;
pub const MPI_ERR_NAME: c_int = 33;
pub const MPI_ERR_NO_MEM: c_int = 34;
pub const MPI_ERR_NOT_SAME: c_int = 35;
pub const MPI_ERR_NO_SPACE: c_int = 36;
pub const MPI_ERR_NO_SUCH_FILE: c_int = 37;
pub const MPI_ERR_PORT: c_int = 38;
pub const MPI_ERR_QUOTA: c_int = 39;
pub const MPI_ERR_READ_ONLY: c_int = 40;
pub const MPI_ERR_SERVICE: c_int = 41;
pub const MPI_ERR_SPAWN: c_int = 42;
pub const MPI_ERR_UNSUPPORTED_DATAREP: c_int = 43;
pub const MPI_ERR_UNSUPPORTED_OPERATION: c_int = 44;
pub const MPI_ERR_WIN: c_int = 45;
pub const MPI_ERR_BASE: c_int = 46;
pub const MPI_ERR_LOCKTYPE: c_int = 47;
pub const MPI_ERR_KEYVAL: c_int = 48;
pub const MPI_ERR_RMA_CONFLICT: c_int = 49;
pub const MPI_ERR_RMA_SYNC: c_int = 50;
pub const MPI_ERR_SIZE: c_int = 51;
pub const MPI_ERR_DISP: c_int = 52;
pub const MPI_ERR_ASSERT: c_int = 53;
pub const MPI_ERR_RMA_RANGE: c_int = 55;
pub const MPI_ERR_RMA_ATTACH: c_int = 56;
pub const MPI_ERR_RMA_SHARED: c_int = 57;
pub const MPI_ERR_RMA_FLAVOR: c_int = 58;
pub const MPI_ERR_SESSION: c_int = 75;
pub const MPI_ERR_PROC_ABORTED: c_int = 76;
pub const MPI_ERR_VALUE_TOO_LARGE: c_int = 77;
/// Largest error code (not class) the library hands out; MPICH's value.
pub const MPI_ERR_LASTCODE: c_int = 0x3fffffff;
/// The ULFM classes, with MPICH's numbers, for the ULFM front end on the same engine.
pub const MPIX_ERR_PROC_FAILED: c_int = 101;
pub const MPIX_ERR_PROC_FAILED_PENDING: c_int = 102;
pub const MPIX_ERR_REVOKED: c_int = 103;

// ---------------------------------------------------------------------------------------------
// FT-MPI extensions (FT-SEMANTICS.md). The names used by FT-MPI programs are kept
// (MPI_INIT_RESTARTED_NODE, FT_MPI_CHECK_RECOVER, the FT_MPI_* attribute keys); the values are
// ours, chosen clear of MPICH's.

/// Returned by MPI_Init in a respawned process. Above MPI_ERR_LASTCODE, so never an error code.
pub const MPI_INIT_RESTARTED_NODE: c_int = 0x40000001;
/// Put in `*newcomm` before MPI_Comm_dup to make the dup a recovery even if this process has
/// not yet seen the failure. A builtin communicator handle that names no communicator.
pub const FT_MPI_CHECK_RECOVER: MPI_Comm = 0x440000ff;

// Communicator modes
pub const FTMPI_COMM_MODE_ABORT: c_int = 0;
pub const FTMPI_COMM_MODE_BLANK: c_int = 1;
pub const FTMPI_COMM_MODE_SHRINK: c_int = 2;
pub const FTMPI_COMM_MODE_REBUILD: c_int = 3;
// Message modes, with their aliases
pub const FTMPI_MSG_MODE_NOP: c_int = 0;
pub const FTMPI_MSG_MODE_RESET: c_int = 0;
pub const FTMPI_MSG_MODE_NOOP: c_int = 0;
pub const FTMPI_MSG_MODE_CONT: c_int = 1;
pub const FTMPI_MSG_MODE_CONTINUE: c_int = 1;
// Communicator states (value of the FTMPI_COMM_STATE attribute)
pub const FTMPI_STATE_OK: c_int = 0;
pub const FTMPI_STATE_DETECTED: c_int = 1;
pub const FTMPI_STATE_RECOVER: c_int = 2;
pub const FTMPI_STATE_RECOVERED: c_int = 3;
pub const FTMPI_STATE_FAILED: c_int = 4;

// Predefined attribute keys on every communicator; C keys are odd, Fortran adds one, as for
// MPI_TAG_UB.
pub const FT_MPI_COM_NUM_FAILED: c_int = 0x64400021;
pub const FT_MPI_COM_FAILED: c_int = 0x64400023;
pub const FT_MPI_LIST_NUM_FAILED: c_int = 0x64400025;
pub const FT_MPI_LIST_FAILED: c_int = 0x64400027;
pub const FTMPI_COMM_MODE: c_int = 0x64400029;
pub const FTMPI_MSG_MODE: c_int = 0x6440002b;
pub const FTMPI_COMM_STATE: c_int = 0x6440002d;
pub const FTMPI_COLL_MODE: c_int = 0x6440002f;
