/*
 * Shared-memory footprint of a running job. After MPI_Init and a barrier (every rank has
 * set up its transport; a few ones also exchange messages so that lazily opened channels
 * exist), each rank lists its shared file mappings from /proc/self/maps and stats each one
 * through /proc/self/map_files, which also reaches segments already unlinked from /dev/shm
 * (MPICH unlinks its segments once all ranks have them; Open MPI keeps /dev/shm/vader_segment.*
 * and some files of its session directory). Rank 0 gathers them, counts each file once by
 * (device, inode), and prints
 *
 *   footprint <ranks> <segments> <bytes mapped> <bytes allocated> <PSS bytes of all ranks>
 *
 * "mapped" is the size of the files, "allocated" the pages tmpfs has actually given them
 * (st_blocks), and the PSS is the ranks' whole memory (Pss of /proc/self/smaps_rollup,
 * summed), for scale. With -v rank 0 also lists the files.
 */
#define _GNU_SOURCE
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct seg {
    unsigned long long dev, ino, size, blocks;
    char path[96];
};

/* The shared file mappings of this process, one entry per file. */
static int own_segments(struct seg **out)
{
    FILE *f = fopen("/proc/self/maps", "r");
    int n = 0, cap = 16;
    struct seg *s = malloc(cap * sizeof *s);
    char line[4096];
    if (!f || !s) {
        fprintf(stderr, "footprint: cannot read /proc/self/maps\n");
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    while (fgets(line, sizeof line, f)) {
        unsigned long long start, end, off, ino;
        char perms[8], devs[16], path[4096] = "";
        if (sscanf(line, "%llx-%llx %7s %llx %15s %llu %4095[^\n]", &start, &end, perms, &off,
                   devs, &ino, path) < 6)
            continue;
        if (perms[3] != 's' || ino == 0)
            continue;
        char *p = path;
        while (*p == ' ')
            p++;
        struct stat st;
        char link[64];
        snprintf(link, sizeof link, "/proc/self/map_files/%llx-%llx", start, end);
        int have = stat(link, &st) == 0;
        if (!have && p[0] == '/' && !strstr(p, " (deleted)"))
            have = stat(p, &st) == 0;
        struct seg e = {0};
        if (have) {
            e.dev = st.st_dev;
            e.ino = st.st_ino;
            e.size = st.st_size;
            e.blocks = (unsigned long long)st.st_blocks * 512;
        } else {
            /* Without the right to stat it: the mapping's extent, allocation unknown. */
            e.ino = ino;
            e.size = off + (end - start);
        }
        snprintf(e.path, sizeof e.path, "%s", p);
        int dup = 0;
        for (int i = 0; i < n; i++)
            if (s[i].dev == e.dev && s[i].ino == e.ino) {
                if (e.size > s[i].size)
                    s[i].size = e.size;
                dup = 1;
            }
        if (dup)
            continue;
        if (n == cap) {
            cap *= 2;
            s = realloc(s, cap * sizeof *s);
            if (!s)
                MPI_Abort(MPI_COMM_WORLD, 1);
        }
        s[n++] = e;
    }
    fclose(f);
    *out = s;
    return n;
}

static double own_pss(void)
{
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    char line[256];
    double kib = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "Pss: %lf kB", &kib) == 1)
            break;
    fclose(f);
    return kib * 1024.0;
}

int main(int argc, char **argv)
{
    int rank, nprocs, verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nprocs);

    /* A small message around a ring and a barrier: the channels a typical first exchange
     * opens exist, and every rank is past its setup before anyone looks. */
    int token = rank, got = -1;
    MPI_Status st;
    MPI_Sendrecv(&token, 1, MPI_INT, (rank + 1) % nprocs, 0, &got, 1, MPI_INT,
                 (rank + nprocs - 1) % nprocs, 0, MPI_COMM_WORLD, &st);
    if (got != (rank + nprocs - 1) % nprocs) {
        fprintf(stderr, "footprint: rank %d got %d\n", rank, got);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    MPI_Barrier(MPI_COMM_WORLD);

    struct seg *mine;
    int n = own_segments(&mine);
    double pss = own_pss(), pss_total = 0;
    /* Every rank has looked before any rank goes on to MPI_Finalize and unmaps. */
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Reduce(&pss, &pss_total, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);

    int bytes = n * (int)sizeof(struct seg);
    int *counts = NULL, *displs = NULL;
    struct seg *all = NULL;
    if (rank == 0)
        counts = malloc(nprocs * sizeof(int));
    MPI_Gather(&bytes, 1, MPI_INT, counts, 1, MPI_INT, 0, MPI_COMM_WORLD);
    int total = 0;
    if (rank == 0) {
        displs = malloc(nprocs * sizeof(int));
        for (int i = 0; i < nprocs; i++) {
            displs[i] = total;
            total += counts[i];
        }
        all = malloc(total ? total : 1);
    }
    MPI_Gatherv(mine, bytes, MPI_BYTE, all, counts, displs, MPI_BYTE, 0, MPI_COMM_WORLD);

    if (rank == 0) {
        int m = total / (int)sizeof(struct seg), uniq = 0;
        unsigned long long size = 0, alloc = 0;
        for (int i = 0; i < m; i++) {
            int seen = 0;
            for (int j = 0; j < i && !seen; j++)
                seen = all[j].dev == all[i].dev && all[j].ino == all[i].ino;
            if (seen)
                continue;
            uniq++;
            size += all[i].size;
            alloc += all[i].blocks;
            if (verbose)
                printf("# segment %s %llu %llu\n", all[i].path, all[i].size, all[i].blocks);
        }
        printf("footprint %d %d %llu %llu %.0f\n", nprocs, uniq, size, alloc, pss_total);
        fflush(stdout);
    }
    free(mine);
    free(all);
    free(counts);
    free(displs);
    MPI_Finalize();
    return 0;
}
