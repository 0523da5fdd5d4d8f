C     Every Fortran datatype goes around the ring (send right, receive
C     from the left, with MPI_SENDRECV): INTEGER, REAL, DOUBLE PRECISION,
C     COMPLEX, DOUBLE COMPLEX, LOGICAL, CHARACTER, and the pair types
C     MPI_2INTEGER, MPI_2REAL, MPI_2DOUBLE_PRECISION.  Values depend on
C     the sender and are checked exactly, with MPI_GET_COUNT in elements.
      PROGRAM TYPES
      IMPLICIT NONE
      INCLUDE 'mpif.h'
      INTEGER N
      PARAMETER (N = 50)
      INTEGER RANK, NPROCS, LEFT, RIGHT, IERR, ERRS, I
      INTEGER STATUS(MPI_STATUS_SIZE)
      INTEGER IS(N), IR(N), I2S(2, N), I2R(2, N)
      REAL RS(N), RR(N), R2S(2, N), R2R(2, N)
      DOUBLE PRECISION DS(N), DR(N), D2S(2, N), D2R(2, N)
      COMPLEX CS(N), CR(N)
      DOUBLE COMPLEX ZS(N), ZR(N)
      LOGICAL LS(N), LR(N)
      CHARACTER*(N) CHS, CHR

      ERRS = 0
      CALL MPI_INIT(IERR)
      CALL MPI_COMM_RANK(MPI_COMM_WORLD, RANK, IERR)
      CALL MPI_COMM_SIZE(MPI_COMM_WORLD, NPROCS, IERR)
      LEFT = MOD(RANK + NPROCS - 1, NPROCS)
      RIGHT = MOD(RANK + 1, NPROCS)

      DO I = 1, N
         IS(I) = RANK * 1000 + I - 2000000000 * MOD(I, 2)
         I2S(1, I) = RANK + I
         I2S(2, I) = -RANK - I
         RS(I) = REAL(RANK) + REAL(I) / 8.0
         R2S(1, I) = REAL(RANK * I) * 0.5
         R2S(2, I) = -1.0E30 * REAL(I)
         DS(I) = DBLE(RANK) + 1.0D0 / DBLE(I + 2)
         D2S(1, I) = 1.0D300 / DBLE(I)
         D2S(2, I) = DBLE(RANK) * 1.0D-300
         CS(I) = CMPLX(REAL(RANK), REAL(I))
         ZS(I) = DCMPLX(DBLE(I) / 3.0D0, DBLE(-RANK))
         LS(I) = MOD(I + RANK, 3) .EQ. 0
         CHS(I:I) = CHAR(ICHAR('A') + MOD(I + RANK, 26))
      END DO

      CALL MPI_SENDRECV(IS, N, MPI_INTEGER, RIGHT, 1, IR, N,
     &     MPI_INTEGER, LEFT, 1, MPI_COMM_WORLD, STATUS, IERR)
      CALL CHKCNT(STATUS, MPI_INTEGER, N, 'MPI_INTEGER', ERRS)
      CALL MPI_SENDRECV(RS, N, MPI_REAL, RIGHT, 2, RR, N,
     &     MPI_REAL, LEFT, 2, MPI_COMM_WORLD, STATUS, IERR)
      CALL CHKCNT(STATUS, MPI_REAL, N, 'MPI_REAL', ERRS)
      CALL MPI_SENDRECV(DS, N, MPI_DOUBLE_PRECISION, RIGHT, 3, DR, N,
     &     MPI_DOUBLE_PRECISION, LEFT, 3, MPI_COMM_WORLD, STATUS, IERR)
      CALL CHKCNT(STATUS, MPI_DOUBLE_PRECISION, N,
     &            'MPI_DOUBLE_PRECISION', ERRS)
      CALL MPI_SENDRECV(CS, N, MPI_COMPLEX, RIGHT, 4, CR, N,
     &     MPI_COMPLEX, LEFT, 4, MPI_COMM_WORLD, STATUS, IERR)
      CALL CHKCNT(STATUS, MPI_COMPLEX, N, 'MPI_COMPLEX', ERRS)
      CALL MPI_SENDRECV(ZS, N, MPI_DOUBLE_COMPLEX, RIGHT, 5, ZR, N,
     &     MPI_DOUBLE_COMPLEX, LEFT, 5, MPI_COMM_WORLD, STATUS, IERR)
      CALL CHKCNT(STATUS, MPI_DOUBLE_COMPLEX, N, 'MPI_DOUBLE_COMPLEX',
     &            ERRS)
      CALL MPI_SENDRECV(LS, N, MPI_LOGICAL, RIGHT, 6, LR, N,
     &     MPI_LOGICAL, LEFT, 6, MPI_COMM_WORLD, STATUS, IERR)
      CALL CHKCNT(STATUS, MPI_LOGICAL, N, 'MPI_LOGICAL', ERRS)
      CALL MPI_SENDRECV(CHS, N, MPI_CHARACTER, RIGHT, 7, CHR, N,
     &     MPI_CHARACTER, LEFT, 7, MPI_COMM_WORLD, STATUS, IERR)
      CALL CHKCNT(STATUS, MPI_CHARACTER, N, 'MPI_CHARACTER', ERRS)
      CALL MPI_SENDRECV(I2S, N, MPI_2INTEGER, RIGHT, 8, I2R, N,
     &     MPI_2INTEGER, LEFT, 8, MPI_COMM_WORLD, STATUS, IERR)
      CALL CHKCNT(STATUS, MPI_2INTEGER, N, 'MPI_2INTEGER', ERRS)
      CALL MPI_SENDRECV(R2S, N, MPI_2REAL, RIGHT, 9, R2R, N,
     &     MPI_2REAL, LEFT, 9, MPI_COMM_WORLD, STATUS, IERR)
      CALL CHKCNT(STATUS, MPI_2REAL, N, 'MPI_2REAL', ERRS)
      CALL MPI_SENDRECV(D2S, N, MPI_2DOUBLE_PRECISION, RIGHT, 10, D2R,
     &     N, MPI_2DOUBLE_PRECISION, LEFT, 10, MPI_COMM_WORLD, STATUS,
     &     IERR)
      CALL CHKCNT(STATUS, MPI_2DOUBLE_PRECISION, N,
     &            'MPI_2DOUBLE_PRECISION', ERRS)

      DO I = 1, N
         IF (IR(I) .NE. LEFT * 1000 + I - 2000000000 * MOD(I, 2)) THEN
            PRINT *, 'INTEGER ', I, ': ', IR(I)
            ERRS = ERRS + 1
         END IF
         IF (I2R(1, I) .NE. LEFT + I .OR. I2R(2, I) .NE. -LEFT - I) THEN
            PRINT *, '2INTEGER ', I, ': ', I2R(1, I), I2R(2, I)
            ERRS = ERRS + 1
         END IF
         IF (RR(I) .NE. REAL(LEFT) + REAL(I) / 8.0) THEN
            PRINT *, 'REAL ', I, ': ', RR(I)
            ERRS = ERRS + 1
         END IF
         IF (R2R(1, I) .NE. REAL(LEFT * I) * 0.5 .OR.
     &       R2R(2, I) .NE. -1.0E30 * REAL(I)) THEN
            PRINT *, '2REAL ', I, ': ', R2R(1, I), R2R(2, I)
            ERRS = ERRS + 1
         END IF
         IF (DR(I) .NE. DBLE(LEFT) + 1.0D0 / DBLE(I + 2)) THEN
            PRINT *, 'DOUBLE PRECISION ', I, ': ', DR(I)
            ERRS = ERRS + 1
         END IF
         IF (D2R(1, I) .NE. 1.0D300 / DBLE(I) .OR.
     &       D2R(2, I) .NE. DBLE(LEFT) * 1.0D-300) THEN
            PRINT *, '2DOUBLE_PRECISION ', I, ': ', D2R(1, I), D2R(2, I)
            ERRS = ERRS + 1
         END IF
         IF (CR(I) .NE. CMPLX(REAL(LEFT), REAL(I))) THEN
            PRINT *, 'COMPLEX ', I, ': ', CR(I)
            ERRS = ERRS + 1
         END IF
         IF (ZR(I) .NE. DCMPLX(DBLE(I) / 3.0D0, DBLE(-LEFT))) THEN
            PRINT *, 'DOUBLE COMPLEX ', I, ': ', ZR(I)
            ERRS = ERRS + 1
         END IF
         IF (LR(I) .NEQV. (MOD(I + LEFT, 3) .EQ. 0)) THEN
            PRINT *, 'LOGICAL ', I, ': ', LR(I)
            ERRS = ERRS + 1
         END IF
         IF (CHR(I:I) .NE. CHAR(ICHAR('A') + MOD(I + LEFT, 26))) THEN
            PRINT *, 'CHARACTER ', I, ': ', CHR(I:I)
            ERRS = ERRS + 1
         END IF
      END DO

      CALL MTEST_FINALIZE(ERRS)
      END

      SUBROUTINE CHKCNT(STATUS, DTYPE, N, NAME, ERRS)
      IMPLICIT NONE
      INCLUDE 'mpif.h'
      INTEGER STATUS(MPI_STATUS_SIZE), DTYPE, N, ERRS, COUNT, IERR
      CHARACTER*(*) NAME

      COUNT = -1
      CALL MPI_GET_COUNT(STATUS, DTYPE, COUNT, IERR)
      IF (COUNT .NE. N) THEN
         PRINT *, NAME, ': MPI_GET_COUNT ', COUNT, ' not ', N
         ERRS = ERRS + 1
      END IF
      END

      INCLUDE 'mtestf.h'
