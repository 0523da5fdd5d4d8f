/* Collective traffic never matches point-to-point traffic on the same communicator: wildcard
 * receives posted before a series of collectives still get the user's messages, and messages
 * sent before a collective are still there after it. Also collectives on a duplicate of
 * MPI_COMM_WORLD interleaved with those on the original. */
#include "colltest.h"

int main(int argc, char **argv)
{
    int rank, size, got = -1, msg, flag;
    MPI_Request req;
    MPI_Status st;
    MPI_Comm dup;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm_dup(MPI_COMM_WORLD, &dup);

    /* A wildcard receive is posted during every collective below. */
    MPI_Irecv(&got, 1, MPI_INT, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &req);
    int v = rank, sum = 0, big_n = 100000;
    int *big = xmalloc(big_n * sizeof(int)), *all = xmalloc(size * sizeof(int));
    for (int it = 0; it < 5; it++) {
        MPI_Barrier(MPI_COMM_WORLD);
        MPI_Bcast(&v, 1, MPI_INT, 0, MPI_COMM_WORLD);
        MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
        MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT, MPI_MAX, dup);
        MPI_Allgather(&rank, 1, MPI_INT, all, 1, MPI_INT, MPI_COMM_WORLD);
        for (int k = 0; k < big_n; k++)
            big[k] = rank;
        MPI_Bcast(big, big_n, MPI_INT, size - 1, dup);
        MPI_Alltoall(MPI_IN_PLACE, 1, MPI_INT, all, 1, MPI_INT, dup);
    }
    CHECK(sum == size * (size - 1) / 2, "Allreduce sum %d", sum);
    CHECK(big[0] == size - 1 && big[big_n - 1] == size - 1, "Bcast on the duplicate");
    MPI_Test(&req, &flag, &st);
    CHECK(!flag, "a wildcard receive matched collective traffic (got %d from %d, tag %d)", got, st.MPI_SOURCE, st.MPI_TAG);

    /* Now the real message: from the left neighbour, tag 5, once everybody has tested. */
    MPI_Barrier(MPI_COMM_WORLD);
    msg = 1000 + rank;
    MPI_Send(&msg, 1, MPI_INT, (rank + 1) % size, 5, MPI_COMM_WORLD);
    MPI_Wait(&req, &st);
    CHECK(got == 1000 + (rank + size - 1) % size && st.MPI_TAG == 5, "wildcard receive got %d tag %d", got, st.MPI_TAG);

    /* A message sent before a collective is received after it, untouched. */
    msg = 2000 + rank;
    MPI_Isend(&msg, 1, MPI_INT, (rank + 1) % size, 6, MPI_COMM_WORLD, &req);
    MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    MPI_Recv(&got, 1, MPI_INT, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
    MPI_Wait(&req, MPI_STATUS_IGNORE);
    CHECK(got == 2000 + (rank + size - 1) % size && st.MPI_TAG == 6, "after a collective: got %d tag %d", got, st.MPI_TAG);
    free(big);
    free(all);
    MPI_Comm_free(&dup);
    return mtest_finalize(0);
}
