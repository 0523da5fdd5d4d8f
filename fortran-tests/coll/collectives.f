C     Data movement from Fortran: MPI_BCAST, MPI_GATHER, MPI_SCATTER,
C     MPI_ALLGATHER (in place), MPI_ALLTOALL and MPI_BARRIER.
      PROGRAM COLLS
      IMPLICIT NONE
      INCLUDE 'mpif.h'
      INTEGER MAXP, N
      PARAMETER (MAXP = 64, N = 4)
      INTEGER RANK, NPROCS, IERR, I, J, ERRS, TOTAL
      INTEGER B(100), MINE(N), ALL(N * MAXP), S(MAXP), R(MAXP)
      REAL X(N * MAXP)
      CALL MPI_INIT(IERR)
      CALL MPI_COMM_RANK(MPI_COMM_WORLD, RANK, IERR)
      CALL MPI_COMM_SIZE(MPI_COMM_WORLD, NPROCS, IERR)
      ERRS = 0

      DO 10 I = 1, 100
         B(I) = 0
         IF (RANK .EQ. NPROCS - 1) B(I) = I * 7
   10 CONTINUE
      CALL MPI_BCAST(B, 100, MPI_INTEGER, NPROCS - 1, MPI_COMM_WORLD,
     &     IERR)
      DO 20 I = 1, 100
         IF (B(I) .NE. I * 7) ERRS = ERRS + 1
   20 CONTINUE

      DO 30 I = 1, N
         MINE(I) = RANK * 100 + I
   30 CONTINUE
      CALL MPI_GATHER(MINE, N, MPI_INTEGER, ALL, N, MPI_INTEGER, 0,
     &     MPI_COMM_WORLD, IERR)
      IF (RANK .EQ. 0) THEN
         DO 41 J = 0, NPROCS - 1
            DO 40 I = 1, N
               IF (ALL(J * N + I) .NE. J * 100 + I) ERRS = ERRS + 1
   40       CONTINUE
   41    CONTINUE
      END IF
      DO 45 I = 1, N
         MINE(I) = -1
   45 CONTINUE
      CALL MPI_SCATTER(ALL, N, MPI_INTEGER, MINE, N, MPI_INTEGER, 0,
     &     MPI_COMM_WORLD, IERR)
      DO 50 I = 1, N
         IF (MINE(I) .NE. RANK * 100 + I) ERRS = ERRS + 1
   50 CONTINUE

      DO 60 I = 1, N
         X(RANK * N + I) = REAL(RANK) + REAL(I) / 10.0
   60 CONTINUE
      CALL MPI_ALLGATHER(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, X, N,
     &     MPI_REAL, MPI_COMM_WORLD, IERR)
      DO 71 J = 0, NPROCS - 1
         DO 70 I = 1, N
            IF (X(J * N + I) .NE. REAL(J) + REAL(I) / 10.0)
     &           ERRS = ERRS + 1
   70    CONTINUE
   71 CONTINUE

      DO 80 J = 1, NPROCS
         S(J) = RANK * 1000 + J - 1
   80 CONTINUE
      CALL MPI_ALLTOALL(S, 1, MPI_INTEGER, R, 1, MPI_INTEGER,
     &     MPI_COMM_WORLD, IERR)
      DO 90 J = 1, NPROCS
         IF (R(J) .NE. (J - 1) * 1000 + RANK) ERRS = ERRS + 1
   90 CONTINUE
      CALL MPI_BARRIER(MPI_COMM_WORLD, IERR)

      CALL MPI_ALLREDUCE(ERRS, TOTAL, 1, MPI_INTEGER, MPI_SUM,
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
