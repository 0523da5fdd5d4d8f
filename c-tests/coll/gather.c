/* MPI_Gather, MPI_Gatherv, MPI_Scatter and MPI_Scatterv from several roots, blocks from 0
 * bytes to 1 MiB, in place at the root, and gaps and reversed order in the v-variants. */
#include "colltest.h"

static int rank, size;

static int item(int owner, long k)
{
    return owner * 1000003 + (int)k;
}

static void gather_scatter(int n, int root)
{
    int *mine = xmalloc(n * sizeof(int)), *all = xmalloc((size_t)n * size * sizeof(int));
    int bad = 0;
    for (long k = 0; k < n; k++)
        mine[k] = item(rank, k);
    for (long k = 0; k < (long)n * size; k++)
        all[k] = -1;
    CHECK_RC(MPI_Gather(mine, n, MPI_INT, all, n, MPI_INT, root, MPI_COMM_WORLD), "MPI_Gather");
    if (rank == root)
        for (int r = 0; r < size; r++)
            for (long k = 0; k < n; k++)
                bad += all[(long)r * n + k] != item(r, k);
    CHECK(bad == 0, "Gather n=%d root=%d: %d wrong", n, root, bad);

    /* In place: the root's block is already where it belongs. */
    for (long k = 0; k < (long)n * size; k++)
        all[k] = k / (n ? n : 1) == rank ? item(rank, k % (n ? n : 1)) : -1;
    if (rank == root)
        MPI_Gather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, all, n, MPI_INT, root, MPI_COMM_WORLD);
    else
        MPI_Gather(mine, n, MPI_INT, NULL, 0, MPI_DATATYPE_NULL, root, MPI_COMM_WORLD);
    bad = 0;
    if (rank == root)
        for (int r = 0; r < size; r++)
            for (long k = 0; k < n; k++)
                bad += all[(long)r * n + k] != item(r, k);
    CHECK(bad == 0, "Gather in place n=%d root=%d: %d wrong", n, root, bad);

    /* Scatter the gathered data back, then in place. */
    for (long k = 0; k < n; k++)
        mine[k] = -1;
    CHECK_RC(MPI_Scatter(all, n, MPI_INT, mine, n, MPI_INT, root, MPI_COMM_WORLD), "MPI_Scatter");
    bad = 0;
    for (long k = 0; k < n; k++)
        bad += mine[k] != item(rank, k);
    CHECK(bad == 0, "Scatter n=%d root=%d: %d wrong", n, root, bad);
    for (long k = 0; k < n; k++)
        mine[k] = -1;
    if (rank == root)
        MPI_Scatter(all, n, MPI_INT, MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, root, MPI_COMM_WORLD);
    else
        MPI_Scatter(NULL, 0, MPI_DATATYPE_NULL, mine, n, MPI_INT, root, MPI_COMM_WORLD);
    bad = 0;
    if (rank != root)
        for (long k = 0; k < n; k++)
            bad += mine[k] != item(rank, k);
    CHECK(bad == 0, "Scatter in place n=%d root=%d: %d wrong", n, root, bad);
    free(mine);
    free(all);
}

/* Member r has (r * 3) % 5 + base elements; the root lays blocks out in reverse rank order
 * with a gap of 2 between them. */
static void gatherv_scatterv(int base, int root)
{
    int *counts = xmalloc(size * sizeof(int)), *displs = xmalloc(size * sizeof(int));
    int total = 0, bad = 0;
    for (int r = size - 1; r >= 0; r--) {
        counts[r] = (r * 3) % 5 + base;
        displs[r] = total;
        total += counts[r] + 2;
    }
    int n = counts[rank];
    double *mine = xmalloc(n * sizeof(double)), *all = xmalloc(total * sizeof(double));
    for (int k = 0; k < n; k++)
        mine[k] = item(rank, k);
    for (int k = 0; k < total; k++)
        all[k] = -1;
    CHECK_RC(MPI_Gatherv(mine, n, MPI_DOUBLE, all, counts, displs, MPI_DOUBLE, root, MPI_COMM_WORLD), "MPI_Gatherv");
    if (rank == root) {
        for (int r = 0; r < size; r++) {
            for (int k = 0; k < counts[r]; k++)
                bad += all[displs[r] + k] != item(r, k);
            bad += all[displs[r] + counts[r]] != -1;
        }
    }
    CHECK(bad == 0, "Gatherv base=%d root=%d: %d wrong", base, root, bad);

    for (int k = 0; k < n; k++)
        mine[k] = -1;
    CHECK_RC(MPI_Scatterv(all, counts, displs, MPI_DOUBLE, mine, n, MPI_DOUBLE, root, MPI_COMM_WORLD), "MPI_Scatterv");
    bad = 0;
    for (int k = 0; k < n; k++)
        bad += mine[k] != item(rank, k);
    CHECK(bad == 0, "Scatterv base=%d root=%d: %d wrong", base, root, bad);

    /* Gatherv in place. */
    if (rank == root) {
        for (int k = 0; k < total; k++)
            all[k] = -1;
        for (int k = 0; k < n; k++)
            all[displs[rank] + k] = item(rank, k);
        MPI_Gatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, all, counts, displs, MPI_DOUBLE, root, MPI_COMM_WORLD);
        bad = 0;
        for (int r = 0; r < size; r++)
            for (int k = 0; k < counts[r]; k++)
                bad += all[displs[r] + k] != item(r, k);
        CHECK(bad == 0, "Gatherv in place: %d wrong", bad);
    } else {
        for (int k = 0; k < n; k++)
            mine[k] = item(rank, k);
        MPI_Gatherv(mine, n, MPI_DOUBLE, NULL, NULL, NULL, MPI_DATATYPE_NULL, root, MPI_COMM_WORLD);
    }
    free(counts);
    free(displs);
    free(mine);
    free(all);
}

int main(int argc, char **argv)
{
    int ns[] = {0, 1, 3, 100, 2000, 70000, 262144};
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    for (int i = 0; i < 7; i++) {
        /* Long blocks on big groups: a single root keeps the run short. */
        int roots = ns[i] * size > 1000000 ? 1 : (size < 3 ? size : 3);
        for (int k = 0; k < roots; k++)
            gather_scatter(ns[i], (k * (size / 2 + 1)) % size);
    }
    for (int base = 0; base < 3000; base = base * 10 + 1)
        gatherv_scatterv(base, size - 1 - base % size);
    return mtest_finalize(0);
}
