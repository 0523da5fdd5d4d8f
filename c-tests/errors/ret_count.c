/* A negative count gives MPI_ERR_COUNT, for sends, receives and persistent requests. */
#include "errtest.h"

int main(int argc, char **argv)
{
    int v[4] = {0, 0, 0, 0};
    MPI_Request req;
    MPI_Status st;

    MPI_Init(&argc, &argv);
    CHECK_RC(MPI_Errhandler_set(MPI_COMM_WORLD, MPI_ERRORS_RETURN), "MPI_Errhandler_set");

    CHECK_CLASS(MPI_Send(v, -1, MPI_INT, 0, 0, MPI_COMM_WORLD), MPI_ERR_COUNT, "MPI_Send");
    CHECK_CLASS(MPI_Bsend(v, -2, MPI_INT, 0, 0, MPI_COMM_WORLD), MPI_ERR_COUNT, "MPI_Bsend");
    CHECK_CLASS(MPI_Recv(v, -1, MPI_INT, 0, 0, MPI_COMM_WORLD, &st), MPI_ERR_COUNT, "MPI_Recv");
    CHECK_CLASS(MPI_Isend(v, -100, MPI_INT, 0, 0, MPI_COMM_WORLD, &req), MPI_ERR_COUNT,
                "MPI_Isend");
    CHECK_CLASS(MPI_Irecv(v, -1, MPI_INT, 0, 0, MPI_COMM_WORLD, &req), MPI_ERR_COUNT, "MPI_Irecv");
    CHECK_CLASS(MPI_Ssend_init(v, -1, MPI_INT, 0, 0, MPI_COMM_WORLD, &req), MPI_ERR_COUNT,
                "MPI_Ssend_init");
    CHECK_CLASS(MPI_Sendrecv(v, 1, MPI_INT, 0, 0, v, -1, MPI_INT, 0, 0, MPI_COMM_WORLD, &st),
                MPI_ERR_COUNT, "MPI_Sendrecv(receive count)");
    CHECK_CLASS(MPI_Sendrecv_replace(v, -3, MPI_INT, 0, 0, 0, 0, MPI_COMM_WORLD, &st),
                MPI_ERR_COUNT, "MPI_Sendrecv_replace");

    still_works(MPI_COMM_WORLD);
    return mtest_finalize(0);
}
