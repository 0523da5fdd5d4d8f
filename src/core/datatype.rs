//! Datatypes as runs of contiguous bytes.
//!
//! A datatype is its type map reduced to what moving data needs: the runs of bytes one element
//! occupies (in packed order, adjacent runs merged), its size, and its bounds. Transfers then
//! copy whole runs, never one element at a time.
//!
//! Every constructor (contiguous, vector, indexed, struct, resized...) is a list of *blocks*:
//! `n` consecutive copies of an old type, `extent` apart, starting at a byte displacement. One
//! function, [`Datatype::from_blocks`], turns blocks into runs and bounds, so the bound rules
//! live in one place:
//!
//! * MPI-1 markers (`MPI_LB`, `MPI_UB`) set *sticky* bounds. If
//!   any block carries a sticky lower bound, the new lower bound is the least of those;
//!   otherwise it is the least natural one (where the data starts). Likewise for the upper
//!   bound. Markers carry no data and so never move the natural bounds (MPICH does the same).
//! * A struct without sticky bounds has its extent rounded up to the strictest alignment of
//!   its members, so arrays of it match arrays of the C struct.
//! * The true bounds are where the data is, whatever the markers say.
#![forbid(unsafe_code)]

use std::sync::Arc;

use crate::abi::consts as c;
use crate::core::error::{MpiError, Result};
pub use crate::transport::userbuf::Layout;

/// More runs than this in one datatype is refused: each costs 16 bytes, and a type map that
/// large is better described with fewer, longer blocks.
pub const MAX_RUNS: usize = 1 << 26;

/// The sequence of basic elements of one element of a type, in packed order: what
/// `MPI_Get_elements` counts. A tree, so repeating a type does not repeat its description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sig {
    /// Bytes of data.
    pub size: usize,
    /// Basic elements.
    pub elems: usize,
    pub node: SigNode,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigNode {
    /// One basic element of `size` bytes.
    Basic,
    /// `n` copies of a signature.
    Repeat(usize, Arc<Sig>),
    /// Signatures one after another.
    Seq(Vec<Arc<Sig>>),
}

impl Sig {
    pub fn basic(size: usize) -> Arc<Sig> {
        Arc::new(Sig { size, elems: 1, node: SigNode::Basic })
    }

    pub fn empty() -> Arc<Sig> {
        Arc::new(Sig { size: 0, elems: 0, node: SigNode::Seq(Vec::new()) })
    }

    pub fn repeat(n: usize, inner: Arc<Sig>) -> Result<Arc<Sig>> {
        if n == 1 {
            return Ok(inner);
        }
        if let SigNode::Repeat(m, ref i) = inner.node {
            let n = n.checked_mul(m).ok_or_else(too_big)?;
            return Sig::repeat(n, i.clone());
        }
        Ok(Arc::new(Sig {
            size: inner.size.checked_mul(n).ok_or_else(too_big)?,
            elems: inner.elems.checked_mul(n).ok_or_else(too_big)?,
            node: SigNode::Repeat(n, inner),
        }))
    }

    /// `parts` one after another; consecutive copies of one signature are folded into a repeat.
    fn seq(parts: Vec<Arc<Sig>>) -> Result<Arc<Sig>> {
        let mut folded: Vec<(usize, Arc<Sig>)> = Vec::new();
        for p in parts.into_iter().filter(|p| p.size > 0) {
            let (n, unit) = match &p.node {
                SigNode::Repeat(n, i) => (*n, i.clone()),
                _ => (1, p),
            };
            match folded.last_mut() {
                Some((m, u)) if Arc::ptr_eq(u, &unit) || **u == *unit => *m = m.checked_add(n).ok_or_else(too_big)?,
                _ => folded.push((n, unit)),
            }
        }
        let mut parts = folded.into_iter().map(|(n, u)| Sig::repeat(n, u)).collect::<Result<Vec<_>>>()?;
        match parts.len() {
            0 => Ok(Sig::empty()),
            1 => Ok(parts.pop().expect("one part")),
            _ => {
                let size = parts.iter().try_fold(0usize, |a, p| a.checked_add(p.size)).ok_or_else(too_big)?;
                let elems = parts.iter().try_fold(0usize, |a, p| a.checked_add(p.elems)).ok_or_else(too_big)?;
                Ok(Arc::new(Sig { size, elems, node: SigNode::Seq(parts) }))
            }
        }
    }

