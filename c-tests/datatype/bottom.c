/*
 * MPI_BOTTOM: types built from absolute addresses (MPI_Get_address, MPI-1's MPI_Address)
 * move data between unrelated variables in one message, small and large, blocking and
 * nonblocking; a single absolute block (one run from address 0) too. Even ranks send to the
 * next odd rank (both ways in the nonblocking round).
 */
#include "dtcheck.h"

#define BIG 5000 /* doubles: 40 KB, rendezvous */

static int count_out, count_in;
static double big_out[BIG], big_in[BIG];
static char tag_out[16], tag_in[16];

/* {count, big[0..n), tag} at their absolute addresses; `mpi1` uses the MPI-1 calls. */
static MPI_Datatype absolute(int *count, double *big, int n, char *tag, int mpi1)
{
    int bl[3] = {1, n, 16};
    MPI_Aint disp[3];
    MPI_Datatype types[3] = {MPI_INT, MPI_DOUBLE, MPI_CHAR}, t;
    if (mpi1) {
        MPI_Address(count, &disp[0]);
        MPI_Address(big, &disp[1]);
        MPI_Address(tag, &disp[2]);
        MPI_Type_struct(3, bl, disp, types, &t);
    } else {
        MPI_Get_address(count, &disp[0]);
        MPI_Get_address(big, &disp[1]);
        MPI_Get_address(tag, &disp[2]);
        MPI_Type_create_struct(3, bl, disp, types, &t);
    }
    MPI_Type_commit(&t);
    return t;
}

static void check_in(int n, int round)
{
    int bad = 0;
    CHECK(count_in == 1000 + round, "round %d: count %d", round, count_in);
    for (int i = 0; i < BIG; i++) {
        double want = i < n ? i + round * 0.5 : -1;
        if (big_in[i] != want && bad++ < 5)
            CHECK(0, "round %d: big[%d] = %g, expected %g", round, i, big_in[i], want);
    }
    CHECK(strcmp(tag_in, "bottom") == 0, "round %d: tag '%s'", round, tag_in);
}

int main(int argc, char **argv)
{
    int rank, size, round = 0;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int peer = rank % 2 == 0 ? rank + 1 : rank - 1;
    int sender = rank % 2 == 0;
    strcpy(tag_out, "bottom");

    if (peer < size) {
        for (int mpi1 = 0; mpi1 < 2; mpi1++)
            for (int n = 10; n <= BIG; n += BIG - 10) {
                round++;
                count_out = 1000 + round;
                for (int i = 0; i < BIG; i++) {
                    big_out[i] = i + round * 0.5;
                    big_in[i] = -1;
                }
                count_in = 0;
                memset(tag_in, 0, sizeof(tag_in));
                MPI_Datatype t = sender ? absolute(&count_out, big_out, n, tag_out, mpi1)
                                        : absolute(&count_in, big_in, n, tag_in, mpi1);
                if (sender) {
                    MPI_Send(MPI_BOTTOM, 1, t, peer, round, MPI_COMM_WORLD);
                } else {
                    MPI_Status st;
                    int elems;
                    MPI_Recv(MPI_BOTTOM, 1, t, peer, round, MPI_COMM_WORLD, &st);
                    MPI_Get_elements(&st, t, &elems);
                    CHECK(elems == 1 + n + 16, "round %d: %d elements", round, elems);
                    check_in(n, round);
                }
                MPI_Type_free(&t);
            }

        /* nonblocking, both ways at once */
        round++;
        count_out = 1000 + round;
        for (int i = 0; i < BIG; i++) {
            big_out[i] = i + round * 0.5;
            big_in[i] = -1;
        }
        MPI_Datatype tin = absolute(&count_in, big_in, BIG, tag_in, 0);
        MPI_Datatype tout = absolute(&count_out, big_out, BIG, tag_out, 1);
        MPI_Request rq[2];
        MPI_Status sts[2];
        MPI_Irecv(MPI_BOTTOM, 1, tin, peer, 100, MPI_COMM_WORLD, &rq[0]);
        MPI_Isend(MPI_BOTTOM, 1, tout, peer, 100, MPI_COMM_WORLD, &rq[1]);
        MPI_Waitall(2, rq, sts);
        check_in(BIG, round);
        MPI_Type_free(&tin);
        MPI_Type_free(&tout);

        /* one absolute block: the data is a single run starting from address 0 */
        MPI_Datatype t;
        MPI_Aint where;
        MPI_Get_address(sender ? big_out : big_in, &where);
        int one = BIG;
        MPI_Type_create_hindexed(1, &one, &where, MPI_DOUBLE, &t);
        MPI_Type_commit(&t);
        for (int i = 0; i < BIG; i++) {
            big_out[i] = i * 2.0;
            big_in[i] = -1;
        }
        if (sender) {
            MPI_Send(MPI_BOTTOM, 1, t, peer, 101, MPI_COMM_WORLD);
        } else {
            MPI_Recv(MPI_BOTTOM, 1, t, peer, 101, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            int bad = 0;
            for (int i = 0; i < BIG; i++)
                if (big_in[i] != i * 2.0 && bad++ < 5)
                    CHECK(0, "one block: big[%d] = %g", i, big_in[i]);
        }
        MPI_Type_free(&t);
    }
    return dt_finish();
}
