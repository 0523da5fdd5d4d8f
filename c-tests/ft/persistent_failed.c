/*
 * Persistent requests started after a failure.  Arguments: communicator mode, message mode
 * (checked against the job's), optionally the victim (default 2).  Every rank makes, before
 * the failure, a persistent receive from and send to the victim, a receive from and send
 * to a live partner, and an MPI_ANY_SOURCE receive.  After the victim dies, at every
 * survivor (MPI_Start reporting the error, or the wait after it; nothing may hang):
 * - starting the receive from or the send to the victim fails with MPI_ERR_OTHER;
 * - NOP: starting the ones with the live partner fails too;
 * - CONT: the MPI_ANY_SOURCE receive reports the failure once (MPI_SOURCE = the victim),
 *   and the requests with the live partner work;
 * - after the recovery, starting a request made before it fails (its messages belong to
 *   the old epoch, so it could never match); new ones work.
 */
#include "fttest.h"

#define TAG_P 6
#define TAG_ANY 8

/* Starts and waits for a request; returns the first error. */
static int start_wait(MPI_Request *r, MPI_Status *st)
{
    int rc = MPI_Start(r);
    return rc != MPI_SUCCESS ? rc : MPI_Wait(r, st);
}

int main(int argc, char **argv)
{
    int restarted = ft_init(&argc, &argv);
    int rank, n, cm, mm, victim = argc > 3 ? atoi(argv[3]) : 2, dead[1], partner;
    int rv = -1, sv, pv = -1, ps, av = -1;
    MPI_Request r_from, s_to, r_partner, s_partner, r_any;
    MPI_Status st;
    MPI_Comm newc;

    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    ft_expect_modes(argc > 1 ? argv[1] : NULL, argc > 2 ? argv[2] : NULL, &cm, &mm);
    if (n < 3 || n % 2 == 0 || victim != n - 1) {
        /* Survivors pair up: 0-1, 2-3, ...; the victim is the odd one out. */
        if (rank == 0)
            printf("persistent_failed needs an odd size of 3 or more, victim = size - 1\n");
        MPI_Finalize();
        return 1;
    }
    dead[0] = victim;
    partner = rank ^ 1;
    if (restarted)
        goto recover;
    sv = ps = rank;

    if (rank != victim) {
        MPI_Recv_init(&rv, 1, MPI_INT, victim, TAG_P, MPI_COMM_WORLD, &r_from);
        MPI_Send_init(&sv, 1, MPI_INT, victim, TAG_P, MPI_COMM_WORLD, &s_to);
        MPI_Recv_init(&pv, 1, MPI_INT, partner, TAG_P, MPI_COMM_WORLD, &r_partner);
        MPI_Send_init(&ps, 1, MPI_INT, partner, TAG_P, MPI_COMM_WORLD, &s_partner);
        MPI_Recv_init(&av, 1, MPI_INT, MPI_ANY_SOURCE, TAG_ANY, MPI_COMM_WORLD, &r_any);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == victim)
        ft_die();

    CHECK_FAILED(MPI_Recv(&rv, 1, MPI_INT, victim, 1, MPI_COMM_WORLD, &st),
                 "MPI_Recv from the victim");
    CHECK_FAILED(start_wait(&r_from, &st), "persistent receive from the victim");
    CHECK_FAILED(start_wait(&s_to, &st), "persistent send to the victim");
    if (mm == FTMPI_MSG_MODE_NOP) {
        CHECK_FAILED(start_wait(&r_partner, &st), "NOP: persistent receive from a live rank");
        CHECK_FAILED(start_wait(&s_partner, &st), "NOP: persistent send to a live rank");
        CHECK_FAILED(start_wait(&r_any, &st), "NOP: persistent MPI_ANY_SOURCE receive");
    } else {
        st.MPI_SOURCE = -5;
        CHECK_FAILED(start_wait(&r_any, &st), "CONT: persistent MPI_ANY_SOURCE receive");
        CHECK(st.MPI_SOURCE == victim, "CONT: the report names %d", st.MPI_SOURCE);
        CHECK_RC(MPI_Start(&r_partner), "CONT: MPI_Start (receive from the partner)");
        CHECK_RC(start_wait(&s_partner, &st), "CONT: persistent send to the partner");
        CHECK_RC(MPI_Wait(&r_partner, &st), "CONT: MPI_Wait (receive from the partner)");
        CHECK(pv == partner, "CONT: received %d from the partner %d", pv, partner);
    }

recover:
    newc = ft_detect_recover(cm, n, 1, dead, 1);
    if (!restarted) {
        /* Made before the recovery: they can never match now. */
        CHECK_FAILED(start_wait(&r_partner, &st), "persistent receive made before the recovery");
        CHECK_FAILED(start_wait(&s_partner, &st), "persistent send made before the recovery");
        MPI_Request_free(&r_from);
        MPI_Request_free(&s_to);
        MPI_Request_free(&r_partner);
        MPI_Request_free(&s_partner);
        MPI_Request_free(&r_any);
    }
    if (rank != victim) {
        pv = -1;
        MPI_Recv_init(&pv, 1, MPI_INT, partner, TAG_P, newc, &r_partner);
        MPI_Send_init(&ps, 1, MPI_INT, partner, TAG_P, newc, &s_partner);
        CHECK_RC(MPI_Start(&r_partner), "MPI_Start (new receive)");
        CHECK_RC(start_wait(&s_partner, &st), "new persistent send");
        CHECK_RC(MPI_Wait(&r_partner, &st), "MPI_Wait (new receive)");
        CHECK(pv == partner, "after the recovery: received %d from %d", pv, partner);
        MPI_Request_free(&r_partner);
        MPI_Request_free(&s_partner);
    }
    MPI_Comm_free(&newc);
    return ft_finish(MPI_COMM_WORLD);
}
