/*
 * The FT-MPI recovery pattern under REBUILD, with a library-style retry loop.
 *
 * An iterative computation keeps a user-level checkpoint every CKPT iterations (each rank
 * keeps its own state and a copy of its left neighbour's).  An error handler installed with
 * MPI_Errhandler_create / MPI_Errhandler_set longjmps to the recovery code, set up with
 * setjmp before the loop.  The victim (first argument, default 2) dies of SIGKILL in the
 * middle; the survivors' handler fires inside a collective and longjmps out.  Before
 * recovering, each survivor then calls, ROUNDS times, a "library" routine that retries
 * MPI_Isend to the dead rank for as long as it returns MPI_ERR_OTHER (as BLACS does): only
 * the handler's longjmp gets out of it.  Open descriptors do not grow over those longjmps.
 * Then MPI_Comm_dup recovers, the respawned process (MPI_INIT_RESTARTED_NODE) gets its
 * checkpoint back from its neighbour, everyone rolls back to the checkpoint, and the final
 * state must equal a failure-free computation of the same steps.
 */
#include "fttest.h"
#include <dirent.h>
#include <setjmp.h>

#define ITERS 40
#define CKPT 5
#define KILL_AT 23
#define ROUNDS 1000
#define MOD 1000003LL

static jmp_buf solver_jb, retry_jb;
static jmp_buf *volatile target = &solver_jb;
static volatile int handler_calls;

static long long state;           /* this rank's state */
static int iter;                  /* the next iteration to run */
static long long ck_state;        /* checkpoint of this rank, taken before ck_iter */
static int ck_iter;
static long long ck_left;         /* checkpoint of the left neighbour */

static void handler(MPI_Comm *comm, int *code, ...)
{
    (void)comm;
    (void)code;
    handler_calls++;
    longjmp(*target, 1);
}

static long long step(long long s, long long total, int rank)
{
    return (s * 3 + total + rank) % MOD;
}

/* The states of all ranks after `iters` failure-free steps. */
static long long expected(int n, int rank, int iters)
{
    long long s[FT_MAXP], total;
    for (int r = 0; r < n; r++)
        s[r] = r + 1;
    for (int k = 0; k < iters; k++) {
        total = 0;
        for (int r = 0; r < n; r++)
            total += s[r];
        for (int r = 0; r < n; r++)
            s[r] = step(s[r], total, r);
    }
    return s[rank];
}

/* A library routine that knows nothing of failures: it retries until the send starts. */
static long long library_tries;
static void library_send(int *buf, int dest, MPI_Comm comm)
{
    MPI_Request req;
    while (MPI_Isend(buf, 1, MPI_INT, dest, 99, comm, &req) == MPI_ERR_OTHER) {
        if (++library_tries > 10000000LL) {
            CHECK(0, "the retry loop went on %lld times: the handler did not run", library_tries);
            return;
        }
    }
    CHECK(0, "MPI_Isend to a dead rank started");
}

static int count_fds(void)
{
    int k = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    while (readdir(d))
        k++;
    closedir(d);
    return k;
}

int main(int argc, char **argv)
{
    int restarted = ft_init(&argc, &argv);
    int rank, n, cm, mm, victim, left, right, dead[1];
    static volatile int recoveries, escapes, fds0, fds1;
    MPI_Errhandler eh;
    MPI_Comm newc;

    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    ft_expect_modes("rebuild", argc > 2 ? argv[2] : NULL, &cm, &mm);
    victim = (argc > 1 ? atoi(argv[1]) : 2) % n;
    dead[0] = victim;
    left = (rank + n - 1) % n;
    right = (rank + 1) % n;
    CHECK_RC(MPI_Errhandler_create(handler, &eh), "MPI_Errhandler_create");
    CHECK_RC(MPI_Errhandler_set(MPI_COMM_WORLD, eh), "MPI_Errhandler_set");

    state = rank + 1;
    iter = 0;
    ck_state = state;
    ck_iter = 0;
    ck_left = left + 1;
    if (setjmp(solver_jb) != 0 || restarted) {
        int ckl[2], mine[2] = {0, 0}, lo = -1, hi = -1;
        recoveries++;
        if (!restarted) {
            int buf = 0;
            escapes = 0;
            for (volatile int i = 0; i < ROUNDS; i++) {
                if (i == 1)
                    fds0 = count_fds();
                target = &retry_jb;
                if (setjmp(retry_jb) == 0)
                    library_send(&buf, victim, MPI_COMM_WORLD);
                else
                    escapes++;
            }
            fds1 = count_fds();
            target = &solver_jb;
            CHECK(escapes == ROUNDS, "%d escapes from the retry loop, expected %d", escapes,
                  ROUNDS);
            CHECK(fds0 == fds1, "open descriptors: %d, then %d after %d longjmps", fds0,
                  fds1, ROUNDS);
        }
        CHECK_RC(MPI_Comm_dup(MPI_COMM_WORLD, &newc), "MPI_Comm_dup (recovery)");
        ft_check_recovered(MPI_COMM_WORLD, newc, cm, n, rank, dead, 1);
        MPI_Comm_free(&newc);
        /* Hand each neighbour's checkpoint back; agree on the iteration to restart at. */
        ckl[0] = (int)ck_left;
        ckl[1] = ck_iter;
        CHECK_RC(MPI_Sendrecv(ckl, 2, MPI_INT, left, 1, mine, 2, MPI_INT, right, 1,
                              MPI_COMM_WORLD, MPI_STATUS_IGNORE),
                 "MPI_Sendrecv of the checkpoints");
        if (restarted) {
            ck_state = mine[0];
            ck_iter = mine[1];
        } else if (right != victim) {
            /* (The respawned process lost its copy of its neighbour's checkpoint.) */
            CHECK(mine[0] == ck_state && mine[1] == ck_iter,
                  "my neighbour's copy of my checkpoint is %d at %d, mine %lld at %d", mine[0],
                  mine[1], ck_state, ck_iter);
        }
        MPI_Allreduce(&ck_iter, &lo, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
        MPI_Allreduce(&ck_iter, &hi, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
        CHECK(lo == hi, "checkpoints from iteration %d to %d", lo, hi);
        state = ck_state;
        iter = ck_iter;
        restarted = 0;
    }

    while (iter < ITERS) {
        long long total = 0;
        if (iter % CKPT == 0) {
            long long pair[2] = {state, 0};
            MPI_Sendrecv(&pair[0], 1, MPI_LONG_LONG, right, 2, &pair[1], 1, MPI_LONG_LONG, left,
                         2, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            ck_state = state;
            ck_iter = iter;
            ck_left = pair[1];
        }
        if (iter == KILL_AT && rank == victim && recoveries == 0)
            ft_die();
        MPI_Allreduce(&state, &total, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
        state = step(state, total, rank);
        iter++;
    }
    CHECK(state == expected(n, rank, ITERS), "final state %lld, expected %lld", state,
          expected(n, rank, ITERS));
    CHECK(recoveries == 1, "%d recoveries", recoveries);
    CHECK(handler_calls == (rank == victim ? 0 : 1 + ROUNDS), "handler called %d times",
          handler_calls);
    return ft_finish(MPI_COMM_WORLD);
}
