/*
 * MPI_PACKED and derived types are interchangeable on the wire: a message packed and sent
 * as MPI_PACKED is received with the matching derived type, a message sent with a derived
 * type is received as MPI_PACKED and unpacked, small (eager) and large (rendezvous). Even
 * ranks talk to the next odd rank.
 */
#include "dtcheck.h"

#define N 3000 /* rows: one column is 24 KB */

static double a[N][4], b[N][4];

static void reset(void)
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < 4; j++)
            b[i][j] = -1;
}

/* Rows [0, rows) of column `c` of `m` hold what `a` had, the rest of `m` is still -1. */
static void check_column(double m[N][4], int c, int rows, const char *what)
{
    int bad = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < 4; j++) {
            double want = (j == c && i < rows) ? i * 10.0 + j : -1;
            if (m[i][j] != want && bad++ < 5)
                CHECK(0, "%s: [%d][%d] = %g, expected %g", what, i, j, m[i][j], want);
        }
}

int main(int argc, char **argv)
{
    int rank, size;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int peer = rank % 2 == 0 ? rank + 1 : rank - 1;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < 4; j++)
            a[i][j] = i * 10.0 + j;

    if (peer < size) {
        for (int rows = 10; rows <= N; rows += N - 10) {
            MPI_Datatype col;
            MPI_Status st;
            int psize, pos, cnt;
            char what[64];
            MPI_Type_vector(rows, 1, 4, MPI_DOUBLE, &col);
            MPI_Type_commit(&col);
            MPI_Pack_size(1, col, MPI_COMM_WORLD, &psize);
            char *packed = malloc(psize + sizeof(int));

            /* packed -> derived: a header int and the column in one packed message */
            reset();
            if (rank % 2 == 0) {
                pos = 0;
                MPI_Pack(&rows, 1, MPI_INT, packed, psize + (int)sizeof(int), &pos, MPI_COMM_WORLD);
                MPI_Pack(&a[0][1], 1, col, packed, psize + (int)sizeof(int), &pos, MPI_COMM_WORLD);
                MPI_Send(packed, pos, MPI_PACKED, peer, 1, MPI_COMM_WORLD);
                /* the same column packed alone, received directly as the vector */
                pos = 0;
                MPI_Pack(&a[0][2], 1, col, packed, psize, &pos, MPI_COMM_WORLD);
                MPI_Send(packed, pos, MPI_PACKED, peer, 2, MPI_COMM_WORLD);
            } else {
                int hdr = 0;
                MPI_Recv(packed, psize + (int)sizeof(int), MPI_PACKED, peer, 1, MPI_COMM_WORLD, &st);
                MPI_Get_count(&st, MPI_PACKED, &cnt);
                CHECK(cnt == psize + (int)sizeof(int), "rows=%d: %d packed bytes arrived", rows, cnt);
                pos = 0;
                MPI_Unpack(packed, cnt, &pos, &hdr, 1, MPI_INT, MPI_COMM_WORLD);
                MPI_Unpack(packed, cnt, &pos, &b[0][1], 1, col, MPI_COMM_WORLD);
                CHECK(hdr == rows && pos == cnt, "rows=%d: header %d, position %d of %d", rows, hdr, pos, cnt);
                snprintf(what, sizeof(what), "rows=%d unpacked", rows);
                check_column(b, 1, rows, what);
                reset();
                MPI_Recv(&b[0][2], 1, col, peer, 2, MPI_COMM_WORLD, &st);
                MPI_Get_elements(&st, col, &cnt);
                CHECK(cnt == rows, "rows=%d: %d elements", rows, cnt);
                snprintf(what, sizeof(what), "rows=%d packed -> vector", rows);
                check_column(b, 2, rows, what);
            }

            /* derived -> packed, the other way round */
            reset();
            if (rank % 2 == 1) {
                MPI_Send(&a[0][3], 1, col, peer, 3, MPI_COMM_WORLD);
                MPI_Send(&a[0][0], rows, MPI_DOUBLE, peer, 4, MPI_COMM_WORLD);
            } else {
                MPI_Recv(packed, psize, MPI_PACKED, peer, 3, MPI_COMM_WORLD, &st);
                MPI_Get_count(&st, MPI_PACKED, &cnt);
                CHECK(cnt == psize, "rows=%d: %d bytes as MPI_PACKED, expected %d", rows, cnt, psize);
                pos = 0;
                MPI_Unpack(packed, cnt, &pos, &b[0][3], 1, col, MPI_COMM_WORLD);
                snprintf(what, sizeof(what), "rows=%d vector -> packed", rows);
                check_column(b, 3, rows, what);
                /* contiguous doubles (the first rows of `a`, flattened) unpacked into a column */
                reset();
                MPI_Recv(packed, psize, MPI_PACKED, peer, 4, MPI_COMM_WORLD, &st);
                pos = 0;
                MPI_Unpack(packed, psize, &pos, &b[0][0], 1, col, MPI_COMM_WORLD);
                for (int i = 0; i < rows; i++)
                    CHECK(b[i][0] == a[i / 4][i % 4], "rows=%d: b[%d][0] = %g", rows, i, b[i][0]);
            }
            free(packed);
            MPI_Type_free(&col);
        }
    }
    return dt_finish();
}
