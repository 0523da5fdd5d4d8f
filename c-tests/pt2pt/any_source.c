/*
 * MPI_ANY_SOURCE and MPI_ANY_TAG: rank 0 receives ROUNDS messages from every
 * other rank with wildcards and checks that each arrives exactly once with a
 * correct status; per source the order is the send order (non-overtaking
 * applies to each sender separately).  Then the same with MPI_ANY_SOURCE and
 * a specific tag while each sender also sends a message with a different tag
 * that must be left for a later receive.  Senders hold back everything but the
 * numbered messages until rank 0 says go, so the wildcards cannot catch them.
 */
#include "mtest.h"

#define ROUNDS 50

int main(int argc, char **argv)
{
    int rank, size;
    MPI_Status st;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    if (size == 1) {
        /* Wildcards also match messages to self. */
        int v = 3, w = 0;
        MPI_Request req;
        MPI_Isend(&v, 1, MPI_INT, 0, 17, MPI_COMM_WORLD, &req);
        MPI_Recv(&w, 1, MPI_INT, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
        MPI_Wait(&req, MPI_STATUS_IGNORE);
        CHECK(w == 3 && st.MPI_SOURCE == 0 && st.MPI_TAG == 17, "self: %d from %d tag %d", w,
              st.MPI_SOURCE, st.MPI_TAG);
        return mtest_finalize(0);
    }

    if (rank == 0) {
        int *next = calloc((size_t)size, sizeof(int));
        for (int i = 0; i < ROUNDS * (size - 1); i++) {
            int msg[2] = {-1, -1}, count = -1;
            CHECK_RC(MPI_Recv(msg, 2, MPI_INT, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st),
                     "MPI_Recv(ANY_SOURCE, ANY_TAG)");
            MPI_Get_count(&st, MPI_INT, &count);
            CHECK(count == 2, "count %d", count);
            CHECK(st.MPI_SOURCE >= 1 && st.MPI_SOURCE < size, "source %d", st.MPI_SOURCE);
            if (st.MPI_SOURCE < 1 || st.MPI_SOURCE >= size)
                break;
            CHECK(msg[0] == st.MPI_SOURCE, "message from %d claims %d", st.MPI_SOURCE, msg[0]);
            CHECK(msg[1] == next[st.MPI_SOURCE], "from %d: message %d where %d was next",
                  st.MPI_SOURCE, msg[1], next[st.MPI_SOURCE]);
            CHECK(st.MPI_TAG == msg[1] % 7, "from %d: tag %d for message %d", st.MPI_SOURCE,
                  st.MPI_TAG, msg[1]);
            next[st.MPI_SOURCE] = msg[1] + 1;
        }
        for (int r = 1; r < size; r++)
            CHECK(next[r] == ROUNDS, "got %d messages from %d", next[r], r);

        /* Tag 2 with any source: each sender's tag-1 message must stay queued. */
        for (int r = 1; r < size; r++)
            MPI_Send(&r, 1, MPI_INT, r, 3, MPI_COMM_WORLD);
        for (int i = 0; i < size - 1; i++) {
            int v = -1;
            MPI_Recv(&v, 1, MPI_INT, MPI_ANY_SOURCE, 2, MPI_COMM_WORLD, &st);
            CHECK(st.MPI_TAG == 2 && v == st.MPI_SOURCE * 10 + 2, "tag-2 receive got %d tag %d",
                  v, st.MPI_TAG);
        }
        /* A specific source with MPI_ANY_TAG: its tag-1 message, sent before anything else left. */
        for (int r = 1; r < size; r++) {
            int v = -1;
            MPI_Recv(&v, 1, MPI_INT, r, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
            CHECK(st.MPI_TAG == 1 && v == r * 10 + 1, "then got %d tag %d from %d", v, st.MPI_TAG,
                  r);
        }
        free(next);
    } else {
        for (int i = 0; i < ROUNDS; i++) {
            int msg[2] = {rank, i};
            MPI_Send(msg, 2, MPI_INT, 0, i % 7, MPI_COMM_WORLD);
        }
        {
            int a = rank * 10 + 1, b = rank * 10 + 2, go;
            /* Only now: the wildcard loop above must see nothing but the numbered messages. */
            MPI_Recv(&go, 1, MPI_INT, 0, 3, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            MPI_Send(&a, 1, MPI_INT, 0, 1, MPI_COMM_WORLD);
            MPI_Send(&b, 1, MPI_INT, 0, 2, MPI_COMM_WORLD);
        }
    }
    return mtest_finalize(0);
}
