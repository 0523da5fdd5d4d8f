/*
 * One-way latency between ranks 0 and 1: a ping-pong, reported as half the round trip.
 * Prints one line per size, "latency <bytes> <microseconds>"; lines starting with '#' are
 * comments. Other ranks, if any, only join the barriers.
 */
#include "common.h"

/* Bytes moved per size before the iteration count stops growing, so large sizes stay quick. */
#define BYTES_PER_SIZE (256 * MIB)
#define MIN_ITERS 20
#define TAG_PING 1
#define TAG_PONG 2

/* With -t receives poll: MPI_Irecv, then MPI_Test until it completes. */
static int test_loop;

static void receive(unsigned char *rbuf, size_t size, int from, int tag, MPI_Status *st)
{
    if (test_loop) {
        MPI_Request r;
        int done = 0;
        MPI_Irecv(rbuf, (int)size, MPI_BYTE, from, tag, MPI_COMM_WORLD, &r);
        while (!done)
            MPI_Test(&r, &done, st);
    } else {
        MPI_Recv(rbuf, (int)size, MPI_BYTE, from, tag, MPI_COMM_WORLD, st);
    }
}

static void exchange(int rank, unsigned char *sbuf, unsigned char *rbuf, size_t size,
                     MPI_Status *st)
{
    if (rank == 0) {
        MPI_Send(sbuf, (int)size, MPI_BYTE, 1, TAG_PING, MPI_COMM_WORLD);
        receive(rbuf, size, 1, TAG_PONG, st);
    } else if (rank == 1) {
        receive(rbuf, size, 0, TAG_PING, st);
        MPI_Send(sbuf, (int)size, MPI_BYTE, 0, TAG_PONG, MPI_COMM_WORLD);
    }
}

/* One exchange of known data: rank 1 checks what rank 0 sent, rank 0 checks the answer. */
static void verify(int rank, unsigned char *sbuf, unsigned char *rbuf, size_t size)
{
    MPI_Status st;
    if (rank > 1)
        return;
    fill(sbuf, size, rank, 1);
    memset(rbuf, 0, size ? size : 1);
    exchange(rank, sbuf, rbuf, size, &st);
    check_count("latency", &st, size);
    if (check("latency", rbuf, size, 1 - rank, 1) != 0)
        MPI_Abort(MPI_COMM_WORLD, 1);
}

int main(int argc, char **argv)
{
    struct opts o = {0, 0, 4 * MIB, 10000, 0, 1};
    size_t sizes[MAX_SIZES];
    int rank, nprocs, nsizes;
    unsigned char *sbuf, *rbuf;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nprocs);
    if (parse_opts(argc, argv, &o, rank) != 0) {
        MPI_Finalize();
        return 2;
    }
    if (o.quick && o.iters > 50)
        o.iters = 50;
    test_loop = o.test_loop == 2;
    if (nprocs < 2) {
        if (rank == 0)
            fprintf(stderr, "latency needs at least 2 ranks\n");
        MPI_Finalize();
        return 2;
    }
    sbuf = alloc_buf(o.max);
    rbuf = alloc_buf(o.max);
    if (rank == 0)
        print_header("latency", nprocs, &o);

    nsizes = size_list(&o, sizes);
    for (int k = 0; k < nsizes; k++) {
        size_t size = sizes[k];
        long iters = clamp_iters(o.quick ? 4 * MIB : BYTES_PER_SIZE, size,
                                 o.quick ? 5 : MIN_ITERS, o.iters);
        long warmup = iters / 10 > 0 ? iters / 10 : 1;
        double t0 = 0.0, elapsed;
        MPI_Status st;

        MPI_Barrier(MPI_COMM_WORLD);
        for (long i = 0; i < warmup + iters; i++) {
            if (i == warmup)
                t0 = MPI_Wtime();
            exchange(rank, sbuf, rbuf, size, &st);
        }
        elapsed = MPI_Wtime() - t0;
        verify(rank, sbuf, rbuf, size);
        if (rank == 0) {
            printf("latency %zu %.3f\n", size, elapsed * 1e6 / (2.0 * (double)iters));
            fflush(stdout);
        }
    }

    free(sbuf);
    free(rbuf);
    MPI_Finalize();
    return 0;
}
