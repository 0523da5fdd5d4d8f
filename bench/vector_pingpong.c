/*
 * What a non-contiguous transfer costs: a ping-pong of one column of an N x N matrix of
 * doubles (row-major, so the column is N doubles N * 8 bytes apart, described by
 * MPI_Type_vector(N, 1, N, MPI_DOUBLE)), against a ping-pong of the same N doubles stored
 * contiguously. Both sides send from and receive into the matrix. Prints one-way times and
 * their ratio:
 *
 *     vector_pingpong contiguous <bytes> <microseconds>
 *     vector_pingpong column <bytes> <microseconds>
 *     vector_pingpong ratio <column / contiguous>
 *     vector_pingpong pack_loop <bytes> <microseconds>
 *     vector_pingpong unpack_loop <bytes> <microseconds>
 *     vector_pingpong floor_ratio <pack_loop / contiguous>
 *
 * The last three time plain C loops, with no MPI at all: one gathering the column into a
 * line, one scattering a line into a column. Any column transfer has to read the column at
 * least once, and the gather loop is the cheapest way to do that, so floor_ratio is a lower
 * bound on the ratio any MPI can reach here. (The scatter loop is no such bound: a
 * transfer spreads its stores over the pipelined pieces and can beat it.)
 *
 * Options: -N <matrix order> (default 4096), -n <round trips> (default 1000), -k <columns
 * per message> (default 1), -q (quick: 50 round trips), -r <limit> (exit 3 if the ratio is
 * above it). Ranks 0 and 1 take part; the others only wait. Plain MPI-1.2 and C99.
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG_PING 1
#define TAG_PONG 2

/* The median of five timings (sorts them in place). */
static double median5(double runs[5])
{
    for (int i = 0; i < 5; i++)
        for (int j = i + 1; j < 5; j++)
            if (runs[j] < runs[i]) {
                double t = runs[i];
                runs[i] = runs[j];
                runs[j] = t;
            }
    return runs[2];
}

/* Round trips of `count` items of `type` from `sbuf` and into `rbuf`; returns the one-way
 * time in microseconds (the median of 5 runs, so one hiccup does not decide). */
