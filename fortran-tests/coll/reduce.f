C     Reductions from Fortran: DOUBLE PRECISION and COMPLEX*16 sums and
C     products, MAXLOC with MPI_2DOUBLE_PRECISION, MPI_IN_PLACE, and a
C     Fortran user operation (a non-commutative one, applied in rank
C     order). Prints ' No Errors' from rank 0.
      PROGRAM REDUCE
      IMPLICIT NONE
      INCLUDE 'mpif.h'
      INTEGER N
      PARAMETER (N = 1000)
      INTEGER RANK, NPROCS, IERR, I, R, ERRS, TOTAL, MYOP
      DOUBLE PRECISION D(N), DOUT(N), WANT
      DOUBLE COMPLEX Z(3), ZOUT(3), ZWANT
      DOUBLE PRECISION PAIR(2, 5), POUT(2, 5)
      INTEGER M(2, 50), MOUT(2, 50), MWANT(2)
      LOGICAL L(2), LOUT(2)
      EXTERNAL COMPOSE
      CALL MPI_INIT(IERR)
      CALL MPI_COMM_RANK(MPI_COMM_WORLD, RANK, IERR)
      CALL MPI_COMM_SIZE(MPI_COMM_WORLD, NPROCS, IERR)
      ERRS = 0

C     DOUBLE PRECISION sum, to every root in turn, and in place.
      DO 10 I = 1, N
         D(I) = DBLE(RANK + I)
   10 CONTINUE
      DO 30 R = 0, NPROCS - 1
         CALL MPI_REDUCE(D, DOUT, N, MPI_DOUBLE_PRECISION, MPI_SUM, R,
     &        MPI_COMM_WORLD, IERR)
         IF (RANK .EQ. R) THEN
            DO 20 I = 1, N
               WANT = DBLE(NPROCS * I) + DBLE(NPROCS * (NPROCS - 1) / 2)
               IF (DOUT(I) .NE. WANT) ERRS = ERRS + 1
   20       CONTINUE
         END IF
   30 CONTINUE
      CALL MPI_ALLREDUCE(MPI_IN_PLACE, D, N, MPI_DOUBLE_PRECISION,
     &     MPI_MAX, MPI_COMM_WORLD, IERR)
      DO 40 I = 1, N
         IF (D(I) .NE. DBLE(NPROCS - 1 + I)) ERRS = ERRS + 1
   40 CONTINUE
      IF (ERRS .NE. 0) PRINT *, 'DOUBLE PRECISION reductions wrong'

C     COMPLEX*16: sum and product.
      DO 50 I = 1, 3
         Z(I) = DCMPLX(DBLE(RANK + 1), DBLE(I))
   50 CONTINUE
      CALL MPI_ALLREDUCE(Z, ZOUT, 3, MPI_DOUBLE_COMPLEX, MPI_SUM,
     &     MPI_COMM_WORLD, IERR)
      DO 60 I = 1, 3
         ZWANT = DCMPLX(DBLE(NPROCS * (NPROCS + 1) / 2),
     &        DBLE(I * NPROCS))
         IF (ZOUT(I) .NE. ZWANT) THEN
            ERRS = ERRS + 1
            PRINT *, 'COMPLEX*16 sum', I, ZOUT(I), ZWANT
         END IF
   60 CONTINUE
      DO 65 I = 1, 3
         Z(I) = DCMPLX(0.0D0, 1.0D0)
   65 CONTINUE
      CALL MPI_ALLREDUCE(Z, ZOUT, 3, MPI_DOUBLE_COMPLEX, MPI_PROD,
     &     MPI_COMM_WORLD, IERR)
      ZWANT = DCMPLX(1.0D0, 0.0D0)
      DO 66 R = 1, NPROCS
         ZWANT = ZWANT * DCMPLX(0.0D0, 1.0D0)
   66 CONTINUE
      IF (ZOUT(2) .NE. ZWANT) THEN
         ERRS = ERRS + 1
         PRINT *, 'COMPLEX*16 product', ZOUT(2), ZWANT
      END IF

