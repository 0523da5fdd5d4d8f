//! Collective operations over point-to-point messages on the communicator's collective
//! context, so they never match user messages.

use crate::core::error::Result;

use super::Runtime;
use super::p2p::Half;
use super::requests::{Buf, SendMode};

/// Reserved tags on the collective context.
pub const TAG_BARRIER: i32 = 1;
pub const TAG_CONTEXT_ID: i32 = 2;

impl Runtime {
    /// Blocking send of library-owned bytes on the collective context.
    pub fn coll_send(&mut self, comm: u32, dest: u32, tag: i32, data: Vec<u8>) -> Result<()> {
        let rid = self.new_send(comm, dest as i32, tag, Buf::Owned(data), SendMode::Standard, Half::Coll)?;
        self.start(rid)?;
        self.wait(rid).map(|_| ())
    }

    /// Blocking receive of `len` bytes on the collective context.
    pub fn coll_recv(&mut self, comm: u32, src: u32, tag: i32, len: usize) -> Result<Vec<u8>> {
        let rid = self.new_recv(comm, src as i32, tag, Buf::Owned(vec![0; len]), Half::Coll)?;
        self.start(rid)?;
        self.wait_until(|rt| rt.is_done(rid))?;
        match self.reqs.remove(rid).map(|r| r.body) {
            Some(super::requests::Body::Recv(r)) => match r.buf {
                Buf::Owned(v) => Ok(v),
                Buf::User(_) => unreachable!("collective scratch is library-owned"),
            },
            _ => Ok(Vec::new()),
        }
    }

    /// Dissemination barrier: ceil(log2 n) rounds, any n.
    pub fn barrier(&mut self, comm: u32) -> Result<()> {
        let (n, me) = {
            let c = self.comm(comm)?;
            (c.size(), c.rank)
        };
        let mut dist = 1;
        while dist < n {
            let to = (me + dist) % n;
            let from = (me + n - dist) % n;
            let rid = self.new_send(comm, to as i32, TAG_BARRIER, Buf::Owned(Vec::new()), SendMode::Standard, Half::Coll)?;
            self.start(rid)?;
            self.coll_recv(comm, from, TAG_BARRIER, 0)?;
            self.wait(rid)?;
            dist *= 2;
        }
        Ok(())
    }

    /// Bitwise AND of `words` over the communicator (binomial reduce to rank 0, then
    /// binomial broadcast): how members agree on a free context id.
    pub fn allreduce_band(&mut self, comm: u32, mut words: Vec<u64>) -> Result<Vec<u64>> {
        let (n, me) = {
            let c = self.comm(comm)?;
            (c.size(), c.rank)
        };
        let bytes = words.len() * 8;
        let to_bytes = |w: &[u64]| w.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
        let mut mask = 1;
        while mask < n {
            if me & mask != 0 {
                self.coll_send(comm, me - mask, TAG_CONTEXT_ID, to_bytes(&words))?;
                break;
            }
            if me + mask < n {
                let other = self.coll_recv(comm, me + mask, TAG_CONTEXT_ID, bytes)?;
                for (w, chunk) in words.iter_mut().zip(other.chunks_exact(8)) {
                    *w &= u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
                }
            }
            mask <<= 1;
        }
        // Broadcast from rank 0 down the same tree.
        let mut mask = 1;
        while mask < n {
            if me & mask != 0 {
                let data = self.coll_recv(comm, me - mask, TAG_CONTEXT_ID, bytes)?;
                for (w, chunk) in words.iter_mut().zip(data.chunks_exact(8)) {
                    *w = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
                }
                break;
            }
            mask <<= 1;
        }
        mask >>= 1;
        while mask > 0 {
            if me + mask < n {
                self.coll_send(comm, me + mask, TAG_CONTEXT_ID, to_bytes(&words))?;
            }
            mask >>= 1;
        }
        Ok(words)
    }
}
