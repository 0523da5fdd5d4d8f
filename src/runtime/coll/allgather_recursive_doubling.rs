//! Recursive-doubling allgather (power-of-two groups): in step k members 2^k apart swap
//! everything they have, so log2(p) steps; the blocks stay in place in the receive buffer.

use super::{Dst, Net, RECV, SEND, Src};
use crate::core::error::Result;

pub fn run<N: Net>(net: &mut N, m: usize, in_place: bool) -> Result<()> {
    let (p, me) = (net.size(), net.rank());
    debug_assert!(p.is_power_of_two());
    if !in_place {
        net.copy((SEND, 0), (RECV, me as usize * m), m);
    }
    let mut mask = 1;
    while mask < p {
        let partner = me ^ mask;
        let mine = (me & !(mask - 1)) as usize * m;
        let theirs = (partner & !(mask - 1)) as usize * m;
        let len = mask as usize * m;
        net.sendrecv(partner, Src::Region(RECV, mine, len), partner, Dst::Region(RECV, theirs, len))?;
        mask <<= 1;
    }
    Ok(())
}
