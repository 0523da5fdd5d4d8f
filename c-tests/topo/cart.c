/* Cartesian topologies: MPI_Dims_create, a periodic 2D grid with shifts checked by messages,
 * row and column communicators from MPI_Cart_sub, a 3D grid periodic in one dimension, a grid
 * smaller than the communicator, the queries, and bad arguments. Any size. */
#include <mpi.h>
#include "../comm/check.h"

static int err_class(int rc)
{
    int cls;
    MPI_Error_class(rc, &cls);
    return cls;
}

int main(int argc, char **argv)
{
    int rank, size, i, r, n, st;
    MPI_Comm grid, row, col, g3, small;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);

    /* MPI_Dims_create: balanced, non-increasing, fixed entries kept. */
    int d[3] = {0, 0, 0};
    MPI_Dims_create(12, 2, d);
    CHECK(d[0] == 4 && d[1] == 3, "dims(12, 2) = %d x %d", d[0], d[1]);
    d[0] = 0; d[1] = 0; d[2] = 0;
    MPI_Dims_create(8, 3, d);
    CHECK(d[0] == 2 && d[1] == 2 && d[2] == 2, "dims(8, 3) = %d x %d x %d", d[0], d[1], d[2]);
    d[0] = 0; d[1] = 3; d[2] = 0;
    MPI_Dims_create(30, 3, d);
    CHECK(d[0] * d[1] * d[2] == 30 && d[1] == 3 && d[0] >= d[2], "dims(30, [0,3,0]) = %d x %d x %d", d[0], d[1], d[2]);
    d[0] = 0; d[1] = 3;
    CHECK(err_class(MPI_Dims_create(10, 2, d)) == MPI_ERR_DIMS, "dims(10, [0,3]) is not an error");

    /* A 2D torus of all processes. */
    int dims[2] = {0, 0}, periods[2] = {1, 1}, coords[2];
    MPI_Dims_create(size, 2, dims);
    CHECK(dims[0] * dims[1] == size && dims[0] >= dims[1], "dims(%d, 2) = %d x %d", size, dims[0], dims[1]);
    MPI_Cart_create(MPI_COMM_WORLD, 2, dims, periods, 0, &grid);
    CHECK(grid != MPI_COMM_NULL, "no grid");
    MPI_Topo_test(grid, &st);
    CHECK(st == MPI_CART, "topo_test %d", st);
    MPI_Cartdim_get(grid, &n);
    CHECK(n == 2, "cartdim %d", n);
    MPI_Comm_rank(grid, &r);
    int gd[2], gp[2];
    MPI_Cart_get(grid, 2, gd, gp, coords);
    CHECK(gd[0] == dims[0] && gd[1] == dims[1] && gp[0] && gp[1], "cart_get dims %d x %d", gd[0], gd[1]);
    CHECK(coords[0] == r / dims[1] && coords[1] == r % dims[1], "row-major coords (%d, %d) of %d", coords[0], coords[1], r);
    for (i = 0; i < size; i++) {
        int c2[2], back;
        MPI_Cart_coords(grid, i, 2, c2);
        MPI_Cart_rank(grid, c2, &back);
        CHECK(back == i, "rank %d -> (%d, %d) -> %d", i, c2[0], c2[1], back);
    }
    /* Coordinates wrap in periodic dimensions. */
    int wrap[2] = {coords[0] + dims[0], coords[1] - dims[1]};
    MPI_Cart_rank(grid, wrap, &n);
    CHECK(n == r, "wrapped rank %d, expected %d", n, r);

    /* Shifts, and messages that prove them: everyone sends its rank to dest. */
    int dim;
    for (dim = 0; dim < 2; dim++) {
        int src, dst, got = -1;
        MPI_Cart_shift(grid, dim, 1, &src, &dst);
        int cs[2] = {coords[0], coords[1]}, cd[2] = {coords[0], coords[1]}, esrc, edst;
        cs[dim] = (coords[dim] - 1 + dims[dim]) % dims[dim];
        cd[dim] = (coords[dim] + 1) % dims[dim];
        MPI_Cart_rank(grid, cs, &esrc);
        MPI_Cart_rank(grid, cd, &edst);
        CHECK(src == esrc && dst == edst, "shift in %d: %d -> %d, expected %d -> %d", dim, src, dst, esrc, edst);
        MPI_Sendrecv(&r, 1, MPI_INT, dst, dim, &got, 1, MPI_INT, src, dim, grid, MPI_STATUS_IGNORE);
        CHECK(got == src, "got %d from the shift source %d", got, src);
    }

    /* Rows keep dimension 1, columns dimension 0. */
    int keep_row[2] = {0, 1}, keep_col[2] = {1, 0};
    MPI_Cart_sub(grid, keep_row, &row);
    MPI_Cart_sub(grid, keep_col, &col);
    MPI_Comm_size(row, &n);
    CHECK(n == dims[1], "row size %d", n);
    MPI_Comm_rank(row, &n);
    CHECK(n == coords[1], "rank in row %d", n);
    MPI_Comm_size(col, &n);
    CHECK(n == dims[0], "column size %d", n);
    MPI_Comm_rank(col, &n);
    CHECK(n == coords[0], "rank in column %d", n);
    MPI_Cartdim_get(row, &n);
    CHECK(n == 1, "row cartdim %d", n);
    /* Row neighbours exchange their grid ranks. */
    {
        int src, dst, got = -1;
        MPI_Cart_shift(row, 0, 1, &src, &dst);
        MPI_Sendrecv(&r, 1, MPI_INT, dst, 9, &got, 1, MPI_INT, src, 9, row, MPI_STATUS_IGNORE);
        CHECK(got == coords[0] * dims[1] + (coords[1] + dims[1] - 1) % dims[1], "row neighbour %d", got);
    }

    /* 3D, periodic only in the middle dimension. */
    int d3[3] = {0, 0, 0}, p3[3] = {0, 1, 0}, c3[3];
    MPI_Dims_create(size, 3, d3);
    MPI_Cart_create(MPI_COMM_WORLD, 3, d3, p3, 1, &g3);
    MPI_Comm_rank(g3, &r);
    MPI_Cart_coords(g3, r, 3, c3);
    for (dim = 0; dim < 3; dim++) {
        int src, dst, got = -1, sent = r;
        MPI_Cart_shift(g3, dim, 1, &src, &dst);
        if (!p3[dim]) {
            CHECK((c3[dim] == 0) == (src == MPI_PROC_NULL), "dim %d source %d at the edge", dim, src);
            CHECK((c3[dim] == d3[dim] - 1) == (dst == MPI_PROC_NULL), "dim %d dest %d at the edge", dim, dst);
        } else {
            CHECK(src != MPI_PROC_NULL && dst != MPI_PROC_NULL, "periodic dim %d has MPI_PROC_NULL", dim);
        }
        MPI_Sendrecv(&sent, 1, MPI_INT, dst, dim, &got, 1, MPI_INT, src, dim, g3, MPI_STATUS_IGNORE);
        CHECK(got == (src == MPI_PROC_NULL ? -1 : src), "3D dim %d got %d from %d", dim, got, src);
        /* Shift by -2 mirrors shift by 2. */
        int s2, d2, s3, d3b;
        MPI_Cart_shift(g3, dim, 2, &s2, &d2);
        MPI_Cart_shift(g3, dim, -2, &s3, &d3b);
        CHECK(s2 == d3b && d2 == s3, "shift by -2 is not shift by 2 reversed in dim %d", dim);
    }
    int keep3[3] = {1, 0, 1};
    MPI_Comm sub3;
    MPI_Cart_sub(g3, keep3, &sub3);
    MPI_Comm_size(sub3, &n);
    CHECK(n == d3[0] * d3[2], "3D sub size %d", n);
    MPI_Comm_free(&sub3);

    /* A grid smaller than the communicator, and MPI_Cart_map. */
    int one[1] = {size > 1 ? size - 1 : 1}, nop[1] = {0};
    MPI_Cart_create(MPI_COMM_WORLD, 1, one, nop, 0, &small);
    if (rank < one[0])
        CHECK(small != MPI_COMM_NULL, "rank %d left out of the small grid", rank);
    else
        CHECK(small == MPI_COMM_NULL, "rank %d in the small grid", rank);
    MPI_Cart_map(MPI_COMM_WORLD, 1, one, nop, &n);
    CHECK(n == (rank < one[0] ? rank : MPI_UNDEFINED), "cart_map %d", n);
    if (small != MPI_COMM_NULL)
        MPI_Comm_free(&small);

    /* Bad arguments. */
    int big[2] = {size + 1, 1};
    CHECK(err_class(MPI_Cart_create(MPI_COMM_WORLD, 2, big, periods, 0, &small)) == MPI_ERR_ARG,
          "a grid larger than the communicator");
    MPI_Comm_set_errhandler(grid, MPI_ERRORS_RETURN);
    int out[2] = {0, dims[1]}, nonp[2] = {0, 0};
    MPI_Comm line;
    MPI_Cart_create(MPI_COMM_WORLD, 2, dims, nonp, 0, &line);
    MPI_Comm_set_errhandler(line, MPI_ERRORS_RETURN);
    CHECK(err_class(MPI_Cart_rank(line, out, &n)) == MPI_ERR_ARG, "coordinate off a non-periodic edge");
    CHECK(err_class(MPI_Cart_coords(grid, size, 2, coords)) == MPI_ERR_RANK, "coords of rank %d", size);
    CHECK(err_class(MPI_Cart_shift(grid, 2, 1, &n, &n)) == MPI_ERR_ARG, "shift in dimension 2");
    CHECK(err_class(MPI_Graphdims_get(grid, &n, &n)) == MPI_ERR_TOPOLOGY, "graph query on a grid");
    CHECK(err_class(MPI_Cartdim_get(MPI_COMM_WORLD, &n)) == MPI_ERR_TOPOLOGY, "cart query without a topology");
    MPI_Topo_test(MPI_COMM_WORLD, &st);
    CHECK(st == MPI_UNDEFINED, "topo_test of MPI_COMM_WORLD %d", st);

    /* A dup keeps the topology. */
    MPI_Comm dup;
    MPI_Comm_dup(grid, &dup);
    MPI_Topo_test(dup, &st);
    CHECK(st == MPI_CART, "dup of a grid: topo_test %d", st);
    MPI_Comm_free(&dup);

    MPI_Comm_free(&line);
    MPI_Comm_free(&g3);
    MPI_Comm_free(&row);
    MPI_Comm_free(&col);
    MPI_Comm_free(&grid);
    return check_finalize();
}
