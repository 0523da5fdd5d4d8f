/* MPI_MINLOC and MPI_MAXLOC on every pair type, through MPI_Allreduce and MPI_Reduce; ties
 * take the smaller index. */
#include "colltest.h"

#define N 11

struct fi { float v; int i; };
struct di { double v; int i; };
struct li { long v; int i; };
struct si { short v; int i; };
struct ii { int v; int i; };
struct ldi { long double v; int i; };

static int rank, size;

/* Value of rank r at element k: several ranks share the extreme values (ties). */
static int value(int r, int k)
{
    return (r * 5 + k * 3) % 7 - (k % 2 ? r % 3 : 0);
}

static void expect(int k, int *minv, int *mini, int *maxv, int *maxi)
{
    *minv = *maxv = value(0, k);
    *mini = *maxi = 0;
    for (int r = 1; r < size; r++) {
        int x = value(r, k);
        if (x < *minv) { *minv = x; *mini = r; }
        if (x > *maxv) { *maxv = x; *maxi = r; }
    }
}

#define PAIR_TEST(S, DT, NAME)                                                          \
    do {                                                                                \
        struct S in[N], mn[N], mx[N];                                                   \
        for (int k = 0; k < N; k++) {                                                   \
            in[k].v = value(rank, k);                                                   \
            in[k].i = rank;                                                             \
        }                                                                               \
        CHECK_RC(MPI_Allreduce(in, mn, N, DT, MPI_MINLOC, MPI_COMM_WORLD), NAME " MINLOC"); \
        CHECK_RC(MPI_Allreduce(in, mx, N, DT, MPI_MAXLOC, MPI_COMM_WORLD), NAME " MAXLOC"); \
        for (int k = 0; k < N; k++) {                                                   \
            int a, b, c, d;                                                             \
            expect(k, &a, &b, &c, &d);                                                  \
            CHECK(mn[k].v == a && mn[k].i == b, NAME " MINLOC %d: (%g, %d), expected (%d, %d)", \
                  k, (double)mn[k].v, mn[k].i, a, b);                                   \
            CHECK(mx[k].v == c && mx[k].i == d, NAME " MAXLOC %d: (%g, %d), expected (%d, %d)", \
                  k, (double)mx[k].v, mx[k].i, c, d);                                   \
        }                                                                               \
        int root = size / 2;                                                            \
        for (int k = 0; k < N; k++)                                                     \
            mn[k].i = -1;                                                               \
        CHECK_RC(MPI_Reduce(in, mn, N, DT, MPI_MINLOC, root, MPI_COMM_WORLD), NAME " Reduce"); \
        if (rank == root)                                                               \
            for (int k = 0; k < N; k++) {                                               \
                int a, b, c, d;                                                         \
                expect(k, &a, &b, &c, &d);                                              \
                CHECK(mn[k].v == a && mn[k].i == b, NAME " Reduce MINLOC %d", k);       \
            }                                                                           \
    } while (0)

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    PAIR_TEST(fi, MPI_FLOAT_INT, "FLOAT_INT");
    PAIR_TEST(di, MPI_DOUBLE_INT, "DOUBLE_INT");
    PAIR_TEST(li, MPI_LONG_INT, "LONG_INT");
    PAIR_TEST(si, MPI_SHORT_INT, "SHORT_INT");
    PAIR_TEST(ii, MPI_2INT, "2INT");
    PAIR_TEST(ldi, MPI_LONG_DOUBLE_INT, "LONG_DOUBLE_INT");
    PAIR_TEST(ii, MPI_2INTEGER, "2INTEGER");

    /* Fortran's pairs keep the index in the value's type. */
    {
        float in[2 * N], out[2 * N];
        double din[2 * N], dout[2 * N];
        for (int k = 0; k < N; k++) {
            in[2 * k] = (float)value(rank, k);
            in[2 * k + 1] = (float)rank;
            din[2 * k] = value(rank, k);
            din[2 * k + 1] = rank;
        }
        MPI_Allreduce(in, out, N, MPI_2REAL, MPI_MAXLOC, MPI_COMM_WORLD);
        MPI_Allreduce(din, dout, N, MPI_2DOUBLE_PRECISION, MPI_MINLOC, MPI_COMM_WORLD);
        for (int k = 0; k < N; k++) {
            int a, b, c, d;
            expect(k, &a, &b, &c, &d);
            CHECK(out[2 * k] == c && out[2 * k + 1] == d, "2REAL MAXLOC %d", k);
            CHECK(dout[2 * k] == a && dout[2 * k + 1] == b, "2DOUBLE_PRECISION MINLOC %d", k);
        }
    }

    /* A long vector, so the long-message algorithms run too. */
    {
        int n = 100000;
        struct di *in = xmalloc(n * sizeof *in), *out = xmalloc(n * sizeof *out);
        for (int k = 0; k < n; k++) {
            in[k].v = value(rank, k);
            in[k].i = rank;
        }
        MPI_Allreduce(in, out, n, MPI_DOUBLE_INT, MPI_MAXLOC, MPI_COMM_WORLD);
        int bad = 0;
        for (int k = 0; k < n; k++) {
            int a, b, c, d;
            expect(k, &a, &b, &c, &d);
            bad += out[k].v != c || out[k].i != d;
        }
        CHECK(bad == 0, "long DOUBLE_INT MAXLOC: %d wrong", bad);
        free(in);
        free(out);
    }
    return mtest_finalize(0);
}
