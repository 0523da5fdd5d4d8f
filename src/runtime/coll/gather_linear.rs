//! Linear gather for long blocks, and gatherv: the root posts a receive per member straight
//! into its block of the receive buffer.

use super::{Dst, Net, RECV, SEND, Src};
use crate::core::error::{MpiError, Result};

pub fn run<N: Net>(net: &mut N, root: u32, m: usize, in_place: bool) -> Result<()> {
    let (p, me) = (net.size(), net.rank());
    if me != root {
        return net.send_wait(root, Src::Region(SEND, 0, m));
    }
    let mut reqs = Vec::new();
    for k in 1..p {
        let i = (me + k) % p;
        reqs.push(net.recv(i, Dst::Region(RECV, i as usize * m, m))?);
    }
    if !in_place {
        net.copy((SEND, 0), (RECV, me as usize * m), m);
    }
    net.wait_all(&reqs)
}

/// Gatherv: region 0 is the send buffer, region 1 + i the root's block for member i.
pub fn run_v<N: Net>(net: &mut N, root: u32, in_place: bool) -> Result<()> {
    let (p, me) = (net.size(), net.rank());
    if me != root {
        let n = net.region_len(0);
        return net.send_wait(root, Src::Region(0, 0, n));
    }
    let mut reqs = Vec::new();
    for k in 1..p {
        let i = ((me + k) % p) as usize;
        let n = net.region_len(1 + i);
        reqs.push(net.recv(i as u32, Dst::Region(1 + i, 0, n))?);
    }
    if !in_place {
        own_block(net, 0, 1 + me as usize);
    }
    net.wait_all(&reqs)
}

/// Copies this member's own block between regions; more data than room is a truncation.
pub fn own_block<N: Net>(net: &mut N, from: usize, to: usize) {
    let (have, room) = (net.region_len(from), net.region_len(to));
    net.copy((from, 0), (to, 0), have.min(room));
    if have > room {
        net.fail(MpiError::new(
            crate::abi::consts::MPI_ERR_TRUNCATE,
            format!("Message truncated; {have} bytes received but buffer size is {room}"),
        ));
    }
}
