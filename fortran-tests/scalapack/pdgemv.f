C     A program in the shape of a ScaLAPACK/BLACS code.
C
C     The processes form the largest grid of at most 2 x 2 that fits
C     (1 x 1, 1 x 2, 1 x 3, 2 x 2); ranks beyond it get MPI_COMM_NULL
C     from MPI_COMM_SPLIT with MPI_UNDEFINED and only report at the
C     end.  The grid is a Cartesian communicator made over the split
C     communicator, with row and column communicators from
C     MPI_CART_SUB, compared with the BLACS way (MPI_COMM_SPLIT by row
C     and by column).
C
C     An N x N DOUBLE PRECISION matrix, N not a multiple of the block
C     size NB, is made on the grid's root and dealt out block-cyclically
C     with vector types (a strided block of the column-major matrix on
C     each side, with different leading dimensions), then gathered back
C     the same way.  x is dealt out along process row 0 with an indexed
C     type and broadcast down the process columns; y = A x sums partial
C     products over the row communicators with MPI_ALLREDUCE, and
C     z = A**T y over the column communicators.  A pivot search
C     (largest |A(i,j)|, i >= j, for every column j, as LU does) uses
C     MPI_MAXLOC on MPI_2DOUBLE_PRECISION over the owning process
C     column, and the winner is broadcast along the process rows.  The
C     same product and pivot search run on a COMPLEX*16 matrix
C     generated in place (MPI_DOUBLE_COMPLEX sums, MPI_REDUCE of a
C     checksum).  Every rank checks its pieces against a serial
C     computation from the generators, the root checks the gathered
C     results, and every rank checks every pivot.
      PROGRAM PDGEMV
      IMPLICIT NONE
      INCLUDE 'mpif.h'
      INTEGER MAXG
      PARAMETER (MAXG = 4)
      INTEGER WRANK, WSIZE, NG, COLOR, GCOMM, GSIZE, GRANK, IERR, ERRS
      INTEGER DIMS(2)

      ERRS = 0
      CALL MPI_INIT(IERR)
      CALL MPI_COMM_RANK(MPI_COMM_WORLD, WRANK, IERR)
      CALL MPI_COMM_SIZE(MPI_COMM_WORLD, WSIZE, IERR)

C     MPI_DIMS_CREATE gives the dimensions in decreasing order; the
C     grid is kept wide (NPROW <= NPCOL), as BLACS users usually do.
      NG = MIN(WSIZE, MAXG)
      DIMS(1) = 0
      DIMS(2) = 0
      CALL MPI_DIMS_CREATE(NG, 2, DIMS, IERR)
      IF (NG .EQ. 4) THEN
         CALL CHKI(DIMS(1), 2, 'MPI_DIMS_CREATE dims(1)', ERRS)
         CALL CHKI(DIMS(2), 2, 'MPI_DIMS_CREATE dims(2)', ERRS)
      ELSE
         CALL CHKI(DIMS(1), NG, 'MPI_DIMS_CREATE dims(1)', ERRS)
         CALL CHKI(DIMS(2), 1, 'MPI_DIMS_CREATE dims(2)', ERRS)
      END IF

C     The key reverses the order, so the grid's root is not world
C     rank 0 unless the grid has a single process.
      IF (WRANK .LT. NG) THEN
         COLOR = 0
      ELSE
         COLOR = MPI_UNDEFINED
      END IF
      CALL MPI_COMM_SPLIT(MPI_COMM_WORLD, COLOR, WSIZE - WRANK, GCOMM,
     &                    IERR)
      IF (WRANK .LT. NG) THEN
         IF (GCOMM .EQ. MPI_COMM_NULL) THEN
            CALL FAIL('MPI_COMM_SPLIT gave MPI_COMM_NULL', ERRS)
         ELSE
            CALL MPI_COMM_SIZE(GCOMM, GSIZE, IERR)
            CALL MPI_COMM_RANK(GCOMM, GRANK, IERR)
            CALL CHKI(GSIZE, NG, 'size of the split communicator',
     &                ERRS)
            CALL CHKI(GRANK, NG - 1 - WRANK,
     &                'rank in the split communicator', ERRS)
            CALL GRID(GCOMM, DIMS(2), DIMS(1), ERRS)
            CALL MPI_COMM_FREE(GCOMM, IERR)
         END IF
      ELSE
         IF (GCOMM .NE. MPI_COMM_NULL) THEN
            CALL FAIL('MPI_UNDEFINED color gave a communicator', ERRS)
         END IF
      END IF

      CALL MTEST_FINALIZE(ERRS)
      END

