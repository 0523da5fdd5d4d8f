/* User operations: a commutative one, a non-commutative one (2x2 matrix product, which must
 * be applied in rank order), and one on a pair type with padding (the function sees the C
 * struct layout). Through MPI_Reduce, MPI_Allreduce, MPI_Reduce_scatter, MPI_Scan and
 * MPI_Exscan, short and long; then MPI_Op_commutative and MPI_Op_free. */
#include "colltest.h"

typedef struct { unsigned a, b, c, d; } mat;

static int rank, size;
static int calls;

static void matmul(void *in, void *inout, int *len, MPI_Datatype *dt)
{
    mat *x = in, *y = inout;
    (void)dt;
    calls++;
    for (int k = 0; k < *len; k++) {
        mat r;
        r.a = x[k].a * y[k].a + x[k].b * y[k].c;
        r.b = x[k].a * y[k].b + x[k].b * y[k].d;
        r.c = x[k].c * y[k].a + x[k].d * y[k].c;
        r.d = x[k].c * y[k].b + x[k].d * y[k].d;
        y[k] = r;
    }
}

static void isum(void *in, void *inout, int *len, MPI_Datatype *dt)
{
    int *x = in, *y = inout;
    if (*dt != MPI_INT)
        abort();
    for (int k = 0; k < *len; k++)
        y[k] += x[k];
}

struct di { double v; int i; };

/* Sum of values, largest index: checks the struct layout survives. */
static void disum(void *in, void *inout, int *len, MPI_Datatype *dt)
{
    struct di *x = in, *y = inout;
    (void)dt;
    for (int k = 0; k < *len; k++) {
        y[k].v += x[k].v;
        y[k].i = x[k].i > y[k].i ? x[k].i : y[k].i;
    }
}

static mat mine(int r, int k)
{
    mat m = {(unsigned)(r + 2), (unsigned)(k + 1), (unsigned)((r * 3 + k) % 5 + 1), (unsigned)(r % 3 + 1)};
    return m;
}

static mat mul(mat x, mat y)
{
    mat r = {x.a * y.a + x.b * y.c, x.a * y.b + x.b * y.d, x.c * y.a + x.d * y.c, x.c * y.b + x.d * y.d};
    return r;
}

/* Product of ranks lo..hi-1 at element k, in rank order. */
static mat prod(int lo, int hi, int k)
{
    mat acc = mine(lo, k);
    for (int r = lo + 1; r < hi; r++)
        acc = mul(acc, mine(r, k));
    return acc;
}

static int same(mat x, mat y)
{
    return x.a == y.a && x.b == y.b && x.c == y.c && x.d == y.d;
}

