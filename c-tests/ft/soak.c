/*
 * The soak test's program (scripts/soak runs it many times with random arguments; also in
 * the testlist with fixed ones).  Arguments: victim, kill point (0: before the ring
 * exchange, 1: before the allreduce, 2: no failure), iteration of the kill, iterations.
 * The communicator mode is the job's (SHRINK, BLANK or REBUILD; NOP or CONT).
 *
 * Each iteration passes a token around a ring of the live ranks (checking who it came
 * from) and adds g(k) from every live member with MPI_Allreduce (checking the sum, the
 * member count and the members' original ranks); the iteration is committed only when the
 * allreduce succeeds, and each rank keeps its running result after every iteration (its
 * checkpoints).  Any failure sends every survivor to the recovery (MPI_Comm_dup), after
 * which they check the recovered world and agree on the iteration to redo: the lowest one
 * among them, because without strict collectives an allreduce the victim left just before
 * dying may have succeeded at some members and failed at others.  With --coll-strict
 * (FTMPI_COLL_MODE = 1) every survivor must be at the same iteration.  The survivors'
 * checkpoints for that iteration must agree; a process respawned by REBUILD gets one there.
 * The result must equal the sum of g(k): what a failure-free run computes.
 */
#include "fttest.h"
#include <limits.h>

static long long g(int k)
{
    return (31LL * k * k + 7) % 1009 + 1;
}

/* Original rank of the member with rank r of the current world. */
static int orig_of(int cm, int r, int victim, int ndead)
{
    if (cm == FTMPI_COMM_MODE_SHRINK && ndead && r >= victim)
        return r + 1;
    return r;
}

int main(int argc, char **argv)
{
    int restarted = ft_init(&argc, &argv);
    int n, cm, mm, victim, point, kill_at, iters;
    int ndead = 0, recoveries = 0, k = 0, strict;
    long long acc = 0, want = 0, *hist;

    MPI_Comm_size(MPI_COMM_WORLD, &n);
    if (argc < 5) {
        if (ft_me == 0)
            printf("usage: soak victim point kill_iteration iterations\n");
        MPI_Finalize();
        return 2;
    }
    victim = atoi(argv[1]) % n;
    point = atoi(argv[2]);
    kill_at = atoi(argv[3]);
    iters = atoi(argv[4]);
    ft_modes(MPI_COMM_WORLD, &cm, &mm);
    strict = ft_attr_int(MPI_COMM_WORLD, FTMPI_COLL_MODE, "FTMPI_COLL_MODE") == 1;
    hist = calloc((size_t)iters + 1, sizeof *hist);
    if (restarted)
        goto recover;

    while (k < iters) {
        int rank, size, next, prev, rc, m;
        int tok[2], got[2] = {-1, -1};
        long long mine[3], sum[3] = {0, 0, 0}, wsum = 0;

        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
        MPI_Comm_size(MPI_COMM_WORLD, &size);
        if (ft_me == victim && k == kill_at && point == 0 && !restarted)
            ft_die();
        /* The ring over live members: BLANK skips the gap. */
        next = (rank + 1) % size;
        prev = (rank + size - 1) % size;
        if (cm == FTMPI_COMM_MODE_BLANK && ndead) {
            if (next == victim)
                next = (next + 1) % size;
            if (prev == victim)
                prev = (prev + size - 1) % size;
        }
        tok[0] = k;
        tok[1] = ft_me;
        rc = MPI_Sendrecv(tok, 2, MPI_INT, next, 1000 + recoveries, got, 2, MPI_INT, prev,
                          1000 + recoveries, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS)
            goto recover;
        CHECK(got[0] == k && got[1] == orig_of(cm, prev, victim, ndead),
              "iteration %d: ring token {%d, %d}, expected {%d, %d}", k, got[0], got[1], k,
              orig_of(cm, prev, victim, ndead));
        if (ft_me == victim && k == kill_at && point == 1 && !restarted)
            ft_die();
        mine[0] = g(k);
        mine[1] = ft_me + 1;
        mine[2] = 1;
        rc = MPI_Allreduce(mine, sum, 3, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS)
            goto recover;
        m = cm == FTMPI_COMM_MODE_REBUILD ? n : n - ndead;
        for (int r = 0; r < n; r++)
            if (cm == FTMPI_COMM_MODE_REBUILD || !ndead || r != victim)
                wsum += r + 1;
        CHECK(sum[0] == m * g(k) && sum[1] == wsum && sum[2] == m,
              "iteration %d: allreduce {%lld, %lld, %lld}, expected {%lld, %lld, %d}", k,
              sum[0], sum[1], sum[2], m * g(k), wsum, m);
        acc += g(k);
        k++;
        hist[k] = acc;
        continue;

    recover:
        {
            MPI_Comm newc = MPI_COMM_NULL;
            int dead[1] = {victim}, lo[2], hi[2];
            int kin[2] = {restarted ? INT_MAX : k, restarted ? INT_MAX : recoveries};
            int kax[2] = {restarted ? -1 : k, restarted ? -1 : recoveries};
            long long cin[2], cout[2];

            CHECK(recoveries == 0, "recovery number %d: there is only one victim",
                  recoveries + 1);
            CHECK_RC(MPI_Comm_dup(MPI_COMM_WORLD, &newc), "MPI_Comm_dup (recovery)");
            ft_check_recovered(MPI_COMM_WORLD, newc, cm, n, ft_me, dead, 1);
            MPI_Comm_free(&newc);
            if (cm != FTMPI_COMM_MODE_REBUILD)
                ndead = 1;
            CHECK_RC(MPI_Allreduce(kin, lo, 2, MPI_INT, MPI_MIN, MPI_COMM_WORLD), "allreduce");
            CHECK_RC(MPI_Allreduce(kax, hi, 2, MPI_INT, MPI_MAX, MPI_COMM_WORLD), "allreduce");
            CHECK(lo[1] == hi[1], "survivors after %d to %d recoveries", lo[1], hi[1]);
            CHECK(!strict || lo[0] == hi[0],
                  "strict collectives, yet survivors recover at iterations %d to %d", lo[0],
                  hi[0]);
            CHECK(hi[0] - lo[0] <= 1, "survivors recover at iterations %d to %d", lo[0], hi[0]);
            k = lo[0] >= 0 && lo[0] <= iters ? lo[0] : 0;
            /* Everyone's checkpoint at iteration k: the same at every survivor. */
            cin[0] = restarted ? LLONG_MAX : hist[k];
            cin[1] = restarted ? LLONG_MAX : -hist[k];
            CHECK_RC(MPI_Allreduce(cin, cout, 2, MPI_LONG_LONG, MPI_MIN, MPI_COMM_WORLD),
                     "allreduce");
            CHECK(cout[0] == -cout[1], "checkpoints at iteration %d from %lld to %lld", k,
                  cout[0], -cout[1]);
            acc = cout[0];
            hist[k] = acc;
            recoveries = hi[1] + 1;
        }
    }
    for (int j = 0; j < iters; j++)
        want += g(j);
    CHECK(acc == want, "result %lld, failure-free %lld", acc, want);
    CHECK(point == 2 || kill_at >= iters || recoveries == 1, "%d recoveries", recoveries);
    free(hist);
    return ft_finish(MPI_COMM_WORLD);
}
