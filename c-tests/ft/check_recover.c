/*
 * FT_MPI_CHECK_RECOVER in *newcomm makes MPI_Comm_dup a recovery even where the failure
 * has not been seen.  First, with no failure, every rank calls it: a plain duplicate of the
 * full size.  Then rank 2 dies of SIGKILL after a barrier and the others call it at once,
 * without any communication that could have reported the failure: it recovers per the mode
 * (sizes, ranks, attributes, allreduce checked).  Arguments: the modes.
 */
#include "fttest.h"

int main(int argc, char **argv)
{
    int restarted = ft_init(&argc, &argv);
    int rank, n, cm, mm, size = -1, dead[1] = {2};
    MPI_Comm c = FT_MPI_CHECK_RECOVER;

    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    ft_expect_modes(argc > 1 ? argv[1] : NULL, argc > 2 ? argv[2] : NULL, &cm, &mm);
    if (!restarted) {
        CHECK_RC(MPI_Comm_dup(MPI_COMM_WORLD, &c), "MPI_Comm_dup(FT_MPI_CHECK_RECOVER), no failure");
        MPI_Comm_size(c, &size);
        CHECK(size == n, "no failure: size %d, expected %d", size, n);
        ft_check_healthy(c, "no failure");
        CHECK_RC(MPI_Comm_free(&c), "MPI_Comm_free");
        MPI_Barrier(MPI_COMM_WORLD);
        if (rank == dead[0])
            ft_die();
    }
    c = FT_MPI_CHECK_RECOVER;
    CHECK_RC(MPI_Comm_dup(MPI_COMM_WORLD, &c), "MPI_Comm_dup(FT_MPI_CHECK_RECOVER)");
    ft_check_recovered(MPI_COMM_WORLD, c, cm, n, rank, dead, 1);
    return ft_finish(c);
}
