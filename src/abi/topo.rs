//! Process topologies (MPI-1.2 chapter 6). Ranks are never reordered: `reorder` is accepted
//! and ignored, which the standard allows.

use std::ffi::c_int;

use super::consts as c;
use super::errh::dispatch;
use super::types::MPI_Comm;
use super::{args, guarded, handle};
use crate::core::error::{MpiError, Result};
use crate::core::topo::{self, Cart, Graph, Topology};
use crate::runtime;

/// Reads `n` ints from a C array.
///
/// # Safety
/// `p` must be valid for reading `n` ints when `n > 0`.
unsafe fn read_ints(p: *const c_int, n: usize, what: &str) -> Result<Vec<i32>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    if p.is_null() {
        return Err(MpiError::arg(format!("Null pointer in parameter {what}")));
    }
    // SAFETY: the caller guarantees n readable ints at p; checked non-NULL.
    Ok(unsafe { std::slice::from_raw_parts(p, n) }.to_vec())
}

/// Writes `src` to a C array of at least `src.len()` ints.
///
/// # Safety
/// `p` must be valid for writing `src.len()` ints when that is not zero.
unsafe fn write_ints(p: *mut c_int, src: &[i32], what: &str) -> Result<()> {
    if src.is_empty() {
        return Ok(());
    }
    args::out_ptr(p, what)?;
    // SAFETY: the caller guarantees room for src.len() ints; checked non-NULL.
    unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), p, src.len()) };
    Ok(())
}

fn nonneg(n: c_int, what: &str) -> Result<usize> {
    if n < 0 {
        return Err(MpiError::arg(format!("Invalid argument {what}: value is {n} but must be nonnegative")));
    }
    Ok(n as usize)
}

/// Reads and checks the arguments of MPI_Cart_create and MPI_Cart_map.
///
/// # Safety
/// `dims` and `periods` must be valid for reading `ndims` ints.
unsafe fn cart_args(ci: u32, ndims: c_int, dims: *const c_int, periods: *const c_int, too_big: c_int) -> Result<Cart> {
    let n = nonneg(ndims, "ndims")?;
    // SAFETY: MPI requires ndims readable ints at dims and at periods.
    let d = unsafe { read_ints(dims, n, "dims")? };
    // SAFETY: as above.
    let p: Vec<bool> = unsafe { read_ints(periods, n, "periods")? }.iter().map(|&x| x != 0).collect();
    let size = runtime::with(|rt| {
        let cm = rt.comm(ci)?;
        if cm.is_inter() {
            return Err(MpiError::new(c::MPI_ERR_COMM, "Invalid communicator: topologies need an intracommunicator"));
        }
        Ok(cm.size())
    })?;
    Cart::new_or(&d, &p, size, too_big)
}

/// Reads and checks the arguments of MPI_Graph_create and MPI_Graph_map.
///
/// # Safety
/// `index` must be valid for reading `nnodes` ints, and `edges` for `index[nnodes - 1]`.
unsafe fn graph_args(ci: u32, nnodes: c_int, index: *const c_int, edges: *const c_int) -> Result<Graph> {
    let n = nonneg(nnodes, "nnodes")?;
    let size = runtime::with(|rt| {
        let cm = rt.comm(ci)?;
        if cm.is_inter() {
            return Err(MpiError::new(c::MPI_ERR_COMM, "Invalid communicator: topologies need an intracommunicator"));
        }
        Ok(cm.size())
    })?;
    // Checked before the arrays are read: their lengths follow from nnodes.
    if n > size as usize {
        return Err(MpiError::arg(format!("Size of the communicator ({size}) is smaller than the size of the graph ({n})")));
    }
    // SAFETY: MPI requires nnodes readable ints at index.
    let idx = unsafe { read_ints(index, n, "index")? };
    let nedges = idx.last().copied().unwrap_or(0);
    let nedges = nonneg(nedges, "index[nnodes-1]")?;
    // SAFETY: MPI requires index[nnodes-1] readable ints at edges.
    let e = unsafe { read_ints(edges, nedges, "edges")? };
    Graph::new(&idx, &e, size)
}

