/* MPI_Bcast from every root, from 0 bytes to over 1 MiB, in bytes, ints and doubles. */
#include "colltest.h"

static const int sizes[] = {0, 1, 3, 100, 4096, 12289, 65537, (1 << 20) + 3};
#define NSIZES ((int)(sizeof sizes / sizeof sizes[0]))

int main(int argc, char **argv)
{
    int rank, size;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    for (int s = 0; s < NSIZES; s++) {
        int n = sizes[s];
        unsigned char *b = xmalloc(n);
        int roots = size < 4 ? size : 4;
        for (int k = 0; k < roots; k++) {
            int root = (k * 5) % size;
            for (int i = 0; i < n; i++)
                b[i] = rank == root ? (unsigned char)(i * 31 + root) : 0xee;
            CHECK_RC(MPI_Bcast(b, n, MPI_BYTE, root, MPI_COMM_WORLD), "MPI_Bcast bytes");
            int bad = 0;
            for (int i = 0; i < n; i++)
                bad += b[i] != (unsigned char)(i * 31 + root);
            CHECK(bad == 0, "bytes n=%d root=%d: %d wrong", n, root, bad);
        }
        free(b);
    }

    /* Typed data: ints and doubles, a size that is not a multiple of the group. */
    for (int s = 0; s < NSIZES; s++) {
        int n = sizes[s] / 8;
        int root = size - 1;
        int *ib = xmalloc(n * sizeof(int));
        double *db = xmalloc(n * sizeof(double));
        for (int i = 0; i < n; i++) {
            ib[i] = rank == root ? i - 7 : -1;
            db[i] = rank == root ? i * 0.5 : -1.0;
        }
        CHECK_RC(MPI_Bcast(ib, n, MPI_INT, root, MPI_COMM_WORLD), "MPI_Bcast ints");
        CHECK_RC(MPI_Bcast(db, n, MPI_DOUBLE, root, MPI_COMM_WORLD), "MPI_Bcast doubles");
        int bad = 0;
        for (int i = 0; i < n; i++)
            bad += ib[i] != i - 7 || db[i] != i * 0.5;
        CHECK(bad == 0, "typed n=%d: %d wrong", n, bad);
        free(ib);
        free(db);
    }

    /* Many small ones in a row. */
    for (int it = 0; it < 200; it++) {
        int v = rank == it % size ? it : -1;
        MPI_Bcast(&v, 1, MPI_INT, it % size, MPI_COMM_WORLD);
        CHECK(v == it, "iteration %d got %d", it, v);
    }
    return mtest_finalize(0);
}
