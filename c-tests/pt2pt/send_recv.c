/*
 * Blocking MPI_Send/MPI_Recv: every ordered pair of ranks exchanges a small
 * int array with a tag derived from the pair; the receiver checks values,
 * MPI_SOURCE, MPI_TAG and MPI_Get_count.  A receive larger than the message
 * reports the sent count.  With one rank, rank 0 sends to itself with an
 * MPI_Isend first (a blocking send to self may wait for the receive).
 */
#include "mtest.h"

#define N 10

static void check_msg(const int *buf, const MPI_Status *st, int src, int tag, int count)
{
    int n = -1;
    CHECK(st->MPI_SOURCE == src, "MPI_SOURCE %d, expected %d", st->MPI_SOURCE, src);
    CHECK(st->MPI_TAG == tag, "MPI_TAG %d, expected %d", st->MPI_TAG, tag);
    CHECK_RC(MPI_Get_count(st, MPI_INT, &n), "MPI_Get_count");
    CHECK(n == count, "MPI_Get_count %d, expected %d", n, count);
    for (int i = 0; i < count && i < N; i++)
        CHECK(buf[i] == src * 1000 + tag * 10 + i, "from %d tag %d: buf[%d] = %d", src, tag, i,
              buf[i]);
}

int main(int argc, char **argv)
{
    int rank, size, buf[N + 5];
    MPI_Status st;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    /* Pairwise, in an order that cannot deadlock: lower rank sends first. */
    for (int peer = 0; peer < size; peer++) {
        int tag_out = (rank * size + peer) % 100, tag_in = (peer * size + rank) % 100;
        int out[N];
        for (int i = 0; i < N; i++)
            out[i] = rank * 1000 + tag_out * 10 + i;
        if (peer == rank) {
            MPI_Request req;
            MPI_Isend(out, N, MPI_INT, rank, tag_out, MPI_COMM_WORLD, &req);
            memset(buf, 0, sizeof buf);
            MPI_Recv(buf, N + 5, MPI_INT, rank, tag_in, MPI_COMM_WORLD, &st);
            MPI_Wait(&req, MPI_STATUS_IGNORE);
            check_msg(buf, &st, rank, tag_in, N);
        } else if (rank < peer) {
            CHECK_RC(MPI_Send(out, N, MPI_INT, peer, tag_out, MPI_COMM_WORLD), "MPI_Send");
            memset(buf, 0, sizeof buf);
            CHECK_RC(MPI_Recv(buf, N + 5, MPI_INT, peer, tag_in, MPI_COMM_WORLD, &st), "MPI_Recv");
            check_msg(buf, &st, peer, tag_in, N);
        } else {
            memset(buf, 0, sizeof buf);
            CHECK_RC(MPI_Recv(buf, N + 5, MPI_INT, peer, tag_in, MPI_COMM_WORLD, &st), "MPI_Recv");
            check_msg(buf, &st, peer, tag_in, N);
            CHECK_RC(MPI_Send(out, N, MPI_INT, peer, tag_out, MPI_COMM_WORLD), "MPI_Send");
        }
    }

    /* Counts 0 and 1, and a receive buffer left untouched beyond the message. */
    if (size > 1 && rank < 2) {
        int peer = 1 - rank;
        if (rank == 0) {
            int one = 42;
            MPI_Send(NULL, 0, MPI_INT, peer, 7, MPI_COMM_WORLD);
            MPI_Send(&one, 1, MPI_INT, peer, 8, MPI_COMM_WORLD);
        } else {
            int n = -1;
            for (int i = 0; i < N; i++)
                buf[i] = -1;
            MPI_Recv(buf, N, MPI_INT, peer, 7, MPI_COMM_WORLD, &st);
            MPI_Get_count(&st, MPI_INT, &n);
            CHECK(n == 0 && st.MPI_TAG == 7 && st.MPI_SOURCE == peer,
                  "empty message: count %d tag %d source %d", n, st.MPI_TAG, st.MPI_SOURCE);
            CHECK(buf[0] == -1, "empty message wrote buf[0] = %d", buf[0]);
            MPI_Recv(buf, N, MPI_INT, peer, 8, MPI_COMM_WORLD, &st);
            MPI_Get_count(&st, MPI_INT, &n);
            CHECK(n == 1 && buf[0] == 42, "one int: count %d value %d", n, buf[0]);
            CHECK(buf[1] == -1, "one-int message wrote buf[1] = %d", buf[1]);
        }
    }
    return mtest_finalize(0);
}
