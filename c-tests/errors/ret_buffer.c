/*
 * A NULL buffer with a positive count gives MPI_ERR_BUFFER for sends and
 * receives of a basic datatype; a NULL buffer with count 0 is fine.  A
 * buffered send that does not fit in the attached buffer fails with
 * MPI_ERR_BUFFER too, and one that fits then still works.
 */
#include "errtest.h"

int main(int argc, char **argv)
{
    int rank;
    MPI_Request req;
    MPI_Status st;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    CHECK_RC(MPI_Errhandler_set(MPI_COMM_WORLD, MPI_ERRORS_RETURN), "MPI_Errhandler_set");

    CHECK_CLASS(MPI_Send(NULL, 1, MPI_INT, rank, 0, MPI_COMM_WORLD), MPI_ERR_BUFFER, "MPI_Send");
    CHECK_CLASS(MPI_Ssend(NULL, 4, MPI_DOUBLE, rank, 0, MPI_COMM_WORLD), MPI_ERR_BUFFER,
                "MPI_Ssend");
    CHECK_CLASS(MPI_Isend(NULL, 1, MPI_INT, rank, 0, MPI_COMM_WORLD, &req), MPI_ERR_BUFFER,
                "MPI_Isend");
    CHECK_CLASS(MPI_Recv(NULL, 1, MPI_INT, rank, 0, MPI_COMM_WORLD, &st), MPI_ERR_BUFFER,
                "MPI_Recv");
    CHECK_CLASS(MPI_Irecv(NULL, 2, MPI_CHAR, rank, 0, MPI_COMM_WORLD, &req), MPI_ERR_BUFFER,
                "MPI_Irecv");

    /* Count 0 with NULL is a valid empty message. */
    CHECK_RC(MPI_Sendrecv(NULL, 0, MPI_INT, rank, 1, NULL, 0, MPI_INT, rank, 1, MPI_COMM_WORLD,
                          &st),
             "MPI_Sendrecv(NULL, 0)");

    /* Bsend larger than the attached buffer. */
    {
        int bsize = 100 + MPI_BSEND_OVERHEAD, big[100], small = 5, got = 0;
        void *b = malloc((size_t)bsize), *d;
        for (int i = 0; i < 100; i++)
            big[i] = i;
        CHECK_CLASS(MPI_Bsend(&small, 1, MPI_INT, rank, 2, MPI_COMM_WORLD), MPI_ERR_BUFFER,
                    "MPI_Bsend without an attached buffer");
        MPI_Buffer_attach(b, bsize);
        CHECK_CLASS(MPI_Bsend(big, 100, MPI_INT, rank, 2, MPI_COMM_WORLD), MPI_ERR_BUFFER,
                    "MPI_Bsend beyond the attached buffer");
        CHECK_RC(MPI_Bsend(&small, 1, MPI_INT, rank, 3, MPI_COMM_WORLD), "MPI_Bsend that fits");
        MPI_Recv(&got, 1, MPI_INT, rank, 3, MPI_COMM_WORLD, &st);
        CHECK(got == 5, "bsend that fits delivered %d", got);
        MPI_Buffer_detach(&d, &bsize);
        free(d);
    }
    still_works(MPI_COMM_WORLD);
    return mtest_finalize(0);
}
