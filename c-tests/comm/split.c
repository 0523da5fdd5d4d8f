/* MPI_Comm_split with several colors, keys that reverse the order, and MPI_UNDEFINED;
 * messages on the new communicators; MPI_Comm_compare; names. Any size. */
#include <mpi.h>
#include <string.h>
#include "check.h"

int main(int argc, char **argv)
{
    int rank, size, r, n, result, i;
    MPI_Comm byc, dup, all, none;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    /* Three colors, reversed order inside each. */
    int color = rank % 3;
    MPI_Comm_split(MPI_COMM_WORLD, color, size - rank, &byc);
    CHECK(byc != MPI_COMM_NULL, "split gave MPI_COMM_NULL");
    int members = 0, before_me = 0;
    for (i = 0; i < size; i++)
        if (i % 3 == color) {
            members++;
            if (i > rank)
                before_me++;
        }
    MPI_Comm_size(byc, &n);
    MPI_Comm_rank(byc, &r);
    CHECK(n == members, "color %d has %d members, expected %d", color, n, members);
    CHECK(r == before_me, "rank %d in color %d, expected %d", r, color, before_me);

    /* A ring inside each color: the neighbour is the world rank 3 above or below. */
    int right = (r + 1) % n, left = (r + n - 1) % n, got = -1;
    MPI_Status st;
    MPI_Sendrecv(&rank, 1, MPI_INT, right, 5, &got, 1, MPI_INT, left, 5, byc, &st);
    /* Rank 0 of a color is its highest world rank, so its left neighbour is the lowest. */
    int expect_left = (n == 1) ? rank : (r == 0 ? color : rank + 3);
    CHECK(got == expect_left, "left neighbour in color %d is world rank %d, expected %d", color, got, expect_left);
    CHECK(st.MPI_SOURCE == left, "status source %d, expected %d", st.MPI_SOURCE, left);

    /* Comparisons. */
    MPI_Comm_compare(byc, byc, &result);
    CHECK(result == MPI_IDENT, "comm vs itself: %d", result);
    MPI_Comm_dup(byc, &dup);
    MPI_Comm_compare(byc, dup, &result);
    CHECK(result == MPI_CONGRUENT, "comm vs dup: %d", result);
    MPI_Comm_compare(byc, MPI_COMM_WORLD, &result);
    CHECK(result == (size == 1 ? MPI_CONGRUENT : MPI_UNEQUAL), "split vs world: %d", result);

    /* One color, keys reverse the world: similar to MPI_COMM_WORLD. */
    MPI_Comm_split(MPI_COMM_WORLD, 7, -rank, &all);
    MPI_Comm_rank(all, &r);
    CHECK(r == size - 1 - rank, "reversed rank %d", r);
    MPI_Comm_compare(all, MPI_COMM_WORLD, &result);
    CHECK(result == (size == 1 ? MPI_CONGRUENT : MPI_SIMILAR), "reversed vs world: %d", result);

    /* Equal keys keep the old order. */
    MPI_Comm_free(&all);
    MPI_Comm_split(MPI_COMM_WORLD, 0, 0, &all);
    MPI_Comm_rank(all, &r);
    CHECK(r == rank, "equal keys: rank %d", r);
    MPI_Comm_compare(all, MPI_COMM_WORLD, &result);
    CHECK(result == MPI_CONGRUENT, "equal keys vs world: %d", result);

    /* MPI_UNDEFINED everywhere but rank 0. */
    MPI_Comm_split(MPI_COMM_WORLD, rank == 0 ? 0 : MPI_UNDEFINED, 0, &none);
    if (rank == 0) {
        CHECK(none != MPI_COMM_NULL, "rank 0 got MPI_COMM_NULL");
        MPI_Comm_size(none, &n);
        CHECK(n == 1, "size %d", n);
        MPI_Comm_free(&none);
    } else {
        CHECK(none == MPI_COMM_NULL, "MPI_UNDEFINED did not give MPI_COMM_NULL");
    }

    /* Names. */
    char name[MPI_MAX_OBJECT_NAME];
    int len;
    MPI_Comm_get_name(MPI_COMM_WORLD, name, &len);
    CHECK(strcmp(name, "MPI_COMM_WORLD") == 0 && len == 14, "world is called '%s' (%d)", name, len);
    MPI_Comm_get_name(dup, name, &len);
    CHECK(len == 0 && name[0] == 0, "a new communicator is called '%s'", name);
    MPI_Comm_set_name(dup, "colors");
    MPI_Comm_get_name(dup, name, &len);
    CHECK(strcmp(name, "colors") == 0 && len == 6, "named '%s' (%d)", name, len);

    MPI_Comm_free(&dup);
    CHECK(dup == MPI_COMM_NULL, "freed communicator is not MPI_COMM_NULL");
    MPI_Comm_free(&all);
    MPI_Comm_free(&byc);
    return check_finalize();
}
