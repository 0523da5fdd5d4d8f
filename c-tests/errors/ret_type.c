/*
 * An invalid datatype gives MPI_ERR_TYPE: MPI_DATATYPE_NULL and a
 * communicator handle passed as the datatype, to sends, receives and
 * MPI_Get_count.
 */
#include "errtest.h"

int main(int argc, char **argv)
{
    int v = 0, x;
    MPI_Datatype bad[2] = {MPI_DATATYPE_NULL, (MPI_Datatype)MPI_COMM_WORLD};
    MPI_Request req;
    MPI_Status st;

    MPI_Init(&argc, &argv);
    CHECK_RC(MPI_Errhandler_set(MPI_COMM_WORLD, MPI_ERRORS_RETURN), "MPI_Errhandler_set");

    for (int b = 0; b < 2; b++) {
        MPI_Datatype t = bad[b];
        CHECK_CLASS(MPI_Send(&v, 1, t, 0, 0, MPI_COMM_WORLD), MPI_ERR_TYPE, "MPI_Send");
        CHECK_CLASS(MPI_Bsend(&v, 1, t, 0, 0, MPI_COMM_WORLD), MPI_ERR_TYPE, "MPI_Bsend");
        CHECK_CLASS(MPI_Recv(&v, 1, t, 0, 0, MPI_COMM_WORLD, &st), MPI_ERR_TYPE, "MPI_Recv");
        CHECK_CLASS(MPI_Isend(&v, 1, t, 0, 0, MPI_COMM_WORLD, &req), MPI_ERR_TYPE, "MPI_Isend");
        CHECK_CLASS(MPI_Irecv(&v, 1, t, 0, 0, MPI_COMM_WORLD, &req), MPI_ERR_TYPE, "MPI_Irecv");
        CHECK_CLASS(MPI_Recv_init(&v, 1, t, 0, 0, MPI_COMM_WORLD, &req), MPI_ERR_TYPE,
                    "MPI_Recv_init");
        CHECK_CLASS(MPI_Sendrecv(&v, 1, t, 0, 0, &x, 1, MPI_INT, 0, 0, MPI_COMM_WORLD, &st),
                    MPI_ERR_TYPE, "MPI_Sendrecv(send type)");
    }
    /* MPI_Get_count with a bad datatype, on a real status. */
    {
        int rank;
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
        MPI_Sendrecv(&v, 1, MPI_INT, rank, 1, &x, 1, MPI_INT, rank, 1, MPI_COMM_WORLD, &st);
        CHECK_CLASS(MPI_Get_count(&st, MPI_DATATYPE_NULL, &x), MPI_ERR_TYPE, "MPI_Get_count");
    }
    still_works(MPI_COMM_WORLD);
    return mtest_finalize(0);
}
