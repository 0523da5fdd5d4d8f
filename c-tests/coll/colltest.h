/*
 * Helpers for the collective tests: the CHECK and mtest_finalize interface of c-tests/mtest.h
 * (which this area keeps its own copy of), plus value helpers. Plain MPI C: also builds with
 * MPICH and Open MPI.
 */
#ifndef COLLTEST_H
#define COLLTEST_H

#include <mpi.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MTEST_TAG_FINALIZE 32001

static int mtest_errs __attribute__((unused)) = 0;

__attribute__((format(printf, 4, 5), unused)) static void
mtest_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
    int initialized = 0, rank = -1;
    va_list ap;

    MPI_Initialized(&initialized);
    if (initialized)
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    /* Only the first few failures of a rank are worth reading. */
    if (mtest_errs < 10) {
        printf("[rank %d] %s:%d: check failed: %s: ", rank, file, line, cond);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        fflush(stdout);
    }
    mtest_errs++;
}

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (!(cond))                                                           \
            mtest_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);                \
    } while (0)

#define CHECK_RC(rc, what)                                                     \
    do {                                                                       \
        int mtest_rc_ = (rc);                                                  \
        if (mtest_rc_ != MPI_SUCCESS)                                          \
            mtest_fail(__FILE__, __LINE__, what, "returned %d", mtest_rc_);    \
    } while (0)

__attribute__((unused)) static int mtest_class(int code)
{
    int cls = -1;
    MPI_Error_class(code, &cls);
    return cls;
}

#define CHECK_CLASS(rc, cls, what)                                             \
    do {                                                                       \
        int mtest_rc_ = (rc);                                                  \
        int mtest_cls_ = mtest_class(mtest_rc_);                               \
        if (mtest_cls_ != (cls))                                               \
            mtest_fail(__FILE__, __LINE__, what,                               \
                       "returned %d of class %d, expected class %s (%d)",      \
                       mtest_rc_, mtest_cls_, #cls, (cls));                    \
    } while (0)

/* Sums the failures of every rank at rank 0 (point-to-point only), prints the verdict there,
 * finalizes and returns the exit code for main. */
__attribute__((unused)) static int mtest_finalize(int errs)
{
    int rank, size, total, i;

    errs += mtest_errs;
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    total = errs;
    if (rank == 0) {
        for (i = 1; i < size; i++) {
            int theirs = 0;
            MPI_Recv(&theirs, 1, MPI_INT, i, MTEST_TAG_FINALIZE, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            total += theirs;
        }
        if (total == 0)
            printf(" No Errors\n");
        else
            printf(" Found %d errors\n", total);
        fflush(stdout);
    } else {
        MPI_Send(&errs, 1, MPI_INT, 0, MTEST_TAG_FINALIZE, MPI_COMM_WORLD);
    }
    MPI_Finalize();
    return total != 0;
}

/* A value that depends on the rank and the index, small enough that sums and products of a
 * few of them stay exact in every type used. */
__attribute__((unused)) static int val(int rank, long i)
{
    return (int)((rank * 7 + i * 13) % 11) - 3;
}

__attribute__((unused)) static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "out of memory (%zu bytes)\n", n);
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    return p;
}

#endif
