C     MPI_TYPE_STRUCT and MPI_TYPE_CREATE_STRUCT over unrelated
C     variables: absolute addresses from MPI_GET_ADDRESS sent from
C     MPI_BOTTOM, and MPI-1's MPI_ADDRESS differences (INTEGER)
C     relative to the first variable; MPI_TYPE_HVECTOR and
C     MPI_TYPE_HINDEXED with INTEGER displacements; MPI_LB/MPI_UB;
C     type names. Even ranks send to the next odd rank.
C
C     Every choice argument is an INTEGER (the doubles are reached
C     through an EQUIVALENCE), so the file compiles without argument
C     mismatch warnings.
C
C     On 64-bit systems an absolute address rarely fits in MPI_ADDRESS's
C     INTEGER: then, as in MPICH, IERROR is MPI_ERR_OTHER but the low 32
C     bits are stored, so differences of nearby addresses stay exact.
      PROGRAM STRUCT
      IMPLICIT NONE
      INCLUDE 'mpif.h'
      INTEGER NBIG
      PARAMETER (NBIG = 3000)
      INTEGER ICNT, ICNT2, ID(2 * NBIG), ID2(2 * NBIG)
      DOUBLE PRECISION D(NBIG), D2(NBIG)
      EQUIVALENCE (D(1), ID(1)), (D2(1), ID2(1))
      SAVE ICNT, ICNT2, D, D2
      INTEGER IERR, RANK, NPROCS, PEER, ERRS, TOTAL, I, N, ROUND
      INTEGER T, BL(3), TYPES(3), IDISP(3), I1, I2, SZ, POS
      INTEGER ST(MPI_STATUS_SIZE), PBUF(100), LEN
      INTEGER(KIND=MPI_ADDRESS_KIND) ADISP(2), A1, A2
      CHARACTER*(MPI_MAX_OBJECT_NAME) NAME
      LOGICAL SENDER
      ERRS = 0
      CALL MPI_INIT(IERR)
      CALL MPI_COMM_RANK(MPI_COMM_WORLD, RANK, IERR)
      CALL MPI_COMM_SIZE(MPI_COMM_WORLD, NPROCS, IERR)
      SENDER = MOD(RANK, 2) .EQ. 0
      IF (SENDER) THEN
         PEER = RANK + 1
      ELSE
         PEER = RANK - 1
      END IF
      TYPES(1) = MPI_INTEGER
      TYPES(2) = MPI_DOUBLE_PRECISION
      BL(1) = 1

      DO ROUND = 1, 4
         N = 10
         IF (ROUND .EQ. 2 .OR. ROUND .EQ. 4) N = NBIG
         BL(2) = N
         ICNT = 100 + ROUND
         ICNT2 = -1
         DO I = 1, NBIG
            D(I) = I + ROUND * 0.5D0
            D2(I) = -1.0D0
         END DO
         IF (ROUND .LE. 2) THEN
C           Absolute addresses, sent from and received at MPI_BOTTOM.
            IF (SENDER) THEN
               CALL MPI_GET_ADDRESS(ICNT, ADISP(1), IERR)
               CALL MPI_GET_ADDRESS(ID(1), ADISP(2), IERR)
            ELSE
               CALL MPI_GET_ADDRESS(ICNT2, ADISP(1), IERR)
               CALL MPI_GET_ADDRESS(ID2(1), ADISP(2), IERR)
            END IF
            CALL MPI_TYPE_CREATE_STRUCT(2, BL, ADISP, TYPES, T, IERR)
         ELSE
C           MPI-1: INTEGER displacements relative to the counter.
            IF (SENDER) THEN
               CALL MPI_ADDRESS(ICNT, I1, IERR)
               CALL MPI_ADDRESS(ID(1), I2, IERR)
               CALL MPI_GET_ADDRESS(ICNT, A1, IERR)
               CALL MPI_GET_ADDRESS(ID(1), A2, IERR)
            ELSE
               CALL MPI_ADDRESS(ICNT2, I1, IERR)
               CALL MPI_ADDRESS(ID2(1), I2, IERR)
               CALL MPI_GET_ADDRESS(ICNT2, A1, IERR)
               CALL MPI_GET_ADDRESS(ID2(1), A2, IERR)
            END IF
            IF (IERR .NE. MPI_SUCCESS .AND. IERR .NE. MPI_ERR_OTHER)
     &           THEN
               ERRS = ERRS + 1
               PRINT *, 'MPI_ADDRESS failed with', IERR
            END IF
            IDISP(1) = 0
            IDISP(2) = I2 - I1
            IF (IDISP(2) .NE. A2 - A1) THEN
               ERRS = ERRS + 1
               PRINT *, 'address difference', IDISP(2), A2 - A1
            END IF
            CALL MPI_TYPE_STRUCT(2, BL, IDISP, TYPES, T, IERR)
         END IF
         CALL MPI_TYPE_COMMIT(T, IERR)
         CALL MPI_TYPE_SIZE(T, SZ, IERR)
         IF (SZ .NE. 4 + 8 * N) THEN
            ERRS = ERRS + 1
            PRINT *, 'size', SZ
         END IF
         IF (PEER .LT. NPROCS) THEN
            IF (SENDER .AND. ROUND .LE. 2) THEN
               CALL MPI_SEND(MPI_BOTTOM, 1, T, PEER, ROUND,
     &              MPI_COMM_WORLD, IERR)
            ELSE IF (SENDER) THEN
               CALL MPI_SEND(ICNT, 1, T, PEER, ROUND, MPI_COMM_WORLD,
     &              IERR)
            ELSE IF (ROUND .LE. 2) THEN
               CALL MPI_RECV(MPI_BOTTOM, 1, T, PEER, ROUND,
     &              MPI_COMM_WORLD, ST, IERR)
            ELSE
               CALL MPI_RECV(ICNT2, 1, T, PEER, ROUND,
     &              MPI_COMM_WORLD, ST, IERR)
            END IF
            IF (.NOT. SENDER) THEN
               IF (ICNT2 .NE. 100 + ROUND) THEN
                  ERRS = ERRS + 1
                  PRINT *, 'round', ROUND, 'counter', ICNT2
               END IF
               DO I = 1, NBIG
                  IF ((I .LE. N .AND. D2(I) .NE. I + ROUND * 0.5D0)
     &                 .OR. (I .GT. N .AND. D2(I) .NE. -1.0D0)) THEN
                     ERRS = ERRS + 1
                     IF (ERRS .LE. 5) PRINT *, 'round', ROUND, I, D2(I)
                  END IF
               END DO
            END IF
         END IF
         CALL MPI_TYPE_FREE(T, IERR)
      END DO

