C     REBUILD + NOP from Fortran 77: rank 1 dies of SIGKILL after a
C     barrier.  Survivors: MPI_RECV from it returns MPI_ERR_OTHER; the
C     counts, map and list name it.  The respawned process sees
C     MPI_INIT_RESTARTED_NODE in MPI_INIT's IERROR and joins the
C     recovery MPI_COMM_DUP.  Everyone then has its old rank, the full
C     size, counts back to 0, and allreduces over the duplicate and over
C     MPI_COMM_WORLD include the new process.
      PROGRAM FTREBU
      IMPLICIT NONE
      INCLUDE 'mpif.h'
      INTEGER RANK, NPROCS, IERR, ERRS, V, CM, MM, NEWC, VICTIM
      INTEGER NSIZE, NRANK, SUM, MINE, WANT, INITRC
      INTEGER STATUS(MPI_STATUS_SIZE)

      ERRS = 0
      VICTIM = 1
      CALL MPI_INIT(INITRC)
      IF (INITRC .NE. MPI_SUCCESS .AND.
     &    INITRC .NE. MPI_INIT_RESTARTED_NODE) THEN
         PRINT *, 'MPI_INIT returned ', INITRC
         ERRS = ERRS + 1
      END IF
      CALL MPI_COMM_RANK(MPI_COMM_WORLD, RANK, IERR)
      CALL MPI_COMM_SIZE(MPI_COMM_WORLD, NPROCS, IERR)
      CALL FTMPI_COMM_GET_MODE(MPI_COMM_WORLD, CM, MM, IERR)
      CALL CHKINT(CM, FTMPI_COMM_MODE_REBUILD, 'communicator mode',
     &     ERRS)
      CALL CHKINT(MM, FTMPI_MSG_MODE_NOP, 'message mode', ERRS)
      IF (INITRC .EQ. MPI_INIT_RESTARTED_NODE) THEN
         CALL CHKINT(RANK, VICTIM, 'rank of the respawned process',
     &        ERRS)
         GOTO 100
      END IF

      CALL MPI_BARRIER(MPI_COMM_WORLD, IERR)
      IF (RANK .EQ. VICTIM) THEN
         CALL FLUSH(6)
         CALL KILL(GETPID(), 9)
      END IF
      CALL MPI_RECV(V, 1, MPI_INTEGER, VICTIM, 0, MPI_COMM_WORLD,
     &     STATUS, IERR)
      CALL CHKINT(IERR, MPI_ERR_OTHER, 'MPI_RECV from the victim', ERRS)
      CALL CHKFT(MPI_COMM_WORLD, NPROCS, VICTIM, ERRS)

 100  CALL MPI_COMM_DUP(MPI_COMM_WORLD, NEWC, IERR)
      CALL CHKINT(IERR, MPI_SUCCESS, 'MPI_COMM_DUP (recovery)', ERRS)
      CALL MPI_COMM_SIZE(NEWC, NSIZE, IERR)
      CALL MPI_COMM_RANK(NEWC, NRANK, IERR)
      CALL CHKINT(NSIZE, NPROCS, 'size of the duplicate', ERRS)
      CALL CHKINT(NRANK, RANK, 'rank in the duplicate', ERRS)
      CALL CHKATT(NEWC, FT_MPI_COM_NUM_FAILED, 0,
     &     'FT_MPI_COM_NUM_FAILED after', ERRS)
      CALL CHKATT(MPI_COMM_WORLD, FT_MPI_COM_NUM_FAILED, 0,
     &     'FT_MPI_COM_NUM_FAILED of MPI_COMM_WORLD after', ERRS)

      MINE = RANK + 1
      WANT = NPROCS * (NPROCS + 1) / 2
      SUM = -1
      CALL MPI_ALLREDUCE(MINE, SUM, 1, MPI_INTEGER, MPI_SUM, NEWC, IERR)
      CALL CHKINT(IERR, MPI_SUCCESS, 'MPI_ALLREDUCE', ERRS)
      CALL CHKINT(SUM, WANT, 'allreduce over the duplicate', ERRS)
      SUM = -1
      CALL MPI_ALLREDUCE(MINE, SUM, 1, MPI_INTEGER, MPI_SUM,
     &     MPI_COMM_WORLD, IERR)
      CALL CHKINT(IERR, MPI_SUCCESS, 'MPI_ALLREDUCE (world)', ERRS)
      CALL CHKINT(SUM, WANT, 'allreduce over MPI_COMM_WORLD', ERRS)
      CALL FT_FINISH(NEWC, ERRS)
      END

      INCLUDE 'ftf.h'
