/*
 * Messages of a sender that dies before they are fully read, under CONT.  Arguments:
 * communicator mode, message mode (must be cont), optionally the victim (default 1).
 * The victim V sends to rank R (the lowest survivor) a small synchronous message, a large
 * contiguous one (rendezvous) and a large strided one (streamed through the ring), waits
 * until R has matched the strided one, and dies while it is being streamed.  At R:
 * - the streamed MPI_ANY_SOURCE receive completes with MPI_ERR_OTHER (it waited forever);
 * - the failure is reported once to an MPI_ANY_SOURCE receive, then the synchronous
 *   message, complete before the death, is delivered;
 * - the rendezvous message, whose data died with V, is never delivered: an MPI_ANY_SOURCE
 *   receive for its tag gets another survivor's message (it used to wait forever for the
 *   dead sender's memory);
 * - MPI_Finalize completes (the acknowledgement owed to the dead sender used to stay queued
 *   and hold it up forever).
 */
#include "fttest.h"

#define T_SYNC 1
#define T_BIG 2
#define T_STREAM 3
#define T_GO 4
#define T_DETECT 5
#define NBIG (256 * 1024)   /* ints: 1 MiB, above the eager limit */
#define NSTREAM (1 << 20)   /* ints in the strided message: 4 MiB, far more than a ring */

int main(int argc, char **argv)
{
    int restarted = ft_init(&argc, &argv);
    int rank, n, cm, mm, v, victim = argc > 3 ? atoi(argv[3]) : 1, dead[1], r0, helper;
    MPI_Status st;
    MPI_Comm newc;

    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    ft_expect_modes(argc > 1 ? argv[1] : NULL, argc > 2 ? argv[2] : NULL, &cm, &mm);
    if (n < 3 || victim < 0 || victim >= n || mm != FTMPI_MSG_MODE_CONT) {
        if (rank == 0)
            printf("dead_sender needs 3 or more ranks, a victim below the size and CONT\n");
        MPI_Finalize();
        return 1;
    }
    dead[0] = victim;
    r0 = ft_lowest_live(n, dead, 1, -1);
    helper = ft_lowest_live(n, dead, 1, r0);
    if (restarted)
        goto recover;

    if (rank == victim) {
        static int big[NBIG], strided[2 * NSTREAM];
        int one = 42;
        MPI_Request rq[3];
        MPI_Datatype vec;

        for (int i = 0; i < NBIG; i++)
            big[i] = i;
        for (int i = 0; i < 2 * NSTREAM; i++)
            strided[i] = i;
        MPI_Type_vector(NSTREAM, 1, 2, MPI_INT, &vec);
        MPI_Type_commit(&vec);
        MPI_Issend(&one, 1, MPI_INT, r0, T_SYNC, MPI_COMM_WORLD, &rq[0]);
        MPI_Isend(big, NBIG, MPI_INT, r0, T_BIG, MPI_COMM_WORLD, &rq[1]);
        MPI_Isend(strided, 1, vec, r0, T_STREAM, MPI_COMM_WORLD, &rq[2]);
        MPI_Barrier(MPI_COMM_WORLD);
        /* R has matched the strided message when this arrives: its stream is under way. */
        MPI_Recv(&v, 1, MPI_INT, r0, T_GO, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        ft_die();
    }
    MPI_Barrier(MPI_COMM_WORLD);

    if (rank == r0) {
        static int buf[NSTREAM];
        MPI_Request sreq;
        int rc;

        CHECK_RC(MPI_Probe(victim, T_STREAM, MPI_COMM_WORLD, &st), "MPI_Probe of the streamed message");
        CHECK_RC(MPI_Irecv(buf, NSTREAM, MPI_INT, MPI_ANY_SOURCE, T_STREAM, MPI_COMM_WORLD, &sreq),
                 "MPI_Irecv of the streamed message");
        v = 1;
        CHECK_RC(MPI_Send(&v, 1, MPI_INT, victim, T_GO, MPI_COMM_WORLD), "MPI_Send (go)");
        CHECK_FAILED(MPI_Recv(&v, 1, MPI_INT, victim, T_DETECT, MPI_COMM_WORLD, &st),
                     "MPI_Recv from the victim");
        rc = MPI_Wait(&sreq, &st);
        CHECK_FAILED(rc, "MPI_Wait on the stream from the dead sender");

        st.MPI_SOURCE = -5;
        CHECK_FAILED(MPI_Recv(&v, 1, MPI_INT, MPI_ANY_SOURCE, T_SYNC, MPI_COMM_WORLD, &st),
                     "MPI_Recv(MPI_ANY_SOURCE): the failure's report");
        CHECK(st.MPI_SOURCE == victim, "the report names %d, expected %d", st.MPI_SOURCE, victim);
        v = -1;
        CHECK_RC(MPI_Recv(&v, 1, MPI_INT, MPI_ANY_SOURCE, T_SYNC, MPI_COMM_WORLD, &st),
                 "MPI_Recv of the synchronous message sent before the death");
        CHECK(v == 42 && st.MPI_SOURCE == victim, "synchronous message %d from %d", v,
              st.MPI_SOURCE);

        for (int i = 0; i < NBIG; i++)
            buf[i] = -1;
        CHECK_RC(MPI_Recv(buf, NBIG, MPI_INT, MPI_ANY_SOURCE, T_BIG, MPI_COMM_WORLD, &st),
                 "MPI_Recv(MPI_ANY_SOURCE) of a large message");
        CHECK(st.MPI_SOURCE == helper, "large message from %d, expected the helper %d",
              st.MPI_SOURCE, helper);
        for (int i = 0; i < NBIG; i++)
            if (buf[i] != -i) {
                CHECK(0, "large message: [%d] = %d, expected %d", i, buf[i], -i);
                break;
            }
    } else {
        CHECK_FAILED(MPI_Recv(&v, 1, MPI_INT, victim, T_DETECT, MPI_COMM_WORLD, &st),
                     "MPI_Recv from the victim");
        if (rank == helper) {
            static int big[NBIG];
            for (int i = 0; i < NBIG; i++)
                big[i] = -i;
            CHECK_RC(MPI_Send(big, NBIG, MPI_INT, r0, T_BIG, MPI_COMM_WORLD),
                     "MPI_Send of the helper's large message");
        }
    }

recover:
    newc = ft_detect_recover(cm, n, 1, dead, 1);
    MPI_Comm_free(&newc);
    return ft_finish(MPI_COMM_WORLD);
}
