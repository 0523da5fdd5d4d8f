/*
 * Helpers for the fault-tolerance tests (the contract is FT-SEMANTICS.md).
 *
 * Failures are real: a victim calls ft_die() (raise(SIGKILL)) at a chosen point, or dies
 * another way.  Survivors count failed checks with CHECK and end with
 * `return ft_finish(comm);` on a healthy (recovered) communicator: it sums the failures of
 * its members, prints " No Errors" once from the member with the lowest MPI_COMM_WORLD
 * rank, and finalizes.  Nothing here sleeps to wait for an event.
 *
 * Ranks are described by their rank in MPI_COMM_WORLD before any failure ("original
 * rank"); ft_new_rank() maps one to its rank after a recovery in a given mode.
 */
#ifndef FTTEST_H
#define FTTEST_H

#include <mpi.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FT_MAXP 64

/* Failed checks of this process. */
static int ft_errs __attribute__((unused)) = 0;
/* This process's original rank, for messages. */
static int ft_me __attribute__((unused)) = -1;

__attribute__((format(printf, 4, 5), unused)) static void
ft_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* One write per failure, so that lines of different ranks do not mix. */
    printf("[rank %d] %s:%d: check failed: %s: %s\n", ft_me, file, line, cond, msg);
    fflush(stdout);
    ft_errs++;
}

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (!(cond))                                                           \
            ft_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);                   \
    } while (0)

/* rc must be MPI_SUCCESS. */
#define CHECK_RC(rc, what)                                                     \
    do {                                                                       \
        int ft_rc_ = (rc);                                                     \
        if (ft_rc_ != MPI_SUCCESS)                                             \
            ft_fail(__FILE__, __LINE__, what, "returned %d (%s)", ft_rc_,      \
                    ft_errstr(ft_rc_));                                        \
    } while (0)

/* rc must be a failure report: exactly MPI_ERR_OTHER. */
#define CHECK_FAILED(rc, what)                                                 \
    do {                                                                       \
        int ft_rc_ = (rc);                                                     \
        if (ft_rc_ != MPI_ERR_OTHER)                                           \
            ft_fail(__FILE__, __LINE__, what,                                  \
                    "returned %d (%s), expected MPI_ERR_OTHER", ft_rc_,        \
                    ft_errstr(ft_rc_));                                        \
    } while (0)

