/*
 * The multiple-completion calls: MPI_Waitall, MPI_Waitany, MPI_Waitsome,
 * MPI_Testall, MPI_Testany, MPI_Testsome, on arrays of receives from the left
 * neighbour with MPI_REQUEST_NULL mixed in.
 *
 * Before the barrier nobody has sent, so the Test calls must report nothing
 * complete (flag 0, MPI_UNDEFINED index, outcount 0) and leave the requests
 * alone.  Each index must be reported exactly once, with a status matching
 * the message.  Arrays of only null requests give MPI_UNDEFINED.
 */
#include "mtest.h"

#define K 8
#define SLOTS (K + 3)

static int rank, size, left, right;
static int rbuf[SLOTS], sbuf[K];
static MPI_Request reqs[SLOTS], sreqs[K];
static int slot_of_tag[K];

/* Posts K receives into SLOTS slots, the others MPI_REQUEST_NULL. */
static void post(int round)
{
    for (int s = 0; s < SLOTS; s++) {
        reqs[s] = MPI_REQUEST_NULL;
        rbuf[s] = -1;
    }
    for (int t = 0; t < K; t++) {
        int s = (t * 7 + round) % SLOTS;
        while (reqs[s] != MPI_REQUEST_NULL)
            s = (s + 1) % SLOTS;
        slot_of_tag[t] = s;
        MPI_Irecv(&rbuf[s], 1, MPI_INT, left, t, MPI_COMM_WORLD, &reqs[s]);
    }
}

static void nothing_complete_yet(void)
{
    int flag = -1, index = -2, outcount = -1, indices[SLOTS];
    MPI_Status sts[SLOTS], st;

    CHECK_RC(MPI_Testall(SLOTS, reqs, &flag, sts), "MPI_Testall");
    CHECK(flag == 0, "MPI_Testall flag %d before anything was sent", flag);
    CHECK_RC(MPI_Testany(SLOTS, reqs, &index, &flag, &st), "MPI_Testany");
    CHECK(flag == 0 && index == MPI_UNDEFINED, "MPI_Testany flag %d index %d before any send",
          flag, index);
    CHECK_RC(MPI_Testsome(SLOTS, reqs, &outcount, indices, sts), "MPI_Testsome");
    CHECK(outcount == 0, "MPI_Testsome outcount %d before any send", outcount);
    for (int t = 0; t < K; t++)
        CHECK(reqs[slot_of_tag[t]] != MPI_REQUEST_NULL, "an incomplete request was freed");
}

static void send_all(int round)
{
    MPI_Barrier(MPI_COMM_WORLD);
    for (int t = K - 1; t >= 0; t--) {
        sbuf[t] = rank * 1000 + round * 100 + t;
        MPI_Isend(&sbuf[t], 1, MPI_INT, right, t, MPI_COMM_WORLD, &sreqs[t]);
    }
}

static void check_one(int index, const MPI_Status *st, int *seen, int round, const char *what)
{
    int t = st->MPI_TAG;
    CHECK(index >= 0 && index < SLOTS, "%s: index %d", what, index);
    if (index < 0 || index >= SLOTS)
        return;
    CHECK(!seen[index], "%s: index %d reported twice", what, index);
    seen[index] = 1;
    CHECK(reqs[index] == MPI_REQUEST_NULL, "%s: request %d not freed", what, index);
    CHECK(t >= 0 && t < K && slot_of_tag[t] == index, "%s: index %d has tag %d", what, index, t);
    CHECK(st->MPI_SOURCE == left, "%s: source %d", what, st->MPI_SOURCE);
    if (t >= 0 && t < K)
        CHECK(rbuf[index] == left * 1000 + round * 100 + t, "%s: value %d in slot %d", what,
              rbuf[index], index);
}

static void finish_sends(void)
{
    CHECK_RC(MPI_Waitall(K, sreqs, MPI_STATUSES_IGNORE), "MPI_Waitall(sends)");
    for (int t = 0; t < K; t++)
        CHECK(sreqs[t] == MPI_REQUEST_NULL, "send request %d not freed by MPI_Waitall", t);
}

