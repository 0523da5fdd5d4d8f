/* Failure detection and recovery time, in the recovery mode mpirun was given (-cm).
 *
 * The victim (the last rank) tells every other rank the time it dies, on the host's
 * monotonic clock, and SIGKILLs itself. The others are blocked in a receive from it:
 *   detect  = their error return - the kill (the slowest survivor counts),
 *   recover = MPI_Comm_dup returning - their error return (the slowest survivor counts).
 * Under REBUILD the recovery includes starting the replacement process. Plain MPI plus the
 * FT-MPI constants, so it builds against any FT-MPI implementation. Prints
 *   ft detect_us <value>
 *   ft recover_us <value>
 */
#include <mpi.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
    int rank, size, rc;
    double t_kill = 0, t_err = 0, t_done = 0, mine[2] = {0, 0}, worst[2] = {0, 0};
    MPI_Comm repaired;

    rc = MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    if (rc != MPI_INIT_RESTARTED_NODE) {
        int victim = size - 1, dummy;
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
            rc = MPI_ERR_OTHER, t_kill = 0; /* the time never arrived: no detection sample */
        t_err = now_us();
        if (rc == MPI_SUCCESS) {
            fprintf(stderr, "rank %d: the receive from the dead rank succeeded\n", rank);
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
        MPI_Comm_dup(MPI_COMM_WORLD, &repaired);
        t_done = now_us();
        mine[0] = t_kill > 0 ? t_err - t_kill : 0;
        mine[1] = t_done - t_err;
    } else {
        MPI_Comm_dup(MPI_COMM_WORLD, &repaired);
    }
    rc = MPI_Allreduce(mine, worst, 2, MPI_DOUBLE, MPI_MAX, repaired);
    MPI_Comm_rank(repaired, &rank);
    if (rc == MPI_SUCCESS && rank == 0) {
        printf("ft detect_us %.1f\n", worst[0]);
        printf("ft recover_us %.1f\n", worst[1]);
    }
    MPI_Comm_free(&repaired);
    MPI_Finalize();
    return rc == MPI_SUCCESS ? 0 : 1;
}
