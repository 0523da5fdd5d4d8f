/* MPI_Init(NULL, NULL) is allowed and gives a working MPI_COMM_WORLD. */
#include "mtest.h"

int main(void)
{
    int flag = 0, rank, size, token;

    CHECK_RC(MPI_Init(NULL, NULL), "MPI_Init(NULL, NULL)");
    CHECK_RC(MPI_Initialized(&flag), "MPI_Initialized");
    CHECK(flag, "MPI_Initialized gave %d", flag);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    /* A token around the ring, each rank adding its rank. */
    if (size > 1) {
        if (rank == 0) {
            token = 0;
            MPI_Send(&token, 1, MPI_INT, 1, 5, MPI_COMM_WORLD);
            MPI_Recv(&token, 1, MPI_INT, size - 1, 5, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            CHECK(token == size * (size - 1) / 2, "token %d after the ring", token);
        } else {
            MPI_Recv(&token, 1, MPI_INT, rank - 1, 5, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            token += rank;
            MPI_Send(&token, 1, MPI_INT, (rank + 1) % size, 5, MPI_COMM_WORLD);
        }
    }
    return mtest_finalize(0);
}