C     MAXLOC on (value, index) pairs of DOUBLE PRECISION.
      DO 70 I = 1, 5
         PAIR(1, I) = DBLE(MOD(RANK * 3 + I, 4))
         PAIR(2, I) = DBLE(RANK)
   70 CONTINUE
      CALL MPI_ALLREDUCE(PAIR, POUT, 5, MPI_2DOUBLE_PRECISION,
     &     MPI_MAXLOC, MPI_COMM_WORLD, IERR)
      DO 80 I = 1, 5
         WANT = -1.0D0
         MWANT(1) = -1
         DO 75 R = 0, NPROCS - 1
            IF (DBLE(MOD(R * 3 + I, 4)) .GT. WANT) THEN
               WANT = DBLE(MOD(R * 3 + I, 4))
               MWANT(1) = R
            END IF
   75    CONTINUE
         IF (POUT(1, I) .NE. WANT .OR.
     &        POUT(2, I) .NE. DBLE(MWANT(1))) THEN
            ERRS = ERRS + 1
            PRINT *, 'MAXLOC', I, POUT(1, I), POUT(2, I), WANT, MWANT(1)
         END IF
   80 CONTINUE

C     LOGICAL and.
      L(1) = .TRUE.
      L(2) = RANK .EQ. 0
      CALL MPI_ALLREDUCE(L, LOUT, 2, MPI_LOGICAL, MPI_LAND,
     &     MPI_COMM_WORLD, IERR)
      IF (.NOT. LOUT(1) .OR. (LOUT(2) .NEQV. (NPROCS .EQ. 1))) THEN
         ERRS = ERRS + 1
         PRINT *, 'LOGICAL LAND', LOUT
      END IF

C     A Fortran user operation: composition of affine maps x -> a x + b,
C     stored as INTEGER pairs (a, b) and sent as MPI_2INTEGER. Not
C     commutative.
      CALL MPI_OP_CREATE(COMPOSE, .FALSE., MYOP, IERR)
      DO 90 I = 1, 50
         M(1, I) = MOD(RANK + I, 3) + 1
         M(2, I) = RANK - I
   90 CONTINUE
      CALL MPI_ALLREDUCE(M, MOUT, 50, MPI_2INTEGER, MYOP,
     &     MPI_COMM_WORLD, IERR)
      DO 100 I = 1, 50
C        Rank order: f0 o f1 ... applied as in = earlier, inout = later.
         MWANT(1) = MOD(I, 3) + 1
         MWANT(2) = -I
         DO 95 R = 1, NPROCS - 1
            CALL APPLY(MWANT, MOD(R + I, 3) + 1, R - I)
   95    CONTINUE
         IF (MOUT(1, I) .NE. MWANT(1) .OR. MOUT(2, I) .NE. MWANT(2))
     &        THEN
            ERRS = ERRS + 1
            PRINT *, 'user op', I, MOUT(1, I), MOUT(2, I), MWANT
         END IF
  100 CONTINUE
      CALL MPI_OP_FREE(MYOP, IERR)
      IF (MYOP .NE. MPI_OP_NULL) ERRS = ERRS + 1

      CALL MPI_REDUCE(ERRS, TOTAL, 1, MPI_INTEGER, MPI_SUM, 0,
     &     MPI_COMM_WORLD, IERR)
      IF (RANK .EQ. 0) THEN
         IF (TOTAL .EQ. 0) THEN
            PRINT *, 'No Errors'
         ELSE
            PRINT *, 'Found', TOTAL, 'errors'
         END IF
      END IF
      CALL MPI_FINALIZE(IERR)
      END

C     ACC = (A, B) after ACC: x -> A (ACC(1) x + ACC(2)) + B.
      SUBROUTINE APPLY(ACC, A, B)
      IMPLICIT NONE
      INTEGER ACC(2), A, B
      ACC(2) = A * ACC(2) + B
      ACC(1) = A * ACC(1)
      END

C     INOUT(k) = IN(k) then INOUT(k): the map that applies IN first.
      SUBROUTINE COMPOSE(IN, INOUT, LEN, DATATYPE)
      IMPLICIT NONE
      INTEGER LEN, DATATYPE, K
      INTEGER IN(2, LEN), INOUT(2, LEN), T(2)
      DO 10 K = 1, LEN
         T(1) = IN(1, K)
         T(2) = IN(2, K)
         CALL APPLY(T, INOUT(1, K), INOUT(2, K))
         INOUT(1, K) = T(1)
         INOUT(2, K) = T(2)
   10 CONTINUE
      END
