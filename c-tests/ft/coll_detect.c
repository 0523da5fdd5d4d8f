/*
 * Rank 1 dies of SIGKILL after a barrier while the others enter collectives on
 * MPI_COMM_WORLD.  Every survivor's MPI_Allreduce returns exactly MPI_ERR_OTHER (never
 * partial data) and the attributes name the victim.  CONT: a broadcast from a live root
 * that succeeds has delivered its data (whether it fails depends on when the failure is
 * seen), and every collective that combines input
 * (barrier, reduce, allreduce, gather, allgather, alltoall, scan, reduce_scatter) keeps
 * returning MPI_ERR_OTHER at every survivor until the recovery; NOP: they fail at once.
 * Then MPI_Comm_dup recovers, and the repaired communicator's collectives work.
 * Arguments: communicator mode, message mode.
 */
#include "fttest.h"

int main(int argc, char **argv)
{
    int restarted = ft_init(&argc, &argv);
    int rank, n, cm, mm, rc, victim = 1, dead[1] = {1};
    int in[FT_MAXP], out[FT_MAXP], counts[FT_MAXP], data[4];
    MPI_Comm newc;

    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    ft_expect_modes(argc > 1 ? argv[1] : NULL, argc > 2 ? argv[2] : NULL, &cm, &mm);
    if (restarted)
        goto recover;
    for (int i = 0; i < FT_MAXP; i++) {
        in[i] = rank + i;
        out[i] = -7;
        counts[i] = 1;
    }
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == victim)
        ft_die();

    if (mm == FTMPI_MSG_MODE_CONT) {
        int root = ft_lowest_live(n, dead, 1, -1);
        for (int i = 0; i < 4; i++)
            data[i] = rank == root ? 1000 + i : -1;
        rc = MPI_Bcast(data, 4, MPI_INT, root, MPI_COMM_WORLD);
        CHECK(rc == MPI_SUCCESS || rc == MPI_ERR_OTHER, "CONT: MPI_Bcast returned %d", rc);
        if (rc == MPI_SUCCESS)
            for (int i = 0; i < 4; i++)
                CHECK(data[i] == 1000 + i, "CONT: MPI_Bcast succeeded with data[%d] = %d", i,
                      data[i]);
    }
    rc = MPI_Allreduce(in, out, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    CHECK_FAILED(rc, "MPI_Allreduce with a dead member");
    ft_check_failed_attrs(MPI_COMM_WORLD, n, dead, 1);
    CHECK_FAILED(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
    CHECK_FAILED(MPI_Reduce(in, out, 1, MPI_INT, MPI_SUM, 0, MPI_COMM_WORLD), "MPI_Reduce");
    CHECK_FAILED(MPI_Allreduce(in, out, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD),
                 "MPI_Allreduce (again)");
    CHECK_FAILED(MPI_Gather(in, 1, MPI_INT, out, 1, MPI_INT, 0, MPI_COMM_WORLD), "MPI_Gather");
    CHECK_FAILED(MPI_Allgather(in, 1, MPI_INT, out, 1, MPI_INT, MPI_COMM_WORLD),
                 "MPI_Allgather");
    CHECK_FAILED(MPI_Alltoall(in, 1, MPI_INT, out, 1, MPI_INT, MPI_COMM_WORLD), "MPI_Alltoall");
    CHECK_FAILED(MPI_Scan(in, out, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD), "MPI_Scan");
    CHECK_FAILED(MPI_Reduce_scatter(in, out, counts, MPI_INT, MPI_SUM, MPI_COMM_WORLD),
                 "MPI_Reduce_scatter");

recover:
    newc = ft_detect_recover(cm, n, 1, dead, 1);
    {
        int mine[2], sums[2], m = cm == FTMPI_COMM_MODE_SHRINK ? n - 1 : n;
        int want = 0;
        for (int r = 0; r < n; r++)
            if (cm == FTMPI_COMM_MODE_REBUILD || r != victim)
                want += r;
        mine[0] = 1;
        mine[1] = restarted ? victim : ft_me;
        CHECK_RC(MPI_Allreduce(mine, sums, 2, MPI_INT, MPI_SUM, MPI_COMM_WORLD),
                 "MPI_Allreduce on the repaired MPI_COMM_WORLD");
        CHECK(sums[0] == (cm == FTMPI_COMM_MODE_BLANK ? n - 1 : m),
              "repaired world: %d members took part", sums[0]);
        CHECK(sums[1] == want, "repaired world: sum of original ranks %d, expected %d",
              sums[1], want);
    }
    return ft_finish(newc);
}
