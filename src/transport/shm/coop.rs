//! Copying one large message with both processes at once.
//!
//! A single-copy read (`process_vm_readv`) keeps one core busy while the sender's core waits
//! for the FIN; the kernel's per-page work leaves that one core well below memory speed. So
//! the receiver of a large contiguous message shares the copy: it puts a slot in its own
//! segment and tells the sender (a COOP frame naming the slot and its buffer), and from then
//! on both *claim* pieces of the message from the slot's `claim` word and copy them, the
//! receiver reading from the sender (`process_vm_readv`), the sender writing into the
//! receiver (`process_vm_writev`). A sender busy elsewhere simply claims nothing and the
//! receiver copies everything, so waiting on the sender never stalls the receiver.
//!
//! The receiver is done when the bytes it copied plus the sender's `done` count reach the
//! total; the sender adds to `done` only after its write returned. Every claim names the
//! slot's generation, so a sender that comes late to a slot already reused for another
//! message claims nothing. A sender whose write fails sets `fail`; the receiver then copies
//! the whole message itself (the sender stops writing first, so nothing races it).

use std::sync::atomic::Ordering;

use super::segment::CoopSlot;

/// Largest message the claim word can describe (offsets take its low 40 bits).
pub const MAX_TOTAL: usize = 1 << 40;
const GEN_SHIFT: u32 = 40;
/// Generations are 23 bits: the claim word's top bit stays clear.
pub const GEN_MASK: u64 = (1 << 23) - 1;

/// Starts generation `generation` of a slot for a message of `total` bytes (receiver).
pub fn open(slot: &CoopSlot, generation: u64) {
    slot.done.store(0, Ordering::Relaxed);
    slot.fail.store(0, Ordering::Relaxed);
    slot.claim.store(generation << GEN_SHIFT, Ordering::Release);
}

/// Claims the next piece of at most `chunk` bytes; `None` when every byte is claimed or the
/// slot belongs to another generation. Returns (offset, length).
pub fn claim(slot: &CoopSlot, generation: u64, total: usize, chunk: usize) -> Option<(usize, usize)> {
    let mut cur = slot.claim.load(Ordering::Relaxed);
    loop {
        if cur >> GEN_SHIFT != generation {
            return None;
        }
        let off = (cur & ((1 << GEN_SHIFT) - 1)) as usize;
        if off >= total {
            return None;
        }
        let len = chunk.min(total - off);
        match slot.claim.compare_exchange_weak(cur, cur + len as u64, Ordering::AcqRel, Ordering::Relaxed) {
            Ok(_) => return Some((off, len)),
            Err(now) => cur = now,
        }
    }
}

/// Closes the slot to further claims; returns the offset claimed so far (receiver).
pub fn close(slot: &CoopSlot, generation: u64, total: usize) -> usize {
    let old = slot.claim.swap(generation << GEN_SHIFT | total as u64, Ordering::AcqRel);
    if old >> GEN_SHIFT != generation { total } else { ((old & ((1 << GEN_SHIFT) - 1)) as usize).min(total) }
}

/// The sender wrote `len` more bytes (sender, after its write returned).
pub fn add_done(slot: &CoopSlot, len: usize) {
    slot.done.fetch_add(len as u64, Ordering::Release);
}

/// The sender could not write a piece it claimed (sender).
pub fn mark_failed(slot: &CoopSlot, generation: u64) {
    slot.fail.store(generation | 1 << 63, Ordering::Release);
}

/// Bytes the sender reports written, and whether it failed (receiver).
pub fn progress(slot: &CoopSlot, generation: u64) -> (usize, bool) {
    let failed = slot.fail.load(Ordering::Acquire) == generation | 1 << 63;
    (slot.done.load(Ordering::Acquire) as usize, failed)
}

/// Piece size for a message of `total` bytes: at least two pieces, so both sides work on a
/// single message too, but large enough that the claim and the system call stay cheap.
pub fn chunk_for(total: usize) -> usize {
    (total.div_ceil(2).next_multiple_of(4096)).clamp(32 * 1024, 256 * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, AtomicUsize};

    fn slot() -> Box<CoopSlot> {
        // SAFETY: CoopSlot is atomics and padding; all zeroes is a valid value.
        Box::new(unsafe { std::mem::zeroed() })
    }

    #[test]
    fn claims_cover_the_message_once() {
        let s: Arc<CoopSlot> = Arc::from(slot());
        open(&s, 5);
        let total: usize = 10 * 1024 * 1024 + 123;
        let seen = Arc::new((0..total.div_ceil(4096)).map(|_| AtomicU64::new(0)).collect::<Vec<_>>());
        let bytes = Arc::new(AtomicUsize::new(0));
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let (s, seen, bytes) = (s.clone(), seen.clone(), bytes.clone());
                std::thread::spawn(move || {
                    while let Some((off, len)) = claim(&s, 5, total, chunk_for(total)) {
                        assert_eq!(off % 4096, 0);
                        seen[off / 4096].fetch_add(1, Ordering::Relaxed);
                        bytes.fetch_add(len, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        assert_eq!(bytes.load(Ordering::Relaxed), total);
        let starts = seen.iter().filter(|c| c.load(Ordering::Relaxed) == 1).count();
        assert_eq!(starts, total.div_ceil(chunk_for(total)));
        assert!(seen.iter().all(|c| c.load(Ordering::Relaxed) <= 1));
    }

    #[test]
    fn stale_generation_claims_nothing() {
        let s = slot();
        open(&s, 1);
        assert_eq!(claim(&s, 1, 100_000, 40_000), Some((0, 40_000)));
        open(&s, 2);
        assert_eq!(claim(&s, 1, 100_000, 40_000), None);
        assert_eq!(claim(&s, 2, 100_000, 40_000), Some((0, 40_000)));
    }

    #[test]
    fn close_reports_what_was_claimed() {
        let s = slot();
        open(&s, 3);
        claim(&s, 3, 100_000, 40_000).unwrap();
        claim(&s, 3, 100_000, 40_000).unwrap();
        assert_eq!(close(&s, 3, 100_000), 80_000);
        assert_eq!(claim(&s, 3, 100_000, 40_000), None);
        add_done(&s, 40_000);
        assert_eq!(progress(&s, 3), (40_000, false));
        mark_failed(&s, 3);
        assert_eq!(progress(&s, 3), (40_000, true));
        assert!(!progress(&s, 4).1);
    }

    #[test]
    fn pieces_are_large_and_at_least_two() {
        assert_eq!(chunk_for(64 * 1024), 32 * 1024);
        assert_eq!(chunk_for(200 * 1024), 100 * 1024);
        assert_eq!(chunk_for(16 << 20), 256 * 1024);
    }
}
