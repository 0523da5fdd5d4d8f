/*
 * An invalid request handle gives MPI_ERR_REQUEST: a communicator handle used
 * as a request in MPI_Wait, MPI_Test, MPI_Request_free, MPI_Cancel and
 * MPI_Start.  MPI_REQUEST_NULL, by contrast, is fine for MPI_Wait and MPI_Test.
 */
#include "errtest.h"

int main(int argc, char **argv)
{
    int flag;
    MPI_Request req;
    MPI_Status st;

    MPI_Init(&argc, &argv);
    CHECK_RC(MPI_Errhandler_set(MPI_COMM_WORLD, MPI_ERRORS_RETURN), "MPI_Errhandler_set");

    req = (MPI_Request)MPI_COMM_WORLD;
    CHECK_CLASS(MPI_Wait(&req, &st), MPI_ERR_REQUEST, "MPI_Wait");
    req = (MPI_Request)MPI_COMM_WORLD;
    CHECK_CLASS(MPI_Test(&req, &flag, &st), MPI_ERR_REQUEST, "MPI_Test");
    req = (MPI_Request)MPI_COMM_WORLD;
    CHECK_CLASS(MPI_Request_free(&req), MPI_ERR_REQUEST, "MPI_Request_free");
    req = (MPI_Request)MPI_COMM_WORLD;
    CHECK_CLASS(MPI_Cancel(&req), MPI_ERR_REQUEST, "MPI_Cancel");
    req = (MPI_Request)MPI_COMM_WORLD;
    CHECK_CLASS(MPI_Start(&req), MPI_ERR_REQUEST, "MPI_Start");

    req = MPI_REQUEST_NULL;
    CHECK_RC(MPI_Wait(&req, &st), "MPI_Wait(MPI_REQUEST_NULL)");
    CHECK_RC(MPI_Test(&req, &flag, &st), "MPI_Test(MPI_REQUEST_NULL)");
    CHECK(flag, "MPI_Test(MPI_REQUEST_NULL) flag 0");

    still_works(MPI_COMM_WORLD);
    return mtest_finalize(0);
}
