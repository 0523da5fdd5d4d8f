//! Every algorithm at every group size from 1 to 64, in-process: members are threads, the
//! network is a channel per ordered pair, and results are checked against a local
//! computation. Receives from one member match its sends in order (as in MPI); every message
//! must have exactly the length the receiver expects, and none may be left over.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, unbounded};

use super::*;
use crate::core::error::{MpiError, Result};

enum TReq {
    Sent,
    Recv { from: u32, dst: Dst, data: Option<Vec<u8>> },
    Taken,
}

struct TestNet {
    rank: u32,
    size: u32,
    tx: Vec<Sender<Vec<u8>>>,
    rx: Vec<Receiver<Vec<u8>>>,
    regions: Vec<Vec<u8>>,
    reqs: Vec<TReq>,
    posted: Vec<VecDeque<u32>>,
    error: Option<MpiError>,
}

impl TestNet {
    fn deliver(&mut self, id: u32, msg: Vec<u8>) {
        let TReq::Recv { dst, data, from } = &mut self.reqs[id as usize] else { panic!("not a receive") };
        let want = match *dst {
            Dst::Bytes(n) => n,
            Dst::Region(_, _, n) => n,
        };
        assert_eq!(msg.len(), want, "rank {} got {} bytes from {from}, expected {want}", self.rank, msg.len());
        match *dst {
            Dst::Bytes(_) => *data = Some(msg),
            Dst::Region(r, off, n) => {
                self.regions[r][off..off + n].copy_from_slice(&msg);
                *data = Some(Vec::new());
            }
        }
    }
}

impl Net for TestNet {
    fn rank(&self) -> u32 {
        self.rank
    }
    fn size(&self) -> u32 {
        self.size
    }
    fn send(&mut self, to: u32, src: Src) -> Result<Req> {
        assert!(to < self.size && to != self.rank, "rank {} sends to {to}", self.rank);
        let data = match src {
            Src::Bytes(v) => v,
            Src::Region(r, off, len) => self.regions[r][off..off + len].to_vec(),
        };
        self.tx[to as usize].send(data).expect("peer alive");
        self.reqs.push(TReq::Sent);
        Ok(Req { id: self.reqs.len() as u32 - 1, keep: false })
    }
    fn recv(&mut self, from: u32, dst: Dst) -> Result<Req> {
        assert!(from < self.size && from != self.rank, "rank {} receives from {from}", self.rank);
        let id = self.reqs.len() as u32;
        self.reqs.push(TReq::Recv { from, dst, data: None });
        self.posted[from as usize].push_back(id);
        Ok(Req { id, keep: matches!(dst, Dst::Bytes(_)) })
    }
    fn wait_all(&mut self, reqs: &[Req]) -> Result<()> {
        for r in reqs {
            loop {
                let from = match &self.reqs[r.id as usize] {
                    TReq::Recv { data: None, from, .. } => *from,
                    _ => break,
                };
                let msg = self.rx[from as usize]
                    .recv_timeout(Duration::from_secs(30))
                    .unwrap_or_else(|_| panic!("rank {} waits forever for {from}", self.rank));
                let first = self.posted[from as usize].pop_front().expect("a posted receive");
                self.deliver(first, msg);
            }
        }
        Ok(())
    }
    fn take(&mut self, req: Req) -> Vec<u8> {
        match std::mem::replace(&mut self.reqs[req.id as usize], TReq::Taken) {
            TReq::Recv { data: Some(d), .. } => d,
            _ => panic!("take of an unfinished or non-byte receive"),
        }
    }
    fn read(&self, region: Region, offset: usize, len: usize) -> Vec<u8> {
        self.regions[region][offset..offset + len].to_vec()
    }
    fn write(&mut self, region: Region, offset: usize, data: &[u8]) {
        self.regions[region][offset..offset + data.len()].copy_from_slice(data);
    }
    fn region_len(&self, region: Region) -> usize {
        self.regions[region].len()
    }
    fn fail(&mut self, error: MpiError) {
        self.error.get_or_insert(error);
    }
}

