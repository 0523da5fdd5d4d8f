/* MPI_Allgather and MPI_Allgatherv, blocks from 0 bytes to 256 KiB, and in place. */
#include "colltest.h"

static int rank, size;

static int item(int owner, long k)
{
    return owner * 1000003 + (int)k;
}

static void allgather(int n)
{
    int *mine = xmalloc(n * sizeof(int)), *all = xmalloc((size_t)n * size * sizeof(int));
    int bad = 0;
    for (long k = 0; k < n; k++)
        mine[k] = item(rank, k);
    for (long k = 0; k < (long)n * size; k++)
        all[k] = -1;
    CHECK_RC(MPI_Allgather(mine, n, MPI_INT, all, n, MPI_INT, MPI_COMM_WORLD), "MPI_Allgather");
    for (int r = 0; r < size; r++)
        for (long k = 0; k < n; k++)
            bad += all[(long)r * n + k] != item(r, k);
    CHECK(bad == 0, "Allgather n=%d: %d wrong", n, bad);

    for (long k = 0; k < (long)n * size; k++)
        all[k] = -1;
    for (long k = 0; k < n; k++)
        all[(long)rank * n + k] = item(rank, k);
    CHECK_RC(MPI_Allgather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, all, n, MPI_INT, MPI_COMM_WORLD), "MPI_Allgather in place");
    bad = 0;
    for (int r = 0; r < size; r++)
        for (long k = 0; k < n; k++)
            bad += all[(long)r * n + k] != item(r, k);
    CHECK(bad == 0, "Allgather in place n=%d: %d wrong", n, bad);
    free(mine);
    free(all);
}

static void allgatherv(int base)
{
    int *counts = xmalloc(size * sizeof(int)), *displs = xmalloc(size * sizeof(int));
    int total = 0, bad = 0;
    for (int r = size - 1; r >= 0; r--) {
        counts[r] = (r * 3) % 5 + base;
        displs[r] = total;
        total += counts[r] + 1;
    }
    int n = counts[rank];
    short *mine = xmalloc(n * sizeof(short)), *all = xmalloc(total * sizeof(short));
    for (int k = 0; k < n; k++)
        mine[k] = (short)item(rank, k);
    for (int k = 0; k < total; k++)
        all[k] = -1;
    CHECK_RC(MPI_Allgatherv(mine, n, MPI_SHORT, all, counts, displs, MPI_SHORT, MPI_COMM_WORLD), "MPI_Allgatherv");
    for (int r = 0; r < size; r++) {
        for (int k = 0; k < counts[r]; k++)
            bad += all[displs[r] + k] != (short)item(r, k);
        bad += all[displs[r] + counts[r]] != -1;
    }
    CHECK(bad == 0, "Allgatherv base=%d: %d wrong", base, bad);

    for (int k = 0; k < total; k++)
        all[k] = -1;
    for (int k = 0; k < n; k++)
        all[displs[rank] + k] = (short)item(rank, k);
    MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, all, counts, displs, MPI_SHORT, MPI_COMM_WORLD);
    bad = 0;
    for (int r = 0; r < size; r++)
        for (int k = 0; k < counts[r]; k++)
            bad += all[displs[r] + k] != (short)item(r, k);
    CHECK(bad == 0, "Allgatherv in place base=%d: %d wrong", base, bad);
    free(counts);
    free(displs);
    free(mine);
    free(all);
}

int main(int argc, char **argv)
{
    int ns[] = {0, 1, 2, 33, 1000, 20000, 65536};
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    for (int i = 0; i < 7; i++)
        if ((long)ns[i] * size <= 1 << 20)
            allgather(ns[i]);
    for (int base = 0; base < 30000; base = base * 10 + 1)
        allgatherv(base);
    return mtest_finalize(0);
}
