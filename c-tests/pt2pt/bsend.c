/*
 * Buffered sends and the attached buffer.
 *
 * Rank 0 attaches a buffer of exactly K * (size + MPI_BSEND_OVERHEAD) bytes
 * and issues K MPI_Bsend/MPI_Ibsend/MPI_Bsend_init sends to rank 1 before rank
 * 1 has posted any receive: each must return at once, copying the data, so
 * rank 0 scribbles over its send buffer right after.  Only then does it tell
 * rank 1 to start receiving (the "go" message, itself an MPI_Bsend), and
 * detach: MPI_Buffer_detach waits until the buffered messages are delivered,
 * returns the attached address and size, and afterwards the buffer can be
 * overwritten without damaging what rank 1 receives.  Sizes cover the eager
 * and the large path.  A second round reuses the detached buffer.
 *
 * With one rank everything goes to self.
 */
#include "mtest.h"

#define K 4

/*
 * Multiples of 8: MPICH 4.0.2 rounds each buffered message up to 8 bytes in
 * the attached buffer, beyond what MPI_BSEND_OVERHEAD accounts for, so odd
 * sizes would not fit in a buffer sized by the MPI formula there.
 */
static const int sizes[] = {8, 1000, 100000, 1 << 20};
#define NSIZES ((int)(sizeof sizes / sizeof sizes[0]))

int main(int argc, char **argv)
{
    int rank, size, dest;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    dest = size > 1 ? 1 : 0;

    for (int s = 0; s < NSIZES; s++) {
        int n = sizes[s];
        int bufsize = K * (n + MPI_BSEND_OVERHEAD) + (int)sizeof(double) + MPI_BSEND_OVERHEAD;
        unsigned char *sbuf = malloc((size_t)n), *rbuf = malloc((size_t)n);
        unsigned char *attach = malloc((size_t)bufsize);
        MPI_Request reqs[K];
        double go = 1.0;

        if (rank == 0) {
            CHECK_RC(MPI_Buffer_attach(attach, bufsize), "MPI_Buffer_attach");
            for (int k = 0; k < K; k++) {
                int tag = s * 10 + k;
                mtest_fill(sbuf, (size_t)n, tag);
                if (k % 3 == 0) {
                    CHECK_RC(MPI_Bsend(sbuf, n, MPI_BYTE, dest, tag, MPI_COMM_WORLD), "MPI_Bsend");
                    reqs[k] = MPI_REQUEST_NULL;
                } else if (k % 3 == 1) {
                    CHECK_RC(MPI_Ibsend(sbuf, n, MPI_BYTE, dest, tag, MPI_COMM_WORLD, &reqs[k]),
                             "MPI_Ibsend");
                    /* An Ibsend may complete as soon as the data is buffered. */
                    CHECK_RC(MPI_Wait(&reqs[k], MPI_STATUS_IGNORE), "MPI_Wait(Ibsend)");
                } else {
                    MPI_Request p;
                    CHECK_RC(MPI_Bsend_init(sbuf, n, MPI_BYTE, dest, tag, MPI_COMM_WORLD, &p),
                             "MPI_Bsend_init");
                    CHECK_RC(MPI_Start(&p), "MPI_Start");
                    CHECK_RC(MPI_Wait(&p, MPI_STATUS_IGNORE), "MPI_Wait(persistent bsend)");
                    CHECK(p != MPI_REQUEST_NULL, "persistent request freed by MPI_Wait");
                    CHECK_RC(MPI_Request_free(&p), "MPI_Request_free");
                    CHECK(p == MPI_REQUEST_NULL, "MPI_Request_free left the handle set");
                    reqs[k] = MPI_REQUEST_NULL;
                }
                /* The data was copied out: the send buffer is ours again. */
                memset(sbuf, 0xEE, (size_t)n);
            }
            CHECK_RC(MPI_Bsend(&go, 1, MPI_DOUBLE, dest, 999, MPI_COMM_WORLD), "MPI_Bsend(go)");
        }
        if (rank == dest) {
            double got = 0;
            MPI_Recv(&got, 1, MPI_DOUBLE, 0, 999, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            CHECK(got == 1.0, "go message %g", got);
            for (int k = 0; k < K; k++) {
                MPI_Status st;
                int count = -1, tag = s * 10 + k;
                memset(rbuf, 0, (size_t)n);
                MPI_Recv(rbuf, n, MPI_BYTE, 0, tag, MPI_COMM_WORLD, &st);
                MPI_Get_count(&st, MPI_BYTE, &count);
                CHECK(count == n, "size %d message %d: count %d", n, k, count);
                mtest_verify(rbuf, (size_t)n, tag, "buffered payload");
            }
        }
        if (rank == 0) {
            void *det = NULL;
            int detsize = -1;
            CHECK_RC(MPI_Buffer_detach(&det, &detsize), "MPI_Buffer_detach");
            CHECK(det == (void *)attach, "detach returned %p, attached %p", det, (void *)attach);
            CHECK(detsize == bufsize, "detach returned size %d, attached %d", detsize, bufsize);
            /* Every buffered message has left: overwriting cannot hurt them. */
            memset(attach, 0xA5, (size_t)bufsize);
        }
        /* Rank 1 confirms it has checked everything before the buffer is freed. */
        if (size > 1) {
            if (rank == dest)
                MPI_Send(&go, 1, MPI_DOUBLE, 0, 998, MPI_COMM_WORLD);
            else if (rank == 0)
                MPI_Recv(&go, 1, MPI_DOUBLE, dest, 998, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        }
        free(attach);
        free(sbuf);
        free(rbuf);
    }

    /* Attach, detach, attach again: a detached buffer can be attached anew. */
    {
        int bs = 64 + MPI_BSEND_OVERHEAD, v = rank, w = -1, dsize = 0;
        void *b = malloc((size_t)bs), *d = NULL;
        CHECK_RC(MPI_Buffer_attach(b, bs), "MPI_Buffer_attach");
        CHECK_RC(MPI_Buffer_detach(&d, &dsize), "MPI_Buffer_detach");
        CHECK(d == b && dsize == bs, "empty detach gave %p/%d", d, dsize);
        CHECK_RC(MPI_Buffer_attach(d, dsize), "MPI_Buffer_attach again");
        CHECK_RC(MPI_Bsend(&v, 1, MPI_INT, rank, 5, MPI_COMM_WORLD), "MPI_Bsend to self");
        MPI_Recv(&w, 1, MPI_INT, rank, 5, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        CHECK(w == rank, "bsend to self gave %d", w);
        CHECK_RC(MPI_Buffer_detach(&d, &dsize), "MPI_Buffer_detach");
        CHECK(d == b && dsize == bs, "second detach gave %p/%d", d, dsize);
        free(b);
    }
    return mtest_finalize(0);
}