/// A communicator with a Cartesian topology over the first `dims[0] * ... * dims[ndims-1]`
/// processes of `comm_old`; MPI_COMM_NULL at the others.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Cart_create(
    comm_old: MPI_Comm,
    ndims: c_int,
    dims: *const c_int,
    periods: *const c_int,
    reorder: c_int,
    comm_cart: *mut MPI_Comm,
) -> c_int {
    let _ = reorder;
    let code = guarded("MPI_Cart_create", || {
        let ci = handle::comm(comm_old)?;
        args::out_ptr(comm_cart, "comm_cart")?;
        // SAFETY: MPI requires ndims readable ints at dims and periods.
        let cart = unsafe { cart_args(ci, ndims, dims, periods, c::MPI_ERR_ARG)? };
        let ni = runtime::with(|rt| rt.cart_create(ci, cart))?;
        // SAFETY: checked non-NULL.
        unsafe { *comm_cart = ni.map_or(c::MPI_COMM_NULL, handle::comm_handle) };
        Ok(())
    });
    dispatch(comm_old, code)
}

/// Fills the zero entries of `dims` with a balanced factorization of `nnodes`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Dims_create(nnodes: c_int, ndims: c_int, dims: *mut c_int) -> c_int {
    let code = guarded("MPI_Dims_create", || {
        let n = nonneg(ndims, "ndims")?;
        // SAFETY: MPI requires ndims readable and writable ints at dims.
        let mut d = unsafe { read_ints(dims, n, "dims")? };
        topo::dims_create(nnodes, &mut d)?;
        // SAFETY: as above.
        unsafe { write_ints(dims, &d, "dims") }
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// The dimensions, periodicity and this process's coordinates.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Cart_get(comm: MPI_Comm, maxdims: c_int, dims: *mut c_int, periods: *mut c_int, coords: *mut c_int) -> c_int {
    let code = guarded("MPI_Cart_get", || {
        let ci = handle::comm(comm)?;
        let (g, me) = runtime::with(|rt| Ok((rt.cart(ci)?.clone(), rt.comm(ci)?.rank)))?;
        if nonneg(maxdims, "maxdims")? < g.ndims() {
            return Err(MpiError::arg(format!("maxdims is {maxdims} but the topology has {} dimensions", g.ndims())));
        }
        let n = g.ndims();
        let d: Vec<i32> = g.dims[..n].iter().map(|&x| x as i32).collect();
        let p: Vec<i32> = g.periods[..n].iter().map(|&x| x as i32).collect();
        let x: Vec<i32> = g.coords(me)[..n].iter().map(|&x| x as i32).collect();
        // SAFETY: MPI requires room for maxdims ints in each array.
        unsafe {
            write_ints(dims, &d, "dims")?;
            write_ints(periods, &p, "periods")?;
            write_ints(coords, &x, "coords")
        }
    });
    dispatch(comm, code)
}

/// The rank at `coords` (wrapped in periodic dimensions).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Cart_rank(comm: MPI_Comm, coords: *const c_int, rank: *mut c_int) -> c_int {
    let code = guarded("MPI_Cart_rank", || {
        let ci = handle::comm(comm)?;
        args::out_ptr(rank, "rank")?;
        let g = runtime::with(|rt| rt.cart(ci).cloned())?;
        // SAFETY: MPI requires ndims readable ints at coords.
        let x = unsafe { read_ints(coords, g.ndims(), "coords")? };
        let r = g.rank(&x)?;
        // SAFETY: checked non-NULL.
        unsafe { *rank = r as c_int };
        Ok(())
    });
    dispatch(comm, code)
}

/// The coordinates of `rank`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Cart_coords(comm: MPI_Comm, rank: c_int, maxdims: c_int, coords: *mut c_int) -> c_int {
    let code = guarded("MPI_Cart_coords", || {
        let ci = handle::comm(comm)?;
        let g = runtime::with(|rt| rt.cart(ci).cloned())?;
        if rank < 0 || rank as u32 >= g.size() {
            return Err(MpiError::new(
                c::MPI_ERR_RANK,
                format!("Invalid rank has value {rank} but must be nonnegative and less than {}", g.size()),
            ));
        }
        if nonneg(maxdims, "maxdims")? < g.ndims() {
            return Err(MpiError::arg(format!("maxdims is {maxdims} but the topology has {} dimensions", g.ndims())));
        }
        let x: Vec<i32> = g.coords(rank as u32).iter().map(|&v| v as i32).collect();
        // SAFETY: MPI requires room for maxdims ints at coords.
        unsafe { write_ints(coords, &x, "coords") }
    });
    dispatch(comm, code)
}

