/*
 * MPI-1.2 defines no collective operation on an intercommunicator, and ftmpi implements
 * none: each collective called on one returns MPI_ERR_COMM through the error handler, at
 * once and on every member, and the intercommunicator still carries point-to-point
 * messages afterwards. Needs 2 or more processes (the halves are the even and odd ranks).
 */
#include "errtest.h"

int main(int argc, char **argv)
{
    int wrank, wsize, even, r, rn, i;
    int a[64], b[64], counts[64], displs[64];
    MPI_Comm local, inter;
    MPI_Status st;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &wrank);
    MPI_Comm_size(MPI_COMM_WORLD, &wsize);
    if (wsize < 2 || wsize > 64) {
        if (wrank == 0)
            printf("ret_intercomm needs 2 to 64 processes\n");
        return mtest_finalize(0);
    }
    CHECK_RC(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN), "set_errhandler");
    even = wrank % 2 == 0;
    MPI_Comm_split(MPI_COMM_WORLD, !even, wrank, &local);
    CHECK_RC(MPI_Intercomm_create(local, 0, MPI_COMM_WORLD, even ? 1 : 0, 5, &inter),
             "MPI_Intercomm_create");
    MPI_Comm_set_errhandler(inter, MPI_ERRORS_RETURN);
    MPI_Comm_rank(inter, &r);
    MPI_Comm_remote_size(inter, &rn);
    for (i = 0; i < 64; i++) {
        a[i] = i;
        counts[i] = 1;
        displs[i] = i;
    }

    CHECK_CLASS(MPI_Barrier(inter), MPI_ERR_COMM, "MPI_Barrier");
    CHECK_CLASS(MPI_Bcast(a, 1, MPI_INT, 0, inter), MPI_ERR_COMM, "MPI_Bcast");
    CHECK_CLASS(MPI_Reduce(a, b, 1, MPI_INT, MPI_SUM, 0, inter), MPI_ERR_COMM, "MPI_Reduce");
    CHECK_CLASS(MPI_Allreduce(a, b, 1, MPI_INT, MPI_SUM, inter), MPI_ERR_COMM, "MPI_Allreduce");
    CHECK_CLASS(MPI_Gather(a, 1, MPI_INT, b, 1, MPI_INT, 0, inter), MPI_ERR_COMM, "MPI_Gather");
    CHECK_CLASS(MPI_Gatherv(a, 1, MPI_INT, b, counts, displs, MPI_INT, 0, inter), MPI_ERR_COMM,
                "MPI_Gatherv");
    CHECK_CLASS(MPI_Scatter(a, 1, MPI_INT, b, 1, MPI_INT, 0, inter), MPI_ERR_COMM, "MPI_Scatter");
    CHECK_CLASS(MPI_Scatterv(a, counts, displs, MPI_INT, b, 1, MPI_INT, 0, inter), MPI_ERR_COMM,
                "MPI_Scatterv");
    CHECK_CLASS(MPI_Allgather(a, 1, MPI_INT, b, 1, MPI_INT, inter), MPI_ERR_COMM, "MPI_Allgather");
    CHECK_CLASS(MPI_Allgatherv(a, 1, MPI_INT, b, counts, displs, MPI_INT, inter), MPI_ERR_COMM,
                "MPI_Allgatherv");
    CHECK_CLASS(MPI_Alltoall(a, 1, MPI_INT, b, 1, MPI_INT, inter), MPI_ERR_COMM, "MPI_Alltoall");
    CHECK_CLASS(MPI_Alltoallv(a, counts, displs, MPI_INT, b, counts, displs, MPI_INT, inter),
                MPI_ERR_COMM, "MPI_Alltoallv");
    CHECK_CLASS(MPI_Reduce_scatter(a, b, counts, MPI_INT, MPI_SUM, inter), MPI_ERR_COMM,
                "MPI_Reduce_scatter");
    CHECK_CLASS(MPI_Scan(a, b, 1, MPI_INT, MPI_SUM, inter), MPI_ERR_COMM, "MPI_Scan");

    /* The message names the problem. */
    {
        char text[MPI_MAX_ERROR_STRING];
        int len = 0;
        MPI_Error_string(MPI_Barrier(inter), text, &len);
        CHECK(strstr(text, "intercommunicator") != NULL, "MPI_Barrier's error text: %s", text);
    }

    /* Point-to-point on the intercommunicator still works: each member sends to remote
     * rank r % rn, so remote member i sends to local rank i % (local size). */
    {
        int lsize, mine = 0, v = wrank;
        MPI_Request req;
        MPI_Comm_size(inter, &lsize);
        for (i = 0; i < rn; i++)
            if (i % lsize == r)
                mine++;
        CHECK_RC(MPI_Isend(&v, 1, MPI_INT, r % rn, 9, inter, &req), "MPI_Isend on the intercomm");
        for (i = 0; i < mine; i++) {
            CHECK_RC(MPI_Recv(&v, 1, MPI_INT, MPI_ANY_SOURCE, 9, inter, &st), "MPI_Recv on the intercomm");
            CHECK(v % 2 != wrank % 2, "a message from my own half: %d", v);
        }
        CHECK_RC(MPI_Wait(&req, &st), "MPI_Wait");
    }
    MPI_Comm_free(&inter);
    MPI_Comm_free(&local);
    still_works(MPI_COMM_WORLD);
    return mtest_finalize(0);
}
