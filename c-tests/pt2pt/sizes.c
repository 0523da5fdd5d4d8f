/*
 * Message sizes from 0 bytes to 16 MiB, crossing every eager/rendezvous
 * threshold an implementation is likely to use: between the ranks of each
 * pair (blocking, lower rank first, then back; then nonblocking in both
 * directions at once) and to self.  Every payload has a pattern that depends
 * on size and sender, checked byte by byte, and the bytes after the message
 * in the receive buffer must stay untouched.
 */
#include "mtest.h"

static const int sizes[] = {0, 1, 100, 4095, 4096, 4097, 65536, 65537, 1 << 20, 16 << 20};
#define NSIZES ((int)(sizeof sizes / sizeof sizes[0]))
#define MAXSZ (16 << 20)
#define GUARD 64

static void check_tail(const unsigned char *rbuf, int n)
{
    for (int i = 0; i < GUARD; i++)
        if (rbuf[n + i] != 0xC3) {
            CHECK(0, "receive of %d bytes wrote byte %d after the message", n, i);
            return;
        }
}

int main(int argc, char **argv)
{
    int rank, size, peer;
    unsigned char *sbuf, *rbuf;
    MPI_Status st;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    peer = rank ^ 1;
    if (peer >= size)
        peer = rank;
    sbuf = malloc(MAXSZ);
    rbuf = malloc(MAXSZ + GUARD);

    for (int s = 0; s < NSIZES; s++) {
        int n = sizes[s], count = -1;

        /* Blocking, one direction at a time. */
        if (peer != rank) {
            for (int dir = 0; dir < 2; dir++) {
                int sender = (dir == 0) == (rank < peer);
                if (sender) {
                    mtest_fill(sbuf, (size_t)n, rank * 31 + s);
                    CHECK_RC(MPI_Send(sbuf, n, MPI_BYTE, peer, s, MPI_COMM_WORLD), "MPI_Send");
                } else {
                    memset(rbuf, 0xC3, (size_t)n + GUARD);
                    CHECK_RC(MPI_Recv(rbuf, n + GUARD, MPI_BYTE, peer, s, MPI_COMM_WORLD, &st),
                             "MPI_Recv");
                    MPI_Get_count(&st, MPI_BYTE, &count);
                    CHECK(count == n, "blocking: count %d for %d bytes", count, n);
                    mtest_verify(rbuf, (size_t)n, peer * 31 + s, "blocking payload");
                    check_tail(rbuf, n);
                }
            }
        }

        /* Nonblocking, both directions at once (or to self). */
        {
            MPI_Request reqs[2];
            MPI_Status sts[2];
            mtest_fill(sbuf, (size_t)n, rank * 31 + s + 7);
            memset(rbuf, 0xC3, (size_t)n + GUARD);
            MPI_Irecv(rbuf, n + GUARD, MPI_BYTE, peer, 100 + s, MPI_COMM_WORLD, &reqs[0]);
            MPI_Isend(sbuf, n, MPI_BYTE, peer, 100 + s, MPI_COMM_WORLD, &reqs[1]);
            CHECK_RC(MPI_Waitall(2, reqs, sts), "MPI_Waitall");
            MPI_Get_count(&sts[0], MPI_BYTE, &count);
            CHECK(count == n, "nonblocking: count %d for %d bytes", count, n);
            mtest_verify(rbuf, (size_t)n, peer * 31 + s + 7, "nonblocking payload");
            check_tail(rbuf, n);
        }

        /* To self on MPI_COMM_SELF. */
        {
            MPI_Request req;
            mtest_fill(sbuf, (size_t)n, s + 3);
            memset(rbuf, 0xC3, (size_t)n + GUARD);
            MPI_Isend(sbuf, n, MPI_BYTE, 0, s, MPI_COMM_SELF, &req);
            MPI_Recv(rbuf, n + GUARD, MPI_BYTE, 0, s, MPI_COMM_SELF, &st);
            MPI_Wait(&req, MPI_STATUS_IGNORE);
            MPI_Get_count(&st, MPI_BYTE, &count);
            CHECK(count == n, "self: count %d for %d bytes", count, n);
            mtest_verify(rbuf, (size_t)n, s + 3, "self payload");
            check_tail(rbuf, n);
        }
    }
    free(sbuf);
    free(rbuf);
    return mtest_finalize(0);
}
