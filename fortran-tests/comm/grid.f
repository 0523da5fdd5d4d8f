C     A 2x2 process grid from Fortran: rows and columns with MPI_COMM_SPLIT,
C     then the same with MPI_CART_CREATE and MPI_CART_SUB; attributes
C     (predefined, MPI_DUP_FN, and Fortran copy and delete callbacks);
C     communicator names. Processes beyond the first four sit out.
      PROGRAM GRID
      IMPLICIT NONE
      INCLUDE 'mpif.h'
      INTEGER IERR, RANK, SIZE, ERRS, TOTAL, I, E
      INTEGER ROW, COL, CART, CROW, CCOL, N, R, COLOR
      INTEGER DIMS(2), COORDS(2), SRC, DST, KEY, KEYF, DUP
      INTEGER VAL, STATUS(MPI_STATUS_SIZE), NLEN
      LOGICAL PERIODS(2), REMAIN(2), FLAG
      CHARACTER*(MPI_MAX_OBJECT_NAME) NAME
      INTEGER NCOPY, NDEL
      COMMON /COUNTS/ NCOPY, NDEL
      EXTERNAL COPYFN, DELFN

      NCOPY = 0
      TOTAL = 0
      NDEL = 0
      ERRS = 0
      CALL MPI_INIT(IERR)
      CALL MPI_COMM_RANK(MPI_COMM_WORLD, RANK, IERR)
      CALL MPI_COMM_SIZE(MPI_COMM_WORLD, SIZE, IERR)
      IF (SIZE .LT. 4) THEN
         PRINT *, 'grid needs 4 processes'
         CALL MPI_ABORT(MPI_COMM_WORLD, 1, IERR)
      END IF

C     Rows and columns by MPI_COMM_SPLIT.
      IF (RANK .LT. 4) THEN
         COLOR = RANK / 2
      ELSE
         COLOR = MPI_UNDEFINED
      END IF
      CALL MPI_COMM_SPLIT(MPI_COMM_WORLD, COLOR, RANK, ROW, IERR)
      IF (RANK .LT. 4) COLOR = MOD(RANK, 2)
      CALL MPI_COMM_SPLIT(MPI_COMM_WORLD, COLOR, RANK, COL, IERR)
      IF (RANK .GE. 4) THEN
         IF (ROW .NE. MPI_COMM_NULL .OR. COL .NE. MPI_COMM_NULL) THEN
            ERRS = ERRS + 1
            PRINT *, RANK, ': MPI_UNDEFINED gave a communicator'
         END IF
      ELSE
         CALL MPI_COMM_SIZE(ROW, N, IERR)
         CALL MPI_COMM_RANK(ROW, R, IERR)
         IF (N .NE. 2 .OR. R .NE. MOD(RANK, 2)) THEN
            ERRS = ERRS + 1
            PRINT *, RANK, ': row size', N, ' rank', R
         END IF
         CALL MPI_COMM_SIZE(COL, N, IERR)
         CALL MPI_COMM_RANK(COL, R, IERR)
         IF (N .NE. 2 .OR. R .NE. RANK / 2) THEN
            ERRS = ERRS + 1
            PRINT *, RANK, ': column size', N, ' rank', R
         END IF
C        Swap world ranks with the other member of the row.
         CALL MPI_SENDRECV(RANK, 1, MPI_INTEGER, 1 - MOD(RANK, 2), 1,
     &        VAL, 1, MPI_INTEGER, 1 - MOD(RANK, 2), 1, ROW,
     &        STATUS, IERR)
         IF (VAL .NE. 2 * (RANK / 2) + 1 - MOD(RANK, 2)) THEN
            ERRS = ERRS + 1
            PRINT *, RANK, ': row partner is', VAL
         END IF
         CALL MPI_COMM_FREE(ROW, IERR)
         CALL MPI_COMM_FREE(COL, IERR)
      END IF

