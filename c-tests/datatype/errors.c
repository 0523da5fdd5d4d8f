/*
 * Bad datatype arguments give the right error class through the error handler, and nothing
 * breaks: uncommitted types in communication and packing, negative counts and block
 * lengths, null and wrong-kind handles, freeing a predefined type; with ftmpi also a freed
 * handle and overflowing pack buffers (MPICH does not check those).
 */
#include "dtcheck.h"

static int handler_calls, handler_code;

static void record(MPI_Comm *comm, int *code, ...)
{
    (void)comm;
    handler_calls++;
    handler_code = *code;
}

static void expect_class(int rc, int want, const char *what)
{
    int cls = -1;
    if (rc != MPI_SUCCESS)
        MPI_Error_class(rc, &cls);
    CHECK(rc != MPI_SUCCESS && cls == want, "%s: error class %d (rc %d), expected %d", what, cls, rc, want);
}

int main(int argc, char **argv)
{
    int rank, size, buf[64] = {0}, pos;
    char packed[64];
    MPI_Datatype t, u, freed;
    MPI_Request rq;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int peer = (rank + 1) % size;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);

    /* an uncommitted type */
    MPI_Type_vector(2, 1, 2, MPI_INT, &t);
    expect_class(MPI_Send(buf, 1, t, peer, 0, MPI_COMM_WORLD), MPI_ERR_TYPE, "send, uncommitted");
    expect_class(MPI_Irecv(buf, 1, t, peer, 0, MPI_COMM_WORLD, &rq), MPI_ERR_TYPE, "irecv, uncommitted");
    pos = 0;
    expect_class(MPI_Pack(buf, 1, t, packed, sizeof(packed), &pos, MPI_COMM_WORLD), MPI_ERR_TYPE, "pack, uncommitted");
    pos = 0;
    expect_class(MPI_Unpack(packed, sizeof(packed), &pos, buf, 1, t, MPI_COMM_WORLD), MPI_ERR_TYPE,
                 "unpack, uncommitted");

    /* a user handler sees the same error */
    MPI_Errhandler eh;
    MPI_Comm_create_errhandler(record, &eh);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, eh);
    int rc = MPI_Send(buf, 1, t, peer, 0, MPI_COMM_WORLD);
    CHECK(handler_calls == 1 && handler_code == rc, "handler called %d times with %d (rc %d)", handler_calls,
          handler_code, rc);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Errhandler_free(&eh);

    /* negative counts and block lengths */
    int bl[2] = {1, -1}, disp[2] = {0, 4};
    expect_class(MPI_Type_contiguous(-1, MPI_INT, &u), MPI_ERR_COUNT, "contiguous(-1)");
    expect_class(MPI_Type_vector(-3, 1, 2, MPI_INT, &u), MPI_ERR_COUNT, "vector(count -3)");
    expect_class(MPI_Type_vector(3, -1, 2, MPI_INT, &u), MPI_ERR_COUNT, "vector(blocklength -1)");
    expect_class(MPI_Type_indexed(2, bl, disp, MPI_INT, &u), MPI_ERR_COUNT, "indexed(blocklength -1)");
    expect_class(MPI_Type_indexed(-2, bl, disp, MPI_INT, &u), MPI_ERR_COUNT, "indexed(count -2)");
    expect_class(MPI_Send(buf, -1, MPI_INT, peer, 0, MPI_COMM_WORLD), MPI_ERR_COUNT, "send(count -1)");

    /* null and wrong-kind handles, predefined types */
    expect_class(MPI_Type_vector(2, 1, 2, MPI_DATATYPE_NULL, &u), MPI_ERR_TYPE, "vector of MPI_DATATYPE_NULL");
    expect_class(MPI_Type_contiguous(2, (MPI_Datatype)MPI_COMM_WORLD, &u), MPI_ERR_TYPE, "contiguous of a communicator");
    expect_class(MPI_Send(buf, 1, MPI_DATATYPE_NULL, peer, 0, MPI_COMM_WORLD), MPI_ERR_TYPE, "send MPI_DATATYPE_NULL");
    u = MPI_INT;
    expect_class(MPI_Type_free(&u), MPI_ERR_TYPE, "free MPI_INT");
    CHECK(u == MPI_INT, "a failed free changed the handle to %#x", (unsigned)u);
    u = MPI_DATATYPE_NULL;
    expect_class(MPI_Type_free(&u), MPI_ERR_TYPE, "free MPI_DATATYPE_NULL");

    if (dt_is_ftmpi()) {
        /* a freed handle is refused everywhere */
        MPI_Type_contiguous(2, MPI_INT, &freed);
        MPI_Type_commit(&freed);
        u = freed;
        MPI_Type_free(&u);
        int s;
        expect_class(MPI_Send(buf, 1, freed, peer, 0, MPI_COMM_WORLD), MPI_ERR_TYPE, "send with a freed type");
        expect_class(MPI_Type_size(freed, &s), MPI_ERR_TYPE, "size of a freed type");
        expect_class(MPI_Type_commit(&freed), MPI_ERR_TYPE, "commit a freed type");
        expect_class(MPI_Type_free(&freed), MPI_ERR_TYPE, "free a freed type");
        expect_class(MPI_Type_vector(2, 1, 2, freed, &u), MPI_ERR_TYPE, "vector of a freed type");
        /* packing past the end of a buffer */
        MPI_Type_commit(&t);
        pos = 60;
        expect_class(MPI_Pack(buf, 1, t, packed, sizeof(packed), &pos, MPI_COMM_WORLD), MPI_ERR_TRUNCATE,
                     "pack past the end");
        CHECK(pos == 60, "a failed pack moved the position to %d", pos);
        pos = 60;
        expect_class(MPI_Unpack(packed, sizeof(packed), &pos, buf, 1, t, MPI_COMM_WORLD), MPI_ERR_TRUNCATE,
                     "unpack past the end");
    }

    /* everything still works */
    MPI_Type_commit(&t);
    int out[4] = {rank, -1, rank + 10, -1}, in[4] = {-5, -5, -5, -5};
    MPI_Sendrecv(out, 1, t, peer, 9, in, 1, t, (rank - 1 + size) % size, 9, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    int from = (rank - 1 + size) % size;
    CHECK(in[0] == from && in[1] == -5 && in[2] == from + 10 && in[3] == -5, "after the errors: %d %d %d %d", in[0],
          in[1], in[2], in[3]);
    MPI_Type_free(&t);
    return dt_finish();
}
