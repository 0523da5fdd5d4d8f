/*
 * An invalid communicator handle gives MPI_ERR_COMM: a datatype handle
 * (MPI_INT) passed as the communicator, and MPI_COMM_NULL, to point-to-point
 * calls, MPI_Barrier, MPI_Comm_rank/size and MPI_Comm_dup.  The error goes to
 * MPI_COMM_WORLD's handler, here MPI_ERRORS_RETURN.
 */
#include "errtest.h"

int main(int argc, char **argv)
{
    int v = 0, x = -1;
    MPI_Comm bad[2] = {(MPI_Comm)MPI_INT, MPI_COMM_NULL}, out;
    MPI_Request req;
    MPI_Status st;

    MPI_Init(&argc, &argv);
    CHECK_RC(MPI_Errhandler_set(MPI_COMM_WORLD, MPI_ERRORS_RETURN), "MPI_Errhandler_set");

    for (int b = 0; b < 2; b++) {
        MPI_Comm c = bad[b];
        CHECK_CLASS(MPI_Send(&v, 1, MPI_INT, 0, 0, c), MPI_ERR_COMM, "MPI_Send");
        CHECK_CLASS(MPI_Ssend(&v, 1, MPI_INT, 0, 0, c), MPI_ERR_COMM, "MPI_Ssend");
        CHECK_CLASS(MPI_Recv(&v, 1, MPI_INT, 0, 0, c, &st), MPI_ERR_COMM, "MPI_Recv");
        CHECK_CLASS(MPI_Isend(&v, 1, MPI_INT, 0, 0, c, &req), MPI_ERR_COMM, "MPI_Isend");
        CHECK_CLASS(MPI_Irecv(&v, 1, MPI_INT, 0, 0, c, &req), MPI_ERR_COMM, "MPI_Irecv");
        CHECK_CLASS(MPI_Send_init(&v, 1, MPI_INT, 0, 0, c, &req), MPI_ERR_COMM, "MPI_Send_init");
        CHECK_CLASS(MPI_Probe(0, 0, c, &st), MPI_ERR_COMM, "MPI_Probe");
        CHECK_CLASS(MPI_Iprobe(0, 0, c, &x, &st), MPI_ERR_COMM, "MPI_Iprobe");
        CHECK_CLASS(MPI_Sendrecv(&v, 1, MPI_INT, 0, 0, &x, 1, MPI_INT, 0, 0, c, &st),
                    MPI_ERR_COMM, "MPI_Sendrecv");
        CHECK_CLASS(MPI_Barrier(c), MPI_ERR_COMM, "MPI_Barrier");
        CHECK_CLASS(MPI_Comm_rank(c, &x), MPI_ERR_COMM, "MPI_Comm_rank");
        CHECK_CLASS(MPI_Comm_size(c, &x), MPI_ERR_COMM, "MPI_Comm_size");
        CHECK_CLASS(MPI_Comm_dup(c, &out), MPI_ERR_COMM, "MPI_Comm_dup");
    }
    still_works(MPI_COMM_WORLD);
    return mtest_finalize(0);
}
