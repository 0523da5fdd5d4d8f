/*
 * An MPI call before MPI_Init is an error that ends the program with a
 * message naming the call (MPI_Send); MPI_Initialized and MPI_Get_version
 * are the calls allowed that early.
 */
#include <mpi.h>
#include <stdio.h>

int main(void)
{
    int v = 0, flag = 1;

    MPI_Initialized(&flag);
    printf("MPI_Initialized before MPI_Init: %d\n", flag);
    fflush(stdout);
    MPI_Send(&v, 1, MPI_INT, 0, 0, MPI_COMM_WORLD);
    printf("MPI_Send before MPI_Init returned\n");
    return 0;
}
