/*
 * Many outstanding nonblocking operations: every rank posts NREQ receives
 * from each other rank (and itself) before anyone sends, then sends NREQ
 * messages to each, alternating small and medium sizes, all outstanding at
 * once, and completes everything with one MPI_Waitall.  A second round posts
 * the receives after the sends, so the messages queue up unexpected first.
 */
#include "mtest.h"

#define NREQ 256

static int len_of(int i)
{
    return (i % 4 == 3) ? 2000 + i : 1 + i % 16;
}

static int value(int src, int dst, int i, int k)
{
    return ((src * 131 + dst) * 1009 + i) * 7 + k;
}

int main(int argc, char **argv)
{
    int rank, size;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    for (int round = 0; round < 2; round++) {
        int total = NREQ * size;
        MPI_Request *reqs = malloc(sizeof(MPI_Request) * 2 * (size_t)total);
        int **sbufs = malloc(sizeof(int *) * (size_t)total);
        int **rbufs = malloc(sizeof(int *) * (size_t)total);
        MPI_Status *sts = malloc(sizeof(MPI_Status) * 2 * (size_t)total);

        for (int p = 0; p < size; p++)
            for (int i = 0; i < NREQ; i++) {
                int j = p * NREQ + i, n = len_of(i);
                sbufs[j] = malloc(sizeof(int) * (size_t)n);
                rbufs[j] = malloc(sizeof(int) * (size_t)n);
                for (int k = 0; k < n; k++) {
                    sbufs[j][k] = value(rank, p, i, k);
                    rbufs[j][k] = -1;
                }
            }
        if (round == 0) {
            for (int j = 0; j < total; j++)
                MPI_Irecv(rbufs[j], len_of(j % NREQ), MPI_INT, j / NREQ, j % NREQ, MPI_COMM_WORLD,
                          &reqs[j]);
            MPI_Barrier(MPI_COMM_WORLD);
        }
        for (int i = 0; i < NREQ; i++)
            for (int d = 0; d < size; d++) {
                int p = (rank + d) % size, j = p * NREQ + i;
                MPI_Isend(sbufs[j], len_of(i), MPI_INT, p, i, MPI_COMM_WORLD, &reqs[total + j]);
            }
        if (round == 1) {
            /* Everybody's sends are out before any receive is posted. */
            MPI_Barrier(MPI_COMM_WORLD);
            for (int j = total - 1; j >= 0; j--)
                MPI_Irecv(rbufs[j], len_of(j % NREQ), MPI_INT, j / NREQ, j % NREQ, MPI_COMM_WORLD,
                          &reqs[j]);
        }
        CHECK_RC(MPI_Waitall(2 * total, reqs, sts), "MPI_Waitall");

        for (int j = 0; j < total; j++) {
            int p = j / NREQ, i = j % NREQ, n = len_of(i), count = -1;
            MPI_Get_count(&sts[j], MPI_INT, &count);
            CHECK(sts[j].MPI_SOURCE == p && sts[j].MPI_TAG == i && count == n,
                  "round %d receive %d: source %d tag %d count %d", round, j, sts[j].MPI_SOURCE,
                  sts[j].MPI_TAG, count);
            for (int k = 0; k < n; k++)
                if (rbufs[j][k] != value(p, rank, i, k)) {
                    CHECK(0, "round %d from %d message %d: element %d is %d", round, p, i, k,
                          rbufs[j][k]);
                    break;
                }
            free(sbufs[j]);
            free(rbufs[j]);
        }
        free(sbufs);
        free(rbufs);
        free(reqs);
        free(sts);
    }
    return mtest_finalize(0);
}