C     The same grid with a Cartesian topology, periodic in columns.
      DIMS(1) = 0
      DIMS(2) = 0
      CALL MPI_DIMS_CREATE(4, 2, DIMS, IERR)
      IF (DIMS(1) .NE. 2 .OR. DIMS(2) .NE. 2) THEN
         ERRS = ERRS + 1
         PRINT *, 'MPI_DIMS_CREATE gave', DIMS(1), DIMS(2)
      END IF
      PERIODS(1) = .FALSE.
      PERIODS(2) = .TRUE.
      CALL MPI_CART_CREATE(MPI_COMM_WORLD, 2, DIMS, PERIODS, .FALSE.,
     &     CART, IERR)
      IF (RANK .GE. 4) THEN
         IF (CART .NE. MPI_COMM_NULL) THEN
            ERRS = ERRS + 1
            PRINT *, RANK, ': outside the grid but got a communicator'
         END IF
      ELSE
         CALL MPI_CART_COORDS(CART, RANK, 2, COORDS, IERR)
         IF (COORDS(1) .NE. RANK / 2 .OR. COORDS(2) .NE. MOD(RANK,2))
     &        THEN
            ERRS = ERRS + 1
            PRINT *, RANK, ': coords', COORDS(1), COORDS(2)
         END IF
         CALL MPI_CART_SHIFT(CART, 0, 1, SRC, DST, IERR)
         IF (RANK .LT. 2 .AND. (SRC .NE. MPI_PROC_NULL .OR.
     &        DST .NE. RANK + 2)) THEN
            ERRS = ERRS + 1
            PRINT *, RANK, ': shift down', SRC, DST
         END IF
         CALL MPI_CART_SHIFT(CART, 1, 1, SRC, DST, IERR)
         IF (SRC .NE. DST .OR. SRC .NE. 2 * (RANK / 2) +
     &        1 - MOD(RANK, 2)) THEN
            ERRS = ERRS + 1
            PRINT *, RANK, ': shift across', SRC, DST
         END IF
         REMAIN(1) = .FALSE.
         REMAIN(2) = .TRUE.
         CALL MPI_CART_SUB(CART, REMAIN, CROW, IERR)
         REMAIN(1) = .TRUE.
         REMAIN(2) = .FALSE.
         CALL MPI_CART_SUB(CART, REMAIN, CCOL, IERR)
         CALL MPI_COMM_RANK(CROW, R, IERR)
         CALL MPI_COMM_SIZE(CROW, N, IERR)
         IF (N .NE. 2 .OR. R .NE. MOD(RANK, 2)) THEN
            ERRS = ERRS + 1
            PRINT *, RANK, ': cart row size', N, ' rank', R
         END IF
         CALL MPI_COMM_RANK(CCOL, R, IERR)
         IF (R .NE. RANK / 2) THEN
            ERRS = ERRS + 1
            PRINT *, RANK, ': cart column rank', R
         END IF
         CALL MPI_COMM_FREE(CROW, IERR)
         CALL MPI_COMM_FREE(CCOL, IERR)
         CALL MPI_COMM_FREE(CART, IERR)
      END IF

C     Predefined attributes: Fortran gets the value itself.
      CALL MPI_ATTR_GET(MPI_COMM_WORLD, MPI_TAG_UB, VAL, FLAG, IERR)
      IF (.NOT. FLAG .OR. VAL .LT. 32767) THEN
         ERRS = ERRS + 1
         PRINT *, 'MPI_TAG_UB', FLAG, VAL
      END IF
      CALL MPI_ATTR_GET(MPI_COMM_WORLD, MPI_HOST, VAL, FLAG, IERR)
      IF (.NOT. FLAG) THEN
         ERRS = ERRS + 1
         PRINT *, 'MPI_HOST is not set'
      END IF

