/*
 * MPI_Probe and MPI_Iprobe.  Every rank other than 0 sends rank 0 a message of
 * a length and tag that depend on its rank, but only after rank 0 has checked
 * that MPI_Iprobe finds nothing (rank 0 releases them with a "go" message).
 * Rank 0 probes with wildcards, sizes its buffer from MPI_Get_count, checks
 * that probing again finds the same message (a probe does not receive it),
 * and receives exactly that message using the probed source and tag.  Half of
 * the messages are found by an MPI_Iprobe loop, half by MPI_Probe.  With one
 * rank, rank 0 probes messages it sent itself.
 */
#include "mtest.h"

static int len_of(int r)
{
    return 1 + (r * 37) % 500 + (r % 3 == 0 ? 20000 : 0);
}

int main(int argc, char **argv)
{
    int rank, size, flag;
    MPI_Status st;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    if (rank == 0) {
        int nmsg = size > 1 ? size - 1 : 2;
        char *seen = calloc((size_t)size + 2, 1);
        MPI_Request self_reqs[2];
        int *self_bufs[2] = {NULL, NULL};

        flag = -1;
        CHECK_RC(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st),
                 "MPI_Iprobe");
        CHECK(flag == 0, "MPI_Iprobe found a message before anyone sent");

        if (size > 1) {
            int go = 1;
            for (int r = 1; r < size; r++)
                MPI_Send(&go, 1, MPI_INT, r, 0, MPI_COMM_WORLD);
        } else {
            for (int k = 0; k < 2; k++) {
                int n = len_of(k + 1);
                self_bufs[k] = malloc(sizeof(int) * (size_t)n);
                for (int i = 0; i < n; i++)
                    self_bufs[k][i] = (k + 1) * 100000 + i;
                MPI_Isend(self_bufs[k], n, MPI_INT, 0, 100 + k + 1, MPI_COMM_WORLD, &self_reqs[k]);
            }
        }

        for (int m = 0; m < nmsg; m++) {
            MPI_Status st2;
            int count = -1, count2 = -1, src, tag, *buf, who;
            if (m % 2 == 0) {
                CHECK_RC(MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st), "MPI_Probe");
            } else {
                flag = 0;
                while (!flag)
                    CHECK_RC(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st),
                             "MPI_Iprobe");
            }
            src = st.MPI_SOURCE;
            tag = st.MPI_TAG;
            who = size > 1 ? src : tag - 100;
            CHECK(tag == 100 + who, "probed tag %d from %d", tag, src);
            CHECK_RC(MPI_Get_count(&st, MPI_INT, &count), "MPI_Get_count");
            CHECK(count == len_of(who), "probed count %d from %d, expected %d", count, src,
                  len_of(who));
            if (count < 0 || who < 0 || who > size + 1)
                break;
            CHECK(!seen[who], "message of %d probed again after it was received", who);
            seen[who] = 1;

            /* Probing the specific source and tag finds the same message. */
            CHECK_RC(MPI_Probe(src, tag, MPI_COMM_WORLD, &st2), "MPI_Probe(specific)");
            MPI_Get_count(&st2, MPI_INT, &count2);
            CHECK(st2.MPI_SOURCE == src && st2.MPI_TAG == tag && count2 == count,
                  "second probe: source %d tag %d count %d", st2.MPI_SOURCE, st2.MPI_TAG, count2);

            buf = malloc(sizeof(int) * (size_t)count + 1);
            MPI_Recv(buf, count, MPI_INT, src, tag, MPI_COMM_WORLD, &st2);
            MPI_Get_count(&st2, MPI_INT, &count2);
            CHECK(count2 == count, "received %d after probing %d", count2, count);
            for (int i = 0; i < count; i++)
                if (buf[i] != who * 100000 + i) {
                    CHECK(0, "from %d: buf[%d] = %d", src, i, buf[i]);
                    break;
                }
            free(buf);
        }
        if (size == 1) {
            MPI_Waitall(2, self_reqs, MPI_STATUSES_IGNORE);
            free(self_bufs[0]);
            free(self_bufs[1]);
        }
        /* Rank 1 may already have sent the messages of the next part: probe by tag. */
        for (int w = 1; w <= (size > 1 ? size - 1 : 2); w++) {
            flag = -1;
            MPI_Iprobe(MPI_ANY_SOURCE, 100 + w, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
            CHECK(flag == 0, "MPI_Iprobe found tag %d again after it was received", 100 + w);
        }
        free(seen);
        for (int r = 1; r < size; r++)
            MPI_Send(&r, 1, MPI_INT, r, 4, MPI_COMM_WORLD);
    } else {
        int go = 0, n = len_of(rank);
        int *buf = malloc(sizeof(int) * (size_t)n);
        MPI_Recv(&go, 1, MPI_INT, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        for (int i = 0; i < n; i++)
            buf[i] = rank * 100000 + i;
        MPI_Send(buf, n, MPI_INT, 0, 100 + rank, MPI_COMM_WORLD);
        free(buf);
        /* Wait until rank 0's wildcard probes are over before sending anything else. */
        MPI_Recv(&go, 1, MPI_INT, 0, 4, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    }

    /* A probe for a specific source and tag skips other messages. */
    if (size > 1 && rank < 2) {
        if (rank == 1) {
            int a = 1, b = 2, go;
            MPI_Recv(&go, 1, MPI_INT, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            MPI_Send(&a, 1, MPI_INT, 0, 7, MPI_COMM_WORLD);
            MPI_Send(&b, 1, MPI_INT, 0, 8, MPI_COMM_WORLD);
        } else {
            int a = 0, b = 0, go = 2;
            MPI_Send(&go, 1, MPI_INT, 1, 0, MPI_COMM_WORLD);
            MPI_Probe(1, 8, MPI_COMM_WORLD, &st);
            CHECK(st.MPI_TAG == 8, "probe for tag 8 gave tag %d", st.MPI_TAG);
            MPI_Iprobe(1, 7, MPI_COMM_WORLD, &flag, &st);
            CHECK(flag && st.MPI_TAG == 7, "iprobe for tag 7: flag %d tag %d", flag, st.MPI_TAG);
            MPI_Recv(&b, 1, MPI_INT, 1, 8, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            MPI_Recv(&a, 1, MPI_INT, 1, 7, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            CHECK(a == 1 && b == 2, "a %d b %d", a, b);
        }
    }
    return mtest_finalize(0);
}