/// Runs `f` on `p` members whose regions `init(rank)` gives; returns every member's regions.
fn run<F>(p: u32, init: impl Fn(u32) -> Vec<Vec<u8>>, f: F) -> Vec<Vec<Vec<u8>>>
where
    F: Fn(&mut TestNet) -> Result<()> + Sync,
{
    let pu = p as usize;
    let mut tx: Vec<Vec<Sender<Vec<u8>>>> = vec![Vec::new(); pu];
    let mut rx: Vec<Vec<Receiver<Vec<u8>>>> = vec![Vec::new(); pu];
    for s in 0..pu {
        for _ in 0..pu {
            let (t, r) = unbounded();
            tx[s].push(t);
            rx[s].push(r);
        }
    }
    // rx[s][d] carries s -> d; member d reads column d.
    let mut nets: Vec<TestNet> = (0..pu)
        .map(|d| TestNet {
            rank: d as u32,
            size: p,
            tx: tx[d].clone(),
            rx: (0..pu).map(|s| rx[s][d].clone()).collect(),
            regions: init(d as u32),
            reqs: Vec::new(),
            posted: vec![VecDeque::new(); pu],
            error: None,
        })
        .collect();
    std::thread::scope(|s| {
        let hs: Vec<_> = nets.iter_mut().map(|n| s.spawn(|| f(n).expect("algorithm failed"))).collect();
        for h in hs {
            h.join().expect("member panicked");
        }
    });
    for n in &nets {
        for (s, r) in n.rx.iter().enumerate() {
            assert!(r.is_empty(), "rank {} has unreceived messages from {s}", n.rank);
        }
        assert!(n.posted.iter().all(|q| q.is_empty()), "rank {} has unmatched receives", n.rank);
        assert!(n.error.is_none(), "rank {}: {:?}", n.rank, n.error);
    }
    nets.into_iter().map(|n| n.regions).collect()
}

fn sizes() -> impl Iterator<Item = u32> {
    (1..=17).chain([24, 31, 32, 33, 48, 63, 64])
}

fn pattern(seed: u32, n: usize) -> Vec<u8> {
    (0..n).map(|i| (i as u32).wrapping_mul(131).wrapping_add(seed.wrapping_mul(7919)).wrapping_add((i >> 8) as u32) as u8).collect()
}

// ---- operations: a commutative one (i64 sum) and a non-commutative one (2x2 matrices) ----

fn sum_i64() -> Reduction {
    Reduction::builtin(crate::core::op::Builtin::Sum, crate::core::op::Kind::I64)
}

type Mat = [u64; 4];

fn mat_mul(a: Mat, b: Mat) -> Mat {
    let m = |x: u64, y: u64| x.wrapping_mul(y);
    [
        m(a[0], b[0]).wrapping_add(m(a[1], b[2])),
        m(a[0], b[1]).wrapping_add(m(a[1], b[3])),
        m(a[2], b[0]).wrapping_add(m(a[3], b[2])),
        m(a[2], b[1]).wrapping_add(m(a[3], b[3])),
    ]
}

fn mats(v: &[u8]) -> Vec<Mat> {
    v.chunks_exact(32).map(|c| std::array::from_fn(|k| u64::from_le_bytes(c[k * 8..k * 8 + 8].try_into().unwrap()))).collect()
}

fn mat_bytes(ms: &[Mat]) -> Vec<u8> {
    ms.iter().flat_map(|m| m.iter().flat_map(|x| x.to_le_bytes())).collect()
}

/// `inout = in * inout`: associative, not commutative.
fn matrix_product() -> Reduction {
    let f: ReduceFn = Arc::new(|a: &[u8], b: &mut [u8]| {
        let out: Vec<Mat> = mats(a).into_iter().zip(mats(b)).map(|(x, y)| mat_mul(x, y)).collect();
        b.copy_from_slice(&mat_bytes(&out));
    });
    Reduction::new(f, false, 32)
}

fn contribution(rank: u32, count: usize, noncomm: bool) -> Vec<u8> {
    if noncomm {
        let ms: Vec<Mat> = (0..count)
            .map(|i| {
                let (r, i) = (rank as u64, i as u64);
                [r + 2, i + 1, (r * 3 + i) % 5 + 1, r % 3 + 1]
            })
            .collect();
        mat_bytes(&ms)
    } else {
        (0..count).flat_map(|i| ((rank as i64 + 1) * 1000 + i as i64).to_le_bytes()).collect()
    }
}

