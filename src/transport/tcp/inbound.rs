//! The receiving end of one connection: frames from a socket into the sender's ring.
//!
//! Two threads may move the bytes, one at a time under [`Inbound::state`]: the connection's
//! reader thread, which sleeps in `poll(2)` until the socket has data, and the rank's MPI
//! thread, which reads the socket itself while it waits for a message ([`Inbound::pump`]
//! from [`super::Bridge::poll_inbound`]). The second saves a thread wake-up on every
//! message: a sleeping reader takes several microseconds to run again after the packet
//! arrives, as long as the whole trip across a local link, and on a busy host far longer.
//! Every read is non-blocking (`MSG_DONTWAIT`), so neither ever waits inside `recv`.
//!
//! Bytes are read into a buffer and each complete frame is checked ([`Header::decode`]: the
//! bytes are untrusted) and copied into the ring; a frame that does not fit waits in the
//! buffer, and the socket is not read again until it does, so a slow receiver holds back its
//! sender through TCP's window. Only the reader thread reports how a connection ended: the
//! MPI thread leaves the outcome in the state, and the socket, at its end, stays readable
//! for the reader's `poll`.
#![forbid(unsafe_code)]

use std::io;
use std::net::TcpStream;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::socket::{MsgFlags, recv};
use parking_lot::Mutex;

use super::{BYE, Ended};
use crate::transport::shm::ring::{Ring, TxState, padded};
use crate::transport::shm::segment::Segment;
use crate::transport::wire::{COMPACT_HEADER_LEN, FLAG_SYNC, HEADER_LEN, Header, Kind};

/// Bytes asked of the socket at a time (at least a whole frame: see [`InState::want`]).
const READ_CHUNK: usize = 256 * 1024;

/// What a pass of [`Inbound::pump`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pumped {
    /// Frames published into the ring.
    pub frames: usize,
    /// A whole frame waits for room in the ring.
    pub ring_full: bool,
}

pub struct InState {
    buf: Vec<u8>,
    start: usize,
    end: usize,
    tx: TxState,
    /// How the connection ended, found by whichever thread read the end.
    ended: Option<Result<(), Ended>>,
}

pub struct Inbound {
    pub rank: u32,
    /// Set when the rank is forgotten: nothing more goes into its ring.
    pub stop: Arc<AtomicBool>,
    /// Read only under `state`'s lock; polled without it.
    stream: TcpStream,
    state: Mutex<InState>,
    /// The connection has ended (its reader may not have reported it yet).
    done: AtomicBool,
    /// Bytes read from the socket wait in the buffer (a frame waiting for room in the ring,
    /// or part of one): worth pumping even when the socket has nothing new.
    buffered: AtomicBool,
}

impl Inbound {
    /// Closes the reading half of the socket, or both (the connection is done with).
    pub fn shutdown(&self, how: std::net::Shutdown) {
        let _ = self.stream.shutdown(how);
    }

    /// `stream` is an admitted connection. It is read without blocking (`MSG_DONTWAIT`)
    /// rather than made non-blocking: the flag would belong to the clones that this rank's
    /// writer sends on too.
    pub fn new(rank: u32, stream: TcpStream, stop: Arc<AtomicBool>) -> io::Result<Inbound> {
        let state = InState { buf: vec![0; READ_CHUNK], start: 0, end: 0, tx: TxState::default(), ended: None };
        Ok(Inbound { rank, stop, stream, state: Mutex::new(state), done: AtomicBool::new(false), buffered: AtomicBool::new(false) })
    }

    /// Moves what the socket has into the ring, without blocking. `None` when another thread
    /// is at it, or the connection has ended (its reader reports that).
    pub fn try_pump(&self, own: &Segment, max_payload: u64) -> Option<Pumped> {
        let mut st = self.state.try_lock()?;
        if st.ended.is_some() || self.stop.load(Ordering::Acquire) {
            return None;
        }
        Some(self.pump(&mut st, own, max_payload))
    }