    /// Basic elements wholly inside the first `bytes` bytes (`bytes <= self.size`), and whether
    /// `bytes` ends on an element boundary.
    fn prefix(&self, bytes: usize) -> (usize, bool) {
        if bytes == 0 {
            return (0, true);
        }
        match &self.node {
            SigNode::Basic => (usize::from(bytes >= self.size), bytes == self.size),
            SigNode::Repeat(_, inner) if inner.size == 0 => (0, false),
            SigNode::Repeat(_, inner) => {
                let (k, rest) = (bytes / inner.size, bytes % inner.size);
                let (e, exact) = inner.prefix(rest);
                (k * inner.elems + e, exact)
            }
            SigNode::Seq(parts) => {
                let (mut left, mut acc) = (bytes, 0);
                for p in parts {
                    if left < p.size {
                        let (e, exact) = p.prefix(left);
                        return (acc + e, exact);
                    }
                    left -= p.size;
                    acc += p.elems;
                }
                (acc, left == 0)
            }
        }
    }
}

/// A bound of a type: where its data puts it, or where a marker (or a resize) pins it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// The type map has nothing that sets this bound.
    None,
    Natural(isize),
    Sticky(isize),
}

impl Bound {
    fn shift(self, by: isize) -> Result<Bound> {
        let add = |v: isize| v.checked_add(by).ok_or_else(too_big);
        Ok(match self {
            Bound::None => Bound::None,
            Bound::Natural(v) => Bound::Natural(add(v)?),
            Bound::Sticky(v) => Bound::Sticky(add(v)?),
        })
    }

    /// Combines two bounds with `pick` (min or max): sticky ones win over natural ones.
    fn merge(self, other: Bound, pick: fn(isize, isize) -> isize) -> Bound {
        match (self, other) {
            (Bound::None, b) | (b, Bound::None) => b,
            (Bound::Sticky(a), Bound::Sticky(b)) => Bound::Sticky(pick(a, b)),
            (Bound::Sticky(a), Bound::Natural(_)) | (Bound::Natural(_), Bound::Sticky(a)) => Bound::Sticky(a),
            (Bound::Natural(a), Bound::Natural(b)) => Bound::Natural(pick(a, b)),
        }
    }

    pub fn value(self) -> Option<isize> {
        match self {
            Bound::None => None,
            Bound::Natural(v) | Bound::Sticky(v) => Some(v),
        }
    }

    pub fn is_sticky(self) -> bool {
        matches!(self, Bound::Sticky(_))
    }
}

/// A datatype known to the library.
#[derive(Debug, Clone)]
pub struct Datatype {
    pub layout: Arc<Layout>,
    /// Lower and upper bound (extent = ub - lb).
    pub lb: isize,
    pub ub: isize,
    /// The same bounds with how they were set, for building types from this one.
    pub lb_bound: Bound,
    pub ub_bound: Bound,
    /// Where the data starts and ends (0, 0 without data).
    pub true_lb: isize,
    pub true_ub: isize,
    /// Strictest alignment of the basic types inside (for the padding of structs).
    pub align: usize,
    pub committed: bool,
    pub name: String,
    /// A predefined type cannot be freed.
    pub predefined: bool,
    /// The predefined type (its MPI handle value) that every element of this type is made
    /// of, when there is exactly one: what reductions operate on. `None` for mixed types.
    pub basic: Option<i32>,
    /// The basic elements, for `MPI_Get_elements`.
    pub sig: Arc<Sig>,
}

/// `n` consecutive copies of `ty` at byte displacement `disp` (a block of a constructor).
pub struct Block<'a> {
    pub disp: isize,
    pub n: usize,
    pub ty: &'a Datatype,
}

fn too_big() -> MpiError {
    MpiError::arg("The datatype is too large: its size or extent overflows")
}

/// Checked `a * b` for displacements.
fn mul(a: isize, b: isize) -> Result<isize> {
    a.checked_mul(b).ok_or_else(too_big)
}

fn count(n: i32, what: &str) -> Result<usize> {
    if n < 0 {
        return Err(MpiError::new(c::MPI_ERR_COUNT, format!("Negative {what}, value is {n}")));
    }
    Ok(n as usize)
}

