/*
 * MPI_ERRORS_ARE_FATAL set again after MPI_ERRORS_RETURN: the first bad call
 * returns its code, the second, with the fatal handler back, ends the job
 * with a non-zero exit.  The other ranks wait in MPI_Recv meanwhile.
 */
#include <mpi.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    int rank, size, v = 0, rc;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (rank == 0) {
        MPI_Errhandler_set(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
        rc = MPI_Send(&v, -1, MPI_INT, 0, 0, MPI_COMM_WORLD);
        printf("with MPI_ERRORS_RETURN the bad send returned %s\n",
               rc == MPI_SUCCESS ? "MPI_SUCCESS (wrong)" : "an error");
        fflush(stdout);
        MPI_Errhandler_set(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
        MPI_Send(&v, -1, MPI_INT, 0, 0, MPI_COMM_WORLD);
        printf("rank 0: the fatal send returned\n");
    } else {
        MPI_Recv(&v, 1, MPI_INT, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        printf("rank %d: MPI_Recv returned\n", rank);
    }
    fflush(stdout);
    MPI_Finalize();
    return 0;
}
