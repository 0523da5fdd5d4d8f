//! Process topologies (MPI-1.2 chapter 6): Cartesian grids and graphs as pure arithmetic on
//! ranks, and `MPI_Dims_create`. Ranks in a Cartesian grid are numbered row-major (the last
//! dimension varies fastest), as the standard requires.
#![forbid(unsafe_code)]

use crate::abi::consts as c;
use crate::core::error::{MpiError, Result};

/// A communicator's topology.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Topology {
    Cart(Cart),
    Graph(Graph),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cart {
    pub dims: Vec<u32>,
    pub periods: Vec<bool>,
}

impl Cart {
    /// Checks the arguments of `MPI_Cart_create`/`MPI_Cart_map` against a communicator of
    /// `comm_size` processes.
    pub fn new(dims: &[i32], periods: &[bool], comm_size: u32) -> Result<Cart> {
        Cart::new_or(dims, periods, comm_size, c::MPI_ERR_ARG)
    }

    /// [`Cart::new`], with `too_big` the class for a grid larger than the communicator:
    /// MPICH gives MPI_ERR_ARG from `MPI_Cart_create` but MPI_ERR_DIMS from `MPI_Cart_map`.
    pub fn new_or(dims: &[i32], periods: &[bool], comm_size: u32, too_big: i32) -> Result<Cart> {
        let mut total: u64 = 1;
        for (i, &d) in dims.iter().enumerate() {
            if d <= 0 {
                return Err(MpiError::new(c::MPI_ERR_DIMS, format!("Invalid dimension argument: dims[{i}] is {d} but must be positive")));
            }
            total = total.saturating_mul(d as u64);
        }
        if total > comm_size as u64 {
            return Err(MpiError::new(
                too_big,
                format!("Size of the communicator ({comm_size}) is smaller than the size of the Cartesian topology ({total})"),
            ));
        }
        Ok(Cart { dims: dims.iter().map(|&d| d as u32).collect(), periods: periods.to_vec() })
    }

    pub fn ndims(&self) -> usize {
        self.dims.len()
    }

    /// Processes in the grid.
    pub fn size(&self) -> u32 {
        self.dims.iter().product()
    }

    pub fn coords(&self, rank: u32) -> Vec<u32> {
        let mut r = rank;
        let mut out = vec![0; self.dims.len()];
        for i in (0..self.dims.len()).rev() {
            out[i] = r % self.dims[i];
            r /= self.dims[i];
        }
        out
    }

    /// The rank at `coords`; periodic dimensions wrap, others must be in range.
    pub fn rank(&self, coords: &[i32]) -> Result<u32> {
        let mut r: u32 = 0;
        for (i, (&x, &d)) in coords.iter().zip(&self.dims).enumerate() {
            let x = if self.periods[i] {
                x.rem_euclid(d as i32) as u32
            } else if x < 0 || x as u32 >= d {
                return Err(MpiError::arg(format!(
                    "Cartesian coordinate {x} in dimension {i} is out of range: the dimension has {d} processes and is not periodic"
                )));
            } else {
                x as u32
            };
            r = r * d + x;
        }
        Ok(r)
    }

    /// `(source, dest)` of a shift by `disp` along `direction`, `MPI_PROC_NULL` off the edge
    /// of a non-periodic dimension.
    pub fn shift(&self, rank: u32, direction: i32, disp: i32) -> Result<(i32, i32)> {
        if direction < 0 || direction as usize >= self.ndims() {
            return Err(MpiError::arg(format!(
                "Invalid direction {direction}: the Cartesian topology has {} dimensions",
                self.ndims()
            )));
        }
        let dir = direction as usize;
        let coords: Vec<i32> = self.coords(rank).iter().map(|&x| x as i32).collect();
        let neighbour = |delta: i64| -> i32 {
            let d = self.dims[dir] as i64;
            let x = coords[dir] as i64 + delta;
            if !self.periods[dir] && !(0..d).contains(&x) {
                return c::MPI_PROC_NULL;
            }
            let mut at = coords.clone();
            at[dir] = x.rem_euclid(d) as i32;
            self.rank(&at).map_or(c::MPI_PROC_NULL, |r| r as i32)
        };
        Ok((neighbour(-(disp as i64)), neighbour(disp as i64)))
    }