    /// The socket, to poll.
    pub fn fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.stream.as_fd()
    }

    /// Read bytes wait in the buffer (see [`Inbound::pump`]).
    pub fn buffered(&self) -> bool {
        self.buffered.load(Ordering::Acquire)
    }

    /// True once the end of the stream (or an error) has been read.
    pub fn finished(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }

    /// Waits at most `ms` milliseconds for the socket to have something to read.
    pub fn wait_readable(&self, ms: u16) {
        let mut fds = [PollFd::new(self.stream.as_fd(), PollFlags::POLLIN)];
        let _ = poll(&mut fds, PollTimeout::from(ms));
    }

    /// The reader thread's loop: until the connection ends or the rank is forgotten.
    /// `kick` is readable while the MPI thread reads the sockets itself: it ends a `poll`
    /// that was under way when it started, so that the reader goes back to `park`.
    pub fn run(&self, own: &Segment, max_payload: u64, on_frames: impl Fn(), park: impl Fn(), kick: BorrowedFd<'_>) -> Result<(), Ended> {
        let mut backoff = 0u32;
        loop {
            if self.stop.load(Ordering::Acquire) {
                return Ok(());
            }
            let p = {
                let mut st = self.state.lock();
                if let Some(end) = st.ended.take() {
                    return end;
                }
                self.pump(&mut st, own, max_payload)
            };
            if p.frames > 0 {
                on_frames();
            }
            if p.ring_full {
                // The consumer does not ring anyone when it frees room: look again, first
                // after a yield (a streaming receiver empties a ring in microseconds), then
                // after growing sleeps.
                if backoff < super::READER_YIELDS {
                    std::thread::yield_now();
                } else {
                    let us = 1u64 << (backoff - super::READER_YIELDS).min(10);
                    std::thread::sleep(std::time::Duration::from_micros(us));
                }
                backoff = backoff.saturating_add(1);
                continue;
            }
            backoff = 0;
            if p.frames == 0 {
                park();
                // Readable, an error or the end: all wake it. The timeout is a safety net
                // for the stop flag (forgetting also shuts the socket down).
                let mut fds = [PollFd::new(self.stream.as_fd(), PollFlags::POLLIN), PollFd::new(kick, PollFlags::POLLIN)];
                match poll(&mut fds, PollTimeout::from(1000u16)) {
                    Ok(_) | Err(nix::errno::Errno::EINTR) => {}
                    Err(e) => return Err(Ended::from(io::Error::from(e))),
                }
            }
        }
    }

    fn pump(&self, st: &mut InState, own: &Segment, max_payload: u64) -> Pumped {
        let mut out = Pumped::default();
        match pump_frames(&self.stream, st, own, self.rank, max_payload, &mut out) {
            Ok(()) => {}
            Err(end) => {
                st.ended = Some(end);
                self.done.store(true, Ordering::Release);
            }
        }
        self.buffered.store(st.end > st.start, Ordering::Release);
        out
    }
}

