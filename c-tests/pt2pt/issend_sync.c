/*
 * Synchronous sends complete only once the matching receive has started.
 *
 * The sender (rank 0, or the lower rank of each pair) starts an MPI_Issend
 * with tag 1 and calls MPI_Test on it many times: it must stay incomplete,
 * because the receiver is blocked in MPI_Recv for tag 2, which the sender
 * sends only after those tests.  Then the receiver posts the tag-1 receive and
 * the Issend completes.  Nothing waits on time, and nothing can deadlock: the
 * tag-2 message is sent with MPI_Isend.  The same with a persistent
 * MPI_Ssend_init request, for a small and a large message, and with a send to
 * self where the receive is posted after the tests.
 */
#include "mtest.h"

#define TESTS 2000

static const int lens[] = {4, 100, 256 * 1024};

int main(int argc, char **argv)
{
    int rank, size, peer;
    unsigned char *sbuf, *rbuf;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    peer = rank ^ 1;
    if (peer >= size)
        peer = rank;
    sbuf = malloc(256 * 1024);
    rbuf = malloc(256 * 1024);

    for (int l = 0; l < 3; l++) {
        for (int persistent = 0; persistent < 2; persistent++) {
            int len = lens[l], seed = l * 2 + persistent;
            mtest_fill(sbuf, (size_t)len, seed);
            if (peer == rank || rank % 2 == 0) {
                MPI_Request sreq, go_req = MPI_REQUEST_NULL, rreq;
                int flag = 0, completed_early = 0, go = 1;
                if (persistent) {
                    CHECK_RC(MPI_Ssend_init(sbuf, len, MPI_BYTE, peer, 1, MPI_COMM_WORLD, &sreq),
                             "MPI_Ssend_init");
                    CHECK_RC(MPI_Start(&sreq), "MPI_Start");
                } else {
                    CHECK_RC(MPI_Issend(sbuf, len, MPI_BYTE, peer, 1, MPI_COMM_WORLD, &sreq),
                             "MPI_Issend");
                }
                for (int t = 0; t < TESTS; t++) {
                    CHECK_RC(MPI_Test(&sreq, &flag, MPI_STATUS_IGNORE), "MPI_Test");
                    if (flag) {
                        completed_early = 1;
                        break;
                    }
                }
                CHECK(!completed_early,
                      "synchronous send of %d bytes (persistent %d) completed before its "
                      "receive was posted", len, persistent);
                if (peer != rank) {
                    MPI_Isend(&go, 1, MPI_INT, peer, 2, MPI_COMM_WORLD, &go_req);
                } else {
                    memset(rbuf, 0, (size_t)len);
                    MPI_Irecv(rbuf, len, MPI_BYTE, rank, 1, MPI_COMM_WORLD, &rreq);
                    MPI_Wait(&rreq, MPI_STATUS_IGNORE);
                    mtest_verify(rbuf, (size_t)len, seed, "payload to self");
                }
                if (!completed_early)
                    CHECK_RC(MPI_Wait(&sreq, MPI_STATUS_IGNORE), "MPI_Wait(synchronous send)");
                MPI_Wait(&go_req, MPI_STATUS_IGNORE);
                if (persistent)
                    MPI_Request_free(&sreq);
            } else {
                int go = 0;
                MPI_Recv(&go, 1, MPI_INT, peer, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                memset(rbuf, 0, (size_t)len);
                MPI_Recv(rbuf, len, MPI_BYTE, peer, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                mtest_verify(rbuf, (size_t)len, seed, "payload");
            }
        }
    }
    free(sbuf);
    free(rbuf);
    return mtest_finalize(0);
}