    /// What `MPI_Cart_sub` gives the process at `rank`: `(color, key)` for the split (the
    /// position among the dropped dimensions, and among the kept ones) and the sub-grid.
    pub fn sub(&self, rank: u32, remain: &[bool]) -> (u32, u32, Cart) {
        let coords = self.coords(rank);
        let (mut color, mut key) = (0u32, 0u32);
        let mut dims = Vec::new();
        let mut periods = Vec::new();
        for i in 0..self.ndims() {
            if remain[i] {
                key = key * self.dims[i] + coords[i];
                dims.push(self.dims[i]);
                periods.push(self.periods[i]);
            } else {
                color = color * self.dims[i] + coords[i];
            }
        }
        (color, key, Cart { dims, periods })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graph {
    /// `index[i]` is the number of edges of nodes `0..=i` (MPI's cumulative degrees).
    pub index: Vec<u32>,
    pub edges: Vec<u32>,
}

impl Graph {
    /// Checks the arguments of `MPI_Graph_create`/`MPI_Graph_map`.
    pub fn new(index: &[i32], edges: &[i32], comm_size: u32) -> Result<Graph> {
        let nnodes = index.len();
        if nnodes as u64 > comm_size as u64 {
            return Err(MpiError::arg(format!(
                "Size of the communicator ({comm_size}) is smaller than the size of the graph ({nnodes})"
            )));
        }
        let mut prev = 0;
        for (i, &x) in index.iter().enumerate() {
            if x < prev {
                return Err(MpiError::arg(format!(
                    "Invalid graph index: index[{i}] is {x}, less than the entry before it ({prev})"
                )));
            }
            prev = x;
        }
        if edges.len() != prev as usize {
            return Err(MpiError::intern("graph edge array length does not match the index"));
        }
        for (i, &e) in edges.iter().enumerate() {
            if e < 0 || e as usize >= nnodes {
                return Err(MpiError::arg(format!(
                    "Invalid graph edge: edges[{i}] is {e} but must be nonnegative and less than {nnodes}"
                )));
            }
        }
        Ok(Graph { index: index.iter().map(|&x| x as u32).collect(), edges: edges.iter().map(|&e| e as u32).collect() })
    }

    pub fn nnodes(&self) -> u32 {
        self.index.len() as u32
    }

    pub fn neighbors(&self, rank: u32) -> &[u32] {
        let r = rank as usize;
        let start = if r == 0 { 0 } else { self.index[r - 1] as usize };
        &self.edges[start..self.index[r] as usize]
    }
}

/// `MPI_Dims_create`: fills the zero entries of `dims` so that the product of all entries is
/// `nnodes`, the filled ones as close to each other as possible and in non-increasing order.
pub fn dims_create(nnodes: i32, dims: &mut [i32]) -> Result<()> {
    if nnodes < 0 {
        return Err(MpiError::arg(format!("Invalid value for nnodes, must be non-negative but is {nnodes}")));
    }
    let mut fixed: i64 = 1;
    let mut free = 0;
    for (i, &d) in dims.iter().enumerate() {
        if d < 0 {
            return Err(MpiError::new(c::MPI_ERR_DIMS, format!("Invalid dimension argument: dims[{i}] is {d} but must be nonnegative")));
        }
        if d > 0 {
            fixed *= d as i64;
        } else {
            free += 1;
        }
    }
    let n = nnodes as i64;
    if free == 0 {
        if fixed != n {
            return Err(MpiError::new(
                c::MPI_ERR_DIMS,
                format!("Product of the specified dimensions ({fixed}) is not equal to the number of nodes ({nnodes})"),
            ));
        }
        return Ok(());
    }
    if n % fixed != 0 {
        return Err(MpiError::new(
            c::MPI_ERR_DIMS,
            format!("Number of nodes ({nnodes}) is not divisible by the product of the specified dimensions ({fixed})"),
        ));
    }
    let mut split = balanced(n / fixed, free);
    split.reverse();
    for d in dims.iter_mut().filter(|d| **d == 0) {
        *d = split.pop().expect("one value per free dimension") as i32;
    }
    Ok(())
}

/// `k` factors of `m` in non-increasing order with the smallest gap between the largest and
/// the smallest (an exhaustive search over divisors, pruned by that gap).
fn balanced(m: i64, k: usize) -> Vec<i64> {
    fn search(m: i64, k: usize, cap: i64, acc: &mut Vec<i64>, best: &mut Option<(i64, Vec<i64>)>) {
        if k == 1 {
            if m <= cap {
                acc.push(m);
                let gap = acc[0] - m;
                if best.as_ref().is_none_or(|(g, _)| gap < *g) {
                    *best = Some((gap, acc.clone()));
                }
                acc.pop();
            }
            return;
        }
        // Factors are taken largest first, so this one is at least the k-th root of m.
        let mut d = cap.min(m);
        while d >= 1 && pow_at_least(d, k, m) {
            // Every later factor is at most d, so the gap is at least lead - d.
            if let (Some(&lead), Some((g, _))) = (acc.first(), best.as_ref())
                && lead - d >= *g
            {
                return;
            }
            if m % d == 0 {
                acc.push(d);
                search(m / d, k - 1, d, acc, best);
                acc.pop();
            }
            d -= 1;
        }
    }
    /// d^k >= m, without overflow.
    fn pow_at_least(d: i64, k: usize, m: i64) -> bool {
        let mut p: i64 = 1;
        for _ in 0..k {
            p = p.saturating_mul(d);
            if p >= m {
                return true;
            }
        }
        p >= m
    }
    if m <= 1 {
        return vec![1; k];
    }
    let mut best = None;
    search(m, k, m, &mut Vec::new(), &mut best);
    best.map(|(_, v)| v).expect("m itself followed by ones is always a split")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dims(n: i32, mut d: Vec<i32>) -> Vec<i32> {
        dims_create(n, &mut d).unwrap();
        d
    }

    #[test]
    fn dims_are_balanced_and_non_increasing() {
        assert_eq!(dims(4, vec![0, 0]), vec![2, 2]);
        assert_eq!(dims(6, vec![0, 0]), vec![3, 2]);
        assert_eq!(dims(12, vec![0, 0]), vec![4, 3]);
        assert_eq!(dims(7, vec![0, 0]), vec![7, 1]);
        assert_eq!(dims(8, vec![0, 0, 0]), vec![2, 2, 2]);
        assert_eq!(dims(24, vec![0, 0, 0]), vec![4, 3, 2]);
        assert_eq!(dims(36, vec![0, 0, 0]), vec![4, 3, 3]);
        assert_eq!(dims(16, vec![0, 0, 0, 0]), vec![2, 2, 2, 2]);
        assert_eq!(dims(1, vec![0, 0]), vec![1, 1]);
        assert_eq!(dims(12, vec![0, 3, 0]), vec![2, 3, 2]);
        assert_eq!(dims(6, vec![3, 2]), vec![3, 2]);
        assert_eq!(dims(1 << 20, vec![0, 0, 0, 0, 0]), vec![16, 16, 16, 16, 16]);
        assert_eq!(dims(97 * 2, vec![0, 0]), vec![97, 2]);
    }

    #[test]
    fn dims_errors() {
        assert_eq!(dims_create(10, &mut [0, 3]).unwrap_err().class, c::MPI_ERR_DIMS);
        assert_eq!(dims_create(6, &mut [2, 2]).unwrap_err().class, c::MPI_ERR_DIMS);
        assert_eq!(dims_create(6, &mut [-1, 0]).unwrap_err().class, c::MPI_ERR_DIMS);
        assert_eq!(dims_create(-1, &mut [0]).unwrap_err().class, c::MPI_ERR_ARG);
    }

    #[test]
    fn cart_coords_and_ranks_are_row_major() {
        let g = Cart::new(&[2, 3], &[false, true], 6).unwrap();
        assert_eq!(g.coords(4), vec![1, 1]);
        assert_eq!(g.rank(&[1, 1]).unwrap(), 4);
        assert_eq!(g.rank(&[1, -1]).unwrap(), 5);
        assert_eq!(g.rank(&[2, 0]).unwrap_err().class, c::MPI_ERR_ARG);
        for r in 0..6 {
            let x: Vec<i32> = g.coords(r).iter().map(|&v| v as i32).collect();
            assert_eq!(g.rank(&x).unwrap(), r);
        }
    }

    #[test]
    fn cart_shift_wraps_only_periodic_dimensions() {
        let g = Cart::new(&[2, 3], &[false, true], 8).unwrap();
        assert_eq!(g.shift(0, 0, 1).unwrap(), (c::MPI_PROC_NULL, 3));
        assert_eq!(g.shift(3, 0, 1).unwrap(), (0, c::MPI_PROC_NULL));
        assert_eq!(g.shift(0, 1, 1).unwrap(), (2, 1));
        assert_eq!(g.shift(0, 1, -4).unwrap(), (1, 2));
        assert_eq!(g.shift(0, 2, 1).unwrap_err().class, c::MPI_ERR_ARG);
    }

    #[test]
    fn cart_sub_colors_by_dropped_coordinates() {
        let g = Cart::new(&[2, 3, 2], &[true, false, true], 12).unwrap();
        // rank 7 = (1, 0, 1)
        let (color, key, sub) = g.sub(7, &[false, true, false]);
        assert_eq!((color, key), (3, 0));
        assert_eq!(sub, Cart { dims: vec![3], periods: vec![false] });
        let (color, key, _) = g.sub(7, &[true, false, true]);
        assert_eq!((color, key), (0, 3));
    }

    #[test]
    fn cart_create_checks_dims_and_size() {
        assert_eq!(Cart::new(&[2, 0], &[false, false], 4).unwrap_err().class, c::MPI_ERR_DIMS);
        assert_eq!(Cart::new(&[3, 2], &[false, false], 4).unwrap_err().class, c::MPI_ERR_ARG);
        assert_eq!(Cart::new_or(&[3, 2], &[false, false], 4, c::MPI_ERR_DIMS).unwrap_err().class, c::MPI_ERR_DIMS);
        assert_eq!(Cart::new(&[], &[], 4).unwrap().size(), 1);
    }

    #[test]
    fn graph_neighbours_come_from_cumulative_degrees() {
        // 0-1, 0-3, 1-2 as an undirected graph of 4 nodes.
        let g = Graph::new(&[2, 4, 5, 6], &[1, 3, 0, 2, 1, 0], 4).unwrap();
        assert_eq!(g.neighbors(0), &[1, 3]);
        assert_eq!(g.neighbors(1), &[0, 2]);
        assert_eq!(g.neighbors(3), &[0]);
        assert_eq!(Graph::new(&[2, 1], &[1, 0], 4).unwrap_err().class, c::MPI_ERR_ARG);
        assert_eq!(Graph::new(&[1, 2], &[1, 5], 4).unwrap_err().class, c::MPI_ERR_ARG);
        assert_eq!(Graph::new(&[0, 0, 0], &[], 2).unwrap_err().class, c::MPI_ERR_ARG);
    }
}
