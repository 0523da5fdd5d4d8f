//! Inclusive and exclusive scan by recursive doubling: in step k members 2^k apart swap the
//! partial reduction of the aligned block of 2^k ranks they hold; a member folds what comes
//! from below into both its partial and its result (below comes first, for non-commutative
//! operations). log2(p) steps for any p.

use super::{Dst, Net, RECV, Reduction, SEND, Src};
use crate::core::error::Result;

pub fn run<N: Net>(net: &mut N, red: &Reduction, count: usize, exclusive: bool) -> Result<()> {
    let (p, me) = (net.size(), net.rank());
    let n = count * red.elem;
    let mut partial = net.read(SEND, 0, n);
    let mut result = if exclusive { None } else { Some(net.bytes_of(&partial)) };
    let mut mask = 1;
    while mask < p {
        let dst = me ^ mask;
        if dst < p {
            let out = net.bytes_of(&partial);
            let other = net.sendrecv(dst, Src::Bytes(out), dst, Dst::Bytes(n))?.unwrap_or_default();
            if dst < me {
                let copy = net.bytes_of(&other);
                match result.as_mut() {
                    Some(r) => {
                        let spare = red.fold(r, copy, true);
                        net.recycle(spare);
                    }
                    None => result = Some(copy),
                }
            }
            let spare = red.fold(&mut partial, other, dst < me);
            net.recycle(spare);
        }
        mask <<= 1;
    }
    if let Some(r) = result {
        net.write(RECV, 0, &r);
        net.recycle(r);
    }
    net.recycle(partial);
    Ok(())
}
