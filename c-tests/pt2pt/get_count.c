/*
 * MPI_Get_count: the count of received elements, 0 for an empty message, and
 * MPI_UNDEFINED when the received bytes are not a whole number of elements
 * of the datatype asked about (7 bytes asked about as MPI_INT or MPI_SHORT).
 * A receive of MPI_INT elements sized larger than the message reports what
 * arrived, not the buffer size.
 */
#include "mtest.h"

int main(int argc, char **argv)
{
    int rank, size, peer, count;
    unsigned char bytes[64];
    MPI_Status st;
    MPI_Request req;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    /* Pairs (0,1), (2,3), ...; an unpaired rank uses itself. */
    peer = rank ^ 1;
    if (peer >= size)
        peer = rank;

    for (int i = 0; i < 64; i++)
        bytes[i] = (unsigned char)i;

    /* 7 bytes. */
    {
        unsigned char in[64];
        MPI_Isend(bytes, 7, MPI_BYTE, peer, 1, MPI_COMM_WORLD, &req);
        MPI_Recv(in, 64, MPI_BYTE, peer, 1, MPI_COMM_WORLD, &st);
        MPI_Wait(&req, MPI_STATUS_IGNORE);
        count = -5;
        CHECK_RC(MPI_Get_count(&st, MPI_BYTE, &count), "MPI_Get_count(MPI_BYTE)");
        CHECK(count == 7, "7 bytes counted as %d bytes", count);
        count = -5;
        CHECK_RC(MPI_Get_count(&st, MPI_INT, &count), "MPI_Get_count(MPI_INT)");
        CHECK(count == MPI_UNDEFINED, "7 bytes counted as %d ints, expected MPI_UNDEFINED", count);
        count = -5;
        MPI_Get_count(&st, MPI_SHORT, &count);
        CHECK(count == MPI_UNDEFINED, "7 bytes counted as %d shorts, expected MPI_UNDEFINED",
              count);
        count = -5;
        MPI_Get_count(&st, MPI_CHAR, &count);
        CHECK(count == 7, "7 bytes counted as %d chars", count);
        CHECK(memcmp(in, bytes, 7) == 0, "payload of 7 bytes differs");
    }

    /* 8 bytes: two ints, four shorts, one double. */
    {
        int in[16];
        MPI_Isend(bytes, 8, MPI_BYTE, peer, 2, MPI_COMM_WORLD, &req);
        MPI_Recv(in, (int)sizeof in, MPI_BYTE, peer, 2, MPI_COMM_WORLD, &st);
        MPI_Wait(&req, MPI_STATUS_IGNORE);
        MPI_Get_count(&st, MPI_INT, &count);
        CHECK(count == 2, "8 bytes counted as %d ints", count);
        MPI_Get_count(&st, MPI_SHORT, &count);
        CHECK(count == 4, "8 bytes counted as %d shorts", count);
        MPI_Get_count(&st, MPI_DOUBLE, &count);
        CHECK(count == 1, "8 bytes counted as %d doubles", count);
    }

    /* Typed: 5 doubles into room for 10. */
    {
        double out[5] = {1, 2, 3, 4, 5}, in[10];
        MPI_Isend(out, 5, MPI_DOUBLE, peer, 3, MPI_COMM_WORLD, &req);
        MPI_Recv(in, 10, MPI_DOUBLE, peer, 3, MPI_COMM_WORLD, &st);
        MPI_Wait(&req, MPI_STATUS_IGNORE);
        MPI_Get_count(&st, MPI_DOUBLE, &count);
        CHECK(count == 5, "5 doubles counted as %d", count);
        MPI_Get_count(&st, MPI_BYTE, &count);
        CHECK(count == 5 * (int)sizeof(double), "5 doubles counted as %d bytes", count);
    }

    /* Empty message: count 0 for any type. */
    {
        int in[4];
        MPI_Isend(NULL, 0, MPI_INT, peer, 4, MPI_COMM_WORLD, &req);
        MPI_Recv(in, 4, MPI_INT, peer, 4, MPI_COMM_WORLD, &st);
        MPI_Wait(&req, MPI_STATUS_IGNORE);
        MPI_Get_count(&st, MPI_INT, &count);
        CHECK(count == 0, "empty message counted as %d ints", count);
        MPI_Get_count(&st, MPI_DOUBLE, &count);
        CHECK(count == 0, "empty message counted as %d doubles", count);
    }
    return mtest_finalize(0);
}