/// The reduction of ranks `lo..hi` (in order), computed locally.
fn expected(lo: u32, hi: u32, count: usize, noncomm: bool) -> Vec<u8> {
    let red = if noncomm { matrix_product() } else { sum_i64() };
    let mut acc = contribution(lo, count, noncomm);
    for r in lo + 1..hi {
        let _ = red.fold(&mut acc, contribution(r, count, noncomm), false);
    }
    acc
}

fn elem(noncomm: bool) -> usize {
    if noncomm { 32 } else { 8 }
}

// ---- tests ----

#[test]
fn barrier_completes() {
    for p in sizes() {
        run(p, |_| Vec::new(), barrier_dissemination::run);
    }
}

#[test]
fn bcast_all_algorithms() {
    for p in sizes() {
        for n in [0usize, 1, 5, 100, 1000] {
            for root in [0, p / 2, p - 1] {
                let init = |r: u32| vec![if r == root { pattern(root, n) } else { vec![0; n] }];
                let a = run(p, init, |net| bcast_binomial::run(net, root, 0, n));
                let b = run(p, init, |net| bcast_scatter_ring::run(net, root, 0, n));
                for regs in a.iter().chain(&b) {
                    assert_eq!(regs[0], pattern(root, n), "p={p} n={n} root={root}");
                }
            }
        }
    }
}

/// Regions for the reductions: send holds the contribution, recv is zero (or, in place,
/// holds the contribution too and send is unused... the algorithms read SEND first, so
/// the in-place case is the same data in both).
fn red_regions(rank: u32, count: usize, noncomm: bool) -> Vec<Vec<u8>> {
    vec![contribution(rank, count, noncomm), vec![0; count * elem(noncomm)]]
}

#[test]
fn reduce_all_algorithms() {
    for p in sizes() {
        for noncomm in [false, true] {
            let red = if noncomm { matrix_product() } else { sum_i64() };
            for count in [1usize, 3, 37] {
                let want = expected(0, p, count, noncomm);
                for root in [0, p - 1, p / 3] {
                    let init = |r| red_regions(r, count, noncomm);
                    let a = run(p, init, |net| reduce_binomial::run(net, &red, root, count));
                    let b = run(p, init, |net| reduce_rabenseifner::run(net, &red, root, count));
                    assert_eq!(a[root as usize][RECV], want, "binomial p={p} count={count} root={root} noncomm={noncomm}");
                    assert_eq!(b[root as usize][RECV], want, "rabenseifner p={p} count={count} root={root} noncomm={noncomm}");
                }
            }
        }
    }
}

#[test]
fn allreduce_all_algorithms() {
    for p in sizes() {
        for noncomm in [false, true] {
            let red = if noncomm { matrix_product() } else { sum_i64() };
            for count in [1usize, 2, 37, 130] {
                let want = expected(0, p, count, noncomm);
                let init = |r| red_regions(r, count, noncomm);
                let mut results = vec![
                    ("recursive doubling", run(p, init, |net| allreduce_recursive_doubling::run(net, &red, count))),
                    ("rabenseifner", run(p, init, |net| allreduce_rabenseifner::run(net, &red, count))),
                ];
                if !noncomm {
                    results.push(("ring", run(p, init, |net| allreduce_ring::run(net, &red, count))));
                }
                for (name, res) in results {
                    for (r, regs) in res.iter().enumerate() {
                        assert_eq!(regs[RECV], want, "{name} p={p} count={count} rank={r} noncomm={noncomm}");
                    }
                }
            }
        }
    }
}

