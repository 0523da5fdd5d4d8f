/*
 * MPI_Probe and MPI_Iprobe after a failure.  Arguments: communicator mode, message mode
 * (checked against the job's), and optionally the victim (default 2).  The victim dies
 * after a barrier.  At every survivor:
 * - a blocking MPI_Probe(MPI_ANY_SOURCE), entered before or after the failure is known,
 *   returns MPI_ERR_OTHER (CONT: with MPI_SOURCE = the victim, the failure's one report);
 * - MPI_Probe and MPI_Iprobe naming the victim return MPI_ERR_OTHER (they used to wait
 *   forever, or say "no message");
 * - NOP: MPI_Iprobe(MPI_ANY_SOURCE) fails too; CONT: a probe for MPI_ANY_SOURCE then
 *   finds a live sender's message, and an MPI_Sendrecv with the victim on one side fails
 *   but does the other side (it used to drop the send when the receive named the victim);
 * - after the recovery, probes work again (BLANK: naming the gap is MPI_ERR_RANK; REBUILD:
 *   the respawned rank's message is found).
 */
#include "fttest.h"

#define TAG_RING 3
#define TAG_AFTER 4
#define TAG_NONE 99
#define TAG_SR 5
#define TAG_SR2 6

int main(int argc, char **argv)
{
    int restarted = ft_init(&argc, &argv);
    int rank, n, cm, mm, rc, v, flag, victim = argc > 3 ? atoi(argv[3]) : 2;
    int dead[1], next, prev;
    MPI_Status st;
    MPI_Comm newc;

    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    ft_expect_modes(argc > 1 ? argv[1] : NULL, argc > 2 ? argv[2] : NULL, &cm, &mm);
    if (n < 3 || victim < 0 || victim >= n) {
        if (rank == 0)
            printf("probe_failed needs 3 or more ranks and a victim below the size\n");
        MPI_Finalize();
        return 1;
    }
    dead[0] = victim;
    if (restarted)
        goto recover;

    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == victim)
        ft_die();

    st.MPI_SOURCE = -5;
    /* A tag nobody sends: only the failure ends it (the others' ring messages may come). */
    rc = MPI_Probe(MPI_ANY_SOURCE, TAG_NONE, MPI_COMM_WORLD, &st);
    CHECK_FAILED(rc, "MPI_Probe(MPI_ANY_SOURCE) during the failure");
    if (mm == FTMPI_MSG_MODE_CONT)
        CHECK(st.MPI_SOURCE == victim, "CONT: MPI_Probe(MPI_ANY_SOURCE) reported source %d",
              st.MPI_SOURCE);
    CHECK_FAILED(MPI_Probe(victim, MPI_ANY_TAG, MPI_COMM_WORLD, &st), "MPI_Probe(victim)");
    flag = -1;
    CHECK_FAILED(MPI_Iprobe(victim, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st),
                 "MPI_Iprobe(victim)");

    if (mm == FTMPI_MSG_MODE_NOP) {
        CHECK_FAILED(MPI_Iprobe(MPI_ANY_SOURCE, TAG_NONE, MPI_COMM_WORLD, &flag, &st),
                     "NOP: MPI_Iprobe(MPI_ANY_SOURCE)");
        CHECK_FAILED(MPI_Probe(MPI_ANY_SOURCE, TAG_NONE, MPI_COMM_WORLD, &st),
                     "NOP: MPI_Probe(MPI_ANY_SOURCE) again");
    } else {
        /* A ring over the survivors; the failure was reported once, so probes find it. */
        next = (rank + 1) % n == victim ? (rank + 2) % n : (rank + 1) % n;
        prev = (rank + n - 1) % n == victim ? (rank + n - 2) % n : (rank + n - 1) % n;
        CHECK_RC(MPI_Send(&rank, 1, MPI_INT, next, TAG_RING, MPI_COMM_WORLD), "CONT: MPI_Send");
        st.MPI_SOURCE = -5;
        CHECK_RC(MPI_Probe(MPI_ANY_SOURCE, TAG_RING, MPI_COMM_WORLD, &st),
                 "CONT: MPI_Probe(MPI_ANY_SOURCE) of a live message");
        CHECK(st.MPI_SOURCE == prev, "CONT: probe found source %d, expected %d", st.MPI_SOURCE,
              prev);
        v = -1;
        CHECK_RC(MPI_Recv(&v, 1, MPI_INT, MPI_ANY_SOURCE, TAG_RING, MPI_COMM_WORLD, &st),
                 "CONT: MPI_Recv of the probed message");
        CHECK(v == prev, "CONT: received %d, expected %d", v, prev);
        CHECK_FAILED(MPI_Probe(victim, TAG_RING, MPI_COMM_WORLD, &st), "CONT: MPI_Probe(victim) again");

        /* MPI_Sendrecv with the dead rank on one side: the other side still happens (its
         * partner waits for it). */
        v = -1;
        CHECK_FAILED(MPI_Sendrecv(&rank, 1, MPI_INT, next, TAG_SR, &v, 1, MPI_INT, victim,
                                  TAG_SR, MPI_COMM_WORLD, &st),
                     "CONT: MPI_Sendrecv receiving from the victim");
        CHECK_RC(MPI_Recv(&v, 1, MPI_INT, prev, TAG_SR, MPI_COMM_WORLD, &st),
                 "CONT: MPI_Recv of the send half");
        CHECK(v == prev, "CONT: send half of MPI_Sendrecv: %d, expected %d", v, prev);
        CHECK_RC(MPI_Send(&rank, 1, MPI_INT, next, TAG_SR2, MPI_COMM_WORLD), "CONT: MPI_Send");
        v = -1;
        CHECK_FAILED(MPI_Sendrecv(&rank, 1, MPI_INT, victim, TAG_SR2, &v, 1, MPI_INT, prev,
                                  TAG_SR2, MPI_COMM_WORLD, &st),
                     "CONT: MPI_Sendrecv sending to the victim");
        CHECK(v == prev, "CONT: receive half of MPI_Sendrecv: %d, expected %d", v, prev);
    }

