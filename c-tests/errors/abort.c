/*
 * MPI_Abort(MPI_COMM_WORLD, 3) from rank 1 (rank 0 when alone) while the
 * other ranks block in MPI_Recv for a message that never comes: the job ends
 * and mpirun exits with code 3.
 */
#include <mpi.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    int rank, size, v = 0;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == (size > 1 ? 1 : 0)) {
        MPI_Abort(MPI_COMM_WORLD, 3);
        printf("rank %d: MPI_Abort returned\n", rank);
    } else {
        MPI_Recv(&v, 1, MPI_INT, MPI_ANY_SOURCE, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        printf("rank %d: MPI_Recv returned\n", rank);
    }
    fflush(stdout);
    MPI_Finalize();
    return 0;
}
