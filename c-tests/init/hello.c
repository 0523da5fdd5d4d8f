/*
 * MPI_Initialized, MPI_Init(&argc, &argv), MPI_Comm_rank/size on
 * MPI_COMM_WORLD and MPI_COMM_SELF.  Every rank reports its rank to rank 0,
 * which checks that each of 0..size-1 appears exactly once.  With arguments,
 * checks that MPI_Init left them for the program (the testlist passes
 * "alpha" and "beta gamma").
 */
#include "mtest.h"

int main(int argc, char **argv)
{
    int flag = -1, rank = -1, size = -1, srank = -1, ssize = -1;

    CHECK_RC(MPI_Initialized(&flag), "MPI_Initialized before MPI_Init");
    CHECK(flag == 0, "MPI_Initialized gave %d before MPI_Init", flag);

    CHECK_RC(MPI_Init(&argc, &argv), "MPI_Init");

    flag = -1;
    CHECK_RC(MPI_Initialized(&flag), "MPI_Initialized after MPI_Init");
    CHECK(flag != 0, "MPI_Initialized gave %d after MPI_Init", flag);

    CHECK_RC(MPI_Comm_rank(MPI_COMM_WORLD, &rank), "MPI_Comm_rank");
    CHECK_RC(MPI_Comm_size(MPI_COMM_WORLD, &size), "MPI_Comm_size");
    CHECK(size >= 1, "size %d", size);
    CHECK(rank >= 0 && rank < size, "rank %d of size %d", rank, size);

    CHECK_RC(MPI_Comm_rank(MPI_COMM_SELF, &srank), "MPI_Comm_rank(SELF)");
    CHECK_RC(MPI_Comm_size(MPI_COMM_SELF, &ssize), "MPI_Comm_size(SELF)");
    CHECK(srank == 0 && ssize == 1, "MPI_COMM_SELF rank %d size %d", srank, ssize);

    if (argc > 1) {
        CHECK(argc == 3, "argc %d after MPI_Init, expected 3", argc);
        CHECK(argc >= 2 && strcmp(argv[1], "alpha") == 0, "argv[1] \"%s\"", argv[1]);
        CHECK(argc >= 3 && strcmp(argv[2], "beta gamma") == 0, "argv[2] \"%s\"",
              argc >= 3 ? argv[2] : "(none)");
    }

    if (rank == 0) {
        char *seen = calloc((size_t)size, 1);
        for (int i = 1; i < size; i++) {
            int r = -1;
            MPI_Status st;
            MPI_Recv(&r, 1, MPI_INT, MPI_ANY_SOURCE, 1, MPI_COMM_WORLD, &st);
            CHECK(r == st.MPI_SOURCE, "rank %d reported %d", st.MPI_SOURCE, r);
            if (r > 0 && r < size) {
                CHECK(!seen[r], "rank %d reported twice", r);
                seen[r] = 1;
            } else {
                CHECK(0, "reported rank %d out of range", r);
            }
        }
        free(seen);
    } else {
        MPI_Send(&rank, 1, MPI_INT, 0, 1, MPI_COMM_WORLD);
    }
    return mtest_finalize(0);
}
