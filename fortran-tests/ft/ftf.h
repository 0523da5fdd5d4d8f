C     Shared by the Fortran fault-tolerance tests: include it after the
C     END of the main program.
C
C     FT_FINISH(COMM, ERRS) sums the error counts over COMM (a healthy,
C     recovered communicator) with MPI_ALLREDUCE, prints ' No Errors'
C     from the member with the lowest rank in MPI_COMM_WORLD when the
C     total is zero, finalizes MPI and stops with code 1 on errors.
      SUBROUTINE FT_FINISH(COMM, ERRS)
      IMPLICIT NONE
      INCLUDE 'mpif.h'
      INTEGER COMM, ERRS
      INTEGER WRANK, TOTAL, LOWEST, IERR1, IERR2, IERR

      TOTAL = -1
      LOWEST = -1
      CALL MPI_COMM_RANK(MPI_COMM_WORLD, WRANK, IERR)
      CALL MPI_ALLREDUCE(ERRS, TOTAL, 1, MPI_INTEGER, MPI_SUM, COMM,
     &                   IERR1)
      CALL MPI_ALLREDUCE(WRANK, LOWEST, 1, MPI_INTEGER, MPI_MIN, COMM,
     &                   IERR2)
      IF (IERR1 .NE. MPI_SUCCESS .OR. IERR2 .NE. MPI_SUCCESS) THEN
         PRINT *, 'FT_FINISH: the final allreduces returned ', IERR1,
     &        IERR2
         TOTAL = 1
      ELSE IF (WRANK .EQ. LOWEST) THEN
         IF (TOTAL .EQ. 0) THEN
            WRITE (*, '(A)') ' No Errors'
         ELSE
            WRITE (*, '(A,I8,A)') ' Found ', TOTAL, ' errors'
         END IF
      END IF
      CALL MPI_FINALIZE(IERR)
      IF (TOTAL .NE. 0) STOP 1
      END

C     CHKINT(GOT, WANT, WHAT, ERRS): count an error when GOT is not WANT.
      SUBROUTINE CHKINT(GOT, WANT, WHAT, ERRS)
      IMPLICIT NONE
      INTEGER GOT, WANT, ERRS
      CHARACTER*(*) WHAT

      IF (GOT .NE. WANT) THEN
         PRINT *, WHAT, ': got ', GOT, ', expected ', WANT
         ERRS = ERRS + 1
      END IF
      END

C     CHKATT(COMM, KEY, WANT, WHAT, ERRS): the attribute KEY of COMM,
C     read with MPI_ATTR_GET, is set and equals WANT.
      SUBROUTINE CHKATT(COMM, KEY, WANT, WHAT, ERRS)
      IMPLICIT NONE
      INCLUDE 'mpif.h'
      INTEGER COMM, KEY, WANT, ERRS, VAL, IERR
      LOGICAL FLAG
      CHARACTER*(*) WHAT

      VAL = -999
      FLAG = .FALSE.
      CALL MPI_ATTR_GET(COMM, KEY, VAL, FLAG, IERR)
      IF (IERR .NE. MPI_SUCCESS .OR. .NOT. FLAG) THEN
         PRINT *, WHAT, ': MPI_ATTR_GET returned ', IERR, FLAG
         ERRS = ERRS + 1
      ELSE
         CALL CHKINT(VAL, WANT, WHAT, ERRS)
      END IF
      END

C     CHKFT(COMM, N, VICTIM, ERRS): COMM (ranks 0..N-1) has seen exactly
C     one failure, of rank VICTIM: counts by MPI_ATTR_GET, the map by
C     FTMPI_COMM_FAILED_MAP, the list by FTMPI_COMM_FAILED_LIST.
      SUBROUTINE CHKFT(COMM, N, VICTIM, ERRS)
      IMPLICIT NONE
      INCLUDE 'mpif.h'
      INTEGER COMM, N, VICTIM, ERRS, IERR, I, NL, WANT
      INTEGER MAP(64), LIST(64)

      CALL CHKATT(COMM, FT_MPI_COM_NUM_FAILED, 1,
     &     'FT_MPI_COM_NUM_FAILED', ERRS)
      CALL CHKATT(COMM, FT_MPI_LIST_NUM_FAILED, 1,
     &     'FT_MPI_LIST_NUM_FAILED', ERRS)
      CALL CHKATT(COMM, FTMPI_COMM_STATE, FTMPI_STATE_DETECTED,
     &     'FTMPI_COMM_STATE', ERRS)
      DO I = 1, 64
         MAP(I) = -1
         LIST(I) = -1
      END DO
      CALL FTMPI_COMM_FAILED_MAP(COMM, MAP, IERR)
      CALL CHKINT(IERR, MPI_SUCCESS, 'FTMPI_COMM_FAILED_MAP', ERRS)
      DO I = 1, N
         WANT = 0
         IF (I - 1 .EQ. VICTIM) WANT = 1
         CALL CHKINT(MAP(I), WANT, 'FTMPI_COMM_FAILED_MAP entry', ERRS)
      END DO
      NL = -1
      CALL FTMPI_COMM_FAILED_LIST(COMM, LIST, NL, IERR)
      CALL CHKINT(IERR, MPI_SUCCESS, 'FTMPI_COMM_FAILED_LIST', ERRS)
      CALL CHKINT(NL, 1, 'FTMPI_COMM_FAILED_LIST length', ERRS)
      CALL CHKINT(LIST(1), VICTIM, 'FTMPI_COMM_FAILED_LIST(1)', ERRS)
      END