recover:
    newc = ft_detect_recover(cm, n, 1, dead, 1);

    /* Each live rank sends to the lowest survivor, which probes for each by name. */
    {
        int root = ft_lowest_live(n, dead, 1, -1), rroot = ft_new_rank(cm, root, dead, 1);
        int size, me;

        MPI_Comm_size(MPI_COMM_WORLD, &size);
        MPI_Comm_rank(MPI_COMM_WORLD, &me);
        if (me != rroot)
            CHECK_RC(MPI_Send(&me, 1, MPI_INT, rroot, TAG_AFTER, MPI_COMM_WORLD),
                     "MPI_Send after the recovery");
        else
            for (int r = 0; r < size; r++) {
                if (r == me)
                    continue;
                if (cm == FTMPI_COMM_MODE_BLANK && r == victim) {
                    CHECK_CLASS(MPI_Probe(r, TAG_AFTER, MPI_COMM_WORLD, &st), MPI_ERR_RANK,
                                "BLANK: MPI_Probe(gap)");
                    CHECK_CLASS(MPI_Iprobe(r, TAG_AFTER, MPI_COMM_WORLD, &flag, &st),
                                MPI_ERR_RANK, "BLANK: MPI_Iprobe(gap)");
                    continue;
                }
                st.MPI_SOURCE = -5;
                CHECK_RC(MPI_Probe(r, TAG_AFTER, MPI_COMM_WORLD, &st),
                         "MPI_Probe after the recovery");
                CHECK(st.MPI_SOURCE == r, "probe after the recovery: source %d, expected %d",
                      st.MPI_SOURCE, r);
                CHECK_RC(MPI_Recv(&v, 1, MPI_INT, r, TAG_AFTER, MPI_COMM_WORLD, &st),
                         "MPI_Recv after the recovery");
                CHECK(v == r, "after the recovery: received %d from %d", v, r);
            }
    }
    MPI_Comm_free(&newc);
    return ft_finish(MPI_COMM_WORLD);
}
