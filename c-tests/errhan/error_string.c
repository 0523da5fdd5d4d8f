/*
 * MPI_Error_string and MPI_Error_class for every error class of MPI-1.2: the
 * class of a class is itself, the text is non-empty, NUL-terminated, of
 * length resultlen < MPI_MAX_ERROR_STRING, and different classes have
 * different texts.  MPI_SUCCESS has a text too.  Codes returned by failing
 * calls map back to their class.
 */
#include "mtest.h"

static const struct { int cls; const char *name; } classes[] = {
    {MPI_SUCCESS, "MPI_SUCCESS"},           {MPI_ERR_BUFFER, "MPI_ERR_BUFFER"},
    {MPI_ERR_COUNT, "MPI_ERR_COUNT"},       {MPI_ERR_TYPE, "MPI_ERR_TYPE"},
    {MPI_ERR_TAG, "MPI_ERR_TAG"},           {MPI_ERR_COMM, "MPI_ERR_COMM"},
    {MPI_ERR_RANK, "MPI_ERR_RANK"},         {MPI_ERR_REQUEST, "MPI_ERR_REQUEST"},
    {MPI_ERR_ROOT, "MPI_ERR_ROOT"},         {MPI_ERR_GROUP, "MPI_ERR_GROUP"},
    {MPI_ERR_OP, "MPI_ERR_OP"},             {MPI_ERR_TOPOLOGY, "MPI_ERR_TOPOLOGY"},
    {MPI_ERR_DIMS, "MPI_ERR_DIMS"},         {MPI_ERR_ARG, "MPI_ERR_ARG"},
    {MPI_ERR_UNKNOWN, "MPI_ERR_UNKNOWN"},   {MPI_ERR_TRUNCATE, "MPI_ERR_TRUNCATE"},
    {MPI_ERR_OTHER, "MPI_ERR_OTHER"},       {MPI_ERR_INTERN, "MPI_ERR_INTERN"},
    {MPI_ERR_IN_STATUS, "MPI_ERR_IN_STATUS"}, {MPI_ERR_PENDING, "MPI_ERR_PENDING"},
};
#define NCLASSES ((int)(sizeof classes / sizeof classes[0]))

int main(int argc, char **argv)
{
    static char texts[NCLASSES][MPI_MAX_ERROR_STRING];

    MPI_Init(&argc, &argv);

    for (int c = 0; c < NCLASSES; c++) {
        int cls = -1, len = -1;
        char *s = texts[c];
        CHECK_RC(MPI_Error_class(classes[c].cls, &cls), "MPI_Error_class");
        CHECK(cls == classes[c].cls, "class of %s is %d", classes[c].name, cls);
        memset(s, 'z', MPI_MAX_ERROR_STRING);
        CHECK_RC(MPI_Error_string(classes[c].cls, s, &len), "MPI_Error_string");
        CHECK(len > 0 && len < MPI_MAX_ERROR_STRING, "%s: length %d", classes[c].name, len);
        if (len > 0 && len < MPI_MAX_ERROR_STRING) {
            CHECK(s[len] == '\0', "%s: text not NUL-terminated at resultlen", classes[c].name);
            CHECK((int)strlen(s) == len, "%s: strlen %zu, resultlen %d", classes[c].name,
                  strlen(s), len);
        }
        s[MPI_MAX_ERROR_STRING - 1] = '\0';
        for (int d = 0; d < c; d++)
            CHECK(strcmp(texts[d], s) != 0, "%s and %s have the same text \"%s\"",
                  classes[d].name, classes[c].name, s);
    }
    CHECK(MPI_ERR_LASTCODE >= MPI_ERR_PENDING, "MPI_ERR_LASTCODE %d", MPI_ERR_LASTCODE);

    /* Codes from real failures. */
    {
        int v = 0, rc, cls = -1, len = -1;
        char s[MPI_MAX_ERROR_STRING];
        MPI_Errhandler_set(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
        rc = MPI_Send(&v, 1, MPI_INT, 0, -3, MPI_COMM_WORLD);
        CHECK_RC(MPI_Error_class(rc, &cls), "MPI_Error_class(code)");
        CHECK(cls == MPI_ERR_TAG, "class %d of a bad-tag code", cls);
        CHECK_RC(MPI_Error_string(rc, s, &len), "MPI_Error_string(code)");
        CHECK(len > 0 && (int)strlen(s) == len, "text of a bad-tag code: length %d", len);
        MPI_Errhandler_set(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
    }
    return mtest_finalize(0);
}
