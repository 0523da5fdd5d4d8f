/*
 * MPI_Sendrecv and MPI_Sendrecv_replace: a periodic shift around the ring
 * (each rank sends right and receives from the left at the same time, which
 * would deadlock with blocking sends of large messages), a non-periodic
 * shift whose ends use MPI_PROC_NULL, sizes across the eager and large path,
 * and exchanges with self.
 */
#include "mtest.h"

static const int sizes[] = {0, 1, 1000, 100000, 1 << 20};
#define NSIZES ((int)(sizeof sizes / sizeof sizes[0]))

int main(int argc, char **argv)
{
    int rank, size, left, right;
    unsigned char *sbuf, *rbuf;
    MPI_Status st;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    left = (rank + size - 1) % size;
    right = (rank + 1) % size;
    sbuf = malloc(1 << 20);
    rbuf = malloc(1 << 20);

    for (int s = 0; s < NSIZES; s++) {
        int n = sizes[s], count = -1;

        /* Periodic shift to the right. */
        mtest_fill(sbuf, (size_t)n, rank + s);
        memset(rbuf, 0, (size_t)n);
        CHECK_RC(MPI_Sendrecv(sbuf, n, MPI_BYTE, right, s, rbuf, n, MPI_BYTE, left, s,
                              MPI_COMM_WORLD, &st),
                 "MPI_Sendrecv");
        MPI_Get_count(&st, MPI_BYTE, &count);
        CHECK(st.MPI_SOURCE == left && st.MPI_TAG == s && count == n,
              "shift: source %d tag %d count %d (size %d)", st.MPI_SOURCE, st.MPI_TAG, count, n);
        mtest_verify(rbuf, (size_t)n, left + s, "shifted payload");

        /* In place, to the left. */
        mtest_fill(rbuf, (size_t)n, 1000 + rank + s);
        CHECK_RC(MPI_Sendrecv_replace(rbuf, n, MPI_BYTE, left, 50 + s, right, 50 + s,
                                      MPI_COMM_WORLD, &st),
                 "MPI_Sendrecv_replace");
        MPI_Get_count(&st, MPI_BYTE, &count);
        CHECK(st.MPI_SOURCE == right && st.MPI_TAG == 50 + s && count == n,
              "replace: source %d tag %d count %d (size %d)", st.MPI_SOURCE, st.MPI_TAG, count, n);
        mtest_verify(rbuf, (size_t)n, 1000 + right + s, "replaced payload");
    }

    /* Non-periodic shift: the ends talk to MPI_PROC_NULL. */
    {
        int dst = rank + 1 < size ? rank + 1 : MPI_PROC_NULL;
        int src = rank > 0 ? rank - 1 : MPI_PROC_NULL;
        int out[3] = {rank, rank * 2, rank * 3}, in[3] = {-1, -1, -1}, count = -1;
        CHECK_RC(MPI_Sendrecv(out, 3, MPI_INT, dst, 9, in, 3, MPI_INT, src, 9, MPI_COMM_WORLD, &st),
                 "MPI_Sendrecv(non-periodic)");
        MPI_Get_count(&st, MPI_INT, &count);
        if (src == MPI_PROC_NULL) {
            CHECK(st.MPI_SOURCE == MPI_PROC_NULL && st.MPI_TAG == MPI_ANY_TAG && count == 0,
                  "from MPI_PROC_NULL: source %d tag %d count %d", st.MPI_SOURCE, st.MPI_TAG,
                  count);
            CHECK(in[0] == -1, "receive from MPI_PROC_NULL wrote %d", in[0]);
        } else {
            CHECK(st.MPI_SOURCE == src && count == 3, "source %d count %d", st.MPI_SOURCE, count);
            CHECK(in[0] == src && in[1] == src * 2 && in[2] == src * 3, "got %d %d %d", in[0],
                  in[1], in[2]);
        }
        in[0] = rank;
        CHECK_RC(MPI_Sendrecv_replace(in, 1, MPI_INT, src, 10, dst, 10, MPI_COMM_WORLD, &st),
                 "MPI_Sendrecv_replace(non-periodic)");
        if (dst == MPI_PROC_NULL)
            CHECK(in[0] == rank && st.MPI_SOURCE == MPI_PROC_NULL,
                  "replace from MPI_PROC_NULL changed the buffer to %d, source %d", in[0],
                  st.MPI_SOURCE);
        else
            CHECK(in[0] == dst, "replace got %d from %d", in[0], dst);
    }

    /* With self, in MPI_COMM_WORLD and MPI_COMM_SELF. */
    {
        double a[4] = {1.5, 2.5, 3.5, rank}, b[4] = {0, 0, 0, 0};
        MPI_Sendrecv(a, 4, MPI_DOUBLE, rank, 3, b, 4, MPI_DOUBLE, rank, 3, MPI_COMM_WORLD, &st);
        CHECK(b[0] == 1.5 && b[3] == rank && st.MPI_SOURCE == rank, "self exchange in WORLD");
        b[0] = 0;
        MPI_Sendrecv(a, 4, MPI_DOUBLE, 0, 4, b, 4, MPI_DOUBLE, 0, 4, MPI_COMM_SELF, &st);
        CHECK(b[0] == 1.5 && b[3] == rank && st.MPI_SOURCE == 0, "self exchange in SELF");
        MPI_Sendrecv_replace(a, 4, MPI_DOUBLE, 0, 5, 0, 5, MPI_COMM_SELF, MPI_STATUS_IGNORE);
        CHECK(a[2] == 3.5, "replace with self gave %g", a[2]);
    }
    free(sbuf);
    free(rbuf);
    return mtest_finalize(0);
}
