/*
 * Startup cost: the smallest complete MPI program. bench/run times the wall clock of the
 * launcher running it (`mpirun -np N ./hello`), which is what a user waits for: launching,
 * wiring up the ranks, and tearing the job down.
 */
#include <mpi.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    int rank;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0)
        printf("hello\n");
    MPI_Finalize();
    return 0;
}
