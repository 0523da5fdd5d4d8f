/* Graph topologies: an undirected ring plus a star around node 0, the queries, messages to
 * every neighbour, a graph smaller than the communicator, MPI_Graph_map, and bad arguments.
 * Any size. */
#include <mpi.h>
#include <stdlib.h>
#include "../comm/check.h"

static int err_class(int rc)
{
    int cls;
    MPI_Error_class(rc, &cls);
    return cls;
}

/* Node i's neighbours: i-1 and i+1 around the ring (when there are more than 2 nodes),
 * and node 0 is joined to every node it is not already joined to. */
static int neighbours(int n, int i, int *out)
{
    int k = 0, j;
    for (j = 0; j < n; j++) {
        if (j == i)
            continue;
        int ring = n > 2 && (j == (i + 1) % n || j == (i + n - 1) % n);
        int star = n == 2 || i == 0 || j == 0;
        if (ring || star)
            out[k++] = j;
    }
    return k;
}

int main(int argc, char **argv)
{
    int rank, size, i, n, e, st, r;
    MPI_Comm graph, small;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);

    int *index = malloc(sizeof(int) * (size + 1)), *edges = malloc(sizeof(int) * size * size);
    int *nb = malloc(sizeof(int) * size), *got = malloc(sizeof(int) * size);
    int total = 0;
    for (i = 0; i < size; i++) {
        total += neighbours(size, i, edges + total);
        index[i] = total;
    }
    MPI_Graph_create(MPI_COMM_WORLD, size, index, edges, 0, &graph);
    MPI_Topo_test(graph, &st);
    CHECK(st == MPI_GRAPH, "topo_test %d", st);
    MPI_Graphdims_get(graph, &n, &e);
    CHECK(n == size && e == total, "graphdims %d nodes %d edges", n, e);
    int *gi = malloc(sizeof(int) * size), *ge = malloc(sizeof(int) * (total + 1));
    MPI_Graph_get(graph, size, total, gi, ge);
    for (i = 0; i < size; i++)
        CHECK(gi[i] == index[i], "index[%d] = %d", i, gi[i]);
    for (i = 0; i < total; i++)
        CHECK(ge[i] == edges[i], "edges[%d] = %d", i, ge[i]);

    MPI_Comm_rank(graph, &r);
    int expect = neighbours(size, r, nb);
    MPI_Graph_neighbors_count(graph, r, &n);
    CHECK(n == expect, "%d neighbours, expected %d", n, expect);
    MPI_Graph_neighbors(graph, r, size, got);
    for (i = 0; i < n; i++)
        CHECK(got[i] == nb[i], "neighbour %d is %d, expected %d", i, got[i], nb[i]);

    /* Everyone sends its rank to each neighbour; the graph is symmetric. */
    MPI_Request *reqs = malloc(sizeof(MPI_Request) * 2 * (n + 1));
    MPI_Status *sts = malloc(sizeof(MPI_Status) * 2 * (n + 1));
    int *in = malloc(sizeof(int) * (n + 1));
    for (i = 0; i < n; i++) {
        MPI_Irecv(&in[i], 1, MPI_INT, nb[i], 4, graph, &reqs[i]);
        MPI_Isend(&r, 1, MPI_INT, nb[i], 4, graph, &reqs[n + i]);
    }
    MPI_Waitall(2 * n, reqs, sts);
    for (i = 0; i < n; i++)
        CHECK(in[i] == nb[i], "from neighbour %d came %d", nb[i], in[i]);

    /* A graph of one node with no edges, and MPI_Graph_map. */
    int one_index[1] = {0};
    MPI_Graph_create(MPI_COMM_WORLD, 1, one_index, edges, 0, &small);
    CHECK((rank == 0) == (small != MPI_COMM_NULL), "rank %d and the one-node graph", rank);
    if (small != MPI_COMM_NULL) {
        MPI_Graph_neighbors_count(small, 0, &n);
        CHECK(n == 0, "one node has %d neighbours", n);
        MPI_Comm_free(&small);
    }
    MPI_Graph_map(MPI_COMM_WORLD, 1, one_index, edges, &n);
    CHECK(n == (rank == 0 ? 0 : MPI_UNDEFINED), "graph_map %d", n);

    /* Bad arguments. */
    MPI_Comm_set_errhandler(graph, MPI_ERRORS_RETURN);
    int bad_edge[1] = {size + 3}, bad_index[1] = {1};
    CHECK(err_class(MPI_Graph_create(MPI_COMM_WORLD, 1, bad_index, bad_edge, 0, &small)) == MPI_ERR_ARG, "edge out of range");
    index[size] = total;
    CHECK(err_class(MPI_Graph_create(MPI_COMM_WORLD, size + 1, index, edges, 0, &small)) == MPI_ERR_ARG, "more nodes than processes");
    CHECK(err_class(MPI_Cartdim_get(graph, &n)) == MPI_ERR_TOPOLOGY, "cart query on a graph");

    MPI_Comm_free(&graph);
    free(index); free(edges); free(nb); free(got); free(gi); free(ge); free(reqs); free(sts); free(in);
    return check_finalize();
}