int main(int argc, char **argv)
{
    MPI_Datatype mtype;
    MPI_Op noncomm, comm, pairop;
    int flag;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    /* A matrix is 16 bytes; without derived datatypes it travels as one 16-byte predefined
     * element. A user operation's data is never looked at by the library. */
    mtype = MPI_2DOUBLE_PRECISION;
    MPI_Op_create(matmul, 0, &noncomm);
    MPI_Op_create(isum, 1, &comm);
    MPI_Op_create(disum, 1, &pairop);
    MPI_Op_commutative(noncomm, &flag);
    CHECK(flag == 0, "MPI_Op_commutative says a non-commutative op commutes");
    MPI_Op_commutative(comm, &flag);
    CHECK(flag == 1, "MPI_Op_commutative says a commutative op does not commute");
    MPI_Op_commutative(MPI_SUM, &flag);
    CHECK(flag == 1, "MPI_SUM does not commute?");

    int ns[] = {1, 5, 200, 70000};
    for (int c = 0; c < 4; c++) {
        int n = ns[c];
        mat *in = xmalloc(n * sizeof(mat)), *out = xmalloc(n * sizeof(mat));
        int bad;
        for (int k = 0; k < n; k++)
            in[k] = mine(rank, k);
        for (int root = 0; root < size; root += (size > 3 ? size / 2 : 1)) {
            memset(out, 0, n * sizeof(mat));
            MPI_Reduce(in, out, n, mtype, noncomm, root, MPI_COMM_WORLD);
            if (rank == root) {
                bad = 0;
                for (int k = 0; k < n; k++)
                    bad += !same(out[k], prod(0, size, k));
                CHECK(bad == 0, "Reduce matrix product n=%d root=%d: %d wrong", n, root, bad);
            }
        }
        MPI_Allreduce(in, out, n, mtype, noncomm, MPI_COMM_WORLD);
        bad = 0;
        for (int k = 0; k < n; k++)
            bad += !same(out[k], prod(0, size, k));
        CHECK(bad == 0, "Allreduce matrix product n=%d: %d wrong", n, bad);

        memcpy(out, in, n * sizeof(mat));
        MPI_Allreduce(MPI_IN_PLACE, out, n, mtype, noncomm, MPI_COMM_WORLD);
        bad = 0;
        for (int k = 0; k < n; k++)
            bad += !same(out[k], prod(0, size, k));
        CHECK(bad == 0, "Allreduce in place matrix product n=%d: %d wrong", n, bad);

        MPI_Scan(in, out, n, mtype, noncomm, MPI_COMM_WORLD);
        bad = 0;
        for (int k = 0; k < n; k++)
            bad += !same(out[k], prod(0, rank + 1, k));
        CHECK(bad == 0, "Scan matrix product n=%d: %d wrong", n, bad);

        MPI_Exscan(in, out, n, mtype, noncomm, MPI_COMM_WORLD);
        if (rank > 0) {
            bad = 0;
            for (int k = 0; k < n; k++)
                bad += !same(out[k], prod(0, rank, k));
            CHECK(bad == 0, "Exscan matrix product n=%d: %d wrong", n, bad);
        }
        free(in);
        free(out);
    }

    /* Reduce_scatter with the non-commutative op: member i gets i + 1 matrices. */
    {
        int total = size * (size + 1) / 2, *counts = xmalloc(size * sizeof(int));
        mat *in = xmalloc(total * sizeof(mat)), *out = xmalloc((rank + 1) * sizeof(mat));
        for (int i = 0; i < size; i++)
            counts[i] = i + 1;
        for (int k = 0; k < total; k++)
            in[k] = mine(rank, k);
        MPI_Reduce_scatter(in, out, counts, mtype, noncomm, MPI_COMM_WORLD);
        int first = rank * (rank + 1) / 2, bad = 0;
        for (int k = 0; k <= rank; k++)
            bad += !same(out[k], prod(0, size, first + k));
        CHECK(bad == 0, "Reduce_scatter matrix product: %d wrong", bad);
        free(counts);
        free(in);
        free(out);
    }

    /* The commutative op, short and long, and Reduce_scatter in place. */
    {
        int n = 300000, *in = xmalloc(n * sizeof(int)), *out = xmalloc(n * sizeof(int)), bad = 0;
        for (int k = 0; k < n; k++)
            in[k] = val(rank, k);
        MPI_Allreduce(in, out, n, MPI_INT, comm, MPI_COMM_WORLD);
        for (int k = 0; k < n; k++) {
            int want = 0;
            for (int r = 0; r < size; r++)
                want += val(r, k);
            bad += out[k] != want;
        }
        CHECK(bad == 0, "Allreduce commutative user op: %d wrong", bad);
        int *counts = xmalloc(size * sizeof(int)), total = 0;
        for (int i = 0; i < size; i++)
            total += counts[i] = (i * 7) % 5 + 1000;
        int *buf = xmalloc(total * sizeof(int));
        for (int k = 0; k < total; k++)
            buf[k] = val(rank, k);
        MPI_Reduce_scatter(MPI_IN_PLACE, buf, counts, MPI_INT, comm, MPI_COMM_WORLD);
        int first = 0;
        for (int i = 0; i < rank; i++)
            first += counts[i];
        bad = 0;
        for (int k = 0; k < counts[rank]; k++) {
            int want = 0;
            for (int r = 0; r < size; r++)
                want += val(r, first + k);
            bad += buf[k] != want;
        }
        CHECK(bad == 0, "Reduce_scatter in place commutative user op: %d wrong", bad);
        free(in);
        free(out);
        free(counts);
        free(buf);
    }

    /* A user op on a pair type: the function sees struct { double; int; } with padding. */
    {
        int n = 1000, bad = 0;
        struct di *in = xmalloc(n * sizeof *in), *out = xmalloc(n * sizeof *out);
        for (int k = 0; k < n; k++) {
            in[k].v = k + rank;
            in[k].i = rank * 10 + k % 3;
        }
        MPI_Allreduce(in, out, n, MPI_DOUBLE_INT, pairop, MPI_COMM_WORLD);
        for (int k = 0; k < n; k++)
            bad += out[k].v != (double)k * size + (double)size * (size - 1) / 2 || out[k].i != (size - 1) * 10 + k % 3;
        CHECK(bad == 0, "user op on MPI_DOUBLE_INT: %d wrong", bad);
        free(in);
        free(out);
    }

    MPI_Op_free(&noncomm);
    MPI_Op_free(&comm);
    MPI_Op_free(&pairop);
    CHECK(noncomm == MPI_OP_NULL && comm == MPI_OP_NULL, "MPI_Op_free did not set MPI_OP_NULL");
    CHECK(size == 1 || calls > 0, "the non-commutative function was never called");
    return mtest_finalize(0);
}
