/*
 * An invalid error handler: MPI_Errhandler_set with MPI_ERRHANDLER_NULL or
 * with a datatype handle fails with MPI_ERR_ARG (what MPICH reports), and
 * MPI_Errhandler_get/set on an invalid communicator give MPI_ERR_COMM.  The
 * communicator keeps MPI_ERRORS_RETURN.
 */
#include "errtest.h"

int main(int argc, char **argv)
{
    MPI_Errhandler eh = MPI_ERRHANDLER_NULL;

    MPI_Init(&argc, &argv);
    CHECK_RC(MPI_Errhandler_set(MPI_COMM_WORLD, MPI_ERRORS_RETURN), "MPI_Errhandler_set");

    CHECK_CLASS(MPI_Errhandler_set(MPI_COMM_WORLD, MPI_ERRHANDLER_NULL), MPI_ERR_ARG,
                "MPI_Errhandler_set(MPI_ERRHANDLER_NULL)");
    CHECK_CLASS(MPI_Errhandler_set(MPI_COMM_WORLD, (MPI_Errhandler)MPI_INT), MPI_ERR_ARG,
                "MPI_Errhandler_set(MPI_INT)");
    CHECK_CLASS(MPI_Errhandler_set(MPI_COMM_NULL, MPI_ERRORS_RETURN), MPI_ERR_COMM,
                "MPI_Errhandler_set(MPI_COMM_NULL)");
    CHECK_CLASS(MPI_Errhandler_get(MPI_COMM_NULL, &eh), MPI_ERR_COMM,
                "MPI_Errhandler_get(MPI_COMM_NULL)");

    CHECK_RC(MPI_Errhandler_get(MPI_COMM_WORLD, &eh), "MPI_Errhandler_get");
    CHECK(eh == MPI_ERRORS_RETURN, "handler is %#x after the failed sets", (unsigned)eh);

    still_works(MPI_COMM_WORLD);
    return mtest_finalize(0);
}