C     MPI_DUP_FN copies; the Fortran callbacks count.
      CALL MPI_KEYVAL_CREATE(MPI_DUP_FN, MPI_NULL_DELETE_FN, KEY, 0,
     &     IERR)
      CALL MPI_KEYVAL_CREATE(COPYFN, DELFN, KEYF, 5, IERR)
      CALL MPI_ATTR_PUT(MPI_COMM_WORLD, KEY, 42, IERR)
      CALL MPI_ATTR_PUT(MPI_COMM_WORLD, KEYF, 100, IERR)
      CALL MPI_COMM_DUP(MPI_COMM_WORLD, DUP, IERR)
      CALL MPI_ATTR_GET(DUP, KEY, VAL, FLAG, IERR)
      IF (.NOT. FLAG .OR. VAL .NE. 42) THEN
         ERRS = ERRS + 1
         PRINT *, 'MPI_DUP_FN attribute', FLAG, VAL
      END IF
      CALL MPI_ATTR_GET(DUP, KEYF, VAL, FLAG, IERR)
      IF (.NOT. FLAG .OR. VAL .NE. 105 .OR. NCOPY .NE. 1) THEN
         ERRS = ERRS + 1
         PRINT *, 'Fortran copy callback', FLAG, VAL, NCOPY
      END IF
      CALL MPI_COMM_SET_NAME(DUP, 'the dup', IERR)
      CALL MPI_COMM_GET_NAME(DUP, NAME, NLEN, IERR)
      IF (NAME .NE. 'the dup' .OR. NLEN .NE. 7) THEN
         ERRS = ERRS + 1
         PRINT *, 'name ', NAME, NLEN
      END IF
      CALL MPI_COMM_FREE(DUP, IERR)
      IF (NDEL .NE. 1) THEN
         ERRS = ERRS + 1
         PRINT *, 'Fortran delete callback ran', NDEL, ' times'
      END IF
      CALL MPI_ATTR_DELETE(MPI_COMM_WORLD, KEYF, IERR)
      CALL MPI_ATTR_DELETE(MPI_COMM_WORLD, KEY, IERR)
      CALL MPI_KEYVAL_FREE(KEY, IERR)
      CALL MPI_KEYVAL_FREE(KEYF, IERR)
      IF (NDEL .NE. 2 .OR. KEY .NE. MPI_KEYVAL_INVALID) THEN
         ERRS = ERRS + 1
         PRINT *, 'after delete', NDEL, KEY
      END IF

C     Sum the errors at rank 0.
      IF (RANK .EQ. 0) THEN
         TOTAL = ERRS
         DO 10 I = 1, SIZE - 1
            CALL MPI_RECV(E, 1, MPI_INTEGER, I, 99, MPI_COMM_WORLD,
     &           STATUS, IERR)
            TOTAL = TOTAL + E
 10      CONTINUE
         IF (TOTAL .EQ. 0) THEN
            PRINT *, 'No Errors'
         ELSE
            PRINT *, 'Found', TOTAL, ' errors'
         END IF
      ELSE
         CALL MPI_SEND(ERRS, 1, MPI_INTEGER, 0, 99, MPI_COMM_WORLD,
     &        IERR)
      END IF
      CALL MPI_FINALIZE(IERR)
      IF (TOTAL .NE. 0 .AND. RANK .EQ. 0) STOP 1
      END

C     Copies the attribute plus EXTRA; counts the calls.
      SUBROUTINE COPYFN(OLDCOMM, KEYVAL, EXTRA, VALIN, VALOUT, FLAG,
     &     IERR)
      IMPLICIT NONE
      INCLUDE 'mpif.h'
      INTEGER OLDCOMM, KEYVAL, EXTRA, VALIN, VALOUT, IERR
      LOGICAL FLAG
      INTEGER NCOPY, NDEL
      COMMON /COUNTS/ NCOPY, NDEL
      NCOPY = NCOPY + 1
      VALOUT = VALIN + EXTRA
      FLAG = .TRUE.
      IERR = MPI_SUCCESS
      IF (OLDCOMM .NE. MPI_COMM_WORLD .OR.
     &     KEYVAL .EQ. MPI_KEYVAL_INVALID) IERR = MPI_ERR_OTHER
      END

C     Counts the calls; the arguments are what MPI_ATTR_PUT and
C     MPI_KEYVAL_CREATE were given.
      SUBROUTINE DELFN(COMM, KEYVAL, VAL, EXTRA, IERR)
      IMPLICIT NONE
      INCLUDE 'mpif.h'
      INTEGER COMM, KEYVAL, VAL, EXTRA, IERR
      INTEGER NCOPY, NDEL
      COMMON /COUNTS/ NCOPY, NDEL
      NDEL = NDEL + 1
      IERR = MPI_SUCCESS
      IF (COMM .EQ. MPI_COMM_NULL .OR. KEYVAL .EQ. MPI_KEYVAL_INVALID
     &     .OR. EXTRA .NE. 5 .OR. (VAL .NE. 100 .AND. VAL .NE. 105))
     &     IERR = MPI_ERR_OTHER
      END
