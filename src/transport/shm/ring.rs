//! A single-producer, single-consumer byte ring in shared memory.
//!
//! Frames start on 64-byte (cache-line) boundaries: a 64-byte header whose first 8 bytes are
//! the *stamp*, then the payload, padded to the next boundary. The producer writes the frame,
//! then publishes it by storing the stamp `position + 1` with release ordering; the consumer
//! polls the stamp at its own position, so a small message costs it one cache line, not a
//! separate counter line plus the frame (the idea of Open MPI's fast boxes). The consumer
//! zeroes the stamp slots of every line it consumed before handing the bytes back through
//! `tail`, so no stale byte can ever look like a published frame. Only `tail` is shared as a
//! counter, and the producer reads it only when its cached copy says the ring is full.

use std::sync::atomic::{AtomicU64, Ordering};

use super::segment::RingCtl;

/// Frames start at multiples of this.
pub const LINE: usize = 64;

/// Rounds a frame length up to whole lines.
#[inline]
pub fn padded(len: usize) -> usize {
    (len + LINE - 1) & !(LINE - 1)
}

/// The producer's private view: where it writes next and the last tail it saw.
#[derive(Debug, Default, Clone, Copy)]
pub struct TxState {
    pub head: u64,
    pub tail_cache: u64,
}

/// One side of a ring: the control lines and the data area of a mapped segment.
pub struct Ring<'a> {
    pub ctl: &'a RingCtl,
    pub data: *mut u8,
    pub cap: usize,
}

impl<'a> Ring<'a> {
    /// Free bytes for the producer, refreshing the cached tail only when needed.
    #[inline]
    pub fn free(&self, st: &mut TxState, want: usize) -> usize {
        let mut free = self.cap - (st.head - st.tail_cache) as usize;
        if free < want {
            st.tail_cache = self.ctl.tail.load(Ordering::Acquire);
            free = self.cap - (st.head - st.tail_cache) as usize;
        }
        free
    }

    /// Copies `src` to ring position `pos` (a byte count), wrapping at the end.
    #[inline]
    pub fn write_at(&self, pos: u64, src: &[u8]) {
        let off = (pos as usize) & (self.cap - 1);
        let first = src.len().min(self.cap - off);
        // SAFETY: `off + first <= cap` and the rest goes to the start of the data area; the
        // producer owns these bytes until it publishes them (it checked the free space).
        unsafe {
            std::ptr::copy_nonoverlapping(src.as_ptr(), self.data.add(off), first);
            if first < src.len() {
                std::ptr::copy_nonoverlapping(src.as_ptr().add(first), self.data, src.len() - first);
            }
        }
    }

    /// Hands `fill` the `len` bytes at ring position `pos` as writable slices (two at the
    /// wrap), so a socket can be read straight into the ring. Producer side, like `write_at`.
    pub fn fill_at<E>(&self, pos: u64, len: usize, mut fill: impl FnMut(&mut [u8]) -> Result<(), E>) -> Result<(), E> {
        let off = (pos as usize) & (self.cap - 1);
        let len = len.min(self.cap);
        let first = len.min(self.cap - off);
        // SAFETY: both ranges are inside the data area and owned by the producer until it
        // publishes them (it checked the free space); no other reference to them exists.
        let a = unsafe { std::slice::from_raw_parts_mut(self.data.add(off), first) };
        fill(a)?;
        if len > first {
            // SAFETY: as above; the part after the wrap starts at the data area.
            let b = unsafe { std::slice::from_raw_parts_mut(self.data, len - first) };
            fill(b)?;
        }
        Ok(())
    }

    /// Writes bytes `8..hlen` of an encoded header (`hlen` is 32 or 64) at line `pos`, which
    /// never wraps; the stamp, bytes `0..8`, is left to [`Ring::publish`].
    #[inline]
    pub fn write_header(&self, pos: u64, enc: &[u8; 64], hlen: usize) {
        let off = (pos as usize) & (self.cap - 1);
        debug_assert_eq!(off % LINE, 0);
        // SAFETY: `off` is a line boundary inside the data area, whose size is a multiple of
        // the line, so the 64 bytes from it are inside the mapping; the producer owns them
        // until it publishes (it checked the free space). Fixed-size copies, so they compile
        // to a few moves.
        unsafe {
            let dst = self.data.add(off + 8);
            if hlen <= 32 {
                std::ptr::copy_nonoverlapping(enc.as_ptr().add(8), dst, 24);
            } else {
                std::ptr::copy_nonoverlapping(enc.as_ptr().add(8), dst, 56);
            }
        }
    }