static double pingpong(int rank, void *sbuf, void *rbuf, int count, MPI_Datatype type, long iters)
{
    double runs[5];
    for (int r = 0; r < 5; r++) {
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        for (long i = 0; i < iters; i++) {
            if (rank == 0) {
                MPI_Send(sbuf, count, type, 1, TAG_PING, MPI_COMM_WORLD);
                MPI_Recv(rbuf, count, type, 1, TAG_PONG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            } else if (rank == 1) {
                MPI_Recv(rbuf, count, type, 0, TAG_PING, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                MPI_Send(sbuf, count, type, 0, TAG_PONG, MPI_COMM_WORLD);
            }
        }
        runs[r] = (MPI_Wtime() - t0) * 1e6 / (2.0 * (double)iters);
    }
    return median5(runs);
}

/* Microseconds per pass of a plain loop between column(s) of `mat` and `line`: gather
 * (unpack = 0) or scatter (unpack = 1); the median of 5 runs of `iters` passes. */
static double strided_loop(double *mat, double *line, long n, long k, long iters, int unpack)
{
    double runs[5];
    for (int r = 0; r < 5; r++) {
        double t0 = MPI_Wtime();
        for (long it = 0; it < iters; it++) {
            for (long i = 0; i < n; i++)
                for (long j = 0; j < k; j++) {
                    if (unpack)
                        mat[i * n + j] = line[i * k + j];
                    else
                        line[i * k + j] = mat[i * n + j];
                }
            /* Keep the compiler from folding the passes together. */
            __asm__ volatile("" : : "r"(mat), "r"(line) : "memory");
        }
        runs[r] = (MPI_Wtime() - t0) * 1e6 / (double)iters;
    }
    return median5(runs);
}

int main(int argc, char **argv)
{
    long n = 4096, iters = 1000, k = 1;
    double limit = 0;
    int rank, nprocs, errs = 0;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nprocs);
    for (int i = 1; i < argc; i++) {
        const char *val = i + 1 < argc ? argv[i + 1] : "0";
        if (strcmp(argv[i], "-N") == 0) {
            n = strtol(val, NULL, 0);
            i++;
        } else if (strcmp(argv[i], "-n") == 0) {
            iters = strtol(val, NULL, 0);
            i++;
        } else if (strcmp(argv[i], "-k") == 0) {
            k = strtol(val, NULL, 0);
            i++;
        } else if (strcmp(argv[i], "-r") == 0) {
            limit = strtod(val, NULL);
            i++;
        } else if (strcmp(argv[i], "-q") == 0) {
            iters = 50;
        } else {
            if (rank == 0)
                fprintf(stderr, "usage: %s [-N order] [-n round-trips] [-k columns] [-q] [-r max-ratio]\n", argv[0]);
            MPI_Finalize();
            return 2;
        }
    }
    if (nprocs < 2 || n < 1 || k < 1 || k > n || iters < 1) {
        if (rank == 0)
            fprintf(stderr, "vector_pingpong needs 2 ranks, N >= 1, 1 <= k <= N, n >= 1\n");
        MPI_Finalize();
        return 2;
    }

    size_t elems = (size_t)n * (size_t)n;
    double *a = malloc(elems * sizeof(double));
    double *b = malloc(elems * sizeof(double));
    double *line_s = malloc((size_t)(n * k) * sizeof(double));
    double *line_r = malloc((size_t)(n * k) * sizeof(double));
    if (!a || !b || !line_s || !line_r) {
        fprintf(stderr, "vector_pingpong: out of memory for a %ld x %ld matrix\n", n, n);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    for (size_t i = 0; i < elems; i++) {
        a[i] = (double)rank * 1e9 + (double)i;
        b[i] = -1.0;
    }
    for (long i = 0; i < n * k; i++)
        line_s[i] = (double)i;

    MPI_Datatype column;
    MPI_Type_vector((int)n, (int)k, (int)n, MPI_DOUBLE, &column);
    MPI_Type_commit(&column);
    /* The middle column(s), away from the matrix's first page. */
    long col = (n - k) / 2;

    /* One checked exchange first: the column arrives where it belongs, the rest untouched. */
    if (rank < 2) {
        if (rank == 0) {
            MPI_Send(a + col, 1, column, 1, TAG_PING, MPI_COMM_WORLD);
        } else {
            MPI_Recv(b + col, 1, column, 0, TAG_PING, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            for (long i = 0; i < n && errs < 10; i++)
                for (long j = 0; j < n; j++) {
                    double want = (j >= col && j < col + k) ? (double)(i * n + j) : -1.0;
                    if (b[i * n + j] != want) {
                        fprintf(stderr, "vector_pingpong: b[%ld][%ld] = %g, expected %g\n", i, j, b[i * n + j], want);
                        if (++errs >= 10)
                            break;
                    }
                }
        }
    }

    double bytes = (double)n * (double)k * 8.0;
    double t_contig = pingpong(rank, line_s, line_r, (int)(n * k), MPI_DOUBLE, iters);
    double t_column = pingpong(rank, a + col, b + col, 1, column, iters);
    double ratio = t_column / t_contig;
    double t_pack = strided_loop(a + col, line_r, n, k, iters, 0);
    double t_unpack = strided_loop(b + col, line_s, n, k, iters, 1);
    if (rank == 0) {
        printf("# %ld x %ld doubles, %ld column(s) per message, %ld round trips, median of 5 runs\n", n, n, k, iters);
        printf("vector_pingpong contiguous %.0f %.2f\n", bytes, t_contig);
        printf("vector_pingpong column %.0f %.2f\n", bytes, t_column);
        printf("vector_pingpong ratio %.2f\n", ratio);
        printf("vector_pingpong pack_loop %.0f %.2f\n", bytes, t_pack);
        printf("vector_pingpong unpack_loop %.0f %.2f\n", bytes, t_unpack);
        printf("vector_pingpong floor_ratio %.2f\n", t_pack / t_contig);
    }
    MPI_Type_free(&column);
    free(a);
    free(b);
    free(line_s);
    free(line_r);

    /* Rank 1 checked the data; rank 0 decides about the ratio. */
    int bad = errs > 0;
    if (rank == 1)
        MPI_Send(&bad, 1, MPI_INT, 0, TAG_PING, MPI_COMM_WORLD);
    else if (rank == 0)
        MPI_Recv(&bad, 1, MPI_INT, 1, TAG_PING, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    int over = rank == 0 && limit > 0 && ratio > limit;
    if (rank == 0 && over)
        fprintf(stderr, "vector_pingpong: ratio %.2f is above the limit %.2f\n", ratio, limit);
    MPI_Finalize();
    return bad ? 1 : over ? 3 : 0;
}
