/*
 * All ranks but rank 0 die of SIGKILL after a barrier.  The last survivor detects the
 * failures, recovers MPI_COMM_WORLD with MPI_Comm_dup (SHRINK: a world of size 1; BLANK:
 * the extent with every other rank a gap), runs collectives on it and finalizes; mpirun
 * exits 0.  Arguments: the modes.
 */
#include "fttest.h"

int main(int argc, char **argv)
{
    int rank, n, cm, mm, dead[FT_MAXP], nd = 0;
    MPI_Comm newc;

    ft_init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    ft_expect_modes(argc > 1 ? argv[1] : NULL, argc > 2 ? argv[2] : NULL, &cm, &mm);
    for (int r = 1; r < n && r < FT_MAXP; r++)
        dead[nd++] = r;
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank != 0)
        ft_die();
    newc = ft_detect_recover(cm, n, 0, dead, nd);
    if (cm == FTMPI_COMM_MODE_SHRINK) {
        int size = -1;
        MPI_Comm_size(MPI_COMM_WORLD, &size);
        CHECK(size == 1, "SHRINK: the last survivor's world has size %d", size);
    }
    CHECK_RC(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier on the repaired world");
    return ft_finish(newc);
}
