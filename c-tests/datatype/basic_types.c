/*
 * Every predefined C datatype of MPI-1.2, including the pair types for
 * MINLOC/MAXLOC, goes around the ring (each rank sends to its right
 * neighbour and receives from its left) in counts 1, 100 and 20000 (past the
 * eager limit), with values that include each type's extremes.  The
 * receiver rebuilds the sender's values and compares them element by
 * element (member by member for pairs), checks MPI_Get_count in elements of
 * the type, and that nothing after the message was written.
 */
#include "mtest.h"
#include <float.h>
#include <limits.h>

typedef struct { float v; int i; } float_int;
typedef struct { double v; int i; } double_int;
typedef struct { long v; int i; } long_int;
typedef struct { int v; int i; } two_int;
typedef struct { short v; int i; } short_int;
typedef struct { long double v; int i; } long_double_int;

/* Cycles through min, max, small negatives and values that depend on the sender. */
#define PICK(lo, hi, T)                                                                   \
    (i % 5 == 0   ? (T)(lo)                                                               \
     : i % 5 == 1 ? (T)(hi)                                                               \
     : i % 5 == 2 ? (T)((lo) < 0 ? -(seed % 50) - 1 : seed % 50)                          \
                  : (T)(seed * 3 + i % 90))

#define SCALAR(name, T, lo, hi)                                                           \
    static void fill_##name(void *p, int seed, int n)                                     \
    {                                                                                     \
        T *b = p;                                                                         \
        for (int i = 0; i < n; i++)                                                       \
            b[i] = PICK(lo, hi, T);                                                       \
    }                                                                                     \
    static int eq_##name(const void *a, const void *b, int i)                             \
    {                                                                                     \
        return ((const T *)a)[i] == ((const T *)b)[i];                                    \
    }

/* Floating types: extremes, a fraction that uses every mantissa bit, negative zero. */
#define FLOATING(name, T, MAXV, MINV, ONE)                                                \
    static void fill_##name(void *p, int seed, int n)                                     \
    {                                                                                     \
        T *b = p;                                                                         \
        for (int i = 0; i < n; i++)                                                       \
            b[i] = i % 5 == 0   ? MAXV                                                    \
                   : i % 5 == 1 ? -MINV                                                   \
                   : i % 5 == 2 ? ONE / (T)(3 + seed)                                     \
                   : i % 5 == 3 ? -(T)0.0                                                 \
                                : (T)(seed * 1000 + i) * (T)0.25;                         \
    }                                                                                     \
    static int eq_##name(const void *a, const void *b, int i)                             \
    {                                                                                     \
        return ((const T *)a)[i] == ((const T *)b)[i];                                    \
    }

#define PAIR(name, T, VT, lo, hi)                                                         \
    static void fill_##name(void *p, int seed, int n)                                     \
    {                                                                                     \
        T *b = p;                                                                         \
        memset(b, 0, sizeof(T) * (size_t)n);                                              \
        for (int i = 0; i < n; i++) {                                                     \
            b[i].v = PICK(lo, hi, VT);                                                    \
            b[i].i = i % 3 == 0 ? INT_MIN + i : seed * 7 + i;                             \
        }                                                                                 \
    }                                                                                     \
    static int eq_##name(const void *a, const void *b, int i)                             \
    {                                                                                     \
        return ((const T *)a)[i].v == ((const T *)b)[i].v &&                              \
               ((const T *)a)[i].i == ((const T *)b)[i].i;                                \
    }

SCALAR(char, char, CHAR_MIN, CHAR_MAX)
SCALAR(short, short, SHRT_MIN, SHRT_MAX)
SCALAR(int, int, INT_MIN, INT_MAX)
SCALAR(long, long, LONG_MIN, LONG_MAX)
SCALAR(uchar, unsigned char, 0, UCHAR_MAX)
SCALAR(ushort, unsigned short, 0, USHRT_MAX)
SCALAR(uint, unsigned, 0, UINT_MAX)
SCALAR(ulong, unsigned long, 0, ULONG_MAX)
SCALAR(byte, unsigned char, 0, 255)
SCALAR(packed, unsigned char, 0, 255)
SCALAR(llong, long long, LLONG_MIN, LLONG_MAX)
FLOATING(float, float, FLT_MAX, FLT_MIN, 1.0f)
FLOATING(double, double, DBL_MAX, DBL_MIN, 1.0)
FLOATING(ldouble, long double, LDBL_MAX, LDBL_MIN, 1.0L)
PAIR(float_int, float_int, float, -FLT_MAX, FLT_MAX)
PAIR(double_int, double_int, double, -DBL_MAX, DBL_MAX)
PAIR(long_int, long_int, long, LONG_MIN, LONG_MAX)
PAIR(two_int, two_int, int, INT_MIN, INT_MAX)
PAIR(short_int, short_int, short, SHRT_MIN, SHRT_MAX)
PAIR(long_double_int, long_double_int, long double, -LDBL_MAX, LDBL_MAX)

