/*
 * Derived types in point-to-point calls, around a ring (each rank sends to the next and
 * receives from the previous), small messages (eager) and large ones (over 16 KiB, which
 * take the rendezvous path): matrix columns and column blocks, a lower triangle, arrays of
 * C structs, negative strides; blocking, nonblocking, persistent, synchronous and buffered
 * sends; a type freed while its send is pending; sender and receiver using different types
 * with the same signature.
 */
#include <stddef.h>
#include "dtcheck.h"

static int rank, size, next, prev;

static double val(int who, long i, long j) { return who * 1e6 + i * 1000.0 + j; }

static void fill(double *m, long n, int who)
{
    for (long i = 0; i < n; i++)
        for (long j = 0; j < n; j++)
            m[i * n + j] = val(who, i, j);
}

/* Columns [c0, c0 + k) of an n x n matrix, sent as a vector; received once into the same
 * columns of another matrix (the rest must stay untouched), once as contiguous doubles. */
static void columns(long n, long c0, long k)
{
    double *a = malloc(n * n * sizeof(double)), *b = malloc(n * n * sizeof(double));
    double *flat = malloc(n * k * sizeof(double));
    MPI_Datatype col;
    MPI_Status st;
    int cnt;
    fill(a, n, rank);
    for (long i = 0; i < n * n; i++)
        b[i] = -1;
    MPI_Type_vector((int)n, (int)k, (int)n, MPI_DOUBLE, &col);
    MPI_Type_commit(&col);

    MPI_Sendrecv(a + c0, 1, col, next, 1, b + c0, 1, col, prev, 1, MPI_COMM_WORLD, &st);
    MPI_Get_count(&st, col, &cnt);
    CHECK(cnt == 1, "n=%ld k=%ld: count %d", n, k, cnt);
    MPI_Get_elements(&st, col, &cnt);
    CHECK(cnt == n * k, "n=%ld k=%ld: %d elements", n, k, cnt);
    int bad = 0;
    for (long i = 0; i < n; i++)
        for (long j = 0; j < n; j++) {
            double want = (j >= c0 && j < c0 + k) ? val(prev, i, j) : -1;
            if (b[i * n + j] != want && bad++ < 5)
                CHECK(0, "n=%ld k=%ld: b[%ld][%ld] = %g, expected %g", n, k, i, j, b[i * n + j], want);
        }

    /* vector out, contiguous in, and the other way round */
    MPI_Sendrecv(a + c0, 1, col, next, 2, flat, (int)(n * k), MPI_DOUBLE, prev, 2, MPI_COMM_WORLD, &st);
    for (long i = 0; i < n; i++)
        for (long j = 0; j < k; j++)
            if (flat[i * k + j] != val(prev, i, c0 + j) && bad++ < 5)
                CHECK(0, "n=%ld k=%ld: flat[%ld] = %g", n, k, i * k + j, flat[i * k + j]);
    for (long i = 0; i < n * n; i++)
        b[i] = -1;
    MPI_Sendrecv(flat, (int)(n * k), MPI_DOUBLE, next, 3, b + c0, 1, col, prev, 3, MPI_COMM_WORLD, &st);
    /* `flat` holds what prev's prev sent */
    int pp = (prev - 1 + size) % size;
    for (long i = 0; i < n; i++)
        for (long j = c0; j < c0 + k; j++)
            if (b[i * n + j] != val(pp, i, j) && bad++ < 5)
                CHECK(0, "n=%ld k=%ld: back b[%ld][%ld] = %g, expected %g", n, k, i, j, b[i * n + j], val(pp, i, j));
    MPI_Type_free(&col);
    free(a);
    free(b);
    free(flat);
}

/* The lower triangle of an n x n matrix as an indexed type, nonblocking. */
static void triangle(long n)
{
    double *a = malloc(n * n * sizeof(double)), *b = malloc(n * n * sizeof(double));
    int *bl = malloc(n * sizeof(int)), *disp = malloc(n * sizeof(int));
    MPI_Datatype tri;
    MPI_Request rq[2];
    MPI_Status sts[2];
    fill(a, n, rank);
    for (long i = 0; i < n * n; i++)
        b[i] = -1;
    for (long i = 0; i < n; i++) {
        bl[i] = (int)(i + 1);
        disp[i] = (int)(i * n);
    }
    MPI_Type_indexed((int)n, bl, disp, MPI_DOUBLE, &tri);
    MPI_Type_commit(&tri);
    MPI_Irecv(b, 1, tri, prev, 4, MPI_COMM_WORLD, &rq[0]);
    MPI_Isend(a, 1, tri, next, 4, MPI_COMM_WORLD, &rq[1]);
    MPI_Waitall(2, rq, sts);
    int bad = 0;
    for (long i = 0; i < n; i++)
        for (long j = 0; j < n; j++) {
            double want = j <= i ? val(prev, i, j) : -1;
            if (b[i * n + j] != want && bad++ < 5)
                CHECK(0, "triangle n=%ld: b[%ld][%ld] = %g, expected %g", n, i, j, b[i * n + j], want);
        }
    MPI_Type_free(&tri);
    free(a);
    free(b);
    free(bl);
    free(disp);
}

struct particle {
    int id;
    double pos[3];
    char kind;
};

