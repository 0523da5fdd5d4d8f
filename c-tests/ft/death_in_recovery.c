/*
 * A death during recovery: rank 1 dies of SIGKILL after a barrier; every survivor sees the
 * failure, then rank 3 dies instead of joining the recovery while the others are inside
 * MPI_Comm_dup.  The recovery must absorb the second death (not block on rank 3, not
 * fail): the result has both ranks handled per the mode.  Arguments: the modes.  Needs 5 or
 * more ranks.
 */
#include "fttest.h"

int main(int argc, char **argv)
{
    int restarted = ft_init(&argc, &argv);
    int rank, n, cm, mm, v, dead[2] = {1, 3};
    MPI_Comm newc;

    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    ft_expect_modes(argc > 1 ? argv[1] : NULL, argc > 2 ? argv[2] : NULL, &cm, &mm);
    if (!restarted) {
        MPI_Barrier(MPI_COMM_WORLD);
        if (rank == dead[0])
            ft_die();
        CHECK_FAILED(MPI_Recv(&v, 1, MPI_INT, dead[0], 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
                     "MPI_Recv from the first victim");
        if (rank == dead[1])
            ft_die();
    }
    newc = ft_detect_recover(cm, n, 1, dead, 2);
    return ft_finish(newc);
}
