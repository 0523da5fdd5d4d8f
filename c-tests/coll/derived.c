/* Derived datatypes in collectives: a predefined op and a user op on a contiguous pair type,
 * and a broadcast of a matrix column described by a vector type. */
#include <mpi.h>
#include <stdio.h>
static void mysum(void *in, void *io, int *len, MPI_Datatype *t) { double *a = in, *b = io; for (int i = 0; i < 2 * *len; i++) b[i] += a[i]; (void)t; }
int main(int argc, char **argv) {
  int rank, size, errs = 0; MPI_Init(&argc, &argv); MPI_Comm_rank(MPI_COMM_WORLD, &rank); MPI_Comm_size(MPI_COMM_WORLD, &size);
  MPI_Datatype pair, col; MPI_Type_contiguous(2, MPI_DOUBLE, &pair); MPI_Type_commit(&pair);
  double x[6] = {rank, 1, rank, 2, rank, 3}, y[6];
  MPI_Allreduce(x, y, 3, pair, MPI_SUM, MPI_COMM_WORLD);
  for (int i = 0; i < 3; i++) if (y[2*i] != size*(size-1)/2.0 || y[2*i+1] != size*(i+1.0)) errs++;
  MPI_Op op; MPI_Op_create(mysum, 1, &op);
  MPI_Allreduce(x, y, 3, pair, op, MPI_COMM_WORLD);
  for (int i = 0; i < 3; i++) if (y[2*i] != size*(size-1)/2.0) errs++;
  double m[4][4]; for (int i = 0; i < 16; i++) ((double*)m)[i] = rank == 0 ? i : -1;
  MPI_Type_vector(4, 1, 4, MPI_DOUBLE, &col); MPI_Type_commit(&col);
  MPI_Bcast(&m[0][1], 1, col, 0, MPI_COMM_WORLD);
  for (int i = 0; i < 4; i++) if (m[i][1] != i*4+1) errs++;
  if (rank != 0 && m[0][0] != -1) errs++;
  int tot; MPI_Reduce(&errs, &tot, 1, MPI_INT, MPI_SUM, 0, MPI_COMM_WORLD);
  if (rank == 0) printf(tot ? "FAILED %d\n" : " No Errors\n", tot);
  MPI_Finalize(); return 0; }