/// A negative block length is `MPI_ERR_COUNT`, as in MPICH 4.
fn blocklength(n: i32) -> Result<usize> {
    if n < 0 {
        return Err(MpiError::new(c::MPI_ERR_COUNT, format!("Negative blocklength, value is {n}")));
    }
    Ok(n as usize)
}

/// Appends runs, merging one that starts where the previous one ends.
struct Runs {
    runs: Vec<(isize, usize)>,
}

impl Runs {
    fn push(&mut self, disp: isize, len: usize) -> Result<()> {
        if len == 0 {
            return Ok(());
        }
        if let Some(last) = self.runs.last_mut()
            && last.0.checked_add(last.1 as isize) == Some(disp)
        {
            last.1 += len;
            return Ok(());
        }
        if self.runs.len() >= MAX_RUNS {
            return Err(MpiError::other(format!(
                "The datatype has more than {MAX_RUNS} separate pieces of data; describe it with fewer, longer blocks"
            )));
        }
        self.runs.push((disp, len));
        Ok(())
    }

    /// `n` copies of `ty` from `disp`, `ty.extent()` apart.
    fn copies(&mut self, disp: isize, n: usize, ty: &Datatype) -> Result<()> {
        let runs = &ty.layout.runs;
        if runs.is_empty() || n == 0 {
            return Ok(());
        }
        let ext = ty.extent();
        if runs.len() == 1 && runs[0].1 as isize == ext {
            // Copies of a dense type touch end to end: one run.
            let len = runs[0].1.checked_mul(n).ok_or_else(too_big)?;
            return self.push(disp.checked_add(runs[0].0).ok_or_else(too_big)?, len);
        }
        let mut at = disp;
        for k in 0..n {
            for &(d, len) in runs {
                self.push(at.checked_add(d).ok_or_else(too_big)?, len)?;
            }
            if k + 1 < n {
                at = at.checked_add(ext).ok_or_else(too_big)?;
            }
        }
        Ok(())
    }
}

/// Alignment of a predefined type of `size` bytes (`complex` ones align like their halves).
fn natural_align(size: usize, complex: bool) -> usize {
    let a = if complex { size / 2 } else { size };
    if a.is_power_of_two() { a.min(16) } else { 1 }
}

impl Datatype {
    /// A predefined type of `size` contiguous bytes.
    pub fn contiguous(size: usize, name: &str, handle: i32) -> Datatype {
        let complex = name.contains("COMPLEX");
        // MPI_2INT and friends hold two basic elements.
        let sig = if name.starts_with("MPI_2") {
            Sig::repeat(2, Sig::basic(size / 2)).expect("small")
        } else if size == 0 {
            Sig::empty()
        } else {
            Sig::basic(size)
        };
        Datatype {
            layout: Arc::new(Layout::contiguous(size)),
            lb: 0,
            ub: size as isize,
            lb_bound: Bound::Natural(0),
            ub_bound: Bound::Natural(size as isize),
            true_lb: 0,
            true_ub: size as isize,
            align: natural_align(if name.starts_with("MPI_2") { size / 2 } else { size }, complex),
            committed: true,
            name: name.to_string(),
            predefined: true,
            basic: Some(handle),
            sig,
        }
    }

    /// A C pair type `struct { T value; int index; }` with `value` bytes of value aligned to
    /// `align`.
    pub fn pair(value: usize, align: usize, name: &str, handle: i32) -> Datatype {
        let int_at = value.next_multiple_of(4);
        let extent = (int_at + 4).next_multiple_of(align.max(4));
        let runs = if int_at == value { vec![(0, value + 4)] } else { vec![(0, value), (int_at as isize, 4)] };
        let sig = Sig::seq(vec![Sig::basic(value), Sig::basic(4)]).expect("small");
        Datatype {
            layout: Arc::new(Layout::new(value + 4, extent as isize, runs)),
            lb: 0,
            ub: extent as isize,
            lb_bound: Bound::Natural(0),
            ub_bound: Bound::Natural(extent as isize),
            true_lb: 0,
            true_ub: (int_at + 4) as isize,
            align: align.max(4),
            committed: true,
            name: name.to_string(),
            predefined: true,
            basic: Some(handle),
            sig,
        }
    }

