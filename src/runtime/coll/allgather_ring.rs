//! Ring allgather for long messages: p - 1 steps; in each, every member passes the block it
//! received last to its right neighbour. Blocks go straight from one receive buffer to the
//! next.

use super::{Dst, Net, RECV, SEND, Src};
use crate::core::error::Result;

pub fn run<N: Net>(net: &mut N, m: usize, in_place: bool) -> Result<()> {
    let (p, me) = (net.size(), net.rank());
    if !in_place {
        net.copy((SEND, 0), (RECV, me as usize * m), m);
    }
    let (left, right) = ((me + p - 1) % p, (me + 1) % p);
    for k in 0..p.saturating_sub(1) {
        let out = ((me + p - k) % p) as usize;
        let inc = ((me + 2 * p - k - 1) % p) as usize;
        net.sendrecv(right, Src::Region(RECV, out * m, m), left, Dst::Region(RECV, inc * m, m))?;
    }
    Ok(())
}
