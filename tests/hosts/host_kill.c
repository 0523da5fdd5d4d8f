/* A whole host dies (the test kills its daemon and ranks). Ranks are placed one per host in
 * turn on three hosts, so the victim host 1 runs ranks 1, 4, ...  After a barrier, rank 0
 * prints "ready"; the victims wait for a message that never comes and the others wait for
 * one from rank 1, which fails when the host is lost.  Survivors repair MPI_COMM_WORLD with
 * MPI_Comm_dup (SHRINK: fewer ranks; REBUILD: the lost ranks respawned elsewhere, which start
 * over and join the recovery), check the size given as the first argument with an
 * allreduce, and each prints its rank and host. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    int rank, size, v, rc, one = 1, sum = 0, expect = argc > 1 ? atoi(argv[1]) : 0;
    const char *host = getenv("FTMPI_HOST");
    MPI_Comm repaired;

    rc = MPI_Init(&argc, &argv);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (rc != MPI_INIT_RESTARTED_NODE) {
        MPI_Barrier(MPI_COMM_WORLD);
        if (rank == 0) {
            printf("ready\n");
            fflush(stdout);
        }
        if (rank % 3 == 1)
            MPI_Recv(&v, 1, MPI_INT, 0, 99, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        rc = MPI_Recv(&v, 1, MPI_INT, 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (rc == MPI_SUCCESS) {
            fprintf(stderr, "rank %d: the receive from rank 1 succeeded\n", rank);
            MPI_Abort(MPI_COMM_WORLD, 3);
        }
    }
    if (MPI_Comm_dup(MPI_COMM_WORLD, &repaired) != MPI_SUCCESS) {
        fprintf(stderr, "rank %d: recovery failed\n", rank);
        MPI_Abort(MPI_COMM_WORLD, 4);
    }
    MPI_Comm_rank(repaired, &rank);
    MPI_Comm_size(repaired, &size);
    MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, repaired);
    printf("after: rank %d of %d on host %s sum %d%s\n", rank, size, host ? host : "?", sum,
           size == expect && sum == expect ? "" : " WRONG");
    MPI_Comm_free(&repaired);
    MPI_Finalize();
    return 0;
}
