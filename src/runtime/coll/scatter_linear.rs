//! Linear scatter for long blocks, and scatterv: the root sends every member its block
//! straight from the send buffer.

use super::gather_linear::own_block;
use super::{Dst, Net, RECV, SEND, Src};
use crate::core::error::Result;

pub fn run<N: Net>(net: &mut N, root: u32, m: usize, in_place: bool) -> Result<()> {
    let (p, me) = (net.size(), net.rank());
    if me != root {
        let r = net.recv(root, Dst::Region(RECV, 0, m))?;
        return net.wait_all(&[r]);
    }
    let mut reqs = Vec::new();
    for k in 1..p {
        let i = (me + k) % p;
        reqs.push(net.send(i, Src::Region(SEND, i as usize * m, m))?);
    }
    if !in_place {
        net.copy((SEND, me as usize * m), (RECV, 0), m);
    }
    net.wait_all(&reqs)
}

/// Scatterv: region 0 is the receive buffer, region 1 + i the root's block for member i.
pub fn run_v<N: Net>(net: &mut N, root: u32, in_place: bool) -> Result<()> {
    let (p, me) = (net.size(), net.rank());
    if me != root {
        let n = net.region_len(0);
        let r = net.recv(root, Dst::Region(0, 0, n))?;
        return net.wait_all(&[r]);
    }
    let mut reqs = Vec::new();
    for k in 1..p {
        let i = ((me + k) % p) as usize;
        let n = net.region_len(1 + i);
        reqs.push(net.send(i as u32, Src::Region(1 + i, 0, n))?);
    }
    if !in_place {
        own_block(net, 1 + me as usize, 0);
    }
    net.wait_all(&reqs)
}
