/* MPI_Finalize deletes the attributes of MPI_COMM_SELF first (MPI-2.2 section 8.7.1), most
 * recently set first, while MPI calls still work. Any size. */
#include <mpi.h>
#include <stdio.h>

static int order[2], ndeleted, bad;

static int delete_fn(MPI_Comm comm, int keyval, void *value, void *extra)
{
    int flag;
    (void)keyval;
    (void)extra;
    MPI_Finalized(&flag);
    if (flag || comm != MPI_COMM_SELF)
        bad++;
    if (ndeleted < 2)
        order[ndeleted] = (int)(MPI_Aint)value;
    ndeleted++;
    return MPI_SUCCESS;
}

int main(int argc, char **argv)
{
    int rank, k1, k2;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, delete_fn, &k1, NULL);
    MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, delete_fn, &k2, NULL);
    MPI_Comm_set_attr(MPI_COMM_SELF, k1, (void *)(MPI_Aint)1);
    MPI_Comm_set_attr(MPI_COMM_SELF, k2, (void *)(MPI_Aint)2);
    MPI_Comm_free_keyval(&k1);
    MPI_Comm_free_keyval(&k2);
    MPI_Finalize();

    if (ndeleted != 2 || order[0] != 2 || order[1] != 1 || bad) {
        printf("[%d] %d deletes, order %d %d, %d bad calls\n", rank, ndeleted, order[0], order[1], bad);
        return 1;
    }
    if (rank == 0)
        printf(" No Errors\n");
    return 0;
}
