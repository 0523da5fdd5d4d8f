//! Views of user memory: the other half of the C boundary.
//!
//! A [`UserBuf`] is a base address, an element count and a [`Layout`] (the runs of bytes one
//! element occupies). It is the only code that reads or writes the application's buffers;
//! everything above it speaks of *packed* byte offsets (the bytes of the message in order),
//! so matching, protocols and collectives never see a pointer.
//!
//! A `UserBuf` is built by `abi` through the unsafe [`UserBuf::new`], whose contract is the MPI
//! rule that the buffer stays valid, and is not touched by the application, until the
//! operation completes.

use std::io::IoSliceMut;
use std::sync::Arc;

/// The memory map of one element of a datatype, as runs of contiguous bytes in packed order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Data bytes of one element (sum of the run lengths).
    pub size: usize,
    /// Distance from one element to the next.
    pub extent: isize,
    /// (displacement from the element's start, length) in packed order; adjacent runs merged.
    pub runs: Vec<(isize, usize)>,
    /// `(length, step)` when every run has the same length and each starts `step` bytes after
    /// the one before (a vector type): copies then walk the runs arithmetically.
    pub regular: Option<(usize, isize)>,
}

impl Layout {
    pub fn new(size: usize, extent: isize, runs: Vec<(isize, usize)>) -> Layout {
        let regular = match runs.as_slice() {
            [] => None,
            [(_, n)] => Some((*n, 0)),
            [(d0, n), (d1, _), ..] => {
                let step = d1 - d0;
                runs.windows(2).all(|w| w[1].1 == *n && w[1].0 - w[0].0 == step).then_some((*n, step))
            }
        };
        Layout { size, extent, runs, regular }
    }

    /// `size` contiguous bytes.
    pub fn contiguous(size: usize) -> Layout {
        Layout::new(size, size as isize, if size == 0 { Vec::new() } else { vec![(0, size)] })
    }

    /// True when `count` elements form one run starting at the base address.
    pub fn is_dense(&self) -> bool {
        self.runs.is_empty() || (self.runs.len() == 1 && self.runs[0].0 == 0 && self.runs[0].1 as isize == self.extent)
    }
}

/// A user buffer: base address, count and layout, or a range of its packed bytes.
#[derive(Debug, Clone)]
pub struct UserBuf {
    base: usize,
    count: usize,
    layout: Arc<Layout>,
    /// Packed offset where this view starts (non-zero for a [`UserBuf::range`]).
    skip: usize,
    /// Packed bytes in this view.
    len: usize,
}

impl UserBuf {
    /// An empty buffer (count 0), which never touches memory.
    pub fn empty() -> UserBuf {
        // Shared: collectives make empty views on every call.
        static EMPTY: once_cell::sync::Lazy<Arc<Layout>> = once_cell::sync::Lazy::new(|| Arc::new(Layout::contiguous(0)));
        UserBuf { base: 0, count: 0, layout: EMPTY.clone(), skip: 0, len: 0 }
    }

    /// # Safety
    /// For every element `i < count` and run `(d, n)` of `layout`, the bytes
    /// `base + i * extent + d .. + n` must be valid for reads (and for writes when the buffer
    /// is written through), not otherwise accessed by this process while an operation that
    /// uses the buffer is pending, and stay so until that operation completes (MPI's buffer
    /// rule for the call that handed it over).
    pub unsafe fn new(base: *const u8, count: usize, layout: Arc<Layout>) -> UserBuf {
        let len = count * layout.size;
        UserBuf { base: base as usize, count, layout, skip: 0, len }
    }

    /// The view of packed bytes `offset .. offset + len` of this buffer (cut to fit), for
    /// moving part of a message (a collective's block or segment) without copying.
    pub fn range(&self, offset: usize, len: usize) -> UserBuf {
        let offset = offset.min(self.len);
        UserBuf { skip: self.skip + offset, len: len.min(self.len - offset), ..self.clone() }
    }

    /// Packed bytes in the buffer.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many runs of memory hold the buffer, at most (runs of neighbouring elements that
    /// touch are counted apart).
    pub fn run_count(&self) -> usize {
        if self.contiguous_span().is_some() { 1 } else { self.count.saturating_mul(self.layout.runs.len()) }
    }

