/* MPI_Reduce and MPI_Allreduce with the arithmetic operations on integer and floating types,
 * every root, counts from 0 to over 1 MiB of data, and MPI_IN_PLACE. */
#include "colltest.h"

static const int counts[] = {0, 1, 2, 7, 257, 1000, 40000, 140000};
#define NCOUNTS ((int)(sizeof counts / sizeof counts[0]))

/* Expected results, computed locally from val(). */
static long want(MPI_Op op, int size, long i)
{
    long acc = val(0, i);
    for (int r = 1; r < size; r++) {
        long v = val(r, i);
        if (op == MPI_SUM)
            acc += v;
        else if (op == MPI_MAX)
            acc = v > acc ? v : acc;
        else if (op == MPI_MIN)
            acc = v < acc ? v : acc;
        else if (op == MPI_PROD)
            acc = (r < 6) ? acc * v : acc; /* see fill: later ranks contribute 1 */
    }
    return acc;
}

/* PROD would overflow with many ranks: ranks from 6 on contribute 1. */
static int contrib(MPI_Op op, int rank, long i)
{
    if (op == MPI_PROD && rank >= 6)
        return 1;
    return val(rank, i);
}

static int check_long(const char *what, MPI_Op op, int size, int n, const long *got)
{
    int bad = 0;
    for (int i = 0; i < n; i++)
        if (got[i] != want(op, size, i)) {
            if (bad == 0)
                CHECK(0, "%s: count %d element %d is %ld, expected %ld", what, n, i, got[i], want(op, size, i));
            bad++;
        }
    return bad;
}

int main(int argc, char **argv)
{
    int rank, size;
    MPI_Op ops[] = {MPI_SUM, MPI_MAX, MPI_MIN, MPI_PROD};
    const char *names[] = {"SUM", "MAX", "MIN", "PROD"};
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    for (int c = 0; c < NCOUNTS; c++) {
        int n = counts[c];
        int *ia = xmalloc(n * sizeof(int)), *ib = xmalloc(n * sizeof(int));
        double *da = xmalloc(n * sizeof(double)), *db = xmalloc(n * sizeof(double));
        long *la = xmalloc(n * sizeof(long)), *lb = xmalloc(n * sizeof(long));
        long *tmp = xmalloc(n * sizeof(long));
        for (int o = 0; o < 4; o++) {
            MPI_Op op = ops[o];
            char what[64];
            /* Bigger counts: fewer op/root combinations, to keep the test quick. */
            if (n > 1000 && o == 3)
                continue;
            int root = (c + o) % size;
            for (int i = 0; i < n; i++) {
                ia[i] = contrib(op, rank, i);
                da[i] = contrib(op, rank, i);
                la[i] = contrib(op, rank, i);
                ib[i] = -99;
                db[i] = -99;
                lb[i] = -99;
            }
            MPI_Reduce(ia, ib, n, MPI_INT, op, root, MPI_COMM_WORLD);
            MPI_Reduce(da, db, n, MPI_DOUBLE, op, root, MPI_COMM_WORLD);
            MPI_Reduce(la, lb, n, MPI_LONG, op, root, MPI_COMM_WORLD);
            if (rank == root) {
                snprintf(what, sizeof what, "Reduce int %s root %d", names[o], root);
                for (int i = 0; i < n; i++)
                    tmp[i] = ib[i];
                check_long(what, op, size, n, tmp);
                snprintf(what, sizeof what, "Reduce double %s", names[o]);
                for (int i = 0; i < n; i++)
                    tmp[i] = (long)db[i];
                check_long(what, op, size, n, tmp);
                snprintf(what, sizeof what, "Reduce long %s", names[o]);
                check_long(what, op, size, n, lb);
            } else {
                int bad = 0;
                for (int i = 0; i < n; i++)
                    bad += ib[i] != -99 || db[i] != -99 || lb[i] != -99;
                CHECK(bad == 0, "Reduce wrote %d elements of a non-root receive buffer", bad);
            }

            /* In place at the root. MPICH 4.0 crashes on a long in-place reduce to a root
             * other than 0, so its runs use root 0 here. */
#ifdef MPICH_VERSION
            root = 0;
#endif
            for (int i = 0; i < n; i++)
                da[i] = contrib(op, rank, i);
            if (rank == root)
                MPI_Reduce(MPI_IN_PLACE, da, n, MPI_DOUBLE, op, root, MPI_COMM_WORLD);
            else
                MPI_Reduce(da, NULL, n, MPI_DOUBLE, op, root, MPI_COMM_WORLD);
            if (rank == root) {
                for (int i = 0; i < n; i++)
                    tmp[i] = (long)da[i];
                snprintf(what, sizeof what, "Reduce in place double %s", names[o]);
                check_long(what, op, size, n, tmp);
            }

            /* Allreduce, then in place. */
            for (int i = 0; i < n; i++)
                ia[i] = contrib(op, rank, i);
            MPI_Allreduce(ia, ib, n, MPI_INT, op, MPI_COMM_WORLD);
            for (int i = 0; i < n; i++)
                tmp[i] = ib[i];
            snprintf(what, sizeof what, "Allreduce int %s", names[o]);
            check_long(what, op, size, n, tmp);
            for (int i = 0; i < n; i++)
                db[i] = contrib(op, rank, i);
            MPI_Allreduce(MPI_IN_PLACE, db, n, MPI_DOUBLE, op, MPI_COMM_WORLD);
            for (int i = 0; i < n; i++)
                tmp[i] = (long)db[i];
            snprintf(what, sizeof what, "Allreduce in place double %s", names[o]);
            check_long(what, op, size, n, tmp);
        }
        free(ia);
        free(ib);
        free(da);
        free(db);
        free(la);
        free(lb);
        free(tmp);
    }
    return mtest_finalize(0);
}
