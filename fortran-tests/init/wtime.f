C     MPI_WTIME and MPI_WTICK are DOUBLE PRECISION functions declared by
C     mpif.h (this program does not declare them): the tick is positive
C     and below a second, time does not go backwards, and it advances
C     within a bounded busy loop.
      PROGRAM WTIME
      IMPLICIT NONE
      INCLUDE 'mpif.h'
      INTEGER IERR, ERRS, I
      DOUBLE PRECISION TICK, T0, T1, PREV

      ERRS = 0
      CALL MPI_INIT(IERR)
      TICK = MPI_WTICK()
      IF (TICK .LE. 0.0D0 .OR. TICK .GE. 1.0D0) THEN
         PRINT *, 'MPI_WTICK() = ', TICK
         ERRS = ERRS + 1
      END IF
      T0 = MPI_WTIME()
      PREV = T0
      DO I = 1, 100000000
         T1 = MPI_WTIME()
         IF (T1 .LT. PREV) THEN
            PRINT *, 'MPI_WTIME went back from ', PREV, ' to ', T1
            ERRS = ERRS + 1
         END IF
         PREV = T1
         IF (T1 - T0 .GE. 0.002D0) GOTO 10
      END DO
   10 CONTINUE
      IF (PREV - T0 .LT. 0.002D0) THEN
         PRINT *, 'MPI_WTIME advanced only ', PREV - T0
         ERRS = ERRS + 1
      END IF
      IF (T0 .LE. 0.0D0 .AND. T1 .LE. 0.0D0) THEN
         PRINT *, 'MPI_WTIME values ', T0, T1
         ERRS = ERRS + 1
      END IF
      CALL MTEST_FINALIZE(ERRS)
      END

      INCLUDE 'mtestf.h'
