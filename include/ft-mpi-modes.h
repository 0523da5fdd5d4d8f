/* FT-MPI's header name for the fault-tolerance constants. With ftmpi they are part of mpi.h
   (FTMPI, MPI_INIT_RESTARTED_NODE, FT_MPI_CHECK_RECOVER, FTMPI_COMM_MODE_*, FTMPI_MSG_MODE_*,
   the FT_MPI_* attribute keys and the FTMPI_Comm_* functions); this header keeps FT-MPI
   programs that include it compiling unchanged. */
#ifndef FT_MPI_MODES_H
#define FT_MPI_MODES_H
#include <mpi.h>
#endif
