/*
 * A message longer than the receive buffer: with MPI_ERRORS_RETURN the
 * receive returns an error of class MPI_ERR_TRUNCATE and does not write past
 * the buffer, for MPI_Recv, MPI_Irecv+MPI_Wait and MPI_Irecv+MPI_Waitall (which
 * returns MPI_ERR_IN_STATUS and the truncation in the status's MPI_ERROR),
 * for a small and a large message.  Communication works normally afterwards.
 */
#include "mtest.h"

#define BIG (300 * 1024)

int main(int argc, char **argv)
{
    int rank, size, peer, rc;
    unsigned char *sbuf = malloc(BIG), *rbuf = malloc(BIG + 16);
    static const int lens[2] = {40, BIG};
    MPI_Status st;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Errhandler_set(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    peer = rank ^ 1;
    if (peer >= size)
        peer = rank;
    mtest_fill(sbuf, BIG, 11);

    for (int l = 0; l < 2; l++) {
        int len = lens[l], room = len / 2;
        MPI_Request sreq[3];

        for (int k = 0; k < 3; k++)
            MPI_Isend(sbuf, len, MPI_BYTE, peer, 10 * l + k, MPI_COMM_WORLD, &sreq[k]);

        /* MPI_Recv */
        memset(rbuf, 0x5A, BIG + 16);
        rc = MPI_Recv(rbuf, room, MPI_BYTE, peer, 10 * l, MPI_COMM_WORLD, &st);
        CHECK_CLASS(rc, MPI_ERR_TRUNCATE, "MPI_Recv into a short buffer");
        CHECK(rbuf[room] == 0x5A, "MPI_Recv wrote past the buffer (len %d)", len);

        /* MPI_Irecv + MPI_Wait */
        {
            MPI_Request req;
            memset(rbuf, 0x5A, BIG + 16);
            CHECK_RC(MPI_Irecv(rbuf, room, MPI_BYTE, peer, 10 * l + 1, MPI_COMM_WORLD, &req),
                     "MPI_Irecv");
            rc = MPI_Wait(&req, &st);
            CHECK_CLASS(rc, MPI_ERR_TRUNCATE, "MPI_Wait on a truncated receive");
            CHECK(rbuf[room] == 0x5A, "MPI_Irecv wrote past the buffer (len %d)", len);
        }

        /*
         * MPI_Irecv + MPI_Waitall: MPI_ERR_IN_STATUS, the class in MPI_ERROR of
         * the failed receive, MPI_SUCCESS in that of the completed one (placed
         * first: MPICH marks requests after a failed one MPI_ERR_PENDING).
         */
        {
            MPI_Request reqs[2];
            MPI_Status sts[2];
            int ok = rank * 3, got = -1;
            sts[0].MPI_ERROR = sts[1].MPI_ERROR = -1;
            MPI_Irecv(rbuf, room, MPI_BYTE, peer, 10 * l + 2, MPI_COMM_WORLD, &reqs[1]);
            MPI_Sendrecv(&ok, 1, MPI_INT, peer, 100 + l, &got, 1, MPI_INT, peer, 100 + l,
                         MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            CHECK(got == peer * 3, "sendrecv after truncation got %d", got);
            MPI_Irecv(&got, 1, MPI_INT, MPI_PROC_NULL, 0, MPI_COMM_WORLD, &reqs[0]);
            rc = MPI_Waitall(2, reqs, sts);
            CHECK_CLASS(rc, MPI_ERR_IN_STATUS, "MPI_Waitall with a truncated receive");
            CHECK(mtest_class(sts[1].MPI_ERROR) == MPI_ERR_TRUNCATE,
                  "status MPI_ERROR %d has class %d", sts[1].MPI_ERROR,
                  mtest_class(sts[1].MPI_ERROR));
            CHECK(sts[0].MPI_ERROR == MPI_SUCCESS, "status of the good receive: MPI_ERROR %d",
                  sts[0].MPI_ERROR);
        }
        MPI_Waitall(3, sreq, MPI_STATUSES_IGNORE);
    }

    /* Everything still works, with a message that exactly fits. */
    {
        MPI_Request req;
        int count = -1;
        MPI_Isend(sbuf, 64, MPI_BYTE, peer, 50, MPI_COMM_WORLD, &req);
        CHECK_RC(MPI_Recv(rbuf, 64, MPI_BYTE, peer, 50, MPI_COMM_WORLD, &st), "exact-size MPI_Recv");
        MPI_Wait(&req, MPI_STATUS_IGNORE);
        MPI_Get_count(&st, MPI_BYTE, &count);
        CHECK(count == 64, "exact-size count %d", count);
        mtest_verify(rbuf, 64, 11, "exact-size payload");
    }
    free(sbuf);
    free(rbuf);
    return mtest_finalize(0);
}
