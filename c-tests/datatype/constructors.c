/*
 * Every datatype constructor: size, bounds, true bounds and packed order, checked against
 * the MPI rules (and, for structs, against the C compiler's layout). Also MPI_Type_dup,
 * names, MPI_Type_match_size, MPI_Get_elements and MPI_Pack/MPI_Unpack in one process.
 */
#include <stddef.h>
#include "dtcheck.h"

/* Size, lb, extent, true lb and true extent of a type. */
static void expect(MPI_Datatype t, const char *what, int size, MPI_Aint lb, MPI_Aint extent, MPI_Aint tlb,
                   MPI_Aint textent)
{
    int s;
    MPI_Aint l, e, tl, te, l1, u1, e1;
    MPI_Type_size(t, &s);
    MPI_Type_get_extent(t, &l, &e);
    MPI_Type_get_true_extent(t, &tl, &te);
    MPI_Type_lb(t, &l1);
    MPI_Type_ub(t, &u1);
    MPI_Type_extent(t, &e1);
    CHECK(s == size, "%s: size %d, expected %d", what, s, size);
    CHECK(l == lb && e == extent, "%s: lb %ld extent %ld, expected %ld %ld", what, (long)l, (long)e, (long)lb,
          (long)extent);
    CHECK(tl == tlb && te == textent, "%s: true lb %ld extent %ld, expected %ld %ld", what, (long)tl, (long)te,
          (long)tlb, (long)textent);
    CHECK(l1 == l && u1 == l + e && e1 == e, "%s: MPI-1 bounds %ld %ld %ld disagree", what, (long)l1, (long)u1,
          (long)e1);
}

/* Commits `t`, packs one element of it from `buf` (ints) and checks the ints come out as
 * `want`. */
static void expect_packed(MPI_Datatype t, const int *buf, const int *want, int n, const char *what)
{
    int packed[64], pos = 0, size;
    MPI_Type_commit(&t);
    MPI_Pack_size(1, t, MPI_COMM_WORLD, &size);
    CHECK(size == n * (int)sizeof(int), "%s: pack size %d, expected %d", what, size, n * (int)sizeof(int));
    MPI_Pack(buf, 1, t, packed, (int)sizeof(packed), &pos, MPI_COMM_WORLD);
    CHECK(pos == n * (int)sizeof(int), "%s: position %d after packing, expected %d", what, pos,
          n * (int)sizeof(int));
    for (int i = 0; i < n; i++)
        CHECK(packed[i] == want[i], "%s: packed int %d is %d, expected %d", what, i, packed[i], want[i]);
}

struct cd { char c; double d; };
struct dc { double d; char c; };
struct ic { int i; char c; };
struct mixed { int i[2]; double d; };

