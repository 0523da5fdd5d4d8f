/*
 * MPI_Cancel of receives.  Receives posted for messages that are only sent
 * after a barrier (so nothing can match them before the cancel) are
 * cancelled, completed with MPI_Wait/MPI_Test and must report
 * MPI_Test_cancelled true; they must not take the message that is sent
 * later, which a new receive gets.  A receive that completed normally
 * reports MPI_Test_cancelled false.  A started persistent receive can be
 * cancelled and started again.
 */
#include "mtest.h"

int main(int argc, char **argv)
{
    int rank, size, left, right, flag, w, vs[2];
    MPI_Request sreqs[2];
    MPI_Request req;
    MPI_Status st;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    left = (rank + size - 1) % size;
    right = (rank + 1) % size;

    /* Cancel, complete with MPI_Wait. */
    w = -1;
    MPI_Irecv(&w, 1, MPI_INT, left, 5, MPI_COMM_WORLD, &req);
    CHECK_RC(MPI_Cancel(&req), "MPI_Cancel");
    CHECK(req != MPI_REQUEST_NULL, "MPI_Cancel freed the request");
    CHECK_RC(MPI_Wait(&req, &st), "MPI_Wait(cancelled)");
    CHECK(req == MPI_REQUEST_NULL, "cancelled request not freed by MPI_Wait");
    flag = 0;
    CHECK_RC(MPI_Test_cancelled(&st, &flag), "MPI_Test_cancelled");
    CHECK(flag, "receive not reported cancelled");
    CHECK(w == -1, "cancelled receive wrote %d", w);

    /* Cancel with ANY_SOURCE/ANY_TAG, complete with MPI_Test. */
    MPI_Irecv(&w, 1, MPI_INT, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &req);
    CHECK_RC(MPI_Cancel(&req), "MPI_Cancel(any)");
    flag = 0;
    while (!flag)
        CHECK_RC(MPI_Test(&req, &flag, &st), "MPI_Test(cancelled)");
    CHECK(req == MPI_REQUEST_NULL, "cancelled request not freed by MPI_Test");
    flag = 0;
    MPI_Test_cancelled(&st, &flag);
    CHECK(flag, "wildcard receive not reported cancelled");

    /* A persistent receive, started and cancelled. */
    {
        MPI_Request p;
        int pv = -1;
        MPI_Recv_init(&pv, 1, MPI_INT, left, 6, MPI_COMM_WORLD, &p);
        MPI_Start(&p);
        CHECK_RC(MPI_Cancel(&p), "MPI_Cancel(persistent)");
        MPI_Wait(&p, &st);
        flag = 0;
        MPI_Test_cancelled(&st, &flag);
        CHECK(flag, "persistent receive not reported cancelled");
        CHECK(p != MPI_REQUEST_NULL, "persistent request freed by MPI_Wait");

        /* Nothing was sent yet; now the neighbours send tags 5 and 6. */
        MPI_Barrier(MPI_COMM_WORLD);
        vs[0] = rank * 10 + 1;
        vs[1] = rank * 10 + 2;
        MPI_Isend(&vs[0], 1, MPI_INT, right, 5, MPI_COMM_WORLD, &sreqs[0]);
        MPI_Isend(&vs[1], 1, MPI_INT, right, 6, MPI_COMM_WORLD, &sreqs[1]);

        MPI_Start(&p);
        MPI_Wait(&p, &st);
        CHECK(pv == left * 10 + 2, "restarted persistent receive got %d", pv);
        flag = 1;
        MPI_Test_cancelled(&st, &flag);
        CHECK(!flag, "completed persistent receive reported cancelled");
        MPI_Request_free(&p);
    }

    w = -1;
    MPI_Recv(&w, 1, MPI_INT, left, 5, MPI_COMM_WORLD, &st);
    CHECK(w == left * 10 + 1, "message after the cancelled receives: %d", w);
    flag = 1;
    CHECK_RC(MPI_Test_cancelled(&st, &flag), "MPI_Test_cancelled(completed)");
    CHECK(!flag, "completed receive reported cancelled");
    MPI_Waitall(2, sreqs, MPI_STATUSES_IGNORE);

    return mtest_finalize(0);
}
