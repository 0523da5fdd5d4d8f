/*
 * ABORT mode (plain mpirun, or -cm abort): rank 2 dies of SIGKILL after a barrier while the
 * others block in MPI_Recv from it with MPI_ERRORS_RETURN set.  The user cannot trap the
 * failure: the job ends, mpirun exits non-zero and names the dead rank, and no survivor
 * returns from its receive (one that does prints a line and finalizes, which makes mpirun
 * exit 0 and the test fail).
 */
#include "fttest.h"

int main(int argc, char **argv)
{
    int rank, n, cm, mm, v = 0, rc;

    ft_init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    ft_expect_modes("abort", argc > 1 ? argv[1] : NULL, &cm, &mm);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 2 % n)
        ft_die();
    rc = MPI_Recv(&v, 1, MPI_INT, 2 % n, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    printf("[rank %d] ABORT mode: MPI_Recv from the dead rank returned %d\n", rank, rc);
    fflush(stdout);
    MPI_Finalize();
    return 0;
}
