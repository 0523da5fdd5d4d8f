/*
 * A death inside a collective on a derived communicator: MPI_COMM_WORLD is split into
 * even and odd ranks, and rank 3 dies after a barrier while the odd half enters
 * MPI_Allreduce on its communicator.  The odd survivors get MPI_ERR_OTHER and the
 * attributes of the odd communicator name sub-rank 1; the even half's communicator, which
 * lost nobody, keeps working (also in NOP).  Everyone then recovers MPI_COMM_WORLD, the odd
 * survivors recover their communicator with MPI_Comm_dup and free the old one (the
 * `dup; free(old); old = new` idiom), and the new one's allreduce is right.
 * Arguments: the modes (SHRINK or BLANK).  Needs 6 or more ranks.
 */
#include "fttest.h"

int main(int argc, char **argv)
{
    int rank, n, cm, mm, rc, one = 1, sum = -1, dead[1] = {3}, subdead[1] = {1};
    int subrank, subn;
    MPI_Comm sub, newsub, neww;

    ft_init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    ft_expect_modes(argc > 1 ? argv[1] : NULL, argc > 2 ? argv[2] : NULL, &cm, &mm);
    CHECK_RC(MPI_Comm_split(MPI_COMM_WORLD, rank % 2, rank, &sub), "MPI_Comm_split");
    MPI_Comm_rank(sub, &subrank);
    MPI_Comm_size(sub, &subn);
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == dead[0])
        ft_die();

    rc = MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, sub);
    if (rank % 2) {
        CHECK_FAILED(rc, "MPI_Allreduce on the odd communicator");
        ft_check_failed_attrs(sub, subn, subdead, 1);
        ft_check_state(sub, FTMPI_STATE_DETECTED, "odd communicator");
    } else {
        CHECK_RC(rc, "MPI_Allreduce on the even communicator");
        CHECK(sum == subn, "even communicator: sum %d, expected %d", sum, subn);
    }

    neww = ft_detect_recover(cm, n, 0, dead, 1);

    if (rank % 2) {
        MPI_Comm old = sub;
        CHECK_RC(MPI_Comm_dup(sub, &newsub), "MPI_Comm_dup of the odd communicator");
        ft_check_recovered(sub, newsub, cm, subn, subrank, subdead, 1);
        CHECK_RC(MPI_Comm_free(&old), "MPI_Comm_free of the recovered communicator");
        sub = newsub;
    } else {
        ft_check_healthy(sub, "even communicator");
    }
    sum = -1;
    CHECK_RC(MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, sub), "MPI_Allreduce at the end");
    CHECK(sum == ((rank % 2) ? subn - 1 : subn), "final sum %d on a communicator of %d", sum,
          subn);
    MPI_Comm_free(&sub);
    return ft_finish(neww);
}
