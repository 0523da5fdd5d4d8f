/*
 * FTMPI_Comm_set_mode / FTMPI_Comm_get_mode without failures.  The job's modes (the first
 * two arguments name the expected ones, "-" for no check) are MPI_COMM_WORLD's and agree
 * with the FTMPI_COMM_MODE / FTMPI_MSG_MODE attributes.  On a duplicate: every valid pair
 * can be set and read back (aliases included); invalid values (modes out of range) return
 * MPI_ERR_ARG and change nothing; MPI_COMM_NULL gives MPI_ERR_COMM; MPI_Comm_dup,
 * MPI_Comm_split and MPI_Comm_create inherit the parent's modes; setting a duplicate leaves
 * MPI_COMM_WORLD alone.  FTMPI_COMM_STATE reads FT_OK and FTMPI_COLL_MODE is readable.
 */
#include "fttest.h"

int main(int argc, char **argv)
{
    int rank, n, cm, mm, wcm, wmm, rc;
    MPI_Comm d, d2, s, c;
    MPI_Group g;
    static const int bad[][2] = {{4, 0}, {-1, 0}, {99, 1}, {1, 2}, {2, -1}, {3, 77}};

    ft_init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    ft_expect_modes(argc > 1 && strcmp(argv[1], "-") ? argv[1] : NULL,
                    argc > 2 && strcmp(argv[2], "-") ? argv[2] : NULL, &wcm, &wmm);
    ft_check_state(MPI_COMM_WORLD, FTMPI_STATE_OK, "MPI_COMM_WORLD");
    rc = ft_attr_int(MPI_COMM_WORLD, FTMPI_COLL_MODE, "FTMPI_COLL_MODE");
    CHECK(rc == 0 || rc == 1, "FTMPI_COLL_MODE is %d", rc);

    CHECK_RC(MPI_Comm_dup(MPI_COMM_WORLD, &d), "MPI_Comm_dup");
    MPI_Comm_set_errhandler(d, MPI_ERRORS_RETURN);
    ft_modes(d, &cm, &mm);
    CHECK(cm == wcm && mm == wmm, "a duplicate of MPI_COMM_WORLD has modes %d/%d, not %d/%d",
          cm, mm, wcm, wmm);
    for (int c1 = FTMPI_COMM_MODE_ABORT; c1 <= FTMPI_COMM_MODE_REBUILD; c1++)
        for (int m1 = FTMPI_MSG_MODE_NOP; m1 <= FTMPI_MSG_MODE_CONT; m1++) {
            CHECK_RC(FTMPI_Comm_set_mode(d, c1, m1), "FTMPI_Comm_set_mode (valid)");
            ft_modes(d, &cm, &mm);
            CHECK(cm == c1 && mm == m1, "set %d/%d, read back %d/%d", c1, m1, cm, mm);
        }
    CHECK_RC(FTMPI_Comm_set_mode(d, FTMPI_COMM_MODE_SHRINK, FTMPI_MSG_MODE_RESET), "RESET");
    ft_modes(d, &cm, &mm);
    CHECK(mm == FTMPI_MSG_MODE_NOP, "RESET read back as %d", mm);
    CHECK_RC(FTMPI_Comm_set_mode(d, FTMPI_COMM_MODE_BLANK, FTMPI_MSG_MODE_CONTINUE),
             "CONTINUE");
    ft_modes(d, &cm, &mm);
    CHECK(cm == FTMPI_COMM_MODE_BLANK && mm == FTMPI_MSG_MODE_CONT, "read back %d/%d", cm, mm);

    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rc = FTMPI_Comm_set_mode(d, bad[i][0], bad[i][1]);
        CHECK_CLASS(rc, MPI_ERR_ARG, "FTMPI_Comm_set_mode with an invalid mode");
        ft_modes(d, &cm, &mm);
        CHECK(cm == FTMPI_COMM_MODE_BLANK && mm == FTMPI_MSG_MODE_CONT,
              "invalid %d/%d changed the modes to %d/%d", bad[i][0], bad[i][1], cm, mm);
    }
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    CHECK_CLASS(FTMPI_Comm_set_mode(MPI_COMM_NULL, 1, 0), MPI_ERR_COMM,
                "FTMPI_Comm_set_mode(MPI_COMM_NULL)");
    CHECK_CLASS(FTMPI_Comm_get_mode(MPI_COMM_NULL, &cm, &mm), MPI_ERR_COMM,
                "FTMPI_Comm_get_mode(MPI_COMM_NULL)");
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);

    /* Inheritance (d is BLANK/CONT now). */
    CHECK_RC(MPI_Comm_dup(d, &d2), "MPI_Comm_dup");
    CHECK_RC(MPI_Comm_split(d, rank % 2, rank, &s), "MPI_Comm_split");
    MPI_Comm_group(d, &g);
    CHECK_RC(MPI_Comm_create(d, g, &c), "MPI_Comm_create");
    MPI_Group_free(&g);
    {
        MPI_Comm kids[3] = {d2, s, c};
        for (int i = 0; i < 3; i++) {
            ft_modes(kids[i], &cm, &mm);
            CHECK(cm == FTMPI_COMM_MODE_BLANK && mm == FTMPI_MSG_MODE_CONT,
                  "derived communicator %d has modes %d/%d, not BLANK/CONT", i, cm, mm);
            ft_check_state(kids[i], FTMPI_STATE_OK, "derived communicator");
            MPI_Comm_free(&kids[i]);
        }
    }
    ft_modes(MPI_COMM_WORLD, &cm, &mm);
    CHECK(cm == wcm && mm == wmm, "setting a duplicate changed MPI_COMM_WORLD to %d/%d", cm,
          mm);
    MPI_Comm_free(&d);
    return ft_finish(MPI_COMM_WORLD);
}
