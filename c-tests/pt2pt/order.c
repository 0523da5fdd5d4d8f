/*
 * Non-overtaking: messages from one sender to one receiver on one
 * communicator match in the order they were sent.  Between each pair
 * (sender rank 2k, receiver 2k+1; a lone last rank uses itself):
 *  - many messages with the same tag, received one by one;
 *  - messages with varying tags received with MPI_ANY_TAG: the order is the
 *    send order whatever the tags;
 *  - a mix of small (eager) and large messages, sent nonblocking, received
 *    into receives posted in advance with the same tag;
 *  - blocking sends matched by receives posted before them with MPI_Irecv.
 */
#include "mtest.h"

#define M 500
#define MIX 16
#define BIG (200 * 1024)

int main(int argc, char **argv)
{
    int rank, size, peer, sender, receiver;
    MPI_Status st;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    peer = rank ^ 1;
    if (peer >= size)
        peer = rank;
    sender = peer == rank || rank % 2 == 0;
    receiver = peer == rank || rank % 2 == 1;

    /* Same tag, many messages; ANY_TAG with varying tags. */
    {
        int *out = malloc(sizeof(int) * 2 * M);
        MPI_Request *reqs = malloc(sizeof(MPI_Request) * 2 * M);
        if (sender) {
            for (int i = 0; i < M; i++) {
                out[i] = i;
                MPI_Isend(&out[i], 1, MPI_INT, peer, 5, MPI_COMM_WORLD, &reqs[i]);
            }
            for (int i = 0; i < M; i++) {
                out[M + i] = 1000 + i;
                MPI_Isend(&out[M + i], 1, MPI_INT, peer, (i * 13) % 31, MPI_COMM_WORLD,
                          &reqs[M + i]);
            }
        }
        if (receiver) {
            for (int i = 0; i < M; i++) {
                int v = -1;
                MPI_Recv(&v, 1, MPI_INT, peer, 5, MPI_COMM_WORLD, &st);
                if (v != i) {
                    CHECK(0, "same tag: message %d arrived as number %d", v, i);
                    break;
                }
            }
            for (int i = 0; i < M; i++) {
                int v = -1;
                MPI_Recv(&v, 1, MPI_INT, peer, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
                if (v != 1000 + i || st.MPI_TAG != (i * 13) % 31) {
                    CHECK(0, "ANY_TAG: got %d with tag %d as number %d", v, st.MPI_TAG, i);
                    break;
                }
            }
        }
        if (sender)
            MPI_Waitall(2 * M, reqs, MPI_STATUSES_IGNORE);
        free(out);
        free(reqs);
    }

    /* Small and large messages interleaved, same tag. */
    {
        unsigned char *bufs[MIX];
        int lens[MIX];
        MPI_Request sreq[MIX], rreq[MIX];
        for (int i = 0; i < MIX; i++) {
            lens[i] = (i % 3 == 1) ? BIG + i : 8 + i;
            bufs[i] = malloc((size_t)lens[i] * 2);
        }
        if (receiver)
            for (int i = 0; i < MIX; i++)
                MPI_Irecv(bufs[i] + lens[i], lens[i], MPI_BYTE, peer, 6, MPI_COMM_WORLD, &rreq[i]);
        if (sender)
            for (int i = 0; i < MIX; i++) {
                mtest_fill(bufs[i], (size_t)lens[i], 300 + i);
                MPI_Isend(bufs[i], lens[i], MPI_BYTE, peer, 6, MPI_COMM_WORLD, &sreq[i]);
            }
        if (receiver) {
            MPI_Status sts[MIX];
            MPI_Waitall(MIX, rreq, sts);
            for (int i = 0; i < MIX; i++) {
                int count = -1;
                MPI_Get_count(&sts[i], MPI_BYTE, &count);
                CHECK(count == lens[i], "mixed: receive %d got %d bytes, expected %d", i, count,
                      lens[i]);
                if (count == lens[i])
                    mtest_verify(bufs[i] + lens[i], (size_t)lens[i], 300 + i, "mixed payload");
            }
        }
        if (sender)
            MPI_Waitall(MIX, sreq, MPI_STATUSES_IGNORE);
        for (int i = 0; i < MIX; i++)
            free(bufs[i]);
    }

    /* Pre-posted wildcard receives, blocking sends (distinct ranks only). */
    if (peer != rank) {
        if (receiver) {
            int vals[M];
            MPI_Request reqs[M];
            for (int i = 0; i < M; i++)
                MPI_Irecv(&vals[i], 1, MPI_INT, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD,
                          &reqs[i]);
            MPI_Send(&rank, 1, MPI_INT, peer, 99, MPI_COMM_WORLD);
            MPI_Waitall(M, reqs, MPI_STATUSES_IGNORE);
            for (int i = 0; i < M; i++)
                if (vals[i] != 7 * i) {
                    CHECK(0, "pre-posted receive %d got %d", i, vals[i]);
                    break;
                }
        } else {
            int go;
            MPI_Recv(&go, 1, MPI_INT, peer, 99, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            for (int i = 0; i < M; i++) {
                int v = 7 * i;
                MPI_Send(&v, 1, MPI_INT, peer, i % 4, MPI_COMM_WORLD);
            }
        }
    }
    return mtest_finalize(0);
}
