C     MPI_SENDRECV and MPI_SENDRECV_REPLACE around the ring, with status
C     fields checked, and a non-periodic shift whose ends use
C     MPI_PROC_NULL.
      PROGRAM SRREPL
      IMPLICIT NONE
      INCLUDE 'mpif.h'
      INTEGER N
      PARAMETER (N = 20000)
      INTEGER RANK, NPROCS, LEFT, RIGHT, IERR, ERRS, I, COUNT, DST, SRC
      DOUBLE PRECISION A(N), B(N)
      INTEGER STATUS(MPI_STATUS_SIZE)

      ERRS = 0
      CALL MPI_INIT(IERR)
      CALL MPI_COMM_RANK(MPI_COMM_WORLD, RANK, IERR)
      CALL MPI_COMM_SIZE(MPI_COMM_WORLD, NPROCS, IERR)
      LEFT = MOD(RANK + NPROCS - 1, NPROCS)
      RIGHT = MOD(RANK + 1, NPROCS)

      DO I = 1, N
         A(I) = DBLE(RANK) * 1.0D6 + DBLE(I)
         B(I) = -1.0D0
      END DO
      CALL MPI_SENDRECV(A, N, MPI_DOUBLE_PRECISION, RIGHT, 4, B, N,
     &     MPI_DOUBLE_PRECISION, LEFT, 4, MPI_COMM_WORLD, STATUS, IERR)
      CALL MPI_GET_COUNT(STATUS, MPI_DOUBLE_PRECISION, COUNT, IERR)
      IF (STATUS(MPI_SOURCE) .NE. LEFT .OR. STATUS(MPI_TAG) .NE. 4
     &    .OR. COUNT .NE. N) THEN
         PRINT *, 'MPI_SENDRECV status: ', STATUS(MPI_SOURCE),
     &            STATUS(MPI_TAG), COUNT
         ERRS = ERRS + 1
      END IF
      DO I = 1, N
         IF (B(I) .NE. DBLE(LEFT) * 1.0D6 + DBLE(I)) THEN
            PRINT *, 'MPI_SENDRECV: B(', I, ') = ', B(I)
            ERRS = ERRS + 1
            GOTO 10
         END IF
      END DO
   10 CONTINUE

C     In place, to the left.
      CALL MPI_SENDRECV_REPLACE(A, N, MPI_DOUBLE_PRECISION, LEFT, 5,
     &     RIGHT, 5, MPI_COMM_WORLD, STATUS, IERR)
      IF (STATUS(MPI_SOURCE) .NE. RIGHT) THEN
         PRINT *, 'MPI_SENDRECV_REPLACE source ', STATUS(MPI_SOURCE)
         ERRS = ERRS + 1
      END IF
      DO I = 1, N
         IF (A(I) .NE. DBLE(RIGHT) * 1.0D6 + DBLE(I)) THEN
            PRINT *, 'MPI_SENDRECV_REPLACE: A(', I, ') = ', A(I)
            ERRS = ERRS + 1
            GOTO 20
         END IF
      END DO
   20 CONTINUE

C     Non-periodic shift.
      DST = RANK + 1
      IF (DST .GE. NPROCS) DST = MPI_PROC_NULL
      SRC = RANK - 1
      IF (SRC .LT. 0) SRC = MPI_PROC_NULL
      B(1) = DBLE(RANK)
      CALL MPI_SENDRECV_REPLACE(B, 1, MPI_DOUBLE_PRECISION, DST, 6,
     &     SRC, 6, MPI_COMM_WORLD, STATUS, IERR)
      IF (SRC .EQ. MPI_PROC_NULL) THEN
         IF (STATUS(MPI_SOURCE) .NE. MPI_PROC_NULL .OR.
     &       B(1) .NE. DBLE(RANK)) THEN
            PRINT *, 'from MPI_PROC_NULL: source ', STATUS(MPI_SOURCE),
     &               ' value ', B(1)
            ERRS = ERRS + 1
         END IF
      ELSE IF (B(1) .NE. DBLE(SRC)) THEN
         PRINT *, 'non-periodic shift got ', B(1)
         ERRS = ERRS + 1
      END IF
      CALL MTEST_FINALIZE(ERRS)
      END

      INCLUDE 'mtestf.h'
