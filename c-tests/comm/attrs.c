/* Attribute caching: copy and delete callbacks counted on MPI_Comm_dup, MPI_Comm_free,
 * MPI_Attr_put over an old value and MPI_Attr_delete; MPI_DUP_FN and MPI_NULL_COPY_FN;
 * the MPI-2 names; a keyval freed while attributes still use it; the predefined attributes;
 * bad keyvals through MPI_ERRORS_RETURN. Any size. */
#include <mpi.h>
#include "check.h"

static int copies, deletes, last_deleted;
static int state_token;

static int copy_fn(MPI_Comm oldcomm, int keyval, void *extra_state, void *in, void *out, int *flag)
{
    (void)oldcomm;
    (void)keyval;
    CHECK(extra_state == &state_token, "copy callback got extra_state %p", extra_state);
    copies++;
    /* The copy carries the value plus 1000. */
    *(MPI_Aint *)out = (MPI_Aint)in + 1000;
    *flag = 1;
    return MPI_SUCCESS;
}

static int delete_fn(MPI_Comm comm, int keyval, void *value, void *extra_state)
{
    int size;
    (void)keyval;
    CHECK(extra_state == &state_token, "delete callback got extra_state %p", extra_state);
    /* The communicator is still valid while its attributes are deleted. */
    CHECK(MPI_Comm_size(comm, &size) == MPI_SUCCESS, "MPI_Comm_size in a delete callback");
    deletes++;
    last_deleted = (int)(MPI_Aint)value;
    return MPI_SUCCESS;
}

static int err_class(int rc)
{
    int cls;
    MPI_Error_class(rc, &cls);
    return cls;
}

