//! Reduce-scatter for short messages and non-commutative operations: a binomial reduce of the
//! whole vector to rank 0 (in rank order), then rank 0 sends each member its block.

use super::reduce_binomial::reduce_to;
use super::{Dst, Net, RECV, Reduction, Src};
use crate::core::error::Result;

pub fn run<N: Net>(net: &mut N, red: &Reduction, counts: &[usize]) -> Result<()> {
    let (p, me) = (net.size(), net.rank());
    let e = red.elem;
    let total: usize = counts.iter().sum::<usize>() * e;
    let acc = reduce_to(net, red, 0, total)?;
    match acc {
        Some(acc) => {
            let mut reqs = Vec::new();
            let mut off = 0;
            for (i, &c) in counts.iter().enumerate().take(p as usize) {
                let len = c * e;
                if i == 0 {
                    net.write(RECV, 0, &acc[..len]);
                } else {
                    let out = net.bytes_of(&acc[off..off + len]);
                    reqs.push(net.send(i as u32, Src::Bytes(out))?);
                }
                off += len;
            }
            net.recycle(acc);
            net.wait_all(&reqs)
        }
        None => {
            let r = net.recv(0, Dst::Region(RECV, 0, counts[me as usize] * e))?;
            net.wait_all(&[r])
        }
    }
}
