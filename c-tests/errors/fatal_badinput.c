/*
 * Bad input under the default handler, MPI_ERRORS_ARE_FATAL: the job ends, and (with
 * ftmpi) the message names the call and the class. The case is the first argument:
 * group, op, keyval, type, root, count, cart, intercomm.
 */
#include <mpi.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    int rank, size, n, a[8] = {0}, b[8];
    const char *what = argc > 1 ? argv[1] : "";
    MPI_Comm c;
    MPI_Datatype t;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (!strcmp(what, "group")) {
        MPI_Group_size(MPI_GROUP_NULL, &n);
    } else if (!strcmp(what, "op")) {
        MPI_Allreduce(a, b, 1, MPI_INT, MPI_OP_NULL, MPI_COMM_WORLD);
    } else if (!strcmp(what, "keyval")) {
        MPI_Attr_put(MPI_COMM_WORLD, MPI_KEYVAL_INVALID, a);
    } else if (!strcmp(what, "type")) {
        MPI_Type_contiguous(2, MPI_INT, &t);
        MPI_Bcast(a, 1, t, 0, MPI_COMM_WORLD);
    } else if (!strcmp(what, "root")) {
        MPI_Reduce(a, b, 1, MPI_INT, MPI_SUM, size, MPI_COMM_WORLD);
    } else if (!strcmp(what, "count")) {
        MPI_Type_vector(-1, 1, 2, MPI_INT, &t);
    } else if (!strcmp(what, "cart")) {
        int dims[1] = {size + 1}, periods[1] = {0};
        MPI_Cart_create(MPI_COMM_WORLD, 1, dims, periods, 0, &c);
    } else if (!strcmp(what, "intercomm")) {
        MPI_Comm local, inter;
        if (size < 2) {
            printf("needs 2 processes\n");
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
        MPI_Comm_split(MPI_COMM_WORLD, rank % 2, rank, &local);
        MPI_Intercomm_create(local, 0, MPI_COMM_WORLD, rank % 2 ? 0 : 1, 5, &inter);
        MPI_Barrier(inter);
    } else {
        printf("unknown case \"%s\"\n", what);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    printf("the bad call returned\n");
    MPI_Finalize();
    return 0;
}
