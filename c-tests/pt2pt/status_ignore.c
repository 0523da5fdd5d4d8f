/*
 * MPI_STATUS_IGNORE and MPI_STATUSES_IGNORE are accepted wherever a status or
 * an array of statuses is returned, and the data still arrives.
 */
#include "mtest.h"

int main(int argc, char **argv)
{
    int rank, size, left, right, v[8], w[8], flag, index, outcount, indices[8];
    MPI_Request reqs[8];

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    left = (rank + size - 1) % size;
    right = (rank + 1) % size;
    for (int i = 0; i < 8; i++)
        v[i] = rank * 10 + i;

    /* MPI_Recv, MPI_Sendrecv, MPI_Sendrecv_replace */
    w[0] = -1;
    CHECK_RC(MPI_Sendrecv(&v[0], 1, MPI_INT, right, 0, &w[0], 1, MPI_INT, left, 0,
                          MPI_COMM_WORLD, MPI_STATUS_IGNORE),
             "MPI_Sendrecv");
    CHECK(w[0] == left * 10, "MPI_Sendrecv got %d", w[0]);
    w[1] = rank;
    CHECK_RC(MPI_Sendrecv_replace(&w[1], 1, MPI_INT, right, 1, left, 1, MPI_COMM_WORLD,
                                  MPI_STATUS_IGNORE),
             "MPI_Sendrecv_replace");
    CHECK(w[1] == left, "MPI_Sendrecv_replace got %d", w[1]);
    MPI_Isend(&v[2], 1, MPI_INT, right, 2, MPI_COMM_WORLD, &reqs[0]);
    CHECK_RC(MPI_Recv(&w[2], 1, MPI_INT, left, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "MPI_Recv");
    CHECK_RC(MPI_Wait(&reqs[0], MPI_STATUS_IGNORE), "MPI_Wait");
    CHECK(w[2] == left * 10 + 2, "MPI_Recv got %d", w[2]);

    /* MPI_Probe, MPI_Iprobe, MPI_Test */
    MPI_Isend(&v[3], 1, MPI_INT, right, 3, MPI_COMM_WORLD, &reqs[0]);
    CHECK_RC(MPI_Probe(left, 3, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "MPI_Probe");
    flag = 0;
    CHECK_RC(MPI_Iprobe(left, 3, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE), "MPI_Iprobe");
    CHECK(flag, "MPI_Iprobe after MPI_Probe found nothing");
    MPI_Irecv(&w[3], 1, MPI_INT, left, 3, MPI_COMM_WORLD, &reqs[1]);
    flag = 0;
    while (!flag)
        CHECK_RC(MPI_Test(&reqs[1], &flag, MPI_STATUS_IGNORE), "MPI_Test");
    CHECK(w[3] == left * 10 + 3, "MPI_Test receive got %d", w[3]);
    MPI_Wait(&reqs[0], MPI_STATUS_IGNORE);

    /* The array forms. */
    for (int i = 0; i < 4; i++) {
        w[4 + i] = -1;
        MPI_Irecv(&w[4 + i], 1, MPI_INT, left, 4 + i, MPI_COMM_WORLD, &reqs[i]);
        MPI_Isend(&v[4 + i], 1, MPI_INT, right, 4 + i, MPI_COMM_WORLD, &reqs[4 + i]);
    }
    CHECK_RC(MPI_Waitany(8, reqs, &index, MPI_STATUS_IGNORE), "MPI_Waitany");
    CHECK(index >= 0 && index < 8, "MPI_Waitany index %d", index);
    CHECK_RC(MPI_Waitsome(8, reqs, &outcount, indices, MPI_STATUSES_IGNORE), "MPI_Waitsome");
    CHECK(outcount >= 1 && outcount <= 7, "MPI_Waitsome outcount %d", outcount);
    CHECK_RC(MPI_Testsome(8, reqs, &outcount, indices, MPI_STATUSES_IGNORE), "MPI_Testsome");
    flag = 0;
    CHECK_RC(MPI_Testany(8, reqs, &index, &flag, MPI_STATUS_IGNORE), "MPI_Testany");
    flag = 0;
    while (!flag)
        CHECK_RC(MPI_Testall(8, reqs, &flag, MPI_STATUSES_IGNORE), "MPI_Testall");
    for (int i = 0; i < 4; i++)
        CHECK(w[4 + i] == left * 10 + 4 + i, "array forms: w[%d] = %d", 4 + i, w[4 + i]);
    for (int i = 0; i < 4; i++) {
        MPI_Irecv(&w[4 + i], 1, MPI_INT, left, 4 + i, MPI_COMM_WORLD, &reqs[i]);
        MPI_Isend(&v[4 + i], 1, MPI_INT, right, 4 + i, MPI_COMM_WORLD, &reqs[4 + i]);
    }
    CHECK_RC(MPI_Waitall(8, reqs, MPI_STATUSES_IGNORE), "MPI_Waitall");
    return mtest_finalize(0);
}
