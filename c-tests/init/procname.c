/*
 * MPI_Get_processor_name: a non-empty NUL-terminated name whose length is
 * resultlen, shorter than MPI_MAX_PROCESSOR_NAME, the same on repeated calls.
 * All ranks run on this one machine, so rank 0 also checks that they agree.
 */
#include "mtest.h"

int main(int argc, char **argv)
{
    char name[MPI_MAX_PROCESSOR_NAME], again[MPI_MAX_PROCESSOR_NAME];
    int len = -1, len2 = -1, rank, size;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    memset(name, 'x', sizeof name);
    CHECK_RC(MPI_Get_processor_name(name, &len), "MPI_Get_processor_name");
    CHECK(len > 0 && len < MPI_MAX_PROCESSOR_NAME, "resultlen %d", len);
    if (len > 0 && len < MPI_MAX_PROCESSOR_NAME) {
        CHECK(name[len] == '\0', "name not NUL-terminated at resultlen %d", len);
        CHECK((int)strlen(name) == len, "strlen %zu but resultlen %d", strlen(name), len);
    }
    name[MPI_MAX_PROCESSOR_NAME - 1] = '\0';

    CHECK_RC(MPI_Get_processor_name(again, &len2), "MPI_Get_processor_name again");
    CHECK(len2 == len && strcmp(name, again) == 0, "second call gave \"%s\" (%d), first \"%s\" (%d)",
          again, len2, name, len);

    if (rank == 0) {
        for (int i = 1; i < size; i++) {
            char theirs[MPI_MAX_PROCESSOR_NAME];
            MPI_Status st;
            int n = -1;
            MPI_Recv(theirs, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, i, 3, MPI_COMM_WORLD, &st);
            MPI_Get_count(&st, MPI_CHAR, &n);
            CHECK(n == len + 1, "rank %d sent a name of %d chars with NUL, ours has %d", i, n,
                  len + 1);
            theirs[MPI_MAX_PROCESSOR_NAME - 1] = '\0';
            CHECK(strcmp(theirs, name) == 0, "rank %d runs on \"%s\", rank 0 on \"%s\"", i,
                  theirs, name);
        }
    } else {
        MPI_Send(name, len + 1, MPI_CHAR, 0, 3, MPI_COMM_WORLD);
    }
    return mtest_finalize(0);
}
