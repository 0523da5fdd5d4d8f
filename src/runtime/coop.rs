//! Large messages copied by both ends at once (the protocol is in `transport::shm::coop`).
//!
//! The receiver of a matched RTS for a large contiguous message opens a copy slot, sends
//! COOP, and copies pieces from its progress loop; the sender, on COOP, copies pieces from
//! its own progress loop while it waits for the FIN. Whoever is in MPI does the work, so the
//! transfer never waits for a sender that is busy elsewhere, and when both are in MPI (a
//! blocking send, a Waitall over a window of sends) two cores share the copy.
//!
//! A slot is given back only when no one can write through it any more: after the last
//! piece, or after the slot was closed and the sender's pieces in flight were reported done,
//! or once the sender is known dead.
#![forbid(unsafe_code)]

use crate::abi::consts as c;
use crate::core::error::Result;
use crate::core::matching::Envelope;
use crate::transport::shm::coop;
use crate::transport::wire::{Header, Kind};

use super::requests::{Body, RecvStage, Request, SendStage, Status};
use super::{OnSent, Runtime};

/// Messages smaller than this are read by the receiver alone: below it, the extra frame
/// and the sender's system call cost more than the shared copy saves.
pub const COOP_MIN: usize = 64 * 1024;

/// The receiver's side of one shared copy.
#[derive(Debug)]
pub(super) struct Coop {
    rid: u32,
    /// The request's wire id: a request index is reused once freed, its wire id is not.
    wire: u64,
    src: u32,
    slot: usize,
    generation: u64,
    total: usize,
    chunk: usize,
    /// Where the packed message is in the sender.
    saddr: u64,
    sreq: u64,
    /// Bytes this side copied.
    mine: usize,
    /// Set once the slot is closed early: the bytes the sender had claimed by then.
    closed: Option<usize>,
    /// A read of ours failed: the receive completes with this error once the slot is quiet.
    error: Option<String>,
}

/// The sender's side of one shared copy.
#[derive(Debug)]
pub(super) struct Assist {
    rid: u32,
    wire: u64,
    dest: u32,
    slot: usize,
    generation: u64,
    total: usize,
    chunk: usize,
    raddr: u64,
}

impl Runtime {
    /// Starts a shared copy of a matched RTS if it fits: a contiguous receive of at least
    /// [`COOP_MIN`] bytes and a free slot. Returns false to let the caller read it alone.
    pub(super) fn try_start_coop(&mut self, rid: u32, env: &Envelope, h: &Header, st: &Status) -> Result<bool> {
        let n = st.bytes;
        if !self.config.coop || n < COOP_MIN || n >= coop::MAX_TOTAL {
            return Ok(false);
        }
        let wire = self.reqs.wire_id(rid);
        let raddr = match self.reqs.get(rid) {
            Some(Request { body: Body::Recv(r), .. }) => match r.buf.contiguous_span() {
                Some((addr, len)) if len >= n => addr as u64,
                _ => return Ok(false),
            },
            _ => return Ok(false),
        };
        let Some((slot, generation)) = self.shm.coop_start() else { return Ok(false) };
        if let Some(Request { body: Body::Recv(r), status, .. }) = self.reqs.get_mut(rid) {
            r.stage = RecvStage::Coop;
            *status = *st;
        }
        self.truncation_detail(rid, st, h.msg_len as usize);
        let chunk = coop::chunk_for(n);
        let invite = Header {
            src: self.info.rank,
            sreq: h.sreq,
            rreq: wire,
            addr: raddr,
            msg_len: n as u64,
            offset: generation << 16 | slot as u64,
            ..Header::new(Kind::Coop)
        };
        self.send_frame(env.src, invite, None, OnSent::Nothing)?;
        self.coops.push(Coop {
            rid,
            wire,
            src: env.src,
            slot,
            generation,
            total: n,
            chunk,
            saddr: h.addr,
            sreq: h.sreq,
            mine: 0,
            closed: None,
            error: None,
        });
        Ok(true)
    }

    /// A COOP frame from `src`: help copy our send `h.sreq` into its buffer.
    pub(super) fn on_coop(&mut self, src: u32, h: &Header) {
        let Some(rid) = self.own_send(h.sreq, src, SendStage::AwaitPull) else {
            self.reject(src, "COOP for a send that is not waiting for its FIN");
            return;
        };
        let fits = self.shm.can_cma(src) && matches!(self.reqs.get(rid), Some(Request { body: Body::Send(s), .. })
            if s.buf.contiguous_span().is_some() && h.msg_len as usize <= s.buf.len());
        if !fits || !self.config.coop {
            // Nothing to do: the receiver copies everything itself.
            return;
        }
        let total = h.msg_len as usize;
        let wire = self.reqs.wire_id(rid);
        self.assists.push(Assist {
            rid,
            wire,
            dest: src,
            slot: (h.offset & 0xffff) as usize,
            generation: h.offset >> 16,
            total,
            chunk: coop::chunk_for(total),
            raddr: h.addr,
        });
    }

    /// One piece of each shared copy, on either side. Returns whether anything happened.
    pub(super) fn pump_coops(&mut self) -> Result<bool> {
        let mut did = false;
        let mut i = 0;
        // A rank that is receiving large messages itself copies those first: when both ends
        // send to each other (an exchange, a ring step), each core already has a copy of its
        // own to do, and helping the other only makes the two fight over the same lines.
        while self.coops.is_empty() && i < self.assists.len() {
            let (keep, worked) = self.assist_step(i);
            did |= worked;
            if keep {
                i += 1;
            } else {
                self.assists.remove(i);
            }
        }
        let mut i = 0;
        while i < self.coops.len() {
            let (keep, worked) = self.coop_step(i)?;
            did |= worked;
            if keep {
                i += 1;
            } else {
                let c = self.coops.remove(i);
                self.shm.coop_end(c.slot);
            }
        }
        Ok(did)
    }

