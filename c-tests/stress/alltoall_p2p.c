/*
 * All-to-all point-to-point traffic: for several rounds every rank sends a
 * message to every rank (itself included) and receives one from each, with
 * sizes that vary by round and pair (some over the eager limit), using a
 * different completion style per round: Irecv/Isend/Waitall, Sendrecv in a
 * shifted order, ANY_SOURCE receives with Waitany, and Issend with Testsome.
 * Every payload is checked.  Meant to run with many ranks on few cores.
 */
#include "mtest.h"

#define ROUNDS 8

static int len_of(int round, int src, int dst)
{
    int x = (round * 7 + src * 13 + dst * 5) % 11;
    return x == 0 ? 0 : x == 10 ? 70000 + src : 1 << x;
}

static int seed_of(int round, int src, int dst)
{
    return round * 1000 + src * 31 + dst;
}

int main(int argc, char **argv)
{
    int rank, size;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    for (int round = 0; round < ROUNDS; round++) {
        unsigned char **sb = malloc(sizeof(void *) * (size_t)size);
        unsigned char **rb = malloc(sizeof(void *) * (size_t)size);
        MPI_Request *reqs = malloc(sizeof(MPI_Request) * 2 * (size_t)size);
        MPI_Status *sts = malloc(sizeof(MPI_Status) * 2 * (size_t)size);
        int style = round % 4, tag = round;

        for (int p = 0; p < size; p++) {
            int ls = len_of(round, rank, p), lr = len_of(round, p, rank);
            sb[p] = malloc((size_t)ls + 1);
            rb[p] = malloc((size_t)lr + 1);
            mtest_fill(sb[p], (size_t)ls, seed_of(round, rank, p));
            memset(rb[p], 0, (size_t)lr + 1);
        }

        if (style == 0) {
            for (int d = 0; d < size; d++) {
                int p = (rank - d + size) % size;
                MPI_Irecv(rb[p], len_of(round, p, rank), MPI_BYTE, p, tag, MPI_COMM_WORLD,
                          &reqs[p]);
            }
            for (int d = 0; d < size; d++) {
                int p = (rank + d) % size;
                MPI_Isend(sb[p], len_of(round, rank, p), MPI_BYTE, p, tag, MPI_COMM_WORLD,
                          &reqs[size + p]);
            }
            CHECK_RC(MPI_Waitall(2 * size, reqs, sts), "MPI_Waitall");
        } else if (style == 1) {
            for (int d = 0; d < size; d++) {
                int to = (rank + d) % size, from = (rank - d + size) % size;
                CHECK_RC(MPI_Sendrecv(sb[to], len_of(round, rank, to), MPI_BYTE, to, tag,
                                      rb[from], len_of(round, from, rank), MPI_BYTE, from, tag,
                                      MPI_COMM_WORLD, &sts[from]),
                         "MPI_Sendrecv");
            }
        } else if (style == 2) {
            /* Wildcard receives: probe to learn the source, then receive into its buffer. */
            for (int d = 0; d < size; d++) {
                int p = (rank + d) % size;
                MPI_Isend(sb[p], len_of(round, rank, p), MPI_BYTE, p, tag, MPI_COMM_WORLD,
                          &reqs[size + p]);
            }
            for (int i = 0; i < size; i++) {
                MPI_Status st;
                int index = -1;
                MPI_Probe(MPI_ANY_SOURCE, tag, MPI_COMM_WORLD, &st);
                MPI_Irecv(rb[st.MPI_SOURCE], len_of(round, st.MPI_SOURCE, rank), MPI_BYTE,
                          st.MPI_SOURCE, tag, MPI_COMM_WORLD, &reqs[0]);
                MPI_Waitany(1, reqs, &index, &sts[st.MPI_SOURCE]);
            }
            for (int p = 0; p < size; p++)
                reqs[p] = MPI_REQUEST_NULL;
            CHECK_RC(MPI_Waitall(size, reqs + size, MPI_STATUSES_IGNORE), "MPI_Waitall(sends)");
        } else {
            int done = 0, *idx = malloc(sizeof(int) * 2 * (size_t)size);
            MPI_Status *tmp = malloc(sizeof(MPI_Status) * 2 * (size_t)size);
            for (int p = 0; p < size; p++)
                MPI_Irecv(rb[p], len_of(round, p, rank), MPI_BYTE, p, tag, MPI_COMM_WORLD,
                          &reqs[p]);
            for (int d = size - 1; d >= 0; d--) {
                int p = (rank + d) % size;
                MPI_Issend(sb[p], len_of(round, rank, p), MPI_BYTE, p, tag, MPI_COMM_WORLD,
                           &reqs[size + p]);
            }
            while (done < 2 * size) {
                int outcount = 0;
                CHECK_RC(MPI_Testsome(2 * size, reqs, &outcount, idx, tmp), "MPI_Testsome");
                if (outcount == MPI_UNDEFINED) {
                    CHECK(0, "MPI_Testsome gave MPI_UNDEFINED with %d left", 2 * size - done);
                    break;
                }
                for (int j = 0; j < outcount; j++)
                    sts[idx[j]] = tmp[j];
                done += outcount;
            }
            free(idx);
            free(tmp);
        }

        for (int p = 0; p < size; p++) {
            int lr = len_of(round, p, rank), count = -1;
            MPI_Get_count(&sts[p], MPI_BYTE, &count);
            CHECK(count == lr && sts[p].MPI_SOURCE == p && sts[p].MPI_TAG == tag,
                  "round %d style %d from %d: count %d (expected %d) source %d tag %d", round,
                  style, p, count, lr, sts[p].MPI_SOURCE, sts[p].MPI_TAG);
            mtest_verify(rb[p], (size_t)lr, seed_of(round, p, rank), "all-to-all payload");
            free(sb[p]);
            free(rb[p]);
        }
        free(sb);
        free(rb);
        free(reqs);
        free(sts);
    }
    return mtest_finalize(0);
}
