/* Runs while the test knocks on mpirun's door from outside the job: a remote rank prints
 * the address it reached mpirun at, rank 0 (on mpirun's own host, reading mpirun's stdin)
 * waits for a line, then all check an allreduce. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    int rank, size, one = 1, sum = 0;
    char line[64];

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (rank == 1) {
        printf("bootstrap %s\n", getenv("FTMPI_BOOTSTRAP"));
        fflush(stdout);
    }
    if (rank == 0 && !fgets(line, sizeof line, stdin))
        line[0] = 0;
    MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (rank == 0)
        printf("done sum %d\n", sum);
    MPI_Finalize();
    return sum == size ? 0 : 1;
}
