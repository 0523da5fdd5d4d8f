C     Master/worker that survives the death of workers (BLANK + CONT),
C     in Fortran 77, after the example in Fagg & Dongarra's FT-MPI
C     paper: see ft_master_worker.c.  Rank 0 hands out work units; when
C     a worker dies, the master's MPI_ANY_SOURCE receive returns
C     MPI_ERR_OTHER with STATUS(MPI_SOURCE) naming it, and its unit goes
C     to another worker.  Only the master checks return codes.
C
C     Build: mpif77 ft_master_worker.f -o ft_master_worker_f
C     Run:   mpirun -cm blank -mm cont -np 4 ./ft_master_worker_f -k 2
C            (-k R: worker R dies of SIGKILL holding its second unit)
      PROGRAM FTMW
      IMPLICIT NONE
      INCLUDE 'mpif.h'
      INTEGER RANK, NPROCS, IERR, VICTIM, I, NARGS
      CHARACTER*32 ARG

      CALL MPI_INIT(IERR)
      CALL MPI_COMM_RANK(MPI_COMM_WORLD, RANK, IERR)
      CALL MPI_COMM_SIZE(MPI_COMM_WORLD, NPROCS, IERR)
      VICTIM = -1
      NARGS = COMMAND_ARGUMENT_COUNT()
      DO I = 1, NARGS - 1
         CALL GET_COMMAND_ARGUMENT(I, ARG)
         IF (ARG .EQ. '-k') THEN
            CALL GET_COMMAND_ARGUMENT(I + 1, ARG)
            READ (ARG, *) VICTIM
         END IF
      END DO
      IF (NPROCS .LT. 2 .OR. NPROCS .GT. 256) THEN
         IF (RANK .EQ. 0) PRINT *, 'run with 2 to 256 ranks'
         CALL MPI_FINALIZE(IERR)
         STOP 1
      END IF
      IF (RANK .EQ. 0) THEN
         CALL MASTER(NPROCS)
      ELSE
         CALL WORKER(RANK, VICTIM)
      END IF
      CALL MPI_FINALIZE(IERR)
      END

C     The work of one unit: an exact sum (small integers in a double).
      DOUBLE PRECISION FUNCTION COMPUT(U)
      IMPLICIT NONE
      INTEGER U, I, WORK
      PARAMETER (WORK=200000)
      COMPUT = 0
      DO I = 0, WORK - 1
         COMPUT = COMPUT + DBLE(MOD(U * WORK + I, 9973))**2
      END DO
      END

      SUBROUTINE MASTER(NPROCS)
      IMPLICIT NONE
      INCLUDE 'mpif.h'
      INTEGER NPROCS, NUNITS, TWORK, TSTOP
      PARAMETER (NUNITS=200, TWORK=1, TSTOP=3)
      INTEGER OWNER(0:NUNITS-1), BUSY(255), ALIVE(255)
      LOGICAL FINISH(0:NUNITS-1)
      INTEGER DONE, LIVE, U, V, W, IERR, STATUS(MPI_STATUS_SIZE)
      DOUBLE PRECISION RESULT, EXPECT, MSG(2), UD(2), COMPUT

      DO U = 0, NUNITS - 1
         OWNER(U) = -1
         FINISH(U) = .FALSE.
      END DO
      DO W = 1, NPROCS - 1
         ALIVE(W) = 1
         BUSY(W) = -1
      END DO
      DONE = 0
      RESULT = 0

C     Give every idle live worker a unit nobody holds.
 10   LIVE = 0
      DO V = 1, NPROCS - 1
         IF (ALIVE(V) .EQ. 1 .AND. BUSY(V) .LT. 0) THEN
            DO U = 0, NUNITS - 1
               IF (BUSY(V) .LT. 0 .AND. .NOT. FINISH(U) .AND.
     &             OWNER(U) .LT. 0) THEN
                  UD(1) = U
                  CALL MPI_SEND(UD, 1, MPI_DOUBLE_PRECISION, V, TWORK,
     &                 MPI_COMM_WORLD, IERR)
                  IF (IERR .EQ. MPI_SUCCESS) THEN
                     BUSY(V) = U
                     OWNER(U) = V
                  ELSE
                     ALIVE(V) = 0
                  END IF
               END IF
            END DO
         END IF
         LIVE = LIVE + ALIVE(V)
      END DO
      IF (LIVE .EQ. 0) THEN
