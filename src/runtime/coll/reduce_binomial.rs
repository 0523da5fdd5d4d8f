//! Binomial-tree reduce: each member folds in the partial results of its subtrees (posted
//! together, folded in rank order as they complete) and sends the sum to its parent. For a
//! non-commutative operation the tree is rooted at rank 0, where the subtrees line up in rank
//! order, and rank 0 then hands the result to the root.

use super::{Dst, Net, RECV, Reduction, SEND, Src};
use crate::core::error::Result;

pub fn run<N: Net>(net: &mut N, red: &Reduction, root: u32, count: usize) -> Result<()> {
    let n = count * red.elem;
    let me = net.rank();
    let tree_root = if red.commutative { root } else { 0 };
    let acc = reduce_to(net, red, tree_root, n)?;
    if tree_root == root {
        if let Some(acc) = acc {
            net.write(RECV, 0, &acc);
            net.recycle(acc);
        }
    } else if let Some(acc) = acc {
        net.send_wait(root, Src::Bytes(acc))?;
    } else if me == root {
        let r = net.recv(0, Dst::Region(RECV, 0, n))?;
        net.wait_all(&[r])?;
    }
    Ok(())
}

/// Reduces the `n` bytes of every member's send region to `root`; the result comes back
/// there, `None` elsewhere.
pub fn reduce_to<N: Net>(net: &mut N, red: &Reduction, root: u32, n: usize) -> Result<Option<Vec<u8>>> {
    let (p, me) = (net.size(), net.rank());
    let rel = (me + p - root) % p;
    let mut acc = net.read(SEND, 0, n);
    let mut kids = Vec::new();
    let mut mask = 1;
    while mask < p {
        if rel & mask != 0 {
            break;
        }
        let child = rel | mask;
        if child < p {
            kids.push(net.recv((child + root) % p, Dst::Bytes(n))?);
        }
        mask <<= 1;
    }
    // Subtrees in increasing mask cover increasing ranks: fold each after the ones below.
    for k in kids {
        net.wait_all(&[k])?;
        let other = net.take(k);
        let spare = red.fold(&mut acc, other, false);
        net.recycle(spare);
    }
    if rel == 0 {
        return Ok(Some(acc));
    }
    net.send_wait(((rel - mask) + root) % p, Src::Bytes(acc))?;
    Ok(None)
}
