/*
 * A rank outside the communicator gives MPI_ERR_RANK: size, size + 5 and a
 * negative rank that is neither MPI_PROC_NULL nor MPI_ANY_SOURCE, as
 * destination of every send kind, as source of receives and probes, and rank
 * 1 on MPI_COMM_SELF.  MPI_ANY_SOURCE as a send destination is invalid too.
 */
#include "errtest.h"

int main(int argc, char **argv)
{
    int size, v = 0, flag;
    MPI_Request req;
    MPI_Status st;

    MPI_Init(&argc, &argv);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    CHECK_RC(MPI_Errhandler_set(MPI_COMM_WORLD, MPI_ERRORS_RETURN), "MPI_Errhandler_set");
    CHECK_RC(MPI_Errhandler_set(MPI_COMM_SELF, MPI_ERRORS_RETURN), "MPI_Errhandler_set(SELF)");

    {
        int bad[4] = {size, size + 5, -7, MPI_ANY_SOURCE};
        for (int b = 0; b < 4; b++) {
            int r = bad[b];
            CHECK_CLASS(MPI_Send(&v, 1, MPI_INT, r, 0, MPI_COMM_WORLD), MPI_ERR_RANK, "MPI_Send");
            CHECK_CLASS(MPI_Ssend(&v, 1, MPI_INT, r, 0, MPI_COMM_WORLD), MPI_ERR_RANK, "MPI_Ssend");
            CHECK_CLASS(MPI_Rsend(&v, 1, MPI_INT, r, 0, MPI_COMM_WORLD), MPI_ERR_RANK, "MPI_Rsend");
            CHECK_CLASS(MPI_Isend(&v, 1, MPI_INT, r, 0, MPI_COMM_WORLD, &req), MPI_ERR_RANK,
                        "MPI_Isend");
            CHECK_CLASS(MPI_Send_init(&v, 1, MPI_INT, r, 0, MPI_COMM_WORLD, &req), MPI_ERR_RANK,
                        "MPI_Send_init");
            if (r != MPI_ANY_SOURCE) {
                CHECK_CLASS(MPI_Recv(&v, 1, MPI_INT, r, 0, MPI_COMM_WORLD, &st), MPI_ERR_RANK,
                            "MPI_Recv");
                CHECK_CLASS(MPI_Irecv(&v, 1, MPI_INT, r, 0, MPI_COMM_WORLD, &req), MPI_ERR_RANK,
                            "MPI_Irecv");
                CHECK_CLASS(MPI_Probe(r, 0, MPI_COMM_WORLD, &st), MPI_ERR_RANK, "MPI_Probe");
                CHECK_CLASS(MPI_Iprobe(r, 0, MPI_COMM_WORLD, &flag, &st), MPI_ERR_RANK,
                            "MPI_Iprobe");
            }
        }
    }
    CHECK_CLASS(MPI_Send(&v, 1, MPI_INT, 1, 0, MPI_COMM_SELF), MPI_ERR_RANK, "MPI_Send(SELF, 1)");

    still_works(MPI_COMM_WORLD);
    return mtest_finalize(0);
}
