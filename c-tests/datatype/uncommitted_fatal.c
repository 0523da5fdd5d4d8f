/*
 * Under the default handler (MPI_ERRORS_ARE_FATAL), sending with an uncommitted datatype
 * ends the job with an MPI_ERR_TYPE message rather than a crash or a hang; the other rank is
 * waiting for the message meanwhile. Expected to fail: the testlist says how.
 */
#include <mpi.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    int rank, buf[4] = {0};
    MPI_Datatype t;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Type_vector(2, 1, 2, MPI_INT, &t);
    if (rank == 0)
        MPI_Send(buf, 1, t, 1, 0, MPI_COMM_WORLD);
    else if (rank == 1)
        MPI_Recv(buf, 2, MPI_INT, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    printf("rank %d: the uncommitted send did not end the job\n", rank);
    MPI_Finalize();
    return 0;
}
