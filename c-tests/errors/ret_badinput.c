/*
 * The bad input of MPI-1.2 programs that other tests do not cover gives the right error
 * class through MPI_ERRORS_RETURN, and the library still works afterwards: groups (freed,
 * ranks or ranges out of range, strides that do not lead from first to last), operations
 * (freed, NULL function, wrong kind of handle), keyvals (freed, wrong kind), datatypes
 * (uncommitted in collectives, negative counts and block lengths of every constructor;
 * negative strides are legal and work), negative counts in the v-collectives, mismatched
 * counts that a receiver can see, and topologies (grids larger than the communicator,
 * negative dimensions). The classes are MPICH's; cases where Debian's MPICH 4.0 crashes or
 * checks nothing are left out when built against it.
 */
#include "errtest.h"

static void noop(void *in, void *inout, int *len, MPI_Datatype *dt)
{
    (void)in;
    (void)inout;
    (void)len;
    (void)dt;
}

int main(int argc, char **argv)
{
    int rank, size, i, n, flag;
    int a[256], b[256], counts[64], displs[64];
    MPI_Group world, g, freed;
    MPI_Op op;
    MPI_Datatype t, u;
    MPI_Comm c;
    void *val;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    CHECK_RC(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN), "set_errhandler");
    for (i = 0; i < 256; i++)
        a[i] = i;
    for (i = 0; i < 64; i++) {
        counts[i] = 1;
        displs[i] = i;
    }

    /* groups */
    MPI_Comm_group(MPI_COMM_WORLD, &world);
    {
        int r1[1] = {size}, rm[1] = {-1}, out[1];
        int past[1][3] = {{0, size, 1}}, before[1][3] = {{-1, 0, 1}};
        int wrong_way[1][3] = {{0, 1, -1}}, backwards[1][3] = {{size - 1, 0, -1}};
        int twice[2][3] = {{0, 0, 1}, {0, 0, 1}};
        CHECK_CLASS(MPI_Group_excl(world, 1, r1, &g), MPI_ERR_RANK, "MPI_Group_excl of rank size");
        CHECK_CLASS(MPI_Group_incl(world, 1, rm, &g), MPI_ERR_RANK, "MPI_Group_incl of rank -1");
        CHECK_CLASS(MPI_Group_translate_ranks(world, 1, r1, world, out), MPI_ERR_RANK,
                    "MPI_Group_translate_ranks of rank size");
        CHECK_CLASS(MPI_Group_incl(world, -1, r1, &g), MPI_ERR_ARG, "MPI_Group_incl n=-1");
        CHECK_CLASS(MPI_Group_range_incl(world, 1, past, &g), MPI_ERR_ARG, "range past the end");
        CHECK_CLASS(MPI_Group_range_excl(world, 1, before, &g), MPI_ERR_ARG, "range from -1");
        CHECK_CLASS(MPI_Group_range_incl(world, 2, twice, &g), MPI_ERR_ARG, "a rank in two ranges");
        if (size > 1)
            CHECK_CLASS(MPI_Group_range_incl(world, 1, wrong_way, &g), MPI_ERR_ARG,
                        "range 0..1 with stride -1");
        /* a negative stride that leads from first to last is fine */
        CHECK_RC(MPI_Group_range_incl(world, 1, backwards, &g), "range size-1..0 stride -1");
        MPI_Group_rank(g, &n);
        CHECK(n == size - 1 - rank, "rank %d in the reversed group, expected %d", n, size - 1 - rank);
        MPI_Group_free(&g);
        CHECK_CLASS(MPI_Group_compare(MPI_GROUP_NULL, world, &n), MPI_ERR_GROUP, "compare MPI_GROUP_NULL");
        CHECK_CLASS(MPI_Group_union(world, (MPI_Group)MPI_OP_NULL, &g), MPI_ERR_GROUP,
                    "union with an op handle");
    }
