/*
 * Shared by the errors/ret_*.c programs: after provoking errors with
 * MPI_ERRORS_RETURN set, show that the library still communicates.
 */
#ifndef ERRTEST_H
#define ERRTEST_H

#include "mtest.h"

/* A message around the ring and one to self must still work. */
__attribute__((unused)) static void still_works(MPI_Comm comm)
{
    int rank, size, v, w = -1;
    MPI_Status st;

    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    v = rank * 3 + 1;
    CHECK_RC(MPI_Sendrecv(&v, 1, MPI_INT, (rank + 1) % size, 77, &w, 1, MPI_INT,
                          (rank + size - 1) % size, 77, comm, &st),
             "MPI_Sendrecv after the errors");
    CHECK(w == ((rank + size - 1) % size) * 3 + 1, "MPI_Sendrecv after the errors got %d", w);
}

#endif