/// The ranks `disp` steps before and after this process along `direction`, MPI_PROC_NULL off a
/// non-periodic edge.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Cart_shift(comm: MPI_Comm, direction: c_int, disp: c_int, rank_source: *mut c_int, rank_dest: *mut c_int) -> c_int {
    let code = guarded("MPI_Cart_shift", || {
        let ci = handle::comm(comm)?;
        args::out_ptr(rank_source, "rank_source")?;
        args::out_ptr(rank_dest, "rank_dest")?;
        let (g, me) = runtime::with(|rt| Ok((rt.cart(ci)?.clone(), rt.comm(ci)?.rank)))?;
        let (src, dst) = g.shift(me, direction, disp)?;
        // SAFETY: both checked non-NULL.
        unsafe {
            *rank_source = src;
            *rank_dest = dst;
        }
        Ok(())
    });
    dispatch(comm, code)
}

/// The sub-grid that keeps the dimensions marked in `remain_dims` (collective).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Cart_sub(comm: MPI_Comm, remain_dims: *const c_int, newcomm: *mut MPI_Comm) -> c_int {
    let code = guarded("MPI_Cart_sub", || {
        let ci = handle::comm(comm)?;
        args::out_ptr(newcomm, "newcomm")?;
        let n = runtime::with(|rt| Ok(rt.cart(ci)?.ndims()))?;
        // SAFETY: MPI requires ndims readable ints at remain_dims.
        let remain: Vec<bool> = unsafe { read_ints(remain_dims, n, "remain_dims")? }.iter().map(|&x| x != 0).collect();
        let ni = runtime::with(|rt| rt.cart_sub(ci, &remain))?;
        // SAFETY: checked non-NULL.
        unsafe { *newcomm = handle::comm_handle(ni) };
        Ok(())
    });
    dispatch(comm, code)
}

/// The rank this process would have in the grid (its rank, when it fits; no reordering).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Cart_map(comm: MPI_Comm, ndims: c_int, dims: *const c_int, periods: *const c_int, newrank: *mut c_int) -> c_int {
    let code = guarded("MPI_Cart_map", || {
        let ci = handle::comm(comm)?;
        args::out_ptr(newrank, "newrank")?;
        // SAFETY: MPI requires ndims readable ints at dims and periods.
        let cart = unsafe { cart_args(ci, ndims, dims, periods, c::MPI_ERR_DIMS)? };
        let me = runtime::with(|rt| Ok(rt.comm(ci)?.rank))?;
        // SAFETY: checked non-NULL.
        unsafe { *newrank = if me < cart.size() { me as c_int } else { c::MPI_UNDEFINED } };
        Ok(())
    });
    dispatch(comm, code)
}

/// The number of dimensions of a Cartesian topology.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Cartdim_get(comm: MPI_Comm, ndims: *mut c_int) -> c_int {
    let code = guarded("MPI_Cartdim_get", || {
        let ci = handle::comm(comm)?;
        args::out_ptr(ndims, "ndims")?;
        let n = runtime::with(|rt| Ok(rt.cart(ci)?.ndims()))?;
        // SAFETY: checked non-NULL.
        unsafe { *ndims = n as c_int };
        Ok(())
    });
    dispatch(comm, code)
}

/// A communicator with a graph topology over the first `nnodes` processes of `comm_old`;
/// MPI_COMM_NULL at the others.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Graph_create(
    comm_old: MPI_Comm,
    nnodes: c_int,
    index: *const c_int,
    edges: *const c_int,
    reorder: c_int,
    comm_graph: *mut MPI_Comm,
) -> c_int {
    let _ = reorder;
    let code = guarded("MPI_Graph_create", || {
        let ci = handle::comm(comm_old)?;
        args::out_ptr(comm_graph, "comm_graph")?;
        // SAFETY: MPI requires nnodes ints at index and index[nnodes-1] at edges.
        let graph = unsafe { graph_args(ci, nnodes, index, edges)? };
        let ni = runtime::with(|rt| rt.graph_create(ci, graph))?;
        // SAFETY: checked non-NULL.
        unsafe { *comm_graph = ni.map_or(c::MPI_COMM_NULL, handle::comm_handle) };
        Ok(())
    });
    dispatch(comm_old, code)
}

/// The index and edge arrays of a graph topology.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Graph_get(comm: MPI_Comm, maxindex: c_int, maxedges: c_int, index: *mut c_int, edges: *mut c_int) -> c_int {
    let code = guarded("MPI_Graph_get", || {
        let ci = handle::comm(comm)?;
        let g = runtime::with(|rt| rt.graph(ci).cloned())?;
        let ni = nonneg(maxindex, "maxindex")?.min(g.index.len());
        let ne = nonneg(maxedges, "maxedges")?.min(g.edges.len());
        let idx: Vec<i32> = g.index[..ni].iter().map(|&x| x as i32).collect();
        let e: Vec<i32> = g.edges[..ne].iter().map(|&x| x as i32).collect();
        // SAFETY: MPI requires room for maxindex and maxedges ints.
        unsafe {
            write_ints(index, &idx, "index")?;
            write_ints(edges, &e, "edges")
        }
    });
    dispatch(comm, code)
}

