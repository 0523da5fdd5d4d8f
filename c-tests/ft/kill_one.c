/*
 * One rank dies of SIGKILL after a barrier; run in every mode pair (SHRINK, BLANK, REBUILD
 * x NOP, CONT).  Arguments: communicator mode, message mode (checked against what the
 * library reports), and optionally the victim's rank (default 2; 0 kills rank 0).
 *
 * Checks, at every survivor:
 * - a receive blocked on the victim returns exactly MPI_ERR_OTHER; the failure attributes
 *   name the victim (counts, per-rank map, list); the state attribute is FT_DETECTED;
 * - NOP: sends and receives between live ranks and a barrier fail at once, a receive
 *   pending since before the failure completes with the error, and a message sent before
 *   the failure is not delivered after the recovery;
 * - CONT: that message is still delivered; the next MPI_ANY_SOURCE receive returns
 *   MPI_ERR_OTHER once with MPI_SOURCE = the victim, and later ones match live senders; a
 *   ring among the survivors and the pending receive complete without any recovery;
 *   receives naming the victim keep failing;
 * - recovery by MPI_Comm_dup: sizes, ranks, healthy attributes and an allreduce on both the
 *   repaired MPI_COMM_WORLD and the duplicate; BLANK: point-to-point to the gap returns
 *   MPI_ERR_RANK; REBUILD: the respawned process gets MPI_INIT_RESTARTED_NODE from
 *   MPI_Init, joins the recovery with its own dup, and has its old rank.
 */
#include "fttest.h"

#define TAG_DETECT 5
#define TAG_OLD 7
#define TAG_PENDING 9
#define TAG_LIVE 11
#define TAG_RING 12