int main(int argc, char **argv)
{
    int rank, flag, key, key_dup, key_nocopy, key2;
    void *val;
    MPI_Comm a, b, c;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);

    MPI_Keyval_create(copy_fn, delete_fn, &key, &state_token);
    MPI_Keyval_create(MPI_DUP_FN, MPI_NULL_DELETE_FN, &key_dup, NULL);
    MPI_Keyval_create(MPI_NULL_COPY_FN, MPI_NULL_DELETE_FN, &key_nocopy, NULL);
    MPI_Comm_create_keyval(copy_fn, delete_fn, &key2, &state_token);
    CHECK(key != key_dup && key != key2 && key_dup != key_nocopy, "keyvals are not distinct");

    MPI_Comm_dup(MPI_COMM_WORLD, &a);
    MPI_Attr_get(a, key, &val, &flag);
    CHECK(!flag, "attribute set before it was put");
    MPI_Attr_put(a, key, (void *)(MPI_Aint)7);
    MPI_Attr_put(a, key_dup, (void *)(MPI_Aint)8);
    MPI_Attr_put(a, key_nocopy, (void *)(MPI_Aint)9);
    MPI_Comm_set_attr(a, key2, (void *)(MPI_Aint)10);
    MPI_Attr_get(a, key, &val, &flag);
    CHECK(flag && (MPI_Aint)val == 7, "get after put: flag %d value %ld", flag, (long)(MPI_Aint)val);
    MPI_Comm_get_attr(a, key2, &val, &flag);
    CHECK(flag && (MPI_Aint)val == 10, "MPI-2 get: flag %d value %ld", flag, (long)(MPI_Aint)val);

    /* Dup: the counting callback runs for key and key2, MPI_DUP_FN copies, MPI_NULL_COPY_FN
     * does not. */
    MPI_Comm_dup(a, &b);
    CHECK(copies == 2, "copy callbacks ran %d times, expected 2", copies);
    MPI_Attr_get(b, key, &val, &flag);
    CHECK(flag && (MPI_Aint)val == 1007, "copied value %ld", (long)(MPI_Aint)val);
    MPI_Attr_get(b, key_dup, &val, &flag);
    CHECK(flag && (MPI_Aint)val == 8, "MPI_DUP_FN value %ld", (long)(MPI_Aint)val);
    MPI_Attr_get(b, key_nocopy, &val, &flag);
    CHECK(!flag, "MPI_NULL_COPY_FN copied the attribute");
    MPI_Comm_get_attr(b, key2, &val, &flag);
    CHECK(flag && (MPI_Aint)val == 1010, "copied MPI-2 value %ld", (long)(MPI_Aint)val);

    /* Replacing a value deletes the old one; deleting runs the callback once. */
    MPI_Attr_put(b, key, (void *)(MPI_Aint)11);
    CHECK(deletes == 1 && last_deleted == 1007, "replace: %d deletes, last %d", deletes, last_deleted);
    MPI_Attr_delete(b, key);
    CHECK(deletes == 2 && last_deleted == 11, "delete: %d deletes, last %d", deletes, last_deleted);
    MPI_Attr_get(b, key, &val, &flag);
    CHECK(!flag, "attribute still there after MPI_Attr_delete");
    MPI_Comm_delete_attr(b, key2);
    CHECK(deletes == 3 && last_deleted == 1010, "MPI-2 delete: %d deletes, last %d", deletes, last_deleted);

    /* Free: the delete callbacks of what is left run (key and key2 on a). */
    MPI_Comm_free(&b);
    CHECK(deletes == 3, "freeing b ran %d deletes", deletes);
    MPI_Comm_dup(a, &c);
    CHECK(copies == 4, "copies %d", copies);
    /* The keyval goes, the attributes keep their callbacks. */
    MPI_Keyval_free(&key);
    CHECK(key == MPI_KEYVAL_INVALID, "freed keyval is not MPI_KEYVAL_INVALID");
    MPI_Comm_free(&a);
    CHECK(deletes == 5, "freeing a: %d deletes", deletes);
    MPI_Comm_free(&c);
    CHECK(deletes == 7, "freeing c: %d deletes", deletes);
    MPI_Comm_free_keyval(&key2);
    MPI_Keyval_free(&key_dup);
    MPI_Keyval_free(&key_nocopy);

    /* Predefined attributes: C gets a pointer to the value. */
    int *p;
    MPI_Attr_get(MPI_COMM_WORLD, MPI_TAG_UB, &p, &flag);
    CHECK(flag && *p >= 32767, "MPI_TAG_UB flag %d value %d", flag, flag ? *p : 0);
    MPI_Attr_get(MPI_COMM_WORLD, MPI_HOST, &p, &flag);
    CHECK(flag && (*p == MPI_PROC_NULL || *p >= 0), "MPI_HOST flag %d", flag);
    MPI_Attr_get(MPI_COMM_WORLD, MPI_IO, &p, &flag);
    CHECK(flag && (*p == MPI_ANY_SOURCE || *p == MPI_PROC_NULL || *p >= 0), "MPI_IO flag %d", flag);
    MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_WTIME_IS_GLOBAL, &p, &flag);
    CHECK(!flag || *p == 0 || *p == 1, "MPI_WTIME_IS_GLOBAL value %d", *p);

    /* Bad keyvals. */
    CHECK(err_class(MPI_Attr_get(MPI_COMM_WORLD, key, &val, &flag)) == MPI_ERR_KEYVAL, "get with MPI_KEYVAL_INVALID");
    CHECK(err_class(MPI_Attr_put(MPI_COMM_WORLD, MPI_TAG_UB, &val)) == MPI_ERR_KEYVAL, "put on MPI_TAG_UB");
    CHECK(err_class(MPI_Attr_delete(MPI_COMM_WORLD, MPI_TAG_UB)) == MPI_ERR_KEYVAL, "delete of MPI_TAG_UB");
    key = MPI_TAG_UB;
    CHECK(err_class(MPI_Keyval_free(&key)) == MPI_ERR_KEYVAL, "free of MPI_TAG_UB");
    CHECK(err_class(MPI_Attr_get(MPI_COMM_WORLD, 12345, &val, &flag)) == MPI_ERR_KEYVAL, "get with keyval 12345");

    return check_finalize();
}