    /// `MPI_LB` (`upper == false`) or `MPI_UB`: no data, only a sticky bound at 0.
    pub fn marker(upper: bool, name: &str) -> Datatype {
        Datatype {
            layout: Arc::new(Layout::contiguous(0)),
            lb: 0,
            ub: 0,
            lb_bound: if upper { Bound::None } else { Bound::Sticky(0) },
            ub_bound: if upper { Bound::Sticky(0) } else { Bound::None },
            true_lb: 0,
            true_ub: 0,
            align: 1,
            committed: true,
            name: name.to_string(),
            predefined: true,
            basic: None,
            sig: Sig::empty(),
        }
    }

    pub fn size(&self) -> usize {
        self.layout.size
    }

    pub fn extent(&self) -> isize {
        self.ub - self.lb
    }

    /// Where the data of `count` elements lies relative to the buffer address: `(lo, len)`,
    /// the offset of the lowest data byte and the bytes up to the highest. A scratch copy
    /// laid out like the user's buffer (what a user-defined reduction is handed) needs `len`
    /// bytes, with the buffer address at `-lo` inside them.
    pub fn span(&self, count: usize) -> Option<(isize, usize)> {
        if count == 0 || self.size() == 0 {
            return Some((0, 0));
        }
        let last = self.extent().checked_mul(isize::try_from(count - 1).ok()?)?;
        let lo = self.true_lb.min(self.true_lb.checked_add(last)?);
        let hi = self.true_ub.max(self.true_ub.checked_add(last)?);
        Some((lo, usize::try_from(hi.checked_sub(lo)?).ok()?))
    }

    /// Basic elements in one element of this type.
    pub fn elements_per_item(&self) -> usize {
        self.sig.elems
    }

