C     MPI_INIT, MPI_INITIALIZED, MPI_COMM_RANK and MPI_COMM_SIZE from
C     Fortran 77.  Every rank sends its rank to rank 0, which checks that
C     each of 1..size-1 arrives once; IERROR is MPI_SUCCESS throughout.
      PROGRAM HELLO
      IMPLICIT NONE
      INCLUDE 'mpif.h'
      INTEGER RANK, NPROCS, IERR, ERRS, I, R, SRANK, SSIZE
      INTEGER STATUS(MPI_STATUS_SIZE)
      LOGICAL FLAG, SEEN(0:63)

      ERRS = 0
      FLAG = .TRUE.
      CALL MPI_INITIALIZED(FLAG, IERR)
      IF (FLAG) THEN
         PRINT *, 'MPI_INITIALIZED true before MPI_INIT'
         ERRS = ERRS + 1
      END IF
      CALL MPI_INIT(IERR)
      IF (IERR .NE. MPI_SUCCESS) THEN
         PRINT *, 'MPI_INIT returned ', IERR
         ERRS = ERRS + 1
      END IF
      CALL MPI_INITIALIZED(FLAG, IERR)
      IF (.NOT. FLAG) THEN
         PRINT *, 'MPI_INITIALIZED false after MPI_INIT'
         ERRS = ERRS + 1
      END IF
      CALL MPI_COMM_RANK(MPI_COMM_WORLD, RANK, IERR)
      CALL MPI_COMM_SIZE(MPI_COMM_WORLD, NPROCS, IERR)
      IF (RANK .LT. 0 .OR. RANK .GE. NPROCS) THEN
         PRINT *, 'rank ', RANK, ' of ', NPROCS
         ERRS = ERRS + 1
      END IF
      CALL MPI_COMM_RANK(MPI_COMM_SELF, SRANK, IERR)
      CALL MPI_COMM_SIZE(MPI_COMM_SELF, SSIZE, IERR)
      IF (SRANK .NE. 0 .OR. SSIZE .NE. 1) THEN
         PRINT *, 'MPI_COMM_SELF rank ', SRANK, ' size ', SSIZE
         ERRS = ERRS + 1
      END IF

      IF (RANK .EQ. 0) THEN
         DO I = 0, 63
            SEEN(I) = .FALSE.
         END DO
         DO I = 1, NPROCS - 1
            CALL MPI_RECV(R, 1, MPI_INTEGER, MPI_ANY_SOURCE, 1,
     &                    MPI_COMM_WORLD, STATUS, IERR)
            IF (R .NE. STATUS(MPI_SOURCE) .OR. R .LT. 1
     &          .OR. R .GT. 63) THEN
               PRINT *, 'rank ', STATUS(MPI_SOURCE), ' reported ', R
               ERRS = ERRS + 1
            ELSE IF (SEEN(R)) THEN
               PRINT *, 'rank ', R, ' reported twice'
               ERRS = ERRS + 1
            ELSE
               SEEN(R) = .TRUE.
            END IF
         END DO
      ELSE
         CALL MPI_SEND(RANK, 1, MPI_INTEGER, 0, 1, MPI_COMM_WORLD,
     &                 IERR)
      END IF
      CALL MTEST_FINALIZE(ERRS)
      END

      INCLUDE 'mtestf.h'
