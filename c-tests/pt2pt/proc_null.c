/*
 * Communication with MPI_PROC_NULL succeeds at once and transfers nothing;
 * a receive from it returns source MPI_PROC_NULL, tag MPI_ANY_TAG and count
 * 0: blocking calls, nonblocking and persistent sends, MPI_Sendrecv, and
 * probes.  Nonblocking and persistent receives are in proc_null_nb.c.
 */
#include "mtest.h"

static void check_null_status(const MPI_Status *st, const char *what)
{
    int count = -1;
    MPI_Get_count(st, MPI_INT, &count);
    CHECK(st->MPI_SOURCE == MPI_PROC_NULL, "%s: source %d", what, st->MPI_SOURCE);
    CHECK(st->MPI_TAG == MPI_ANY_TAG, "%s: tag %d", what, st->MPI_TAG);
    CHECK(count == 0, "%s: count %d", what, count);
}

int main(int argc, char **argv)
{
    int buf[4] = {7, 7, 7, 7};
    MPI_Status st;
    MPI_Request reqs[6];

    MPI_Init(&argc, &argv);

    CHECK_RC(MPI_Send(buf, 4, MPI_INT, MPI_PROC_NULL, 1, MPI_COMM_WORLD), "MPI_Send");
    CHECK_RC(MPI_Ssend(buf, 4, MPI_INT, MPI_PROC_NULL, 1, MPI_COMM_WORLD), "MPI_Ssend");
    CHECK_RC(MPI_Rsend(buf, 4, MPI_INT, MPI_PROC_NULL, 1, MPI_COMM_WORLD), "MPI_Rsend");
    /* No buffer attached: a Bsend to MPI_PROC_NULL needs none. */
    CHECK_RC(MPI_Bsend(buf, 4, MPI_INT, MPI_PROC_NULL, 1, MPI_COMM_WORLD), "MPI_Bsend");

    CHECK_RC(MPI_Recv(buf, 4, MPI_INT, MPI_PROC_NULL, 1, MPI_COMM_WORLD, &st), "MPI_Recv");
    check_null_status(&st, "MPI_Recv");
    CHECK(buf[0] == 7, "MPI_Recv from MPI_PROC_NULL wrote %d", buf[0]);
    CHECK_RC(MPI_Recv(buf, 4, MPI_INT, MPI_PROC_NULL, MPI_ANY_TAG, MPI_COMM_WORLD, &st),
             "MPI_Recv(ANY_TAG)");
    check_null_status(&st, "MPI_Recv(ANY_TAG)");

    MPI_Isend(buf, 4, MPI_INT, MPI_PROC_NULL, 3, MPI_COMM_WORLD, &reqs[0]);
    MPI_Issend(buf, 4, MPI_INT, MPI_PROC_NULL, 3, MPI_COMM_WORLD, &reqs[1]);
    MPI_Irsend(buf, 4, MPI_INT, MPI_PROC_NULL, 3, MPI_COMM_WORLD, &reqs[2]);
    MPI_Ibsend(buf, 4, MPI_INT, MPI_PROC_NULL, 3, MPI_COMM_WORLD, &reqs[3]);
    CHECK_RC(MPI_Waitall(4, reqs, MPI_STATUSES_IGNORE), "MPI_Waitall(sends)");

    MPI_Send_init(buf, 4, MPI_INT, MPI_PROC_NULL, 4, MPI_COMM_WORLD, &reqs[0]);
    MPI_Ssend_init(buf, 4, MPI_INT, MPI_PROC_NULL, 4, MPI_COMM_WORLD, &reqs[1]);
    MPI_Rsend_init(buf, 4, MPI_INT, MPI_PROC_NULL, 4, MPI_COMM_WORLD, &reqs[2]);
    MPI_Bsend_init(buf, 4, MPI_INT, MPI_PROC_NULL, 4, MPI_COMM_WORLD, &reqs[3]);
    for (int round = 0; round < 2; round++) {
        CHECK_RC(MPI_Startall(4, reqs), "MPI_Startall");
        CHECK_RC(MPI_Waitall(4, reqs, MPI_STATUSES_IGNORE), "MPI_Waitall(persistent sends)");
    }
    for (int i = 0; i < 4; i++)
        MPI_Request_free(&reqs[i]);

    /* Sendrecv with both ends null. */
    CHECK_RC(MPI_Sendrecv(buf, 4, MPI_INT, MPI_PROC_NULL, 5, buf, 4, MPI_INT, MPI_PROC_NULL, 5,
                          MPI_COMM_WORLD, &st),
             "MPI_Sendrecv");
    check_null_status(&st, "MPI_Sendrecv");
    CHECK(buf[0] == 7 && buf[3] == 7, "buffer changed to %d %d", buf[0], buf[3]);

    /* Probe of MPI_PROC_NULL finds an empty message at once. */
    {
        int flag = 0;
        CHECK_RC(MPI_Probe(MPI_PROC_NULL, 6, MPI_COMM_WORLD, &st), "MPI_Probe");
        check_null_status(&st, "MPI_Probe");
        CHECK_RC(MPI_Iprobe(MPI_PROC_NULL, 6, MPI_COMM_WORLD, &flag, &st), "MPI_Iprobe");
        CHECK(flag, "MPI_Iprobe(MPI_PROC_NULL) flag 0");
        check_null_status(&st, "MPI_Iprobe");
    }
    return mtest_finalize(0);
}
