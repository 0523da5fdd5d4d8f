C     MPI_STATUS_IGNORE in MPI_RECV, MPI_WAIT and MPI_SENDRECV, and
C     MPI_STATUSES_IGNORE in MPI_WAITALL: the data still arrives.
      PROGRAM STATIGN
      IMPLICIT NONE
      INCLUDE 'mpif.h'
      INTEGER RANK, NPROCS, LEFT, RIGHT, IERR, ERRS, V, W
      INTEGER REQS(2), VS(2), WS(2)

      ERRS = 0
      CALL MPI_INIT(IERR)
      CALL MPI_COMM_RANK(MPI_COMM_WORLD, RANK, IERR)
      CALL MPI_COMM_SIZE(MPI_COMM_WORLD, NPROCS, IERR)
      LEFT = MOD(RANK + NPROCS - 1, NPROCS)
      RIGHT = MOD(RANK + 1, NPROCS)

      V = RANK + 100
      W = -1
      CALL MPI_ISEND(V, 1, MPI_INTEGER, RIGHT, 1, MPI_COMM_WORLD,
     &               REQS(1), IERR)
      CALL MPI_RECV(W, 1, MPI_INTEGER, LEFT, 1, MPI_COMM_WORLD,
     &              MPI_STATUS_IGNORE, IERR)
      CALL MPI_WAIT(REQS(1), MPI_STATUS_IGNORE, IERR)
      IF (W .NE. LEFT + 100) THEN
         PRINT *, 'MPI_RECV got ', W
         ERRS = ERRS + 1
      END IF

      W = -1
      CALL MPI_SENDRECV(V, 1, MPI_INTEGER, RIGHT, 2, W, 1,
     &     MPI_INTEGER, LEFT, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE,
     &     IERR)
      IF (W .NE. LEFT + 100) THEN
         PRINT *, 'MPI_SENDRECV got ', W
         ERRS = ERRS + 1
      END IF

      VS(1) = RANK * 2
      VS(2) = RANK * 3
      WS(1) = -1
      WS(2) = -1
      CALL MPI_IRECV(WS, 2, MPI_INTEGER, LEFT, 3, MPI_COMM_WORLD,
     &               REQS(1), IERR)
      CALL MPI_ISEND(VS, 2, MPI_INTEGER, RIGHT, 3, MPI_COMM_WORLD,
     &               REQS(2), IERR)
      CALL MPI_WAITALL(2, REQS, MPI_STATUSES_IGNORE, IERR)
      IF (WS(1) .NE. LEFT * 2 .OR. WS(2) .NE. LEFT * 3) THEN
         PRINT *, 'MPI_WAITALL receive got ', WS(1), WS(2)
         ERRS = ERRS + 1
      END IF
      CALL MTEST_FINALIZE(ERRS)
      END

      INCLUDE 'mtestf.h'
