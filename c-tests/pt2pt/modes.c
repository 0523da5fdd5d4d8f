/*
 * The four blocking send modes between rank pairs (0,1), (2,3), ...:
 * MPI_Send, MPI_Ssend, MPI_Bsend (with an attached buffer) and MPI_Rsend,
 * whose matching receive is posted (MPI_Irecv) before the receiver tells the
 * sender to go.  Message sizes cover the eager and the large path.  With an
 * odd number of ranks the last one talks to itself using the nonblocking
 * forms, since a blocking send to self may not return before its receive.
 */
#include "mtest.h"

static const int sizes[] = {0, 1, 100, 4096, 65536, 1 << 20};
#define NSIZES ((int)(sizeof sizes / sizeof sizes[0]))

int main(int argc, char **argv)
{
    int rank, size, peer, bufsize;
    unsigned char *sbuf, *rbuf;
    void *bsend_buf;
    MPI_Status st;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    peer = (rank % 2 == 0) ? rank + 1 : rank - 1;
    if (peer >= size)
        peer = rank;

    sbuf = malloc(1 << 20);
    rbuf = malloc(1 << 20);
    /*
     * Room for every buffered message at once: a sender cannot know when the
     * space of a delivered message is reclaimed.
     */
    bufsize = 0;
    for (int s = 0; s < NSIZES; s++)
        bufsize += sizes[s] + MPI_BSEND_OVERHEAD + 8;
    bsend_buf = malloc((size_t)bufsize);
    CHECK_RC(MPI_Buffer_attach(bsend_buf, bufsize), "MPI_Buffer_attach");

    for (int mode = 0; mode < 4; mode++) {
        for (int s = 0; s < NSIZES; s++) {
            int n = sizes[s], tag = mode * 100 + s, seed = tag + rank, count = -1;
            int sender = (peer == rank) || rank % 2 == 0;
            int receiver = (peer == rank) || rank % 2 == 1;
            MPI_Request rreq = MPI_REQUEST_NULL, sreq = MPI_REQUEST_NULL;

            mtest_fill(sbuf, (size_t)n, seed);
            memset(rbuf, 0, (size_t)n);
            if (receiver)
                MPI_Irecv(rbuf, n, MPI_BYTE, peer, tag, MPI_COMM_WORLD, &rreq);
            if (mode == 3 && peer != rank) {
                /* Rsend needs the receive posted: the receiver says so. */
                int go = 0;
                if (receiver)
                    MPI_Send(&go, 1, MPI_INT, peer, 1000 + tag, MPI_COMM_WORLD);
                else
                    MPI_Recv(&go, 1, MPI_INT, peer, 1000 + tag, MPI_COMM_WORLD,
                             MPI_STATUS_IGNORE);
            }
            if (sender) {
                int rc;
                if (peer == rank) {
                    switch (mode) {
                    case 0: rc = MPI_Isend(sbuf, n, MPI_BYTE, peer, tag, MPI_COMM_WORLD, &sreq); break;
                    case 1: rc = MPI_Issend(sbuf, n, MPI_BYTE, peer, tag, MPI_COMM_WORLD, &sreq); break;
                    case 2: rc = MPI_Ibsend(sbuf, n, MPI_BYTE, peer, tag, MPI_COMM_WORLD, &sreq); break;
                    default: rc = MPI_Irsend(sbuf, n, MPI_BYTE, peer, tag, MPI_COMM_WORLD, &sreq); break;
                    }
                } else {
                    switch (mode) {
                    case 0: rc = MPI_Send(sbuf, n, MPI_BYTE, peer, tag, MPI_COMM_WORLD); break;
                    case 1: rc = MPI_Ssend(sbuf, n, MPI_BYTE, peer, tag, MPI_COMM_WORLD); break;
                    case 2: rc = MPI_Bsend(sbuf, n, MPI_BYTE, peer, tag, MPI_COMM_WORLD); break;
                    default: rc = MPI_Rsend(sbuf, n, MPI_BYTE, peer, tag, MPI_COMM_WORLD); break;
                    }
                }
                CHECK_RC(rc, "send");
            }
            if (receiver) {
                MPI_Wait(&rreq, &st);
                MPI_Get_count(&st, MPI_BYTE, &count);
                CHECK(count == n, "mode %d: count %d, expected %d", mode, count, n);
                CHECK(st.MPI_SOURCE == peer && st.MPI_TAG == tag, "mode %d: source %d tag %d",
                      mode, st.MPI_SOURCE, st.MPI_TAG);
                CHECK(rreq == MPI_REQUEST_NULL, "request not freed by MPI_Wait");
                mtest_verify(rbuf, (size_t)n, tag + peer, "payload");
            }
            MPI_Wait(&sreq, MPI_STATUS_IGNORE);
        }
    }

    {
        void *detached = NULL;
        int detached_size = -1;
        CHECK_RC(MPI_Buffer_detach(&detached, &detached_size), "MPI_Buffer_detach");
        CHECK(detached == bsend_buf && detached_size == bufsize,
              "detach gave %p size %d, attached %p size %d", detached, detached_size, bsend_buf,
              bufsize);
    }
    free(bsend_buf);
    free(sbuf);
    free(rbuf);
    return mtest_finalize(0);
}
