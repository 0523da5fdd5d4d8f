/*
 * Rank 1 dies of SIGKILL after a barrier while the others block in MPI_Recv
 * for a message it would have sent: the job must end (mpirun exits with
 * 128 + 9) and leave no process behind.
 */
#include <mpi.h>
#include <signal.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    int rank, size, v = 0;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 1 || size == 1) {
        raise(SIGKILL);
    } else {
        MPI_Recv(&v, 1, MPI_INT, 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        printf("rank %d: MPI_Recv returned\n", rank);
    }
    fflush(stdout);
    MPI_Finalize();
    return 0;
}
