/*
 * An MPI call after MPI_Finalize is an error that ends the program with a
 * message naming the call (MPI_Send).
 */
#include <mpi.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    int v = 0;

    MPI_Init(&argc, &argv);
    MPI_Finalize();
    printf("finalized\n");
    fflush(stdout);
    MPI_Send(&v, 1, MPI_INT, 0, 0, MPI_COMM_WORLD);
    printf("MPI_Send after MPI_Finalize returned\n");
    return 0;
}
