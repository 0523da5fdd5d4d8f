/* MPI_Alltoall and MPI_Alltoallv from 0 bytes to 64 KiB per pair, and in place. */
#include "colltest.h"

static int rank, size;

/* What member `from` sends to member `to`, element k. */
static int item(int from, int to, long k)
{
    return from * 100003 + to * 1009 + (int)k;
}

static void alltoall(int n)
{
    size_t all = (size_t)n * size;
    int *s = xmalloc(all * sizeof(int)), *r = xmalloc(all * sizeof(int));
    int bad = 0;
    for (int to = 0; to < size; to++)
        for (long k = 0; k < n; k++)
            s[(long)to * n + k] = item(rank, to, k);
    for (size_t k = 0; k < all; k++)
        r[k] = -1;
    CHECK_RC(MPI_Alltoall(s, n, MPI_INT, r, n, MPI_INT, MPI_COMM_WORLD), "MPI_Alltoall");
    for (int from = 0; from < size; from++)
        for (long k = 0; k < n; k++)
            bad += r[(long)from * n + k] != item(from, rank, k);
    CHECK(bad == 0, "Alltoall n=%d: %d wrong", n, bad);

    CHECK_RC(MPI_Alltoall(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, s, n, MPI_INT, MPI_COMM_WORLD), "MPI_Alltoall in place");
    bad = 0;
    for (int from = 0; from < size; from++)
        for (long k = 0; k < n; k++)
            bad += s[(long)from * n + k] != item(from, rank, k);
    CHECK(bad == 0, "Alltoall in place n=%d: %d wrong", n, bad);
    free(s);
    free(r);
}

/* Member `from` sends (from + 2 to) % 4 * base + from elements to `to`; blocks are laid out
 * in reverse order on both sides, with gaps. */
static int len(int from, int to, int base)
{
    return ((from + 2 * to) % 4) * base + from % 2;
}

static void alltoallv(int base)
{
    int *sc = xmalloc(size * sizeof(int)), *sd = xmalloc(size * sizeof(int));
    int *rc = xmalloc(size * sizeof(int)), *rd = xmalloc(size * sizeof(int));
    int st = 0, rt = 0, bad = 0;
    for (int p = size - 1; p >= 0; p--) {
        sc[p] = len(rank, p, base);
        sd[p] = st;
        st += sc[p] + 1;
        rc[p] = len(p, rank, base);
        rd[p] = rt;
        rt += rc[p] + 3;
    }
    long *s = xmalloc(st * sizeof(long)), *r = xmalloc(rt * sizeof(long));
    for (int p = 0; p < size; p++)
        for (int k = 0; k < sc[p]; k++)
            s[sd[p] + k] = item(rank, p, k);
    for (int k = 0; k < rt; k++)
        r[k] = -1;
    CHECK_RC(MPI_Alltoallv(s, sc, sd, MPI_LONG, r, rc, rd, MPI_LONG, MPI_COMM_WORLD), "MPI_Alltoallv");
    for (int p = 0; p < size; p++) {
        for (int k = 0; k < rc[p]; k++)
            bad += r[rd[p] + k] != item(p, rank, k);
        bad += r[rd[p] + rc[p]] != -1;
    }
    CHECK(bad == 0, "Alltoallv base=%d: %d wrong", base, bad);
    free(s);
    free(r);
    free(sc);
    free(sd);
    free(rc);
    free(rd);
}

/* In place, alltoallv needs the same counts both ways: member i sends i + j + 1 to j. */
static void alltoallv_in_place(void)
{
    int *c = xmalloc(size * sizeof(int)), *d = xmalloc(size * sizeof(int)), t = 0, bad = 0;
    for (int p = 0; p < size; p++) {
        c[p] = rank + p + 1;
        d[p] = t;
        t += c[p];
    }
    int *b = xmalloc(t * sizeof(int));
    for (int p = 0; p < size; p++)
        for (int k = 0; k < c[p]; k++)
            b[d[p] + k] = item(rank, p, k);
    MPI_Alltoallv(MPI_IN_PLACE, NULL, NULL, MPI_DATATYPE_NULL, b, c, d, MPI_INT, MPI_COMM_WORLD);
    for (int p = 0; p < size; p++)
        for (int k = 0; k < c[p]; k++)
            bad += b[d[p] + k] != item(p, rank, k);
    CHECK(bad == 0, "Alltoallv in place: %d wrong", bad);
    free(b);
    free(c);
    free(d);
}

int main(int argc, char **argv)
{
    int ns[] = {0, 1, 5, 256, 4000, 16384};
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    for (int i = 0; i < 6; i++)
        alltoall(ns[i]);
    for (int base = 0; base < 20000; base = base * 10 + 1)
        alltoallv(base);
    alltoallv_in_place();
    return mtest_finalize(0);
}
