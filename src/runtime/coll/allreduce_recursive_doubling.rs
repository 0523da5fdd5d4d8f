//! Recursive-doubling allreduce for short messages: log2(p) exchanges of the whole vector.
//! A non-power-of-two group first folds onto the largest power of two (the even ones of the
//! first 2 * rem ranks hand their data to the odd neighbour) and gets the result back at
//! the end. Partners combine in rank order, so non-commutative operations work.

use super::{Dst, Fold, Net, RECV, Reduction, SEND, Src};
use crate::core::error::Result;

/// Vectors up to this many bytes are combined in stack buffers.
const SMALL: usize = 256;

pub fn run<N: Net>(net: &mut N, red: &Reduction, count: usize) -> Result<()> {
    if count * red.elem <= SMALL {
        return run_small(net, red, count * red.elem);
    }
    let acc = net.read(SEND, 0, count * red.elem);
    let out = run_vec(net, red, acc)?;
    net.write(RECV, 0, &out);
    net.recycle(out);
    Ok(())
}

/// The algorithm on library memory: every member's `acc` in, the reduction out.
pub fn run_vec<N: Net>(net: &mut N, red: &Reduction, mut acc: Vec<u8>) -> Result<Vec<u8>> {
    let (p, me) = (net.size(), net.rank());
    let n = acc.len();
    let fold = Fold::new(p);
    if me < 2 * fold.rem {
        if me.is_multiple_of(2) {
            let s = net.send(me + 1, Src::Bytes(acc))?;
            let r = net.recv(me + 1, Dst::Bytes(n))?;
            net.wait_all(&[s, r])?;
            return Ok(net.take(r));
        }
        let other = net.recv_bytes(me - 1, n)?;
        let spare = red.fold(&mut acc, other, true);
        net.recycle(spare);
    }
    let newrank = fold.newrank(me).expect("active member");
    let mut mask = 1;
    while mask < fold.pof2 {
        let newdst = newrank ^ mask;
        let dst = fold.oldrank(newdst);
        let out = net.bytes_of(&acc);
        let other = net.sendrecv(dst, Src::Bytes(out), dst, Dst::Bytes(n))?.unwrap_or_default();
        let spare = red.fold(&mut acc, other, newdst < newrank);
        net.recycle(spare);
        mask <<= 1;
    }
    if me < 2 * fold.rem {
        let out = net.bytes_of(&acc);
        net.send_wait(me - 1, Src::Bytes(out))?;
    }
    Ok(acc)
}

/// [`run`] for a short vector of `n` bytes, with no library memory.
fn run_small<N: Net>(net: &mut N, red: &Reduction, n: usize) -> Result<()> {
    let (mut acc_buf, mut other_buf) = ([0u8; SMALL], [0u8; SMALL]);
    let (acc, other) = (&mut acc_buf[..n], &mut other_buf[..n]);
    net.read_into(SEND, 0, acc);
    let (p, me) = (net.size(), net.rank());
    let fold = Fold::new(p);
    if me < 2 * fold.rem {
        if me.is_multiple_of(2) {
            let s = net.send_slice(me + 1, acc)?;
            net.recv_into(me + 1, acc)?;
            net.wait_all(&[s])?;
            net.write(RECV, 0, acc);
            return Ok(());
        }
        net.recv_into(me - 1, other)?;
        red.fold_into(acc, other, true);
    }
    let newrank = fold.newrank(me).expect("active member");
    let mut mask = 1;
    while mask < fold.pof2 {
        let newdst = newrank ^ mask;
        let dst = fold.oldrank(newdst);
        let s = net.send_slice(dst, acc)?;
        net.recv_into(dst, other)?;
        net.wait_all(&[s])?;
        red.fold_into(acc, other, newdst < newrank);
        mask <<= 1;
    }
    if me < 2 * fold.rem {
        let s = net.send_slice(me - 1, acc)?;
        net.wait_all(&[s])?;
    }
    net.write(RECV, 0, acc);
    Ok(())
}
