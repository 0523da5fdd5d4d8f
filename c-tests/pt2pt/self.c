/*
 * Messages to self: in MPI_COMM_SELF (size 1, rank 0) and in MPI_COMM_WORLD
 * to one's own rank, with every nonblocking send mode, blocking receives
 * after nonblocking sends, a buffered send, a ready send after the receive
 * was posted, and probing one's own message.  Messages on MPI_COMM_SELF and
 * MPI_COMM_WORLD with the same tag do not mix.
 */
#include "mtest.h"

int main(int argc, char **argv)
{
    int rank, size, srank = -1, ssize = -1, a[10], b[10];
    MPI_Request reqs[4];
    MPI_Status st;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm_rank(MPI_COMM_SELF, &srank);
    MPI_Comm_size(MPI_COMM_SELF, &ssize);
    CHECK(srank == 0 && ssize == 1, "MPI_COMM_SELF: rank %d size %d", srank, ssize);

    for (int i = 0; i < 10; i++)
        a[i] = rank * 100 + i;

    /* Every nonblocking send mode, to self on COMM_SELF. */
    {
        int bsize = (int)sizeof a + MPI_BSEND_OVERHEAD, in[4][10];
        void *bbuf = malloc((size_t)bsize), *d;
        MPI_Request rr[4];
        MPI_Buffer_attach(bbuf, bsize);
        for (int m = 0; m < 4; m++)
            MPI_Irecv(in[m], 10, MPI_INT, 0, m, MPI_COMM_SELF, &rr[m]);
        MPI_Isend(a, 10, MPI_INT, 0, 0, MPI_COMM_SELF, &reqs[0]);
        MPI_Issend(a, 10, MPI_INT, 0, 1, MPI_COMM_SELF, &reqs[1]);
        MPI_Irsend(a, 10, MPI_INT, 0, 2, MPI_COMM_SELF, &reqs[2]);
        MPI_Ibsend(a, 10, MPI_INT, 0, 3, MPI_COMM_SELF, &reqs[3]);
        MPI_Waitall(4, rr, MPI_STATUSES_IGNORE);
        MPI_Waitall(4, reqs, MPI_STATUSES_IGNORE);
        for (int m = 0; m < 4; m++)
            CHECK(in[m][0] == rank * 100 && in[m][9] == rank * 100 + 9, "mode %d: %d %d", m,
                  in[m][0], in[m][9]);
        MPI_Buffer_detach(&d, &bsize);
        free(d);
    }

    /* Sends first, then blocking receives, in reverse tag order. */
    MPI_Isend(a, 10, MPI_INT, rank, 1, MPI_COMM_WORLD, &reqs[0]);
    MPI_Isend(a, 5, MPI_INT, rank, 2, MPI_COMM_WORLD, &reqs[1]);
    MPI_Recv(b, 10, MPI_INT, rank, 2, MPI_COMM_WORLD, &st);
    {
        int count = -1;
        MPI_Get_count(&st, MPI_INT, &count);
        CHECK(count == 5 && st.MPI_SOURCE == rank && st.MPI_TAG == 2,
              "tag 2 from self: count %d source %d tag %d", count, st.MPI_SOURCE, st.MPI_TAG);
    }
    MPI_Recv(b, 10, MPI_INT, rank, 1, MPI_COMM_WORLD, &st);
    CHECK(b[9] == rank * 100 + 9, "tag 1 from self: %d", b[9]);
    MPI_Waitall(2, reqs, MPI_STATUSES_IGNORE);

    /* Same tag on SELF and WORLD: each receive gets its own communicator's message. */
    {
        int x = 1, y = 2, gx = 0, gy = 0;
        MPI_Isend(&x, 1, MPI_INT, rank, 7, MPI_COMM_WORLD, &reqs[0]);
        MPI_Isend(&y, 1, MPI_INT, 0, 7, MPI_COMM_SELF, &reqs[1]);
        MPI_Recv(&gy, 1, MPI_INT, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_SELF, &st);
        MPI_Recv(&gx, 1, MPI_INT, MPI_ANY_SOURCE, 7, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        MPI_Waitall(2, reqs, MPI_STATUSES_IGNORE);
        CHECK(gx == 1 && gy == 2, "WORLD got %d, SELF got %d", gx, gy);
        CHECK(st.MPI_SOURCE == 0, "source on MPI_COMM_SELF %d", st.MPI_SOURCE);
    }

    /* Probe one's own message. */
    {
        int flag = 0, count = -1;
        MPI_Isend(a, 3, MPI_INT, 0, 9, MPI_COMM_SELF, &reqs[0]);
        MPI_Probe(0, 9, MPI_COMM_SELF, &st);
        MPI_Get_count(&st, MPI_INT, &count);
        CHECK(count == 3, "probed count %d", count);
        MPI_Iprobe(MPI_ANY_SOURCE, 9, MPI_COMM_SELF, &flag, MPI_STATUS_IGNORE);
        CHECK(flag, "iprobe of own message failed");
        MPI_Recv(b, 3, MPI_INT, 0, 9, MPI_COMM_SELF, MPI_STATUS_IGNORE);
        MPI_Wait(&reqs[0], MPI_STATUS_IGNORE);
        CHECK(b[2] == rank * 100 + 2, "probed message: %d", b[2]);
    }

    /* Blocking sends to self are fine when the receives are already posted. */
    {
        MPI_Request rr[2];
        int c[10];
        b[0] = c[0] = -1;
        MPI_Irecv(b, 10, MPI_INT, 0, 11, MPI_COMM_SELF, &rr[0]);
        MPI_Irecv(c, 10, MPI_INT, 0, 12, MPI_COMM_SELF, &rr[1]);
        CHECK_RC(MPI_Send(a, 10, MPI_INT, 0, 11, MPI_COMM_SELF), "MPI_Send to self");
        CHECK_RC(MPI_Ssend(a, 10, MPI_INT, 0, 12, MPI_COMM_SELF), "MPI_Ssend to self");
        MPI_Waitall(2, rr, MPI_STATUSES_IGNORE);
        CHECK(b[0] == rank * 100 && c[0] == rank * 100, "blocking sends to self gave %d, %d",
              b[0], c[0]);
    }
    return mtest_finalize(0);
}
