//! Pairwise-exchange alltoall for long blocks: p - 1 steps, in step k each member sends to
//! rank + k and receives from rank - k, so every member has one exchange in flight and
//! bandwidth is shared evenly.

use super::{Dst, Net, RECV, SEND, Src};
use crate::core::error::Result;

pub fn run<N: Net>(net: &mut N, m: usize) -> Result<()> {
    let (p, me) = (net.size(), net.rank());
    net.copy((SEND, me as usize * m), (RECV, me as usize * m), m);
    for k in 1..p {
        let (dst, src) = if p.is_power_of_two() { (me ^ k, me ^ k) } else { ((me + k) % p, (me + p - k) % p) };
        net.sendrecv(dst, Src::Region(SEND, dst as usize * m, m), src, Dst::Region(RECV, src as usize * m, m))?;
    }
    Ok(())
}