C     ------------------------------------------------------------------
C     Everything on the process grid.
      SUBROUTINE GRID(GCOMM, NPROW, NPCOL, ERRS)
      IMPLICIT NONE
      INCLUDE 'mpif.h'
      INTEGER GCOMM, NPROW, NPCOL, ERRS
      INTEGER N, NB, LLD
      PARAMETER (N = 37, NB = 4, LLD = N + 3)
      DOUBLE PRECISION TOL, SENT
      PARAMETER (TOL = 1.0D-12, SENT = -999.0D0)
      INTEGER CCOMM, ROWCOMM, COLCOMM, RSPLIT, CSPLIT, XTYPE
      INTEGER MYID, MYROW, MYCOL, LOCR, LOCC, NDIMS, TOPO, CMP
      INTEGER I, J, IL, JL, IG, JG, PC, R, SRC, DST, WANT, CNT, SZ, IERR
      INTEGER DIMS(2), COORDS(2), D2(2), C2(2)
      INTEGER STATUS(MPI_STATUS_SIZE)
      LOGICAL PERIOD(2), P2(2), REMAIN(2)
      DOUBLE PRECISION A(N, N), B(N, N), ALOC(LLD, N), X(N), XLOC(N)
      DOUBLE PRECISION YLOC(N), YSUM(N), ZLOC(N), ZSUM(N), YG(N)
      DOUBLE PRECISION YS(N), ZS(N), PAIR(2), RES(2), V, BEST
      COMPLEX*16 ZA(LLD, N), ZX(N), ZY(N), ZYSUM(N), ZYG(N), ZYS(N)
      COMPLEX*16 ZCK, ZTOT, ZWANT
      INTEGER NUMROC, INDXL2G, INDXG2L, INDXG2P
      DOUBLE PRECISION AGEN, AIGEN, XGEN, XIGEN
      EXTERNAL NUMROC, INDXL2G, INDXG2L, INDXG2P
      EXTERNAL AGEN, AIGEN, XGEN, XIGEN

C     ---- the grid
      DIMS(1) = NPROW
      DIMS(2) = NPCOL
      PERIOD(1) = .FALSE.
      PERIOD(2) = .FALSE.
      CALL MPI_CART_CREATE(GCOMM, 2, DIMS, PERIOD, .TRUE., CCOMM, IERR)
      CALL MPI_COMM_RANK(CCOMM, MYID, IERR)
      CALL MPI_CART_COORDS(CCOMM, MYID, 2, COORDS, IERR)
      MYROW = COORDS(1)
      MYCOL = COORDS(2)
      CALL CHKI(MYID, MYROW * NPCOL + MYCOL,
     &          'Cartesian ranks are row-major', ERRS)

      CALL MPI_TOPO_TEST(CCOMM, TOPO, IERR)
      CALL CHKI(TOPO, MPI_CART, 'MPI_TOPO_TEST', ERRS)
      CALL MPI_CARTDIM_GET(CCOMM, NDIMS, IERR)
      CALL CHKI(NDIMS, 2, 'MPI_CARTDIM_GET', ERRS)
      CALL MPI_CART_GET(CCOMM, 2, D2, P2, C2, IERR)
      CALL CHKI(D2(1), NPROW, 'MPI_CART_GET dims(1)', ERRS)
      CALL CHKI(D2(2), NPCOL, 'MPI_CART_GET dims(2)', ERRS)
      CALL CHKI(C2(1), MYROW, 'MPI_CART_GET coords(1)', ERRS)
      CALL CHKI(C2(2), MYCOL, 'MPI_CART_GET coords(2)', ERRS)
      IF (P2(1) .OR. P2(2)) THEN
         CALL FAIL('MPI_CART_GET: the grid is not periodic', ERRS)
      END IF
      CALL MPI_CART_RANK(CCOMM, COORDS, R, IERR)
      CALL CHKI(R, MYID, 'MPI_CART_RANK', ERRS)

C     Along a process row, without wrap-around.
      CALL MPI_CART_SHIFT(CCOMM, 1, 1, SRC, DST, IERR)
      WANT = MYID - 1
      IF (MYCOL .EQ. 0) WANT = MPI_PROC_NULL
      CALL CHKI(SRC, WANT, 'MPI_CART_SHIFT source', ERRS)
      WANT = MYID + 1
      IF (MYCOL .EQ. NPCOL - 1) WANT = MPI_PROC_NULL
      CALL CHKI(DST, WANT, 'MPI_CART_SHIFT dest', ERRS)

