//! Progress and waiting: poll the transport, feed frames to the protocol, retry queued
//! frames; when nothing happens, spin briefly, then yield, then sleep on the doorbell, so
//! that more ranks than cores still finish quickly.

use std::time::Duration;

use crate::abi::consts as c;
use crate::core::error::{MpiError, Result};

use super::Runtime;
use super::requests::{Request, Status};

/// How long a sleeping rank waits before it looks at its launcher connection again.
const SLEEP_SLICE: Duration = Duration::from_millis(200);
/// Frames handled per poll before queued sends get a turn.
const FRAMES_PER_POLL: usize = 64;

impl Runtime {
    /// One round of progress. Returns whether anything happened.
    pub fn progress(&mut self) -> Result<bool> {
        self.progress_skipping(usize::MAX)
    }

    /// [`Runtime::progress`] without reading the ring of sender `skip`: a receive waiting
    /// for that sender reads it itself, and would otherwise find its message set aside.
    pub(super) fn progress_skipping(&mut self, skip: usize) -> Result<bool> {
        let mut did = self.ft_poll()?;
        // TCP peers' frames reach their rings on this thread too, so that a rank polling
        // with MPI_Test gets them as soon as one that waits does (a reader thread would have
        // to be woken for each).
        did |= self.shm.poll_sockets();
        if self.shm.tcp_news() {
            // A TCP connection broke: the peer is suspected like a vanished local one.
            for r in self.shm.take_lost() {
                self.suspect(r);
            }
            did = true;
        }
        for _ in 0..FRAMES_PER_POLL {
            match self.shm.poll_frame_skipping(skip) {
                None => break,
                Some(Ok(f)) => {
                    did = true;
                    self.handle_frame(f)?;
                }
                Some(Err(bad)) => {
                    did = true;
                    self.reject(bad.src, &format!("malformed frame rejected: {}", bad.error));
                }
            }
        }
        if self.has_outbound_work() {
            did |= self.flush_pending()?;
            did |= self.push_streams()?;
            did |= self.pump_coops()?;
        }
        Ok(did)
    }

    /// Progresses until `done` holds.
    pub fn wait_until(&mut self, mut done: impl FnMut(&Runtime) -> bool) -> Result<()> {
        self.wait_until_mut(|rt| Ok(done(rt)))
    }

    /// [`Runtime::wait_until`] with a condition that may do work itself (take a message).
    pub fn wait_until_mut(&mut self, mut done: impl FnMut(&mut Runtime) -> Result<bool>) -> Result<()> {
        let mut idle: u32 = 0;
        loop {
            if done(self)? {
                return Ok(());
            }
            if self.progress()? {
                idle = 0;
                continue;
            }
            self.idle_round(&mut idle);
        }
    }

    /// What a waiting loop does after a round in which nothing happened: spin briefly,
    /// then yield, then sleep on the doorbell.
    pub(super) fn idle_round(&mut self, idle: &mut u32) {
        *idle = idle.saturating_add(1);
        if *idle < self.config.spin {
            std::hint::spin_loop();
        } else if *idle < self.config.spin + self.config.yields || self.has_outbound_work() {
            // A full peer ring frees up without ringing our doorbell: keep polling.
            std::thread::yield_now();
        } else {
            // The control thread rings the doorbell when mpirun has news (a failure, the
            // end of an agreement, or its own end).
            let inbox = &self.ft;
            self.shm.sleep_unless(SLEEP_SLICE, || inbox.inbox_pending());
            *idle = self.config.spin;
        }
    }

    fn request(&self, rid: u32) -> Result<&Request> {
        self.reqs.get(rid).ok_or_else(|| MpiError::new(c::MPI_ERR_REQUEST, "Invalid MPI_Request: it does not exist"))
    }

    /// Takes the result of a completed request: frees it unless persistent.
    pub fn finish(&mut self, rid: u32) -> (Status, Option<String>) {
        let Some(req) = self.reqs.get_mut(rid) else { return (Status::empty(), None) };
        let st = req.status;
        let detail = req.error_detail.take();
        if req.persistent {
            req.active = false;
        } else {
            self.reqs.remove(rid);
        }
        (st, detail)
    }

    /// True when `rid` is complete or is an inactive persistent request.
    pub fn is_done(&self, rid: u32) -> bool {
        self.reqs.get(rid).is_none_or(|r| r.done || (r.persistent && !r.active))
    }

    /// MPI_Wait on one request; returns its status (the empty one for inactive requests).
    pub fn wait(&mut self, rid: u32) -> Result<(Status, Option<String>)> {
        let r = self.request(rid)?;
        if r.persistent && !r.active {
            return Ok((Status::empty(), None));
        }
        self.wait_until(|rt| rt.is_done(rid))?;
        Ok(self.finish(rid))
    }

    /// MPI_Test on one request.
    pub fn test(&mut self, rid: u32) -> Result<Option<(Status, Option<String>)>> {
        let r = self.request(rid)?;
        if r.persistent && !r.active {
            return Ok(Some((Status::empty(), None)));
        }
        if !self.is_done(rid) {
            self.progress()?;
        }
        if self.is_done(rid) { Ok(Some(self.finish(rid))) } else { Ok(None) }
    }

    /// Checks that a request exists.
    pub fn check_request(&self, rid: u32) -> Result<()> {
        self.request(rid).map(|_| ())
    }

    /// MPI_Request_free.
    pub fn request_free(&mut self, rid: u32) -> Result<()> {
        let r = self.request(rid)?;
        if r.done || (r.persistent && !r.active) {
            self.reqs.remove(rid);
        } else if let Some(r) = self.reqs.get_mut(rid) {
            r.free_when_done = true;
            r.persistent = false;
        }
        Ok(())
    }

    /// A persistent request: made like a normal one, then parked until MPI_Start.
    pub fn make_persistent(&mut self, rid: u32) {
        if let Some(r) = self.reqs.get_mut(rid) {
            r.persistent = true;
            r.active = false;
        }
    }
}
