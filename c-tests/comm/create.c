/* MPI_Comm_create: members of the group get a communicator (ranked as in the group), the
 * others MPI_COMM_NULL; an empty group gives MPI_COMM_NULL everywhere. Bad arguments give
 * their error class through MPI_ERRORS_RETURN. The handle conversions are the identity. Any
 * size. */
#include <mpi.h>
#include <stdlib.h>
#include "check.h"

static int err_class(int rc)
{
    int cls;
    MPI_Error_class(rc, &cls);
    return cls;
}

int main(int argc, char **argv)
{
    int rank, size, n, r, i, result;
    MPI_Group world, odd_first, g;
    MPI_Comm c, empty;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_group(MPI_COMM_WORLD, &world);

    /* Every third rank, highest first. */
    int *ranks = malloc(sizeof(int) * size), m = 0;
    for (i = size - 1; i >= 0; i--)
        if (i % 3 == 0)
            ranks[m++] = i;
    MPI_Group_incl(world, m, ranks, &odd_first);
    MPI_Comm_create(MPI_COMM_WORLD, odd_first, &c);
    if (rank % 3 == 0) {
        CHECK(c != MPI_COMM_NULL, "member got MPI_COMM_NULL");
        MPI_Comm_size(c, &n);
        MPI_Comm_rank(c, &r);
        CHECK(n == m, "size %d, expected %d", n, m);
        CHECK(ranks[r] == rank, "rank %d is world rank %d, not %d", r, ranks[r], rank);
        MPI_Comm_group(c, &g);
        MPI_Group_compare(g, odd_first, &result);
        CHECK(result == MPI_IDENT, "group of the new communicator: %d", result);
        MPI_Group_free(&g);
        /* Pass a token around the new communicator. */
        int token = 0;
        if (r == 0) {
            if (n > 1) {
                MPI_Send(&token, 1, MPI_INT, 1, 0, c);
                MPI_Recv(&token, 1, MPI_INT, n - 1, 0, c, MPI_STATUS_IGNORE);
            }
            CHECK(token == n - 1, "token %d after the ring", token);
        } else {
            MPI_Recv(&token, 1, MPI_INT, r - 1, 0, c, MPI_STATUS_IGNORE);
            token++;
            MPI_Send(&token, 1, MPI_INT, (r + 1) % n, 0, c);
        }
        MPI_Comm_free(&c);
    } else {
        CHECK(c == MPI_COMM_NULL, "non-member got a communicator");
    }

    MPI_Comm_create(MPI_COMM_WORLD, MPI_GROUP_EMPTY, &empty);
    CHECK(empty == MPI_COMM_NULL, "the empty group gave a communicator");

    /* The whole world again: congruent. */
    MPI_Comm_create(MPI_COMM_WORLD, world, &c);
    MPI_Comm_compare(c, MPI_COMM_WORLD, &result);
    CHECK(result == MPI_CONGRUENT, "create(world) vs world: %d", result);
    MPI_Comm_free(&c);

    /* Bad arguments. */
    CHECK(err_class(MPI_Comm_create(MPI_COMM_WORLD, MPI_GROUP_NULL, &c)) == MPI_ERR_GROUP, "create with MPI_GROUP_NULL");
    CHECK(err_class(MPI_Comm_create(MPI_COMM_NULL, world, &c)) == MPI_ERR_COMM, "create on MPI_COMM_NULL");
    c = MPI_COMM_WORLD;
    CHECK(err_class(MPI_Comm_free(&c)) == MPI_ERR_COMM, "free of MPI_COMM_WORLD");
    CHECK(err_class(MPI_Comm_size((MPI_Comm)MPI_INT, &n)) == MPI_ERR_COMM, "size of a datatype handle");
    CHECK(err_class(MPI_Comm_dup(MPI_COMM_NULL, &c)) == MPI_ERR_COMM, "dup of MPI_COMM_NULL");

    /* Handle conversions. */
    CHECK(MPI_Comm_f2c(MPI_Comm_c2f(MPI_COMM_WORLD)) == MPI_COMM_WORLD, "comm f2c/c2f");
    CHECK(MPI_Group_f2c(MPI_Group_c2f(world)) == world, "group f2c/c2f");
    CHECK(MPI_Type_f2c(MPI_Type_c2f(MPI_INT)) == MPI_INT, "type f2c/c2f");
    CHECK(MPI_Op_f2c(MPI_Op_c2f(MPI_SUM)) == MPI_SUM, "op f2c/c2f");
    CHECK(MPI_Errhandler_f2c(MPI_Errhandler_c2f(MPI_ERRORS_RETURN)) == MPI_ERRORS_RETURN, "errhandler f2c/c2f");
    CHECK(MPI_Request_f2c(MPI_Request_c2f(MPI_REQUEST_NULL)) == MPI_REQUEST_NULL, "request f2c/c2f");

    MPI_Group_free(&odd_first);
    MPI_Group_free(&world);
    free(ranks);
    return check_finalize();
}
