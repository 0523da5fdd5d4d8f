/* MPI_Scan, MPI_Exscan, MPI_Reduce_scatter and MPI_Reduce_scatter_block with predefined
 * operations, short and long, and in place. */
#include "colltest.h"

static int rank, size;

static long prefix(int upto, long k)
{
    long s = 0;
    for (int r = 0; r < upto; r++)
        s += val(r, k);
    return s;
}

int main(int argc, char **argv)
{
    int ns[] = {0, 1, 10, 1000, 200000};
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    for (int i = 0; i < 5; i++) {
        int n = ns[i], bad = 0;
        long *in = xmalloc(n * sizeof(long)), *out = xmalloc(n * sizeof(long));
        for (long k = 0; k < n; k++)
            in[k] = val(rank, k);
        MPI_Scan(in, out, n, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
        for (long k = 0; k < n; k++)
            bad += out[k] != prefix(rank + 1, k);
        CHECK(bad == 0, "Scan n=%d: %d wrong", n, bad);
        for (long k = 0; k < n; k++)
            out[k] = -77;
        MPI_Exscan(in, out, n, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
        bad = 0;
        if (rank > 0)
            for (long k = 0; k < n; k++)
                bad += out[k] != prefix(rank, k);
        CHECK(bad == 0, "Exscan n=%d: %d wrong", n, bad);
        memcpy(out, in, n * sizeof(long));
        MPI_Scan(MPI_IN_PLACE, out, n, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
        bad = 0;
        for (long k = 0; k < n; k++)
            bad += out[k] != prefix(rank + 1, k);
        CHECK(bad == 0, "Scan in place n=%d: %d wrong", n, bad);
        free(in);
        free(out);
    }

    /* MAX scan on doubles. */
    {
        double x = (rank * 7) % 5, m;
        MPI_Scan(&x, &m, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        double want = 0;
        for (int r = 0; r <= rank; r++)
            want = (r * 7) % 5 > want ? (r * 7) % 5 : want;
        CHECK(m == want, "MAX scan: %g, expected %g", m, want);
    }

    /* Reduce_scatter: member i gets (i % 3) * base + 1 elements. */
    for (int base = 0; base < 100000; base = base * 30 + 1) {
        int *counts = xmalloc(size * sizeof(int)), total = 0, first = 0, bad = 0;
        for (int i = 0; i < size; i++) {
            counts[i] = (i % 3) * base + 1;
            if (i < rank)
                first += counts[i];
            total += counts[i];
        }
        int *in = xmalloc(total * sizeof(int)), *out = xmalloc(counts[rank] * sizeof(int));
        for (long k = 0; k < total; k++)
            in[k] = val(rank, k);
        MPI_Reduce_scatter(in, out, counts, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
        for (int k = 0; k < counts[rank]; k++)
            bad += out[k] != prefix(size, first + k);
        CHECK(bad == 0, "Reduce_scatter base=%d: %d wrong", base, bad);
#ifdef MPICH_VERSION
        /* MPICH 4.0 trips an assertion (overlapping memcpy) on long in-place ones. */
        if (base > 1000) {
            free(counts);
            free(in);
            free(out);
            continue;
        }
#endif
        MPI_Reduce_scatter(MPI_IN_PLACE, in, counts, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
        bad = 0;
        for (int k = 0; k < counts[rank]; k++)
            bad += in[k] != prefix(size, first + k);
        CHECK(bad == 0, "Reduce_scatter in place base=%d: %d wrong", base, bad);
        free(counts);
        free(in);
        free(out);
    }

    /* Reduce_scatter_block (MPI-2.2). */
    {
        int n = 5000, bad = 0;
        float *in = xmalloc((size_t)n * size * sizeof(float)), *out = xmalloc(n * sizeof(float));
        for (long k = 0; k < (long)n * size; k++)
            in[k] = (float)val(rank, k);
        MPI_Reduce_scatter_block(in, out, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        for (int k = 0; k < n; k++)
            bad += out[k] != (float)prefix(size, (long)rank * n + k);
        CHECK(bad == 0, "Reduce_scatter_block: %d wrong", bad);
        free(in);
        free(out);
    }
    return mtest_finalize(0);
}
