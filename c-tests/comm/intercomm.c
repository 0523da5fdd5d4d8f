/* MPI_Intercomm_create between the even and the odd world ranks, point-to-point across it
 * (ranks are remote ranks, MPI_SOURCE a remote rank, probing with MPI_ANY_SOURCE works), queries,
 * MPI_Comm_dup of an intercommunicator, and MPI_Intercomm_merge both ways. Needs 2 or more. */
#include <mpi.h>
#include "check.h"

/* Sends every local rank's id to remote rank (r % remote size) and checks what arrives. */
static void exchange(MPI_Comm inter, int tag)
{
    int r, n, rn, i;
    MPI_Comm_rank(inter, &r);
    MPI_Comm_size(inter, &n);
    MPI_Comm_remote_size(inter, &rn);
    int wrank;
    MPI_Comm_rank(MPI_COMM_WORLD, &wrank);
    MPI_Request req;
    MPI_Isend(&wrank, 1, MPI_INT, r % rn, tag, inter, &req);
    /* Remote ranks i with i % n == r send to me. */
    for (i = r; i < rn; i += n) {
        int got = -1;
        MPI_Status st, pst;
        MPI_Probe(MPI_ANY_SOURCE, tag, inter, &pst);
        CHECK(pst.MPI_SOURCE >= 0 && pst.MPI_SOURCE < rn, "probe found remote rank %d", pst.MPI_SOURCE);
        MPI_Recv(&got, 1, MPI_INT, pst.MPI_SOURCE, tag, inter, &st);
        CHECK(st.MPI_SOURCE == pst.MPI_SOURCE, "received from %d after probing %d", st.MPI_SOURCE, pst.MPI_SOURCE);
        CHECK(st.MPI_SOURCE >= 0 && st.MPI_SOURCE < rn && st.MPI_SOURCE % n == r,
              "message from remote rank %d", st.MPI_SOURCE);
        /* Remote rank k of the other parity is world rank 2k (+1 for the odd group). */
        CHECK(got == 2 * st.MPI_SOURCE + (wrank % 2 == 0 ? 1 : 0), "remote rank %d is world rank %d", st.MPI_SOURCE, got);
    }
    MPI_Wait(&req, MPI_STATUS_IGNORE);

    /* A named source, both ways: local rank r and remote rank r pair up. */
    if (r < rn) {
        int back = -1;
        MPI_Status st;
        MPI_Sendrecv(&r, 1, MPI_INT, r, tag + 1, &back, 1, MPI_INT, r, tag + 1, inter, &st);
        CHECK(back == r && st.MPI_SOURCE == r, "sendrecv with remote rank %d got %d from %d", r, back, st.MPI_SOURCE);
    }
}

int main(int argc, char **argv)
{
    int rank, size, flag, n, rn, r, result;
    MPI_Comm local, inter, dup, merged, merged2;
    MPI_Group g, rg;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size < 2) {
        if (rank == 0)
            printf("intercomm needs at least 2 processes\n");
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    int even = rank % 2 == 0;
    MPI_Comm_split(MPI_COMM_WORLD, !even, rank, &local);
    /* Leaders: local rank 0 of each; the other group's leader is world rank 1 or 0. */
    MPI_Intercomm_create(local, 0, MPI_COMM_WORLD, even ? 1 : 0, 77, &inter);

    MPI_Comm_test_inter(inter, &flag);
    CHECK(flag, "not an intercommunicator");
    MPI_Comm_test_inter(local, &flag);
    CHECK(!flag, "the local communicator is an intercommunicator");
    int nevens = (size + 1) / 2, nodds = size / 2;
    MPI_Comm_size(inter, &n);
    MPI_Comm_remote_size(inter, &rn);
    MPI_Comm_rank(inter, &r);
    CHECK(n == (even ? nevens : nodds), "local size %d", n);
    CHECK(rn == (even ? nodds : nevens), "remote size %d", rn);
    CHECK(r == rank / 2, "local rank %d", r);
    MPI_Comm_remote_group(inter, &rg);
    MPI_Group_size(rg, &n);
    CHECK(n == rn, "remote group size %d", n);
    MPI_Comm_group(inter, &g);
    MPI_Group_size(g, &n);
    CHECK(n == (even ? nevens : nodds), "local group size %d", n);
    MPI_Group_free(&g);
    MPI_Group_free(&rg);

    exchange(inter, 10);

    MPI_Comm_dup(inter, &dup);
    MPI_Comm_test_inter(dup, &flag);
    CHECK(flag, "dup of an intercommunicator is not one");
    MPI_Comm_compare(inter, dup, &result);
    CHECK(result == MPI_CONGRUENT, "intercomm vs dup: %d", result);
    exchange(dup, 20);

    /* Merge with the odd group high: evens first, in order, so the world order comes back
     * as evens then odds. */
    MPI_Intercomm_merge(inter, !even, &merged);
    MPI_Comm_size(merged, &n);
    MPI_Comm_rank(merged, &r);
    CHECK(n == size, "merged size %d", n);
    CHECK(r == (even ? rank / 2 : nevens + rank / 2), "merged rank %d (high odds)", r);
    MPI_Comm_test_inter(merged, &flag);
    CHECK(!flag, "the merge is an intercommunicator");
    /* Odd group low this time: odds first. */
    MPI_Intercomm_merge(dup, even, &merged2);
    MPI_Comm_rank(merged2, &r);
    CHECK(r == (even ? nodds + rank / 2 : rank / 2), "merged rank %d (high evens)", r);

    /* A message on the merged communicator: the ring in merged order. */
    MPI_Comm_rank(merged, &r);
    int got = -1, mine = r;
    MPI_Sendrecv(&mine, 1, MPI_INT, (r + 1) % size, 3, &got, 1, MPI_INT, (r + size - 1) % size, 3, merged, MPI_STATUS_IGNORE);
    CHECK(got == (r + size - 1) % size, "ring on the merge: got %d", got);
    MPI_Barrier(merged);

    MPI_Comm_free(&merged2);
    MPI_Comm_free(&merged);
    MPI_Comm_free(&dup);
    MPI_Comm_free(&inter);
    MPI_Comm_free(&local);
    return check_finalize();
}
