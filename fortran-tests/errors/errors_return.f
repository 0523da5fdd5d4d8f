C     With MPI_ERRORS_RETURN set by MPI_ERRHANDLER_SET, failing calls
C     return their code in IERROR: a send to a rank that does not exist
C     (MPI_ERR_RANK), a negative count (MPI_ERR_COUNT) and a negative tag
C     (MPI_ERR_TAG), classified with MPI_ERROR_CLASS and described by
C     MPI_ERROR_STRING.  MPI_ERRHANDLER_GET returns MPI_ERRORS_RETURN.
      PROGRAM ERRRET
      IMPLICIT NONE
      INCLUDE 'mpif.h'
      INTEGER RANK, NPROCS, IERR, ERRS, V, EH

      ERRS = 0
      V = 0
      CALL MPI_INIT(IERR)
      CALL MPI_COMM_RANK(MPI_COMM_WORLD, RANK, IERR)
      CALL MPI_COMM_SIZE(MPI_COMM_WORLD, NPROCS, IERR)
      CALL MPI_ERRHANDLER_SET(MPI_COMM_WORLD, MPI_ERRORS_RETURN, IERR)
      IF (IERR .NE. MPI_SUCCESS) THEN
         PRINT *, 'MPI_ERRHANDLER_SET returned ', IERR
         ERRS = ERRS + 1
      END IF
      CALL MPI_ERRHANDLER_GET(MPI_COMM_WORLD, EH, IERR)
      IF (EH .NE. MPI_ERRORS_RETURN) THEN
         PRINT *, 'MPI_ERRHANDLER_GET gave ', EH
         ERRS = ERRS + 1
      END IF

      CALL MPI_SEND(V, 1, MPI_INTEGER, NPROCS, 0, MPI_COMM_WORLD, IERR)
      CALL CHKERR(IERR, MPI_ERR_RANK, 'rank out of range', ERRS)
      CALL MPI_SEND(V, -1, MPI_INTEGER, 0, 0, MPI_COMM_WORLD, IERR)
      CALL CHKERR(IERR, MPI_ERR_COUNT, 'negative count', ERRS)
      CALL MPI_SEND(V, 1, MPI_INTEGER, 0, -1, MPI_COMM_WORLD, IERR)
      CALL CHKERR(IERR, MPI_ERR_TAG, 'negative tag', ERRS)

C     Still working afterwards.
      CALL MPI_SENDRECV(RANK, 1, MPI_INTEGER, RANK, 1, V, 1,
     &     MPI_INTEGER, RANK, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE,
     &     IERR)
      IF (IERR .NE. MPI_SUCCESS .OR. V .NE. RANK) THEN
         PRINT *, 'MPI_SENDRECV after the errors: ', IERR, V
         ERRS = ERRS + 1
      END IF
      CALL MTEST_FINALIZE(ERRS)
      END

      SUBROUTINE CHKERR(IERR, EXPECTED, WHAT, ERRS)
      IMPLICIT NONE
      INCLUDE 'mpif.h'
      INTEGER IERR, EXPECTED, ERRS, CLS, LEN, IERR2
      CHARACTER*(*) WHAT
      CHARACTER*(MPI_MAX_ERROR_STRING) TEXT

      IF (IERR .EQ. MPI_SUCCESS) THEN
         PRINT *, WHAT, ': IERROR is MPI_SUCCESS'
         ERRS = ERRS + 1
         RETURN
      END IF
      CALL MPI_ERROR_CLASS(IERR, CLS, IERR2)
      IF (CLS .NE. EXPECTED) THEN
         PRINT *, WHAT, ': class ', CLS, ' not ', EXPECTED
         ERRS = ERRS + 1
      END IF
      LEN = -1
      TEXT = ' '
      CALL MPI_ERROR_STRING(IERR, TEXT, LEN, IERR2)
      IF (LEN .LE. 0 .OR. LEN .GT. MPI_MAX_ERROR_STRING) THEN
         PRINT *, WHAT, ': MPI_ERROR_STRING length ', LEN
         ERRS = ERRS + 1
      ELSE IF (TEXT(1:LEN) .EQ. ' ') THEN
         PRINT *, WHAT, ': MPI_ERROR_STRING is blank'
         ERRS = ERRS + 1
      END IF
      END

      INCLUDE 'mtestf.h'
