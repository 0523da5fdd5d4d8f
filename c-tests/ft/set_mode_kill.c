/*
 * A program selects fault tolerance itself: run under plain mpirun (ABORT), every rank
 * calls FTMPI_Comm_set_mode(MPI_COMM_WORLD, SHRINK or BLANK per the first argument, CONT)
 * before a barrier; then rank 2 dies of SIGKILL.  The job must not end: survivors get
 * MPI_ERR_OTHER, recover with MPI_Comm_dup, and mpirun exits 0.
 */
#include "fttest.h"

int main(int argc, char **argv)
{
    int rank, n, cm, mm, want, dead[1] = {2};
    MPI_Comm newc;

    ft_init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    want = argc > 1 && strcmp(argv[1], "blank") == 0 ? FTMPI_COMM_MODE_BLANK
                                                      : FTMPI_COMM_MODE_SHRINK;
    ft_expect_modes("abort", NULL, &cm, &mm);
    CHECK_RC(FTMPI_Comm_set_mode(MPI_COMM_WORLD, want, FTMPI_MSG_MODE_CONT),
             "FTMPI_Comm_set_mode(MPI_COMM_WORLD)");
    ft_modes(MPI_COMM_WORLD, &cm, &mm);
    CHECK(cm == want && mm == FTMPI_MSG_MODE_CONT, "modes %d/%d after setting %d/1", cm, mm,
          want);
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == dead[0])
        ft_die();
    newc = ft_detect_recover(cm, n, 0, dead, 1);
    return ft_finish(newc);
}