C        No worker left: the master does the rest itself.
         DO U = 0, NUNITS - 1
            IF (.NOT. FINISH(U)) THEN
               FINISH(U) = .TRUE.
               RESULT = RESULT + COMPUT(U)
               DONE = DONE + 1
            END IF
         END DO
      END IF
      IF (DONE .LT. NUNITS) THEN
         CALL MPI_RECV(MSG, 2, MPI_DOUBLE_PRECISION, MPI_ANY_SOURCE,
     &        MPI_ANY_TAG, MPI_COMM_WORLD, STATUS, IERR)
         W = STATUS(MPI_SOURCE)
         IF (IERR .EQ. MPI_ERR_OTHER) THEN
            PRINT *, 'master: worker', W, ' failed'
            ALIVE(W) = 0
            IF (BUSY(W) .GE. 0) OWNER(BUSY(W)) = -1
            BUSY(W) = -1
         ELSE IF (IERR .NE. MPI_SUCCESS) THEN
            PRINT *, 'master: MPI_RECV returned', IERR
            CALL MPI_ABORT(MPI_COMM_WORLD, 1, IERR)
         ELSE
C           A result may come after its worker's failure report, when
C           the unit is out again: count each unit once.
            U = NINT(MSG(1))
            IF (.NOT. FINISH(U)) THEN
               FINISH(U) = .TRUE.
               RESULT = RESULT + MSG(2)
               DONE = DONE + 1
            END IF
            IF (OWNER(U) .EQ. W) OWNER(U) = -1
            IF (BUSY(W) .EQ. U) BUSY(W) = -1
         END IF
         GOTO 10
      END IF

      DO W = 1, NPROCS - 1
         IF (ALIVE(W) .EQ. 1) CALL MPI_SEND(UD, 1,
     &        MPI_DOUBLE_PRECISION, W, TSTOP, MPI_COMM_WORLD, IERR)
      END DO
      EXPECT = 0
      DO U = 0, NUNITS - 1
         EXPECT = EXPECT + COMPUT(U)
      END DO
      IF (RESULT .EQ. EXPECT) THEN
         WRITE (*, '(A,F20.1,A)') ' master: result ', RESULT,
     &        ': result matches'
      ELSE
         WRITE (*, '(A,F20.1,A,F20.1)') ' master: result ', RESULT,
     &        ': RESULT DIFFERS from ', EXPECT
      END IF
      END

      SUBROUTINE WORKER(RANK, VICTIM)
      IMPLICIT NONE
      INCLUDE 'mpif.h'
      INTEGER RANK, VICTIM, U, NU, IERR, TSTOP, TRES
      PARAMETER (TSTOP=3, TRES=2)
      INTEGER STATUS(MPI_STATUS_SIZE)
      DOUBLE PRECISION MSG(2), COMPUT

      NU = 0
 20   CALL MPI_RECV(MSG, 1, MPI_DOUBLE_PRECISION, 0, MPI_ANY_TAG,
     &     MPI_COMM_WORLD, STATUS, IERR)
      IF (STATUS(MPI_TAG) .EQ. TSTOP) RETURN
      U = NINT(MSG(1))
      MSG(1) = U
      MSG(2) = COMPUT(U)
      NU = NU + 1
      IF (RANK .EQ. VICTIM .AND. NU .EQ. 2) THEN
         PRINT *, 'worker', RANK, ': dying with unit', U
         CALL FLUSH(6)
         CALL KILL(GETPID(), 9)
      END IF
      CALL MPI_SEND(MSG, 2, MPI_DOUBLE_PRECISION, 0, TRES,
     &     MPI_COMM_WORLD, IERR)
      GOTO 20
      END
