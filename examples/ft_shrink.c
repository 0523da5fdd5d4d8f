/* A computation that survives the death of ranks by shrinking (SHRINK + NOP): the ranks
 * share out a sum over a range by their current rank and size; when the final
 * MPI_Allreduce returns MPI_ERR_OTHER (a rank died), the survivors repair MPI_COMM_WORLD
 * with MPI_Comm_dup (the dead are removed and the others renumbered in order), share the
 * whole range out again among fewer ranks and start over.
 *
 * Build: mpicc ft_shrink.c -o ft_shrink
 * Run:   mpirun -cm shrink -mm nop -np 4 ./ft_shrink -k 3
 *        (-k R: the process started as rank R dies of SIGKILL before the allreduce) */
#include <mpi.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 20000000LL

static long long term(long long i)
{
    return (i * i) % 1000003;
}

int main(int argc, char **argv)
{
    int rank, size, first_rank, victim = -1, attempt = 0;
    long long local, total = 0, expect = 0;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &first_rank);
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "-k") == 0)
            victim = atoi(argv[i + 1]);
    /* Failure errors return instead of aborting in SHRINK mode; say so explicitly anyway. */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    for (;;) {
        int rc;
        MPI_Comm repaired;

        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
        MPI_Comm_size(MPI_COMM_WORLD, &size);
        local = 0;
        for (long long i = rank * N / size; i < (rank + 1) * N / size; i++)
            local += term(i);
        if (first_rank == victim && attempt == 0) {
            printf("rank %d: dying\n", first_rank);
            fflush(stdout);
            raise(SIGKILL);
        }
        rc = MPI_Allreduce(&local, &total, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
        if (rc == MPI_SUCCESS)
            break;
        if (rc != MPI_ERR_OTHER || attempt > 100) {
            fprintf(stderr, "rank %d: MPI_Allreduce returned %d\n", first_rank, rc);
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
        MPI_Comm_dup(MPI_COMM_WORLD, &repaired);
        MPI_Comm_free(&repaired);
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
        MPI_Comm_size(MPI_COMM_WORLD, &size);
        if (rank == 0)
            printf("a rank failed; continuing with %d ranks\n", size);
        attempt++;
    }
    if (rank == 0) {
        for (long long i = 0; i < N; i++)
            expect += term(i);
        printf("sum %lld over %d ranks after %d recoveries, serial sum %lld: %s\n", total, size,
               attempt, expect, total == expect ? "result matches" : "RESULT DIFFERS");
    }
    MPI_Finalize();
    return 0;
}
