C     MPI_SEND and MPI_RECV with a status array: every rank sends its
C     right neighbour N integers with tag RANK+10; the receiver checks the
C     values, STATUS(MPI_SOURCE), STATUS(MPI_TAG) and MPI_GET_COUNT, also
C     for a receive with MPI_ANY_SOURCE and MPI_ANY_TAG.  Nonblocking
C     sends avoid relying on buffering, so one rank can talk to itself.
      PROGRAM SENDRECV
      IMPLICIT NONE
      INCLUDE 'mpif.h'
      INTEGER N
      PARAMETER (N = 1000)
      INTEGER RANK, NPROCS, LEFT, RIGHT, IERR, ERRS, I, REQ
      INTEGER SBUF(N), RBUF(N + 10)
      INTEGER STATUS(MPI_STATUS_SIZE)

      ERRS = 0
      CALL MPI_INIT(IERR)
      CALL MPI_COMM_RANK(MPI_COMM_WORLD, RANK, IERR)
      CALL MPI_COMM_SIZE(MPI_COMM_WORLD, NPROCS, IERR)
      LEFT = MOD(RANK + NPROCS - 1, NPROCS)
      RIGHT = MOD(RANK + 1, NPROCS)

      DO I = 1, N
         SBUF(I) = RANK * 100000 + I
      END DO
      DO I = 1, N + 10
         RBUF(I) = -1
      END DO
      CALL MPI_ISEND(SBUF, N, MPI_INTEGER, RIGHT, RANK + 10,
     &               MPI_COMM_WORLD, REQ, IERR)
      CALL MPI_RECV(RBUF, N + 10, MPI_INTEGER, LEFT, LEFT + 10,
     &              MPI_COMM_WORLD, STATUS, IERR)
      IF (IERR .NE. MPI_SUCCESS) THEN
         PRINT *, 'MPI_RECV returned ', IERR
         ERRS = ERRS + 1
      END IF
      CALL MPI_WAIT(REQ, STATUS(1), IERR)
      CALL MPI_RECV(RBUF, 0, MPI_INTEGER, MPI_PROC_NULL, 0,
     &              MPI_COMM_WORLD, STATUS, IERR)
      IF (STATUS(MPI_SOURCE) .NE. MPI_PROC_NULL) THEN
         PRINT *, 'receive from MPI_PROC_NULL: source ',
     &            STATUS(MPI_SOURCE)
         ERRS = ERRS + 1
      END IF

      CALL CLEAR(RBUF, N + 10)
      CALL MPI_ISEND(SBUF, N, MPI_INTEGER, RIGHT, RANK + 10,
     &               MPI_COMM_WORLD, REQ, IERR)
      CALL MPI_RECV(RBUF, N + 10, MPI_INTEGER, LEFT, LEFT + 10,
     &              MPI_COMM_WORLD, STATUS, IERR)
      CALL CHECKMSG(RBUF, N, STATUS, LEFT, LEFT + 10, ERRS)
      CALL MPI_WAIT(REQ, MPI_STATUS_IGNORE, IERR)

C     Wildcards.
      CALL CLEAR(RBUF, N + 10)
      CALL MPI_ISEND(SBUF, N / 2, MPI_INTEGER, RIGHT, RANK + 10,
     &               MPI_COMM_WORLD, REQ, IERR)
      CALL MPI_RECV(RBUF, N + 10, MPI_INTEGER, MPI_ANY_SOURCE,
     &              MPI_ANY_TAG, MPI_COMM_WORLD, STATUS, IERR)
      CALL CHECKMSG(RBUF, N / 2, STATUS, LEFT, LEFT + 10, ERRS)
      CALL MPI_WAIT(REQ, MPI_STATUS_IGNORE, IERR)

      CALL MTEST_FINALIZE(ERRS)
      END

      SUBROUTINE CLEAR(BUF, N)
      IMPLICIT NONE
      INTEGER N, I, BUF(N)
      DO I = 1, N
         BUF(I) = -1
      END DO
      END

      SUBROUTINE CHECKMSG(RBUF, N, STATUS, SRC, TAG, ERRS)
      IMPLICIT NONE
      INCLUDE 'mpif.h'
      INTEGER N, SRC, TAG, ERRS, I, COUNT, IERR
      INTEGER RBUF(*), STATUS(MPI_STATUS_SIZE)

      IF (STATUS(MPI_SOURCE) .NE. SRC) THEN
         PRINT *, 'STATUS(MPI_SOURCE) ', STATUS(MPI_SOURCE), ' not ',
     &            SRC
         ERRS = ERRS + 1
      END IF
      IF (STATUS(MPI_TAG) .NE. TAG) THEN
         PRINT *, 'STATUS(MPI_TAG) ', STATUS(MPI_TAG), ' not ', TAG
         ERRS = ERRS + 1
      END IF
      COUNT = -1
      CALL MPI_GET_COUNT(STATUS, MPI_INTEGER, COUNT, IERR)
      IF (COUNT .NE. N) THEN
         PRINT *, 'MPI_GET_COUNT ', COUNT, ' not ', N
         ERRS = ERRS + 1
      END IF
      DO I = 1, N
         IF (RBUF(I) .NE. SRC * 100000 + I) THEN
            PRINT *, 'RBUF(', I, ') = ', RBUF(I)
            ERRS = ERRS + 1
            RETURN
         END IF
      END DO
      IF (RBUF(N + 1) .NE. -1) THEN
         PRINT *, 'receive wrote past the message'
         ERRS = ERRS + 1
      END IF
      END

      INCLUDE 'mtestf.h'
