//! Making communicators: create, split, intercommunicators and their merge, and the
//! communicators of process topologies.
//!
//! Every construction agrees on a context id the same way (see `core::comm`): the members AND
//! their free-id sets and take the lowest id in the result. Members of different new
//! communicators of one split may take the same id, since no process is in two of them.
//! Across the two groups of an intercommunicator the leaders swap their groups' sets, so
//! both sides take the same id without any global counter.
//!
//! The library's messages here travel on the collective context with tags of their own,
//! through small binomial gather and broadcast helpers.
#![forbid(unsafe_code)]

use std::sync::Arc;

use crate::abi::consts as c;
use crate::core::comm::Group;
use crate::core::error::{MpiError, Result};
use crate::core::topo::{Cart, Graph, Topology};

use super::Runtime;
use super::comms::Comm;
use super::p2p::Half;
use super::requests::{Body, Buf, SendMode};

/// Tags on the collective context for communicator construction, clear of the collectives'.
const TAG_GATHER: i32 = 0x1001;
const TAG_BCAST: i32 = 0x1002;
const TAG_LEADERS: i32 = 0x1003;
/// `MPI_Intercomm_create`'s leaders talk on the peer communicator's collective context with
/// the application's tag moved above every library tag (tags are at most 2^30 - 1).
const TAG_INTERCOMM_CREATE_BASE: i32 = 1 << 30;

