/*
 * MPI_Probe never waits on a dead process.  Rank 1 dies of SIGKILL after a barrier.  Rank 0
 * is blocked in MPI_Probe(1) and gets MPI_ERR_OTHER; rank 2 (if any) is blocked in
 * MPI_Probe(MPI_ANY_SOURCE): under NOP it fails, under CONT it reports the failure once and
 * a later MPI_Iprobe(MPI_ANY_SOURCE) finds nothing and no error.  Then MPI_Iprobe(1) fails
 * there.  Rank 3 (if any) goes straight to MPI_Comm_dup, which recovers even if it has not
 * seen the failure yet.  Arguments: the modes.
 */
#include "fttest.h"

int main(int argc, char **argv)
{
    int restarted = ft_init(&argc, &argv);
    int rank, n, cm, mm, flag, dead[1] = {1};
    MPI_Status st;
    MPI_Comm newc;

    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    ft_expect_modes(argc > 1 ? argv[1] : NULL, argc > 2 ? argv[2] : NULL, &cm, &mm);
    if (!restarted) {
        MPI_Barrier(MPI_COMM_WORLD);
        if (rank == dead[0])
            ft_die();
        if (rank == 0) {
            CHECK_FAILED(MPI_Probe(1, 7, MPI_COMM_WORLD, &st), "MPI_Probe(dead rank)");
        } else if (rank == 2) {
            CHECK_FAILED(MPI_Probe(MPI_ANY_SOURCE, 7, MPI_COMM_WORLD, &st),
                         "MPI_Probe(MPI_ANY_SOURCE) with a dead member");
            if (mm == FTMPI_MSG_MODE_CONT) {
                flag = -1;
                CHECK_RC(MPI_Iprobe(MPI_ANY_SOURCE, 7, MPI_COMM_WORLD, &flag, &st),
                         "MPI_Iprobe(MPI_ANY_SOURCE) after the report");
                CHECK(flag == 0, "MPI_Iprobe found a message (flag %d)", flag);
            }
        }
        if (rank == 0 || rank == 2)
            CHECK_FAILED(MPI_Iprobe(1, 7, MPI_COMM_WORLD, &flag, &st), "MPI_Iprobe(dead rank)");
    }
    newc = ft_detect_recover(cm, n, 1, dead, 1);
    return ft_finish(newc);
}
