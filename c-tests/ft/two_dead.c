/*
 * Ranks 1 and 3 die of SIGKILL at the same time, after a barrier.  Survivors' receives from
 * each return MPI_ERR_OTHER.  CONT (where a receive from the second victim blocks until its
 * death is known): FT_MPI_COM_NUM_FAILED and FT_MPI_LIST_NUM_FAILED are 2, the map marks
 * both, and FT_MPI_LIST_FAILED holds both in the same order at every survivor (the
 * coordinator orders events).  One MPI_Comm_dup recovers from both; sizes, ranks and an
 * allreduce are checked.  Arguments: the modes.  Needs 5 or more ranks.
 */
#include "fttest.h"

int main(int argc, char **argv)
{
    int restarted = ft_init(&argc, &argv);
    int rank, n, cm, mm, dead[2] = {1, 3}, list[2] = {-1, -1}, v;
    MPI_Comm newc;

    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    ft_expect_modes(argc > 1 ? argv[1] : NULL, argc > 2 ? argv[2] : NULL, &cm, &mm);
    if (!restarted) {
        MPI_Barrier(MPI_COMM_WORLD);
        if (ft_is_dead(rank, dead, 2))
            ft_die();
        for (int i = 0; i < 2; i++)
            CHECK_FAILED(MPI_Recv(&v, 1, MPI_INT, dead[i], 0, MPI_COMM_WORLD,
                                  MPI_STATUS_IGNORE),
                         "MPI_Recv from a dead rank");
        if (mm == FTMPI_MSG_MODE_CONT) {
            int *l;
            ft_check_failed_attrs(MPI_COMM_WORLD, n, dead, 2);
            l = ft_attr_ptr(MPI_COMM_WORLD, FT_MPI_LIST_FAILED, "FT_MPI_LIST_FAILED");
            if (l) {
                list[0] = l[0];
                list[1] = l[1];
            }
        }
    }
    newc = ft_detect_recover(cm, n, 1, dead, 2);
    if (mm == FTMPI_MSG_MODE_CONT) {
        /* Everyone compares its list with the lowest survivor's. */
        int ref[2] = {list[0], list[1]}, root = ft_new_rank(cm, ft_lowest_live(n, dead, 2, -1),
                                                            dead, 2);
        CHECK_RC(MPI_Bcast(ref, 2, MPI_INT, root, newc), "MPI_Bcast of the failure list");
        if (!restarted)
            CHECK(ref[0] == list[0] && ref[1] == list[1],
                  "FT_MPI_LIST_FAILED is {%d, %d} here, {%d, %d} at the lowest survivor",
                  list[0], list[1], ref[0], ref[1]);
    }
    return ft_finish(newc);
}
