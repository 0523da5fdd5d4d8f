//! A rank's shared-memory segment: a header page with its doorbell, then one inbound ring
//! per sender. The owner creates it before the bootstrap fence; peers open it afterwards.
//!
//! Everything shared is `#[repr(C)]` and touched only through atomics or through the byte
//! copies of [`super::ring`]. The mapping is owned by [`Segment`], whose `Drop` unmaps it; no
//! reference into it outlives a borrow of the `Segment`.

use std::ffi::CString;
use std::io;
use std::num::NonZeroUsize;
use std::os::fd::{AsFd, AsRawFd};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use nix::fcntl::OFlag;
use nix::sys::mman::{MapFlags, ProtFlags, mmap, mmap_anonymous, munmap, shm_open, shm_unlink};
use nix::sys::stat::{Mode, fstat};
use nix::unistd::ftruncate;

const MAGIC: u64 = 0x4654_4d50_4953_484d; // "FTMPISHM"
const VERSION: u32 = 2;
/// Bytes before the first ring: the header and the doorbell, each on its own cache line.
pub const HEADER_BYTES: usize = 4096;
/// Control bytes in front of each ring's data: the producer's and the consumer's line.
pub const RING_CTL_BYTES: usize = 128;

#[repr(C)]
struct SegHeader {
    magic: AtomicU64,
    version: AtomicU32,
    nrings: AtomicU32,
    ring_cap: AtomicU64,
    owner_pid: AtomicU32,
    _pad0: [u8; 36],
    /// Futex word: bumped by anyone who wants the owner to wake up.
    doorbell: AtomicU32,
    _pad1: [u8; 60],
    /// Non-zero while the owner is (about to be) asleep on `doorbell`.
    sleeping: AtomicU32,
}

const _: () = assert!(std::mem::size_of::<SegHeader>() <= COOP_OFFSET);

/// Where the copy slots start inside the header page.
const COOP_OFFSET: usize = 1024;
/// Copy slots per segment: large messages this rank receives at once with the sender's help.
pub const COOP_SLOTS: usize = (HEADER_BYTES - COOP_OFFSET) / 64;

/// One large message being copied into its owner by two processes at once (see
/// `super::coop`). Owned by the receiver, whose segment holds it; the sender only claims
/// pieces and reports what it wrote.
#[repr(C)]
pub struct CoopSlot {
    /// `generation << 40 | next unclaimed byte offset`.
    pub claim: AtomicU64,
    /// Bytes the sender has finished writing.
    pub done: AtomicU64,
    /// Non-zero (the generation with bit 63 set) when the sender failed to write a piece.
    pub fail: AtomicU64,
    _pad: [u8; 40],
}

const _: () = assert!(std::mem::size_of::<CoopSlot>() == 64);

/// The consumer's position of one ring, on its own cache line (the producer publishes
/// frames through stamps in the data, see `ring`; its line here is reserved).
#[repr(C)]
pub struct RingCtl {
    _producer_line: [u8; 64],
    /// Bytes ever consumed (consumer-owned).
    pub tail: AtomicU64,
    _pad1: [u8; 56],
}

const _: () = assert!(std::mem::size_of::<RingCtl>() == RING_CTL_BYTES);

/// One mapped segment.
pub struct Segment {
    ptr: NonNull<u8>,
    len: usize,
    nrings: usize,
    ring_cap: usize,
}

// SAFETY: the mapping is plain shared memory accessed through atomics and byte copies; the
// owning `Segment` may move between threads like any other owned buffer.
unsafe impl Send for Segment {}
// SAFETY: every shared access goes through atomics (header, ring control, stamps) or through
// the ring's byte copies, whose single-producer single-consumer protocol is the same whether
// the other side is another process or another thread (the TCP bridge's reader and writer).
unsafe impl Sync for Segment {}

fn shm_name(name: &str) -> io::Result<CString> {
    CString::new(format!("/{name}")).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in segment name"))
}

