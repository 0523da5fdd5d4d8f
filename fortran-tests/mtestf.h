C     Shared by the Fortran test programs: include it after the END of
C     the main program.  MTEST_FINALIZE adds every rank's error count on
C     rank 0 with point-to-point messages (tag 32001 on MPI_COMM_WORLD)
C     after a barrier,
C     prints ' No Errors' from rank 0 when the total is zero, finalizes
C     MPI and stops with code 1 on the ranks that know of errors.
      SUBROUTINE MTEST_FINALIZE(ERRS)
      IMPLICIT NONE
      INCLUDE 'mpif.h'
      INTEGER ERRS
      INTEGER RANK, NPROCS, I, THEIRS, TOTAL, IERR
      INTEGER STATUS(MPI_STATUS_SIZE)

C     The barrier keeps the counts away from wildcard receives that the
C     program may still have posted.
      CALL MPI_BARRIER(MPI_COMM_WORLD, IERR)
      CALL MPI_COMM_RANK(MPI_COMM_WORLD, RANK, IERR)
      CALL MPI_COMM_SIZE(MPI_COMM_WORLD, NPROCS, IERR)
      TOTAL = ERRS
      IF (RANK .EQ. 0) THEN
         DO I = 1, NPROCS - 1
            CALL MPI_RECV(THEIRS, 1, MPI_INTEGER, I, 32001,
     &                    MPI_COMM_WORLD, STATUS, IERR)
            TOTAL = TOTAL + THEIRS
         END DO
         IF (TOTAL .EQ. 0) THEN
            WRITE (*, '(A)') ' No Errors'
         ELSE
            WRITE (*, '(A,I8,A)') ' Found ', TOTAL, ' errors'
         END IF
      ELSE
         CALL MPI_SEND(ERRS, 1, MPI_INTEGER, 0, 32001,
     &                 MPI_COMM_WORLD, IERR)
      END IF
      CALL MPI_FINALIZE(IERR)
      IF (TOTAL .NE. 0) STOP 1
      END
