/* A token travels around all ranks twice, then every rank integrates its share of pi and
 * sends it to rank 0 with point-to-point messages. Build: mpicc ring.c -o ring
 * Run: mpirun -np 4 ./ring */
#include <mpi.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    int rank, size, len;
    char host[MPI_MAX_PROCESSOR_NAME];
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Get_processor_name(host, &len);

    int next = (rank + 1) % size, prev = (rank + size - 1) % size;
    int token = 0;
    for (int lap = 0; lap < 2; lap++) {
        if (rank == 0) {
            token++;
            MPI_Send(&token, 1, MPI_INT, next, 0, MPI_COMM_WORLD);
            MPI_Recv(&token, 1, MPI_INT, prev, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        } else {
            MPI_Recv(&token, 1, MPI_INT, prev, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            token++;
            MPI_Send(&token, 1, MPI_INT, next, 0, MPI_COMM_WORLD);
        }
    }
    printf("rank %d of %d on %s: token passed, value %d\n", rank, size, host, token);

    const long n = 10000000;
    double h = 1.0 / n, part = 0.0;
    for (long i = rank; i < n; i += size) {
        double x = h * (i + 0.5);
        part += 4.0 / (1.0 + x * x);
    }
    part *= h;
    if (rank == 0) {
        double pi = part, t0 = MPI_Wtime();
        for (int r = 1; r < size; r++) {
            double p;
            MPI_Recv(&p, 1, MPI_DOUBLE, MPI_ANY_SOURCE, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            pi += p;
        }
        printf("pi is approximately %.12f (error %.2e), gathered in %.1f us\n", pi, pi - 3.141592653589793,
               (MPI_Wtime() - t0) * 1e6);
        if (token != 2 * size) {
            printf("wrong token: %d, expected %d\n", token, 2 * size);
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
    } else {
        MPI_Send(&part, 1, MPI_DOUBLE, 0, 1, MPI_COMM_WORLD);
    }
    MPI_Finalize();
    return 0;
}