    /// Address of packed byte 0 of the whole buffer when all of it is one run: one run per
    /// element that fills its extent, wherever in the element the run starts (a resized or
    /// shifted type).
    fn dense_start(&self) -> Option<usize> {
        let runs = &self.layout.runs;
        if runs.is_empty() || (runs.len() == 1 && (self.count == 1 || runs[0].1 as isize == self.layout.extent)) {
            let first = self.layout.runs.first().map_or(0, |r| r.0);
            return Some(self.base.wrapping_add_signed(first));
        }
        None
    }

    /// Address and length when the whole view is one run.
    pub fn contiguous_span(&self) -> Option<(usize, usize)> {
        if self.is_empty() {
            return Some((self.base, 0));
        }
        self.dense_start().map(|start| (start + self.skip, self.len))
    }

    /// Calls `f(addr, len)` for each run of user memory holding packed bytes
    /// `offset .. offset + len`, in order.
    fn for_each_run(&self, offset: usize, len: usize, mut f: impl FnMut(usize, usize)) {
        let end = (offset + len).min(self.len());
        if offset >= end {
            return;
        }
        let (mut offset, end) = (offset + self.skip, end + self.skip);
        if let Some(start) = self.dense_start() {
            f(start + offset, end - offset);
            return;
        }
        let size = self.layout.size;
        let mut elem = offset / size;
        let mut within = offset % size;
        while offset < end {
            let elem_base = self.base.wrapping_add_signed(self.layout.extent * elem as isize);
            let mut run_start = 0usize;
            for &(disp, n) in &self.layout.runs {
                if within < run_start + n && offset < end {
                    let skip = within - run_start;
                    let take = (n - skip).min(end - offset);
                    f(elem_base.wrapping_add_signed(disp) + skip, take);
                    offset += take;
                    within += take;
                }
                run_start += n;
            }
            elem += 1;
            within = 0;
        }
    }

    /// Copies packed bytes `offset .. offset + len` (cut to the view) between the buffer and
    /// `packed`: into the buffer when `UNPACK`, out of it otherwise. Vector-like layouts take
    /// a typed loop over runs found by arithmetic; others go run by run.
    ///
    /// # Safety
    /// `packed` must be valid for `len` bytes of reads (`UNPACK`) or writes (otherwise) and
    /// must not overlap the buffer.
    unsafe fn copy<const UNPACK: bool>(&self, offset: usize, len: usize, packed: *mut u8) {
        let end = (offset + len).min(self.len());
        if offset >= end {
            return;
        }
        let (mut pos, end) = (offset + self.skip, end + self.skip);
        let mut out = packed;
        if let Some(start) = self.dense_start() {
            // SAFETY: one run of the buffer vouched for by `new`; `packed` per our contract.
            unsafe { move_bytes::<UNPACK>(start + pos, out, end - pos) };
            return;
        }
        let layout = &*self.layout;
        let Some((blk, mut step)) = layout.regular.filter(|r| r.0 > 0) else {
            let mut done = 0usize;
            self.for_each_run(offset, end - pos, |addr, n| {
                // SAFETY: as above, run by run.
                unsafe { move_bytes::<UNPACK>(addr, packed.add(done), n) };
                done += n;
            });
            return;
        };
        let first = layout.runs[0].0;
        let mut per = layout.runs.len();
        if per == 1 {
            // One run per element: the whole buffer is one sequence of runs `extent` apart.
            step = layout.extent;
            per = self.count;
        }
        while pos < end {
            let (g, w) = (pos / blk, pos % blk);
            let (e, j) = (g / per, g % per);
            let addr = self.base.wrapping_add_signed(layout.extent * e as isize + first + step * j as isize);
            if w != 0 || end - pos < blk {
                let take = (blk - w).min(end - pos);
                // SAFETY: part of one run of the buffer; `packed` per our contract.
                unsafe { move_bytes::<UNPACK>(addr + w, out, take) };
                pos += take;
                // SAFETY: still inside the `len` bytes of `packed`.
                out = unsafe { out.add(take) };
            } else {
                let k = (per - j).min((end - pos) / blk);
                // SAFETY: `k` whole runs of one element (or of the one-run sequence).
                unsafe { strided::<UNPACK>(addr, step, blk, k, out) };
                pos += k * blk;
                // SAFETY: still inside the `len` bytes of `packed`.
                out = unsafe { out.add(k * blk) };
            }
        }
    }