int main(int argc, char **argv)
{
    MPI_Datatype t, u, v;
    int ints[64], me;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &me);
    for (int i = 0; i < 64; i++)
        ints[i] = i;

    /* contiguous */
    MPI_Type_contiguous(3, MPI_INT, &t);
    expect(t, "contiguous(3, int)", 12, 0, 12, 0, 12);
    MPI_Type_free(&t);
    CHECK(t == MPI_DATATYPE_NULL, "MPI_Type_free leaves the handle at %#x", (unsigned)t);
    MPI_Type_contiguous(0, MPI_INT, &t);
    expect(t, "contiguous(0, int)", 0, 0, 0, 0, 0);
    MPI_Type_free(&t);

    /* vector: blocks of 2 ints every 4 ints; the extent ends after the last block */
    MPI_Type_vector(3, 2, 4, MPI_INT, &t);
    expect(t, "vector(3,2,4,int)", 24, 0, 40, 0, 40);
    {
        int want[] = {0, 1, 4, 5, 8, 9};
        expect_packed(t, ints, want, 6, "vector(3,2,4,int)");
    }
    /* vector of vectors: a 2x2 block, then two of them 8 ints apart */
    MPI_Type_vector(2, 1, 8, t, &u);
    expect(u, "vector(2,1,8,vector)", 48, 0, 8 * 40 + 40, 0, 8 * 40 + 40);
    {
        int want[] = {0, 1, 4, 5, 8, 9, 80, 81, 84, 85, 88, 89};
        int big[128];
        for (int i = 0; i < 128; i++)
            big[i] = i;
        expect_packed(u, big, want, 12, "vector of vectors");
    }
    MPI_Type_free(&u);
    MPI_Type_free(&t);

    /* negative stride */
    MPI_Type_vector(3, 1, -2, MPI_DOUBLE, &t);
    expect(t, "vector(3,1,-2,double)", 24, -32, 40, -32, 40);
    MPI_Type_free(&t);

    /* hvector, MPI-1 and MPI-2 names */
    MPI_Type_hvector(3, 2, 20, MPI_INT, &t);
    expect(t, "hvector(3,2,20,int)", 24, 0, 48, 0, 48);
    {
        int want[] = {0, 1, 5, 6, 10, 11};
        expect_packed(t, ints, want, 6, "hvector");
    }
    MPI_Type_free(&t);
    MPI_Type_create_hvector(2, 1, -12, MPI_INT, &t);
    expect(t, "create_hvector(2,1,-12,int)", 8, -12, 16, -12, 16);
    {
        int want[] = {10, 7};
        expect_packed(t, ints + 10, want, 2, "create_hvector");
    }
    MPI_Type_free(&t);

    /* indexed: the packed order is the type map's, not the memory's */
    {
        int bl[] = {2, 1, 3, 0}, disp[] = {4, 0, 10, 30};
        MPI_Type_indexed(4, bl, disp, MPI_INT, &t);
        expect(t, "indexed", 24, 0, 52, 0, 52);
        int want[] = {4, 5, 0, 10, 11, 12};
        expect_packed(t, ints, want, 6, "indexed");
        MPI_Type_free(&t);
    }
    {
        int bl[] = {1, 2};
        MPI_Aint disp[] = {8, -4};
        MPI_Type_hindexed(2, bl, disp, MPI_INT, &t);
        expect(t, "hindexed", 12, -4, 16, -4, 16);
        int want[] = {22, 19, 20};
        expect_packed(t, ints + 20, want, 3, "hindexed");
        MPI_Type_free(&t);
        MPI_Type_create_hindexed(2, bl, disp, MPI_INT, &t);
        expect(t, "create_hindexed", 12, -4, 16, -4, 16);
        MPI_Type_free(&t);
    }
    {
        int disp[] = {6, 1, 3};
        MPI_Type_create_indexed_block(3, 2, disp, MPI_INT, &t);
        expect(t, "create_indexed_block", 24, 4, 28, 4, 28);
        int want[] = {6, 7, 1, 2, 3, 4};
        expect_packed(t, ints, want, 6, "create_indexed_block");
        MPI_Type_free(&t);
        MPI_Aint hdisp[] = {24, 4};
        MPI_Type_create_hindexed_block(2, 1, hdisp, MPI_INT, &t);
        expect(t, "create_hindexed_block", 8, 4, 24, 4, 24);
        MPI_Type_free(&t);
    }

    /* struct: the extent of the C struct, padding included */
    {
        int bl[] = {1, 1};
        MPI_Aint disp[2];
        MPI_Datatype types[2];
        disp[0] = offsetof(struct cd, c);
        disp[1] = offsetof(struct cd, d);
        types[0] = MPI_CHAR;
        types[1] = MPI_DOUBLE;
        MPI_Type_create_struct(2, bl, disp, types, &t);
        expect(t, "struct {char; double}", 9, 0, sizeof(struct cd), 0, 16);
        MPI_Type_free(&t);
        disp[0] = offsetof(struct dc, d);
        disp[1] = offsetof(struct dc, c);
        types[0] = MPI_DOUBLE;
        types[1] = MPI_CHAR;
        MPI_Type_struct(2, bl, disp, types, &t);
        expect(t, "struct {double; char}", 9, 0, sizeof(struct dc), 0, 9);
        MPI_Type_free(&t);
        disp[0] = offsetof(struct ic, i);
        disp[1] = offsetof(struct ic, c);
        types[0] = MPI_INT;
        types[1] = MPI_CHAR;
        MPI_Type_create_struct(2, bl, disp, types, &t);
        expect(t, "struct {int; char}", 5, 0, sizeof(struct ic), 0, 5);
        MPI_Type_free(&t);
    }
    /* MPI-1 markers set the bounds; no padding then */
    {
        int bl[] = {1, 1, 1};
        MPI_Aint disp[] = {-4, 0, 20};
        MPI_Datatype types[] = {MPI_LB, MPI_INT, MPI_UB};
        MPI_Type_struct(3, bl, disp, types, &t);
        expect(t, "struct {LB; int; UB}", 4, -4, 24, 0, 4);
        MPI_Type_contiguous(2, t, &u);
        expect(u, "contiguous(2, struct {LB; int; UB})", 8, -4, 48, 0, 28);
        {
            int want[] = {3, 9};
            expect_packed(u, ints + 3, want, 2, "markers");
        }
        MPI_Type_free(&u);
        MPI_Type_free(&t);
        MPI_Aint d2[] = {0, 9};
        MPI_Datatype t2[] = {MPI_DOUBLE, MPI_UB};
        MPI_Type_struct(2, bl, d2, t2, &t);
        expect(t, "struct {double; UB at 9}", 8, 0, 9, 0, 8);
        MPI_Type_free(&t);
    }

    /* resized */
    MPI_Type_create_resized(MPI_INT, -4, 16, &t);
    expect(t, "resized(int, -4, 16)", 4, -4, 16, 0, 4);
    MPI_Type_contiguous(3, t, &u);
    expect(u, "contiguous(3, resized)", 12, -4, 48, 0, 36);
    {
        int want[] = {1, 5, 9};
        expect_packed(u, ints + 1, want, 3, "contiguous(3, resized)");
    }
    MPI_Type_free(&u);
    MPI_Type_free(&t);
    /* a matrix column resized to one element: consecutive columns interleave */
    MPI_Type_vector(4, 1, 4, MPI_INT, &t);
    MPI_Type_create_resized(t, 0, sizeof(int), &u);
    MPI_Type_free(&t);
    MPI_Type_contiguous(2, u, &v);
    expect(v, "two resized columns", 32, 0, 8, 0, 56);
    {
        int want[] = {1, 5, 9, 13, 2, 6, 10, 14};
        expect_packed(v, ints + 1, want, 8, "two resized columns");
    }
    MPI_Type_free(&v);
    MPI_Type_free(&u);

    /* dup: same type, committed like the original, unnamed */
    MPI_Type_vector(2, 1, 3, MPI_INT, &t);
    MPI_Type_set_name(t, "every third int");
    MPI_Type_commit(&t);
    MPI_Type_dup(t, &u);
    expect(u, "dup(vector)", 8, 0, 16, 0, 16);
    {
        char name[MPI_MAX_OBJECT_NAME];
        int len = -1;
        MPI_Type_get_name(t, name, &len);
        CHECK(strcmp(name, "every third int") == 0 && len == 15, "name '%s' (%d)", name, len);
        MPI_Type_get_name(u, name, &len);
        CHECK(len == 0 && name[0] == 0, "a dup has no name, got '%s'", name);
        MPI_Type_get_name(MPI_DOUBLE, name, &len);
        CHECK(strcmp(name, "MPI_DOUBLE") == 0, "MPI_DOUBLE is named '%s'", name);
        int want[] = {0, 3};
        expect_packed(u, ints, want, 2, "dup");
    }
    MPI_Type_free(&u);
    MPI_Type_free(&t);

    /* match_size */
    MPI_Type_match_size(MPI_TYPECLASS_REAL, 8, &t);
    CHECK(t == MPI_REAL8, "match_size(REAL, 8) is %#x", (unsigned)t);
    MPI_Type_match_size(MPI_TYPECLASS_INTEGER, 4, &t);
    CHECK(t == MPI_INTEGER4, "match_size(INTEGER, 4) is %#x", (unsigned)t);
    MPI_Type_match_size(MPI_TYPECLASS_COMPLEX, 16, &t);
    CHECK(t == MPI_COMPLEX16, "match_size(COMPLEX, 16) is %#x", (unsigned)t);

    /* MPI_Get_elements through a message to self, whole and partial */
    {
        int bl[] = {2, 1};
        MPI_Aint disp[] = {offsetof(struct mixed, i), offsetof(struct mixed, d)};
        MPI_Datatype types[] = {MPI_INT, MPI_DOUBLE};
        struct mixed in[3], out[3];
        MPI_Status st;
        int n;
        MPI_Type_create_struct(2, bl, disp, types, &t);
        MPI_Type_commit(&t);
        expect(t, "struct mixed", 16, 0, sizeof(struct mixed), 0, 16);
        for (int i = 0; i < 3; i++) {
            in[i].i[0] = 10 * i;
            in[i].i[1] = 10 * i + 1;
            in[i].d = i + 0.5;
        }
        memset(out, 0, sizeof(out));
        MPI_Sendrecv(in, 3, t, me, 1, out, 3, t, me, 1, MPI_COMM_WORLD, &st);
        MPI_Get_elements(&st, t, &n);
        CHECK(n == 9, "3 structs are %d basic elements, expected 9", n);
        MPI_Get_count(&st, t, &n);
        CHECK(n == 3, "count %d, expected 3", n);
        for (int i = 0; i < 3; i++)
            CHECK(out[i].i[0] == 10 * i && out[i].i[1] == 10 * i + 1 && out[i].d == i + 0.5,
                  "struct %d arrived as %d %d %g", i, out[i].i[0], out[i].i[1], out[i].d);
        /* 1 struct and 2 ints: 5 basic elements, not a whole number of structs */
        MPI_Sendrecv(ints, 6, MPI_INT, me, 2, out, 3, t, me, 2, MPI_COMM_WORLD, &st);
        MPI_Get_elements(&st, t, &n);
        CHECK(n == 5, "24 bytes of the struct type are %d elements, expected 5", n);
        MPI_Get_count(&st, t, &n);
        CHECK(n == MPI_UNDEFINED, "count of a partial struct is %d, expected MPI_UNDEFINED", n);
        MPI_Type_free(&t);
    }

    /* pack several things into one buffer, unpack them into another layout */
    {
        double col[4][3], got[4];
        int k = 7, k2 = 0, pos = 0;
        char buf[256];
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 3; j++)
                col[i][j] = 10 * i + j;
        MPI_Type_vector(4, 1, 3, MPI_DOUBLE, &t);
        MPI_Type_commit(&t);
        MPI_Pack(&k, 1, MPI_INT, buf, sizeof(buf), &pos, MPI_COMM_WORLD);
        MPI_Pack(&col[0][2], 1, t, buf, sizeof(buf), &pos, MPI_COMM_WORLD);
        CHECK(pos == 4 + 32, "position %d after packing an int and a column", pos);
        int end = pos;
        pos = 0;
        MPI_Unpack(buf, end, &pos, &k2, 1, MPI_INT, MPI_COMM_WORLD);
        MPI_Unpack(buf, end, &pos, got, 4, MPI_DOUBLE, MPI_COMM_WORLD);
        CHECK(k2 == 7 && pos == end, "unpacked %d, position %d", k2, pos);
        for (int i = 0; i < 4; i++)
            CHECK(got[i] == 10 * i + 2, "column element %d unpacked as %g", i, got[i]);
        /* and back into a column of another matrix */
        double back[4][3];
        memset(back, 0, sizeof(back));
        pos = 4;
        MPI_Unpack(buf, end, &pos, &back[0][1], 1, t, MPI_COMM_WORLD);
        for (int i = 0; i < 4; i++)
            CHECK(back[i][1] == 10 * i + 2 && back[i][0] == 0 && back[i][2] == 0, "row %d unpacked as %g %g %g",
                  i, back[i][0], back[i][1], back[i][2]);
        MPI_Type_free(&t);
    }

    /* a type freed while another uses it keeps working in the other */
    MPI_Type_vector(2, 1, 2, MPI_INT, &t);
    MPI_Type_contiguous(2, t, &u);
    MPI_Type_free(&t);
    MPI_Type_commit(&u);
    expect(u, "contiguous of a freed vector", 16, 0, 24, 0, 24);
    {
        int want[] = {0, 2, 3, 5};
        expect_packed(u, ints, want, 4, "contiguous of a freed vector");
    }
    MPI_Type_free(&u);

    return dt_finish();
}