int main(int argc, char **argv)
{
    int restarted = ft_init(&argc, &argv);
    int rank, n, cm, mm, rc, v, victim = argc > 3 ? atoi(argv[3]) : 2;
    int dead[1], a, b;
    MPI_Request preq = MPI_REQUEST_NULL;
    MPI_Status st;
    MPI_Comm newc = MPI_COMM_NULL;
    int pending = -1;

    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    ft_expect_modes(argc > 1 ? argv[1] : NULL, argc > 2 ? argv[2] : NULL, &cm, &mm);
    if (n < 3 || victim < 0 || victim >= n) {
        if (rank == 0)
            printf("kill_one needs 3 or more ranks and a victim below the size\n");
        MPI_Finalize();
        return 1;
    }
    dead[0] = victim;
    /* a receives from b: the two lowest survivors. */
    a = ft_lowest_live(n, dead, 1, -1);
    b = ft_lowest_live(n, dead, 1, a);
    if (restarted) {
        CHECK(cm == FTMPI_COMM_MODE_REBUILD, "restarted in mode %s", ft_cm_name(cm));
        CHECK(rank == victim, "restarted as rank %d, the victim was %d", rank, victim);
        goto recover;
    }
    ft_check_state(MPI_COMM_WORLD, FTMPI_STATE_OK, "before the failure");

    /* A message that completes before the failure, and a receive that stays pending. */
    if (rank == b) {
        v = 111;
        CHECK_RC(MPI_Send(&v, 1, MPI_INT, a, TAG_OLD, MPI_COMM_WORLD), "MPI_Send (old)");
    }
    if (rank == a)
        CHECK_RC(MPI_Irecv(&pending, 1, MPI_INT, b, TAG_PENDING, MPI_COMM_WORLD, &preq),
                 "MPI_Irecv (pending)");
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == victim)
        ft_die();

    rc = MPI_Recv(&v, 1, MPI_INT, victim, TAG_DETECT, MPI_COMM_WORLD, &st);
    CHECK_FAILED(rc, "MPI_Recv from the victim");
    ft_check_failed_attrs(MPI_COMM_WORLD, n, dead, 1);
    ft_check_state(MPI_COMM_WORLD, FTMPI_STATE_DETECTED, "after the failure");

    if (mm == FTMPI_MSG_MODE_NOP) {
        int partner = rank == a ? b : a;
        v = 1;
        CHECK_FAILED(MPI_Send(&v, 1, MPI_INT, partner, TAG_LIVE, MPI_COMM_WORLD),
                     "NOP: MPI_Send to a live rank");
        CHECK_FAILED(MPI_Recv(&v, 1, MPI_INT, partner, TAG_LIVE, MPI_COMM_WORLD, &st),
                     "NOP: MPI_Recv from a live rank");
        CHECK_FAILED(MPI_Barrier(MPI_COMM_WORLD), "NOP: MPI_Barrier");
        if (rank == a)
            CHECK_FAILED(MPI_Wait(&preq, &st), "NOP: MPI_Wait on a receive posted earlier");
    } else {
        /* The ring visits the survivors in order: a starts it and receives it last. */
        int next = -1, prev = -1, token = 0;
        for (int k = 1; k < n; k++) {
            int r = (rank + k) % n;
            if (r != victim && next < 0)
                next = r;
            r = (rank - k + n) % n;
            if (r != victim && prev < 0)
                prev = r;
        }
        if (rank == a) {
            v = -1;
            CHECK_RC(MPI_Recv(&v, 1, MPI_INT, b, TAG_OLD, MPI_COMM_WORLD, &st),
                     "CONT: MPI_Recv of a message sent before the failure");
            CHECK(v == 111, "CONT: old message holds %d, expected 111", v);
            st.MPI_SOURCE = -1;
            rc = MPI_Recv(&v, 1, MPI_INT, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
            CHECK_FAILED(rc, "CONT: first MPI_ANY_SOURCE receive after the failure");
            CHECK(st.MPI_SOURCE == victim,
                  "CONT: MPI_ANY_SOURCE error has MPI_SOURCE %d, expected the victim %d",
                  st.MPI_SOURCE, victim);
            token = 1;
            CHECK_RC(MPI_Send(&token, 1, MPI_INT, next, TAG_RING, MPI_COMM_WORLD),
                     "CONT: ring send");
            st.MPI_SOURCE = -1;
            rc = MPI_Recv(&token, 1, MPI_INT, MPI_ANY_SOURCE, TAG_RING, MPI_COMM_WORLD, &st);
            CHECK_RC(rc, "CONT: second MPI_ANY_SOURCE receive (the ring's end)");
            CHECK(st.MPI_SOURCE == prev, "CONT: ring token from %d, expected %d",
                  st.MPI_SOURCE, prev);
            CHECK(token == n - 1, "CONT: ring token %d, expected %d", token, n - 1);
            CHECK_RC(MPI_Wait(&preq, &st), "CONT: MPI_Wait on a receive posted earlier");
            CHECK(pending == 999, "CONT: pending receive got %d, expected 999", pending);
        } else {
            CHECK_RC(MPI_Recv(&token, 1, MPI_INT, prev, TAG_RING, MPI_COMM_WORLD, &st),
                     "CONT: ring receive");
            token++;
            CHECK_RC(MPI_Send(&token, 1, MPI_INT, next, TAG_RING, MPI_COMM_WORLD),
                     "CONT: ring send");
            if (rank == b) {
                v = 999;
                CHECK_RC(MPI_Send(&v, 1, MPI_INT, a, TAG_PENDING, MPI_COMM_WORLD),
                         "CONT: send for the pending receive");
            }
        }
        CHECK_FAILED(MPI_Recv(&v, 1, MPI_INT, victim, TAG_DETECT, MPI_COMM_WORLD, &st),
                     "CONT: second MPI_Recv from the victim");
    }

recover:
    rc = MPI_Comm_dup(MPI_COMM_WORLD, &newc);
    CHECK_RC(rc, "MPI_Comm_dup (recovery)");
    ft_check_recovered(MPI_COMM_WORLD, newc, cm, n, restarted ? victim : rank, dead, 1);

    if (cm == FTMPI_COMM_MODE_BLANK) {
        MPI_Comm_set_errhandler(newc, MPI_ERRORS_RETURN);
        v = 1;
        CHECK_CLASS(MPI_Send(&v, 1, MPI_INT, victim, TAG_LIVE, newc), MPI_ERR_RANK,
                    "BLANK: MPI_Send to the gap");
        CHECK_CLASS(MPI_Recv(&v, 1, MPI_INT, victim, TAG_LIVE, newc, &st), MPI_ERR_RANK,
                    "BLANK: MPI_Recv from the gap");
    }
    if (mm == FTMPI_MSG_MODE_NOP && !restarted) {
        /* The old message must not match: the recovery started a new epoch. */
        int na = ft_new_rank(cm, a, dead, 1), nb = ft_new_rank(cm, b, dead, 1);
        if (rank == b) {
            v = 222;
            CHECK_RC(MPI_Send(&v, 1, MPI_INT, na, TAG_OLD, MPI_COMM_WORLD),
                     "MPI_Send after recovery");
        } else if (rank == a) {
            v = -1;
            CHECK_RC(MPI_Recv(&v, 1, MPI_INT, nb, TAG_OLD, MPI_COMM_WORLD, &st),
                     "MPI_Recv after recovery");
            CHECK(v == 222, "after recovery got %d, expected 222 (111: a message from "
                            "before the recovery was delivered)", v);
        }
    }
    return ft_finish(newc);
}
