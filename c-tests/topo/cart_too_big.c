/* MPI_Cart_create with more processes than the communicator has, under the default
 * MPI_ERRORS_ARE_FATAL: the job ends with MPI_ERR_ARG reported, and no crash. */
#include <mpi.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    int size, dims[2], periods[2] = {0, 0};
    MPI_Comm cart;

    MPI_Init(&argc, &argv);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    dims[0] = size;
    dims[1] = 2;
    MPI_Cart_create(MPI_COMM_WORLD, 2, dims, periods, 0, &cart);
    printf("MPI_Cart_create returned\n");
    MPI_Finalize();
    return 0;
}
