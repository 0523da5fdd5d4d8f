//! A single-producer, single-consumer byte ring in shared memory.
//!
//! `head` and `tail` count bytes ever written and consumed; the producer owns `head`, the
//! consumer `tail`. Frames are a 64-byte header plus a payload padded to 8 bytes, written
//! in place and published by one release store of `head`; a frame may wrap around the end.
//! Only the owner of each side writes its counter, so no lock or CAS is needed.

use std::sync::atomic::Ordering;

use super::segment::RingCtl;

/// Rounds a frame length up to the ring's 8-byte granule.
pub fn padded(len: usize) -> usize {
    (len + 7) & !7
}

/// The producer's private view: its own head and the last tail it saw.
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
    pub fn free(&self, st: &mut TxState, want: usize) -> usize {
        let mut free = self.cap - (st.head - st.tail_cache) as usize;
        if free < want {
            st.tail_cache = self.ctl.tail.load(Ordering::Acquire);
            free = self.cap - (st.head - st.tail_cache) as usize;
        }
        free
    }

    /// Copies `src` to ring position `pos` (a byte count), wrapping at the end.
    pub fn write_at(&self, pos: u64, src: &[u8]) {
        let off = (pos as usize) & (self.cap - 1);
        let first = src.len().min(self.cap - off);
        // SAFETY: `off + first <= cap` and the rest goes to the start of the data area; the
        // producer owns these bytes until it publishes them (it checked the free space).
        unsafe {
            std::ptr::copy_nonoverlapping(src.as_ptr(), self.data.add(off), first);
            std::ptr::copy_nonoverlapping(src.as_ptr().add(first), self.data, src.len() - first);
        }
    }

    /// Publishes everything up to `head`.
    pub fn publish(&self, head: u64) {
        self.ctl.head.store(head, Ordering::Release);
    }

    /// Bytes the consumer may read past `tail`.
    pub fn available(&self, tail: u64) -> u64 {
        self.ctl.head.load(Ordering::Acquire).wrapping_sub(tail)
    }

    /// The bytes at `pos .. pos + len` as at most two slices (the second after the wrap).
    /// The consumer must have checked that they are published and not yet released.
    pub fn slices(&self, pos: u64, len: usize) -> (&'a [u8], &'a [u8]) {
        let off = (pos as usize) & (self.cap - 1);
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

    /// Hands bytes up to `tail` back to the producer.
    pub fn release(&self, tail: u64) {
        self.ctl.tail.store(tail, Ordering::Release);
    }
}
