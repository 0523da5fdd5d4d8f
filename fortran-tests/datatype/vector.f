C     A strided block of a column-major matrix with MPI_TYPE_VECTOR,
C     small (eager) and large (rendezvous), between even ranks and the
C     next odd rank, plus the extent queries and a row (stride N).
      PROGRAM VECTOR
      IMPLICIT NONE
      INCLUDE 'mpif.h'
      INTEGER N
      PARAMETER (N = 400)
      DOUBLE PRECISION A(N, N), B(N, N)
      INTEGER IERR, RANK, NPROCS, PEER, ERRS, TOTAL
      INTEGER BLK, ROW, I, J, R0, C0, NR, NC, CASE, SZ
      INTEGER ST(MPI_STATUS_SIZE)
      INTEGER EXT, LB
      INTEGER(KIND=MPI_ADDRESS_KIND) XLB, XEXT
      DOUBLE PRECISION WANT
      SAVE A, B
      ERRS = 0
      CALL MPI_INIT(IERR)
      CALL MPI_COMM_RANK(MPI_COMM_WORLD, RANK, IERR)
      CALL MPI_COMM_SIZE(MPI_COMM_WORLD, NPROCS, IERR)
      IF (MOD(RANK, 2) .EQ. 0) THEN
         PEER = RANK + 1
      ELSE
         PEER = RANK - 1
      END IF
      DO J = 1, N
         DO I = 1, N
            A(I, J) = RANK * 1000000.0D0 + I * 1000.0D0 + J
         END DO
      END DO

C     Case 1: rows 11..30 of columns 5..14 (1600 bytes); case 2: rows
C     1..300 of columns 50..149 (240 KB).
      DO CASE = 1, 2
         IF (CASE .EQ. 1) THEN
            R0 = 11
            C0 = 5
            NR = 20
            NC = 10
         ELSE
            R0 = 1
            C0 = 50
            NR = 300
            NC = 100
         END IF
         CALL MPI_TYPE_VECTOR(NC, NR, N, MPI_DOUBLE_PRECISION, BLK,
     &        IERR)
         CALL MPI_TYPE_COMMIT(BLK, IERR)
         CALL MPI_TYPE_SIZE(BLK, SZ, IERR)
         IF (SZ .NE. NR * NC * 8) THEN
            ERRS = ERRS + 1
            PRINT *, 'size', SZ
         END IF
         CALL MPI_TYPE_EXTENT(BLK, EXT, IERR)
         CALL MPI_TYPE_LB(BLK, LB, IERR)
         CALL MPI_TYPE_GET_EXTENT(BLK, XLB, XEXT, IERR)
         IF (EXT .NE. ((NC - 1) * N + NR) * 8 .OR. LB .NE. 0
     &        .OR. XEXT .NE. EXT .OR. XLB .NE. 0) THEN
            ERRS = ERRS + 1
            PRINT *, 'extent', EXT, LB, XEXT, XLB
         END IF
         DO J = 1, N
            DO I = 1, N
               B(I, J) = -1.0D0
            END DO
         END DO
         IF (PEER .LT. NPROCS) THEN
            CALL MPI_SENDRECV(A(R0, C0), 1, BLK, PEER, CASE,
     &           B(R0, C0), 1, BLK, PEER, CASE, MPI_COMM_WORLD, ST,
     &           IERR)
            DO J = 1, N
               DO I = 1, N
                  WANT = -1.0D0
                  IF (I .GE. R0 .AND. I .LT. R0 + NR .AND. J .GE. C0
     &                 .AND. J .LT. C0 + NC) THEN
                     WANT = PEER * 1000000.0D0 + I * 1000.0D0 + J
                  END IF
                  IF (B(I, J) .NE. WANT) THEN
                     ERRS = ERRS + 1
                     IF (ERRS .LE. 5) PRINT *, 'B', I, J, B(I, J), WANT
                  END IF
               END DO
            END DO
         END IF
         CALL MPI_TYPE_FREE(BLK, IERR)
      END DO

C     A row: N elements N apart, received as contiguous numbers.
      CALL MPI_TYPE_VECTOR(N, 1, N, MPI_DOUBLE_PRECISION, ROW, IERR)
      CALL MPI_TYPE_COMMIT(ROW, IERR)
      IF (PEER .LT. NPROCS) THEN
         CALL MPI_SENDRECV(A(7, 1), 1, ROW, PEER, 3, B, N,
     &        MPI_DOUBLE_PRECISION, PEER, 3, MPI_COMM_WORLD, ST, IERR)
         DO J = 1, N
            IF (B(J, 1) .NE. PEER * 1000000.0D0 + 7000.0D0 + J) THEN
               ERRS = ERRS + 1
               IF (ERRS .LE. 5) PRINT *, 'row', J, B(J, 1)
            END IF
         END DO
      END IF
      CALL MPI_TYPE_FREE(ROW, IERR)

C     Gather the error counts on rank 0.
      IF (RANK .EQ. 0) THEN
         TOTAL = ERRS
         DO I = 1, NPROCS - 1
            CALL MPI_RECV(SZ, 1, MPI_INTEGER, I, 99, MPI_COMM_WORLD,
     &           ST, IERR)
            TOTAL = TOTAL + SZ
         END DO
         IF (TOTAL .EQ. 0) THEN
            PRINT *, 'No Errors'
         ELSE
            PRINT *, 'Found', TOTAL, 'errors'
         END IF
      ELSE
         CALL MPI_SEND(ERRS, 1, MPI_INTEGER, 0, 99, MPI_COMM_WORLD,
     &        IERR)
      END IF
      CALL MPI_FINALIZE(IERR)
      IF (ERRS .NE. 0) STOP 1
      END
