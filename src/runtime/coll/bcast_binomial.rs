//! Binomial-tree broadcast: ceil(log2 p) rounds; each member receives the whole message once
//! from its parent, straight into its buffer, and forwards it to its children, largest
//! subtree first.

use super::{Dst, Net, Region, Req, Src};
use crate::core::error::Result;

pub fn run<N: Net>(net: &mut N, root: u32, buf: Region, n: usize) -> Result<()> {
    let (p, me) = (net.size(), net.rank());
    let rel = (me + p - root) % p;
    let mut mask = 1;
    while mask < p {
        if rel & mask != 0 {
            let parent = (me + p - mask) % p;
            net.recv_wait(parent, Dst::Region(buf, 0, n))?;
            break;
        }
        mask <<= 1;
    }
    // At most one child per bit of the rank.
    let mut reqs = [Req { id: 0, keep: false }; 32];
    let mut k = 0;
    mask >>= 1;
    while mask > 0 {
        if rel + mask < p {
            reqs[k] = net.send((me + mask) % p, Src::Region(buf, 0, n))?;
            k += 1;
        }
        mask >>= 1;
    }
    net.wait_all(&reqs[..k])
}