    /// Hands the packed bytes `offset .. offset + len` to `sink`, run by run, straight from
    /// user memory; many short runs are gathered into pieces of a few KiB first.
    pub fn read(&self, offset: usize, len: usize, sink: &mut dyn FnMut(&[u8])) {
        if self.layout.regular.is_some_and(|r| r.0 < 256) && self.contiguous_span().is_none() {
            let mut chunk = [0u8; 4096];
            let end = (offset + len).min(self.len());
            let mut at = offset;
            while at < end {
                let n = (end - at).min(chunk.len());
                self.pack_into(at, &mut chunk[..n]);
                sink(&chunk[..n]);
                at += n;
            }
            return;
        }
        self.for_each_run(offset, len, |addr, n| {
            // SAFETY: the run lies inside the buffer that `new`'s caller vouched for.
            let s = unsafe { std::slice::from_raw_parts(addr as *const u8, n) };
            sink(s);
        });
    }

    /// Copies packed bytes `offset .. offset + dst.len()` into `dst` (cut to the view).
    pub fn pack_into(&self, offset: usize, dst: &mut [u8]) {
        // SAFETY: `dst` is writable for its length and, being ours, is not the user buffer.
        unsafe { self.copy::<false>(offset, dst.len(), dst.as_mut_ptr()) }
    }

    /// Copies `src` into the buffer at packed offset `offset`.
    pub fn write(&self, offset: usize, src: &[u8]) {
        // SAFETY: with UNPACK, `copy` only reads `packed`, and `src` is readable for its length.
        unsafe { self.copy::<true>(offset, src.len(), src.as_ptr() as *mut u8) }
    }

    /// Packs `offset .. offset + len` into a new vector.
    pub fn to_vec(&self, offset: usize, len: usize) -> Vec<u8> {
        let n = len.min(self.len().saturating_sub(offset));
        let mut v = Vec::with_capacity(n);
        // SAFETY: the spare capacity holds `n` writable bytes; `copy` writes all `n` of them
        // (`n` is already cut to the view) before the length is set.
        unsafe {
            self.copy::<false>(offset, n, v.as_mut_ptr());
            v.set_len(n);
        }
        v
    }

