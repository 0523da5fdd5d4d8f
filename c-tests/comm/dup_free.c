/*
 * MPI_Comm_dup and MPI_Comm_free: a duplicate has the same size and ranks but
 * its own message space, so a message sent on one communicator is never
 * received on another, even with wildcards and equal tags.  Duplicates of
 * duplicates and of MPI_COMM_SELF work; freeing sets the handle to
 * MPI_COMM_NULL; many dup/free cycles (which recycle context ids) keep
 * messages apart; a communicator may be freed with a message still pending
 * for it, which is then delivered.
 */
#include "mtest.h"

#define CYCLES 200

int main(int argc, char **argv)
{
    int rank, size, left, right, r2 = -1, s2 = -1;
    MPI_Comm dup, dup2, self_dup;
    MPI_Status st;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    left = (rank + size - 1) % size;
    right = (rank + 1) % size;

    CHECK_RC(MPI_Comm_dup(MPI_COMM_WORLD, &dup), "MPI_Comm_dup");
    CHECK(dup != MPI_COMM_NULL && dup != MPI_COMM_WORLD, "dup handle %#x", (unsigned)dup);
    MPI_Comm_rank(dup, &r2);
    MPI_Comm_size(dup, &s2);
    CHECK(r2 == rank && s2 == size, "dup: rank %d size %d", r2, s2);

    /* Same tag on WORLD and dup: the receive on dup, posted first, gets the dup message. */
    {
        int a = rank * 10 + 1, b = rank * 10 + 2, ga = -1, gb = -1;
        MPI_Request sreq[2], rreq[2];
        MPI_Irecv(&gb, 1, MPI_INT, MPI_ANY_SOURCE, MPI_ANY_TAG, dup, &rreq[1]);
        MPI_Barrier(MPI_COMM_WORLD);
        MPI_Isend(&a, 1, MPI_INT, right, 0, MPI_COMM_WORLD, &sreq[0]);
        MPI_Isend(&b, 1, MPI_INT, right, 0, dup, &sreq[1]);
        MPI_Irecv(&ga, 1, MPI_INT, left, 0, MPI_COMM_WORLD, &rreq[0]);
        MPI_Waitall(2, rreq, MPI_STATUSES_IGNORE);
        MPI_Waitall(2, sreq, MPI_STATUSES_IGNORE);
        CHECK(ga == left * 10 + 1, "WORLD receive got %d", ga);
        CHECK(gb == left * 10 + 2, "dup receive got %d", gb);
    }

    /* A duplicate of the duplicate, and of MPI_COMM_SELF. */
    CHECK_RC(MPI_Comm_dup(dup, &dup2), "MPI_Comm_dup(dup)");
    CHECK_RC(MPI_Comm_dup(MPI_COMM_SELF, &self_dup), "MPI_Comm_dup(SELF)");
    MPI_Comm_rank(self_dup, &r2);
    MPI_Comm_size(self_dup, &s2);
    CHECK(r2 == 0 && s2 == 1, "dup of SELF: rank %d size %d", r2, s2);
    {
        int x = 5, y = 6, gx = 0, gy = 0;
        MPI_Request reqs[2];
        MPI_Isend(&x, 1, MPI_INT, 0, 1, self_dup, &reqs[0]);
        MPI_Isend(&y, 1, MPI_INT, 0, 1, MPI_COMM_SELF, &reqs[1]);
        MPI_Recv(&gy, 1, MPI_INT, 0, 1, MPI_COMM_SELF, MPI_STATUS_IGNORE);
        MPI_Recv(&gx, 1, MPI_INT, 0, 1, self_dup, MPI_STATUS_IGNORE);
        MPI_Waitall(2, reqs, MPI_STATUSES_IGNORE);
        CHECK(gx == 5 && gy == 6, "SELF and its dup mixed messages: %d %d", gx, gy);
    }
    {
        int v = -1;
        MPI_Sendrecv(&rank, 1, MPI_INT, right, 3, &v, 1, MPI_INT, left, 3, dup2, &st);
        CHECK(v == left && st.MPI_SOURCE == left, "dup of dup: got %d from %d", v, st.MPI_SOURCE);
    }

    /* Operations pending on a communicator complete normally after it is freed. */
    {
        int v = rank + 500, w = -1;
        MPI_Request reqs[2];
        MPI_Irecv(&w, 1, MPI_INT, left, 4, dup2, &reqs[0]);
        MPI_Isend(&v, 1, MPI_INT, right, 4, dup2, &reqs[1]);
        CHECK_RC(MPI_Comm_free(&dup2), "MPI_Comm_free(dup2) with pending operations");
        CHECK_RC(MPI_Waitall(2, reqs, MPI_STATUSES_IGNORE), "MPI_Waitall after MPI_Comm_free");
        CHECK(w == left + 500, "message on the freed communicator: %d", w);
    }
    CHECK(dup2 == MPI_COMM_NULL, "MPI_Comm_free left %#x", (unsigned)dup2);
    CHECK_RC(MPI_Comm_free(&self_dup), "MPI_Comm_free(self_dup)");
    CHECK(self_dup == MPI_COMM_NULL, "MPI_Comm_free left %#x", (unsigned)self_dup);

    /* Many cycles; a message sent on each generation must arrive on that one only. */
    for (int c = 0; c < CYCLES; c++) {
        MPI_Comm tmp;
        int v = c * 1000 + rank, w = -1;
        MPI_Request req;
        CHECK_RC(MPI_Comm_dup(dup, &tmp), "MPI_Comm_dup(cycle)");
        MPI_Isend(&v, 1, MPI_INT, right, 0, tmp, &req);
        MPI_Recv(&w, 1, MPI_INT, MPI_ANY_SOURCE, MPI_ANY_TAG, tmp, &st);
        MPI_Wait(&req, MPI_STATUS_IGNORE);
        if (w != c * 1000 + left) {
            CHECK(0, "cycle %d: got %d", c, w);
            MPI_Comm_free(&tmp);
            break;
        }
        CHECK_RC(MPI_Comm_free(&tmp), "MPI_Comm_free(cycle)");
    }

    CHECK_RC(MPI_Comm_free(&dup), "MPI_Comm_free(dup)");
    CHECK(dup == MPI_COMM_NULL, "MPI_Comm_free left %#x", (unsigned)dup);
    return mtest_finalize(0);
}