fn ring_stride(cap: usize) -> usize {
    RING_CTL_BYTES + cap
}

/// Bytes needed for `nrings` rings of `ring_cap` bytes.
pub fn segment_bytes(nrings: usize, ring_cap: usize) -> usize {
    HEADER_BYTES + nrings * ring_stride(ring_cap)
}

fn map(fd: impl AsFd, len: usize) -> io::Result<NonNull<u8>> {
    let nz = NonZeroUsize::new(len).ok_or_else(|| io::Error::other("empty segment"))?;
    // SAFETY: a fresh shared mapping of a file we hold open; no existing memory is affected.
    let p = unsafe { mmap(None, nz, ProtFlags::PROT_READ | ProtFlags::PROT_WRITE, MapFlags::MAP_SHARED, fd, 0) }?;
    Ok(p.cast())
}

impl Segment {
    /// Creates `/dev/shm/<name>` with `nrings` rings of `ring_cap` bytes (a power of two).
    pub fn create(name: &str, nrings: usize, ring_cap: usize) -> io::Result<Segment> {
        assert!(ring_cap.is_power_of_two() && ring_cap >= 4096);
        let cname = shm_name(name)?;
        let len = segment_bytes(nrings, ring_cap);
        let fd = shm_open(cname.as_c_str(), OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_RDWR, Mode::S_IRUSR | Mode::S_IWUSR)?;
        if let Err(e) = ftruncate(&fd, len as i64) {
            let _ = shm_unlink(cname.as_c_str());
            return Err(e.into());
        }
        let ptr = map(&fd, len)?;
        Ok(Segment { ptr, len, nrings, ring_cap }.with_header())
    }

    /// Fills in the header of a fresh segment; the magic goes last, for peers that open it.
    fn with_header(self) -> Segment {
        let h = self.header();
        h.version.store(VERSION, Ordering::Relaxed);
        h.nrings.store(self.nrings as u32, Ordering::Relaxed);
        h.ring_cap.store(self.ring_cap as u64, Ordering::Relaxed);
        h.owner_pid.store(std::process::id(), Ordering::Relaxed);
        h.magic.store(MAGIC, Ordering::Release);
        self
    }

    /// A segment in this process's private memory, with the same layout: the TCP bridge's
    /// outbox towards one peer (the MPI thread produces, the writer thread consumes).
    pub fn private(nrings: usize, ring_cap: usize) -> io::Result<Segment> {
        assert!(ring_cap.is_power_of_two() && ring_cap >= 4096);
        let len = segment_bytes(nrings, ring_cap);
        let nz = NonZeroUsize::new(len).ok_or_else(|| io::Error::other("empty segment"))?;
        // SAFETY: a fresh anonymous mapping (zero-filled); no existing memory is affected.
        let p = unsafe { mmap_anonymous(None, nz, ProtFlags::PROT_READ | ProtFlags::PROT_WRITE, MapFlags::MAP_PRIVATE) }?;
        Ok(Segment { ptr: p.cast(), len, nrings, ring_cap }.with_header())
    }

    /// Opens a peer's segment and checks that its header is sane.
    pub fn open(name: &str) -> io::Result<Segment> {
        let cname = shm_name(name)?;
        let fd = shm_open(cname.as_c_str(), OFlag::O_RDWR, Mode::empty())?;
        let st = fstat(fd.as_raw_fd())?;
        let len = st.st_size as usize;
        if len < HEADER_BYTES {
            return Err(io::Error::other(format!("segment {name} is too small ({len} bytes)")));
        }
        let ptr = map(&fd, len)?;
        let mut seg = Segment { ptr, len, nrings: 0, ring_cap: 0 };
        let h = seg.header();
        let (magic, version) = (h.magic.load(Ordering::Acquire), h.version.load(Ordering::Relaxed));
        let (nrings, cap) = (h.nrings.load(Ordering::Relaxed) as usize, h.ring_cap.load(Ordering::Relaxed) as usize);
        if magic != MAGIC || version != VERSION {
            return Err(io::Error::other(format!("segment {name} has a bad header")));
        }
        if !cap.is_power_of_two() || cap < 4096 || nrings.checked_mul(ring_stride(cap)).and_then(|x| x.checked_add(HEADER_BYTES)) != Some(len) {
            return Err(io::Error::other(format!("segment {name} has inconsistent sizes")));
        }
        seg.nrings = nrings;
        seg.ring_cap = cap;
        Ok(seg)
    }

