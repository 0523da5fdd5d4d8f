/*
 * REBUILD: the same rank dies again after each respawn.  The victim (first argument,
 * default 2) dies of SIGKILL after a barrier; survivors see MPI_ERR_OTHER and attributes
 * counting one failure (counts restart at each recovery), recover with MPI_Comm_dup, and
 * tell the respawned process how many recoveries happened; it (which got
 * MPI_INIT_RESTARTED_NODE) kills itself again until three respawns are done.  Every
 * recovery is checked (size, ranks, allreduce); the last one's world finishes the job.
 */
#include "fttest.h"

#define KILLS 3

int main(int argc, char **argv)
{
    int restarted = ft_init(&argc, &argv);
    int rank, n, cm, mm, v, victim, root, phase = 0, dead[1];
    MPI_Comm newc = MPI_COMM_NULL;

    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    ft_expect_modes("rebuild", argc > 2 ? argv[2] : NULL, &cm, &mm);
    victim = (argc > 1 ? atoi(argv[1]) : 2) % n;
    dead[0] = victim;
    root = ft_lowest_live(n, dead, 1, -1);
    if (!restarted) {
        MPI_Barrier(MPI_COMM_WORLD);
        if (rank == victim)
            ft_die();
    }
    for (;;) {
        if (!restarted) {
            CHECK_FAILED(MPI_Recv(&v, 1, MPI_INT, victim, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
                         "MPI_Recv from the victim");
            ft_check_failed_attrs(MPI_COMM_WORLD, n, dead, 1);
            phase++;
        }
        CHECK_RC(MPI_Comm_dup(MPI_COMM_WORLD, &newc), "MPI_Comm_dup (recovery)");
        ft_check_recovered(MPI_COMM_WORLD, newc, cm, n, rank, dead, 1);
        CHECK_RC(MPI_Bcast(&phase, 1, MPI_INT, root, newc), "MPI_Bcast of the phase");
        if (phase >= KILLS)
            break;
        MPI_Comm_free(&newc);
        MPI_Barrier(MPI_COMM_WORLD);
        if (rank == victim)
            ft_die();
        restarted = 0;
    }
    CHECK(phase == KILLS, "phase %d", phase);
    return ft_finish(newc);
}
