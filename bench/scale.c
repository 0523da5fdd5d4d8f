/*
 * Scale: many ranks on few cores. `scale barrier` runs 100 MPI_Barrier calls, `scale
 * allreduce` 100 MPI_Allreduce of one double (checked every time); bench/run times the
 * wall clock of the whole launch at 64 ranks, next to bench/hello.c. With more ranks than
 * cores this measures how waiting ranks behave: those that spin starve the rank that holds
 * the data.
 */
#include <mpi.h>
#include <stdio.h>
#include <string.h>

#define CALLS 100

int main(int argc, char **argv)
{
    int rank, size, bad = 0;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int allreduce = argc > 1 && strcmp(argv[1], "allreduce") == 0;
    for (int i = 0; i < CALLS; i++) {
        if (allreduce) {
            double x = rank + i, sum = 0;
            MPI_Allreduce(&x, &sum, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
            bad += sum != (double)size * i + (double)size * (size - 1) / 2.0;
        } else {
            MPI_Barrier(MPI_COMM_WORLD);
        }
    }
    if (bad)
        fprintf(stderr, "scale: rank %d saw %d wrong sums\n", rank, bad);
    else if (rank == 0)
        printf("scale %s %d ranks ok\n", allreduce ? "allreduce" : "barrier", size);
    MPI_Finalize();
    return bad != 0;
}
