/*
 * With the default MPI_ERRORS_ARE_FATAL, a send to a rank that does not exist
 * ends the whole job: the last rank sends to rank `size` while the others
 * wait in MPI_Recv for a message that never comes.  The testlist expects a
 * non-zero exit and MPI_Send named on stderr.  Never prints " No Errors".
 */
#include <mpi.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    int rank, size, v = 0;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (rank == size - 1) {
        MPI_Send(&v, 1, MPI_INT, size, 0, MPI_COMM_WORLD);
        printf("rank %d: MPI_Send to rank %d returned\n", rank, size);
    } else {
        MPI_Recv(&v, 1, MPI_INT, size - 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        printf("rank %d: MPI_Recv returned\n", rank);
    }
    fflush(stdout);
    MPI_Finalize();
    return 0;
}
