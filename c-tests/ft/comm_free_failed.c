/*
 * MPI_Comm_free of failed communicators always succeeds: before the failure each rank makes
 * two duplicates of MPI_COMM_WORLD and a split of it, all containing rank 2; rank 2 dies of
 * SIGKILL after a barrier.  Survivors see the failure on one duplicate (MPI_Recv from the
 * victim: MPI_ERR_OTHER), then free it, the duplicate never used since, and the split, all
 * without recovering them (each becomes MPI_COMM_NULL).  Then MPI_COMM_WORLD is recovered
 * and the job finishes.  Arguments: the modes.
 */
#include "fttest.h"

int main(int argc, char **argv)
{
    int restarted = ft_init(&argc, &argv);
    int rank, n, cm, mm, v, dead[1] = {2};
    MPI_Comm d1, d2, s, newc;

    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    ft_expect_modes(argc > 1 ? argv[1] : NULL, argc > 2 ? argv[2] : NULL, &cm, &mm);
    if (!restarted) {
        CHECK_RC(MPI_Comm_dup(MPI_COMM_WORLD, &d1), "MPI_Comm_dup");
        CHECK_RC(MPI_Comm_dup(MPI_COMM_WORLD, &d2), "MPI_Comm_dup");
        CHECK_RC(MPI_Comm_split(MPI_COMM_WORLD, 0, n - rank, &s), "MPI_Comm_split");
        MPI_Barrier(MPI_COMM_WORLD);
        if (rank == dead[0])
            ft_die();
        CHECK_FAILED(MPI_Recv(&v, 1, MPI_INT, dead[0], 0, d1, MPI_STATUS_IGNORE),
                     "MPI_Recv from the victim on a duplicate");
        ft_check_failed_attrs(d1, n, dead, 1);
        CHECK_RC(MPI_Comm_free(&d1), "MPI_Comm_free of the failed duplicate");
        CHECK(d1 == MPI_COMM_NULL, "freed communicator is %#x", (unsigned)d1);
        CHECK_RC(MPI_Comm_free(&d2), "MPI_Comm_free of an unused failed duplicate");
        CHECK(d2 == MPI_COMM_NULL, "freed communicator is %#x", (unsigned)d2);
        CHECK_RC(MPI_Comm_free(&s), "MPI_Comm_free of a failed split");
        CHECK(s == MPI_COMM_NULL, "freed communicator is %#x", (unsigned)s);
    }
    newc = ft_detect_recover(cm, n, restarted, dead, 1);
    return ft_finish(newc);
}
