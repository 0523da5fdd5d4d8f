//! Bruck's allgather for short messages on any number of members: in step k each member
//! sends the first min(2^k, p - 2^k) blocks it has (its own first) to the member 2^k below
//! and appends what comes from 2^k above; after ceil(log2 p) steps it holds everyone's,
//! rotated by its rank.

use super::{Dst, Net, RECV, SEND, Src};
use crate::core::error::Result;

pub fn run<N: Net>(net: &mut N, m: usize, in_place: bool) -> Result<()> {
    let (p, me) = (net.size(), net.rank());
    let mut tmp = if in_place { net.read(RECV, me as usize * m, m) } else { net.read(SEND, 0, m) };
    tmp.reserve(p as usize * m);
    let mut k = 1;
    while k < p {
        let cnt = k.min(p - k) as usize;
        let dst = (me + p - k) % p;
        let src = (me + k) % p;
        let got = net.sendrecv(dst, Src::Bytes(tmp[..cnt * m].to_vec()), src, Dst::Bytes(cnt * m))?.unwrap_or_default();
        tmp.extend_from_slice(&got);
        k *= 2;
    }
    // Block j of tmp belongs to rank me + j (mod p).
    let split = (p - me) as usize * m;
    net.write(RECV, me as usize * m, &tmp[..split]);
    net.write(RECV, 0, &tmp[split..p as usize * m]);
    Ok(())
}
