/* Every predefined operation on every type it is defined for (C integers, Fortran INTEGER,
 * REAL and DOUBLE PRECISION seen from C, floating point, long double, complex, logical, byte),
 * through MPI_Allreduce and MPI_Reduce, checked against a local computation. */
#include <complex.h>
#include "colltest.h"

#define N 37

static int rank, size;

/* Small values, so sums and products of a few stay exact even in float. Ranks from 5 on
 * contribute the neutral element of PROD. */
static long v(int r, int i, MPI_Op op)
{
    if (op == MPI_PROD)
        return r >= 5 ? 1 : ((r + i) % 3) + 1;
    return (long)val(r, i) + ((op == MPI_BAND || op == MPI_BOR || op == MPI_BXOR) ? 8 : 0);
}

static long combine(MPI_Op op, long a, long b)
{
    if (op == MPI_SUM) return a + b;
    if (op == MPI_PROD) return a * b;
    if (op == MPI_MAX) return a > b ? a : b;
    if (op == MPI_MIN) return a < b ? a : b;
    if (op == MPI_LAND) return (a != 0) && (b != 0);
    if (op == MPI_LOR) return (a != 0) || (b != 0);
    if (op == MPI_LXOR) return (a != 0) != (b != 0);
    if (op == MPI_BAND) return a & b;
    if (op == MPI_BOR) return a | b;
    if (op == MPI_BXOR) return a ^ b;
    return 0;
}

static long expect(MPI_Op op, int i)
{
    long acc = v(0, i, op);
    for (int r = 1; r < size; r++)
        acc = combine(op, acc, v(r, i, op));
    return acc;
}

