/*
 * MPI_Barrier: nobody leaves before everybody has entered.
 *
 * Round r picks a late rank L = r % size.  Every other rank enters the
 * barrier and, once out, sends L a message.  L first posts receives for those
 * messages and spins for a while (bounded by MPI_Wtime) testing them: none
 * may complete, since L has not entered the barrier yet.  Then L enters the
 * barrier and receives them all.  Also: many barriers in a row, on
 * MPI_COMM_SELF and on a duplicate of MPI_COMM_WORLD.
 */
#include "mtest.h"

#define ROUNDS 4
#define WINDOW 0.02

int main(int argc, char **argv)
{
    int rank, size;
    MPI_Comm dup;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    for (int r = 0; r < ROUNDS; r++) {
        int late = r % size, one = 1;
        if (rank == late) {
            MPI_Request *reqs = malloc(sizeof(MPI_Request) * (size_t)size);
            int *vals = malloc(sizeof(int) * (size_t)size), n = 0, flag = 0;
            double t0;
            for (int p = 0; p < size; p++)
                if (p != late) {
                    MPI_Irecv(&vals[n], 1, MPI_INT, p, 100 + r, MPI_COMM_WORLD, &reqs[n]);
                    n++;
                }
            t0 = MPI_Wtime();
            while (MPI_Wtime() - t0 < WINDOW && n > 0) {
                int index = -1;
                MPI_Testany(n, reqs, &index, &flag, MPI_STATUS_IGNORE);
                if (flag && index != MPI_UNDEFINED) {
                    CHECK(0, "round %d: a rank left the barrier before rank %d entered", r, late);
                    break;
                }
            }
            CHECK_RC(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
            MPI_Waitall(n, reqs, MPI_STATUSES_IGNORE);
            free(reqs);
            free(vals);
        } else {
            CHECK_RC(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
            MPI_Send(&one, 1, MPI_INT, late, 100 + r, MPI_COMM_WORLD);
        }
    }

    /* Fewer when oversubscribed: ranks that busy-poll then share the cores. */
    for (int i = 0; i < (size <= 4 ? 300 : 20); i++)
        CHECK_RC(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier(loop)");
    CHECK_RC(MPI_Barrier(MPI_COMM_SELF), "MPI_Barrier(SELF)");

    MPI_Comm_dup(MPI_COMM_WORLD, &dup);
    for (int i = 0; i < (size <= 4 ? 50 : 6); i++) {
        /* Alternate communicators: their barriers must not get mixed up. */
        CHECK_RC(MPI_Barrier(i % 2 ? dup : MPI_COMM_WORLD), "MPI_Barrier(alternating)");
    }
    MPI_Comm_free(&dup);
    return mtest_finalize(0);
}
