/*
 * Shared by latency.c and bandwidth.c: options, the list of sizes, and the data pattern
 * that checks every measured size once after timing it. Plain MPI-1.2 and C99, so the
 * same source builds with ftmpi, MPICH and Open MPI.
 */
#ifndef FTMPI_BENCH_COMMON_H
#define FTMPI_BENCH_COMMON_H

/* posix_memalign under -std=c99 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200112L
#endif

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KIB ((size_t)1024)
#define MIB (KIB * KIB)

struct opts {
    int quick;      /* few sizes, few iterations: a correctness pass */
    size_t min;     /* smallest size measured (0 allowed) */
    size_t max;     /* largest size measured */
    long iters;     /* iteration cap per size */
    long window;    /* messages in flight (bandwidth only) */
    int test_loop;  /* latency only: 1 offers -t, 2 when given (receive with MPI_Irecv and
                       MPI_Test in a loop, as codes that overlap computation do) */
};

static void usage(const char *prog, const struct opts *d)
{
    fprintf(stderr,
            "usage: %s [-q] [-m MAXBYTES] [-n ITERS]%s%s\n"
            "  -q           quick pass: few sizes and iterations, checks the data\n"
            "  -m MAXBYTES  largest message (default %zu)\n"
            "  -n ITERS     iteration cap per size (default %ld)\n"
            "%s%s",
            prog, d->window ? " [-w WINDOW]" : "", d->test_loop ? " [-t]" : "", d->max, d->iters,
            d->window ? "  -w WINDOW    messages in flight (default 64)\n" : "",
            d->test_loop ? "  -t           receive with MPI_Irecv and an MPI_Test loop\n" : "");
}

/* Returns 0 on success; on a bad option rank 0 prints the usage. */
static int parse_opts(int argc, char **argv, struct opts *o, int rank)
{
    struct opts d = *o;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = (i + 1 < argc) ? argv[i + 1] : NULL;
        if (strcmp(a, "-q") == 0) {
            o->quick = 1;
        } else if (strcmp(a, "-m") == 0 && val) {
            o->max = strtoull(val, NULL, 0);
            i++;
        } else if (strcmp(a, "-n") == 0 && val) {
            o->iters = strtol(val, NULL, 0);
            i++;
        } else if (strcmp(a, "-t") == 0 && d.test_loop) {
            o->test_loop = 2;
        } else if (strcmp(a, "-w") == 0 && val && d.window) {
            o->window = strtol(val, NULL, 0);
            i++;
        } else {
            if (rank == 0)
                usage(argv[0], &d);
            return -1;
        }
    }
    if (o->iters < 1 || (d.window && o->window < 1) || o->max < o->min) {
        if (rank == 0)
            usage(argv[0], &d);
        return -1;
    }
    return 0;
}

#define MAX_SIZES 64

/* Sizes from min to max: min itself (0 for latency), then powers of two. A quick pass keeps
 * every fourth power (1, 16, 256, 4 KiB, 64 KiB, 1 MiB, ...) plus both ends, so the eager
 * and the rendezvous paths both still run. Returns how many sizes were written. */
static int size_list(const struct opts *o, size_t sizes[MAX_SIZES])
{
    int n = 0;
    sizes[n++] = o->min;
    for (size_t s = 1, log2 = 0; s < o->max && n < MAX_SIZES - 1; s *= 2, log2++) {
        if (s <= o->min || (o->quick && log2 % 4 != 0))
            continue;
        sizes[n++] = s;
    }
    if (o->max > o->min)
        sizes[n++] = o->max;
    return n;
}

static unsigned char pattern(size_t i, size_t size, long slot, int seed)
{
    return (unsigned char)((i * 131u) ^ (size * 7u) ^ ((size_t)slot * 29u) ^ (size_t)seed);
}

static void fill(unsigned char *buf, size_t size, long slot, int seed)
{
    for (size_t i = 0; i < size; i++)
        buf[i] = pattern(i, size, slot, seed);
}

/* Returns the number of wrong bytes, and reports the first one. */
static size_t check(const char *what, const unsigned char *buf, size_t size, long slot,
                    int seed)
{
    size_t bad = 0;
    for (size_t i = 0; i < size; i++) {
        if (buf[i] != pattern(i, size, slot, seed)) {
            if (bad == 0)
                fprintf(stderr, "%s: size %zu slot %ld: byte %zu is 0x%02x, expected 0x%02x\n",
                        what, size, slot, i, buf[i], pattern(i, size, slot, seed));
            bad++;
        }
    }
    return bad;
}

static void check_count(const char *what, MPI_Status *st, size_t size)
{
    int count = -1;
    MPI_Get_count(st, MPI_BYTE, &count);
    if (count < 0 || (size_t)count != size) {
        fprintf(stderr, "%s: received %d bytes, expected %zu\n", what, count, size);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
}

static unsigned char *alloc_buf(size_t size)
{
    void *p = NULL;
    /* Page-aligned, and touched now so page faults stay out of the timings. */
    if (posix_memalign(&p, 4096, size ? size : 1) != 0) {
        fprintf(stderr, "cannot allocate %zu bytes\n", size);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    memset(p, 0, size ? size : 1);
    return p;
}

/* Messages in flight for `size`-byte messages: the window, or fewer when `pool` bytes of
 * separate buffers cannot hold that many (MPI forbids overlapping receive buffers). */
static inline long window_for(const struct opts *o, size_t size, size_t pool)
{
    size_t fit = size ? pool / size : (size_t)o->window;
    if (fit < 1)
        fit = 1;
    return fit < (size_t)o->window ? (long)fit : o->window;
}

static long clamp_iters(size_t budget, size_t per_iter, long min, long max)
{
    size_t n = per_iter ? budget / per_iter : (size_t)max;
    if (n < (size_t)min)
        n = (size_t)min;
    if (n > (size_t)max)
        n = (size_t)max;
    return (long)n;
}

static void print_header(const char *name, int nprocs, const struct opts *o)
{
    int major = 0, minor = 0;
    MPI_Get_version(&major, &minor);
    printf("# %s: ranks 0 and 1 of %d, MPI %d.%d, sizes %zu..%zu, iteration cap %ld%s%s\n",
           name, nprocs, major, minor, o->min, o->max, o->iters, o->quick ? ", quick" : "",
           o->test_loop == 2 ? ", receives polled with MPI_Test" : "");
    fflush(stdout);
}

#endif
