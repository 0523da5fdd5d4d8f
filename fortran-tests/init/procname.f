C     MPI_GET_PROCESSOR_NAME fills a CHARACTER*(MPI_MAX_PROCESSOR_NAME)
C     with a non-blank name of RESULTLEN characters, blank after them;
C     MPI_ERROR_STRING gives a non-blank text for MPI_ERR_RANK and
C     MPI_SUCCESS.
      PROGRAM PROCNAME
      IMPLICIT NONE
      INCLUDE 'mpif.h'
      INTEGER IERR, ERRS, LEN, I
      CHARACTER*(MPI_MAX_PROCESSOR_NAME) NAME
      CHARACTER*(MPI_MAX_ERROR_STRING) TEXT

      ERRS = 0
      CALL MPI_INIT(IERR)
      NAME = '?'
      LEN = -1
      CALL MPI_GET_PROCESSOR_NAME(NAME, LEN, IERR)
      IF (IERR .NE. MPI_SUCCESS) THEN
         PRINT *, 'MPI_GET_PROCESSOR_NAME returned ', IERR
         ERRS = ERRS + 1
      END IF
      IF (LEN .LE. 0 .OR. LEN .GT. MPI_MAX_PROCESSOR_NAME) THEN
         PRINT *, 'RESULTLEN ', LEN
         ERRS = ERRS + 1
      ELSE
         IF (NAME(1:LEN) .EQ. ' ') THEN
            PRINT *, 'blank processor name'
            ERRS = ERRS + 1
         END IF
         IF (LEN .LT. MPI_MAX_PROCESSOR_NAME) THEN
            IF (NAME(LEN + 1:) .NE. ' ') THEN
               PRINT *, 'name not blank after RESULTLEN: ', NAME
               ERRS = ERRS + 1
            END IF
         END IF
         DO I = 1, LEN
            IF (ICHAR(NAME(I:I)) .EQ. 0) THEN
               PRINT *, 'NUL inside the processor name'
               ERRS = ERRS + 1
            END IF
         END DO
      END IF

      LEN = -1
      CALL MPI_ERROR_STRING(MPI_ERR_RANK, TEXT, LEN, IERR)
      IF (IERR .NE. MPI_SUCCESS .OR. LEN .LE. 0 .OR.
     &    LEN .GT. MPI_MAX_ERROR_STRING) THEN
         PRINT *, 'MPI_ERROR_STRING(MPI_ERR_RANK): ', IERR, LEN
         ERRS = ERRS + 1
      ELSE IF (TEXT(1:LEN) .EQ. ' ') THEN
         PRINT *, 'MPI_ERROR_STRING(MPI_ERR_RANK) is blank'
         ERRS = ERRS + 1
      END IF
      LEN = -1
      CALL MPI_ERROR_STRING(MPI_SUCCESS, TEXT, LEN, IERR)
      IF (LEN .LE. 0 .OR. LEN .GT. MPI_MAX_ERROR_STRING) THEN
         PRINT *, 'MPI_ERROR_STRING(MPI_SUCCESS) length ', LEN
         ERRS = ERRS + 1
      END IF
      CALL MTEST_FINALIZE(ERRS)
      END

      INCLUDE 'mtestf.h'
