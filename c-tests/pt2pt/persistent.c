/*
 * Persistent requests on a ring: five MPI_Recv_init from the left neighbour
 * and one send of each kind (MPI_Send_init, MPI_Ssend_init, MPI_Rsend_init,
 * MPI_Bsend_init, and a second MPI_Send_init with a large message) to the
 * right one, restarted for several rounds with MPI_Start and MPI_Startall and
 * new data each round.  Receives are started before a barrier, which makes
 * the ready send correct.  MPI_Wait leaves a persistent request allocated and
 * inactive; waiting on an inactive request returns an empty status; the
 * requests are released with MPI_Request_free.
 */
#include "mtest.h"

#define N 100
#define BIG (256 * 1024)
#define ROUNDS 5

int main(int argc, char **argv)
{
    int rank, size, left, right, bsize;
    int sbuf[4][N], rbuf[4][N];
    unsigned char *sbig = malloc(BIG), *rbig = malloc(BIG);
    MPI_Request recvs[5], sends[5];
    void *bbuf;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    left = (rank + size - 1) % size;
    right = (rank + 1) % size;
    bsize = 2 * ((int)sizeof sbuf[3] + MPI_BSEND_OVERHEAD);
    bbuf = malloc((size_t)bsize);
    MPI_Buffer_attach(bbuf, bsize);

    for (int m = 0; m < 4; m++)
        CHECK_RC(MPI_Recv_init(rbuf[m], N, MPI_INT, left, m, MPI_COMM_WORLD, &recvs[m]),
                 "MPI_Recv_init");
    CHECK_RC(MPI_Recv_init(rbig, BIG, MPI_BYTE, left, 4, MPI_COMM_WORLD, &recvs[4]),
             "MPI_Recv_init(big)");
    CHECK_RC(MPI_Send_init(sbuf[0], N, MPI_INT, right, 0, MPI_COMM_WORLD, &sends[0]),
             "MPI_Send_init");
    CHECK_RC(MPI_Ssend_init(sbuf[1], N, MPI_INT, right, 1, MPI_COMM_WORLD, &sends[1]),
             "MPI_Ssend_init");
    CHECK_RC(MPI_Rsend_init(sbuf[2], N, MPI_INT, right, 2, MPI_COMM_WORLD, &sends[2]),
             "MPI_Rsend_init");
    CHECK_RC(MPI_Bsend_init(sbuf[3], N, MPI_INT, right, 3, MPI_COMM_WORLD, &sends[3]),
             "MPI_Bsend_init");
    CHECK_RC(MPI_Send_init(sbig, BIG, MPI_BYTE, right, 4, MPI_COMM_WORLD, &sends[4]),
             "MPI_Send_init(big)");

    /* Inactive persistent requests: MPI_Wait returns at once, with an empty status. */
    {
        MPI_Status st;
        int count = -1;
        st.MPI_SOURCE = st.MPI_TAG = 4711;
        CHECK_RC(MPI_Wait(&recvs[0], &st), "MPI_Wait(inactive)");
        MPI_Get_count(&st, MPI_INT, &count);
        CHECK(st.MPI_SOURCE == MPI_ANY_SOURCE && st.MPI_TAG == MPI_ANY_TAG && count == 0,
              "inactive wait: source %d tag %d count %d", st.MPI_SOURCE, st.MPI_TAG, count);
        CHECK(recvs[0] != MPI_REQUEST_NULL, "MPI_Wait freed an inactive persistent request");
    }

    for (int round = 0; round < ROUNDS; round++) {
        MPI_Status sts[5];

        for (int m = 0; m < 4; m++)
            for (int i = 0; i < N; i++) {
                sbuf[m][i] = rank * 10000 + round * 100 + m * 10 + i % 10;
                rbuf[m][i] = -1;
            }
        mtest_fill(sbig, BIG, rank * 100 + round);
        memset(rbig, 0, BIG);

        if (round % 2 == 0) {
            CHECK_RC(MPI_Startall(5, recvs), "MPI_Startall(recvs)");
        } else {
            for (int m = 4; m >= 0; m--)
                CHECK_RC(MPI_Start(&recvs[m]), "MPI_Start(recv)");
        }
        MPI_Barrier(MPI_COMM_WORLD);
        if (round % 2 == 1) {
            CHECK_RC(MPI_Startall(5, sends), "MPI_Startall(sends)");
        } else {
            for (int m = 0; m < 5; m++)
                CHECK_RC(MPI_Start(&sends[m]), "MPI_Start(send)");
        }
        CHECK_RC(MPI_Waitall(5, recvs, sts), "MPI_Waitall(recvs)");
        CHECK_RC(MPI_Waitall(5, sends, MPI_STATUSES_IGNORE), "MPI_Waitall(sends)");

        for (int m = 0; m < 5; m++) {
            int count = -1;
            CHECK(recvs[m] != MPI_REQUEST_NULL && sends[m] != MPI_REQUEST_NULL,
                  "round %d: a persistent request was freed by MPI_Waitall", round);
            CHECK(sts[m].MPI_SOURCE == left && sts[m].MPI_TAG == m, "round %d: source %d tag %d",
                  round, sts[m].MPI_SOURCE, sts[m].MPI_TAG);
            MPI_Get_count(&sts[m], m < 4 ? MPI_INT : MPI_BYTE, &count);
            CHECK(count == (m < 4 ? N : BIG), "round %d message %d: count %d", round, m, count);
        }
        for (int m = 0; m < 4; m++)
            for (int i = 0; i < N; i++)
                if (rbuf[m][i] != left * 10000 + round * 100 + m * 10 + i % 10) {
                    CHECK(0, "round %d message %d: rbuf[%d] = %d", round, m, i, rbuf[m][i]);
                    break;
                }
        mtest_verify(rbig, BIG, left * 100 + round, "large persistent message");
    }

    for (int m = 0; m < 5; m++) {
        CHECK_RC(MPI_Request_free(&recvs[m]), "MPI_Request_free(recv)");
        CHECK_RC(MPI_Request_free(&sends[m]), "MPI_Request_free(send)");
        CHECK(recvs[m] == MPI_REQUEST_NULL && sends[m] == MPI_REQUEST_NULL,
              "MPI_Request_free did not set MPI_REQUEST_NULL");
    }

    /* A freed active persistent send still delivers its message. */
    {
        MPI_Request r;
        int v = rank + 77, w = -1;
        MPI_Send_init(&v, 1, MPI_INT, right, 9, MPI_COMM_WORLD, &r);
        MPI_Start(&r);
        CHECK_RC(MPI_Request_free(&r), "MPI_Request_free(active)");
        MPI_Recv(&w, 1, MPI_INT, left, 9, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        CHECK(w == left + 77, "message of a freed request: %d", w);
        /* v must stay valid until the message is surely out: the barrier waits for everyone's receive. */
        MPI_Barrier(MPI_COMM_WORLD);
    }

    {
        void *d;
        int ds;
        MPI_Buffer_detach(&d, &ds);
        free(d);
    }
    free(sbig);
    free(rbig);
    return mtest_finalize(0);
}
