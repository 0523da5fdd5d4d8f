/*
 * Rank 2 calls _exit(99) after a barrier (no MPI_Finalize): a failure like any other.
 * Survivors blocked in MPI_Recv from it get MPI_ERR_OTHER, and the error's text names the
 * exit code; they recover with MPI_Comm_dup and finish.  Arguments: the modes.
 */
#include "fttest.h"

int main(int argc, char **argv)
{
    int restarted = ft_init(&argc, &argv);
    int rank, n, cm, mm, v, rc, dead[1] = {2};
    MPI_Comm newc;

    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    ft_expect_modes(argc > 1 ? argv[1] : NULL, argc > 2 ? argv[2] : NULL, &cm, &mm);
    if (!restarted) {
        MPI_Barrier(MPI_COMM_WORLD);
        if (rank == dead[0]) {
            fflush(stdout);
            _exit(99);
        }
        rc = MPI_Recv(&v, 1, MPI_INT, dead[0], 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        CHECK_FAILED(rc, "MPI_Recv from a rank that called _exit(99)");
        CHECK(strstr(ft_errstr(rc), "99") != NULL,
              "the error text does not give the exit code: \"%s\"", ft_errstr(rc));
    }
    newc = ft_detect_recover(cm, n, restarted, dead, 1);
    return ft_finish(newc);
}
