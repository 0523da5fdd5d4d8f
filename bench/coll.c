/*
 * Collective operations on all ranks of MPI_COMM_WORLD: MPI_Barrier, MPI_Bcast (8 B and 1 MiB),
 * MPI_Allreduce of doubles with MPI_SUM (8 B and 1 MiB) and MPI_Alltoall (1 KiB per pair).
 * Prints one line per case, "coll <name> <bytes> <microseconds>", the time per call averaged
 * over the iterations and then the largest over the ranks; lines starting with '#' are
 * comments. Each case checks its result once after timing it.
 */
/* Not every helper of common.h is used here. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "common.h"

struct cas {
    const char *name;
    size_t bytes;  /* per call: message, vector, or block per pair */
    long iters;
};

static const struct cas cases[] = {
    {"barrier", 0, 20000},
    {"bcast", 8, 20000},
    {"bcast", MIB, 400},
    {"allreduce", 8, 20000},
    {"allreduce", MIB, 200},
    {"alltoall", KIB, 5000},
};
#define NCASES ((int)(sizeof cases / sizeof cases[0]))
/* Seconds of timed calls per case, at most. */
#define TIME_BUDGET 1.0

static int rank, nprocs;

static void run(const struct cas *c, double *a, double *b)
{
    size_t n = c->bytes / sizeof(double);
    if (strcmp(c->name, "barrier") == 0)
        MPI_Barrier(MPI_COMM_WORLD);
    else if (strcmp(c->name, "bcast") == 0)
        MPI_Bcast(a, (int)c->bytes, MPI_BYTE, 0, MPI_COMM_WORLD);
    else if (strcmp(c->name, "allreduce") == 0)
        MPI_Allreduce(a, b, (int)n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    else
        MPI_Alltoall(a, (int)c->bytes, MPI_BYTE, b, (int)c->bytes, MPI_BYTE, MPI_COMM_WORLD);
}

/* One call on known data; returns the number of wrong values. */
static long verify(const struct cas *c, double *a, double *b)
{
    long bad = 0;
    size_t n = c->bytes / sizeof(double);
    if (strcmp(c->name, "bcast") == 0) {
        for (size_t i = 0; i < n; i++)
            a[i] = rank == 0 ? (double)i : -1.0;
        run(c, a, b);
        for (size_t i = 0; i < n; i++)
            bad += a[i] != (double)i;
    } else if (strcmp(c->name, "allreduce") == 0) {
        for (size_t i = 0; i < n; i++)
            a[i] = (double)(rank + (long)i);
        run(c, a, b);
        for (size_t i = 0; i < n; i++)
            bad += b[i] != (double)nprocs * (double)i + (double)nprocs * (nprocs - 1) / 2.0;
    } else if (strcmp(c->name, "alltoall") == 0) {
        unsigned char *s = (unsigned char *)a, *r = (unsigned char *)b;
        for (int p = 0; p < nprocs; p++)
            fill(s + (size_t)p * c->bytes, c->bytes, p, rank);
        run(c, a, b);
        for (int p = 0; p < nprocs; p++)
            bad += (long)check("alltoall", r + (size_t)p * c->bytes, c->bytes, rank, p);
    } else {
        run(c, a, b);
    }
    return bad;
}

int main(int argc, char **argv)
{
    struct opts o = {0, 0, MIB, 20000, 0};
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nprocs);
    if (parse_opts(argc, argv, &o, rank) != 0) {
        MPI_Finalize();
        return 2;
    }
    /* Big enough for any case: 1 MiB vectors, or a 1 KiB block per rank. */
    size_t need = MIB > KIB * (size_t)nprocs ? MIB : KIB * (size_t)nprocs;
    double *a = (double *)alloc_buf(need), *b = (double *)alloc_buf(need);
    if (rank == 0) {
        int major = 0, minor = 0;
        MPI_Get_version(&major, &minor);
        printf("# coll: %d ranks, MPI %d.%d, iteration cap %ld%s\n", nprocs, major, minor, o.iters,
               o.quick ? ", quick" : "");
        fflush(stdout);
    }
    for (int k = 0; k < NCASES; k++) {
        const struct cas *c = &cases[k];
        long iters = c->iters < o.iters ? c->iters : o.iters;
        long warmup = 10;
        double t0, mine, worst = 0.0;
        /* A first few calls say how long one takes: each case runs for about TIME_BUDGET
         * seconds at most, so an implementation that is very slow somewhere (busy-waiting
         * ranks on an oversubscribed node) still finishes. Rank 0 decides for everyone. */
        MPI_Barrier(MPI_COMM_WORLD);
        t0 = MPI_Wtime();
        for (long i = 0; i < warmup; i++)
            run(c, a, b);
        double per = (MPI_Wtime() - t0) / (double)warmup;
        long fit = per > 0 ? (long)(TIME_BUDGET / per) : iters;
        if (fit < iters)
            iters = fit < 5 ? 5 : fit;
        if (o.quick)
            iters = iters / 100 > 2 ? iters / 100 : 2;
        MPI_Bcast(&iters, 1, MPI_LONG, 0, MPI_COMM_WORLD);
        /* Then a tenth more untimed, so every rank runs at its steady pace. */
        for (long i = 0; i < iters / 10; i++)
            run(c, a, b);
        MPI_Barrier(MPI_COMM_WORLD);
        t0 = MPI_Wtime();
        for (long i = 0; i < iters; i++)
            run(c, a, b);
        mine = (MPI_Wtime() - t0) * 1e6 / (double)iters;
        MPI_Reduce(&mine, &worst, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
        long bad = verify(c, a, b), allbad = 0;
        MPI_Reduce(&bad, &allbad, 1, MPI_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
        if (rank == 0) {
            if (allbad) {
                fprintf(stderr, "coll %s %zu: %ld wrong values\n", c->name, c->bytes, allbad);
                MPI_Abort(MPI_COMM_WORLD, 1);
            }
            printf("coll %s %zu %.3f\n", c->name, c->bytes, worst);
            fflush(stdout);
        }
    }
    free(a);
    free(b);
    MPI_Finalize();
    return 0;
}
