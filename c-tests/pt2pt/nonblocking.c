/*
 * MPI_Isend, MPI_Issend, MPI_Irsend, MPI_Ibsend and MPI_Irecv on a ring:
 * each rank receives from its left neighbour and sends to its right one
 * (itself with one rank).  Completion alternates between MPI_Wait and an
 * MPI_Test loop.  Receives are posted before a barrier so that the ready
 * sends after it are correct.  Checks values, status fields and that
 * completed requests become MPI_REQUEST_NULL; MPI_Wait and MPI_Test on
 * MPI_REQUEST_NULL return at once with an empty status.
 */
#include "mtest.h"

#define N 1000

static int value(int src, int round, int i)
{
    return src * 100000 + round * 1000 + i;
}

int main(int argc, char **argv)
{
    int rank, size, left, right, bsize;
    int sbuf[4][N], rbuf[4][N];
    void *bbuf;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    left = (rank + size - 1) % size;
    right = (rank + 1) % size;
    /* Room for two messages: the previous one may still be on its way out. */
    bsize = 2 * ((int)sizeof(int) * N + MPI_BSEND_OVERHEAD);
    bbuf = malloc((size_t)bsize);
    MPI_Buffer_attach(bbuf, bsize);

    for (int iter = 0; iter < 6; iter++) {
        MPI_Request rreq[4], sreq[4];
        MPI_Status st;

        for (int m = 0; m < 4; m++) {
            for (int i = 0; i < N; i++) {
                sbuf[m][i] = value(rank, iter * 4 + m, i);
                rbuf[m][i] = -1;
            }
            CHECK_RC(MPI_Irecv(rbuf[m], N, MPI_INT, left, m, MPI_COMM_WORLD, &rreq[m]), "MPI_Irecv");
        }
        MPI_Barrier(MPI_COMM_WORLD);
        CHECK_RC(MPI_Isend(sbuf[0], N, MPI_INT, right, 0, MPI_COMM_WORLD, &sreq[0]), "MPI_Isend");
        CHECK_RC(MPI_Issend(sbuf[1], N, MPI_INT, right, 1, MPI_COMM_WORLD, &sreq[1]), "MPI_Issend");
        CHECK_RC(MPI_Irsend(sbuf[2], N, MPI_INT, right, 2, MPI_COMM_WORLD, &sreq[2]), "MPI_Irsend");
        CHECK_RC(MPI_Ibsend(sbuf[3], N, MPI_INT, right, 3, MPI_COMM_WORLD, &sreq[3]), "MPI_Ibsend");

        for (int m = 3; m >= 0; m--) {
            int count = -1;
            st.MPI_SOURCE = st.MPI_TAG = -7;
            if ((iter + m) % 2 == 0) {
                CHECK_RC(MPI_Wait(&rreq[m], &st), "MPI_Wait");
            } else {
                int flag = 0;
                long spins = 0;
                while (!flag) {
                    CHECK_RC(MPI_Test(&rreq[m], &flag, &st), "MPI_Test");
                    spins++;
                }
                CHECK(spins >= 1, "spins %ld", spins);
            }
            CHECK(rreq[m] == MPI_REQUEST_NULL, "completed receive request not freed");
            CHECK(st.MPI_SOURCE == left && st.MPI_TAG == m, "status source %d tag %d",
                  st.MPI_SOURCE, st.MPI_TAG);
            MPI_Get_count(&st, MPI_INT, &count);
            CHECK(count == N, "count %d", count);
            for (int i = 0; i < N; i++)
                if (rbuf[m][i] != value(left, iter * 4 + m, i)) {
                    CHECK(0, "iter %d message %d: rbuf[%d] = %d", iter, m, i, rbuf[m][i]);
                    break;
                }
        }
        for (int m = 0; m < 4; m++) {
            if (m % 2 == 0) {
                CHECK_RC(MPI_Wait(&sreq[m], MPI_STATUS_IGNORE), "MPI_Wait(send)");
            } else {
                int flag = 0;
                while (!flag)
                    CHECK_RC(MPI_Test(&sreq[m], &flag, MPI_STATUS_IGNORE), "MPI_Test(send)");
            }
            CHECK(sreq[m] == MPI_REQUEST_NULL, "completed send request not freed");
        }
    }

    /* Null requests complete at once with an empty status. */
    {
        MPI_Request null = MPI_REQUEST_NULL;
        MPI_Status st;
        int flag = 0, count = -1;
        st.MPI_SOURCE = st.MPI_TAG = 12345;
        CHECK_RC(MPI_Wait(&null, &st), "MPI_Wait(MPI_REQUEST_NULL)");
        MPI_Get_count(&st, MPI_INT, &count);
        CHECK(st.MPI_SOURCE == MPI_ANY_SOURCE && st.MPI_TAG == MPI_ANY_TAG && count == 0,
              "empty status from MPI_Wait: source %d tag %d count %d", st.MPI_SOURCE, st.MPI_TAG,
              count);
        st.MPI_SOURCE = st.MPI_TAG = 12345;
        CHECK_RC(MPI_Test(&null, &flag, &st), "MPI_Test(MPI_REQUEST_NULL)");
        CHECK(flag, "MPI_Test on MPI_REQUEST_NULL gave flag 0");
        CHECK(st.MPI_SOURCE == MPI_ANY_SOURCE && st.MPI_TAG == MPI_ANY_TAG,
              "empty status from MPI_Test: source %d tag %d", st.MPI_SOURCE, st.MPI_TAG);
    }

    {
        void *d;
        int ds;
        MPI_Buffer_detach(&d, &ds);
        free(d);
    }
    return mtest_finalize(0);
}
