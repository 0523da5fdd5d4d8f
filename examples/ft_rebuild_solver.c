/* An iterative solver that survives the death of a rank (REBUILD), in FT-MPI's style: an
 * error handler longjmps to the recovery code, which repairs MPI_COMM_WORLD with
 * MPI_Comm_dup (the dead rank is respawned in its old place, where MPI_Init returns
 * MPI_INIT_RESTARTED_NODE), restores the last user-level checkpoint and goes on.
 *
 * The system: A x = b with A tridiagonal (4 on the diagonal, -1 beside it), rows split in
 * blocks over the ranks, solved by Jacobi iterations.  Every CKPT iterations each rank keeps
 * a copy of its block and sends one to its right neighbour, so a respawned rank gets its
 * block back from there.
 *
 * Build: mpicc ft_rebuild_solver.c -o ft_rebuild_solver -lm
 * Run:   mpirun -cm rebuild -mm nop -np 4 ./ft_rebuild_solver -k 1
 *        (-k R: rank R dies of SIGKILL at iteration 25; or --inject kill:rank=1:after=0.1) */
#include <mpi.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define M 2000            /* rows per rank */
#define CKPT 10
#define KILL_AT 25
#define TOL 1e-10
#define MAXIT 10000

static jmp_buf recover_here;
static int rank, size, left, right;
static double x[M + 2], xn[M + 2], b[M]; /* x[0] and x[M+1] are the neighbours' rows */
static double ck_mine[M], ck_left[M];    /* my checkpoint, and my left neighbour's */
static int it, ck_it;

static void on_error(MPI_Comm *comm, int *code, ...)
{
    char text[MPI_MAX_ERROR_STRING];
    int len;
    (void)comm;
    MPI_Error_string(*code, text, &len);
    printf("rank %d: %s; recovering\n", rank, text);
    fflush(stdout);
    longjmp(recover_here, 1);
}

static double exact(long i)
{
    return 1.0 + (double)(i % 17) / 16.0;
}

static void checkpoint(void)
{
    memcpy(ck_mine, x + 1, sizeof ck_mine);
    MPI_Sendrecv(ck_mine, M, MPI_DOUBLE, right, 1, ck_left, M, MPI_DOUBLE, left, 1,
                 MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    ck_it = it;
}

/* Everyone gets its checkpoint back; a respawned rank from its right neighbour. */
static void restore(int restarted)
{
    double got[M];
    int its[2] = {ck_it, -ck_it}, agreed[2];

    MPI_Sendrecv(ck_left, M, MPI_DOUBLE, left, 2, got, M, MPI_DOUBLE, right, 2, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
    if (restarted) {
        memcpy(ck_mine, got, sizeof ck_mine);
        its[0] = MAXIT + 1;
        its[1] = 0;
    }
    /* The respawned rank learns the iteration from the others. */
    MPI_Allreduce(its, agreed, 2, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    ck_it = agreed[0];
    if (agreed[0] != -agreed[1] && !restarted)
        printf("rank %d: checkpoints disagree (%d, %d)\n", rank, agreed[0], -agreed[1]);
    memcpy(x + 1, ck_mine, sizeof ck_mine);
    it = ck_it;
}

int main(int argc, char **argv)
{
    /* Changed after setjmp and read after longjmp, hence volatile. */
    volatile int restarted, recoveries = 0;
    int victim = -1;
    double err = 0, errmax = 0;
    MPI_Errhandler eh;
    MPI_Comm repaired;

    restarted = MPI_Init(&argc, &argv) == MPI_INIT_RESTARTED_NODE;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "-k") == 0)
            victim = atoi(argv[i + 1]);
    left = (rank + size - 1) % size;
    right = (rank + 1) % size;
    MPI_Errhandler_create(on_error, &eh);
    MPI_Errhandler_set(MPI_COMM_WORLD, eh);

    for (int i = 0; i < M; i++) {
        long g = (long)rank * M + i, n = (long)size * M;
        b[i] = 4 * exact(g) - (g > 0 ? exact(g - 1) : 0) - (g + 1 < n ? exact(g + 1) : 0);
        x[i + 1] = 0;
    }
    it = 0;
    if (restarted)
        printf("rank %d: restarted (MPI_INIT_RESTARTED_NODE)\n", rank);
    if (setjmp(recover_here) != 0 || restarted) {
        recoveries++;
        MPI_Comm_dup(MPI_COMM_WORLD, &repaired);
        MPI_Comm_free(&repaired);
        restore(restarted);
        restarted = 0;
        if (rank == 0)
            printf("rank 0: recovered; restarting from iteration %d\n", it);
    }
    for (; it < MAXIT; it++) {
        double local = 0, global = 0;
        int lo = rank > 0 ? rank - 1 : MPI_PROC_NULL, hi = rank + 1 < size ? rank + 1 : MPI_PROC_NULL;

        if (it % CKPT == 0)
            checkpoint();
        if (it == KILL_AT && rank == victim && recoveries == 0) {
            printf("rank %d: dying at iteration %d\n", rank, it);
            fflush(stdout);
            raise(SIGKILL);
        }
        x[0] = x[M + 1] = 0;
        MPI_Sendrecv(x + 1, 1, MPI_DOUBLE, lo, 3, x + M + 1, 1, MPI_DOUBLE, hi, 3, MPI_COMM_WORLD,
                     MPI_STATUS_IGNORE);
        MPI_Sendrecv(x + M, 1, MPI_DOUBLE, hi, 4, x, 1, MPI_DOUBLE, lo, 4, MPI_COMM_WORLD,
                     MPI_STATUS_IGNORE);
        for (int i = 1; i <= M; i++) {
            xn[i] = (b[i - 1] + x[i - 1] + x[i + 1]) / 4;
            local += (xn[i] - x[i]) * (xn[i] - x[i]);
        }
        memcpy(x + 1, xn + 1, M * sizeof(double));
        MPI_Allreduce(&local, &global, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
        if (global < TOL * TOL)
            break;
    }
    for (int i = 0; i < M; i++) {
        double d = x[i + 1] - exact((long)rank * M + i);
        if (d < 0)
            d = -d;
        if (d > err)
            err = d;
    }
    MPI_Reduce(&err, &errmax, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    if (rank == 0)
        printf("solved in %d iterations, %d recoveries at rank 0; max error %.3g: %s\n", it,
               recoveries, errmax, errmax < 1e-8 ? "result matches" : "RESULT DIFFERS");
    MPI_Errhandler_free(&eh);
    MPI_Finalize();
    return 0;
}