    /// Removes the name; mappings stay valid.
    pub fn unlink(name: &str) {
        if let Ok(c) = shm_name(name) {
            let _ = shm_unlink(c.as_c_str());
        }
    }

    fn header(&self) -> &SegHeader {
        // SAFETY: the mapping is at least HEADER_BYTES long, page aligned, and SegHeader is
        // made of atomics, valid for any bit pattern.
        unsafe { &*(self.ptr.as_ptr() as *const SegHeader) }
    }

    pub fn nrings(&self) -> usize {
        self.nrings
    }

    pub fn ring_cap(&self) -> usize {
        self.ring_cap
    }

    pub fn doorbell(&self) -> &AtomicU32 {
        &self.header().doorbell
    }

    pub fn sleeping(&self) -> &AtomicU32 {
        &self.header().sleeping
    }

    /// Copy slot `i` (`i < COOP_SLOTS`).
    pub fn coop_slot(&self, i: usize) -> &CoopSlot {
        assert!(i < COOP_SLOTS);
        // SAFETY: the slots lie inside the header page, which every mapping has (checked at
        // create/open), 64-byte aligned; CoopSlot is made of atomics and padding.
        unsafe { &*(self.ptr.as_ptr().add(COOP_OFFSET + i * 64) as *const CoopSlot) }
    }

    /// Maps every page of ring `i` writable in this process now, allocating what tmpfs has
    /// not yet: otherwise the first pass of small messages through a ring takes a page fault
    /// every 64 frames on each side, which on a virtual machine costs more than the messages
    /// (the first latency measured after start-up was a quarter slower). Best effort: a
    /// kernel without MADV_POPULATE_WRITE (before 5.14) just faults as before.
    pub fn populate_ring(&self, i: usize) {
        if i >= self.nrings {
            return;
        }
        let page = 4096;
        let start = (HEADER_BYTES + i * ring_stride(self.ring_cap)) & !(page - 1);
        let end = (HEADER_BYTES + (i + 1) * ring_stride(self.ring_cap)).min(self.len);
        // SAFETY: `start..end` lies inside this mapping (page-aligned start, end at most its
        // length); MADV_POPULATE_WRITE only faults pages in and never changes their bytes.
        unsafe {
            libc::madvise(self.ptr.as_ptr().add(start).cast(), end - start, libc::MADV_POPULATE_WRITE);
        }
    }

    /// The control lines and the data area of ring `i`.
    pub fn ring(&self, i: usize) -> (&RingCtl, *mut u8) {
        assert!(i < self.nrings);
        let off = HEADER_BYTES + i * ring_stride(self.ring_cap);
        debug_assert!(off + ring_stride(self.ring_cap) <= self.len);
        // SAFETY: `off` is inside the mapping (checked against the sizes at create/open), 64-byte
        // aligned, and RingCtl is made of atomics.
        let ctl = unsafe { &*(self.ptr.as_ptr().add(off) as *const RingCtl) };
        // SAFETY: the data area follows the control lines inside the same mapping.
        let data = unsafe { self.ptr.as_ptr().add(off + RING_CTL_BYTES) };
        (ctl, data)
    }
}

impl Drop for Segment {
    fn drop(&mut self) {
        // SAFETY: we own this mapping and no reference into it outlives `self`.
        let _ = unsafe { munmap(self.ptr.cast(), self.len) };
    }
}
