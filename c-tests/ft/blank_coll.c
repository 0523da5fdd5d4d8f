/*
 * Every collective on a BLANK communicator with gaps, checking values.  Arguments: the
 * victims' original ranks (default: 1).  They die after a barrier; the survivors recover
 * MPI_COMM_WORLD by MPI_Comm_dup (BLANK: the victims stay as gaps) and then run bcast,
 * reduce, allreduce, gather(v), scatter(v), allgather(v), alltoall(v), scan and exscan on
 * the repaired MPI_COMM_WORLD, with each live rank as root in turn.
 *
 * Blocks of a gap in a receive buffer are left untouched (they keep their fill value), and
 * a gap's block in a send buffer is never read.  Scan and exscan combine the live ranks
 * in rank order.
 */
#include "fttest.h"

#define K 3     /* elements per block */
#define FILL -7 /* what receive buffers hold before a collective */

static int n, me, ndead, dead[FT_MAXP];

static int live(int r)
{
    return !ft_is_dead(r, dead, ndead);
}

/* Element j of the block that rank `from` sends to rank `to`. */
static int val(int from, int to, int j)
{
    return 1000 * (from + 1) + 10 * (to + 1) + j;
}

static void fill(int *buf, int count)
{
    for (int i = 0; i < count; i++)
        buf[i] = FILL;
}