struct type_case {
    const char *name;
    MPI_Datatype type;
    size_t extent;
    void (*fill)(void *, int, int);
    int (*eq)(const void *, const void *, int);
};

#define CASE(mpi, name, T) {#mpi, mpi, sizeof(T), fill_##name, eq_##name}

int main(int argc, char **argv)
{
    static const int counts[] = {1, 100, 20000};
    int rank, size, left, right;
    struct type_case cases[] = {
        CASE(MPI_CHAR, char, char),
        CASE(MPI_SHORT, short, short),
        CASE(MPI_INT, int, int),
        CASE(MPI_LONG, long, long),
        CASE(MPI_UNSIGNED_CHAR, uchar, unsigned char),
        CASE(MPI_UNSIGNED_SHORT, ushort, unsigned short),
        CASE(MPI_UNSIGNED, uint, unsigned),
        CASE(MPI_UNSIGNED_LONG, ulong, unsigned long),
        CASE(MPI_FLOAT, float, float),
        CASE(MPI_DOUBLE, double, double),
        CASE(MPI_LONG_DOUBLE, ldouble, long double),
        CASE(MPI_BYTE, byte, unsigned char),
        CASE(MPI_PACKED, packed, unsigned char),
        CASE(MPI_LONG_LONG_INT, llong, long long),
        CASE(MPI_FLOAT_INT, float_int, float_int),
        CASE(MPI_DOUBLE_INT, double_int, double_int),
        CASE(MPI_LONG_INT, long_int, long_int),
        CASE(MPI_2INT, two_int, two_int),
        CASE(MPI_SHORT_INT, short_int, short_int),
        CASE(MPI_LONG_DOUBLE_INT, long_double_int, long_double_int),
    };
    int ncases = (int)(sizeof cases / sizeof cases[0]);

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    left = (rank + size - 1) % size;
    right = (rank + 1) % size;

    for (int c = 0; c < ncases; c++) {
        const struct type_case *tc = &cases[c];
        for (int k = 0; k < 3; k++) {
            int n = counts[k], count = -1, tag = c * 3 + k, bad = 0;
            size_t bytes = tc->extent * (size_t)n;
            unsigned char *sbuf = malloc(bytes), *rbuf = malloc(bytes + tc->extent);
            unsigned char *expect = malloc(bytes);
            MPI_Request req;
            MPI_Status st;

            tc->fill(sbuf, rank + tag, n);
            tc->fill(expect, left + tag, n);
            memset(rbuf, 0x77, bytes + tc->extent);
            CHECK_RC(MPI_Isend(sbuf, n, tc->type, right, tag, MPI_COMM_WORLD, &req), tc->name);
            CHECK_RC(MPI_Recv(rbuf, n + 1, tc->type, left, tag, MPI_COMM_WORLD, &st), tc->name);
            CHECK_RC(MPI_Wait(&req, MPI_STATUS_IGNORE), tc->name);
            CHECK_RC(MPI_Get_count(&st, tc->type, &count), tc->name);
            CHECK(count == n, "%s: count %d, expected %d", tc->name, count, n);
            for (int i = 0; i < n; i++)
                if (!tc->eq(rbuf, expect, i)) {
                    if (bad++ == 0)
                        CHECK(0, "%s x %d: element %d differs", tc->name, n, i);
                }
            for (size_t i = 0; i < tc->extent; i++)
                if (rbuf[bytes + i] != 0x77) {
                    CHECK(0, "%s x %d: wrote past the message", tc->name, n);
                    break;
                }
            free(sbuf);
            free(rbuf);
            free(expect);
        }
    }
    return mtest_finalize(0);
}
