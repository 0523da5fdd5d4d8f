/* Group algebra: sizes and ranks, incl/excl, ranges, set operations, comparison, rank
 * translation, MPI_GROUP_EMPTY, and bad arguments through MPI_ERRORS_RETURN. Any size. */
#include <mpi.h>
#include <stdlib.h>
#include "../comm/check.h"

static int err_class(int rc)
{
    int cls;
    MPI_Error_class(rc, &cls);
    return cls;
}

int main(int argc, char **argv)
{
    int rank, size, n, r, i, result;
    MPI_Group world, evens, odds, u, inter, diff, g;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);

    MPI_Comm_group(MPI_COMM_WORLD, &world);
    MPI_Group_size(world, &n);
    CHECK(n == size, "world group size %d, expected %d", n, size);
    MPI_Group_rank(world, &r);
    CHECK(r == rank, "world group rank %d, expected %d", r, rank);

    /* Even ranks by incl, odd ranks by excl of the evens. */
    int neven = (size + 1) / 2;
    int *ev = malloc(sizeof(int) * size), *out = malloc(sizeof(int) * size);
    for (i = 0; i < neven; i++)
        ev[i] = 2 * i;
    MPI_Group_incl(world, neven, ev, &evens);
    MPI_Group_excl(world, neven, ev, &odds);
    MPI_Group_size(evens, &n);
    CHECK(n == neven, "evens size %d", n);
    MPI_Group_size(odds, &n);
    CHECK(n == size - neven, "odds size %d", n);
    MPI_Group_rank(evens, &r);
    CHECK(r == (rank % 2 == 0 ? rank / 2 : MPI_UNDEFINED), "rank in evens %d", r);
    MPI_Group_rank(odds, &r);
    CHECK(r == (rank % 2 == 1 ? rank / 2 : MPI_UNDEFINED), "rank in odds %d", r);

    /* The same groups by ranges. */
    int rng[1][3] = {{0, size - 1, 2}};
    MPI_Group_range_incl(world, 1, rng, &g);
    MPI_Group_compare(g, evens, &result);
    CHECK(result == MPI_IDENT, "range_incl vs incl: %d", result);
    MPI_Group_free(&g);
    MPI_Group_range_excl(world, 1, rng, &g);
    MPI_Group_compare(g, odds, &result);
    CHECK(result == MPI_IDENT, "range_excl vs excl: %d", result);
    MPI_Group_free(&g);

    /* Reverse order: similar, not identical (when there are two or more). */
    int rev[1][3] = {{size - 1, 0, -1}};
    MPI_Group_range_incl(world, 1, rev, &g);
    MPI_Group_compare(g, world, &result);
    CHECK(result == (size > 1 ? MPI_SIMILAR : MPI_IDENT), "reversed vs world: %d", result);
    MPI_Group_rank(g, &r);
    CHECK(r == size - 1 - rank, "rank in reversed %d", r);
    for (i = 0; i < size; i++)
        ev[i] = i;
    MPI_Group_translate_ranks(world, size, ev, g, out);
    for (i = 0; i < size; i++)
        CHECK(out[i] == size - 1 - i, "translate %d -> %d", i, out[i]);
    MPI_Group_free(&g);

    /* Set operations. */
    MPI_Group_union(odds, evens, &u);
    MPI_Group_size(u, &n);
    CHECK(n == size, "union size %d", n);
    MPI_Group_compare(u, world, &result);
    CHECK(result == (size > 1 ? MPI_SIMILAR : MPI_IDENT), "odds+evens vs world: %d", result);
    MPI_Group_rank(u, &r);
    CHECK(r == (rank % 2 ? rank / 2 : size / 2 + rank / 2), "rank in odds+evens %d", r);
    MPI_Group_intersection(evens, odds, &inter);
    CHECK(inter == MPI_GROUP_EMPTY, "evens & odds is not MPI_GROUP_EMPTY");
    MPI_Group_intersection(world, evens, &g);
    MPI_Group_compare(g, evens, &result);
    CHECK(result == MPI_IDENT, "world & evens vs evens: %d", result);
    MPI_Group_free(&g);
    MPI_Group_difference(world, odds, &diff);
    MPI_Group_compare(diff, evens, &result);
    CHECK(result == MPI_IDENT, "world - odds vs evens: %d", result);
    MPI_Group_difference(world, world, &g);
    CHECK(g == MPI_GROUP_EMPTY, "world - world is not MPI_GROUP_EMPTY");

    /* Translation to a group the process is not in, and MPI_PROC_NULL (MPICH turns that into
     * MPI_UNDEFINED when the second group is empty, so only with two or more processes). */
    if (size > 1) {
        ev[0] = 0;
        ev[1] = MPI_PROC_NULL;
        MPI_Group_translate_ranks(evens, 2, ev, odds, out);
        CHECK(out[0] == MPI_UNDEFINED && out[1] == MPI_PROC_NULL, "translate to odds: %d %d", out[0], out[1]);
    }

    /* MPI_GROUP_EMPTY. */
    MPI_Group_size(MPI_GROUP_EMPTY, &n);
    CHECK(n == 0, "MPI_GROUP_EMPTY size %d", n);
    MPI_Group_rank(MPI_GROUP_EMPTY, &r);
    CHECK(r == MPI_UNDEFINED, "MPI_GROUP_EMPTY rank %d", r);
    MPI_Group_incl(world, 0, ev, &g);
    MPI_Group_compare(g, MPI_GROUP_EMPTY, &result);
    CHECK(result == MPI_IDENT, "incl of nothing vs MPI_GROUP_EMPTY: %d", result);
    MPI_Group_free(&g);
    CHECK(g == MPI_GROUP_NULL, "freed group is not MPI_GROUP_NULL");

    /* Bad arguments: the error class, no crash. */
    CHECK(err_class(MPI_Group_size(MPI_GROUP_NULL, &n)) == MPI_ERR_GROUP, "size of MPI_GROUP_NULL");
    CHECK(err_class(MPI_Group_size((MPI_Group)MPI_COMM_WORLD, &n)) == MPI_ERR_GROUP, "size of a communicator handle");
    ev[0] = size;
    CHECK(err_class(MPI_Group_incl(world, 1, ev, &g)) == MPI_ERR_RANK, "incl of rank %d", size);
    int zero[1][3] = {{0, size - 1, 0}};
    CHECK(err_class(MPI_Group_range_incl(world, 1, zero, &g)) == MPI_ERR_ARG, "range with stride 0");
    MPI_Group_free(&evens);
    CHECK(err_class(MPI_Group_free(&evens)) == MPI_ERR_GROUP, "free of MPI_GROUP_NULL");

    MPI_Group_free(&odds);
    MPI_Group_free(&u);
    MPI_Group_free(&diff);
    MPI_Group_free(&world);
    free(ev);
    free(out);
    return check_finalize();
}
