//! Sleeping and waking on a futex word in shared memory.
//!
//! The owner of a segment sleeps on its doorbell; a producer that publishes a frame rings it
//! only when the owner said it is asleep, so the fast path costs one fence and one load.
//! The protocol (Dekker-style, both sides with a SeqCst fence between their store and load):
//! the owner sets `sleeping`, reads the doorbell, re-checks its rings, then waits while the
//! doorbell still holds the value it read; a producer publishes, then reads `sleeping` and, if
//! set, bumps the doorbell and wakes. Either the owner sees the frame or the producer sees the
//! sleeper.

use std::sync::atomic::{AtomicU32, Ordering, fence};
use std::time::Duration;

/// Blocks while `word` equals `expected`, at most `timeout`. Spurious returns are fine.
pub fn wait(word: &AtomicU32, expected: u32, timeout: Duration) {
    let ts = libc::timespec { tv_sec: timeout.as_secs() as libc::time_t, tv_nsec: timeout.subsec_nanos() as libc::c_long };
    // SAFETY: FUTEX_WAIT reads the aligned u32 behind `word`, which lives in a mapping that
    // outlives this call; the timeout is a valid relative timespec.
    unsafe {
        libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAIT, expected, &ts as *const libc::timespec, 0usize, 0u32);
    }
}

/// Wakes every waiter on `word`.
pub fn wake(word: &AtomicU32) {
    // SAFETY: FUTEX_WAKE only uses the address as a key.
    unsafe {
        libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAKE, i32::MAX, 0usize, 0usize, 0u32);
    }
}

/// Producer side: call after publishing.
pub fn ring(doorbell: &AtomicU32, sleeping: &AtomicU32) {
    fence(Ordering::SeqCst);
    if sleeping.load(Ordering::Relaxed) != 0 {
        doorbell.fetch_add(1, Ordering::SeqCst);
        wake(doorbell);
    }
}

/// Unconditionally wakes the owner (control events, shutdown).
pub fn ring_always(doorbell: &AtomicU32) {
    doorbell.fetch_add(1, Ordering::SeqCst);
    wake(doorbell);
}

/// Owner side: sleeps unless `ready()` finds work after announcing the sleep.
pub fn sleep(doorbell: &AtomicU32, sleeping: &AtomicU32, timeout: Duration, ready: impl FnOnce() -> bool) {
    sleeping.store(1, Ordering::Relaxed);
    fence(Ordering::SeqCst);
    let seen = doorbell.load(Ordering::SeqCst);
    if !ready() {
        wait(doorbell, seen, timeout);
    }
    sleeping.store(0, Ordering::Relaxed);
}
