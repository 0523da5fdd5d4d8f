/*
 * Nonblocking and persistent receives from MPI_PROC_NULL complete at once with
 * source MPI_PROC_NULL, tag MPI_ANY_TAG and count 0, whichever call completes
 * them.  MPICH 4.0.2 gets this wrong (source and tag 0 for MPI_Irecv, an empty
 * status for persistent receives; fixed later upstream), so the testlist runs
 * this program on ftmpi only.
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
    MPI_Request req, reqs[6];

    MPI_Init(&argc, &argv);

    CHECK_RC(MPI_Irecv(buf, 4, MPI_INT, MPI_PROC_NULL, 2, MPI_COMM_WORLD, &req), "MPI_Irecv");
    {
        int flag = 0;
        CHECK_RC(MPI_Test(&req, &flag, &st), "MPI_Test");
        CHECK(flag, "receive from MPI_PROC_NULL not complete at once");
        if (flag)
            check_null_status(&st, "MPI_Irecv+MPI_Test");
        else
            MPI_Wait(&req, &st);
    }

    CHECK_RC(MPI_Irecv(buf, 4, MPI_INT, MPI_PROC_NULL, 2, MPI_COMM_WORLD, &req), "MPI_Irecv");
    CHECK_RC(MPI_Wait(&req, &st), "MPI_Wait");
    check_null_status(&st, "MPI_Irecv+MPI_Wait");
    {
        int index = -1;
        MPI_Irecv(buf, 4, MPI_INT, MPI_PROC_NULL, 2, MPI_COMM_WORLD, &req);
        CHECK_RC(MPI_Waitany(1, &req, &index, &st), "MPI_Waitany");
        CHECK(index == 0, "MPI_Waitany index %d", index);
        check_null_status(&st, "MPI_Irecv+MPI_Waitany");
    }

    MPI_Isend(buf, 4, MPI_INT, MPI_PROC_NULL, 3, MPI_COMM_WORLD, &reqs[0]);
    MPI_Issend(buf, 4, MPI_INT, MPI_PROC_NULL, 3, MPI_COMM_WORLD, &reqs[1]);
    MPI_Irsend(buf, 4, MPI_INT, MPI_PROC_NULL, 3, MPI_COMM_WORLD, &reqs[2]);
    MPI_Ibsend(buf, 4, MPI_INT, MPI_PROC_NULL, 3, MPI_COMM_WORLD, &reqs[3]);
    MPI_Irecv(buf, 4, MPI_INT, MPI_PROC_NULL, 3, MPI_COMM_WORLD, &reqs[4]);
    MPI_Irecv(buf, 4, MPI_INT, MPI_PROC_NULL, MPI_ANY_TAG, MPI_COMM_WORLD, &reqs[5]);
    {
        MPI_Status sts[6];
        CHECK_RC(MPI_Waitall(6, reqs, sts), "MPI_Waitall");
        check_null_status(&sts[4], "MPI_Irecv+MPI_Waitall");
        check_null_status(&sts[5], "MPI_Irecv(ANY_TAG)+MPI_Waitall");
    }

    /* Persistent requests, started twice. */
    MPI_Send_init(buf, 4, MPI_INT, MPI_PROC_NULL, 4, MPI_COMM_WORLD, &reqs[0]);
    MPI_Ssend_init(buf, 4, MPI_INT, MPI_PROC_NULL, 4, MPI_COMM_WORLD, &reqs[1]);
    MPI_Rsend_init(buf, 4, MPI_INT, MPI_PROC_NULL, 4, MPI_COMM_WORLD, &reqs[2]);
    MPI_Bsend_init(buf, 4, MPI_INT, MPI_PROC_NULL, 4, MPI_COMM_WORLD, &reqs[3]);
    MPI_Recv_init(buf, 4, MPI_INT, MPI_PROC_NULL, 4, MPI_COMM_WORLD, &reqs[4]);
    for (int round = 0; round < 2; round++) {
        MPI_Status sts[5];
        CHECK_RC(MPI_Startall(5, reqs), "MPI_Startall");
        CHECK_RC(MPI_Waitall(5, reqs, sts), "MPI_Waitall(persistent)");
        check_null_status(&sts[4], "persistent receive");
    }
    for (int i = 0; i < 5; i++)
        MPI_Request_free(&reqs[i]);

    CHECK(buf[0] == 7 && buf[3] == 7, "buffer changed to %d %d", buf[0], buf[3]);
    return mtest_finalize(0);
}