int main(int argc, char **argv)
{
    int seen[SLOTS], round = 0;
    MPI_Status st, sts[SLOTS];

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    left = (rank + size - 1) % size;
    right = (rank + 1) % size;

    /* MPI_Waitany */
    post(round);
    nothing_complete_yet();
    send_all(round);
    memset(seen, 0, sizeof seen);
    for (int i = 0; i < K; i++) {
        int index = -2;
        CHECK_RC(MPI_Waitany(SLOTS, reqs, &index, &st), "MPI_Waitany");
        check_one(index, &st, seen, round, "MPI_Waitany");
    }
    {
        int index = -2;
        st.MPI_SOURCE = st.MPI_TAG = 99;
        CHECK_RC(MPI_Waitany(SLOTS, reqs, &index, &st), "MPI_Waitany(all null)");
        CHECK(index == MPI_UNDEFINED, "MPI_Waitany on null requests: index %d", index);
        CHECK(st.MPI_SOURCE == MPI_ANY_SOURCE && st.MPI_TAG == MPI_ANY_TAG,
              "MPI_Waitany on null requests: status source %d tag %d", st.MPI_SOURCE, st.MPI_TAG);
    }
    finish_sends();

    /* MPI_Testany */
    round++;
    post(round);
    nothing_complete_yet();
    send_all(round);
    memset(seen, 0, sizeof seen);
    for (int done = 0; done < K;) {
        int index = -2, flag = -1;
        CHECK_RC(MPI_Testany(SLOTS, reqs, &index, &flag, &st), "MPI_Testany");
        if (flag) {
            check_one(index, &st, seen, round, "MPI_Testany");
            done++;
        } else {
            CHECK(index == MPI_UNDEFINED, "MPI_Testany flag 0 with index %d", index);
        }
    }
    {
        int index = -2, flag = -1;
        CHECK_RC(MPI_Testany(SLOTS, reqs, &index, &flag, &st), "MPI_Testany(all null)");
        CHECK(flag && index == MPI_UNDEFINED, "MPI_Testany on null requests: flag %d index %d",
              flag, index);
    }
    finish_sends();

    /* MPI_Waitsome */
    round++;
    post(round);
    nothing_complete_yet();
    send_all(round);
    memset(seen, 0, sizeof seen);
    for (int done = 0; done < K;) {
        int outcount = -1, indices[SLOTS];
        CHECK_RC(MPI_Waitsome(SLOTS, reqs, &outcount, indices, sts), "MPI_Waitsome");
        CHECK(outcount >= 1 && outcount <= K - done, "MPI_Waitsome outcount %d with %d left",
              outcount, K - done);
        if (outcount < 1 || outcount > K - done)
            break;
        for (int j = 0; j < outcount; j++)
            check_one(indices[j], &sts[j], seen, round, "MPI_Waitsome");
        done += outcount;
    }
    {
        int outcount = -2, indices[SLOTS];
        CHECK_RC(MPI_Waitsome(SLOTS, reqs, &outcount, indices, sts), "MPI_Waitsome(all null)");
        CHECK(outcount == MPI_UNDEFINED, "MPI_Waitsome on null requests: outcount %d", outcount);
    }
    finish_sends();

    /* MPI_Testsome */
    round++;
    post(round);
    nothing_complete_yet();
    send_all(round);
    memset(seen, 0, sizeof seen);
    for (int done = 0; done < K;) {
        int outcount = -1, indices[SLOTS];
        CHECK_RC(MPI_Testsome(SLOTS, reqs, &outcount, indices, sts), "MPI_Testsome");
        CHECK(outcount >= 0 && outcount <= K - done, "MPI_Testsome outcount %d with %d left",
              outcount, K - done);
        if (outcount < 0 || outcount > K - done)
            break;
        for (int j = 0; j < outcount; j++)
            check_one(indices[j], &sts[j], seen, round, "MPI_Testsome");
        done += outcount;
    }
    {
        int outcount = -2, indices[SLOTS];
        CHECK_RC(MPI_Testsome(SLOTS, reqs, &outcount, indices, sts), "MPI_Testsome(all null)");
        CHECK(outcount == MPI_UNDEFINED, "MPI_Testsome on null requests: outcount %d", outcount);
    }
    finish_sends();

    /* MPI_Testall with statuses, then MPI_Waitall with statuses. */
    for (int variant = 0; variant < 2; variant++) {
        round++;
        post(round);
        nothing_complete_yet();
        send_all(round);
        memset(seen, 0, sizeof seen);
        if (variant == 0) {
            int flag = 0;
            while (!flag)
                CHECK_RC(MPI_Testall(SLOTS, reqs, &flag, sts), "MPI_Testall");
        } else {
            CHECK_RC(MPI_Waitall(SLOTS, reqs, sts), "MPI_Waitall");
        }
        for (int t = 0; t < K; t++) {
            int s = slot_of_tag[t];
            check_one(s, &sts[s], seen, round, variant == 0 ? "MPI_Testall" : "MPI_Waitall");
        }
        /* Null entries of the array get empty statuses. */
        for (int s = 0; s < SLOTS; s++)
            if (!seen[s])
                CHECK(sts[s].MPI_SOURCE == MPI_ANY_SOURCE && sts[s].MPI_TAG == MPI_ANY_TAG,
                      "status of null request %d: source %d tag %d", s, sts[s].MPI_SOURCE,
                      sts[s].MPI_TAG);
        finish_sends();
    }

    /* All-null and empty arrays. */
    {
        int flag = 0;
        for (int s = 0; s < SLOTS; s++)
            reqs[s] = MPI_REQUEST_NULL;
        CHECK_RC(MPI_Testall(SLOTS, reqs, &flag, MPI_STATUSES_IGNORE), "MPI_Testall(null)");
        CHECK(flag, "MPI_Testall on null requests: flag 0");
        CHECK_RC(MPI_Waitall(SLOTS, reqs, MPI_STATUSES_IGNORE), "MPI_Waitall(null)");
        CHECK_RC(MPI_Waitall(0, reqs, MPI_STATUSES_IGNORE), "MPI_Waitall(0)");
    }
    return mtest_finalize(0);
}
