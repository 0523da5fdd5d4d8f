/*
 * MPI-1 error handlers: MPI_Errhandler_create with a user function,
 * MPI_Errhandler_set, MPI_Errhandler_get and MPI_Errhandler_free.
 *
 * MPI_COMM_WORLD starts with MPI_ERRORS_ARE_FATAL.  A user handler set on a
 * duplicate of it is called with that communicator and the error code of a
 * failing call (a send to a rank that does not exist), and the call then
 * returns the code.  Freeing the handler while the communicator uses it
 * keeps it working.  MPI_ERRORS_RETURN makes calls return codes silently.
 * A duplicated communicator inherits its parent's handler.
 */
#include "mtest.h"

static int calls;
static int last_code;
static MPI_Comm last_comm;

static void handler(MPI_Comm *comm, int *code, ...)
{
    calls++;
    last_code = *code;
    last_comm = *comm;
}

int main(int argc, char **argv)
{
    int rank, size, rc, v = 1;
    MPI_Comm dup, dup2;
    MPI_Errhandler eh = MPI_ERRHANDLER_NULL, got = MPI_ERRHANDLER_NULL;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    CHECK_RC(MPI_Errhandler_get(MPI_COMM_WORLD, &got), "MPI_Errhandler_get(WORLD)");
    CHECK(got == MPI_ERRORS_ARE_FATAL, "MPI_COMM_WORLD starts with handler %#x", (unsigned)got);

    CHECK_RC(MPI_Comm_dup(MPI_COMM_WORLD, &dup), "MPI_Comm_dup");
    CHECK_RC(MPI_Errhandler_create(handler, &eh), "MPI_Errhandler_create");
    CHECK(eh != MPI_ERRHANDLER_NULL, "MPI_Errhandler_create gave MPI_ERRHANDLER_NULL");
    CHECK_RC(MPI_Errhandler_set(dup, eh), "MPI_Errhandler_set");
    CHECK_RC(MPI_Errhandler_get(dup, &got), "MPI_Errhandler_get");
    CHECK(got == eh, "MPI_Errhandler_get gave %#x, set %#x", (unsigned)got, (unsigned)eh);
    /* MPI_Errhandler_get returned a reference of its own. */
    CHECK_RC(MPI_Errhandler_free(&got), "MPI_Errhandler_free(got)");

    /* The user handler sees the communicator and the code, and the call returns the code. */
    rc = MPI_Send(&v, 1, MPI_INT, size, 0, dup);
    CHECK(calls == 1, "handler called %d times", calls);
    CHECK(rc != MPI_SUCCESS, "bad send returned MPI_SUCCESS");
    CHECK(last_code == rc, "handler saw code %d, call returned %d", last_code, rc);
    CHECK(last_comm == dup, "handler saw communicator %#x, not %#x", (unsigned)last_comm,
          (unsigned)dup);
    CHECK(mtest_class(last_code) == MPI_ERR_RANK, "handler saw class %d", mtest_class(last_code));

    /* Freed while in use: still attached, still called. */
    CHECK_RC(MPI_Errhandler_free(&eh), "MPI_Errhandler_free");
    CHECK(eh == MPI_ERRHANDLER_NULL, "MPI_Errhandler_free left %#x", (unsigned)eh);
    rc = MPI_Send(&v, -1, MPI_INT, 0, 0, dup);
    CHECK(calls == 2, "handler called %d times after free", calls);
    CHECK(mtest_class(last_code) == MPI_ERR_COUNT, "handler saw class %d for a negative count",
          mtest_class(last_code));

    /* A duplicate inherits the handler. */
    CHECK_RC(MPI_Comm_dup(dup, &dup2), "MPI_Comm_dup(dup)");
    rc = MPI_Send(&v, 1, MPI_INT, 0, -5, dup2);
    CHECK(calls == 3, "handler on the duplicate called %d times", calls);
    CHECK(last_comm == dup2, "handler saw communicator %#x, not the duplicate %#x",
          (unsigned)last_comm, (unsigned)dup2);
    CHECK(mtest_class(rc) == MPI_ERR_TAG, "class %d for a negative tag", mtest_class(rc));

    /* MPI_ERRORS_RETURN: no handler call, the code is returned. */
    CHECK_RC(MPI_Errhandler_set(dup2, MPI_ERRORS_RETURN), "MPI_Errhandler_set(RETURN)");
    MPI_Errhandler_get(dup2, &got);
    CHECK(got == MPI_ERRORS_RETURN, "MPI_Errhandler_get gave %#x after setting MPI_ERRORS_RETURN",
          (unsigned)got);
    rc = MPI_Send(&v, 1, MPI_INT, size + 3, 0, dup2);
    CHECK(calls == 3, "handler called after MPI_ERRORS_RETURN was set");
    CHECK(mtest_class(rc) == MPI_ERR_RANK, "MPI_ERRORS_RETURN: class %d", mtest_class(rc));

    /* The parent keeps its own handler; MPI_COMM_WORLD is untouched. */
    rc = MPI_Send(&v, 1, MPI_INT, size, 0, dup);
    CHECK(calls == 4, "parent's handler not called (%d)", calls);
    MPI_Errhandler_get(MPI_COMM_WORLD, &got);
    CHECK(got == MPI_ERRORS_ARE_FATAL, "MPI_COMM_WORLD's handler changed to %#x", (unsigned)got);

    /* Setting MPI_ERRORS_ARE_FATAL back works, and good calls don't invoke handlers. */
    CHECK_RC(MPI_Errhandler_set(dup, MPI_ERRORS_ARE_FATAL), "MPI_Errhandler_set(FATAL)");
    MPI_Errhandler_get(dup, &got);
    CHECK(got == MPI_ERRORS_ARE_FATAL, "handler %#x after setting MPI_ERRORS_ARE_FATAL",
          (unsigned)got);
    {
        int w = -1;
        MPI_Sendrecv(&rank, 1, MPI_INT, rank, 0, &w, 1, MPI_INT, rank, 0, dup, MPI_STATUS_IGNORE);
        CHECK(w == rank, "sendrecv on dup gave %d", w);
    }

    MPI_Comm_free(&dup2);
    MPI_Comm_free(&dup);
    return mtest_finalize(0);
}