#ifndef MPICH_VERSION
    /* MPICH uses freed handles as if they were alive. */
    MPI_Comm_group(MPI_COMM_WORLD, &freed);
    g = freed;
    MPI_Group_free(&g);
    CHECK(g == MPI_GROUP_NULL, "MPI_Group_free left the handle");
    CHECK_CLASS(MPI_Group_size(freed, &n), MPI_ERR_GROUP, "size of a freed group");
    CHECK_CLASS(MPI_Comm_create(MPI_COMM_WORLD, freed, &c), MPI_ERR_GROUP, "MPI_Comm_create with a freed group");
    CHECK_CLASS(MPI_Group_free(&freed), MPI_ERR_GROUP, "free of a freed group");
    {
        int dup[2] = {0, 0};
        CHECK_CLASS(MPI_Group_incl(world, 2, dup, &g), MPI_ERR_RANK, "MPI_Group_incl of rank 0 twice");
    }
#else
    (void)freed;
#endif

    /* operations */
    CHECK_CLASS(MPI_Op_create(NULL, 1, &op), MPI_ERR_ARG, "MPI_Op_create(NULL)");
    op = MPI_OP_NULL;
    CHECK_CLASS(MPI_Op_free(&op), MPI_ERR_OP, "MPI_Op_free(MPI_OP_NULL)");
    CHECK_CLASS(MPI_Reduce(a, b, 1, MPI_INT, (MPI_Op)MPI_COMM_WORLD, 0, MPI_COMM_WORLD), MPI_ERR_OP,
                "MPI_Reduce with a communicator as the op");
#ifndef MPICH_VERSION
    {
        MPI_Op stale;
        MPI_Op_create(noop, 1, &op);
        stale = op;
        MPI_Op_free(&op);
        CHECK_CLASS(MPI_Allreduce(a, b, 1, MPI_INT, stale, MPI_COMM_WORLD), MPI_ERR_OP, "MPI_Allreduce with a freed op");
        CHECK_CLASS(MPI_Reduce(a, b, 1, MPI_INT, stale, 0, MPI_COMM_WORLD), MPI_ERR_OP, "MPI_Reduce with a freed op");
        CHECK_CLASS(MPI_Op_free(&stale), MPI_ERR_OP, "MPI_Op_free of a freed op");
    }
#else
    (void)noop;
