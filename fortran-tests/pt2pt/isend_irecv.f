C     MPI_ISEND, MPI_IRECV and MPI_WAITALL with a status array of
C     MPI_STATUS_SIZE x K: every rank exchanges K messages with every
C     rank (itself included) and checks values, sources and tags through
C     the statuses; a second round completes with MPI_STATUSES_IGNORE,
C     and a third with MPI_TESTALL in a loop.
      PROGRAM ISENDIRECV
      IMPLICIT NONE
      INCLUDE 'mpif.h'
      INTEGER MAXP, K
      PARAMETER (MAXP = 32, K = 4)
      INTEGER RANK, NPROCS, IERR, ERRS, P, J, NREQ, ROUND, IDX
      INTEGER SBUF(K, 0:MAXP - 1), RBUF(K, 0:MAXP - 1)
      INTEGER REQS(2 * K * MAXP)
      INTEGER STATS(MPI_STATUS_SIZE, 2 * K * MAXP)
      LOGICAL FLAG

      ERRS = 0
      CALL MPI_INIT(IERR)
      CALL MPI_COMM_RANK(MPI_COMM_WORLD, RANK, IERR)
      CALL MPI_COMM_SIZE(MPI_COMM_WORLD, NPROCS, IERR)

      DO ROUND = 1, 3
         NREQ = 0
         DO P = 0, NPROCS - 1
            DO J = 1, K
               SBUF(J, P) = ROUND * 1000000 + RANK * 1000 + P * 10 + J
               RBUF(J, P) = -1
               NREQ = NREQ + 1
               CALL MPI_IRECV(RBUF(J, P), 1, MPI_INTEGER, P, J,
     &                        MPI_COMM_WORLD, REQS(NREQ), IERR)
            END DO
         END DO
         DO P = 0, NPROCS - 1
            DO J = 1, K
               NREQ = NREQ + 1
               CALL MPI_ISEND(SBUF(J, P), 1, MPI_INTEGER, P, J,
     &                        MPI_COMM_WORLD, REQS(NREQ), IERR)
            END DO
         END DO
         IF (ROUND .EQ. 1) THEN
            CALL MPI_WAITALL(NREQ, REQS, STATS, IERR)
            IF (IERR .NE. MPI_SUCCESS) THEN
               PRINT *, 'MPI_WAITALL returned ', IERR
               ERRS = ERRS + 1
            END IF
            DO P = 0, NPROCS - 1
               DO J = 1, K
                  IDX = P * K + J
                  IF (STATS(MPI_SOURCE, IDX) .NE. P .OR.
     &                STATS(MPI_TAG, IDX) .NE. J) THEN
                     PRINT *, 'status ', IDX, ': source ',
     &                  STATS(MPI_SOURCE, IDX), ' tag ',
     &                  STATS(MPI_TAG, IDX)
                     ERRS = ERRS + 1
                  END IF
               END DO
            END DO
         ELSE IF (ROUND .EQ. 2) THEN
            CALL MPI_WAITALL(NREQ, REQS, MPI_STATUSES_IGNORE, IERR)
         ELSE
            FLAG = .FALSE.
            DO WHILE (.NOT. FLAG)
               CALL MPI_TESTALL(NREQ, REQS, FLAG, STATS, IERR)
            END DO
         END IF
         DO IDX = 1, NREQ
            IF (REQS(IDX) .NE. MPI_REQUEST_NULL) THEN
               PRINT *, 'request ', IDX, ' not MPI_REQUEST_NULL'
               ERRS = ERRS + 1
            END IF
         END DO
         DO P = 0, NPROCS - 1
            DO J = 1, K
               IF (RBUF(J, P) .NE.
     &             ROUND * 1000000 + P * 1000 + RANK * 10 + J) THEN
                  PRINT *, 'round ', ROUND, ' from ', P, ' message ',
     &               J, ': ', RBUF(J, P)
                  ERRS = ERRS + 1
               END IF
            END DO
         END DO
      END DO

      CALL MTEST_FINALIZE(ERRS)
      END

      INCLUDE 'mtestf.h'