    /// A new (uncommitted, unnamed) type made of `blocks`, in type-map order. `pad` asks for
    /// the struct rule: round the extent up to the strictest alignment inside. The blocks are
    /// consumed one by one, never held all at once (a vector may have 2^31 of them).
    pub fn from_blocks<'a>(blocks: impl IntoIterator<Item = Result<Block<'a>>>, pad: bool) -> Result<Datatype> {
        let mut runs = Runs { runs: Vec::new() };
        let mut lb = Bound::None;
        let mut ub = Bound::None;
        let mut size = 0usize;
        let mut align = 1usize;
        let mut sigs = Vec::new();
        let mut basic: Option<Option<i32>> = None;
        for b in blocks {
            let b = b?;
            if b.n == 0 {
                continue;
            }
            let t = b.ty;
            let last = mul(t.extent(), (b.n - 1) as isize)?.checked_add(b.disp).ok_or_else(too_big)?;
            // The first and the last copy hold the extreme bounds (the extent may be negative).
            lb = lb.merge(t.lb_bound.shift(b.disp)?.merge(t.lb_bound.shift(last)?, isize::min), isize::min);
            ub = ub.merge(t.ub_bound.shift(b.disp)?.merge(t.ub_bound.shift(last)?, isize::max), isize::max);
            if t.size() > 0 {
                align = align.max(t.align);
                size = t.size().checked_mul(b.n).and_then(|s| s.checked_add(size)).ok_or_else(too_big)?;
                sigs.push(Sig::repeat(b.n, t.sig.clone())?);
                basic = Some(match basic {
                    None => t.basic,
                    Some(prev) if prev == t.basic => prev,
                    Some(_) => None,
                });
            }
            runs.copies(b.disp, b.n, t)?;
        }
        let lb_v = lb.value().unwrap_or(0);
        let mut ub_v = ub.value().unwrap_or(lb_v);
        if pad && !lb.is_sticky() && !ub.is_sticky() {
            let ext = ub_v - lb_v;
            let rem = ext.rem_euclid(align as isize);
            if rem != 0 {
                ub_v += align as isize - rem;
                ub = Bound::Natural(ub_v);
            }
        }
        let runs = runs.runs;
        let true_lb = runs.iter().map(|r| r.0).min().unwrap_or(0);
        let true_ub = runs.iter().map(|r| r.0 + r.1 as isize).max().unwrap_or(0);
        Ok(Datatype {
            layout: Arc::new(Layout::new(size, ub_v - lb_v, runs)),
            lb: lb_v,
            ub: ub_v,
            lb_bound: lb,
            ub_bound: ub,
            true_lb,
            true_ub,
            align,
            committed: false,
            name: String::new(),
            predefined: false,
            basic: basic.flatten(),
            sig: Sig::seq(sigs)?,
        })
    }

    /// `MPI_Type_contiguous`.
    pub fn new_contiguous(n: i32, old: &Datatype) -> Result<Datatype> {
        let n = count(n, "count")?;
        Datatype::from_blocks([Ok(Block { disp: 0, n, ty: old })], false)
    }

    /// `MPI_Type_vector`: the stride counts elements of `old`.
    pub fn new_vector(n: i32, blocklen: i32, stride: i32, old: &Datatype) -> Result<Datatype> {
        Datatype::new_hvector(n, blocklen, mul(stride as isize, old.extent())?, old)
    }

    /// `MPI_Type_(create_)hvector`: the stride counts bytes.
    pub fn new_hvector(n: i32, blocklen: i32, stride: isize, old: &Datatype) -> Result<Datatype> {
        let n = count(n, "count")?;
        let bl = blocklength(blocklen)?;
        if bl == 0 || stride == mul(bl as isize, old.extent())? {
            // Blocks that touch (or hold nothing) are one block: the same type map, found
            // without visiting each block.
            let all = n.checked_mul(bl).ok_or_else(too_big)?;
            return Datatype::from_blocks([Ok(Block { disp: 0, n: all, ty: old })], false);
        }
        let blocks = (0..n).map(|i| Ok(Block { disp: mul(i as isize, stride)?, n: bl, ty: old }));
        Datatype::from_blocks(blocks, false)
    }

    /// `MPI_Type_indexed`: displacements count elements of `old`.
    pub fn new_indexed(blocklens: &[i32], disps: &[i32], old: &Datatype) -> Result<Datatype> {
        let ext = old.extent();
        let bytes = disps.iter().map(|&d| mul(d as isize, ext)).collect::<Result<Vec<_>>>()?;
        Datatype::new_hindexed(blocklens, &bytes, old)
    }

    /// `MPI_Type_(create_)hindexed`: displacements count bytes.
    pub fn new_hindexed(blocklens: &[i32], disps: &[isize], old: &Datatype) -> Result<Datatype> {
        let blocks = blocklens.iter().zip(disps).map(|(&bl, &disp)| Ok(Block { disp, n: blocklength(bl)?, ty: old }));
        Datatype::from_blocks(blocks, false)
    }

    /// `MPI_Type_create_indexed_block` (element displacements) and `_hindexed_block` (bytes).
    pub fn new_hindexed_block(blocklen: i32, disps: &[isize], old: &Datatype) -> Result<Datatype> {
        let bl = blocklength(blocklen)?;
        Datatype::from_blocks(disps.iter().map(|&disp| Ok(Block { disp, n: bl, ty: old })), false)
    }

    /// `MPI_Type_(create_)struct`.
    pub fn new_struct(blocklens: &[i32], disps: &[isize], types: &[&Datatype]) -> Result<Datatype> {
        let blocks = blocklens.iter().zip(disps).zip(types).map(|((&bl, &disp), ty)| Ok(Block { disp, n: blocklength(bl)?, ty }));
        Datatype::from_blocks(blocks, true)
    }

    /// `MPI_Type_create_resized`: the same data with new bounds. As in MPICH, they are not
    /// sticky: a struct holding a resized type still reaches as far as its other members.
    pub fn new_resized(old: &Datatype, lb: isize, extent: isize) -> Result<Datatype> {
        let ub = lb.checked_add(extent).ok_or_else(too_big)?;
        Ok(Datatype {
            layout: Arc::new(Layout::new(old.size(), extent, old.layout.runs.clone())),
            lb,
            ub,
            lb_bound: Bound::Natural(lb),
            ub_bound: Bound::Natural(ub),
            committed: false,
            name: String::new(),
            predefined: false,
            ..old.clone()
        })
    }

    /// `MPI_Type_dup`: the same type, committed if the old one is, without its name.
    pub fn new_dup(old: &Datatype) -> Datatype {
        Datatype { name: String::new(), predefined: false, ..old.clone() }
    }

    /// `MPI_Get_elements`: basic elements in `bytes` of data of this type; `None` when the
    /// bytes end inside a basic element.
    pub fn elements_in(&self, bytes: usize) -> Option<usize> {
        let size = self.size();
        if size == 0 {
            return Some(0);
        }
        let (whole, rest) = (bytes / size, bytes % size);
        let (e, exact) = self.sig.prefix(rest);
        exact.then(|| whole.checked_mul(self.sig.elems)?.checked_add(e)).flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int() -> Datatype {
        Datatype::contiguous(4, "MPI_INT", c::MPI_INT)
    }
    fn double() -> Datatype {
        Datatype::contiguous(8, "MPI_DOUBLE", c::MPI_DOUBLE)
    }
    fn char_() -> Datatype {
        Datatype::contiguous(1, "MPI_CHAR", c::MPI_CHAR)
    }
    fn lb_marker() -> Datatype {
        Datatype::marker(false, "MPI_LB")
    }
    fn ub_marker() -> Datatype {
        Datatype::marker(true, "MPI_UB")
    }

    fn bounds(t: &Datatype) -> (isize, isize, usize) {
        (t.lb, t.extent(), t.size())
    }

    #[test]
    fn pair_layouts_match_c_structs() {
        let di = Datatype::pair(8, 8, "MPI_DOUBLE_INT", 0);
        assert_eq!((di.size(), di.extent()), (12, 16));
        let si = Datatype::pair(2, 2, "MPI_SHORT_INT", 0);
        assert_eq!((si.size(), si.extent()), (6, 8));
        assert_eq!(si.layout.runs, vec![(0, 2), (4, 4)]);
        let ldi = Datatype::pair(16, 16, "MPI_LONG_DOUBLE_INT", 0);
        assert_eq!((ldi.size(), ldi.extent()), (20, 32));
        let fi = Datatype::pair(4, 4, "MPI_FLOAT_INT", 0);
        assert_eq!((fi.size(), fi.extent()), (8, 8));
        assert_eq!(fi.elements_in(16), Some(4));
    }

    #[test]
    fn contiguous_merges_into_one_run() {
        let t = Datatype::new_contiguous(5, &int()).unwrap();
        assert_eq!(t.layout.runs, vec![(0, 20)]);
        assert_eq!(bounds(&t), (0, 20, 20));
        assert_eq!(t.basic, Some(c::MPI_INT));
        assert!(!t.committed);
        let empty = Datatype::new_contiguous(0, &int()).unwrap();
        assert_eq!(bounds(&empty), (0, 0, 0));
        assert!(empty.layout.runs.is_empty());
    }

    #[test]
    fn vector_bounds_end_at_the_last_block() {
        // Two ints out of every three, three times: the extent stops after the last block.
        let t = Datatype::new_vector(3, 2, 3, &int()).unwrap();
        assert_eq!(t.layout.runs, vec![(0, 8), (12, 8), (24, 8)]);
        assert_eq!(bounds(&t), (0, 32, 24));
        // A stride equal to the block length is contiguous.
        let d = Datatype::new_vector(4, 2, 2, &int()).unwrap();
        assert_eq!(d.layout.runs, vec![(0, 32)]);
        assert!(d.layout.is_dense());
    }

    #[test]
    fn vector_of_vectors() {
        // A 2x2 block of a 4x4 int matrix, then two such blocks 40 ints apart.
        let row = Datatype::new_vector(2, 2, 4, &int()).unwrap();
        assert_eq!(row.layout.runs, vec![(0, 8), (16, 8)]);
        assert_eq!(row.extent(), 24);
        let two = Datatype::new_hvector(2, 1, 160, &row).unwrap();
        assert_eq!(two.layout.runs, vec![(0, 8), (16, 8), (160, 8), (176, 8)]);
        assert_eq!(bounds(&two), (0, 184, 32));
        assert_eq!(two.elements_in(32), Some(8));
        // Blocks of two rows each: copies are `extent` (24 bytes) apart.
        let v = Datatype::new_vector(2, 2, 10, &row).unwrap();
        assert_eq!(v.layout.runs, vec![(0, 8), (16, 16), (40, 8), (240, 8), (256, 16), (280, 8)]);
        assert_eq!(bounds(&v), (0, 288, 64));
    }

    #[test]
    fn negative_strides_and_displacements() {
        let t = Datatype::new_vector(3, 1, -2, &double()).unwrap();
        assert_eq!(t.layout.runs, vec![(0, 8), (-16, 8), (-32, 8)]);
        assert_eq!(bounds(&t), (-32, 40, 24));
        assert_eq!((t.true_lb, t.true_ub), (-32, 8));
        let h = Datatype::new_hindexed(&[1, 2], &[-8, 16], &int()).unwrap();
        assert_eq!(h.layout.runs, vec![(-8, 4), (16, 8)]);
        assert_eq!(bounds(&h), (-8, 32, 12));
    }

    #[test]
    fn indexed_keeps_type_map_order() {
        let t = Datatype::new_indexed(&[1, 3, 0, 2], &[4, 0, 9, 5], &int()).unwrap();
        // Block 1 (ints 0..3) ends where block 3 (ints 5..7) does not start; block 0 (int 4)
        // is first in packed order although it lies after block 1.
        assert_eq!(t.layout.runs, vec![(16, 4), (0, 12), (20, 8)]);
        assert_eq!(bounds(&t), (0, 28, 24));
        assert!(Datatype::new_indexed(&[-1], &[0], &int()).is_err_and(|e| e.class == c::MPI_ERR_COUNT));
    }

    #[test]
    fn struct_with_padding() {
        // struct { char c; double d; } and struct { double d; char c; }: extent 16 both.
        let a = Datatype::new_struct(&[1, 1], &[0, 8], &[&char_(), &double()]).unwrap();
        assert_eq!(a.layout.runs, vec![(0, 1), (8, 8)]);
        assert_eq!(bounds(&a), (0, 16, 9));
        assert_eq!(a.basic, None);
        let b = Datatype::new_struct(&[1, 1], &[0, 8], &[&double(), &char_()]).unwrap();
        assert_eq!(b.layout.runs, vec![(0, 9)]);
        assert_eq!(bounds(&b), (0, 16, 9));
        assert_eq!((b.true_lb, b.true_ub), (0, 9));
        // Arrays of it step by the padded extent.
        let arr = Datatype::new_contiguous(2, &b).unwrap();
        assert_eq!(arr.layout.runs, vec![(0, 9), (16, 9)]);
        assert_eq!(arr.elements_in(18), Some(4));
        assert_eq!(arr.elements_in(10), None);
        assert_eq!(arr.elements_in(8), Some(1));
        assert_eq!(arr.elements_in(9), Some(2));
        // A struct of one basic type is homogeneous.
        let ii = Datatype::new_struct(&[1, 2], &[0, 8], &[&int(), &int()]).unwrap();
        assert_eq!(ii.basic, Some(c::MPI_INT));
        assert_eq!(ii.extent(), 16);
    }

    #[test]
    fn markers_pin_the_bounds() {
        // MPI-1's way of setting an extent: { (LB, -4), (int, 0), (UB, 20) }.
        let t = Datatype::new_struct(&[1, 1, 1], &[-4, 0, 20], &[&lb_marker(), &int(), &ub_marker()]).unwrap();
        assert_eq!(bounds(&t), (-4, 24, 4));
        assert_eq!((t.true_lb, t.true_ub), (0, 4));
        assert!(t.lb_bound.is_sticky() && t.ub_bound.is_sticky());
        // No padding: the markers are the bounds.
        let d = Datatype::new_struct(&[1, 1], &[0, 9], &[&double(), &ub_marker()]).unwrap();
        assert_eq!(bounds(&d), (0, 9, 8));
        // Sticky bounds survive composition and win over natural ones.
        let v = Datatype::new_contiguous(3, &t).unwrap();
        assert_eq!(v.layout.runs, vec![(0, 4), (24, 4), (48, 4)]);
        assert_eq!(bounds(&v), (-4, 72, 12));
        let s = Datatype::new_struct(&[1, 1], &[0, 100], &[&t, &double()]).unwrap();
        assert_eq!((s.lb, s.ub), (-4, 20));
        assert_eq!(s.lb_bound, Bound::Sticky(-4));
        assert_eq!(s.ub_bound, Bound::Sticky(20));
        assert_eq!((s.true_lb, s.true_ub), (0, 108));
        // An LB marker alone: the upper bound still comes from the data.
        let l = Datatype::new_struct(&[1, 1], &[-8, 0], &[&lb_marker(), &int()]).unwrap();
        assert_eq!(bounds(&l), (-8, 12, 4));
    }

    #[test]
    fn resized_types() {
        let r = Datatype::new_resized(&int(), -4, 16).unwrap();
        assert_eq!(bounds(&r), (-4, 16, 4));
        assert_eq!(r.layout.runs, vec![(0, 4)]);
        assert_eq!(r.layout.extent, 16);
        let v = Datatype::new_contiguous(3, &r).unwrap();
        assert_eq!(v.layout.runs, vec![(0, 4), (16, 4), (32, 4)]);
        assert_eq!(bounds(&v), (-4, 48, 12));
        assert_eq!((v.true_lb, v.true_ub), (0, 36));
        assert_eq!(v.basic, Some(c::MPI_INT));
        // Not sticky (MPICH's rule): a member further out still moves the upper bound.
        let s = Datatype::new_struct(&[1, 1], &[0, 100], &[&r, &double()]).unwrap();
        assert_eq!(bounds(&s), (-4, 112, 12));
        // Shrinking a vector's extent to one element interleaves copies (a matrix column type).
        let col = Datatype::new_vector(4, 1, 4, &double()).unwrap();
        let col1 = Datatype::new_resized(&col, 0, 8).unwrap();
        let cols = Datatype::new_contiguous(2, &col1).unwrap();
        assert_eq!(cols.layout.runs, vec![(0, 8), (32, 8), (64, 8), (96, 8), (8, 8), (40, 8), (72, 8), (104, 8)]);
        assert_eq!(bounds(&cols), (0, 16, 64));
    }

    #[test]
    fn element_counts() {
        let mixed = Datatype::new_struct(&[2, 1], &[0, 8], &[&int(), &double()]).unwrap();
        assert_eq!(mixed.elements_per_item(), 3);
        assert_eq!(mixed.elements_in(16 * 3), Some(9));
        assert_eq!(mixed.elements_in(16 + 4), Some(4));
        assert_eq!(mixed.elements_in(16 + 8), Some(5));
        assert_eq!(mixed.elements_in(16 + 12), None);
        let v = Datatype::new_vector(1000, 3, 5, &mixed).unwrap();
        assert_eq!(v.elements_in(v.size()), Some(9000));
        assert!(matches!(v.sig.node, SigNode::Repeat(3000, _)));
        let two = Datatype::contiguous(8, "MPI_2INT", c::MPI_2INT);
        assert_eq!(two.elements_in(24), Some(6));
        assert_eq!(Datatype::new_contiguous(0, &int()).unwrap().elements_in(0), Some(0));
    }

    #[test]
    fn overflow_is_an_error_not_a_panic() {
        let big = Datatype::new_contiguous(i32::MAX, &double()).unwrap();
        assert!(Datatype::new_contiguous(i32::MAX, &big).is_err_and(|e| e.class == c::MPI_ERR_ARG));
        assert!(Datatype::new_hvector(3, 1, isize::MAX / 2, &int()).is_err());
        assert!(Datatype::new_contiguous(-1, &int()).is_err_and(|e| e.class == c::MPI_ERR_COUNT));
    }

    #[test]
    fn spans_for_scratch_copies() {
        let v = Datatype::new_vector(3, 1, -2, &double()).unwrap();
        assert_eq!(v.span(1), Some((-32, 40)));
        assert_eq!(v.span(2), Some((-32, 80)));
        let r = Datatype::new_resized(&int(), -4, 16).unwrap();
        assert_eq!(r.span(3), Some((0, 36)));
        assert_eq!(r.span(0), Some((0, 0)));
    }

    #[test]
    fn huge_vectors_without_huge_loops() {
        // Touching blocks: one run, found at once.
        let t = Datatype::new_vector(i32::MAX, 2, 2, &Datatype::contiguous(1, "MPI_BYTE", c::MPI_BYTE)).unwrap();
        assert_eq!(t.layout.runs, vec![(0, 2 * i32::MAX as usize)]);
        let z = Datatype::new_vector(i32::MAX, 0, 7, &int()).unwrap();
        assert_eq!(bounds(&z), (0, 0, 0));
    }
}