/* For unsigned types the values are shifted up so they stay positive. */
#define TEST_TYPE(T, DT, OP, OPNAME, SHIFT)                                              \
    do {                                                                                 \
        T in[N], out[N];                                                                 \
        for (int i = 0; i < N; i++) {                                                    \
            in[i] = (T)(v(rank, i, OP) + (SHIFT));                                       \
            out[i] = (T)0;                                                               \
        }                                                                                \
        CHECK_RC(MPI_Allreduce(in, out, N, DT, OP, MPI_COMM_WORLD), #DT " " OPNAME);     \
        for (int i = 0; i < N; i++) {                                                    \
            long e = expect(OP, i);                                                      \
            T want = (OP == MPI_SUM || OP == MPI_PROD || OP == MPI_MAX || OP == MPI_MIN) \
                         ? (T)(e + ((OP == MPI_SUM) ? (SHIFT) * size : (OP == MPI_PROD ? 0 : (SHIFT)))) \
                         : (T)e;                                                         \
            if ((SHIFT) != 0 && OP == MPI_PROD)                                          \
                break;                                                                   \
            if (out[i] != want) {                                                        \
                CHECK(0, "%s %s element %d: got %g, expected %g", #DT, OPNAME, i,         \
                      (double)out[i], (double)want);                                     \
                break;                                                                   \
            }                                                                            \
        }                                                                                \
    } while (0)

#define ARITH(T, DT, SHIFT)                                  \
    do {                                                     \
        TEST_TYPE(T, DT, MPI_SUM, "SUM", SHIFT);             \
        TEST_TYPE(T, DT, MPI_PROD, "PROD", SHIFT);           \
        TEST_TYPE(T, DT, MPI_MAX, "MAX", SHIFT);             \
        TEST_TYPE(T, DT, MPI_MIN, "MIN", SHIFT);             \
    } while (0)

#define LOGICAL(T, DT)                                       \
    do {                                                     \
        TEST_TYPE(T, DT, MPI_LAND, "LAND", 0);               \
        TEST_TYPE(T, DT, MPI_LOR, "LOR", 0);                 \
        TEST_TYPE(T, DT, MPI_LXOR, "LXOR", 0);               \
    } while (0)

#define BITWISE(T, DT)                                       \
    do {                                                     \
        TEST_TYPE(T, DT, MPI_BAND, "BAND", 0);               \
        TEST_TYPE(T, DT, MPI_BOR, "BOR", 0);                 \
        TEST_TYPE(T, DT, MPI_BXOR, "BXOR", 0);               \
    } while (0)

#define INTEGER(T, DT, SHIFT) \
    do {                      \
        ARITH(T, DT, SHIFT);  \
        LOGICAL(T, DT);       \
        BITWISE(T, DT);       \
    } while (0)

static void complex_ops(void)
{
    double complex in[N], out[N];
    float complex fin[N], fout[N];
    for (int i = 0; i < N; i++) {
        in[i] = (rank < 4 ? (rank + 1) : 1) + (rank < 4 ? (double)((i + rank) % 2) : 0.0) * I;
        fin[i] = (float complex)in[i];
    }
    MPI_Allreduce(in, out, N, MPI_C_DOUBLE_COMPLEX, MPI_PROD, MPI_COMM_WORLD);
    MPI_Allreduce(fin, fout, N, MPI_C_FLOAT_COMPLEX, MPI_PROD, MPI_COMM_WORLD);
    for (int i = 0; i < N; i++) {
        double complex want = 1;
        for (int r = 0; r < size; r++)
            want *= (r < 4 ? (r + 1) : 1) + (r < 4 ? (double)((i + r) % 2) : 0.0) * I;
        CHECK(out[i] == want, "C_DOUBLE_COMPLEX PROD element %d: %g%+gi, expected %g%+gi", i,
              creal(out[i]), cimag(out[i]), creal(want), cimag(want));
        CHECK(fout[i] == (float complex)want, "C_FLOAT_COMPLEX PROD element %d", i);
    }
    MPI_Allreduce(in, out, N, MPI_C_DOUBLE_COMPLEX, MPI_SUM, MPI_COMM_WORLD);
    for (int i = 0; i < N; i++) {
        double complex want = 0;
        for (int r = 0; r < size; r++)
            want += (r < 4 ? (r + 1) : 1) + (r < 4 ? (double)((i + r) % 2) : 0.0) * I;
        CHECK(out[i] == want, "C_DOUBLE_COMPLEX SUM element %d", i);
    }
    /* Fortran COMPLEX and DOUBLE COMPLEX have the same layout as C's. */
    MPI_Allreduce(in, out, N, MPI_DOUBLE_COMPLEX, MPI_SUM, MPI_COMM_WORLD);
    MPI_Allreduce(fin, fout, N, MPI_COMPLEX, MPI_SUM, MPI_COMM_WORLD);
    for (int i = 0; i < N; i++) {
        double complex want = 0;
        for (int r = 0; r < size; r++)
            want += (r < 4 ? (r + 1) : 1) + (r < 4 ? (double)((i + r) % 2) : 0.0) * I;
        CHECK(out[i] == want && fout[i] == (float complex)want, "DOUBLE_COMPLEX/COMPLEX SUM element %d", i);
    }
    long double complex lin[3], lout[3];
    for (int i = 0; i < 3; i++)
        lin[i] = (rank % 3) + 0.5L * I;
    MPI_Allreduce(lin, lout, 3, MPI_C_LONG_DOUBLE_COMPLEX, MPI_SUM, MPI_COMM_WORLD);
    long double re = 0;
    for (int r = 0; r < size; r++)
        re += r % 3;
    CHECK(creall(lout[0]) == re && cimagl(lout[0]) == 0.5L * size, "C_LONG_DOUBLE_COMPLEX SUM");
}

static void long_double_ops(void)
{
    long double in[N], out[N];
    for (int i = 0; i < N; i++)
        in[i] = (long double)val(rank, i) + 0.25L;
    MPI_Allreduce(in, out, N, MPI_LONG_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    for (int i = 0; i < N; i++) {
        long double want = 0;
        for (int r = 0; r < size; r++)
            want += (long double)val(r, i) + 0.25L;
        CHECK(out[i] == want, "LONG_DOUBLE SUM element %d: %Lg, expected %Lg", i, out[i], want);
    }
    /* SUM and PROD round like the machine's own long double arithmetic, also beyond
     * double's precision and down among the denormals. */
    {
        long double x = 1.0L + (long double)(rank + 1) * 0x1p-56L, s = 0, p = 0, ws = 0, wp = 1;
        for (int r = 0; r < size; r++) {
            ws += 1.0L + (long double)(r + 1) * 0x1p-56L;
            wp *= 1.0L + (long double)(r + 1) * 0x1p-56L;
        }
        MPI_Allreduce(&x, &s, 1, MPI_LONG_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
        MPI_Allreduce(&x, &p, 1, MPI_LONG_DOUBLE, MPI_PROD, MPI_COMM_WORLD);
        /* The library combines in its own order; with these values every order gives the
         * same result. */
        CHECK(s == ws, "LONG_DOUBLE SUM beyond double precision: %La, expected %La", s, ws);
        CHECK(p == wp, "LONG_DOUBLE PROD beyond double precision: %La, expected %La", p, wp);
        volatile long double tiny = 0x1p-16400L;
        long double d = rank == 0 ? tiny : 1.0L, dp = 0;
        MPI_Allreduce(&d, &dp, 1, MPI_LONG_DOUBLE, MPI_PROD, MPI_COMM_WORLD);
        CHECK(dp == tiny, "LONG_DOUBLE PROD of a denormal: %La", dp);
    }
    /* MAX tells values apart that differ beyond double's precision. */
    long double x = 1.0L + (long double)rank * 0x1p-60L;
    long double m = 0;
    MPI_Allreduce(&x, &m, 1, MPI_LONG_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    CHECK(m == 1.0L + (long double)(size - 1) * 0x1p-60L, "LONG_DOUBLE MAX beyond double precision");
    MPI_Allreduce(&x, &m, 1, MPI_LONG_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
    CHECK(m == 1.0L, "LONG_DOUBLE MIN");
}

static void fortran_logical(void)
{
    /* A Fortran LOGICAL is an int: non-zero is .TRUE.. */
    int in[4] = {1, rank == 0, 0, rank % 2}, out[4];
    MPI_Allreduce(in, out, 4, MPI_LOGICAL, MPI_LAND, MPI_COMM_WORLD);
    CHECK(out[0] != 0 && (out[1] != 0) == (size == 1) && out[2] == 0 && (out[3] != 0) == 0,
          "LOGICAL LAND: %d %d %d %d", out[0], out[1], out[2], out[3]);
    MPI_Allreduce(in, out, 4, MPI_LOGICAL, MPI_LOR, MPI_COMM_WORLD);
    CHECK(out[0] != 0 && out[1] != 0 && out[2] == 0 && (out[3] != 0) == (size > 1), "LOGICAL LOR");
    MPI_Allreduce(in, out, 4, MPI_LOGICAL, MPI_LXOR, MPI_COMM_WORLD);
    CHECK((out[0] != 0) == (size % 2 == 1) && out[1] != 0 && out[2] == 0 && (out[3] != 0) == ((size / 2) % 2 == 1),
          "LOGICAL LXOR");
}

static void bytes_and_bools(void)
{
    unsigned char in[N], out[N];
    for (int i = 0; i < N; i++)
        in[i] = (unsigned char)(1u << ((rank + i) % 8));
    MPI_Allreduce(in, out, N, MPI_BYTE, MPI_BOR, MPI_COMM_WORLD);
    for (int i = 0; i < N; i++) {
        unsigned want = 0;
        for (int r = 0; r < size; r++)
            want |= 1u << ((r + i) % 8);
        CHECK(out[i] == want, "BYTE BOR element %d", i);
    }
    _Bool b = rank != 1, bo = 0;
    MPI_Allreduce(&b, &bo, 1, MPI_C_BOOL, MPI_LAND, MPI_COMM_WORLD);
    CHECK(bo == (size < 2), "C_BOOL LAND");
}

/* MPI_Reduce on a few types to a non-zero root, and MPI_REPLACE is refused. */
static void reduce_typed(void)
{
    int root = size - 1;
    unsigned long long in[N], out[N];
    for (int i = 0; i < N; i++)
        in[i] = 0xffffffff00000000ull + (unsigned long long)(rank + i);
    MPI_Reduce(in, out, N, MPI_UNSIGNED_LONG_LONG, MPI_MAX, root, MPI_COMM_WORLD);
    if (rank == root)
        for (int i = 0; i < N; i++)
            CHECK(out[i] == 0xffffffff00000000ull + (unsigned long long)(size - 1 + i), "UNSIGNED_LONG_LONG MAX");
    signed char c = (signed char)(-rank), co = 0;
    MPI_Reduce(&c, &co, 1, MPI_SIGNED_CHAR, MPI_MIN, root, MPI_COMM_WORLD);
    if (rank == root)
        CHECK(co == (signed char)(-(size - 1)), "SIGNED_CHAR MIN: %d", co);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    INTEGER(int, MPI_INT, 0);
    INTEGER(long, MPI_LONG, 0);
    INTEGER(short, MPI_SHORT, 0);
    INTEGER(long long, MPI_LONG_LONG, 0);
    INTEGER(signed char, MPI_SIGNED_CHAR, 0);
    INTEGER(unsigned, MPI_UNSIGNED, 100);
    INTEGER(unsigned short, MPI_UNSIGNED_SHORT, 100);
    INTEGER(unsigned long, MPI_UNSIGNED_LONG, 100);
    INTEGER(unsigned char, MPI_UNSIGNED_CHAR, 10);
    INTEGER(int, MPI_INTEGER, 0);
    ARITH(float, MPI_FLOAT, 0);
    ARITH(double, MPI_DOUBLE, 0);
    ARITH(float, MPI_REAL, 0);
    ARITH(double, MPI_DOUBLE_PRECISION, 0);
    ARITH(long double, MPI_LONG_DOUBLE, 0);
    complex_ops();
    long_double_ops();
    fortran_logical();
    bytes_and_bools();
    reduce_typed();
    return mtest_finalize(0);
}