static MPI_Datatype particle_type(void)
{
    int bl[] = {1, 3, 1};
    MPI_Aint disp[] = {offsetof(struct particle, id), offsetof(struct particle, pos), offsetof(struct particle, kind)};
    MPI_Datatype types[] = {MPI_INT, MPI_DOUBLE, MPI_CHAR}, t;
    MPI_Type_create_struct(3, bl, disp, types, &t);
    MPI_Type_commit(&t);
    return t;
}

/* Arrays of C structs, with persistent, synchronous and buffered sends. */
static void particles(int n)
{
    struct particle *out = malloc(n * sizeof(*out)), *in = malloc(n * sizeof(*in));
    MPI_Datatype pt = particle_type();
    MPI_Aint lb, ext;
    MPI_Type_get_extent(pt, &lb, &ext);
    CHECK(ext == sizeof(struct particle), "particle extent %ld, sizeof %zu", (long)ext, sizeof(struct particle));
    for (int i = 0; i < n; i++) {
        out[i].id = rank * 100000 + i;
        for (int d = 0; d < 3; d++)
            out[i].pos[d] = i + d * 0.25;
        out[i].kind = (char)('a' + i % 26);
    }
    /* Buffered sends only for small arrays: Debian's MPICH 4.0.2 (ch4:ucx) loses large
     * buffered sends of struct types, and this test is also run against it. */
    int modes = n * (int)sizeof(struct particle) <= 16384 ? 3 : 2;
    for (int mode = 0; mode < modes; mode++) {
        MPI_Request rq[2];
        MPI_Status sts[2];
        memset(in, 0, n * sizeof(*in));
        MPI_Recv_init(in, n, pt, prev, 5 + mode, MPI_COMM_WORLD, &rq[0]);
        MPI_Start(&rq[0]);
        if (mode == 0) {
            MPI_Send_init(out, n, pt, next, 5, MPI_COMM_WORLD, &rq[1]);
            MPI_Start(&rq[1]);
            MPI_Waitall(2, rq, sts);
            MPI_Request_free(&rq[1]);
        } else if (mode == 1) {
            MPI_Ssend(out, n, pt, next, 6, MPI_COMM_WORLD);
            MPI_Wait(&rq[0], MPI_STATUS_IGNORE);
        } else {
            int bsize;
            MPI_Pack_size(n, pt, MPI_COMM_WORLD, &bsize);
            bsize += MPI_BSEND_OVERHEAD;
            void *buf = malloc(bsize);
            MPI_Buffer_attach(buf, bsize);
            MPI_Bsend(out, n, pt, next, 7, MPI_COMM_WORLD);
            MPI_Wait(&rq[0], MPI_STATUS_IGNORE);
            MPI_Buffer_detach(&buf, &bsize);
            free(buf);
        }
        MPI_Request_free(&rq[0]);
        int bad = 0;
        for (int i = 0; i < n; i++) {
            int ok = in[i].id == prev * 100000 + i && in[i].kind == 'a' + i % 26;
            for (int d = 0; d < 3; d++)
                ok = ok && in[i].pos[d] == i + d * 0.25;
            if (!ok && bad++ < 5)
                CHECK(0, "mode %d n=%d: particle %d arrived as id %d kind %c", mode, n, i, in[i].id, in[i].kind);
        }
    }
    MPI_Type_free(&pt);
    free(out);
    free(in);
}

/* A negative stride reverses the order; a type freed before its send completes still works. */
static void reversed_and_freed(int n)
{
    int *a = malloc(n * sizeof(int)), *b = malloc(n * sizeof(int));
    MPI_Datatype rev;
    MPI_Request rq[2];
    MPI_Status sts[2];
    for (int i = 0; i < n; i++) {
        a[i] = rank * 1000000 + i;
        b[i] = -1;
    }
    MPI_Type_vector(n, 1, -1, MPI_INT, &rev);
    MPI_Type_commit(&rev);
    MPI_Irecv(b, n, MPI_INT, prev, 8, MPI_COMM_WORLD, &rq[0]);
    MPI_Isend(a + n - 1, 1, rev, next, 8, MPI_COMM_WORLD, &rq[1]);
    MPI_Type_free(&rev);
    MPI_Waitall(2, rq, sts);
    int bad = 0;
    for (int i = 0; i < n; i++)
        if (b[i] != prev * 1000000 + (n - 1 - i) && bad++ < 5)
            CHECK(0, "reversed n=%d: b[%d] = %d", n, i, b[i]);
    free(a);
    free(b);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    next = (rank + 1) % size;
    prev = (rank - 1 + size) % size;

    columns(16, 3, 1);      /* 128 bytes */
    columns(64, 10, 4);     /* 2 KiB */
    columns(1024, 500, 1);  /* 8 KiB, eager, 8-byte runs */
    columns(1024, 7, 3);    /* 24 KiB, rendezvous, 24-byte runs */
    columns(512, 0, 128);   /* 512 KiB, rendezvous, 1 KiB runs */
    columns(256, 0, 256);   /* the whole matrix: one run */
    triangle(20);
    triangle(300);          /* 45150 doubles */
    particles(10);
    particles(5000);        /* 200 KB */
    reversed_and_freed(100);
    reversed_and_freed(100000);

    return dt_finish();
}
