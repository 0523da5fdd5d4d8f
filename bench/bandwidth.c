/*
 * Streaming bandwidth from rank 0 to rank 1: a window of nonblocking sends met by as many
 * nonblocking receives, then a small acknowledgement, repeated. Prints one line per size,
 * "bandwidth <bytes> <MB/s>" with MB = 10^6 bytes; lines starting with '#' are comments.
 *
 * Every message in a window has its own buffer (MPI forbids overlapping receive buffers),
 * so the window shrinks for messages too large for the buffer pool; the '#' line for each
 * such size says so.
 */
#include "common.h"

#define POOL_BYTES (64 * MIB)
/* Bytes streamed per size before the iteration count stops growing. */
#define BYTES_PER_SIZE (512 * MIB)
#define MIN_ITERS 10
#define TAG_DATA 3
#define TAG_ACK 4

static void stream(int rank, unsigned char *pool, size_t size, long window,
                   MPI_Request *reqs, MPI_Status *sts)
{
    int ack = 0;
    MPI_Status st;
    if (rank == 0) {
        for (long w = 0; w < window; w++)
            MPI_Isend(pool + (size_t)w * size, (int)size, MPI_BYTE, 1, TAG_DATA,
                      MPI_COMM_WORLD, &reqs[w]);
        MPI_Waitall((int)window, reqs, sts);
        MPI_Recv(&ack, 1, MPI_INT, 1, TAG_ACK, MPI_COMM_WORLD, &st);
    } else if (rank == 1) {
        for (long w = 0; w < window; w++)
            MPI_Irecv(pool + (size_t)w * size, (int)size, MPI_BYTE, 0, TAG_DATA,
                      MPI_COMM_WORLD, &reqs[w]);
        MPI_Waitall((int)window, reqs, sts);
        MPI_Send(&ack, 1, MPI_INT, 0, TAG_ACK, MPI_COMM_WORLD);
    }
}

/* One window of known data, each message different, checked by the receiver. */
static void verify(int rank, unsigned char *pool, size_t size, long window,
                   MPI_Request *reqs, MPI_Status *sts)
{
    size_t bad = 0;
    if (rank > 1)
        return;
    for (long w = 0; w < window; w++) {
        if (rank == 0)
            fill(pool + (size_t)w * size, size, w, 2);
        else
            memset(pool + (size_t)w * size, 0, size);
    }
    stream(rank, pool, size, window, reqs, sts);
    if (rank == 1) {
        for (long w = 0; w < window; w++) {
            check_count("bandwidth", &sts[w], size);
            bad += check("bandwidth", pool + (size_t)w * size, size, w, 2);
        }
        if (bad != 0)
            MPI_Abort(MPI_COMM_WORLD, 1);
    }
}

int main(int argc, char **argv)
{
    struct opts o = {0, KIB, 16 * MIB, 1000, 64};
    size_t sizes[MAX_SIZES], pool_bytes;
    int rank, nprocs, nsizes;
    unsigned char *pool;
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
            fprintf(stderr, "bandwidth needs at least 2 ranks\n");
        MPI_Finalize();
        return 2;
    }
    pool_bytes = (size_t)o.window * o.max;
    if (pool_bytes > POOL_BYTES)
        pool_bytes = POOL_BYTES > o.max ? POOL_BYTES : o.max;
    pool = alloc_buf(pool_bytes);
    reqs = malloc(sizeof(*reqs) * (size_t)o.window);
    sts = malloc(sizeof(*sts) * (size_t)o.window);
    if (!reqs || !sts) {
        fprintf(stderr, "out of memory\n");
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    if (rank == 0)
        print_header("bandwidth", nprocs, &o);

    nsizes = size_list(&o, sizes);
    for (int k = 0; k < nsizes; k++) {
        size_t size = sizes[k];
        long window = window_for(&o, size, pool_bytes);
        long iters = clamp_iters(o.quick ? 16 * MIB : BYTES_PER_SIZE, size * (size_t)window,
                                 o.quick ? 2 : MIN_ITERS, o.iters);
        long warmup = iters / 10 > 0 ? iters / 10 : 1;
        double t0 = 0.0, elapsed;

        if (rank == 0 && window < o.window)
            printf("# window %ld for %zu bytes\n", window, size);
        MPI_Barrier(MPI_COMM_WORLD);
        for (long i = 0; i < warmup + iters; i++) {
            if (i == warmup)
                t0 = MPI_Wtime();
            stream(rank, pool, size, window, reqs, sts);
        }
        elapsed = MPI_Wtime() - t0;
        verify(rank, pool, size, window, reqs, sts);
        if (rank == 0) {
            double bytes = (double)size * (double)window * (double)iters;
            printf("bandwidth %zu %.2f\n", size, bytes / elapsed / 1e6);
            fflush(stdout);
        }
    }

    free(reqs);
    free(sts);
    free(pool);
    MPI_Finalize();
    return 0;
}