int main(int argc, char **argv)
{
    int sbuf[FT_MAXP * K], rbuf[FT_MAXP * K], counts[FT_MAXP], displs[FT_MAXP];
    int rc, v;
    MPI_Comm newc = MPI_COMM_NULL;

    ft_init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &me);
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    ndead = 0;
    for (int i = 1; i < argc && ndead < FT_MAXP; i++)
        dead[ndead++] = atoi(argv[i]);
    if (ndead == 0)
        dead[ndead++] = 1;
    if (n > FT_MAXP || n - ndead < 2) {
        if (me == 0)
            printf("blank_coll needs at least two survivors\n");
        MPI_Finalize();
        return 1;
    }
    CHECK_RC(FTMPI_Comm_set_mode(MPI_COMM_WORLD, FTMPI_COMM_MODE_BLANK, FTMPI_MSG_MODE_NOP),
             "FTMPI_Comm_set_mode");
    MPI_Barrier(MPI_COMM_WORLD);
    if (!live(me))
        ft_die();
    for (int i = 0; i < ndead; i++)
        CHECK_FAILED(MPI_Recv(&v, 1, MPI_INT, dead[i], 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
                     "MPI_Recv from a victim");
    CHECK_RC(MPI_Comm_dup(MPI_COMM_WORLD, &newc), "MPI_Comm_dup (recovery)");
    ft_check_recovered(MPI_COMM_WORLD, newc, FTMPI_COMM_MODE_BLANK, n, me, dead, ndead);

    for (int root = 0; root < n; root++) {
        if (!live(root))
            continue;
        /* bcast */
        for (int j = 0; j < K; j++)
            sbuf[j] = me == root ? val(root, 0, j) : FILL;
        CHECK_RC(MPI_Bcast(sbuf, K, MPI_INT, root, MPI_COMM_WORLD), "MPI_Bcast");
        for (int j = 0; j < K; j++)
            CHECK(sbuf[j] == val(root, 0, j), "bcast root %d: [%d] = %d", root, j, sbuf[j]);

        /* reduce */
        for (int j = 0; j < K; j++)
            sbuf[j] = val(me, root, j);
        fill(rbuf, K);
        CHECK_RC(MPI_Reduce(sbuf, rbuf, K, MPI_INT, MPI_SUM, root, MPI_COMM_WORLD), "MPI_Reduce");
        if (me == root)
            for (int j = 0; j < K; j++) {
                int want = 0;
                for (int r = 0; r < n; r++)
                    if (live(r))
                        want += val(r, root, j);
                CHECK(rbuf[j] == want, "reduce root %d: [%d] = %d, expected %d", root, j,
                      rbuf[j], want);
            }

        /* gather */
        for (int j = 0; j < K; j++)
            sbuf[j] = val(me, root, j);
        fill(rbuf, n * K);
        CHECK_RC(MPI_Gather(sbuf, K, MPI_INT, rbuf, K, MPI_INT, root, MPI_COMM_WORLD),
                 "MPI_Gather");
        if (me == root)
            for (int r = 0; r < n; r++)
                for (int j = 0; j < K; j++) {
                    int want = live(r) ? val(r, root, j) : FILL;
                    CHECK(rbuf[r * K + j] == want, "gather root %d: block %d [%d] = %d, expected %d",
                          root, r, j, rbuf[r * K + j], want);
                }

        /* gatherv: rank r sends r % K + 1 elements, blocks in reverse order */
        for (int r = 0, d = 0; r < n; r++) {
            int q = n - 1 - r;
            counts[q] = q % K + 1;
            displs[q] = d;
            d += counts[q];
        }
        fill(rbuf, n * K);
        CHECK_RC(MPI_Gatherv(sbuf, counts[me], MPI_INT, rbuf, counts, displs, MPI_INT, root,
                             MPI_COMM_WORLD),
                 "MPI_Gatherv");
        if (me == root)
            for (int r = 0; r < n; r++)
                for (int j = 0; j < counts[r]; j++) {
                    int want = live(r) ? val(r, root, j) : FILL;
                    CHECK(rbuf[displs[r] + j] == want,
                          "gatherv root %d: block %d [%d] = %d, expected %d", root, r, j,
                          rbuf[displs[r] + j], want);
                }

        /* scatter */
        for (int r = 0; r < n; r++)
            for (int j = 0; j < K; j++)
                sbuf[r * K + j] = me == root ? val(root, r, j) : FILL;
        fill(rbuf, K);
        CHECK_RC(MPI_Scatter(sbuf, K, MPI_INT, rbuf, K, MPI_INT, root, MPI_COMM_WORLD),
                 "MPI_Scatter");
        for (int j = 0; j < K; j++)
            CHECK(rbuf[j] == val(root, me, j), "scatter root %d: [%d] = %d, expected %d", root,
                  j, rbuf[j], val(root, me, j));

        /* scatterv, with the gatherv layout */
        for (int r = 0; r < n; r++)
            for (int j = 0; j < counts[r]; j++)
                sbuf[displs[r] + j] = me == root ? val(root, r, j) : FILL;
        fill(rbuf, K);
        CHECK_RC(MPI_Scatterv(sbuf, counts, displs, MPI_INT, rbuf, counts[me], MPI_INT, root,
                              MPI_COMM_WORLD),
                 "MPI_Scatterv");
        for (int j = 0; j < K; j++) {
            int want = j < counts[me] ? val(root, me, j) : FILL;
            CHECK(rbuf[j] == want, "scatterv root %d: [%d] = %d, expected %d", root, j, rbuf[j],
                  want);
        }
    }

    /* allreduce */
    for (int j = 0; j < K; j++)
        sbuf[j] = val(me, 0, j);
    fill(rbuf, K);
    CHECK_RC(MPI_Allreduce(sbuf, rbuf, K, MPI_INT, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce");
    for (int j = 0; j < K; j++) {
        int want = 0;
        for (int r = 0; r < n; r++)
            if (live(r))
                want += val(r, 0, j);
        CHECK(rbuf[j] == want, "allreduce [%d] = %d, expected %d", j, rbuf[j], want);
    }

    /* allgather */
    fill(rbuf, n * K);
    CHECK_RC(MPI_Allgather(sbuf, K, MPI_INT, rbuf, K, MPI_INT, MPI_COMM_WORLD), "MPI_Allgather");
    for (int r = 0; r < n; r++)
        for (int j = 0; j < K; j++) {
            int want = live(r) ? val(r, 0, j) : FILL;
            CHECK(rbuf[r * K + j] == want, "allgather block %d [%d] = %d, expected %d", r, j,
                  rbuf[r * K + j], want);
        }

    /* allgatherv, with the gatherv layout */
    fill(rbuf, n * K);
    CHECK_RC(MPI_Allgatherv(sbuf, counts[me], MPI_INT, rbuf, counts, displs, MPI_INT,
                            MPI_COMM_WORLD),
             "MPI_Allgatherv");
    for (int r = 0; r < n; r++)
        for (int j = 0; j < counts[r]; j++) {
            int want = live(r) ? val(r, 0, j) : FILL;
            CHECK(rbuf[displs[r] + j] == want, "allgatherv block %d [%d] = %d, expected %d", r,
                  j, rbuf[displs[r] + j], want);
        }

    /* alltoall */
    for (int r = 0; r < n; r++)
        for (int j = 0; j < K; j++)
            sbuf[r * K + j] = live(r) ? val(me, r, j) : FILL;
    fill(rbuf, n * K);
    CHECK_RC(MPI_Alltoall(sbuf, K, MPI_INT, rbuf, K, MPI_INT, MPI_COMM_WORLD), "MPI_Alltoall");
    for (int r = 0; r < n; r++)
        for (int j = 0; j < K; j++) {
            int want = live(r) ? val(r, me, j) : FILL;
            CHECK(rbuf[r * K + j] == want, "alltoall block %d [%d] = %d, expected %d", r, j,
                  rbuf[r * K + j], want);
        }

    /* alltoallv: to rank r, (r + me) % K + 1 elements; packed in rank order */
    {
        int sc[FT_MAXP], sd[FT_MAXP], rc_[FT_MAXP], rd[FT_MAXP];
        for (int r = 0, d = 0, e = 0; r < n; r++) {
            sc[r] = (r + me) % K + 1;
            sd[r] = d;
            d += sc[r];
            rc_[r] = (me + r) % K + 1;
            rd[r] = e;
            e += rc_[r];
        }
        for (int r = 0; r < n; r++)
            for (int j = 0; j < sc[r]; j++)
                sbuf[sd[r] + j] = val(me, r, j);
        fill(rbuf, n * K);
        CHECK_RC(MPI_Alltoallv(sbuf, sc, sd, MPI_INT, rbuf, rc_, rd, MPI_INT, MPI_COMM_WORLD),
                 "MPI_Alltoallv");
        for (int r = 0; r < n; r++)
            for (int j = 0; j < rc_[r]; j++) {
                int want = live(r) ? val(r, me, j) : FILL;
                CHECK(rbuf[rd[r] + j] == want, "alltoallv block %d [%d] = %d, expected %d", r, j,
                      rbuf[rd[r] + j], want);
            }
    }

    /* scan and exscan */
    for (int j = 0; j < K; j++)
        sbuf[j] = val(me, 0, j);
    fill(rbuf, K);
    CHECK_RC(MPI_Scan(sbuf, rbuf, K, MPI_INT, MPI_SUM, MPI_COMM_WORLD), "MPI_Scan");
    for (int j = 0; j < K; j++) {
        int want = 0;
        for (int r = 0; r <= me; r++)
            if (live(r))
                want += val(r, 0, j);
        CHECK(rbuf[j] == want, "scan [%d] = %d, expected %d", j, rbuf[j], want);
    }
    fill(rbuf, K);
    CHECK_RC(MPI_Exscan(sbuf, rbuf, K, MPI_INT, MPI_SUM, MPI_COMM_WORLD), "MPI_Exscan");
    if (me != ft_lowest_live(n, dead, ndead, -1))
        for (int j = 0; j < K; j++) {
            int want = 0;
            for (int r = 0; r < me; r++)
                if (live(r))
                    want += val(r, 0, j);
            CHECK(rbuf[j] == want, "exscan [%d] = %d, expected %d", j, rbuf[j], want);
        }

    rc = MPI_Barrier(MPI_COMM_WORLD);
    CHECK_RC(rc, "MPI_Barrier");
    MPI_Comm_free(&newc);
    return ft_finish(MPI_COMM_WORLD);
}
