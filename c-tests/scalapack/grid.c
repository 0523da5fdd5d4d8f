/*
 * The C shape of a BLACS/ScaLAPACK code; a smaller sibling of
 * fortran-tests/scalapack/pdgemv.f.
 *
 * The largest grid of at most 2 x 2 processes that fits is cut out of
 * MPI_COMM_WORLD with MPI_Comm_split (extra ranks pass MPI_UNDEFINED and get
 * MPI_COMM_NULL), made Cartesian with MPI_Cart_create, and split into row
 * and column communicators with MPI_Cart_sub, which must be congruent with
 * the ones BLACS makes with MPI_Comm_split.
 *
 * The grid's root deals the column blocks (NB wide, cyclic over the process
 * columns) of a row-major N x N matrix out to every process of the owning
 * process column, one MPI_Type_vector each way (row length N on the root,
 * LDL locally).  Process row r then works on the rows i with i % nprow == r:
 * y = A x sums partial products along the process row with MPI_Allreduce,
 * and a pivot search (largest |A(i, j)|, i >= j, smallest i among equals)
 * uses MPI_MAXLOC on MPI_DOUBLE_INT over the owning process column, with the
 * winner broadcast along the process rows.  Everything is checked on every
 * rank against a serial computation from the generator.
 */
#include "../mtest.h"

#define N 23
#define NB 3
#define LDL (N + 2) /* local row length: wider than any process needs */
#define MAXG 4
#define SENT (-999.0)
#define TOL 1e-12

/* Exact binary fractions, with many equal magnitudes for MAXLOC to break ties. */
static double agen(int i, int j)
{
    return (double)((7 * i + 3 * j) % 11 - 5) + 0.5 * ((i * j) % 3);
}

static double xgen(int j)
{
    return 1.0 / (j + 1);
}

static double dabs(double v)
{
    return v < 0 ? -v : v;
}

/* Columns process column pc owns, and the global column of local column lj. */
static int numcols(int pc, int npcol)
{
    int n = 0;
    for (int j = 0; j < N; j++)
        n += (j / NB) % npcol == pc;
    return n;
}

static int l2g(int lj, int pc, int npcol)
{
    return ((lj / NB) * npcol + pc) * NB + lj % NB;
}