/* rc must be an error of class cls. */
#define CHECK_CLASS(rc, cls, what)                                             \
    do {                                                                       \
        int ft_rc_ = (rc), ft_cls_ = -1;                                       \
        MPI_Error_class(ft_rc_, &ft_cls_);                                     \
        if (ft_rc_ == MPI_SUCCESS || ft_cls_ != (cls))                         \
            ft_fail(__FILE__, __LINE__, what,                                  \
                    "returned %d (%s), expected class %s", ft_rc_,             \
                    ft_errstr(ft_rc_), #cls);                                  \
    } while (0)

/* The text of an error code (one static buffer: use at once). */
__attribute__((unused)) static const char *ft_errstr(int code)
{
    static char s[MPI_MAX_ERROR_STRING];
    int len = 0;

    s[0] = '\0';
    if (MPI_Error_string(code, s, &len) != MPI_SUCCESS)
        snprintf(s, sizeof s, "no text");
    return s;
}

/*
 * MPI_Init; returns 1 in a process respawned by REBUILD (MPI_INIT_RESTARTED_NODE),
 * 0 otherwise.  Sets ft_me.
 */
__attribute__((unused)) static int ft_init(int *argc, char ***argv)
{
    int rc = MPI_Init(argc, argv);

    MPI_Comm_rank(MPI_COMM_WORLD, &ft_me);
    CHECK(rc == MPI_SUCCESS || rc == MPI_INIT_RESTARTED_NODE,
          "MPI_Init returned %d", rc);
    return rc == MPI_INIT_RESTARTED_NODE;
}

/* Dies the way a crash does: no MPI_Finalize, no exit handlers. */
__attribute__((unused, noreturn)) static void ft_die(void)
{
    fflush(stdout);
    fflush(stderr);
    raise(SIGKILL);
    _exit(137);
}

/* Reads a cached attribute whose value points to int(s); NULL when it is not set. */
__attribute__((unused)) static int *ft_attr_ptr(MPI_Comm comm, int key, const char *name)
{
    int *p = NULL, flag = 0;
    int rc = MPI_Comm_get_attr(comm, key, &p, &flag);

    if (rc != MPI_SUCCESS || !flag || p == NULL) {
        ft_fail(__FILE__, __LINE__, name, "MPI_Comm_get_attr: rc %d, flag %d, value %p", rc,
                flag, (void *)p);
        return NULL;
    }
    return p;
}

/* The int an attribute points to, or -999 when it cannot be read. */
__attribute__((unused)) static int ft_attr_int(MPI_Comm comm, int key, const char *name)
{
    int *p = ft_attr_ptr(comm, key, name);
    return p ? *p : -999;
}

__attribute__((unused)) static const char *ft_cm_name(int cm)
{
    switch (cm) {
    case FTMPI_COMM_MODE_ABORT: return "abort";
    case FTMPI_COMM_MODE_BLANK: return "blank";
    case FTMPI_COMM_MODE_SHRINK: return "shrink";
    case FTMPI_COMM_MODE_REBUILD: return "rebuild";
    }
    return "?";
}

__attribute__((unused)) static const char *ft_mm_name(int mm)
{
    return mm == FTMPI_MSG_MODE_NOP ? "nop" : mm == FTMPI_MSG_MODE_CONT ? "cont" : "?";
}

/* The modes of comm; also checks that the mode attributes agree with FTMPI_Comm_get_mode. */
__attribute__((unused)) static void ft_modes(MPI_Comm comm, int *cm, int *mm)
{
    int a, b;

    *cm = *mm = -1;
    CHECK_RC(FTMPI_Comm_get_mode(comm, cm, mm), "FTMPI_Comm_get_mode");
    a = ft_attr_int(comm, FTMPI_COMM_MODE, "FTMPI_COMM_MODE");
    b = ft_attr_int(comm, FTMPI_MSG_MODE, "FTMPI_MSG_MODE");
    CHECK(a == *cm, "attribute FTMPI_COMM_MODE %d, FTMPI_Comm_get_mode %d", a, *cm);
    CHECK(b == *mm, "attribute FTMPI_MSG_MODE %d, FTMPI_Comm_get_mode %d", b, *mm);
}

/*
 * Checks that the job runs in the modes named by the words given (argv entries such as
 * "shrink" and "cont"; NULL skips a check) and returns them.
 */
__attribute__((unused)) static void ft_expect_modes(const char *cmw, const char *mmw, int *cm,
                                                    int *mm)
{
    ft_modes(MPI_COMM_WORLD, cm, mm);
    if (cmw)
        CHECK(strcmp(cmw, ft_cm_name(*cm)) == 0, "communicator mode %s, the test wants %s",
              ft_cm_name(*cm), cmw);
    if (mmw)
        CHECK(strcmp(mmw, ft_mm_name(*mm)) == 0, "message mode %s, the test wants %s",
              ft_mm_name(*mm), mmw);
}

__attribute__((unused)) static int ft_is_dead(int r, const int *dead, int ndead)
{
    for (int i = 0; i < ndead; i++)
        if (dead[i] == r)
            return 1;
    return 0;
}

/* The rank that original rank r has after a recovery in mode cm (-1: removed). */
__attribute__((unused)) static int ft_new_rank(int cm, int r, const int *dead, int ndead)
{
    int k = r;

    if (cm != FTMPI_COMM_MODE_SHRINK)
        return r;
    if (ft_is_dead(r, dead, ndead))
        return -1;
    for (int i = 0; i < ndead; i++)
        if (dead[i] < r)
            k--;
    return k;
}

/* The lowest original rank of the n that is not dead (and not `but`), or -1. */
__attribute__((unused)) static int ft_lowest_live(int n, const int *dead, int ndead, int but)
{
    for (int r = 0; r < n; r++)
        if (r != but && !ft_is_dead(r, dead, ndead))
            return r;
    return -1;
}

/*
 * The failure attributes of comm (whose ranks are the original ranks 0..n-1) once this
 * process has learned of every death in dead[]: counts, per-rank map and the list.
 */
__attribute__((unused)) static void ft_check_failed_attrs(MPI_Comm comm, int n, const int *dead,
                                                          int ndead)
{
    int num = ft_attr_int(comm, FT_MPI_COM_NUM_FAILED, "FT_MPI_COM_NUM_FAILED");
    int lnum = ft_attr_int(comm, FT_MPI_LIST_NUM_FAILED, "FT_MPI_LIST_NUM_FAILED");
    int *map = ft_attr_ptr(comm, FT_MPI_COM_FAILED, "FT_MPI_COM_FAILED");
    int *list = ft_attr_ptr(comm, FT_MPI_LIST_FAILED, "FT_MPI_LIST_FAILED");

    CHECK(num == ndead, "FT_MPI_COM_NUM_FAILED is %d, expected %d", num, ndead);
    CHECK(lnum == ndead, "FT_MPI_LIST_NUM_FAILED is %d, expected %d", lnum, ndead);
    if (map)
        for (int r = 0; r < n; r++)
            CHECK(map[r] == ft_is_dead(r, dead, ndead), "FT_MPI_COM_FAILED[%d] is %d", r,
                  map[r]);
    if (list && lnum == ndead)
        for (int i = 0; i < ndead; i++)
            CHECK(ft_is_dead(list[i], dead, ndead), "FT_MPI_LIST_FAILED[%d] is %d", i,
                  list[i]);
}

/* A healthy communicator: no failure since the last recovery, state OK. */
__attribute__((unused)) static void ft_check_healthy(MPI_Comm comm, const char *what)
{
    int num = ft_attr_int(comm, FT_MPI_COM_NUM_FAILED, "FT_MPI_COM_NUM_FAILED");
    int lnum = ft_attr_int(comm, FT_MPI_LIST_NUM_FAILED, "FT_MPI_LIST_NUM_FAILED");
    int st = ft_attr_int(comm, FTMPI_COMM_STATE, "FTMPI_COMM_STATE");

    CHECK(num == 0, "%s: FT_MPI_COM_NUM_FAILED is %d", what, num);
    CHECK(lnum == 0, "%s: FT_MPI_LIST_NUM_FAILED is %d", what, lnum);
    CHECK(st == FTMPI_STATE_OK || st == FTMPI_STATE_RECOVERED, "%s: FTMPI_COMM_STATE is %d",
          what, st);
}

__attribute__((unused)) static void ft_check_state(MPI_Comm comm, int want, const char *what)
{
    int st = ft_attr_int(comm, FTMPI_COMM_STATE, "FTMPI_COMM_STATE");
    CHECK(st == want, "%s: FTMPI_COMM_STATE is %d, expected %d", what, st, want);
}

/*
 * After `MPI_Comm_dup(old, &newc)` recovered old (ranks 0..n-1 originally) from the deaths
 * in dead[]: sizes and ranks of both per the mode (the repair is in place), both healthy,
 * and an allreduce over each that sums the original ranks + 1 of the members.
 */
__attribute__((unused)) static void ft_check_recovered(MPI_Comm old, MPI_Comm newc, int cm, int n,
                                                       int me, const int *dead, int ndead)
{
    MPI_Comm cs[2] = {old, newc};
    const char *names[2] = {"old communicator", "recovered duplicate"};
    int want_size = cm == FTMPI_COMM_MODE_SHRINK ? n - ndead : n;
    int want_rank = ft_new_rank(cm, me, dead, ndead);
    int want_sum = 0;

    for (int r = 0; r < n; r++)
        if (cm == FTMPI_COMM_MODE_REBUILD || !ft_is_dead(r, dead, ndead))
            want_sum += r + 1;
    for (int i = 0; i < 2; i++) {
        int size = -1, rank = -1, sum = -1, mine = me + 1, rc;

        if (cs[i] == MPI_COMM_NULL) {
            ft_fail(__FILE__, __LINE__, names[i], "is MPI_COMM_NULL");
            continue;
        }
        MPI_Comm_size(cs[i], &size);
        MPI_Comm_rank(cs[i], &rank);
        CHECK(size == want_size, "%s (%s): size %d, expected %d", names[i], ft_cm_name(cm),
              size, want_size);
        CHECK(rank == want_rank, "%s (%s): rank %d, expected %d", names[i], ft_cm_name(cm),
              rank, want_rank);
        ft_check_healthy(cs[i], names[i]);
        rc = MPI_Allreduce(&mine, &sum, 1, MPI_INT, MPI_SUM, cs[i]);
        CHECK_RC(rc, "MPI_Allreduce after recovery");
        CHECK(rc != MPI_SUCCESS || sum == want_sum, "%s: allreduce sum %d, expected %d",
              names[i], sum, want_sum);
    }
}

/*
 * Sums the failed checks over comm (healthy), prints the verdict from the member with the
 * lowest MPI_COMM_WORLD rank, finalizes, and returns the exit code for main.
 */
__attribute__((unused)) static int ft_finish(MPI_Comm comm)
{
    int wrank = -1, errs = ft_errs, total = -1, lowest = -1, rc1, rc2;

    MPI_Comm_rank(MPI_COMM_WORLD, &wrank);
    rc1 = MPI_Allreduce(&errs, &total, 1, MPI_INT, MPI_SUM, comm);
    rc2 = MPI_Allreduce(&wrank, &lowest, 1, MPI_INT, MPI_MIN, comm);
    if (rc1 != MPI_SUCCESS || rc2 != MPI_SUCCESS) {
        printf("[rank %d] ft_finish: the final allreduces returned %d and %d\n", ft_me, rc1,
               rc2);
    } else if (wrank == lowest) {
        if (total == 0)
            printf(" No Errors\n");
        else
            printf(" Found %d errors\n", total);
    }
    fflush(stdout);
    CHECK_RC(MPI_Finalize(), "MPI_Finalize");
    return rc1 != MPI_SUCCESS || rc2 != MPI_SUCCESS || total != 0 || ft_errs != errs;
}

/*
 * The survivors' part of most tests, after the deaths in dead[] (original ranks of
 * MPI_COMM_WORLD, whose original size is n): a receive from each victim returns
 * MPI_ERR_OTHER (the first one blocks until the failure is known); with one victim the
 * attributes name it.  Then all recover MPI_COMM_WORLD with MPI_Comm_dup, and the result is
 * checked.  With skip_detect (a process respawned by REBUILD, or one that has already
 * seen the failures) it only joins the recovery.  Returns the recovered duplicate.
 */
__attribute__((unused)) static MPI_Comm ft_detect_recover(int cm, int n, int skip_detect,
                                                          const int *dead, int ndead)
{
    MPI_Comm newc = MPI_COMM_NULL;
    int v, me;

    MPI_Comm_rank(MPI_COMM_WORLD, &me);
    if (!skip_detect) {
        for (int i = 0; i < ndead; i++)
            CHECK_FAILED(MPI_Recv(&v, 1, MPI_INT, dead[i], 4321, MPI_COMM_WORLD,
                                  MPI_STATUS_IGNORE),
                         "MPI_Recv from a dead rank");
        if (ndead == 1)
            ft_check_failed_attrs(MPI_COMM_WORLD, n, dead, ndead);
    }
    CHECK_RC(MPI_Comm_dup(MPI_COMM_WORLD, &newc), "MPI_Comm_dup (recovery)");
    ft_check_recovered(MPI_COMM_WORLD, newc, cm, n, me, dead, ndead);
    return newc;
}

#endif
