//! Dissemination barrier: in round k every member signals the one 2^k ahead and waits for
//! the one 2^k behind; after ceil(log2 p) rounds everyone has heard from everyone. Any p.

use super::{Dst, Net, Src};
use crate::core::error::Result;

pub fn run<N: Net>(net: &mut N) -> Result<()> {
    let (p, me) = (net.size(), net.rank());
    let mut dist = 1;
    while dist < p {
        net.sendrecv((me + dist) % p, Src::Bytes(Vec::new()), (me + p - dist) % p, Dst::Bytes(0))?;
        dist *= 2;
    }
    Ok(())
}