static void on_grid(MPI_Comm gcomm, int nprow, int npcol)
{
    int dims[2] = {nprow, npcol}, periods[2] = {0, 0}, coords[2], remain[2];
    int myid, myrow, mycol, topo, size, rank, cmp, locc, nblk, i, j, lj;
    MPI_Comm cart, rowcomm, colcomm, rsplit, csplit;
    MPI_Status st;
    static double a[N][N], aloc[N][LDL];
    double yloc[N], ysum[N];
    struct {
        double val;
        int idx;
    } pair, res;

    MPI_Cart_create(gcomm, 2, dims, periods, 1, &cart);
    MPI_Comm_rank(cart, &myid);
    MPI_Cart_coords(cart, myid, 2, coords);
    myrow = coords[0];
    mycol = coords[1];
    CHECK(myid == myrow * npcol + mycol, "rank %d at (%d, %d)", myid, myrow, mycol);
    MPI_Topo_test(cart, &topo);
    CHECK(topo == MPI_CART, "MPI_Topo_test gave %d", topo);

    /* rowcomm: a process row, ranked by column; colcomm: a process column. */
    remain[0] = 0;
    remain[1] = 1;
    MPI_Cart_sub(cart, remain, &rowcomm);
    remain[0] = 1;
    remain[1] = 0;
    MPI_Cart_sub(cart, remain, &colcomm);
    MPI_Comm_size(rowcomm, &size);
    MPI_Comm_rank(rowcomm, &rank);
    CHECK(size == npcol && rank == mycol, "row communicator: rank %d of %d", rank, size);
    MPI_Comm_size(colcomm, &size);
    MPI_Comm_rank(colcomm, &rank);
    CHECK(size == nprow && rank == myrow, "column communicator: rank %d of %d", rank, size);
    MPI_Comm_split(cart, myrow, mycol, &rsplit);
    MPI_Comm_split(cart, mycol, myrow, &csplit);
    MPI_Comm_compare(rowcomm, rsplit, &cmp);
    CHECK(cmp == MPI_CONGRUENT, "row: MPI_Comm_compare gave %d", cmp);
    MPI_Comm_compare(colcomm, csplit, &cmp);
    CHECK(cmp == MPI_CONGRUENT, "column: MPI_Comm_compare gave %d", cmp);
    MPI_Comm_free(&rsplit);
    MPI_Comm_free(&csplit);

    /* Column blocks, in the same order on the root and on every receiver. */
    locc = numcols(mycol, npcol);
    for (i = 0; i < N; i++)
        for (lj = 0; lj < LDL; lj++)
            aloc[i][lj] = SENT;
    if (myid == 0)
        for (i = 0; i < N; i++)
            for (j = 0; j < N; j++)
                a[i][j] = agen(i, j);
    nblk = (N + NB - 1) / NB;
    for (int jb = 0; jb < nblk; jb++) {
        int j0 = jb * NB, nc = N - j0 < NB ? N - j0 : NB, pc = jb % npcol;
        int lj0 = (jb / npcol) * NB, tag = 100 + jb;
        MPI_Datatype gt, lt;

        MPI_Type_vector(N, nc, LDL, MPI_DOUBLE, &lt);
        MPI_Type_commit(&lt);
        if (myid == 0) {
            MPI_Type_vector(N, nc, N, MPI_DOUBLE, &gt);
            MPI_Type_commit(&gt);
            for (int pr = 0; pr < nprow; pr++) {
                int dest, c[2] = {pr, pc};
                MPI_Cart_rank(cart, c, &dest);
                if (dest == 0)
                    MPI_Sendrecv(&a[0][j0], 1, gt, 0, tag, &aloc[0][lj0], 1, lt, 0, tag,
                                 cart, &st);
                else
                    MPI_Send(&a[0][j0], 1, gt, dest, tag, cart);
            }
            MPI_Type_free(&gt);
        } else if (mycol == pc) {
            int count;
            MPI_Recv(&aloc[0][lj0], 1, lt, 0, tag, cart, &st);
            MPI_Get_count(&st, MPI_DOUBLE, &count);
            CHECK(count == N * nc, "column block %d: %d elements", jb, count);
        }
        MPI_Type_free(&lt);
    }
    {
        int bad = 0;
        for (i = 0; i < N; i++)
            for (lj = 0; lj < LDL; lj++)
                bad += aloc[i][lj] != (lj < locc ? agen(i, l2g(lj, mycol, npcol)) : SENT);
        CHECK(bad == 0, "%d of %d local entries wrong after the scatter", bad, N * LDL);
    }

    /* y = A x on my rows. */
    {
        int k = 0;
        for (i = myrow; i < N; i += nprow, k++) {
            yloc[k] = 0.0;
            for (lj = 0; lj < locc; lj++)
                yloc[k] += aloc[i][lj] * xgen(l2g(lj, mycol, npcol));
        }
        MPI_Allreduce(yloc, ysum, k, MPI_DOUBLE, MPI_SUM, rowcomm);
        k = 0;
        for (i = myrow; i < N; i += nprow, k++) {
            double want = 0.0;
            for (j = 0; j < N; j++)
                want += agen(i, j) * xgen(j);
            CHECK(dabs(ysum[k] - want) <= TOL * (dabs(want) > 1 ? dabs(want) : 1),
                  "y[%d] = %.17g, expected %.17g", i, ysum[k], want);
        }
    }

    /* Pivots of every column. */
    for (j = 0; j < N; j++) {
        int pc = (j / NB) % npcol, want = -1;
        double best = -1.0;
        if (mycol == pc) {
            lj = (j / (NB * npcol)) * NB + j % NB;
            pair.val = -1.0;
            pair.idx = N;
            for (i = myrow; i < N; i += nprow)
                if (i >= j && dabs(aloc[i][lj]) > pair.val) {
                    pair.val = dabs(aloc[i][lj]);
                    pair.idx = i;
                }
            MPI_Allreduce(&pair, &res, 1, MPI_DOUBLE_INT, MPI_MAXLOC, colcomm);
        }
        MPI_Bcast(&res, 1, MPI_DOUBLE_INT, pc, rowcomm);
        for (i = j; i < N; i++)
            if (dabs(agen(i, j)) > best) {
                best = dabs(agen(i, j));
                want = i;
            }
        CHECK(res.val == best && res.idx == want, "pivot of column %d: %g at %d, expected %g at %d",
              j, res.val, res.idx, best, want);
    }

    MPI_Comm_free(&rowcomm);
    MPI_Comm_free(&colcomm);
    MPI_Comm_free(&cart);
}

int main(int argc, char **argv)
{
    int wrank, wsize, ng, dims[2] = {0, 0};
    MPI_Comm gcomm;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &wrank);
    MPI_Comm_size(MPI_COMM_WORLD, &wsize);

    /* Decreasing order from MPI_Dims_create; the grid is kept wide. */
    ng = wsize < MAXG ? wsize : MAXG;
    MPI_Dims_create(ng, 2, dims);
    CHECK(dims[0] * dims[1] == ng && dims[0] >= dims[1] && dims[1] == (ng == 4 ? 2 : 1),
          "MPI_Dims_create(%d) gave %d x %d", ng, dims[0], dims[1]);

    /* The key reverses the order: the grid's root is not world rank 0. */
    MPI_Comm_split(MPI_COMM_WORLD, wrank < ng ? 0 : MPI_UNDEFINED, wsize - wrank, &gcomm);
    if (wrank < ng) {
        CHECK(gcomm != MPI_COMM_NULL, "MPI_Comm_split gave MPI_COMM_NULL");
        if (gcomm != MPI_COMM_NULL) {
            int grank;
            MPI_Comm_rank(gcomm, &grank);
            CHECK(grank == ng - 1 - wrank, "rank %d in the split communicator", grank);
            on_grid(gcomm, dims[1], dims[0]);
            MPI_Comm_free(&gcomm);
        }
    } else {
        CHECK(gcomm == MPI_COMM_NULL, "MPI_UNDEFINED color gave a communicator");
    }
    return mtest_finalize(0);
}
