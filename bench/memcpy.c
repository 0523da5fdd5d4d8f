/*
 * The reference for the bandwidth tables: what one core's memcpy moves on this machine,
 * for the sizes bench/bandwidth.c and bench/bibw.c use, between two buffers as large as their
 * message pools (so the data comes from memory, as a message's does). Run on one rank; prints
 * "memcpy <bytes> <MB/s>" (MB = 10^6 bytes). Built with each MPI's mpicc like the others, but
 * only MPI_Init/MPI_Finalize are used.
 */
#include "common.h"

#define POOL_BYTES (64 * MIB)
#define BYTES_PER_SIZE (1024 * MIB)

int main(int argc, char **argv)
{
    struct opts o = {0, 64 * KIB, 16 * MIB, 100000, 1};
    size_t sizes[MAX_SIZES];
    int rank, nsizes;
    unsigned char *src, *dst;

    (void)check;
    (void)check_count;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (parse_opts(argc, argv, &o, rank) != 0) {
        MPI_Finalize();
        return 2;
    }
    if (rank == 0) {
        src = alloc_buf(POOL_BYTES);
        dst = alloc_buf(POOL_BYTES);
        fill(src, POOL_BYTES, 1, 4);
        memset(dst, 0, POOL_BYTES);
        print_header("memcpy", 1, &o);
        nsizes = size_list(&o, sizes);
        for (int k = 0; k < nsizes; k++) {
            size_t size = sizes[k], slots = POOL_BYTES / sizes[k];
            long iters = clamp_iters(o.quick ? 64 * MIB : BYTES_PER_SIZE, size, 4, o.iters);
            double t0 = MPI_Wtime(), elapsed;
            for (long i = 0; i < iters; i++) {
                size_t at = (size_t)(i % (long)slots) * size;
                memcpy(dst + at, src + at, size);
            }
            elapsed = MPI_Wtime() - t0;
            if (memcmp(dst, src, size) != 0) {
                fprintf(stderr, "memcpy: copy differs\n");
                MPI_Abort(MPI_COMM_WORLD, 1);
            }
            printf("memcpy %zu %.2f\n", size, (double)size * (double)iters / elapsed / 1e6);
            fflush(stdout);
        }
        free(src);
        free(dst);
    }
    MPI_Finalize();
    return 0;
}
