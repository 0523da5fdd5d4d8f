//! Alltoall for short and medium blocks, and alltoallv: every receive and send posted at
//! once (in batches, so a large group does not flood the rings), each straight between the
//! user buffers. Partners are visited in a staggered order (rank + k, rank - k) so that not
//! everyone sends to the same member first.

use super::gather_linear::own_block;
use super::{Dst, Net, RECV, SEND, Src};
use crate::core::error::Result;

/// Pairs of operations in flight at once.
const BATCH: u32 = 32;

pub fn run<N: Net>(net: &mut N, m: usize) -> Result<()> {
    let (p, me) = (net.size(), net.rank());
    net.copy((SEND, me as usize * m), (RECV, me as usize * m), m);
    if p == 2 {
        // One partner: a short block leaves at once (no request), and the blocking receive
        // takes the partner's block straight from the ring.
        let peer = 1 - me;
        let s = net.send(peer, Src::Region(SEND, peer as usize * m, m))?;
        net.recv_wait(peer, Dst::Region(RECV, peer as usize * m, m))?;
        return net.wait_all(&[s]);
    }
    let mut k = 1;
    while k < p {
        let end = (k + BATCH).min(p);
        let mut reqs = Vec::new();
        for j in k..end {
            let src = ((me + j) % p) as usize;
            reqs.push(net.recv(src as u32, Dst::Region(RECV, src * m, m))?);
        }
        for j in k..end {
            let dst = ((me + p - j) % p) as usize;
            reqs.push(net.send(dst as u32, Src::Region(SEND, dst * m, m))?);
        }
        net.wait_all(&reqs)?;
        k = end;
    }
    Ok(())
}

/// Alltoallv: regions 0..p are the send blocks, p..2p the receive blocks.
pub fn run_v<N: Net>(net: &mut N) -> Result<()> {
    let (p, me) = (net.size(), net.rank());
    let pu = p as usize;
    own_block(net, me as usize, pu + me as usize);
    let mut k = 1;
    while k < p {
        let end = (k + BATCH).min(p);
        let mut reqs = Vec::new();
        for j in k..end {
            let src = ((me + j) % p) as usize;
            let n = net.region_len(pu + src);
            reqs.push(net.recv(src as u32, Dst::Region(pu + src, 0, n))?);
        }
        for j in k..end {
            let dst = ((me + p - j) % p) as usize;
            let n = net.region_len(dst);
            reqs.push(net.send(dst as u32, Src::Region(dst, 0, n))?);
        }
        net.wait_all(&reqs)?;
        k = end;
    }
    Ok(())
}
