//! Binomial-tree scatter for short blocks: the root sends each child its subtree's blocks
//! in one message (relative rank order), and every member keeps its block and passes the
//! rest on.

use super::gather_binomial::subtree;
use super::{Net, RECV, SEND, Src};
use crate::core::error::Result;

pub fn run<N: Net>(net: &mut N, root: u32, m: usize, in_place: bool) -> Result<()> {
    let (p, me) = (net.size(), net.rank());
    let rel = (me + p - root) % p;
    let actual = |r: u32| (r + root) % p;
    let low = subtree(rel, p);
    let data = if rel == 0 {
        // Blocks in relative order: root .. p, then 0 .. root.
        let mut d = net.read(SEND, root as usize * m, (p - root) as usize * m);
        d.extend_from_slice(&net.read(SEND, 0, root as usize * m));
        d
    } else {
        let blocks = low.min(p - rel) as usize;
        net.recv_bytes(actual(rel - low), blocks * m)?
    };
    if !(rel == 0 && in_place) {
        net.write(RECV, 0, &data[..m.min(data.len())]);
    }
    let mut reqs = Vec::new();
    let mut mask = low >> 1;
    while mask > 0 {
        let child = rel + mask;
        if child < p {
            let end = (child + mask).min(p);
            let piece = data[(mask as usize) * m..(end - rel) as usize * m].to_vec();
            reqs.push(net.send(actual(child), Src::Bytes(piece))?);
        }
        mask >>= 1;
    }
    net.wait_all(&reqs)
}
