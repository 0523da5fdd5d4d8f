/*
 * A tag below 0 or above MPI_TAG_UB on a send gives MPI_ERR_TAG; MPI_ANY_TAG
 * is only for receives; a receive tag below MPI_ANY_TAG is invalid.  INT_MAX
 * stands for "above MPI_TAG_UB": the attribute cannot be read with the calls
 * this corpus may use, and implementations keep it below INT_MAX (MPICH's is
 * 2^28 - 1).
 */
#include "errtest.h"
#include <limits.h>

int main(int argc, char **argv)
{
    int v = 0, bad[3] = {-1, -1000, INT_MAX};
    MPI_Request req;
    MPI_Status st;

    MPI_Init(&argc, &argv);
    CHECK_RC(MPI_Errhandler_set(MPI_COMM_WORLD, MPI_ERRORS_RETURN), "MPI_Errhandler_set");

    for (int b = 0; b < 3; b++) {
        int t = bad[b];
        CHECK_CLASS(MPI_Send(&v, 1, MPI_INT, 0, t, MPI_COMM_WORLD), MPI_ERR_TAG, "MPI_Send");
        CHECK_CLASS(MPI_Rsend(&v, 1, MPI_INT, 0, t, MPI_COMM_WORLD), MPI_ERR_TAG, "MPI_Rsend");
        CHECK_CLASS(MPI_Isend(&v, 1, MPI_INT, 0, t, MPI_COMM_WORLD, &req), MPI_ERR_TAG,
                    "MPI_Isend");
        CHECK_CLASS(MPI_Issend(&v, 1, MPI_INT, 0, t, MPI_COMM_WORLD, &req), MPI_ERR_TAG,
                    "MPI_Issend");
        CHECK_CLASS(MPI_Bsend_init(&v, 1, MPI_INT, 0, t, MPI_COMM_WORLD, &req), MPI_ERR_TAG,
                    "MPI_Bsend_init");
        CHECK_CLASS(MPI_Sendrecv(&v, 1, MPI_INT, 0, t, &v, 1, MPI_INT, 0, 0, MPI_COMM_WORLD, &st),
                    MPI_ERR_TAG, "MPI_Sendrecv(send tag)");
    }
    /* Receive side: MPI_ANY_TAG is fine, anything else negative is not. */
    CHECK_CLASS(MPI_Recv(&v, 1, MPI_INT, 0, -2, MPI_COMM_WORLD, &st), MPI_ERR_TAG, "MPI_Recv(-2)");
    CHECK_CLASS(MPI_Irecv(&v, 1, MPI_INT, 0, INT_MAX, MPI_COMM_WORLD, &req), MPI_ERR_TAG,
                "MPI_Irecv(INT_MAX)");
    CHECK_CLASS(MPI_Probe(0, -5, MPI_COMM_WORLD, &st), MPI_ERR_TAG, "MPI_Probe(-5)");

    /* The largest guaranteed tag works. */
    {
        int rank, w = -1;
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
        v = 32767;
        CHECK_RC(MPI_Sendrecv(&v, 1, MPI_INT, rank, 32767, &w, 1, MPI_INT, rank, 32767,
                              MPI_COMM_WORLD, &st),
                 "MPI_Sendrecv(tag 32767)");
        CHECK(w == 32767 && st.MPI_TAG == 32767, "tag 32767: value %d tag %d", w, st.MPI_TAG);
    }
    still_works(MPI_COMM_WORLD);
    return mtest_finalize(0);
}
