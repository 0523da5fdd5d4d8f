/* Creating and freeing 100,000 communicators in a loop neither fails nor grows memory:
 * context ids come back when a communicator is freed. Mostly MPI_Comm_dup, with
 * MPI_Comm_split, MPI_Comm_create and an attribute every so often. Run at 2 or 4 processes. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include "check.h"

#ifndef ITERATIONS
#define ITERATIONS 100000
#endif
#define WARMUP 2000

/* Resident set size in kB, from /proc/self/statm (0 where there is none). */
static long rss_kb(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return resident * 4;
}

static int deletes;

static int count_delete(MPI_Comm comm, int keyval, void *value, void *extra)
{
    (void)comm;
    (void)keyval;
    (void)value;
    (void)extra;
    deletes++;
    return MPI_SUCCESS;
}

int main(int argc, char **argv)
{
    int rank, size, i, key, rc, attrs = 0;
    long before = 0;
    MPI_Comm c;
    MPI_Group world, g;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_group(MPI_COMM_WORLD, &world);
    int first[1] = {0};
    MPI_Group_incl(world, 1, first, &g);
    MPI_Keyval_create(MPI_DUP_FN, count_delete, &key, NULL);
    MPI_Attr_put(MPI_COMM_WORLD, key, (void *)(MPI_Aint)1);

    double t0 = MPI_Wtime();
    for (i = 0; i < ITERATIONS && check_errs == 0; i++) {
        if (i == WARMUP)
            before = rss_kb();
        switch (i % 100) {
        case 0:
            rc = MPI_Comm_split(MPI_COMM_WORLD, rank % 2, rank, &c);
            break;
        case 50:
            rc = MPI_Comm_create(MPI_COMM_WORLD, g, &c);
            break;
        default:
            rc = MPI_Comm_dup(MPI_COMM_WORLD, &c);
            attrs++;
            break;
        }
        CHECK(rc == MPI_SUCCESS, "iteration %d: creating failed with %d", i, rc);
        if (c != MPI_COMM_NULL) {
            rc = MPI_Comm_free(&c);
            CHECK(rc == MPI_SUCCESS, "iteration %d: MPI_Comm_free failed with %d", i, rc);
        }
    }
    double t = MPI_Wtime() - t0;
    long after = rss_kb();
    /* Each dup copied the attribute, and each free deleted the copy. */
    CHECK(deletes == attrs, "%d delete callbacks for %d copied attributes", deletes, attrs);
    CHECK(after - before < 4096, "memory grew by %ld kB over %d communicators", after - before, ITERATIONS - WARMUP);
    if (rank == 0 && getenv("MANY_VERBOSE"))
        printf("%d communicators in %.2f s, RSS %ld -> %ld kB\n", ITERATIONS, t, before, after);

    MPI_Attr_delete(MPI_COMM_WORLD, key);
    MPI_Keyval_free(&key);
    MPI_Group_free(&g);
    MPI_Group_free(&world);
    return check_finalize();
}
