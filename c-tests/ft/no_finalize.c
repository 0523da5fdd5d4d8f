/*
 * Rank 2 returns from main after a barrier without calling MPI_Finalize (exit code 0): a
 * failure like any other, never a hang.  Survivors blocked in MPI_Recv from it get
 * MPI_ERR_OTHER, recover with MPI_Comm_dup and finish.  Arguments: the modes.
 */
#include "fttest.h"

int main(int argc, char **argv)
{
    int restarted = ft_init(&argc, &argv);
    int rank, n, cm, mm, dead[1] = {2};
    MPI_Comm newc;

    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    ft_expect_modes(argc > 1 ? argv[1] : NULL, argc > 2 ? argv[2] : NULL, &cm, &mm);
    if (!restarted) {
        MPI_Barrier(MPI_COMM_WORLD);
        if (rank == dead[0]) {
            fflush(stdout);
            return 0;
        }
    }
    newc = ft_detect_recover(cm, n, restarted, dead, 1);
    return ft_finish(newc);
}
