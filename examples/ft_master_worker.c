/* Master/worker that survives the death of workers (BLANK + CONT), after the example in
 * Fagg & Dongarra's FT-MPI paper.  Rank 0 hands out work units and collects results; when a
 * worker dies, its next MPI_ANY_SOURCE receive returns MPI_ERR_OTHER with MPI_SOURCE naming
 * the dead worker, and the master gives that worker's unit to someone else.  Only the master
 * checks return codes: in CONT mode the others keep talking to it without any recovery.
 *
 * Build: mpicc ft_master_worker.c -o ft_master_worker
 * Run:   mpirun -cm blank -mm cont -np 4 ./ft_master_worker -k 2
 *        (-k R: worker R dies of SIGKILL while holding its second unit; or inject one:
 *         mpirun -cm blank -mm cont --inject kill:rank=2:after=0.05 -np 4 ./ft_master_worker) */
#include <mpi.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNITS 1000
#define WORK 300000
#define TAG_WORK 1
#define TAG_RESULT 2
#define TAG_STOP 3

static long long compute(int unit)
{
    long long s = 0;
    for (long long i = 0; i < WORK; i++)
        s += (((long long)unit * WORK + i) * 2654435761LL) % 1000003;
    return s;
}

static void master(int size)
{
    int queue[UNITS + 64], head = 0, tail = 0, done = 0;
    int assigned[1024], alive[1024];
    char finished[UNITS] = {0};
    long long result = 0, expect = 0;

    for (int u = 0; u < UNITS; u++)
        queue[tail++] = u;
    for (int w = 1; w < size; w++) {
        alive[w] = 1;
        assigned[w] = -1;
        if (head < tail) {
            assigned[w] = queue[head++];
            if (MPI_Send(&assigned[w], 1, MPI_INT, w, TAG_WORK, MPI_COMM_WORLD) != MPI_SUCCESS)
                queue[tail++] = assigned[w], assigned[w] = -1;
        }
    }
    while (done < UNITS) {
        long long msg[2];
        MPI_Status st;
        int rc = MPI_Recv(msg, 2, MPI_LONG_LONG, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
        int w = st.MPI_SOURCE, live = 0;

        if (rc == MPI_ERR_OTHER) {
            /* w has died: take its unit back. */
            printf("master: worker %d failed", w);
            alive[w] = 0;
            if (assigned[w] >= 0) {
                printf("; unit %d goes back to the queue", assigned[w]);
                queue[tail++] = assigned[w];
                assigned[w] = -1;
            }
            printf("\n");
            fflush(stdout);
        } else if (rc != MPI_SUCCESS) {
            fprintf(stderr, "master: MPI_Recv returned %d\n", rc);
            MPI_Abort(MPI_COMM_WORLD, 1);
        } else {
            /* A result sent just before its worker died may arrive after the failure
             * report, when its unit is already queued again: count each unit once. */
            int u = (int)msg[0];
            if (u >= 0 && u < UNITS && !finished[u]) {
                finished[u] = 1;
                result += msg[1];
                done++;
            }
            if (assigned[w] == u)
                assigned[w] = -1;
        }
        /* Keep every idle live worker busy; with none left, the master works itself. */
        for (int v = 1; v < size; v++) {
            live += alive[v];
            if (alive[v] && assigned[v] < 0 && head < tail) {
                assigned[v] = queue[head++];
                if (MPI_Send(&assigned[v], 1, MPI_INT, v, TAG_WORK, MPI_COMM_WORLD) !=
                    MPI_SUCCESS)
                    queue[tail++] = assigned[v], assigned[v] = -1, alive[v] = 0;
            }
        }
        while (live == 0 && head < tail) {
            int u = queue[head++];
            if (!finished[u]) {
                finished[u] = 1;
                result += compute(u);
                done++;
            }
        }
        if (tail >= UNITS + 64) {
            fprintf(stderr, "master: too many failures\n");
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
        /* Move queued units to the front when the queue is empty, so it never overflows. */
        if (head == tail)
            head = tail = 0;
    }
    for (int w = 1; w < size; w++)
        if (alive[w])
            MPI_Send(&done, 0, MPI_INT, w, TAG_STOP, MPI_COMM_WORLD);
    for (int u = 0; u < UNITS; u++)
        expect += compute(u);
    printf("master: result %lld, failure-free %lld: %s\n", result, expect,
           result == expect ? "result matches" : "RESULT DIFFERS");
}

static void worker(int rank, int victim)
{
    int unit, units = 0;
    MPI_Status st;

    for (;;) {
        MPI_Recv(&unit, 1, MPI_INT, 0, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
        if (st.MPI_TAG == TAG_STOP)
            break;
        long long msg[2] = {unit, compute(unit)};
        if (rank == victim && ++units == 2) {
            printf("worker %d: dying with unit %d\n", rank, unit);
            fflush(stdout);
            raise(SIGKILL);
        }
        MPI_Send(msg, 2, MPI_LONG_LONG, 0, TAG_RESULT, MPI_COMM_WORLD);
    }
}

int main(int argc, char **argv)
{
    int rank, size, victim = -1;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "-k") == 0)
            victim = atoi(argv[i + 1]);
    if (size < 2 || size > 1024) {
        if (rank == 0)
            fprintf(stderr, "run with 2 to 1024 ranks\n");
        MPI_Finalize();
        return 1;
    }
    if (rank == 0)
        master(size);
    else
        worker(rank, victim);
    MPI_Finalize();
    return 0;
}
