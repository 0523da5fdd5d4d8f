/* Every rank says where it runs; all agree on the size with an allreduce; the exit code is
 * the first argument (default 0). */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    int rank, size, sum = 0, one = 1;
    const char *host = getenv("FTMPI_HOST");

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    printf("hello from rank %d of %d on host %s sum %d\n", rank, size, host ? host : "?", sum);
    fprintf(stderr, "rank %d stderr\n", rank);
    MPI_Finalize();
    return argc > 1 ? atoi(argv[1]) : 0;
}