#[test]
fn gather_and_scatter_all_algorithms() {
    for p in sizes() {
        for m in [0usize, 1, 13] {
            for root in [0, p - 1, p / 2] {
                let whole: Vec<u8> = (0..p).flat_map(|r| pattern(r, m)).collect();
                for in_place in [false, true] {
                    // Gather: send = own block; recv at root.
                    let init = |r: u32| {
                        let mut recv = vec![0; if r == root { p as usize * m } else { 0 }];
                        if r == root && in_place {
                            recv[r as usize * m..(r as usize + 1) * m].copy_from_slice(&pattern(r, m));
                        }
                        vec![if r == root && in_place { Vec::new() } else { pattern(r, m) }, recv]
                    };
                    let ip = |r: u32| in_place && r == root;
                    let a = run(p, init, |net| gather_binomial::run(net, root, m, ip(net.rank)));
                    let b = run(p, init, |net| gather_linear::run(net, root, m, ip(net.rank)));
                    assert_eq!(a[root as usize][RECV], whole, "gather binomial p={p} m={m} root={root}");
                    assert_eq!(b[root as usize][RECV], whole, "gather linear p={p} m={m} root={root}");
                    // Scatter: send at root; recv = own block.
                    let init = |r: u32| {
                        let send = if r == root { whole.clone() } else { Vec::new() };
                        vec![send, vec![0; if ip(r) { 0 } else { m }]]
                    };
                    let a = run(p, init, |net| scatter_binomial::run(net, root, m, ip(net.rank)));
                    let b = run(p, init, |net| scatter_linear::run(net, root, m, ip(net.rank)));
                    for r in 0..p {
                        if !ip(r) {
                            assert_eq!(a[r as usize][RECV], pattern(r, m), "scatter binomial p={p} m={m} root={root} r={r}");
                            assert_eq!(b[r as usize][RECV], pattern(r, m), "scatter linear p={p} m={m} root={root} r={r}");
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn gatherv_scatterv_allgatherv_alltoallv() {
    for p in sizes() {
        let len = |i: u32| (i as usize * 7 + 3) % 11;
        let root = p / 2;
        // Gatherv: region 0 send, 1 + i blocks at the root.
        let init = |r: u32| {
            let mut regs = vec![pattern(r, len(r))];
            regs.extend((0..p).map(|i| vec![0; if r == root { len(i) } else { 0 }]));
            regs
        };
        let g = run(p, init, |net| gather_linear::run_v(net, root, false));
        for i in 0..p {
            assert_eq!(g[root as usize][1 + i as usize], pattern(i, len(i)), "gatherv p={p} block {i}");
        }
        // Scatterv: region 0 recv, 1 + i blocks at the root.
        let init = |r: u32| {
            let mut regs = vec![vec![0; len(r)]];
            regs.extend((0..p).map(|i| if r == root { pattern(i, len(i)) } else { Vec::new() }));
            regs
        };
        let s = run(p, init, |net| scatter_linear::run_v(net, root, false));
        for r in 0..p {
            assert_eq!(s[r as usize][0], pattern(r, len(r)), "scatterv p={p} rank {r}");
        }
        // Allgatherv.
        let init = |r: u32| {
            let mut regs = vec![pattern(r, len(r))];
            regs.extend((0..p).map(|i| vec![0; len(i)]));
            regs
        };
        let a = run(p, init, |net| allgatherv_ring::run(net, false));
        for r in 0..p {
            for i in 0..p {
                assert_eq!(a[r as usize][1 + i as usize], pattern(i, len(i)), "allgatherv p={p} rank {r} block {i}");
            }
        }
        // Alltoallv: member r sends (r, i) to i with length len(r + 2 i).
        let l2 = |from: u32, to: u32| len(from + 2 * to);
        let init = |r: u32| {
            let mut regs: Vec<Vec<u8>> = (0..p).map(|i| pattern(r * 100 + i, l2(r, i))).collect();
            regs.extend((0..p).map(|i| vec![0; l2(i, r)]));
            regs
        };
        let t = run(p, init, alltoall_scattered::run_v);
        for r in 0..p {
            for i in 0..p {
                assert_eq!(t[r as usize][(p + i) as usize], pattern(i * 100 + r, l2(i, r)), "alltoallv p={p} {i}->{r}");
            }
        }
    }
}

#[test]
fn allgather_all_algorithms() {
    for p in sizes() {
        for m in [0usize, 1, 9] {
            let whole: Vec<u8> = (0..p).flat_map(|r| pattern(r, m)).collect();
            for in_place in [false, true] {
                let init = |r: u32| {
                    let mut recv = vec![0; p as usize * m];
                    if in_place {
                        recv[r as usize * m..(r as usize + 1) * m].copy_from_slice(&pattern(r, m));
                    }
                    vec![if in_place { Vec::new() } else { pattern(r, m) }, recv]
                };
                let mut res = vec![
                    ("ring", run(p, init, |net| allgather_ring::run(net, m, in_place))),
                    ("bruck", run(p, init, |net| allgather_bruck::run(net, m, in_place))),
                ];
                if p.is_power_of_two() {
                    res.push(("recursive doubling", run(p, init, |net| allgather_recursive_doubling::run(net, m, in_place))));
                }
                for (name, out) in res {
                    for (r, regs) in out.iter().enumerate() {
                        assert_eq!(regs[RECV], whole, "{name} p={p} m={m} rank={r} in_place={in_place}");
                    }
                }
            }
        }
    }
}

#[test]
fn alltoall_all_algorithms() {
    for p in sizes() {
        for m in [0usize, 1, 6] {
            let init = |r: u32| vec![(0..p).flat_map(|i| pattern(r * 1000 + i, m)).collect(), vec![0; p as usize * m]];
            let want = |r: u32| -> Vec<u8> { (0..p).flat_map(|i| pattern(i * 1000 + r, m)).collect() };
            let a = run(p, init, |net| alltoall_scattered::run(net, m));
            let b = run(p, init, |net| alltoall_pairwise::run(net, m));
            for r in 0..p {
                assert_eq!(a[r as usize][RECV], want(r), "scattered p={p} m={m} rank={r}");
                assert_eq!(b[r as usize][RECV], want(r), "pairwise p={p} m={m} rank={r}");
            }
        }
    }
}

#[test]
fn reduce_scatter_all_algorithms() {
    for p in sizes() {
        for noncomm in [false, true] {
            let red = if noncomm { matrix_product() } else { sum_i64() };
            let counts: Vec<usize> = (0..p as usize).map(|i| (i * 5 + 1) % 4).collect();
            let total: usize = counts.iter().sum();
            let e = elem(noncomm);
            let want = expected(0, p, total, noncomm);
            let init = |r: u32| vec![contribution(r, total, noncomm), vec![0; counts[r as usize] * e]];
            let mut res = vec![("via reduce", run(p, init, |net| reduce_scatter_via_reduce::run(net, &red, &counts)))];
            if !noncomm {
                res.push(("pairwise", run(p, init, |net| reduce_scatter_pairwise::run(net, &red, &counts))));
            }
            for (name, out) in res {
                let mut off = 0;
                for r in 0..p as usize {
                    let len = counts[r] * e;
                    assert_eq!(out[r][RECV], want[off..off + len], "{name} p={p} rank={r} noncomm={noncomm}");
                    off += len;
                }
            }
        }
    }
}

#[test]
fn scan_and_exscan() {
    for p in sizes() {
        for noncomm in [false, true] {
            let red = if noncomm { matrix_product() } else { sum_i64() };
            let count = 3;
            let init = |r| red_regions(r, count, noncomm);
            let inc = run(p, init, |net| scan_recursive_doubling::run(net, &red, count, false));
            let exc = run(p, init, |net| scan_recursive_doubling::run(net, &red, count, true));
            for r in 0..p {
                assert_eq!(inc[r as usize][RECV], expected(0, r + 1, count, noncomm), "scan p={p} rank={r}");
                if r > 0 {
                    assert_eq!(exc[r as usize][RECV], expected(0, r, count, noncomm), "exscan p={p} rank={r}");
                } else {
                    assert_eq!(exc[0][RECV], vec![0; count * elem(noncomm)], "exscan leaves rank 0 alone");
                }
            }
        }
    }
}

#[test]
fn block_partitions_cover_everything() {
    for count in 0..40 {
        for parts in 1..20 {
            let mut next = 0;
            for i in 0..parts {
                let (off, len) = block(count, parts, 3, i);
                assert_eq!(off, next);
                next += len;
            }
            assert_eq!(next, count * 3);
            assert_eq!(blocks(count, parts, 3, 0, parts), (0, count * 3));
        }
    }
    assert_eq!(pof2_floor(1), 1);
    assert_eq!(pof2_floor(7), 4);
    assert_eq!(pof2_floor(64), 64);
    let f = Fold::new(6);
    let active: Vec<u32> = (0..6).filter_map(|r| f.newrank(r)).collect();
    assert_eq!(active, vec![0, 1, 2, 3]);
    assert!((0..4).all(|q| f.newrank(f.oldrank(q)) == Some(q)));
}
