/*
 * Bidirectional bandwidth between ranks 0 and 1: each posts a window of nonblocking receives
 * and a window of nonblocking sends to the other at once, then waits for all of them.
 * Prints one line per size, "bibw <bytes> <MB/s>", counting the bytes of both directions
 * (MB = 10^6 bytes); lines starting with '#' are comments. Other ranks only join the barriers.
 */
#include "common.h"

#define POOL_BYTES (32 * MIB)
#define BYTES_PER_SIZE (256 * MIB)
#define MIN_ITERS 10
#define TAG_DATA 5

/* One exchange of `window` messages each way. */
static void exchange(int rank, unsigned char *out, unsigned char *in, size_t size, long window,
                     MPI_Request *reqs, MPI_Status *sts)
{
    int peer = 1 - rank;
    if (rank > 1)
        return;
    for (long w = 0; w < window; w++)
        MPI_Irecv(in + (size_t)w * size, (int)size, MPI_BYTE, peer, TAG_DATA, MPI_COMM_WORLD,
                  &reqs[w]);
    for (long w = 0; w < window; w++)
        MPI_Isend(out + (size_t)w * size, (int)size, MPI_BYTE, peer, TAG_DATA, MPI_COMM_WORLD,
                  &reqs[window + w]);
    MPI_Waitall((int)(2 * window), reqs, sts);
}

int main(int argc, char **argv)
{
    struct opts o = {0, 64 * KIB, 16 * MIB, 1000, 16};
    size_t sizes[MAX_SIZES], pool_bytes;
    int rank, nprocs, nsizes;
    unsigned char *out, *in;
    MPI_Request *reqs;
    MPI_Status *sts;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nprocs);
    if (parse_opts(argc, argv, &o, rank) != 0) {
        MPI_Finalize();
        return 2;
    }
    if (o.quick && o.iters > 3)
        o.iters = 3;
    if (o.min > o.max)
        o.min = o.max;
    if (nprocs < 2) {
        if (rank == 0)
            fprintf(stderr, "bibw needs at least 2 ranks\n");
        MPI_Finalize();
        return 2;
    }
    pool_bytes = (size_t)o.window * o.max;
    if (pool_bytes > POOL_BYTES)
        pool_bytes = POOL_BYTES > o.max ? POOL_BYTES : o.max;
    out = alloc_buf(pool_bytes);
    in = alloc_buf(pool_bytes);
    reqs = malloc(sizeof(*reqs) * 2 * (size_t)o.window);
    sts = malloc(sizeof(*sts) * 2 * (size_t)o.window);
    if (!reqs || !sts) {
        fprintf(stderr, "out of memory\n");
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    if (rank == 0)
        print_header("bibw", nprocs, &o);

    nsizes = size_list(&o, sizes);
    for (int k = 0; k < nsizes; k++) {
        size_t size = sizes[k];
        long window = window_for(&o, size, pool_bytes);
        long iters = clamp_iters(o.quick ? 16 * MIB : BYTES_PER_SIZE, 2 * size * (size_t)window,
                                 o.quick ? 2 : MIN_ITERS, o.iters);
        long warmup = iters / 10 > 0 ? iters / 10 : 1;
        double t0 = 0.0, elapsed;
        size_t bad = 0;

        MPI_Barrier(MPI_COMM_WORLD);
        for (long i = 0; i < warmup + iters; i++) {
            if (i == warmup)
                t0 = MPI_Wtime();
            exchange(rank, out, in, size, window, reqs, sts);
        }
        elapsed = MPI_Wtime() - t0;
        /* One exchange of known data, checked on both sides. */
        if (rank <= 1) {
            for (long w = 0; w < window; w++) {
                fill(out + (size_t)w * size, size, rank * 1000 + w, 3);
                memset(in + (size_t)w * size, 0, size);
            }
            exchange(rank, out, in, size, window, reqs, sts);
            for (long w = 0; w < window; w++) {
                check_count("bibw", &sts[w], size);
                bad += check("bibw", in + (size_t)w * size, size, (1 - rank) * 1000 + w, 3);
            }
            if (bad != 0)
                MPI_Abort(MPI_COMM_WORLD, 1);
        }
        if (rank == 0) {
            double bytes = 2.0 * (double)size * (double)window * (double)iters;
            printf("bibw %zu %.2f\n", size, bytes / elapsed / 1e6);
            fflush(stdout);
        }
    }
    free(reqs);
    free(sts);
    free(out);
    free(in);
    MPI_Finalize();
    return 0;
}