    /// Writes the compact header of a plain eager message at line `pos` (which never
    /// wraps): the words of [`crate::transport::wire::compact_eager_words`] and the length;
    /// the stamp is left to [`Ring::publish`].
    #[inline]
    pub fn write_head_words(&self, pos: u64, w1: u64, w2: u64, len: u32) {
        let off = (pos as usize) & (self.cap - 1);
        debug_assert_eq!(off % LINE, 0);
        // SAFETY: `off` is a line boundary inside the data area (a multiple of lines), so
        // bytes `off..off + 32` are inside the mapping and 8-byte aligned; the producer owns
        // them until it publishes (it checked the free space).
        unsafe {
            let p = self.data.add(off);
            std::ptr::write(p.add(8) as *mut u64, w1.to_le());
            std::ptr::write(p.add(16) as *mut u64, w2.to_le());
            std::ptr::write(p.add(24) as *mut u64, (len as u64).to_le());
        }
    }

    /// The words at bytes 8..16 and 16..24 and the u32 at byte 24 of the published frame
    /// at line `pos` (the consumer saw its stamp).
    #[inline]
    pub fn head_words(&self, pos: u64) -> (u64, u64, u32) {
        let off = (pos as usize) & (self.cap - 1);
        debug_assert_eq!(off % LINE, 0);
        // SAFETY: `off` is a line boundary inside the data area (a multiple of lines), so
        // bytes `off..off + 32` are inside the mapping, and 8-byte aligned; the producer does
        // not write a published frame until the consumer releases it.
        unsafe {
            let p = self.data.add(off);
            (
                u64::from_le(std::ptr::read(p.add(8) as *const u64)),
                u64::from_le(std::ptr::read(p.add(16) as *const u64)),
                u32::from_le(std::ptr::read(p.add(24) as *const u32)),
            )
        }
    }

    #[inline]
    fn stamp(&self, pos: u64) -> &'a AtomicU64 {
        let off = (pos as usize) & (self.cap - 1);
        debug_assert_eq!(off % LINE, 0);
        // SAFETY: `off` is a line boundary inside the data area, which is 64-byte aligned
        // (segment layout), so the 8 bytes there are an aligned u64 inside the mapping.
        unsafe { &*(self.data.add(off) as *const AtomicU64) }
    }

    /// Publishes the frame written at `pos`.
    #[inline]
    pub fn publish(&self, pos: u64) {
        self.stamp(pos).store(pos + 1, Ordering::Release);
    }

    /// True when a frame is published at the consumer's position `tail`.
    #[inline]
    pub fn ready(&self, tail: u64) -> bool {
        self.stamp(tail).load(Ordering::Acquire) == tail + 1
    }

    /// The bytes at `pos .. pos + len` as at most two slices (the second after the wrap).
    /// The consumer must have seen the frame published and not yet released it.
    #[inline]
    pub fn slices(&self, pos: u64, len: usize) -> (&'a [u8], &'a [u8]) {
        let off = (pos as usize) & (self.cap - 1);
        let len = len.min(self.cap);
        let first = len.min(self.cap - off);
        // SAFETY: published bytes are not written by the producer until the consumer releases
        // them, and both ranges are inside the data area.
        unsafe {
            (
                std::slice::from_raw_parts(self.data.add(off), first),
                std::slice::from_raw_parts(self.data, len - first),
            )
        }
    }

    /// Hands `len` bytes at `tail` back to the producer, clearing their stamp slots first.
    #[inline]
    pub fn release(&self, tail: u64, len: u64) {
        let mut p = tail;
        while p < tail + len {
            self.stamp(p).store(0, Ordering::Relaxed);
            p += LINE as u64;
        }
        self.ctl.tail.store(tail + len, Ordering::Release);
    }

    /// Empties the ring for a new producer (the old one is dead): every stamp cleared and
    /// the tail back at 0, so the new producer starts at position 0 from its fresh state.
    pub fn reset(&self) {
        let mut p = 0u64;
        while p < self.cap as u64 {
            self.stamp(p).store(0, Ordering::Relaxed);
            p += LINE as u64;
        }
        self.ctl.tail.store(0, Ordering::Release);
    }
}