/// Publishes every whole frame in the buffer that fits in the ring, reading the socket
/// whenever the buffer holds no whole frame. Returns once the socket is empty or the ring full;
/// `Err(Ok(()))` is a clean goodbye.
fn pump_frames(stream: &TcpStream, st: &mut InState, own: &Segment, rank: u32, max_payload: u64, out: &mut Pumped) -> Result<(), Result<(), Ended>> {
    let (rc, data) = own.ring(rank as usize);
    let ring = Ring { ctl: rc, data, cap: own.ring_cap() };
    let mut hdr = [0u8; HEADER_LEN];
    let mut emptied = false;
    loop {
        let avail = st.end - st.start;
        let mut want = COMPACT_HEADER_LEN;
        if avail >= COMPACT_HEADER_LEN {
            let b = &st.buf[st.start..st.end];
            if &b[..8] == BYE && b[8] == 0 {
                return Err(Ok(()));
            }
            let hlen = if b[9] == Kind::Eager as u8 && b[10] & FLAG_SYNC == 0 { COMPACT_HEADER_LEN } else { HEADER_LEN };
            want = hlen;
            if avail >= hlen {
                hdr[..hlen].copy_from_slice(&b[..hlen]);
                hdr[hlen..].fill(0);
                let h = Header::decode(&hdr, rank, max_payload).map_err(|e| Err(Ended::Malformed(format!("malformed frame: {e}"))))?;
                let flen = padded(hlen + h.len as usize);
                want = flen;
                if avail >= flen {
                    if ring.free(&mut st.tx, flen) < flen {
                        out.ring_full = true;
                        return Ok(());
                    }
                    let head = st.tx.head;
                    ring.write_at(head + 8, &b[8..hlen]);
                    ring.write_at(head + hlen as u64, &b[hlen..flen]);
                    ring.publish(head);
                    st.tx.head += flen as u64;
                    st.start += flen;
                    out.frames += 1;
                    continue;
                }
            }
        }
        // Not a whole frame: make room for `want` bytes from `start`, then read, unless the
        // last read took less than it asked for, which leaves the socket empty: another
        // would only say so, a system call on the way to every answer.
        if emptied {
            return Ok(());
        }
        if st.start > 0 && (st.start == st.end || st.buf.len() - st.start < want.max(READ_CHUNK / 2)) {
            st.buf.copy_within(st.start..st.end, 0);
            st.end -= st.start;
            st.start = 0;
        }
        if st.buf.len() - st.start < want {
            let len = st.start + want;
            st.buf.resize(len, 0);
        }
        let room = st.buf.len() - st.end;
        match recv(stream.as_raw_fd(), &mut st.buf[st.end..], MsgFlags::MSG_DONTWAIT) {
            Ok(0) => return Err(Err(Ended::Lost)),
            Ok(n) => {
                st.end += n;
                emptied = n < room;
            }
            Err(Errno::EAGAIN) => return Ok(()),
            Err(Errno::EINTR) => {}
            Err(_) => return Err(Err(Ended::Lost)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::TcpListener;

    use crate::transport::wire::HEADER_LEN;

    /// A `kick` pair for `Inbound::run`; nothing is written to it.
    fn kick() -> (std::os::unix::net::UnixStream, std::os::unix::net::UnixStream) {
        std::os::unix::net::UnixStream::pair().unwrap()
    }

    fn pair() -> (TcpStream, TcpStream) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (s, _) = l.accept().unwrap();
        c.set_nodelay(true).unwrap();
        (c, s)
    }

    /// The wire bytes of eager frames with tags `0..n` (payload sizes vary, some compact).
    fn frames(n: i32) -> Vec<u8> {
        let seg = Segment::private(1, 64 * 1024).unwrap();
        let (rc, data) = seg.ring(0);
        let ring = Ring { ctl: rc, data, cap: seg.ring_cap() };
        let mut head = 0u64;
        let mut wire = Vec::new();
        for i in 0..n {
            let len = (i as usize * 53) % 300;
            let h = Header { src: 0, tag: i, len: len as u64, msg_len: len as u64, ..Header::new(Kind::Eager) };
            let payload: Vec<u8> = (0..len).map(|j| (j as i32 + i) as u8).collect();
            ring.write_at(head + 8, &h.encode()[8..h.wire_len()]);
            ring.write_at(head + h.wire_len() as u64, &payload);
            ring.publish(head);
            let flen = padded(h.wire_len() + len);
            let (a, b) = ring.slices(head, flen);
            wire.extend_from_slice(a);
            wire.extend_from_slice(b);
            head += flen as u64;
        }
        wire
    }

    /// Checks and consumes the frames in `own`'s ring 0 from `tail`; returns the next tag.
    fn take(own: &Segment, tail: &mut u64, mut next: i32) -> i32 {
        let (rc, data) = own.ring(0);
        let ring = Ring { ctl: rc, data, cap: own.ring_cap() };
        while ring.ready(*tail) {
            let (a, b) = ring.slices(*tail, HEADER_LEN);
            let raw: [u8; HEADER_LEN] = [a, b].concat().try_into().unwrap();
            let h = Header::decode(&raw, 0, 4096).unwrap();
            assert_eq!(h.tag, next);
            let (a, b) = ring.slices(*tail + h.wire_len() as u64, h.len as usize);
            let want: Vec<u8> = (0..h.len as usize).map(|j| (j as i32 + next) as u8).collect();
            assert_eq!([a, b].concat(), want, "payload of frame {next}");
            let flen = padded(h.wire_len() + h.len as usize) as u64;
            ring.release(*tail, flen);
            *tail += flen;
            next += 1;
        }
        next
    }

    #[test]
    fn frames_split_anywhere_arrive_whole_and_in_order() {
        let (mut c, s) = pair();
        let own = Segment::private(2, 16 * 1024).unwrap();
        let inb = Inbound::new(0, s, Arc::new(AtomicBool::new(false))).unwrap();
        let bytes = frames(40);
        let (mut tail, mut next) = (0u64, 0);
        // One byte at a time: every header and payload is cut at every offset once.
        for b in &bytes {
            c.write_all(&[*b]).unwrap();
            inb.wait_readable(100);
            inb.try_pump(&own, 4096).unwrap();
            next = take(&own, &mut tail, next);
        }
        for _ in 0..100 {
            if next == 40 {
                break;
            }
            inb.wait_readable(10);
            inb.try_pump(&own, 4096).unwrap();
            next = take(&own, &mut tail, next);
        }
        assert_eq!(next, 40);
        assert!(!inb.finished());
        // The end of the stream is read once and ends the connection as a loss.
        drop(c);
        inb.wait_readable(1000);
        assert!(inb.try_pump(&own, 4096).is_some());
        assert!(inb.finished());
        assert!(inb.try_pump(&own, 4096).is_none(), "an ended connection is not read again");
        assert!(matches!(inb.run(&own, 4096, || {}, || {}, kick().1.as_fd()), Err(Ended::Lost)));
    }

    #[test]
    fn a_full_ring_leaves_the_frame_waiting_and_a_bad_header_ends_the_connection() {
        let (mut c, s) = pair();
        let own = Segment::private(2, 16 * 1024).unwrap();
        let inb = Inbound::new(0, s, Arc::new(AtomicBool::new(false))).unwrap();
        // More than the 16 KiB ring holds.
        let bytes = frames(200);
        c.write_all(&bytes).unwrap();
        let mut full = false;
        let (mut tail, mut next) = (0u64, 0);
        while next < 200 {
            inb.wait_readable(10);
            let p = inb.try_pump(&own, 4096).unwrap();
            full |= p.ring_full;
            next = take(&own, &mut tail, next);
        }
        assert!(full, "the ring never filled");
        // A frame whose length exceeds what this ring takes is refused.
        let mut bad = frames(1);
        bad[24..28].copy_from_slice(&(1u32 << 24).to_le_bytes());
        c.write_all(&bad).unwrap();
        let mut ended = false;
        for _ in 0..100 {
            inb.wait_readable(10);
            if inb.try_pump(&own, 4096).is_none() || inb.finished() {
                ended = true;
                break;
            }
        }
        assert!(ended && inb.finished());
        assert!(matches!(inb.run(&own, 4096, || {}, || {}, kick().1.as_fd()), Err(Ended::Malformed(_))));
    }
}
