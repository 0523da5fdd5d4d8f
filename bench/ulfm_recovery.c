/* Failure detection and recovery time under ULFM (MPIX_Comm_shrink), for comparison with
 * bench/ft_recovery.c; built with Open MPI 5's mpicc and run with ULFM enabled.
 *
 * The victim (the last rank) tells every other rank the time it dies, on the host's
 * monotonic clock, and SIGKILLs itself. The others are blocked in a receive from it:
 *   detect  = their MPIX_ERR_PROC_FAILED return - the kill (the slowest survivor counts),
 *   recover = MPIX_Comm_shrink returning - their error return (the slowest survivor counts).
 * With -r the survivors revoke MPI_COMM_WORLD before shrinking, as codes do when not every
 * survivor is sure to have seen the failure; here every one has, so by default they don't.
 * Prints
 *   ft detect_us <value>
 *   ft recover_us <value>
 */
#include <mpi.h>
#include <mpi-ext.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
    int rank, size, rc, cls, dummy, revoke = argc > 1 && strcmp(argv[1], "-r") == 0;
    double t_kill = 0, t_err, t_done, mine[2], worst[2] = {0, 0};
    MPI_Comm shrunk;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    int victim = size - 1;
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == victim) {
        double t = now_us();
        for (int r = 0; r < size; r++)
            if (r != victim)
                MPI_Send(&t, 1, MPI_DOUBLE, r, 1, MPI_COMM_WORLD);
        raise(SIGKILL);
    }
    rc = MPI_Recv(&t_kill, 1, MPI_DOUBLE, victim, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (rc == MPI_SUCCESS)
        rc = MPI_Recv(&dummy, 1, MPI_INT, victim, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    else
        t_kill = 0; /* the time never arrived: no detection sample */
    t_err = now_us();
    MPI_Error_class(rc, &cls);
    if (cls != MPIX_ERR_PROC_FAILED) {
        fprintf(stderr, "rank %d: the receive from the dead rank returned class %d, not MPIX_ERR_PROC_FAILED\n", rank, cls);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    if (revoke)
        MPIX_Comm_revoke(MPI_COMM_WORLD);
    rc = MPIX_Comm_shrink(MPI_COMM_WORLD, &shrunk);
    t_done = now_us();
    if (rc != MPI_SUCCESS) {
        fprintf(stderr, "rank %d: MPIX_Comm_shrink failed (%d)\n", rank, rc);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    mine[0] = t_kill > 0 ? t_err - t_kill : 0;
    mine[1] = t_done - t_err;
    MPI_Comm_set_errhandler(shrunk, MPI_ERRORS_RETURN);
    rc = MPI_Allreduce(mine, worst, 2, MPI_DOUBLE, MPI_MAX, shrunk);
    MPI_Comm_rank(shrunk, &rank);
    if (rc == MPI_SUCCESS && rank == 0) {
        printf("ft detect_us %.1f\n", worst[0]);
        printf("ft recover_us %.1f\n", worst[1]);
        fflush(stdout);
    }
    MPI_Comm_free(&shrunk);
    MPI_Finalize();
    return rc == MPI_SUCCESS ? 0 : 1;
}
