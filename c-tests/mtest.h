/*
 * Helpers shared by the C test programs.
 *
 * A program counts failed checks with CHECK(cond, fmt, ...) and ends with
 * `return mtest_finalize(errs);`.  mtest_finalize adds the CHECK failures of
 * every rank to rank 0 and prints " No Errors" once from rank 0 when the total
 * is zero.  It sums with point-to-point messages only (collectives other than
 * MPI_Barrier may not exist yet in the library under test), on MPI_COMM_WORLD
 * with a tag no program uses, after a barrier.
 *
 * Every program also compiles against MPICH and Open MPI: only MPI-1.2 calls.
 */
#ifndef MTEST_H
#define MTEST_H

#include <mpi.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(MPICH_VERSION) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
/*
 * MPICH's header declares status arrays as `MPI_Status array_of_statuses[]`,
 * and GCC 11+ then reports MPI_STATUSES_IGNORE, ((MPI_Status *)1), as an
 * access to a region of size 0.  Nothing is accessed: the warning is false.
 */
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#endif

#define MTEST_TAG_FINALIZE 32001

/* Failed checks of this rank; CHECK increments it so helper functions can check too. */
static int mtest_errs __attribute__((unused)) = 0;

__attribute__((format(printf, 4, 5), unused)) static void
mtest_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
    int initialized = 0, rank = -1;
    char msg[1024];
    va_list ap;

    MPI_Initialized(&initialized);
    if (initialized)
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* One write per failure, so that lines of different ranks do not mix. */
    printf("[rank %d] %s:%d: check failed: %s: %s\n", rank, file, line, cond, msg);
    fflush(stdout);
    mtest_errs++;
}

/* CHECK(cond, fmt, ...): report and count a failure when cond is false. */
#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (!(cond))                                                           \
            mtest_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);                \
    } while (0)

/* CHECK_RC(rc, what): rc must be MPI_SUCCESS. */
#define CHECK_RC(rc, what)                                                     \
    do {                                                                       \
        int mtest_rc_ = (rc);                                                  \
        if (mtest_rc_ != MPI_SUCCESS)                                          \
            mtest_fail(__FILE__, __LINE__, what, "returned %d", mtest_rc_);    \
    } while (0)

/* The error class of an error code. */
__attribute__((unused)) static int mtest_class(int code)
{
    int cls = -1;
    MPI_Error_class(code, &cls);
    return cls;
}

/* CHECK_CLASS(rc, class, what): rc must be an error of the given class, with text. */
#define CHECK_CLASS(rc, cls, what)                                             \
    do {                                                                       \
        int mtest_rc_ = (rc);                                                  \
        int mtest_cls_ = mtest_class(mtest_rc_);                               \
        char mtest_str_[MPI_MAX_ERROR_STRING];                                 \
        int mtest_len_ = -1;                                                   \
        if (mtest_cls_ != (cls))                                               \
            mtest_fail(__FILE__, __LINE__, what,                               \
                       "returned %d of class %d, expected class %s (%d)",      \
                       mtest_rc_, mtest_cls_, #cls, (cls));                    \
        mtest_str_[0] = '\0';                                                  \
        MPI_Error_string(mtest_rc_, mtest_str_, &mtest_len_);                  \
        if (mtest_len_ <= 0 || mtest_str_[0] == '\0' ||                        \
            mtest_len_ >= MPI_MAX_ERROR_STRING ||                              \
            (int)strlen(mtest_str_) != mtest_len_)                             \
            mtest_fail(__FILE__, __LINE__, what,                               \
                       "MPI_Error_string(%d) gave length %d, text \"%s\"",     \
                       mtest_rc_, mtest_len_, mtest_str_);                     \
    } while (0)

/* A byte pattern that differs by message, offset and sender, for payload checks. */
__attribute__((unused)) static unsigned char mtest_pattern(int seed, size_t i)
{
    return (unsigned char)((i * 31u + (size_t)seed * 7u + (i >> 8) + (i >> 16)) & 0xff);
}

__attribute__((unused)) static void mtest_fill(unsigned char *buf, size_t n, int seed)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = mtest_pattern(seed, i);
}

/* Number of bytes that differ from the pattern; reports the first one. */
__attribute__((unused)) static size_t
mtest_verify(const unsigned char *buf, size_t n, int seed, const char *what)
{
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < n; i++) {
        if (buf[i] != mtest_pattern(seed, i)) {
            if (bad == 0)
                first = i;
            bad++;
        }
    }
    if (bad)
        mtest_fail(__FILE__, __LINE__, what,
                   "%zu of %zu bytes wrong, first at %zu: got %u, expected %u", bad, n,
                   first, buf[first], mtest_pattern(seed, first));
    return bad;
}

/*
 * Adds errs and this rank's CHECK failures over MPI_COMM_WORLD, prints the
 * verdict from rank 0, finalizes MPI and returns the exit code for main.
 */
__attribute__((unused)) static int mtest_finalize(int errs)
{
    int rank, size, total, i;

    errs += mtest_errs;
    /*
     * Nobody sends its count before everybody is here, so a count cannot be
     * taken by a wildcard receive that the program still has posted.
     */
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    total = errs;
    if (rank == 0) {
        for (i = 1; i < size; i++) {
            int theirs = 0;
            MPI_Status st;
            MPI_Recv(&theirs, 1, MPI_INT, i, MTEST_TAG_FINALIZE, MPI_COMM_WORLD, &st);
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

#endif
