/*
 * MPI_Finalize after failures never waits for the dead.  Rank 2 dies of SIGKILL after a
 * barrier; then, by the first argument:
 *   recover: survivors see the failure, recover with MPI_Comm_dup, run a collective,
 *            finalize;
 *   detect:  survivors see the failure (MPI_ERR_OTHER) and finalize without recovering;
 *   unaware: survivors finalize at once, without ever communicating with the victim.
 * mpirun must exit 0 (every process alive at the end finalized).  The optional second
 * argument names the victim (default 2).  Without a recovery there is no healthy
 * communicator to add up failed checks, so a survivor whose check fails calls MPI_Abort.
 * Under REBUILD without a recovery, the respawned victim (if its MPI_Init returns at all)
 * finalizes at once: the survivors' MPI_Finalize must not wait for a recovery that never
 * comes.
 */
#include "fttest.h"

int main(int argc, char **argv)
{
    int restarted = ft_init(&argc, &argv);
    const char *how = argc > 1 ? argv[1] : "recover";
    int rank, n, cm, mm, v, rc, dead[1];
    MPI_Comm newc;

    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    dead[0] = argc > 2 ? atoi(argv[2]) % n : 2 % n;
    ft_modes(MPI_COMM_WORLD, &cm, &mm);
    if (strcmp(how, "recover") == 0) {
        if (!restarted) {
            MPI_Barrier(MPI_COMM_WORLD);
            if (rank == dead[0])
                ft_die();
        }
        newc = ft_detect_recover(cm, n, restarted, dead, 1);
        return ft_finish(newc);
    }
    if (restarted) {
        /* REBUILD respawned the victim, but nobody recovers: leave quietly. */
        MPI_Finalize();
        return 0;
    }
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == dead[0])
        ft_die();
    if (strcmp(how, "detect") == 0) {
        rc = MPI_Recv(&v, 1, MPI_INT, dead[0], 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        CHECK_FAILED(rc, "MPI_Recv from the victim");
    }
    if (ft_errs)
        MPI_Abort(MPI_COMM_WORLD, 1);
    rc = MPI_Finalize();
    if (rc != MPI_SUCCESS) {
        printf("[rank %d] MPI_Finalize after a failure returned %d\n", rank, rc);
        return 1;
    }
    if (rank == ft_lowest_live(n, dead, 1, -1))
        printf(" No Errors\n");
    return 0;
}
