/* MPI_Get_version matches the header's MPI_VERSION and MPI_SUBVERSION, also before MPI_Init. */
#include "mtest.h"

int main(int argc, char **argv)
{
    int version = -1, subversion = -1;

    /* MPI_Get_version is one of the few calls allowed before MPI_Init. */
    CHECK_RC(MPI_Get_version(&version, &subversion), "MPI_Get_version before MPI_Init");
    CHECK(version == MPI_VERSION && subversion == MPI_SUBVERSION,
          "before MPI_Init: %d.%d, header says %d.%d", version, subversion, MPI_VERSION,
          MPI_SUBVERSION);

    MPI_Init(&argc, &argv);
    version = subversion = -1;
    CHECK_RC(MPI_Get_version(&version, &subversion), "MPI_Get_version");
    CHECK(version == MPI_VERSION && subversion == MPI_SUBVERSION, "%d.%d, header says %d.%d",
          version, subversion, MPI_VERSION, MPI_SUBVERSION);
    CHECK(version >= 1, "version %d", version);
    CHECK(version > 1 || subversion >= 2, "MPI %d.%d is older than 1.2", version, subversion);
    return mtest_finalize(0);
}