    /// The sender copies one piece: (keep the entry, did work).
    fn assist_step(&mut self, i: usize) -> (bool, bool) {
        let a = &self.assists[i];
        let (rid, dest, slot, generation, total, chunk, raddr) = (a.rid, a.dest, a.slot, a.generation, a.total, a.chunk, a.raddr);
        let waiting = self.reqs.from_wire(a.wire) == Some(rid) && matches!(self.reqs.get(rid), Some(Request { body: Body::Send(s), done: false, .. }) if s.stage == SendStage::AwaitPull && s.dest == dest);
        if !waiting || self.ft.world.is_dead(dest) {
            return (false, false);
        }
        let piece = match self.shm.peer_coop(dest, slot) {
            Ok(s) => coop::claim(s, generation, total, chunk),
            Err(_) => None,
        };
        let Some((off, len)) = piece else { return (false, false) };
        let res = match self.reqs.get(rid) {
            Some(Request { body: Body::Send(s), .. }) => self.shm.cma_write(dest, raddr + off as u64, |sink| s.buf.read(off, len, sink)),
            _ => Err(std::io::Error::other("the send went away")),
        };
        let Ok(s) = self.shm.peer_coop(dest, slot) else { return (false, true) };
        match res {
            Ok(()) => {
                coop::add_done(s, len);
                (true, true)
            }
            Err(_) => {
                // The receiver takes over the whole message; we write nothing more.
                coop::mark_failed(s, generation);
                (false, true)
            }
        }
    }

    /// The receiver copies one piece or finishes: (keep the entry, did work).
    fn coop_step(&mut self, i: usize) -> Result<(bool, bool)> {
        let (rid, src, slot, generation, total, chunk) = {
            let c = &self.coops[i];
            (c.rid, c.src, c.slot, c.generation, c.total, c.chunk)
        };
        let live = self.reqs.from_wire(self.coops[i].wire) == Some(rid) && matches!(self.reqs.get(rid), Some(Request { body: Body::Recv(r), done: false, .. }) if r.stage == RecvStage::Coop);
        let dead = self.ft.world.is_dead(src);
        if dead {
            // No one writes through the slot any more.
            if live {
                self.fail_recv_from_dead(rid, src);
            }
            return Ok((false, true));
        }
        if !live && self.coops[i].closed.is_none() {
            // Failed or revoked under us: stop the sender, then wait for its pieces in flight.
            let claimed = coop::close(self.shm.own_coop(slot), generation, total);
            self.coops[i].closed = Some(claimed - self.coops[i].mine);
        }
        if let Some(theirs) = self.coops[i].closed {
            let (done, _) = coop::progress(self.shm.own_coop(slot), generation);
            if done < theirs {
                return Ok((true, false));
            }
            if live {
                let detail = self.coops[i].error.take().unwrap_or_else(|| "the shared copy stopped".into());
                self.finish_coop(i, Some(detail))?;
            }
            return Ok((false, true));
        }
        if let Some((off, len)) = coop::claim(self.shm.own_coop(slot), generation, total, chunk) {
            match self.coop_read(i, off, len) {
                Ok(()) => self.coops[i].mine += len,
                Err(e) if e.raw_os_error() == Some(libc::ESRCH) => {
                    // The sender is gone: mpirun confirms it and the failure event ends the
                    // receive; the slot is free once the sender is known dead.
                    self.suspect(src);
                }
                Err(e) => {
                    self.coops[i].error = Some(format!("reading {total} bytes from rank {src} failed: {e}"));
                    self.coops[i].mine += len;
                    let claimed = coop::close(self.shm.own_coop(slot), generation, total);
                    self.coops[i].closed = Some(claimed - self.coops[i].mine);
                }
            }
            return Ok((true, true));
        }
        let (done, failed) = coop::progress(self.shm.own_coop(slot), generation);
        if failed {
            // The sender stopped after a failed write: copy the whole message ourselves.
            let error = self.coop_read(i, 0, total).err().map(|e| format!("reading {total} bytes from rank {src} failed: {e}"));
            self.finish_coop(i, error)?;
            return Ok((false, true));
        }
        if self.coops[i].mine + done >= total {
            self.finish_coop(i, None)?;
            return Ok((false, true));
        }
        Ok((true, false))
    }

    fn coop_read(&mut self, i: usize, off: usize, len: usize) -> std::io::Result<()> {
        let c = &self.coops[i];
        let (rid, src, saddr) = (c.rid, c.src, c.saddr);
        let pid = self.shm.pid(src);
        match self.reqs.get_mut(rid) {
            Some(Request { body: Body::Recv(r), .. }) => {
                let n = r.buf.with_io_slices_mut(off, len, |s| crate::transport::shm::cma::read(pid, saddr + off as u64, s))?;
                if n != len {
                    return Err(std::io::Error::other(format!("read {n} of {len} bytes")));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Every byte is in (or the copy failed with `error`): FIN to the sender, complete.
    fn finish_coop(&mut self, i: usize, error: Option<String>) -> Result<()> {
        let (rid, src, sreq) = (self.coops[i].rid, self.coops[i].src, self.coops[i].sreq);
        self.send_ctrl(src, Kind::Fin, sreq, 0)?;
        let mut st = self.reqs.get(rid).map(|r| r.status).unwrap_or_else(Status::empty);
        if let Some(e) = error {
            st.error = c::MPI_ERR_OTHER;
            if let Some(req) = self.reqs.get_mut(rid) {
                req.error_detail = Some(e);
            }
        }
        self.complete(rid, st);
        Ok(())
    }
}