C     Every other double, by a byte stride; then doubles 3, 1 and 6..7
C     by byte displacements. Packed, and unpacked as plain doubles.
      DO I = 1, NBIG
         D(I) = I
      END DO
      CALL MPI_TYPE_HVECTOR(5, 1, 16, MPI_DOUBLE_PRECISION, T, IERR)
      CALL MPI_TYPE_COMMIT(T, IERR)
      POS = 0
      CALL MPI_PACK(ID, 1, T, PBUF, 400, POS, MPI_COMM_WORLD, IERR)
      CALL MPI_TYPE_FREE(T, IERR)
      BL(1) = 1
      BL(2) = 1
      BL(3) = 2
      IDISP(1) = 16
      IDISP(2) = 0
      IDISP(3) = 40
      CALL MPI_TYPE_HINDEXED(3, BL, IDISP, MPI_DOUBLE_PRECISION, T,
     &     IERR)
      CALL MPI_TYPE_COMMIT(T, IERR)
      CALL MPI_PACK(ID, 1, T, PBUF, 400, POS, MPI_COMM_WORLD, IERR)
      CALL MPI_TYPE_FREE(T, IERR)
      IF (POS .NE. 72) THEN
         ERRS = ERRS + 1
         PRINT *, 'packed', POS, 'bytes'
      END IF
      SZ = POS
      POS = 0
      CALL MPI_UNPACK(PBUF, SZ, POS, ID2, 9, MPI_DOUBLE_PRECISION,
     &     MPI_COMM_WORLD, IERR)
      IF (D2(1) .NE. 1 .OR. D2(3) .NE. 5 .OR. D2(5) .NE. 9 .OR.
     &     D2(6) .NE. 3 .OR. D2(7) .NE. 1 .OR. D2(8) .NE. 6 .OR.
     &     D2(9) .NE. 7) THEN
         ERRS = ERRS + 1
         PRINT *, 'unpacked', (D2(I), I = 1, 9)
      END IF

C     MPI-1 markers: an INTEGER between an LB at -8 and a UB at 24.
      BL(1) = 1
      BL(2) = 1
      BL(3) = 1
      TYPES(1) = MPI_LB
      TYPES(2) = MPI_INTEGER
      TYPES(3) = MPI_UB
      IDISP(1) = -8
      IDISP(2) = 0
      IDISP(3) = 24
      CALL MPI_TYPE_STRUCT(3, BL, IDISP, TYPES, T, IERR)
      CALL MPI_TYPE_LB(T, I1, IERR)
      CALL MPI_TYPE_UB(T, I2, IERR)
      CALL MPI_TYPE_EXTENT(T, SZ, IERR)
      IF (I1 .NE. -8 .OR. I2 .NE. 24 .OR. SZ .NE. 32) THEN
         ERRS = ERRS + 1
         PRINT *, 'markers', I1, I2, SZ
      END IF
      CALL MPI_TYPE_SET_NAME(T, 'int between markers', IERR)
      CALL MPI_TYPE_GET_NAME(T, NAME, LEN, IERR)
      IF (NAME .NE. 'int between markers' .OR. LEN .NE. 19) THEN
         ERRS = ERRS + 1
         PRINT *, 'name ', NAME, LEN
      END IF
      CALL MPI_TYPE_FREE(T, IERR)
      CALL MPI_TYPE_GET_NAME(MPI_INTEGER, NAME, LEN, IERR)
      IF (NAME .NE. 'MPI_INTEGER') THEN
         ERRS = ERRS + 1
         PRINT *, 'name ', NAME
      END IF

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