/// The number of nodes and edges of a graph topology.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Graphdims_get(comm: MPI_Comm, nnodes: *mut c_int, nedges: *mut c_int) -> c_int {
    let code = guarded("MPI_Graphdims_get", || {
        let ci = handle::comm(comm)?;
        args::out_ptr(nnodes, "nnodes")?;
        args::out_ptr(nedges, "nedges")?;
        let (n, e) = runtime::with(|rt| rt.graph(ci).map(|g| (g.nnodes(), g.edges.len())))?;
        // SAFETY: both checked non-NULL.
        unsafe {
            *nnodes = n as c_int;
            *nedges = e as c_int;
        }
        Ok(())
    });
    dispatch(comm, code)
}

fn graph_rank(g: &Graph, rank: c_int) -> Result<u32> {
    if rank < 0 || rank as u32 >= g.nnodes() {
        return Err(MpiError::new(
            c::MPI_ERR_RANK,
            format!("Invalid rank has value {rank} but must be nonnegative and less than {}", g.nnodes()),
        ));
    }
    Ok(rank as u32)
}

/// The number of neighbours of `rank` in a graph topology.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Graph_neighbors_count(comm: MPI_Comm, rank: c_int, nneighbors: *mut c_int) -> c_int {
    let code = guarded("MPI_Graph_neighbors_count", || {
        let ci = handle::comm(comm)?;
        args::out_ptr(nneighbors, "nneighbors")?;
        let n = runtime::with(|rt| {
            let g = rt.graph(ci)?;
            Ok(g.neighbors(graph_rank(g, rank)?).len())
        })?;
        // SAFETY: checked non-NULL.
        unsafe { *nneighbors = n as c_int };
        Ok(())
    });
    dispatch(comm, code)
}

/// The neighbours of `rank` in a graph topology (at most `maxneighbors` of them).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Graph_neighbors(comm: MPI_Comm, rank: c_int, maxneighbors: c_int, neighbors: *mut c_int) -> c_int {
    let code = guarded("MPI_Graph_neighbors", || {
        let ci = handle::comm(comm)?;
        let max = nonneg(maxneighbors, "maxneighbors")?;
        let nb: Vec<i32> = runtime::with(|rt| {
            let g = rt.graph(ci)?;
            Ok(g.neighbors(graph_rank(g, rank)?).iter().take(max).map(|&x| x as i32).collect())
        })?;
        // SAFETY: MPI requires room for maxneighbors ints.
        unsafe { write_ints(neighbors, &nb, "neighbors") }
    });
    dispatch(comm, code)
}

/// The rank this process would have in the graph (its rank, when it fits).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Graph_map(comm: MPI_Comm, nnodes: c_int, index: *const c_int, edges: *const c_int, newrank: *mut c_int) -> c_int {
    let code = guarded("MPI_Graph_map", || {
        let ci = handle::comm(comm)?;
        args::out_ptr(newrank, "newrank")?;
        // SAFETY: MPI requires nnodes ints at index and index[nnodes-1] at edges.
        let graph = unsafe { graph_args(ci, nnodes, index, edges)? };
        let me = runtime::with(|rt| Ok(rt.comm(ci)?.rank))?;
        // SAFETY: checked non-NULL.
        unsafe { *newrank = if me < graph.nnodes() { me as c_int } else { c::MPI_UNDEFINED } };
        Ok(())
    });
    dispatch(comm, code)
}

/// MPI_CART, MPI_GRAPH or MPI_UNDEFINED.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Topo_test(comm: MPI_Comm, status: *mut c_int) -> c_int {
    let code = guarded("MPI_Topo_test", || {
        let ci = handle::comm(comm)?;
        args::out_ptr(status, "status")?;
        let kind = runtime::with(|rt| {
            Ok(match rt.comm(ci)?.topo.as_deref() {
                Some(Topology::Cart(_)) => c::MPI_CART,
                Some(Topology::Graph(_)) => c::MPI_GRAPH,
                None => c::MPI_UNDEFINED,
            })
        })?;
        // SAFETY: checked non-NULL.
        unsafe { *status = kind };
        Ok(())
    });
    dispatch(comm, code)
}

include!(concat!(env!("OUT_DIR"), "/abi_gen/topo.rs"));
