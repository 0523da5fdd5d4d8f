/*
 * Large messages the way bandwidth-bound codes send them: windows of nonblocking sends
 * and receives between rank pairs (both directions at once), buffers at odd addresses
 * with odd lengths, MPI_ANY_SOURCE receives of large messages, synchronous sends, and a
 * sender that computes without calling MPI for a while after MPI_Isend, so a receiver
 * that waits on it would be slow but must not be wrong.  Every byte is checked, and the
 * bytes around each message in the receive buffer must stay untouched.
 */
#include "mtest.h"

#define WINDOW 8
#define GUARD 64

static unsigned char pattern(long i, int from, int k)
{
    return (unsigned char)(i * 7 + from * 31 + k * 13 + (i >> 12));
}

static int check_msg(const unsigned char *r, long n, int from, int k, const char *what)
{
    for (long i = 0; i < n; i++)
        if (r[i] != pattern(i, from, k)) {
            CHECK(0, "%s: message %d of %ld bytes from %d: byte %ld is %d, want %d",
                  what, k, n, from, i, r[i], pattern(i, from, k));
            return 1;
        }
    for (int g = 0; g < GUARD; g++)
        if (r[n + g] != 0xA5 || r[-1 - g] != 0xA5) {
            CHECK(0, "%s: message %d of %ld bytes wrote outside its buffer", what, k, n);
            return 1;
        }
    return 0;
}

int errs = 0;

int main(int argc, char **argv)
{
    int rank, size;
    static const long lens[] = {65536, 65536 * 3 + 7, 1 << 20, (5 << 20) + 13};
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int peer = rank ^ 1;
    int paired = peer < size;

    for (int li = 0; li < 4 && paired; li++) {
        long n = lens[li];
        long stride = n + 2 * GUARD + 3;
        unsigned char *sb = malloc(stride * WINDOW + 1), *rb = malloc(stride * WINDOW + 1);
        MPI_Request rq[2 * WINDOW];
        /* Odd offsets: neither buffer is page or even word aligned. */
        for (int k = 0; k < WINDOW; k++)
            for (long i = 0; i < n; i++)
                sb[1 + k * stride + GUARD + i] = pattern(i, rank, k);
        memset(rb, 0xA5, stride * WINDOW + 1);
        for (int k = 0; k < WINDOW; k++)
            MPI_Irecv(rb + 1 + k * stride + GUARD, (int)n, MPI_BYTE, peer, k, MPI_COMM_WORLD, &rq[k]);
        for (int k = 0; k < WINDOW; k++)
            MPI_Isend(sb + 1 + k * stride + GUARD, (int)n, MPI_BYTE, peer, k, MPI_COMM_WORLD, &rq[WINDOW + k]);
        MPI_Waitall(2 * WINDOW, rq, MPI_STATUSES_IGNORE);
        for (int k = 0; k < WINDOW; k++)
            errs += check_msg(rb + 1 + k * stride + GUARD, n, peer, k, "window");

        /* The lower rank sends with MPI_Ssend; the higher receives from MPI_ANY_SOURCE. */
        memset(rb, 0xA5, stride * WINDOW + 1);
        if (rank < peer) {
            MPI_Ssend(sb + 1 + GUARD, (int)n, MPI_BYTE, peer, 100, MPI_COMM_WORLD);
        } else {
            MPI_Status st;
            int count;
            MPI_Recv(rb + 1 + GUARD, (int)n, MPI_BYTE, MPI_ANY_SOURCE, 100, MPI_COMM_WORLD, &st);
            MPI_Get_count(&st, MPI_BYTE, &count);
            CHECK(st.MPI_SOURCE == peer && count == n, "any-source: source %d count %d, want %d %ld",
                  st.MPI_SOURCE, count, peer, n);
            errs += check_msg(rb + 1 + GUARD, n, peer, 0, "any-source");
        }

        /* A sender busy elsewhere: the receiver must finish on its own. */
        memset(rb, 0xA5, stride * WINDOW + 1);
        if (rank < peer) {
            MPI_Request r;
            volatile double x = 0;
            MPI_Isend(sb + 1 + GUARD, (int)n, MPI_BYTE, peer, 101, MPI_COMM_WORLD, &r);
            MPI_Recv(NULL, 0, MPI_BYTE, peer, 102, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            for (long i = 0; i < 20000000; i++)
                x += i * 0.5;
            MPI_Wait(&r, MPI_STATUS_IGNORE);
        } else {
            MPI_Request r;
            MPI_Irecv(rb + 1 + GUARD, (int)n, MPI_BYTE, peer, 101, MPI_COMM_WORLD, &r);
            MPI_Send(NULL, 0, MPI_BYTE, peer, 102, MPI_COMM_WORLD);
            MPI_Wait(&r, MPI_STATUS_IGNORE);
            errs += check_msg(rb + 1 + GUARD, n, peer, 0, "busy sender");
        }
        free(sb);
        free(rb);
    }
    return mtest_finalize(errs);
}