#endif

    /* keyvals */
    {
        int k = MPI_KEYVAL_INVALID;
        CHECK_CLASS(MPI_Keyval_free(&k), MPI_ERR_KEYVAL, "MPI_Keyval_free(MPI_KEYVAL_INVALID)");
        CHECK_CLASS(MPI_Attr_put(MPI_COMM_WORLD, (int)MPI_COMM_WORLD, a), MPI_ERR_KEYVAL,
                    "MPI_Attr_put with a communicator as the keyval");
        CHECK_CLASS(MPI_Attr_delete(MPI_COMM_WORLD, 12345), MPI_ERR_KEYVAL, "MPI_Attr_delete(12345)");
#ifndef MPICH_VERSION
        int key, k2;
        MPI_Keyval_create(MPI_NULL_COPY_FN, MPI_NULL_DELETE_FN, &key, NULL);
        k2 = key;
        MPI_Keyval_free(&k2);
        CHECK(k2 == MPI_KEYVAL_INVALID, "MPI_Keyval_free left the handle");
        CHECK_CLASS(MPI_Attr_put(MPI_COMM_WORLD, key, a), MPI_ERR_KEYVAL, "MPI_Attr_put with a freed keyval");
        CHECK_CLASS(MPI_Attr_get(MPI_COMM_WORLD, key, &val, &flag), MPI_ERR_KEYVAL, "MPI_Attr_get with a freed keyval");
        k2 = key;
        CHECK_CLASS(MPI_Keyval_free(&k2), MPI_ERR_KEYVAL, "MPI_Keyval_free of a freed keyval");
#else
        (void)val;
        (void)flag;
#endif
    }

    /* datatypes */
    MPI_Type_vector(2, 1, 2, MPI_INT, &t);
    CHECK_CLASS(MPI_Bcast(a, 1, t, 0, MPI_COMM_WORLD), MPI_ERR_TYPE, "MPI_Bcast, uncommitted");
    CHECK_CLASS(MPI_Gather(a, 1, t, b, 1, MPI_INT, 0, MPI_COMM_WORLD), MPI_ERR_TYPE, "MPI_Gather, uncommitted");
    CHECK_CLASS(MPI_Alltoall(a, 1, MPI_INT, b, 1, t, MPI_COMM_WORLD), MPI_ERR_TYPE, "MPI_Alltoall, uncommitted");
    u = MPI_DATATYPE_NULL;
    CHECK_CLASS(MPI_Type_commit(&u), MPI_ERR_TYPE, "MPI_Type_commit(MPI_DATATYPE_NULL)");
    CHECK_CLASS(MPI_Type_extent(MPI_DATATYPE_NULL, (MPI_Aint *)b), MPI_ERR_TYPE, "MPI_Type_extent(MPI_DATATYPE_NULL)");
    CHECK_CLASS(MPI_Type_hvector(-1, 1, 8, MPI_INT, &u), MPI_ERR_COUNT, "hvector count -1");
    CHECK_CLASS(MPI_Type_hvector(2, -1, 8, MPI_INT, &u), MPI_ERR_COUNT, "hvector blocklength -1");
    {
        int bl[2] = {1, -1}, ok[2] = {1, 1};
        MPI_Aint d[2] = {0, 8};
        MPI_Datatype ts[2] = {MPI_INT, MPI_INT}, nullt[2] = {MPI_INT, MPI_DATATYPE_NULL};
        CHECK_CLASS(MPI_Type_struct(2, bl, d, ts, &u), MPI_ERR_COUNT, "struct blocklength -1");
        CHECK_CLASS(MPI_Type_struct(-1, ok, d, ts, &u), MPI_ERR_COUNT, "struct count -1");
        CHECK_CLASS(MPI_Type_hindexed(2, bl, d, MPI_INT, &u), MPI_ERR_COUNT, "hindexed blocklength -1");
        CHECK_CLASS(MPI_Type_struct(2, ok, d, nullt, &u), MPI_ERR_TYPE, "struct of MPI_DATATYPE_NULL");
    }
    /* negative strides are legal: every other int, backwards from a[8] */
    {
        MPI_Datatype back, hback;
        int got[5] = {-1, -1, -1, -1, -1};
        CHECK_RC(MPI_Type_vector(5, 1, -2, MPI_INT, &back), "vector stride -2");
        CHECK_RC(MPI_Type_hvector(5, 1, -2 * (MPI_Aint)sizeof(int), MPI_INT, &hback), "hvector stride -8");
        MPI_Type_commit(&back);
        MPI_Type_commit(&hback);
        CHECK_RC(MPI_Sendrecv(&a[8], 1, back, rank, 4, got, 5, MPI_INT, rank, 4, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
                 "send with stride -2");
        for (i = 0; i < 5; i++)
            CHECK(got[i] == 8 - 2 * i, "stride -2: element %d is %d", i, got[i]);
        for (i = 0; i < 16; i++)
            b[i] = -1;
        CHECK_RC(MPI_Sendrecv(got, 5, MPI_INT, rank, 5, &b[10], 1, hback, rank, 5, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
                 "receive with stride -8");
        for (i = 0; i < 5; i++)
            CHECK(b[10 - 2 * i] == 8 - 2 * i && b[9 - 2 * i] == -1, "stride -8: b[%d] is %d", 10 - 2 * i,
                  b[10 - 2 * i]);
        MPI_Type_free(&back);
        MPI_Type_free(&hback);
    }

    /* negative counts in the v-collectives (each member checks its own) */
    counts[rank] = -1;
    CHECK_CLASS(MPI_Alltoallv(a, counts, displs, MPI_INT, b, counts, displs, MPI_INT, MPI_COMM_WORLD), MPI_ERR_COUNT,
                "MPI_Alltoallv with a count -1");
    CHECK_CLASS(MPI_Reduce_scatter(a, b, counts, MPI_INT, MPI_SUM, MPI_COMM_WORLD), MPI_ERR_COUNT,
                "MPI_Reduce_scatter with a count -1");
    if (rank == 0)
        CHECK_CLASS(MPI_Gatherv(a, 1, MPI_INT, b, counts, displs, MPI_INT, 0, MPI_COMM_WORLD), MPI_ERR_COUNT,
                    "MPI_Gatherv at the root with a count -1");
    counts[rank] = 1;
    CHECK_CLASS(MPI_Scatter(a, -1, MPI_INT, b, -1, MPI_INT, 0, MPI_COMM_WORLD), MPI_ERR_COUNT, "MPI_Scatter count -1");

    /* mismatched counts that the receiver sees: 4 ints sent, room for 2. Only the root is
     * sure to see it (in a tree others may receive forwarded, shorter pieces); MPICH may
     * hang on these beyond a few processes. */
#ifdef MPICH_VERSION
    if (size <= 3)
#endif
    {
        int rc = MPI_Gather(a, 4, MPI_INT, b, 2, MPI_INT, 0, MPI_COMM_WORLD);
        if (rank == 0)
            CHECK_CLASS(rc, MPI_ERR_TRUNCATE, "MPI_Gather, the root's blocks too small");
        rc = MPI_Scatter(a, 4, MPI_INT, b, 2, MPI_INT, 0, MPI_COMM_WORLD);
        if (rank == 0)
            CHECK_CLASS(rc, MPI_ERR_TRUNCATE, "MPI_Scatter, the root's own block too small");
        rc = MPI_Alltoall(a, 4, MPI_INT, b, 2, MPI_INT, MPI_COMM_WORLD);
        CHECK_CLASS(rc, MPI_ERR_TRUNCATE, "MPI_Alltoall, the receive blocks too small");
    }

    /* topologies */
    {
        int dims[2] = {size, 2}, periods[2] = {0, 0};
        CHECK_CLASS(MPI_Cart_create(MPI_COMM_WORLD, 2, dims, periods, 0, &c), MPI_ERR_ARG,
                    "MPI_Cart_create, twice the processes");
        CHECK_CLASS(MPI_Cart_map(MPI_COMM_WORLD, 2, dims, periods, &n), MPI_ERR_DIMS,
                    "MPI_Cart_map, twice the processes");
        CHECK_CLASS(MPI_Cart_create(MPI_COMM_WORLD, -1, dims, periods, 0, &c), MPI_ERR_ARG, "MPI_Cart_create ndims -1");
        CHECK_CLASS(MPI_Dims_create(-1, 2, dims), MPI_ERR_ARG, "MPI_Dims_create nnodes -1");
        CHECK_CLASS(MPI_Dims_create(4, -1, dims), MPI_ERR_ARG, "MPI_Dims_create ndims -1");
        CHECK_CLASS(MPI_Cart_sub(MPI_COMM_WORLD, periods, &c), MPI_ERR_TOPOLOGY, "MPI_Cart_sub without a grid");
#ifndef MPICH_VERSION
        /* MPICH 4.0 accepts these */
        int idx[1] = {0}, edges[1] = {0};
        dims[0] = -1;
        dims[1] = 1;
        CHECK_CLASS(MPI_Cart_create(MPI_COMM_WORLD, 2, dims, periods, 0, &c), MPI_ERR_DIMS, "MPI_Cart_create dims[0] -1");
        CHECK_CLASS(MPI_Graph_create(MPI_COMM_WORLD, -1, idx, edges, 0, &c), MPI_ERR_ARG, "MPI_Graph_create nnodes -1");
#endif
    }

    MPI_Type_free(&t);
    MPI_Group_free(&world);
    still_works(MPI_COMM_WORLD);
    {
        int one = 1, sum = 0;
        CHECK_RC(MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce after the errors");
        CHECK(sum == size, "MPI_Allreduce after the errors gave %d", sum);
    }
    return mtest_finalize(0);
}
