/*
 * An error handler that longjmps, a thousand times over, without any failure: the handler
 * (MPI_Errhandler_create / MPI_Errhandler_set on a duplicate of MPI_COMM_WORLD) is called
 * for MPI_Send and MPI_Recv naming a rank that does not exist, MPI_Isend with a negative
 * tag and MPI_Bcast with an invalid root, and never returns.  Each error reaches the
 * handler once with the right class; afterwards the process has the same open descriptors
 * (/proc/self/fd) and point-to-point and collective calls still work (a lock left held
 * would deadlock them).
 */
#include "fttest.h"
#include <dirent.h>
#include <setjmp.h>

#define ROUNDS 1000

static jmp_buf jb;
static volatile int calls, last_class;

static void handler(MPI_Comm *comm, int *code, ...)
{
    (void)comm;
    int cls = -1;
    calls++;
    MPI_Error_class(*code, &cls);
    last_class = cls;
    longjmp(jb, 1);
}

static int count_fds(void)
{
    int k = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    while (readdir(d))
        k++;
    closedir(d);
    return k;
}

int main(int argc, char **argv)
{
    int rank, n, v = 1, sum = -1, fds0, fds1;
    MPI_Comm d;
    MPI_Errhandler eh;
    MPI_Request req = MPI_REQUEST_NULL;
    volatile int i, kind, escaped = 0, returned = 0;

    ft_init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    CHECK_RC(MPI_Comm_dup(MPI_COMM_WORLD, &d), "MPI_Comm_dup");
    CHECK_RC(MPI_Errhandler_create(handler, &eh), "MPI_Errhandler_create");
    CHECK_RC(MPI_Errhandler_set(d, eh), "MPI_Errhandler_set");

    fds0 = -1;
    for (kind = 0; kind < 4; kind++) {
        /* A few rounds first, so that anything allocated once is allocated. */
        for (i = -8; i < ROUNDS; i++) {
            if (i == 0 && kind == 0)
                fds0 = count_fds();
            if (setjmp(jb) == 0) {
                int j = i + 8;
                switch (kind) {
                case 0: MPI_Send(&v, 1, MPI_INT, n + j % 3, 0, d); break;
                case 1: MPI_Recv(&v, 1, MPI_INT, n + 1, 0, d, MPI_STATUS_IGNORE); break;
                case 2: MPI_Isend(&v, 1, MPI_INT, 0, -3 - j % 5, d, &req); break;
                default: MPI_Bcast(&v, 1, MPI_INT, -5 - j % 3, d); break;
                }
                returned++;
            } else {
                static const int want[4] = {MPI_ERR_RANK, MPI_ERR_RANK, MPI_ERR_TAG,
                                            MPI_ERR_ROOT};
                escaped++;
                if (last_class != want[kind] && escaped < 20)
                    CHECK(0, "kind %d: handler saw class %d, expected %d", kind, last_class,
                          want[kind]);
            }
        }
    }
    fds1 = count_fds();
    CHECK(returned == 0, "%d invalid calls returned to the caller", returned);
    CHECK(escaped == 4 * (ROUNDS + 8), "%d escapes by longjmp, expected %d", escaped,
          4 * (ROUNDS + 8));
    CHECK(calls == escaped, "handler called %d times, %d escapes", calls, escaped);
    CHECK(fds0 == fds1, "open descriptors: %d before, %d after %d longjmps", fds0, fds1,
          4 * ROUNDS);

    for (i = 0; i < 10; i++) {
        int to = (rank + 1) % n, from = (rank + n - 1) % n, got = -1;
        v = rank * 100 + i;
        CHECK_RC(MPI_Sendrecv(&v, 1, MPI_INT, to, 7, &got, 1, MPI_INT, from, 7, d,
                              MPI_STATUS_IGNORE),
                 "MPI_Sendrecv after the longjmps");
        CHECK(got == from * 100 + i, "received %d, expected %d", got, from * 100 + i);
    }
    v = 1;
    CHECK_RC(MPI_Allreduce(&v, &sum, 1, MPI_INT, MPI_SUM, d), "MPI_Allreduce after longjmps");
    CHECK(sum == n, "allreduce %d, expected %d", sum, n);
    MPI_Errhandler_free(&eh);
    MPI_Comm_free(&d);
    return ft_finish(MPI_COMM_WORLD);
}