C     ROWCOMM holds a process row (rank = column), COLCOMM a process
C     column (rank = row).
      REMAIN(1) = .FALSE.
      REMAIN(2) = .TRUE.
      CALL MPI_CART_SUB(CCOMM, REMAIN, ROWCOMM, IERR)
      REMAIN(1) = .TRUE.
      REMAIN(2) = .FALSE.
      CALL MPI_CART_SUB(CCOMM, REMAIN, COLCOMM, IERR)
      CALL MPI_COMM_SIZE(ROWCOMM, SZ, IERR)
      CALL CHKI(SZ, NPCOL, 'size of the row communicator', ERRS)
      CALL MPI_COMM_RANK(ROWCOMM, R, IERR)
      CALL CHKI(R, MYCOL, 'rank in the row communicator', ERRS)
      CALL MPI_COMM_SIZE(COLCOMM, SZ, IERR)
      CALL CHKI(SZ, NPROW, 'size of the column communicator', ERRS)
      CALL MPI_COMM_RANK(COLCOMM, R, IERR)
      CALL CHKI(R, MYROW, 'rank in the column communicator', ERRS)

C     BLACS builds the same communicators with MPI_COMM_SPLIT.
      CALL MPI_COMM_SPLIT(CCOMM, MYROW, MYCOL, RSPLIT, IERR)
      CALL MPI_COMM_SPLIT(CCOMM, MYCOL, MYROW, CSPLIT, IERR)
      CALL MPI_COMM_COMPARE(ROWCOMM, RSPLIT, CMP, IERR)
      CALL CHKI(CMP, MPI_CONGRUENT, 'row: MPI_CART_SUB vs split', ERRS)
      CALL MPI_COMM_COMPARE(COLCOMM, CSPLIT, CMP, IERR)
      CALL CHKI(CMP, MPI_CONGRUENT, 'column: MPI_CART_SUB vs split',
     &          ERRS)
      CALL MPI_COMM_FREE(RSPLIT, IERR)
      CALL MPI_COMM_FREE(CSPLIT, IERR)

      LOCR = NUMROC(N, NB, MYROW, NPROW)
      LOCC = NUMROC(N, NB, MYCOL, NPCOL)

C     ---- the matrix, dealt out and gathered back
      IF (MYID .EQ. 0) THEN
         DO J = 1, N
            DO I = 1, N
               A(I, J) = AGEN(I, J)
               B(I, J) = SENT
            END DO
         END DO
      END IF
      DO J = 1, N
         DO I = 1, LLD
            ALOC(I, J) = SENT
         END DO
      END DO
      CALL BLKXCH(1, A, ALOC, N, NB, LLD, CCOMM, NPROW, NPCOL, ERRS)
C     Exact: the values were only copied.  The padding rows and the
C     columns beyond LOCC must be untouched.
      CNT = 0
      DO JL = 1, N
         DO IL = 1, LLD
            IF (IL .LE. LOCR .AND. JL .LE. LOCC) THEN
               V = AGEN(INDXL2G(IL, NB, MYROW, NPROW),
     &                  INDXL2G(JL, NB, MYCOL, NPCOL))
            ELSE
               V = SENT
            END IF
            IF (ALOC(IL, JL) .NE. V) CNT = CNT + 1
         END DO
      END DO
      IF (CNT .NE. 0) THEN
         CALL FAIL('local matrix after the block-cyclic scatter', ERRS)
         PRINT *, CNT, ' of ', LLD * N, ' local entries wrong'
      END IF
      CALL BLKXCH(2, B, ALOC, N, NB, LLD, CCOMM, NPROW, NPCOL, ERRS)
      IF (MYID .EQ. 0) THEN
         CNT = 0
         DO J = 1, N
            DO I = 1, N
               IF (B(I, J) .NE. A(I, J)) CNT = CNT + 1
            END DO
         END DO
         IF (CNT .NE. 0) THEN
            CALL FAIL('matrix gathered back on the root', ERRS)
            PRINT *, CNT, ' of ', N * N, ' entries wrong'
         END IF
      END IF

