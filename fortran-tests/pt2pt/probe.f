C     MPI_PROBE and MPI_IPROBE: MPI_IPROBE finds nothing before anyone
C     sent; rank 0 then probes each rank's message with wildcards, learns
C     its length from MPI_GET_COUNT and receives it.  With one rank, rank
C     0 probes a message it sent itself.
      PROGRAM PROBE
      IMPLICIT NONE
      INCLUDE 'mpif.h'
      INTEGER MAXN
      PARAMETER (MAXN = 2000)
      INTEGER RANK, NPROCS, IERR, ERRS, I, J, COUNT, SRC, GO, REQ
      INTEGER BUF(MAXN), SBUF(MAXN), STATUS(MPI_STATUS_SIZE)
      LOGICAL FLAG

      ERRS = 0
      CALL MPI_INIT(IERR)
      CALL MPI_COMM_RANK(MPI_COMM_WORLD, RANK, IERR)
      CALL MPI_COMM_SIZE(MPI_COMM_WORLD, NPROCS, IERR)

      IF (RANK .EQ. 0) THEN
         FLAG = .TRUE.
         CALL MPI_IPROBE(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD,
     &                   FLAG, STATUS, IERR)
         IF (FLAG) THEN
            PRINT *, 'MPI_IPROBE found a message before any was sent'
            ERRS = ERRS + 1
         END IF
         IF (NPROCS .EQ. 1) THEN
            DO J = 1, 7
               SBUF(J) = 100 + J
            END DO
            CALL MPI_ISEND(SBUF, 7, MPI_INTEGER, 0, 5, MPI_COMM_WORLD,
     &                     REQ, IERR)
         ELSE
            DO I = 1, NPROCS - 1
               CALL MPI_SEND(I, 1, MPI_INTEGER, I, 0, MPI_COMM_WORLD,
     &                       IERR)
            END DO
         END IF
         DO I = 1, MAX(NPROCS - 1, 1)
            IF (MOD(I, 2) .EQ. 0) THEN
               CALL MPI_PROBE(MPI_ANY_SOURCE, MPI_ANY_TAG,
     &                        MPI_COMM_WORLD, STATUS, IERR)
            ELSE
               FLAG = .FALSE.
               DO WHILE (.NOT. FLAG)
                  CALL MPI_IPROBE(MPI_ANY_SOURCE, MPI_ANY_TAG,
     &                 MPI_COMM_WORLD, FLAG, STATUS, IERR)
               END DO
            END IF
            SRC = STATUS(MPI_SOURCE)
            CALL MPI_GET_COUNT(STATUS, MPI_INTEGER, COUNT, IERR)
            IF (STATUS(MPI_TAG) .NE. 5 .OR.
     &          COUNT .NE. 7 + 100 * SRC) THEN
               PRINT *, 'probed tag ', STATUS(MPI_TAG), ' count ',
     &                  COUNT, ' from ', SRC
               ERRS = ERRS + 1
            ELSE
               CALL MPI_RECV(BUF, COUNT, MPI_INTEGER, SRC, 5,
     &                       MPI_COMM_WORLD, STATUS, IERR)
               DO J = 1, COUNT
                  IF (BUF(J) .NE. SRC * 1000 + 100 + J) THEN
                     PRINT *, 'from ', SRC, ': BUF(', J, ') = ', BUF(J)
                     ERRS = ERRS + 1
                     GOTO 20
                  END IF
               END DO
   20          CONTINUE
            END IF
         END DO
         IF (NPROCS .EQ. 1) CALL MPI_WAIT(REQ, STATUS, IERR)
      ELSE
         CALL MPI_RECV(GO, 1, MPI_INTEGER, 0, 0, MPI_COMM_WORLD,
     &                 STATUS, IERR)
         DO J = 1, 7 + 100 * RANK
            BUF(J) = RANK * 1000 + 100 + J
         END DO
         CALL MPI_SEND(BUF, 7 + 100 * RANK, MPI_INTEGER, 0, 5,
     &                 MPI_COMM_WORLD, IERR)
      END IF
      CALL MTEST_FINALIZE(ERRS)
      END

      INCLUDE 'mtestf.h'