fn words_to_bytes(w: &[u64]) -> Vec<u8> {
    w.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn bytes_to_words(b: &[u8]) -> Vec<u64> {
    b.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes"))).collect()
}

fn u32s_to_bytes(v: &[u32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn bytes_to_u32s(b: &[u8]) -> Vec<u32> {
    b.chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes"))).collect()
}

fn not_inter(cm: &Comm, what: &str) -> Result<()> {
    if cm.is_inter() {
        return Err(MpiError::new(c::MPI_ERR_COMM, format!("{what} needs an intracommunicator, and this is an intercommunicator")));
    }
    Ok(())
}

impl Runtime {
    /// A blocking receive of at most `cap` bytes; returns the bytes that came.
    fn recv_upto(&mut self, comm: u32, src: u32, tag: i32, half: Half, cap: usize) -> Result<Vec<u8>> {
        let src = if half == Half::Coll { self.live_rank(comm, src)? } else { src };
        let rid = self.new_recv(comm, src as i32, tag, Buf::Owned(vec![0; cap]), half)?;
        self.start(rid)?;
        self.wait_until(|rt| rt.is_done(rid))?;
        match self.reqs.remove(rid) {
            Some(r) => {
                if r.status.error != 0 {
                    return Err(MpiError::new(r.status.error, r.error_detail.unwrap_or_else(|| "library message lost".into())));
                }
                match r.body {
                    Body::Recv(rs) => match rs.buf {
                        Buf::Owned(mut v) => {
                            v.truncate(r.status.bytes);
                            Ok(v)
                        }
                        Buf::User(_) => Err(MpiError::intern("library receive into user memory")),
                    },
                    _ => Err(MpiError::intern("library receive became another request")),
                }
            }
            None => Err(MpiError::intern("library receive vanished")),
        }
    }

    /// Sends `data` to `dest` and receives at most `cap` bytes from `src`, without deadlock
    /// when both sides do the same.
    fn sendrecv_bytes(&mut self, comm: u32, peer: u32, tag: i32, half: Half, data: Vec<u8>, cap: usize) -> Result<Vec<u8>> {
        let sid = self.new_send(comm, peer as i32, tag, Buf::Owned(data), SendMode::Standard, half)?;
        self.start(sid)?;
        let got = self.recv_upto(comm, peer, tag, half, cap)?;
        self.wait(sid)?;
        Ok(got)
    }

    /// Broadcast of a byte string of any length from `root` over the local group of `comm`
    /// (binomial tree; the length travels first).
    pub(super) fn bcast_bytes(&mut self, comm: u32, root: u32, data: Vec<u8>) -> Result<Vec<u8>> {
        // With BLANK gaps, ranks here count the live members only (see `coll_shape`).
        let (n, me) = self.coll_shape(comm)?;
        let root = self.vroot(comm, root)?;
        let vr = (me + n - root) % n;
        let mut buf = data;
        let mut mask = 1;
        while mask < n {
            if vr & mask != 0 {
                let from = (vr - mask + root) % n;
                let len = self.recv_upto(comm, from, TAG_BCAST, Half::Coll, 8)?;
                let len = u64::from_le_bytes(len.as_slice().try_into().map_err(|_| MpiError::intern("short length"))?) as usize;
                buf = self.recv_upto(comm, from, TAG_BCAST, Half::Coll, len)?;
                break;
            }
            mask <<= 1;
        }
        mask >>= 1;
        while mask > 0 {
            if vr + mask < n {
                let to = (vr + mask + root) % n;
                self.coll_send(comm, to, TAG_BCAST, (buf.len() as u64).to_le_bytes().to_vec())?;
                self.coll_send(comm, to, TAG_BCAST, buf.clone())?;
            }
            mask >>= 1;
        }
        Ok(buf)
    }

    /// Every member's `block` (all of `len` bytes), in rank order, at every member of the
    /// local group of `comm`: a binomial gather to rank 0, then a broadcast.
    pub(super) fn allgather_bytes(&mut self, comm: u32, block: Vec<u8>) -> Result<Vec<u8>> {
        let (n, me) = self.coll_shape(comm)?;
        let len = block.len();
        let mut acc = block;
        let mut mask = 1;
        while mask < n {
            if me & mask != 0 {
                self.coll_send(comm, me - mask, TAG_GATHER, std::mem::take(&mut acc))?;
                break;
            }
            if me + mask < n {
                let blocks = mask.min(n - (me + mask)) as usize;
                let got = self.recv_upto(comm, me + mask, TAG_GATHER, Half::Coll, blocks * len)?;
                acc.extend_from_slice(&got);
            }
            mask <<= 1;
        }
        self.bcast_bytes(comm, 0, acc)
    }

    /// The free-id sets of both groups of intercommunicator `comm`, ANDed, at every member:
    /// each group agrees inside, the leaders (rank 0 of each) swap their results, and each
    /// leader tells its group. `extra` rides along from each leader to the other; the remote
    /// leader's `extra` is returned with the set.
    fn agree_across(&mut self, comm: u32, extra: Vec<u8>) -> Result<(Vec<u64>, Vec<u8>)> {
        let local = self.agree_common(comm)?;
        let me = self.comm(comm)?.rank;
        let mut msg = Vec::new();
        if me == 0 {
            let mut mine = words_to_bytes(&local);
            mine.extend_from_slice(&extra);
            let cap = mine.len() + extra.len().max(64) + 4 * self.info.size as usize;
            let theirs = self.sendrecv_bytes(comm, 0, TAG_LEADERS, Half::CollRemote, mine, cap)?;
            let nbytes = local.len() * 8;
            if theirs.len() < nbytes {
                return Err(MpiError::intern("short context-id message from the remote leader"));
            }
            let common: Vec<u64> = local.iter().zip(bytes_to_words(&theirs[..nbytes])).map(|(a, b)| a & b).collect();
            msg = words_to_bytes(&common);
            msg.extend_from_slice(&theirs[nbytes..]);
        }
        let msg = self.bcast_bytes(comm, 0, msg)?;
        let nbytes = local.len() * 8;
        Ok((bytes_to_words(&msg[..nbytes]), msg[nbytes..].to_vec()))
    }

    /// A context id agreed by both groups of intercommunicator `comm` (collective over both).
    pub fn agree_inter(&mut self, comm: u32) -> Result<u32> {
        let (common, _) = self.agree_across(comm, Vec::new())?;
        self.take_context(&common)
    }

    /// MPI_Comm_create: the members of `group` (a subset of `comm`'s group) get a new
    /// communicator, the others `None`. Collective over `comm`.
    pub fn comm_create(&mut self, comm: u32, group: &Group) -> Result<Option<u32>> {
        self.recover_before_construct(comm)?;
        let cm = self.comm(comm)?;
        not_inter(cm, "MPI_Comm_create")?;
        if let Some(&w) = group.members.iter().find(|&&w| cm.group.rank_of(w).is_none()) {
            return Err(MpiError::new(
                c::MPI_ERR_GROUP,
                format!("The group is not a subset of the communicator's group: world rank {w} is not a member"),
            ));
        }
        let me = cm.group.world(cm.rank);
        let common = self.agree_common(comm)?;
        let Some(rank) = group.rank_of(me) else { return Ok(None) };
        let id = self.take_context(&common)?;
        Ok(Some(self.insert_derived(comm, Comm::new(id, group.clone(), rank, ""))?))
    }

    /// MPI_Comm_split: one new communicator per color, ranked by (key, old rank);
    /// `MPI_UNDEFINED` gets `None`.
    pub fn comm_split(&mut self, comm: u32, color: i32, key: i32) -> Result<Option<u32>> {
        self.recover_before_construct(comm)?;
        let cm = self.comm(comm)?;
        not_inter(cm, "MPI_Comm_split")?;
        let (old, me) = (cm.group.clone(), cm.rank);
        let mut block = color.to_le_bytes().to_vec();
        block.extend_from_slice(&key.to_le_bytes());
        let all = self.allgather_bytes(comm, block)?;
        let common = self.agree_common(comm)?;
        if color == c::MPI_UNDEFINED {
            return Ok(None);
        }
        let pairs: Vec<(i32, i32)> = all
            .chunks_exact(8)
            .map(|b| (i32::from_le_bytes(b[..4].try_into().expect("4")), i32::from_le_bytes(b[4..].try_into().expect("4"))))
            .collect();
        // Blocks come from the live members only when the communicator has BLANK gaps.
        let live = self.live_ranks(comm)?;
        let comm_rank = |i: usize| live.as_ref().map_or(i as u32, |l| l[i]);
        let mut members: Vec<(i32, u32)> =
            pairs.iter().enumerate().filter(|(_, p)| p.0 == color).map(|(r, p)| (p.1, comm_rank(r))).collect();
        members.sort();
        let rank = members.iter().position(|m| m.1 == me).expect("the caller has its own color") as u32;
        let group = Group::new(members.iter().map(|m| old.world(m.1)).collect());
        let id = self.take_context(&common)?;
        Ok(Some(self.insert_derived(comm, Comm::new(id, group, rank, ""))?))
    }

    /// MPI_Intercomm_create, called by every member of `local`; `peer` and `remote_leader` are
    /// used at the local leader only.
    pub fn intercomm_create(&mut self, local: u32, local_leader: u32, peer: Option<u32>, remote_leader: u32, tag: i32) -> Result<u32> {
        let cm = self.comm(local)?;
        not_inter(cm, "MPI_Intercomm_create")?;
        let mine = cm.group.clone();
        let me = cm.rank;
        let common = self.agree_common(local)?;
        // At the leader: [status, remote set, remote members]; status 0 is success.
        let mut msg = Vec::new();
        if me == local_leader {
            let peer = peer.ok_or_else(|| MpiError::intern("the local leader has no peer communicator"))?;
            let mut out = words_to_bytes(&common);
            out.extend_from_slice(&u32s_to_bytes(&mine.members));
            let cap = common.len() * 8 + 4 * self.info.size as usize;
            let half = if self.comm(peer)?.is_inter() { Half::CollRemote } else { Half::Coll };
            let theirs = self.sendrecv_bytes(peer, remote_leader, TAG_INTERCOMM_CREATE_BASE + tag, half, out, cap)?;
            let nbytes = common.len() * 8;
            if theirs.len() < nbytes {
                return Err(MpiError::intern("short message from the remote leader"));
            }
            let both: Vec<u64> = common.iter().zip(bytes_to_words(&theirs[..nbytes])).map(|(a, b)| a & b).collect();
            let remote = bytes_to_u32s(&theirs[nbytes..]);
            let overlap = remote.iter().any(|&w| mine.rank_of(w).is_some());
            msg.extend_from_slice(&(overlap as u32).to_le_bytes());
            msg.extend_from_slice(&words_to_bytes(&both));
            msg.extend_from_slice(&u32s_to_bytes(&remote));
        }
        let msg = self.bcast_bytes(local, local_leader, msg)?;
        let nbytes = common.len() * 8;
        if msg.len() < 4 + nbytes {
            return Err(MpiError::intern("short message from the local leader"));
        }
        if msg[..4] != [0, 0, 0, 0] {
            return Err(MpiError::new(c::MPI_ERR_COMM, "The local and remote groups of MPI_Intercomm_create overlap"));
        }
        let both = bytes_to_words(&msg[4..4 + nbytes]);
        let remote = Group::new(bytes_to_u32s(&msg[4 + nbytes..]));
        let id = self.take_context(&both)?;
        let mut new = Comm::new(id, mine, me, "");
        new.remote = Some(remote);
        self.insert_derived(local, new)
    }

    /// MPI_Intercomm_merge: the group that passed `high = false` comes first; when both passed
    /// the same, the group whose leader has the lower world rank does.
    pub fn intercomm_merge(&mut self, inter: u32, high: bool) -> Result<u32> {
        let cm = self.comm(inter)?;
        let Some(remote) = cm.remote.clone() else {
            return Err(MpiError::new(c::MPI_ERR_COMM, "MPI_Intercomm_merge needs an intercommunicator"));
        };
        let local = cm.group.clone();
        let me = cm.rank;
        let (common, theirs) = self.agree_across(inter, vec![high as u8])?;
        let remote_high = theirs.first().copied().unwrap_or(0) != 0;
        let local_first = if high != remote_high { !high } else { local.world(0) < remote.world(0) };
        let (first, second) = if local_first { (&local, &remote) } else { (&remote, &local) };
        let mut members = first.members.to_vec();
        members.extend_from_slice(&second.members);
        let rank = if local_first { me } else { remote.size() + me };
        let id = self.take_context(&common)?;
        self.insert_derived(inter, Comm::new(id, Group::new(members), rank, ""))
    }

    /// MPI_Comm_compare's answer for two communicators.
    pub fn comm_compare(&self, a: u32, b: u32) -> Result<i32> {
        use crate::core::group::{Relation, compare};
        let (ca, cb) = (self.comm(a)?, self.comm(b)?);
        if a == b {
            return Ok(c::MPI_IDENT);
        }
        let rel = match (&ca.remote, &cb.remote) {
            (None, None) => compare(&ca.group, &cb.group),
            (Some(ra), Some(rb)) => match (compare(&ca.group, &cb.group), compare(ra, rb)) {
                (Relation::Ident, Relation::Ident) => Relation::Ident,
                (Relation::Unequal, _) | (_, Relation::Unequal) => Relation::Unequal,
                _ => Relation::Similar,
            },
            _ => Relation::Unequal,
        };
        Ok(match rel {
            Relation::Ident => c::MPI_CONGRUENT,
            Relation::Similar => c::MPI_SIMILAR,
            Relation::Unequal => c::MPI_UNEQUAL,
        })
    }

    /// The first `n` members of `comm` get a communicator with `topo`; the rest `None`.
    fn topo_create(&mut self, comm: u32, n: u32, topo: Topology) -> Result<Option<u32>> {
        let cm = self.comm(comm)?;
        let group = Group::new(cm.group.members[..n as usize].to_vec());
        let me = cm.rank;
        let common = self.agree_common(comm)?;
        if me >= n {
            return Ok(None);
        }
        let id = self.take_context(&common)?;
        let mut new = Comm::new(id, group, me, "");
        new.topo = Some(Arc::new(topo));
        Ok(Some(self.insert_derived(comm, new)?))
    }

    /// MPI_Cart_create (ranks are never reordered).
    pub fn cart_create(&mut self, comm: u32, cart: Cart) -> Result<Option<u32>> {
        not_inter(self.comm(comm)?, "MPI_Cart_create")?;
        let n = cart.size();
        self.topo_create(comm, n, Topology::Cart(cart))
    }

    /// MPI_Graph_create (ranks are never reordered).
    pub fn graph_create(&mut self, comm: u32, graph: Graph) -> Result<Option<u32>> {
        not_inter(self.comm(comm)?, "MPI_Graph_create")?;
        let n = graph.nnodes();
        self.topo_create(comm, n, Topology::Graph(graph))
    }

    /// The Cartesian topology of `comm`, or MPI_ERR_TOPOLOGY.
    pub fn cart(&self, comm: u32) -> Result<&Cart> {
        match self.comm(comm)?.topo.as_deref() {
            Some(Topology::Cart(g)) => Ok(g),
            _ => Err(MpiError::new(c::MPI_ERR_TOPOLOGY, "Invalid topology type for communicator: it has no Cartesian topology")),
        }
    }

    /// The graph topology of `comm`, or MPI_ERR_TOPOLOGY.
    pub fn graph(&self, comm: u32) -> Result<&Graph> {
        match self.comm(comm)?.topo.as_deref() {
            Some(Topology::Graph(g)) => Ok(g),
            _ => Err(MpiError::new(c::MPI_ERR_TOPOLOGY, "Invalid topology type for communicator: it has no graph topology")),
        }
    }

    /// MPI_Cart_sub: every member computes every member's color, so only the context id needs
    /// agreeing. Processes of one sub-grid are ordered as in `comm`.
    pub fn cart_sub(&mut self, comm: u32, remain: &[bool]) -> Result<u32> {
        let cart = self.cart(comm)?.clone();
        let cm = self.comm(comm)?;
        let (old, me) = (cm.group.clone(), cm.rank);
        let (color, _, sub) = cart.sub(me, remain);
        let members: Vec<u32> = (0..cart.size()).filter(|&r| cart.sub(r, remain).0 == color).collect();
        let rank = members.iter().position(|&r| r == me).expect("a member of its own sub-grid") as u32;
        let group = Group::new(members.iter().map(|&r| old.world(r)).collect());
        let common = self.agree_common(comm)?;
        let id = self.take_context(&common)?;
        let mut new = Comm::new(id, group, rank, "");
        new.topo = Some(Arc::new(Topology::Cart(sub)));
        self.insert_derived(comm, new)
    }
}

impl Runtime {
    /// `MPI_Comm_split` and `MPI_Comm_create` recover a communicator with failed members
    /// first, like `MPI_Comm_dup` (the agreed context for a duplicate is left unused).
    fn recover_before_construct(&mut self, comm: u32) -> Result<()> {
        let forced = std::mem::take(&mut self.ft.check_recover);
        self.recover_if_needed(comm, forced)?;
        Ok(())
    }
}
