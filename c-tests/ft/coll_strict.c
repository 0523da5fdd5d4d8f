/*
 * Strict collectives (mpirun --coll-strict; first argument "strict", else "default"):
 * FTMPI_COLL_MODE reads 1 or 0.  Failure-free collectives work.  Then rank 1 dies of
 * SIGKILL after a barrier while the others enter MPI_Bcast (from the lowest survivor) and
 * MPI_Allreduce.  The allreduce fails everywhere with MPI_ERR_OTHER; a broadcast that
 * succeeds delivered the data.  After the recovery the survivors compare their codes:
 * in strict mode every live member returned the same code from each collective.
 * Second and third arguments: the modes.
 */
#include "fttest.h"

int main(int argc, char **argv)
{
    int restarted = ft_init(&argc, &argv);
    int strict = argc > 1 && strcmp(argv[1], "strict") == 0;
    int rank, n, cm, mm, coll, one = 1, sum = -1, dead[1] = {1};
    int rcs[2] = {0, 0}, lo[2], hi[2], data[3];
    MPI_Comm newc;

    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    ft_expect_modes(argc > 2 ? argv[2] : NULL, argc > 3 ? argv[3] : NULL, &cm, &mm);
    coll = ft_attr_int(MPI_COMM_WORLD, FTMPI_COLL_MODE, "FTMPI_COLL_MODE");
    CHECK(coll == strict, "FTMPI_COLL_MODE is %d, expected %d", coll, strict);
    if (!restarted) {
        int root = ft_lowest_live(n, dead, 1, -1);
        CHECK_RC(MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD),
                 "MPI_Allreduce, no failure");
        CHECK(sum == n, "sum %d, expected %d", sum, n);
        MPI_Barrier(MPI_COMM_WORLD);
        if (rank == dead[0])
            ft_die();
        for (int i = 0; i < 3; i++)
            data[i] = rank == root ? 40 + i : -1;
        rcs[0] = MPI_Bcast(data, 3, MPI_INT, root, MPI_COMM_WORLD);
        CHECK(rcs[0] == MPI_SUCCESS || rcs[0] == MPI_ERR_OTHER, "MPI_Bcast returned %d",
              rcs[0]);
        if (rcs[0] == MPI_SUCCESS)
            for (int i = 0; i < 3; i++)
                CHECK(data[i] == 40 + i, "MPI_Bcast succeeded with data[%d] = %d", i, data[i]);
        rcs[1] = MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
        CHECK_FAILED(rcs[1], "MPI_Allreduce with a dead member");
    }
    newc = ft_detect_recover(cm, n, 1, dead, 1);
    if (!restarted && strict) {
        MPI_Comm live;
        /* Only the survivors' codes count: the respawned process (REBUILD) sits out. */
        CHECK_RC(MPI_Comm_split(newc, 0, 0, &live), "MPI_Comm_split");
        CHECK_RC(MPI_Allreduce(rcs, lo, 2, MPI_INT, MPI_MIN, live), "MPI_Allreduce (min)");
        CHECK_RC(MPI_Allreduce(rcs, hi, 2, MPI_INT, MPI_MAX, live), "MPI_Allreduce (max)");
        CHECK(lo[0] == hi[0], "strict: MPI_Bcast returned codes from %d to %d", lo[0], hi[0]);
        CHECK(lo[1] == hi[1], "strict: MPI_Allreduce returned codes from %d to %d", lo[1],
              hi[1]);
        MPI_Comm_free(&live);
    } else if (strict) {
        MPI_Comm live;
        CHECK_RC(MPI_Comm_split(newc, MPI_UNDEFINED, 0, &live), "MPI_Comm_split");
    }
    return ft_finish(newc);
}
