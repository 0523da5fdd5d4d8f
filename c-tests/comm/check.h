/* A small check helper for the group, comm and topo tests: count failures, report them with
 * the rank and line, and print " No Errors" once at the end. */
#ifndef FTMPI_CHECK_H
#define FTMPI_CHECK_H

#include <mpi.h>
#include <stdio.h>

static int check_errs = 0;

#define CHECK(cond, ...)                                                     \
    do {                                                                     \
        if (!(cond)) {                                                       \
            int check_rank_;                                                 \
            MPI_Comm_rank(MPI_COMM_WORLD, &check_rank_);                     \
            fprintf(stderr, "[%d] %s:%d: check failed: %s: ", check_rank_,   \
                    __FILE__, __LINE__, #cond);                              \
            fprintf(stderr, __VA_ARGS__);                                    \
            fprintf(stderr, "\n");                                           \
            check_errs++;                                                    \
        }                                                                    \
    } while (0)

/* Sums the failures over MPI_COMM_WORLD at rank 0 (with point-to-point messages only, so the
 * tests need no collectives but the barrier), prints " No Errors" there when there are none,
 * finalizes, and returns the exit status. */
static int check_finalize(void)
{
    int total = check_errs, rank, size, i, e;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (rank == 0) {
        for (i = 1; i < size; i++) {
            MPI_Recv(&e, 1, MPI_INT, i, 999, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            total += e;
        }
    } else {
        MPI_Send(&check_errs, 1, MPI_INT, 0, 999, MPI_COMM_WORLD);
    }
    if (rank == 0) {
        if (total == 0)
            printf(" No Errors\n");
        else
            printf(" Found %d errors\n", total);
        fflush(stdout);
    }
    MPI_Finalize();
    return total != 0;
}

#endif