C     ---- x: the root deals it out along process row 0 (an indexed
C     type picks each process column's blocks), then down the columns.
      IF (MYID .EQ. 0) THEN
         DO J = 1, N
            X(J) = XGEN(J)
         END DO
      END IF
      DO JL = 1, N
         XLOC(JL) = SENT
      END DO
      IF (MYROW .EQ. 0) THEN
         IF (MYCOL .EQ. 0) THEN
            DO PC = 0, NPCOL - 1
               CALL IDXTYP(N, NB, PC, NPCOL, MPI_DOUBLE_PRECISION,
     &                     XTYPE)
               CALL MPI_TYPE_SIZE(XTYPE, SZ, IERR)
               CALL CHKI(SZ, 8 * NUMROC(N, NB, PC, NPCOL),
     &                   'MPI_TYPE_SIZE of the indexed type', ERRS)
               IF (PC .EQ. 0) THEN
                  CALL MPI_SENDRECV(X, 1, XTYPE, 0, 10,
     &                 XLOC, LOCC, MPI_DOUBLE_PRECISION, 0, 10,
     &                 ROWCOMM, STATUS, IERR)
               ELSE
                  CALL MPI_SEND(X, 1, XTYPE, PC, 10, ROWCOMM, IERR)
               END IF
               CALL MPI_TYPE_FREE(XTYPE, IERR)
            END DO
         ELSE
            CALL MPI_RECV(XLOC, N, MPI_DOUBLE_PRECISION, 0, 10,
     &                    ROWCOMM, STATUS, IERR)
         END IF
         CALL MPI_GET_COUNT(STATUS, MPI_DOUBLE_PRECISION, CNT, IERR)
         CALL CHKI(CNT, LOCC, 'count of the x piece', ERRS)
      END IF
      CALL MPI_BCAST(XLOC, LOCC, MPI_DOUBLE_PRECISION, 0, COLCOMM, IERR)
      CNT = 0
      DO JL = 1, N
         IF (JL .LE. LOCC) THEN
            V = XGEN(INDXL2G(JL, NB, MYCOL, NPCOL))
         ELSE
            V = SENT
         END IF
         IF (XLOC(JL) .NE. V) CNT = CNT + 1
      END DO
      IF (CNT .NE. 0) THEN
         CALL FAIL('local x after scatter and broadcast', ERRS)
         PRINT *, CNT, ' entries wrong'
      END IF

C     ---- y = A x: partial sums over the local columns, then the sum
C     along the process row.
      DO IL = 1, LOCR
         YLOC(IL) = 0.0D0
         DO JL = 1, LOCC
            YLOC(IL) = YLOC(IL) + ALOC(IL, JL) * XLOC(JL)
         END DO
      END DO
      CALL MPI_ALLREDUCE(YLOC, YSUM, LOCR, MPI_DOUBLE_PRECISION,
     &                   MPI_SUM, ROWCOMM, IERR)

C     The serial reference, from the generators on every rank.
      DO I = 1, N
         YS(I) = 0.0D0
         DO J = 1, N
            YS(I) = YS(I) + AGEN(I, J) * XGEN(J)
         END DO
      END DO
      DO J = 1, N
         ZS(J) = 0.0D0
         DO I = 1, N
            ZS(J) = ZS(J) + AGEN(I, J) * YS(I)
         END DO
      END DO

      DO IL = 1, LOCR
         IG = INDXL2G(IL, NB, MYROW, NPROW)
         CALL CHKD(YSUM(IL), YS(IG), TOL, 'local y = A x', IG, ERRS)
      END DO

C     The process column 0 sends its y pieces to the root, which puts
C     them in place with an indexed type.
      IF (MYID .EQ. 0) THEN
         DO I = 1, N
            YG(I) = SENT
         END DO
         DO R = 0, NPROW - 1
            CALL IDXTYP(N, NB, R, NPROW, MPI_DOUBLE_PRECISION, XTYPE)
            IF (R .EQ. 0) THEN
               CALL MPI_SENDRECV(YSUM, LOCR, MPI_DOUBLE_PRECISION, 0,
     &              11, YG, 1, XTYPE, 0, 11, COLCOMM, STATUS, IERR)
            ELSE
               CALL MPI_RECV(YG, 1, XTYPE, R, 11, COLCOMM, STATUS,
     &                       IERR)
            END IF
            CALL MPI_GET_COUNT(STATUS, MPI_DOUBLE_PRECISION, CNT, IERR)
            CALL CHKI(CNT, NUMROC(N, NB, R, NPROW),
     &                'count of a y piece', ERRS)
            CALL MPI_TYPE_FREE(XTYPE, IERR)
         END DO
C        The serial product on the root, from the matrix it dealt out.
         DO I = 1, N
            V = 0.0D0
            DO J = 1, N
               V = V + A(I, J) * X(J)
            END DO
            CALL CHKD(YG(I), V, TOL, 'gathered y = A x', I, ERRS)
         END DO
      ELSE IF (MYCOL .EQ. 0) THEN
         CALL MPI_SEND(YSUM, LOCR, MPI_DOUBLE_PRECISION, 0, 11,
     &                 COLCOMM, IERR)
      END IF

C     ---- z = A**T y: y is already on every process of the row, the
C     partial sums go along the process column.
      DO JL = 1, LOCC
         ZLOC(JL) = 0.0D0
         DO IL = 1, LOCR
            ZLOC(JL) = ZLOC(JL) + ALOC(IL, JL) * YSUM(IL)
         END DO
      END DO
      CALL MPI_ALLREDUCE(ZLOC, ZSUM, LOCC, MPI_DOUBLE_PRECISION,
     &                   MPI_SUM, COLCOMM, IERR)
      DO JL = 1, LOCC
         JG = INDXL2G(JL, NB, MYCOL, NPCOL)
         CALL CHKD(ZSUM(JL), ZS(JG), TOL, 'local z = A**T y', JG, ERRS)
      END DO

C     ---- pivots: for column J, the largest |A(I, J)| with I >= J
C     and, among equal values, the smallest I (as MAXLOC defines it).
      DO J = 1, N
         PC = INDXG2P(J, NB, NPCOL)
         IF (MYCOL .EQ. PC) THEN
            JL = INDXG2L(J, NB, NPCOL)
            PAIR(1) = -1.0D0
            PAIR(2) = DBLE(N + 1)
            DO IL = 1, LOCR
               IG = INDXL2G(IL, NB, MYROW, NPROW)
               IF (IG .GE. J .AND. ABS(ALOC(IL, JL)) .GT. PAIR(1)) THEN
                  PAIR(1) = ABS(ALOC(IL, JL))
                  PAIR(2) = DBLE(IG)
               END IF
            END DO
            CALL MPI_ALLREDUCE(PAIR, RES, 1, MPI_2DOUBLE_PRECISION,
     &                         MPI_MAXLOC, COLCOMM, IERR)
         END IF
         CALL MPI_BCAST(RES, 1, MPI_2DOUBLE_PRECISION, PC, ROWCOMM,
     &                  IERR)
         BEST = -1.0D0
         WANT = 0
         DO I = J, N
            IF (ABS(AGEN(I, J)) .GT. BEST) THEN
               BEST = ABS(AGEN(I, J))
               WANT = I
            END IF
         END DO
         IF (RES(1) .NE. BEST .OR. RES(2) .NE. DBLE(WANT)) THEN
            CALL FAIL('MAXLOC pivot of a DOUBLE PRECISION column',
     &                ERRS)
            PRINT *, 'column ', J, ': got ', RES(1), ' at ', RES(2),
     &               ', expected ', BEST, ' at ', WANT
         END IF
      END DO

C     ---- COMPLEX*16: the matrix and x made in place, as PZMATGEN
C     does; x is generated on process row 0 and broadcast.
      DO JL = 1, N
         DO IL = 1, LLD
            ZA(IL, JL) = DCMPLX(SENT, SENT)
         END DO
      END DO
      ZCK = (0.0D0, 0.0D0)
      DO JL = 1, LOCC
         JG = INDXL2G(JL, NB, MYCOL, NPCOL)
         DO IL = 1, LOCR
            IG = INDXL2G(IL, NB, MYROW, NPROW)
            ZA(IL, JL) = DCMPLX(AGEN(IG, JG), AIGEN(IG, JG))
            ZCK = ZCK + ZA(IL, JL) * DBLE(IG + 2 * JG)
         END DO
      END DO
      DO JL = 1, N
         ZX(JL) = DCMPLX(SENT, SENT)
      END DO
      IF (MYROW .EQ. 0) THEN
         DO JL = 1, LOCC
            JG = INDXL2G(JL, NB, MYCOL, NPCOL)
            ZX(JL) = DCMPLX(XGEN(JG), XIGEN(JG))
         END DO
      END IF
      CALL MPI_BCAST(ZX, LOCC, MPI_DOUBLE_COMPLEX, 0, COLCOMM, IERR)
      DO JL = 1, LOCC
         JG = INDXL2G(JL, NB, MYCOL, NPCOL)
         IF (ZX(JL) .NE. DCMPLX(XGEN(JG), XIGEN(JG))) THEN
            CALL FAIL('complex x after the broadcast', ERRS)
         END IF
      END DO

      DO IL = 1, LOCR
         ZY(IL) = (0.0D0, 0.0D0)
         DO JL = 1, LOCC
            ZY(IL) = ZY(IL) + ZA(IL, JL) * ZX(JL)
         END DO
      END DO
      CALL MPI_ALLREDUCE(ZY, ZYSUM, LOCR, MPI_DOUBLE_COMPLEX, MPI_SUM,
     &                   ROWCOMM, IERR)
      DO I = 1, N
         ZYS(I) = (0.0D0, 0.0D0)
         DO J = 1, N
            ZYS(I) = ZYS(I) + DCMPLX(AGEN(I, J), AIGEN(I, J))
     &                      * DCMPLX(XGEN(J), XIGEN(J))
         END DO
      END DO
      DO IL = 1, LOCR
         IG = INDXL2G(IL, NB, MYROW, NPROW)
         CALL CHKZ(ZYSUM(IL), ZYS(IG), TOL, 'local complex y = A x',
     &             IG, ERRS)
      END DO

C     Gathered on the root point-to-point, as MPI_DOUBLE_COMPLEX.
      IF (MYID .EQ. 0) THEN
         DO I = 1, N
            ZYG(I) = DCMPLX(SENT, SENT)
         END DO
         DO R = 0, NPROW - 1
            IF (R .EQ. 0) THEN
               DO IL = 1, LOCR
                  ZY(IL) = ZYSUM(IL)
               END DO
               CNT = LOCR
            ELSE
               CALL MPI_RECV(ZY, N, MPI_DOUBLE_COMPLEX, R, 12,
     &                       COLCOMM, STATUS, IERR)
               CALL MPI_GET_COUNT(STATUS, MPI_DOUBLE_COMPLEX, CNT,
     &                            IERR)
               CALL CHKI(CNT, NUMROC(N, NB, R, NPROW),
     &                   'count of a complex y piece', ERRS)
            END IF
            DO IL = 1, MIN(CNT, N)
               ZYG(INDXL2G(IL, NB, R, NPROW)) = ZY(IL)
            END DO
         END DO
         DO I = 1, N
            CALL CHKZ(ZYG(I), ZYS(I), TOL, 'gathered complex y', I,
     &                ERRS)
         END DO
      ELSE IF (MYCOL .EQ. 0) THEN
         CALL MPI_SEND(ZYSUM, LOCR, MPI_DOUBLE_COMPLEX, 0, 12,
     &                 COLCOMM, IERR)
      END IF

C     A weighted checksum of the whole complex matrix on the root.
      CALL MPI_REDUCE(ZCK, ZTOT, 1, MPI_DOUBLE_COMPLEX, MPI_SUM, 0,
     &                CCOMM, IERR)
      IF (MYID .EQ. 0) THEN
         ZWANT = (0.0D0, 0.0D0)
         DO J = 1, N
            DO I = 1, N
               ZWANT = ZWANT + DCMPLX(AGEN(I, J), AIGEN(I, J))
     &                         * DBLE(I + 2 * J)
            END DO
         END DO
         CALL CHKZ(ZTOT, ZWANT, TOL, 'complex checksum (MPI_REDUCE)',
     &             0, ERRS)
      END IF

C     Complex pivots by |Re| + |Im|, as PZAMAX measures them.
      DO J = 1, N
         PC = INDXG2P(J, NB, NPCOL)
         IF (MYCOL .EQ. PC) THEN
            JL = INDXG2L(J, NB, NPCOL)
            PAIR(1) = -1.0D0
            PAIR(2) = DBLE(N + 1)
            DO IL = 1, LOCR
               IG = INDXL2G(IL, NB, MYROW, NPROW)
               V = ABS(DBLE(ZA(IL, JL))) + ABS(DIMAG(ZA(IL, JL)))
               IF (IG .GE. J .AND. V .GT. PAIR(1)) THEN
                  PAIR(1) = V
                  PAIR(2) = DBLE(IG)
               END IF
            END DO
            CALL MPI_ALLREDUCE(PAIR, RES, 1, MPI_2DOUBLE_PRECISION,
     &                         MPI_MAXLOC, COLCOMM, IERR)
         END IF
         CALL MPI_BCAST(RES, 2, MPI_DOUBLE_PRECISION, PC, ROWCOMM,
     &                  IERR)
         BEST = -1.0D0
         WANT = 0
         DO I = J, N
            V = ABS(AGEN(I, J)) + ABS(AIGEN(I, J))
            IF (V .GT. BEST) THEN
               BEST = V
               WANT = I
            END IF
         END DO
         IF (RES(1) .NE. BEST .OR. RES(2) .NE. DBLE(WANT)) THEN
            CALL FAIL('MAXLOC pivot of a COMPLEX*16 column', ERRS)
            PRINT *, 'column ', J, ': got ', RES(1), ' at ', RES(2),
     &               ', expected ', BEST, ' at ', WANT
         END IF
      END DO

      CALL MPI_COMM_FREE(ROWCOMM, IERR)
      CALL MPI_COMM_FREE(COLCOMM, IERR)
      CALL MPI_COMM_FREE(CCOMM, IERR)
      END

C     ------------------------------------------------------------------
C     MODE 1 deals the root's global A out to the local ALOC of every
C     process, MODE 2 gathers the local matrices back into A on the
C     root.  One message per NB x NB block, a vector type on each side
C     (leading dimension N on the root, LLD locally).  Every process
C     handles its blocks in the root's order, so the exchange cannot
C     deadlock even if sends are synchronous.
      SUBROUTINE BLKXCH(MODE, A, ALOC, N, NB, LLD, CCOMM, NPROW, NPCOL,
     &                  ERRS)
      IMPLICIT NONE
      INCLUDE 'mpif.h'
      INTEGER MODE, N, NB, LLD, CCOMM, NPROW, NPCOL, ERRS
      DOUBLE PRECISION A(N, N), ALOC(LLD, N)
      INTEGER NBLK, IB, JB, I0, J0, NR, NC, OWNER, TAG, MYID
      INTEGER GT, LT, LI, LJ, CNT, SZ, IERR
      INTEGER C2(2), STATUS(MPI_STATUS_SIZE)
      INTEGER INDXG2L
      EXTERNAL INDXG2L

      CALL MPI_COMM_RANK(CCOMM, MYID, IERR)
      NBLK = (N + NB - 1) / NB
      DO JB = 0, NBLK - 1
         J0 = JB * NB + 1
         NC = MIN(NB, N - J0 + 1)
         DO IB = 0, NBLK - 1
            I0 = IB * NB + 1
            NR = MIN(NB, N - I0 + 1)
            C2(1) = MOD(IB, NPROW)
            C2(2) = MOD(JB, NPCOL)
            CALL MPI_CART_RANK(CCOMM, C2, OWNER, IERR)
            TAG = 100 + IB * NBLK + JB
            LI = INDXG2L(I0, NB, NPROW)
            LJ = INDXG2L(J0, NB, NPCOL)
            IF (MYID .EQ. 0 .OR. MYID .EQ. OWNER) THEN
               CALL MPI_TYPE_VECTOR(NC, NR, LLD, MPI_DOUBLE_PRECISION,
     &                              LT, IERR)
               CALL MPI_TYPE_COMMIT(LT, IERR)
            END IF
            IF (MYID .EQ. 0) THEN
               CALL MPI_TYPE_VECTOR(NC, NR, N, MPI_DOUBLE_PRECISION,
     &                              GT, IERR)
               CALL MPI_TYPE_COMMIT(GT, IERR)
               CALL MPI_TYPE_SIZE(GT, SZ, IERR)
               CALL CHKI(SZ, 8 * NR * NC, 'MPI_TYPE_SIZE of a block',
     &                   ERRS)
               IF (OWNER .EQ. 0 .AND. MODE .EQ. 1) THEN
                  CALL MPI_SENDRECV(A(I0, J0), 1, GT, 0, TAG,
     &                 ALOC(LI, LJ), 1, LT, 0, TAG, CCOMM, STATUS, IERR)
               ELSE IF (OWNER .EQ. 0) THEN
                  CALL MPI_SENDRECV(ALOC(LI, LJ), 1, LT, 0, TAG,
     &                 A(I0, J0), 1, GT, 0, TAG, CCOMM, STATUS, IERR)
               ELSE IF (MODE .EQ. 1) THEN
                  CALL MPI_SEND(A(I0, J0), 1, GT, OWNER, TAG, CCOMM,
     &                          IERR)
               ELSE
                  CALL MPI_RECV(A(I0, J0), 1, GT, OWNER, TAG, CCOMM,
     &                          STATUS, IERR)
               END IF
               CALL MPI_TYPE_FREE(GT, IERR)
            ELSE IF (MYID .EQ. OWNER) THEN
               IF (MODE .EQ. 1) THEN
                  CALL MPI_RECV(ALOC(LI, LJ), 1, LT, 0, TAG, CCOMM,
     &                          STATUS, IERR)
               ELSE
                  CALL MPI_SEND(ALOC(LI, LJ), 1, LT, 0, TAG, CCOMM,
     &                          IERR)
               END IF
            END IF
            IF ((MODE .EQ. 1 .AND. MYID .EQ. OWNER) .OR.
     &          (MODE .EQ. 2 .AND. MYID .EQ. 0)) THEN
               CALL MPI_GET_COUNT(STATUS, MPI_DOUBLE_PRECISION, CNT,
     &                            IERR)
               CALL CHKI(CNT, NR * NC, 'elements received in a block',
     &                   ERRS)
            END IF
            IF (MYID .EQ. 0 .OR. MYID .EQ. OWNER) THEN
               CALL MPI_TYPE_FREE(LT, IERR)
            END IF
         END DO
      END DO
      END

C     An indexed type of OLDT picking the blocks of NB that process
C     IPROC of NPROCS owns in a block-cyclic vector of length N.
      SUBROUTINE IDXTYP(N, NB, IPROC, NPROCS, OLDT, NEWT)
      IMPLICIT NONE
      INCLUDE 'mpif.h'
      INTEGER N, NB, IPROC, NPROCS, OLDT, NEWT
      INTEGER MAXB
      PARAMETER (MAXB = 64)
      INTEGER LENS(MAXB), DISPS(MAXB), K, JB, IERR

      K = 0
      DO JB = IPROC, MIN((N - 1) / NB, MAXB - 1), NPROCS
         K = K + 1
         DISPS(K) = JB * NB
         LENS(K) = MIN(NB, N - JB * NB)
      END DO
      CALL MPI_TYPE_INDEXED(K, LENS, DISPS, OLDT, NEWT, IERR)
      CALL MPI_TYPE_COMMIT(NEWT, IERR)
      END

C     ------------------------------------------------------------------
C     Block-cyclic index arithmetic (ScaLAPACK's, source process 0).
C     Entries of a length-N dimension that process IPROC owns.
      INTEGER FUNCTION NUMROC(N, NB, IPROC, NPROCS)
      IMPLICIT NONE
      INTEGER N, NB, IPROC, NPROCS, NBLK, EXTRA

      NBLK = N / NB
      NUMROC = (NBLK / NPROCS) * NB
      EXTRA = MOD(NBLK, NPROCS)
      IF (IPROC .LT. EXTRA) THEN
         NUMROC = NUMROC + NB
      ELSE IF (IPROC .EQ. EXTRA) THEN
         NUMROC = NUMROC + MOD(N, NB)
      END IF
      END

C     Global index of local index IL on process IPROC.
      INTEGER FUNCTION INDXL2G(IL, NB, IPROC, NPROCS)
      IMPLICIT NONE
      INTEGER IL, NB, IPROC, NPROCS

      INDXL2G = ((IL - 1) / NB) * NPROCS * NB + IPROC * NB
     &          + MOD(IL - 1, NB) + 1
      END

C     Local index of global index IG on the process that owns it.
      INTEGER FUNCTION INDXG2L(IG, NB, NPROCS)
      IMPLICIT NONE
      INTEGER IG, NB, NPROCS

      INDXG2L = ((IG - 1) / (NB * NPROCS)) * NB + MOD(IG - 1, NB) + 1
      END

C     The process that owns global index IG.
      INTEGER FUNCTION INDXG2P(IG, NB, NPROCS)
      IMPLICIT NONE
      INTEGER IG, NB, NPROCS

      INDXG2P = MOD((IG - 1) / NB, NPROCS)
      END

C     ------------------------------------------------------------------
C     The generators: exact binary fractions, with equal magnitudes in
C     some columns so that MAXLOC has ties to break.
      DOUBLE PRECISION FUNCTION AGEN(I, J)
      IMPLICIT NONE
      INTEGER I, J

      AGEN = DBLE(MOD(7 * I + 13 * J, 23) - 11)
     &       + 0.125D0 * DBLE(MOD(I * J, 5))
      END

      DOUBLE PRECISION FUNCTION AIGEN(I, J)
      IMPLICIT NONE
      INTEGER I, J

      AIGEN = 0.5D0 * DBLE(MOD(5 * I + 3 * J, 17) - 8)
      END

      DOUBLE PRECISION FUNCTION XGEN(J)
      IMPLICIT NONE
      INTEGER J

      XGEN = 1.0D0 / DBLE(J)
      END

      DOUBLE PRECISION FUNCTION XIGEN(J)
      IMPLICIT NONE
      INTEGER J

      XIGEN = DBLE(MOD(J, 3) - 1) / DBLE(J + 1)
      END

C     ------------------------------------------------------------------
C     Checks; FAIL names the world rank and counts the error.
      SUBROUTINE FAIL(WHAT, ERRS)
      IMPLICIT NONE
      INCLUDE 'mpif.h'
      CHARACTER*(*) WHAT
      INTEGER ERRS, RANK, IERR

      CALL MPI_COMM_RANK(MPI_COMM_WORLD, RANK, IERR)
      ERRS = ERRS + 1
      IF (ERRS .LE. 20) WRITE (*, '(A,I4,2A)') ' [rank', RANK, '] ',
     &                                         WHAT
      END

      SUBROUTINE CHKI(GOT, WANT, WHAT, ERRS)
      IMPLICIT NONE
      INTEGER GOT, WANT, ERRS
      CHARACTER*(*) WHAT

      IF (GOT .NE. WANT) THEN
         CALL FAIL(WHAT, ERRS)
         IF (ERRS .LE. 20) PRINT *, '  got ', GOT, ', expected ', WANT
      END IF
      END

C     Relative to the size of the expected value, absolute near zero.
      SUBROUTINE CHKD(GOT, WANT, TOL, WHAT, IDX, ERRS)
      IMPLICIT NONE
      DOUBLE PRECISION GOT, WANT, TOL
      INTEGER IDX, ERRS
      CHARACTER*(*) WHAT

      IF (ABS(GOT - WANT) .GT. TOL * MAX(1.0D0, ABS(WANT))) THEN
         CALL FAIL(WHAT, ERRS)
         IF (ERRS .LE. 20) PRINT *, '  index ', IDX, ': got ', GOT,
     &                              ', expected ', WANT
      END IF
      END

      SUBROUTINE CHKZ(GOT, WANT, TOL, WHAT, IDX, ERRS)
      IMPLICIT NONE
      COMPLEX*16 GOT, WANT
      DOUBLE PRECISION TOL
      INTEGER IDX, ERRS
      CHARACTER*(*) WHAT

      IF (ABS(GOT - WANT) .GT. TOL * MAX(1.0D0, ABS(WANT))) THEN
         CALL FAIL(WHAT, ERRS)
         IF (ERRS .LE. 20) PRINT *, '  index ', IDX, ': got ', GOT,
     &                              ', expected ', WANT
      END IF
      END

C     mtestf.h lives one level up; the include is relative to this file.
      INCLUDE '../mtestf.h'