    /// Calls `f` with the runs holding packed bytes `offset .. offset + len` as mutable slices,
    /// for a scatter read (process_vm_readv) straight into user memory.
    pub fn with_io_slices_mut<R>(&self, offset: usize, len: usize, f: impl FnOnce(&mut [IoSliceMut<'_>]) -> R) -> R {
        let mut runs = Vec::new();
        self.for_each_run(offset, len, |addr, n| runs.push((addr, n)));
        let mut slices: Vec<IoSliceMut<'_>> = runs
            .into_iter()
            .map(|(addr, n)| {
                // SAFETY: each run lies inside the writable buffer vouched for by `new`, and
                // runs of one buffer do not overlap, so the slices alias nothing.
                IoSliceMut::new(unsafe { std::slice::from_raw_parts_mut(addr as *mut u8, n) })
            })
            .collect();
        f(&mut slices)
    }
}

/// Copies `n` bytes between user memory at `user` and `packed`.
///
/// # Safety
/// Both ranges valid for the direction's reads and writes, and disjoint.
#[inline(always)]
unsafe fn move_bytes<const UNPACK: bool>(user: usize, packed: *mut u8, n: usize) {
    // SAFETY: per the contract.
    unsafe {
        if UNPACK {
            std::ptr::copy_nonoverlapping(packed, user as *mut u8, n)
        } else {
            std::ptr::copy_nonoverlapping(user as *const u8, packed, n)
        }
    }
}

/// Runs spread over more bytes than the caches hold are written one call per run.
const SCATTERED_SPAN: usize = 4 << 20;

/// Copies `k` runs of `blk` bytes, `step` bytes apart from `addr` on, to or from `k * blk`
/// consecutive bytes at `packed`, with one typed load and store per run for the common
/// element sizes.
///
/// # Safety
/// As [`move_bytes`] for every run and for the packed range.
#[inline(always)]
unsafe fn strided<const UNPACK: bool>(mut addr: usize, step: isize, blk: usize, k: usize, packed: *mut u8) {
    macro_rules! typed {
        ($t:ty) => {
            for i in 0..k {
                let u = addr as *mut $t;
                // SAFETY: run `i` and packed slot `i`, both inside the ranges of the contract.
                unsafe {
                    let p = (packed as *mut $t).add(i);
                    if UNPACK { u.write_unaligned(p.read_unaligned()) } else { p.write_unaligned(u.read_unaligned()) }
                }
                addr = addr.wrapping_add_signed(step);
            }
        };
    }
    // Runs far apart miss the cache (and the TLB) one line each; as typed copies issued back
    // to back they were measured slower (a 4096-double matrix column: stores 55 against 21
    // µs, loads 30 against 20) than with the spacing a memcpy call per run gives them.
    let scattered = step.unsigned_abs().saturating_mul(k) >= SCATTERED_SPAN;
    if scattered {
        for i in 0..k {
            // SAFETY: run `i` and its packed bytes, inside the ranges of the contract.
            unsafe { move_bytes::<UNPACK>(addr, packed.add(i * blk), std::hint::black_box(blk)) };
            addr = addr.wrapping_add_signed(step);
        }
        return;
    }
    match blk {
        1 => typed!(u8),
        2 => typed!(u16),
        4 => typed!(u32),
        8 => typed!(u64),
        16 => typed!(u128),
        _ => {
            for i in 0..k {
                // SAFETY: run `i` and its packed bytes, inside the ranges of the contract.
                unsafe { move_bytes::<UNPACK>(addr, packed.add(i * blk), blk) };
                addr = addr.wrapping_add_signed(step);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strided_pack_and_unpack() {
        // Two ints out of every three, like a vector type.
        let layout = Arc::new(Layout::new(8, 12, vec![(0, 4), (4, 4)]));
        let src: Vec<u32> = (0..9).collect();
        // SAFETY: the vector outlives the view and is only read.
        let ub = unsafe { UserBuf::new(src.as_ptr() as *const u8, 3, layout.clone()) };
        assert_eq!(ub.len(), 24);
        let packed = ub.to_vec(0, 24);
        let words: Vec<u32> = packed.chunks(4).map(|c| u32::from_le_bytes(c.try_into().unwrap())).collect();
        assert_eq!(words, vec![0, 1, 3, 4, 6, 7]);
        let mut dst = vec![99u32; 9];
        // SAFETY: the vector outlives the view and nothing else touches it meanwhile.
        let out = unsafe { UserBuf::new(dst.as_mut_ptr() as *const u8, 3, layout) };
        out.write(0, &packed[..10]);
        out.write(10, &packed[10..]);
        assert_eq!(dst, vec![0, 1, 99, 3, 4, 99, 6, 7, 99]);
    }

    #[test]
    fn ranges_address_packed_bytes() {
        let layout = Arc::new(Layout::new(8, 12, vec![(0, 4), (4, 4)]));
        let src: Vec<u32> = (0..9).collect();
        // SAFETY: the vector outlives the view and is only read.
        let ub = unsafe { UserBuf::new(src.as_ptr() as *const u8, 3, layout) };
        let words = |v: Vec<u8>| v.chunks(4).map(|c| u32::from_le_bytes(c.try_into().unwrap())).collect::<Vec<_>>();
        let r = ub.range(4, 12);
        assert_eq!(r.len(), 12);
        assert!(r.contiguous_span().is_none());
        assert_eq!(words(r.to_vec(0, 12)), vec![1, 3, 4]);
        assert_eq!(words(r.range(8, 100).to_vec(0, 100)), vec![4]);
        assert_eq!(ub.range(30, 5).len(), 0);
        let dense: Vec<u32> = (0..4).collect();
        // SAFETY: as above.
        let d = unsafe { UserBuf::new(dense.as_ptr() as *const u8, 4, Arc::new(Layout::contiguous(4))) };
        let (addr, n) = d.range(8, 4).contiguous_span().unwrap();
        assert_eq!((addr, n), (dense.as_ptr() as usize + 8, 4));
        assert_eq!(words(d.range(4, 8).to_vec(0, 8)), vec![1, 2]);
    }

    #[test]
    fn shifted_dense_elements_are_one_span() {
        // One int per element, 4 bytes from the element's start, 4 bytes apart.
        let layout = Arc::new(Layout::new(4, 4, vec![(4, 4)]));
        let src: Vec<u32> = (0..6).collect();
        // SAFETY: the vector outlives the view and is only read; elements 0..4 cover ints 1..5.
        let ub = unsafe { UserBuf::new(src.as_ptr() as *const u8, 4, layout) };
        assert_eq!(ub.contiguous_span(), Some((src.as_ptr() as usize + 4, 16)));
        let words: Vec<u32> = ub.to_vec(4, 8).chunks(4).map(|c| u32::from_le_bytes(c.try_into().unwrap())).collect();
        assert_eq!(words, vec![2, 3]);
    }
}
