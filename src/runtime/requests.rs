//! The request table and what each request is waiting for.

use crate::core::comm::Group;
use crate::core::matching::Pattern;
use crate::transport::userbuf::UserBuf;
use std::io::IoSliceMut;

/// Where a message's bytes come from or go to: the application's memory, or a buffer the
/// library owns (buffered sends, packed rendezvous data, collective scratch).
#[derive(Debug)]
pub enum Buf {
    User(UserBuf),
    Owned(Vec<u8>),
}

impl Buf {
    pub fn len(&self) -> usize {
        match self {
            Buf::User(u) => u.len(),
            Buf::Owned(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn write(&mut self, offset: usize, src: &[u8]) {
        match self {
            Buf::User(u) => u.write(offset, src),
            Buf::Owned(v) => {
                let end = (offset + src.len()).min(v.len());
                if offset < end {
                    v[offset..end].copy_from_slice(&src[..end - offset]);
                }
            }
        }
    }

    /// Hands out packed bytes `offset .. offset + len` in order (cut to the buffer).
    pub fn read(&self, offset: usize, len: usize, sink: &mut dyn FnMut(&[u8])) {
        match self {
            Buf::User(u) => u.read(offset, len, sink),
            Buf::Owned(v) => {
                let end = (offset + len).min(v.len());
                sink(&v[offset.min(end)..end]);
            }
        }
    }

    /// Address and length when the bytes are one run in this process's memory.
    pub fn contiguous_span(&self) -> Option<(usize, usize)> {
        match self {
            Buf::User(u) => u.contiguous_span(),
            Buf::Owned(v) => Some((v.as_ptr() as usize, v.len())),
        }
    }

    pub fn with_io_slices_mut<R>(&mut self, offset: usize, len: usize, f: impl FnOnce(&mut [IoSliceMut<'_>]) -> R) -> R {
        match self {
            Buf::User(u) => u.with_io_slices_mut(offset, len, f),
            Buf::Owned(v) => {
                let end = (offset + len).min(v.len());
                let mut s = [IoSliceMut::new(&mut v[offset.min(end)..end])];
                f(&mut s)
            }
        }
    }
}

/// Send modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendMode {
    Standard,
    Sync,
    Ready,
    Buffered,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendStage {
    /// Persistent and not started.
    Idle,
    /// Waiting for room in the peer's ring (in the pending queue).
    Queued,
    /// Synchronous eager message sent; waiting for the match.
    AwaitAck,
    /// RTS sent; waiting for the receiver to pull the data (FIN) or ask for it (CTS).
    AwaitPull,
    /// Streaming DATA frames after a CTS.
    Streaming { rreq: u64, sent: usize },
    Done,
}

#[derive(Debug)]
pub struct SendState {
    pub dest: u32,
    pub context: u32,
    pub tag: i32,
    pub mode: SendMode,
    pub buf: Buf,
    pub stage: SendStage,
    /// Bytes of the attached buffer this (internal) buffered send holds until it completes.
    pub bsend_bytes: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecvStage {
    Idle,
    Posted,
    /// Receiving DATA frames after a CTS.
    Streaming { total: usize, received: usize },
    /// Copying a large message together with its sender (`transport::shm::coop`).
    Coop,
    Done,
}

#[derive(Debug)]
pub struct RecvState {
    pub pattern: Pattern,
    pub group: Group,
    pub buf: Buf,
    pub stage: RecvStage,
}

/// What a request does.
#[derive(Debug)]
pub enum Body {
    Send(SendState),
    Recv(RecvState),
    /// Communication with MPI_PROC_NULL, or an already-complete operation.
    Null,
}

/// The status of a completed operation, in library terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    /// Communicator rank of the sender, or MPI_ANY_SOURCE / MPI_PROC_NULL.
    pub source: i32,
    pub tag: i32,
    pub bytes: usize,
    pub cancelled: bool,
    /// MPI error class of the operation (0 for success).
    pub error: i32,
}

impl Status {
    /// The empty status (MPI-1.2 section 3.7.3).
    pub fn empty() -> Status {
        use crate::abi::consts::{MPI_ANY_SOURCE, MPI_ANY_TAG};
        Status { source: MPI_ANY_SOURCE, tag: MPI_ANY_TAG, bytes: 0, cancelled: false, error: 0 }
    }

    pub fn proc_null() -> Status {
        use crate::abi::consts::{MPI_ANY_TAG, MPI_PROC_NULL};
        Status { source: MPI_PROC_NULL, tag: MPI_ANY_TAG, bytes: 0, cancelled: false, error: 0 }
    }
}

#[derive(Debug)]
pub struct Request {
    pub body: Body,
    pub done: bool,
    pub status: Status,
    pub persistent: bool,
    /// A persistent request between MPI_Start and completion.
    pub active: bool,
    /// MPI_Request_free was called while it was pending: drop it when it completes.
    pub free_when_done: bool,
    /// Index of the communicator, whose error handler applies.
    pub comm: u32,
    /// Detail text of a failed operation.
    pub error_detail: Option<String>,
}

impl Request {
    pub fn new(body: Body, comm: u32) -> Request {
        Request {
            body,
            done: false,
            status: Status::empty(),
            persistent: false,
            active: true,
            free_when_done: false,
            comm,
            error_detail: None,
        }
    }
}

/// Requests by index, with a generation per slot so stale ids from the wire are refused.
#[derive(Default)]
pub struct Requests {
    slots: Vec<(u32, Option<Request>)>,
    free: Vec<u32>,
}

impl Requests {
    pub fn insert(&mut self, r: Request) -> u32 {
        if let Some(i) = self.free.pop() {
            let slot = &mut self.slots[i as usize];
            slot.0 = slot.0.wrapping_add(1);
            slot.1 = Some(r);
            i
        } else {
            self.slots.push((0, Some(r)));
            (self.slots.len() - 1) as u32
        }
    }

    pub fn get(&self, i: u32) -> Option<&Request> {
        self.slots.get(i as usize).and_then(|s| s.1.as_ref())
    }

    pub fn get_mut(&mut self, i: u32) -> Option<&mut Request> {
        self.slots.get_mut(i as usize).and_then(|s| s.1.as_mut())
    }

    pub fn remove(&mut self, i: u32) -> Option<Request> {
        let r = self.slots.get_mut(i as usize).and_then(|s| s.1.take());
        if r.is_some() {
            self.free.push(i);
        }
        r
    }

    /// True when some request in the table satisfies `f`.
    pub fn any(&self, mut f: impl FnMut(&Request) -> bool) -> bool {
        self.slots.iter().any(|s| s.1.as_ref().is_some_and(&mut f))
    }

    /// Ids of every request in the table.
    pub fn ids(&self) -> Vec<u32> {
        self.slots.iter().enumerate().filter(|(_, s)| s.1.is_some()).map(|(i, _)| i as u32).collect()
    }

    /// The id put on the wire: generation and index.
    pub fn wire_id(&self, i: u32) -> u64 {
        ((self.slots[i as usize].0 as u64) << 32) | i as u64
    }

    /// The index behind a wire id, if that request still exists.
    pub fn from_wire(&self, w: u64) -> Option<u32> {
        let i = (w & 0xffff_ffff) as u32;
        let g = (w >> 32) as u32;
        match self.slots.get(i as usize) {
            Some((gen_, Some(_))) if *gen_ == g => Some(i),
            _ => None,
        }
    }
}
