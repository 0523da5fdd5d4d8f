/*
 * MPI_Wtime and MPI_Wtick: the tick is positive and below one second, time
 * never goes backwards, it advances while we spin, and an interval measured
 * with MPI_Wtime agrees with one measured by gettimeofday.  The spin ends on
 * time having passed, so the program never sleeps.
 */
#include "mtest.h"
#include <sys/time.h>

static double now_gettimeofday(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + (double)tv.tv_usec * 1e-6;
}

int main(int argc, char **argv)
{
    double tick, t0, t1, prev, g0, g1, wt, gt;
    long steps = 0, backwards = 0;

    MPI_Init(&argc, &argv);

    tick = MPI_Wtick();
    CHECK(tick > 0.0 && tick < 1.0, "MPI_Wtick() = %g", tick);

    /* Monotonic over many calls, and it moves within a bounded spin. */
    t0 = prev = MPI_Wtime();
    for (;;) {
        double t = MPI_Wtime();
        if (t < prev)
            backwards++;
        prev = t;
        if (t - t0 >= 0.002 || ++steps > 200000000L)
            break;
    }
    CHECK(backwards == 0, "MPI_Wtime went backwards %ld times", backwards);
    CHECK(prev - t0 >= 0.002, "MPI_Wtime advanced only %g s in %ld calls", prev - t0, steps);

    /*
     * A 20 ms interval measured both ways.  Reading one clock inside the other's
     * interval makes the comparison immune to preemption: the inner interval
     * can only be shorter.  The slack covers resolution and clock slewing.
     */
    g0 = now_gettimeofday();
    t0 = MPI_Wtime();
    do {
        g1 = now_gettimeofday();
    } while (g1 - g0 < 0.02);
    t1 = MPI_Wtime();
    g1 = now_gettimeofday();
    wt = t1 - t0;
    gt = g1 - g0;
    CHECK(wt <= gt * 1.001 + 2 * tick + 2e-6,
          "MPI_Wtime measured %g s inside an interval of %g s by gettimeofday", wt, gt);
    t0 = MPI_Wtime();
    g0 = now_gettimeofday();
    do {
        g1 = now_gettimeofday();
    } while (g1 - g0 < 0.02);
    t1 = MPI_Wtime();
    wt = t1 - t0;
    gt = g1 - g0;
    CHECK(wt >= gt * 0.999 - 2 * tick - 2e-6,
          "MPI_Wtime measured %g s around an interval of %g s by gettimeofday", wt, gt);

    /* A barrier in between: later readings are not smaller on any rank. */
    t0 = MPI_Wtime();
    MPI_Barrier(MPI_COMM_WORLD);
    t1 = MPI_Wtime();
    CHECK(t1 >= t0, "MPI_Wtime %g after the barrier, %g before", t1, t0);
    return mtest_finalize(0);
}
