//! Allgatherv: a ring, as for allgather, with blocks of any size and place (region 1 + i is
//! member i's block; region 0 the send buffer).

use super::gather_linear::own_block;
use super::{Dst, Net, Src};
use crate::core::error::Result;

pub fn run<N: Net>(net: &mut N, in_place: bool) -> Result<()> {
    let (p, me) = (net.size(), net.rank());
    if !in_place {
        own_block(net, 0, 1 + me as usize);
    }
    let (left, right) = ((me + p - 1) % p, (me + 1) % p);
    for k in 0..p.saturating_sub(1) {
        let out = 1 + ((me + p - k) % p) as usize;
        let inc = 1 + ((me + 2 * p - k - 1) % p) as usize;
        let (sl, rl) = (net.region_len(out), net.region_len(inc));
        net.sendrecv(right, Src::Region(out, 0, sl), left, Dst::Region(inc, 0, rl))?;
    }
    Ok(())
}
