/*
 * Checks for the datatype tests: CHECK(cond, fmt, ...) counts a failure and says where, and
 * dt_finish() gathers the counts on rank 0 with point-to-point calls only (so the tests need
 * no collectives), prints " No Errors" there if all ranks passed, and gives the exit status.
 */
#ifndef DTCHECK_H
#define DTCHECK_H

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int dt_errs = 0;

#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            int dt_rank_;                                                                  \
            MPI_Comm_rank(MPI_COMM_WORLD, &dt_rank_);                                      \
            dt_errs++;                                                                     \
            fprintf(stderr, "[%d] %s:%d: check failed: %s: ", dt_rank_, __FILE__, __LINE__, \
                    #cond);                                                                \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fprintf(stderr, "\n");                                                         \
        }                                                                                  \
    } while (0)

/* Tag reserved for dt_finish. */
#define DT_TAG_DONE 32000

/* Collects the failure counts, finalizes MPI and returns the exit status for main. */
static int dt_finish(void)
{
    int rank, size, total = dt_errs;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (rank == 0) {
        for (int r = 1; r < size; r++) {
            int e = 0;
            MPI_Recv(&e, 1, MPI_INT, r, DT_TAG_DONE, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            total += e;
        }
        if (total == 0)
            printf(" No Errors\n");
        else
            printf(" Found %d errors\n", total);
        fflush(stdout);
    } else {
        MPI_Send(&dt_errs, 1, MPI_INT, 0, DT_TAG_DONE, MPI_COMM_WORLD);
    }
    MPI_Finalize();
    return (rank == 0 ? total : dt_errs) ? 1 : 0;
}

/* True when the library is ftmpi: some checks cover behaviour the standard leaves open
 * (using a freed handle), which MPICH does not detect. */
static inline int dt_is_ftmpi(void)
{
    char v[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    MPI_Get_library_version(v, &len);
    return strstr(v, "ftmpi") != NULL;
}

#endif
