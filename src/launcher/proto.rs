#![forbid(unsafe_code)]
//! The bootstrap protocol between `mpirun` and the ranks of a job.
//!
//! A rank finds the socket in `FTMPI_BOOTSTRAP`, connects, sends [`Msg::Hello`] with its
//! endpoint, and waits for [`Msg::Table`], which `mpirun` sends to every rank once all of them
//! have said hello (a fence, as in PMI). The connection stays open for the life of the rank:
//! [`Msg::Abort`] ends the job, and [`Msg::Finalize`] is answered by [`Msg::FinalizeAck`] once
//! every live rank has finalized.
//!
//! In a fault-tolerant job the same connection carries the failure events ([`Msg::Failure`],
//! numbered over the whole job) and the recovery agreement ([`Msg::Recover`] from each member,
//! [`Msg::Recovered`] for all of them), in the order `mpirun` decided them.
//!
//! Framing: a `u32` little-endian body length in `1..=MAX_FRAME`, then the body. The body is a
//! kind byte followed by the fields, little-endian; a blob is a `u32` length and the bytes.
//!
//! | kind | message       | direction       | fields |
//! |------|---------------|-----------------|--------|
//! | 1    | `Hello`       | rank → mpirun   | rank u32, incarnation u32, pid u32, endpoint blob (≤ [`MAX_ENDPOINT`]) |
//! | 2    | `Table`       | mpirun → rank   | size u32 (1..=[`MAX_TABLE`]), then `size` × (pid u32, endpoint blob) |
//! | 3    | `Abort`       | rank → mpirun   | code i32, message blob (UTF-8, ≤ [`MAX_MESSAGE`]) |
//! | 4    | `Finalize`    | rank → mpirun   | — |
//! | 5    | `FinalizeAck` | mpirun → rank   | — |
//! | 6    | `Failure`     | mpirun → rank   | seq u64, rank u32, incarnation u32, how u8 (`HOW_*`), value i32 |
//! | 7    | `Recover`     | rank → mpirun   | context u32, round u32, mode u8 (0..=3), members (u32 count ≤ [`MAX_TABLE`], then u32s), mask (u32 count ≤ [`MAX_MASK_WORDS`], then u64s) |
//! | 8    | `Recovered`   | mpirun → rank   | context u32, round u32, ok u8 (0 or 1), failed (as members), dup_context u32, rejoined (u32 count ≤ [`MAX_TABLE`], then rank u32, incarnation u32, pid u32, endpoint blob), message blob (UTF-8, ≤ [`MAX_MESSAGE`]) |
//! | 9    | `Mode`        | rank → mpirun   | comm_mode u8 (0..=3), msg_mode u8 (0..=1) |
//! | 10   | `Suspect`     | rank → mpirun   | rank u32, incarnation u32 |
//! | 11   | `Revoke`      | mpirun → rank   | context u32, rank u32 |
//!
//! Everything read from a socket is untrusted: [`decode`] and [`read_msg`] check every length
//! against the limits before allocating, and return a [`ProtoError`] instead of panicking.

use std::fmt;
use std::io::{self, Read, Write};

/// Largest frame body accepted.
pub const MAX_FRAME: usize = 1 << 20;
/// Largest endpoint blob in `Hello` and `Table`.
pub const MAX_ENDPOINT: usize = 4096;
/// Largest `Abort` message.
pub const MAX_MESSAGE: usize = 64 << 10;
/// Largest job a `Table` may describe; also the longest rank list in `Recover`/`Recovered`.
pub const MAX_TABLE: usize = 1 << 20;
/// Longest context-id mask in `Recover`: 4096 ids.
pub const MAX_MASK_WORDS: usize = 4096 / 64;

/// `Failure::how`: killed by a signal; `value` is the signal number.
pub const HOW_SIGNAL: u8 = 1;
/// `Failure::how`: exited without `MPI_Finalize` (code 0 included); `value` is the exit code.
pub const HOW_EXIT: u8 = 2;
/// `Failure::how`: gone, how is unknown (waitpid failed, or its host was lost); `value` is 0.
pub const HOW_LOST: u8 = 3;

/// Communicator modes in `Recover` and `Mode`, as `FTMPI_COMM_MODE_*` in the C interface.
pub const COMM_MODE_ABORT: u8 = 0;
pub const COMM_MODE_BLANK: u8 = 1;
pub const COMM_MODE_SHRINK: u8 = 2;
pub const COMM_MODE_REBUILD: u8 = 3;
/// `Recover.mode` of an agreement that is not a recovery: the end of a strict collective.
/// Each mask is one word, 1 where the member's collective succeeded; `Recovered.dup_context`
/// carries their AND, and nobody is respawned.
pub const MODE_AGREE: u8 = 255;
/// Message modes in `Mode`, as `FTMPI_MSG_MODE_*`.
pub const MSG_MODE_NOP: u8 = 0;
pub const MSG_MODE_CONT: u8 = 1;

/// Names of the variables `mpirun` sets in each rank's environment.
pub mod env {
    /// The job id, also the middle of the shared-memory segment names
    /// (`/dev/shm/ftmpi-<jobid>-*`).
    pub const JOBID: &str = "FTMPI_JOBID";
    /// This process's rank in `MPI_COMM_WORLD`.
    pub const RANK: &str = "FTMPI_RANK";
    /// The number of ranks in the job.
    pub const SIZE: &str = "FTMPI_SIZE";
    /// 0 for a first start; a respawned rank gets a higher number.
    pub const INCARNATION: &str = "FTMPI_INCARNATION";
    /// Path of the bootstrap socket.
    pub const BOOTSTRAP: &str = "FTMPI_BOOTSTRAP";
    /// Communicator mode from the command line: ABORT, BLANK, SHRINK or REBUILD.
    pub const COMM_MODE: &str = "FTMPI_COMM_MODE";
    /// Message mode from the command line: NOP, CONT, RESET, NOOP or CONTINUE.
    pub const MSG_MODE: &str = "FTMPI_MSG_MODE";
    /// `1` when `--coll-strict` was given.
    pub const COLL_STRICT: &str = "FTMPI_COLL_STRICT";
    /// The `--inject` specs, joined with `;`.
    pub const INJECT: &str = "FTMPI_INJECT";
    /// How many times mpirun respawns one rank before a recovery gives up (default 16).
    pub const MAX_RESPAWNS: &str = "FTMPI_MAX_RESPAWNS";
    /// The job's secret as 64 hex digits ([`crate::auth::KEY_ENV`]); every TCP connection
    /// of the job proves knowledge of it.
    pub const JOB_KEY: &str = crate::auth::KEY_ENV;
    /// Index of the host this rank runs on, in the job's host list (0 on a one-host job).
    /// Ranks with the same index talk through shared memory, others through TCP.
    pub const HOST: &str = "FTMPI_HOST";
    /// The IP address a rank's TCP listener binds to (the chosen interface's on its host);
    /// 127.0.0.1 when unset.
    pub const TCP_ADDR: &str = "FTMPI_TCP_ADDR";
}

const KIND_HELLO: u8 = 1;
const KIND_TABLE: u8 = 2;
const KIND_ABORT: u8 = 3;
const KIND_FINALIZE: u8 = 4;
const KIND_FINALIZE_ACK: u8 = 5;
const KIND_FAILURE: u8 = 6;
const KIND_RECOVER: u8 = 7;
const KIND_RECOVERED: u8 = 8;
const KIND_MODE: u8 = 9;
const KIND_SUSPECT: u8 = 10;
const KIND_REVOKE: u8 = 11;

/// One bootstrap message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    /// A rank registers: who it is and how to reach it.
    Hello {
        rank: u32,
        incarnation: u32,
        pid: u32,
        endpoint: Vec<u8>,
    },
    /// Every rank's `(pid, endpoint)`, indexed by rank.
    Table { entries: Vec<(u32, Vec<u8>)> },
    /// The rank called `MPI_Abort`; the whole job ends.
    Abort { code: i32, message: String },
    /// The rank is in `MPI_Finalize`.
    Finalize,
    /// Every live rank has finalized; the rank may leave.
    FinalizeAck,
    /// mpirun -> rank: a process of the job has failed. Sent to every live rank that has
    /// received its Table (and to no held/respawned process before its Table), in `seq` order;
    /// seq counts 1, 2, 3, ... over the whole job.
    Failure {
        seq: u64,
        rank: u32,
        incarnation: u32,
        how: u8,
        value: i32,
    },
    /// rank -> mpirun: join the agreement that recovers one communicator. `mask` has bit `i`
    /// set when context id `i` is free at this rank.
    Recover {
        context: u32,
        round: u32,
        mode: u8,
        members: Vec<u32>,
        mask: Vec<u64>,
        /// The last `Failure` this rank has applied: a join counts only once the rank knows
        /// of every failure mpirun has sent it, so a death during the agreement makes the
        /// members join again (and a respawned process cannot write into a ring its peer
        /// has not reset).
        seq: u64,
    },
    /// mpirun -> rank: the agreement (context, round) is over.
    Recovered {
        context: u32,
        round: u32,
        /// False: recovery cannot complete; `message` says why.
        ok: bool,
        /// World ranks of `members` that are dead (or were respawned), ascending.
        failed: Vec<u32>,
        /// Lowest id set in the AND of all joined masks, excluding 0 and 1.
        dup_context: u32,
        /// (rank, incarnation, pid, endpoint) of respawned members.
        rejoined: Vec<(u32, u32, u32, Vec<u8>)>,
        message: String,
    },
    /// rank -> mpirun: this rank set a fault-tolerant mode on `MPI_COMM_WORLD`, so failures
    /// must not end the job.
    Mode { comm_mode: u8, msg_mode: u8 },
    /// rank -> mpirun: the transport saw `rank` (in `incarnation`) vanish; mpirun kills it
    /// if it still runs, and the death then becomes a normal `Failure` event.
    Suspect { rank: u32, incarnation: u32 },
    /// mpirun -> rank: member `rank` (a world rank) has joined the recovery of the
    /// communicator with this context, so operations on it that wait for that member can
    /// never complete: they fail (sent to the members that have not joined yet).
    Revoke { context: u32, rank: u32 },
}

impl Msg {
    /// The message's name, for logs.
    pub fn name(&self) -> &'static str {
        match self {
            Msg::Hello { .. } => "Hello",
            Msg::Table { .. } => "Table",
            Msg::Abort { .. } => "Abort",
            Msg::Finalize => "Finalize",
            Msg::FinalizeAck => "FinalizeAck",
            Msg::Failure { .. } => "Failure",
            Msg::Recover { .. } => "Recover",
            Msg::Recovered { .. } => "Recovered",
            Msg::Mode { .. } => "Mode",
            Msg::Suspect { .. } => "Suspect",
            Msg::Revoke { .. } => "Revoke",
        }
    }
}

/// Why a frame could not be read or decoded.
#[derive(Debug)]
pub enum ProtoError {
    /// The peer closed the connection between two frames.
    Closed,
    /// The peer closed the connection inside a frame.
    Truncated { expected: usize, got: usize },
    /// Reading failed.
    Io(io::Error),
    /// The length prefix is 0 or larger than [`MAX_FRAME`].
    FrameLength(u32),
    /// The kind byte names no message.
    UnknownKind(u8),
    /// The body ends inside a field of this message.
    ShortBody(&'static str),
    /// The body goes on after the last field of this message.
    TrailingBytes { kind: &'static str, extra: usize },
    /// A blob is longer than its limit.
    TooLong {
        field: &'static str,
        len: u32,
        max: usize,
    },
    /// A `Table` of size 0 or larger than [`MAX_TABLE`].
    TableSize(u32),
    /// A list holds more entries than its limit.
    ListSize {
        field: &'static str,
        len: u32,
        max: usize,
    },
    /// A field holds a value outside its range.
    BadValue { field: &'static str, value: u32 },
    /// A message text is not UTF-8.
    BadUtf8,
}

impl fmt::Display for ProtoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtoError::Closed => write!(f, "connection closed"),
            ProtoError::Truncated { expected, got } => write!(
                f,
                "connection closed inside a frame ({got} of {expected} bytes)"
            ),
            ProtoError::Io(e) => write!(f, "read failed: {e}"),
            ProtoError::FrameLength(len) => {
                write!(f, "frame length {len} is outside 1..={MAX_FRAME}")
            }
            ProtoError::UnknownKind(kind) => write!(f, "unknown message kind {kind}"),
            ProtoError::ShortBody(kind) => write!(f, "{kind} message is truncated"),
            ProtoError::TrailingBytes { kind, extra } => {
                write!(f, "{kind} message has {extra} trailing bytes")
            }
            ProtoError::TooLong { field, len, max } => {
                write!(f, "{field} of {len} bytes exceeds the limit of {max}")
            }
            ProtoError::TableSize(size) => {
                write!(f, "table size {size} is outside 1..={MAX_TABLE}")
            }
            ProtoError::ListSize { field, len, max } => {
                write!(f, "{field} of {len} entries exceeds the limit of {max}")
            }
            ProtoError::BadValue { field, value } => write!(f, "{field} {value} is out of range"),
            ProtoError::BadUtf8 => write!(f, "message text is not valid UTF-8"),
        }
    }
}

impl std::error::Error for ProtoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ProtoError::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// The whole frame for `msg`, length prefix included.
///
/// The limits are not checked here: a message over them encodes, and the receiver's
/// [`decode`] rejects it.
pub fn encode(msg: &Msg) -> Vec<u8> {
    let mut frame = vec![0u8; 4];
    match msg {
        Msg::Hello {
            rank,
            incarnation,
            pid,
            endpoint,
        } => {
            frame.push(KIND_HELLO);
            put_u32(&mut frame, *rank);
            put_u32(&mut frame, *incarnation);
            put_u32(&mut frame, *pid);
            put_blob(&mut frame, endpoint);
        }
        Msg::Table { entries } => {
            frame.push(KIND_TABLE);
            put_u32(&mut frame, len_u32(entries.len()));
            for (pid, endpoint) in entries {
                put_u32(&mut frame, *pid);
                put_blob(&mut frame, endpoint);
            }
        }
        Msg::Abort { code, message } => {
            frame.push(KIND_ABORT);
            frame.extend_from_slice(&code.to_le_bytes());
            put_blob(&mut frame, message.as_bytes());
        }
        Msg::Finalize => frame.push(KIND_FINALIZE),
        Msg::FinalizeAck => frame.push(KIND_FINALIZE_ACK),
        Msg::Failure {
            seq,
            rank,
            incarnation,
            how,
            value,
        } => {
            frame.push(KIND_FAILURE);
            frame.extend_from_slice(&seq.to_le_bytes());
            put_u32(&mut frame, *rank);
            put_u32(&mut frame, *incarnation);
            frame.push(*how);
            frame.extend_from_slice(&value.to_le_bytes());
        }
        Msg::Recover {
            context,
            round,
            mode,
            members,
            mask,
            seq,
        } => {
            frame.push(KIND_RECOVER);
            put_u32(&mut frame, *context);
            put_u32(&mut frame, *round);
            frame.push(*mode);
            put_u32s(&mut frame, members);
            put_u32(&mut frame, len_u32(mask.len()));
            for word in mask {
                frame.extend_from_slice(&word.to_le_bytes());
            }
            frame.extend_from_slice(&seq.to_le_bytes());
        }
        Msg::Recovered {
            context,
            round,
            ok,
            failed,
            dup_context,
            rejoined,
            message,
        } => {
            frame.push(KIND_RECOVERED);
            put_u32(&mut frame, *context);
            put_u32(&mut frame, *round);
            frame.push(u8::from(*ok));
            put_u32s(&mut frame, failed);
            put_u32(&mut frame, *dup_context);
            put_u32(&mut frame, len_u32(rejoined.len()));
            for (rank, incarnation, pid, endpoint) in rejoined {
                put_u32(&mut frame, *rank);
                put_u32(&mut frame, *incarnation);
                put_u32(&mut frame, *pid);
                put_blob(&mut frame, endpoint);
            }
            put_blob(&mut frame, message.as_bytes());
        }
        Msg::Mode {
            comm_mode,
            msg_mode,
        } => {
            frame.push(KIND_MODE);
            frame.push(*comm_mode);
            frame.push(*msg_mode);
        }
        Msg::Suspect { rank, incarnation } => {
            frame.push(KIND_SUSPECT);
            put_u32(&mut frame, *rank);
            put_u32(&mut frame, *incarnation);
        }
        Msg::Revoke { context, rank } => {
            frame.push(KIND_REVOKE);
            put_u32(&mut frame, *context);
            put_u32(&mut frame, *rank);
        }
    }
    let body_len = len_u32(frame.len() - 4);
    frame[..4].copy_from_slice(&body_len.to_le_bytes());
    frame
}

/// Decodes one frame body (without its length prefix).
pub fn decode(body: &[u8]) -> Result<Msg, ProtoError> {
    let (&kind, rest) = body.split_first().ok_or(ProtoError::FrameLength(0))?;
    let name = match kind {
        KIND_HELLO => "Hello",
        KIND_TABLE => "Table",
        KIND_ABORT => "Abort",
        KIND_FINALIZE => "Finalize",
        KIND_FINALIZE_ACK => "FinalizeAck",
        KIND_FAILURE => "Failure",
        KIND_RECOVER => "Recover",
        KIND_RECOVERED => "Recovered",
        KIND_MODE => "Mode",
        KIND_SUSPECT => "Suspect",
        KIND_REVOKE => "Revoke",
        other => return Err(ProtoError::UnknownKind(other)),
    };
    let mut r = Fields { rest, kind: name };
    let msg = match kind {
        KIND_HELLO => Msg::Hello {
            rank: r.u32()?,
            incarnation: r.u32()?,
            pid: r.u32()?,
            endpoint: r.blob("endpoint", MAX_ENDPOINT)?.to_vec(),
        },
        KIND_TABLE => {
            let size = r.u32()?;
            if size == 0 || size as usize > MAX_TABLE {
                return Err(ProtoError::TableSize(size));
            }
            // Each entry takes at least 8 bytes, so a short body is caught before a large
            // allocation is made on the word of the peer.
            if r.rest.len() / 8 < size as usize {
                return Err(ProtoError::ShortBody(name));
            }
            let mut entries = Vec::with_capacity(size as usize);
            for _ in 0..size {
                let pid = r.u32()?;
                let endpoint = r.blob("endpoint", MAX_ENDPOINT)?.to_vec();
                entries.push((pid, endpoint));
            }
            Msg::Table { entries }
        }
        KIND_ABORT => {
            let code = r.u32()? as i32;
            let message = r.text("Abort message")?;
            Msg::Abort { code, message }
        }
        KIND_FINALIZE => Msg::Finalize,
        KIND_FINALIZE_ACK => Msg::FinalizeAck,
        KIND_FAILURE => {
            let seq = r.u64()?;
            let rank = r.u32()?;
            let incarnation = r.u32()?;
            let how = r.ranged_u8("how", HOW_SIGNAL, HOW_LOST)?;
            let value = r.u32()? as i32;
            Msg::Failure {
                seq,
                rank,
                incarnation,
                how,
                value,
            }
        }
        KIND_RECOVER => {
            let context = r.u32()?;
            let round = r.u32()?;
            let mode = r.ranged_u8("mode", COMM_MODE_ABORT, MODE_AGREE)?;
            if mode > COMM_MODE_REBUILD && mode != MODE_AGREE {
                return Err(ProtoError::BadValue {
                    field: "mode",
                    value: mode.into(),
                });
            }
            let members = r.u32s("members")?;
            let words = r.count("mask", MAX_MASK_WORDS, 8)?;
            let mut mask = Vec::with_capacity(words);
            for _ in 0..words {
                mask.push(r.u64()?);
            }
            let seq = r.u64()?;
            Msg::Recover {
                context,
                round,
                mode,
                members,
                mask,
                seq,
            }
        }
        KIND_RECOVERED => {
            let context = r.u32()?;
            let round = r.u32()?;
            let ok = r.ranged_u8("ok", 0, 1)? == 1;
            let failed = r.u32s("failed")?;
            let dup_context = r.u32()?;
            // Each entry takes at least 16 bytes.
            let n = r.count("rejoined", MAX_TABLE, 16)?;
            let mut rejoined = Vec::with_capacity(n);
            for _ in 0..n {
                let rank = r.u32()?;
                let incarnation = r.u32()?;
                let pid = r.u32()?;
                let endpoint = r.blob("endpoint", MAX_ENDPOINT)?.to_vec();
                rejoined.push((rank, incarnation, pid, endpoint));
            }
            let message = r.text("Recovered message")?;
            Msg::Recovered {
                context,
                round,
                ok,
                failed,
                dup_context,
                rejoined,
                message,
            }
        }
        KIND_MODE => Msg::Mode {
            comm_mode: r.ranged_u8("comm_mode", COMM_MODE_ABORT, COMM_MODE_REBUILD)?,
            msg_mode: r.ranged_u8("msg_mode", MSG_MODE_NOP, MSG_MODE_CONT)?,
        },
        KIND_SUSPECT => Msg::Suspect {
            rank: r.u32()?,
            incarnation: r.u32()?,
        },
        _ => Msg::Revoke {
            context: r.u32()?,
            rank: r.u32()?,
        },
    };
    if !r.rest.is_empty() {
        return Err(ProtoError::TrailingBytes {
            kind: name,
            extra: r.rest.len(),
        });
    }
    Ok(msg)
}

/// Reads one frame and decodes it. End of stream before the first byte is
/// [`ProtoError::Closed`].
pub fn read_msg<R: Read>(r: &mut R) -> Result<Msg, ProtoError> {
    let mut prefix = [0u8; 4];
    match read_full(r, &mut prefix)? {
        0 => return Err(ProtoError::Closed),
        4 => {}
        got => return Err(ProtoError::Truncated { expected: 4, got }),
    }
    let len = u32::from_le_bytes(prefix);
    if len == 0 || len as usize > MAX_FRAME {
        return Err(ProtoError::FrameLength(len));
    }
    let mut body = vec![0u8; len as usize];
    let got = read_full(r, &mut body)?;
    if got < body.len() {
        return Err(ProtoError::Truncated {
            expected: body.len(),
            got,
        });
    }
    decode(&body)
}

/// Encodes `msg` and writes the whole frame.
pub fn write_msg<W: Write>(w: &mut W, msg: &Msg) -> io::Result<()> {
    w.write_all(&encode(msg))?;
    w.flush()
}

/// Reads until `buf` is full or the stream ends; returns how much was read.
fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> Result<usize, ProtoError> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(ProtoError::Io(e)),
        }
    }
    Ok(got)
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_u32s(out: &mut Vec<u8>, list: &[u32]) {
    put_u32(out, len_u32(list.len()));
    for v in list {
        put_u32(out, *v);
    }
}

fn put_blob(out: &mut Vec<u8>, blob: &[u8]) {
    put_u32(out, len_u32(blob.len()));
    out.extend_from_slice(blob);
}

/// Lengths past `u32::MAX` saturate; such a frame is far over [`MAX_FRAME`] and the receiver
/// rejects it by its length.
fn len_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// The unread part of a body, consumed field by field.
struct Fields<'a> {
    rest: &'a [u8],
    kind: &'static str,
}

impl<'a> Fields<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ProtoError> {
        if self.rest.len() < n {
            return Err(ProtoError::ShortBody(self.kind));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn u32(&mut self) -> Result<u32, ProtoError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64, ProtoError> {
        let b = self.take(8)?;
        let mut w = [0u8; 8];
        w.copy_from_slice(b);
        Ok(u64::from_le_bytes(w))
    }

    fn ranged_u8(&mut self, field: &'static str, min: u8, max: u8) -> Result<u8, ProtoError> {
        let v = self.take(1)?[0];
        if v < min || v > max {
            return Err(ProtoError::BadValue {
                field,
                value: v.into(),
            });
        }
        Ok(v)
    }

    fn blob(&mut self, field: &'static str, max: usize) -> Result<&'a [u8], ProtoError> {
        let len = self.u32()?;
        if len as usize > max {
            return Err(ProtoError::TooLong { field, len, max });
        }
        self.take(len as usize)
    }

    fn text(&mut self, field: &'static str) -> Result<String, ProtoError> {
        let bytes = self.blob(field, MAX_MESSAGE)?;
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| ProtoError::BadUtf8)
    }

    /// A list length, checked against its limit and against what the rest of the body can
    /// hold at `min_entry` bytes an entry, so nothing large is allocated on the peer's word.
    fn count(
        &mut self,
        field: &'static str,
        max: usize,
        min_entry: usize,
    ) -> Result<usize, ProtoError> {
        let len = self.u32()?;
        if len as usize > max {
            return Err(ProtoError::ListSize { field, len, max });
        }
        if self.rest.len() / min_entry < len as usize {
            return Err(ProtoError::ShortBody(self.kind));
        }
        Ok(len as usize)
    }

    fn u32s(&mut self, field: &'static str) -> Result<Vec<u32>, ProtoError> {
        let n = self.count(field, MAX_TABLE, 4)?;
        (0..n).map(|_| self.u32()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(frame: &[u8]) -> &[u8] {
        let len = u32::from_le_bytes(frame[..4].try_into().unwrap()) as usize;
        assert_eq!(len, frame.len() - 4);
        &frame[4..]
    }

    fn samples() -> Vec<Msg> {
        vec![
            Msg::Hello {
                rank: 3,
                incarnation: 1,
                pid: 4242,
                endpoint: b"shm:abc;tcp:127.0.0.1:5000".to_vec(),
            },
            Msg::Hello {
                rank: 0,
                incarnation: 0,
                pid: 1,
                endpoint: Vec::new(),
            },
            Msg::Table {
                entries: vec![
                    (10, b"a".to_vec()),
                    (11, Vec::new()),
                    (12, vec![0xff; 4096]),
                ],
            },
            Msg::Abort {
                code: -1,
                message: "división por cero".into(),
            },
            Msg::Abort {
                code: 3,
                message: String::new(),
            },
            Msg::Finalize,
            Msg::FinalizeAck,
            Msg::Failure {
                seq: u64::MAX - 1,
                rank: 2,
                incarnation: 3,
                how: HOW_SIGNAL,
                value: 9,
            },
            Msg::Failure {
                seq: 1,
                rank: 0,
                incarnation: 0,
                how: HOW_EXIT,
                value: -1,
            },
            Msg::Failure {
                seq: 2,
                rank: 7,
                incarnation: 0,
                how: HOW_LOST,
                value: 0,
            },
            Msg::Recover {
                context: 0,
                round: 4,
                mode: COMM_MODE_REBUILD,
                members: vec![0, 1, 2, 3],
                mask: vec![u64::MAX - 3, 0x8000_0000_0000_0001],
                seq: 7,
            },
            Msg::Recover {
                context: 17,
                round: 0,
                mode: COMM_MODE_ABORT,
                members: Vec::new(),
                mask: Vec::new(),
                seq: 7,
            },
            Msg::Recovered {
                context: 0,
                round: 4,
                ok: true,
                failed: vec![2],
                dup_context: 5,
                rejoined: vec![(2, 1, 4250, b"shm:x".to_vec()), (3, 9, 1, Vec::new())],
                message: String::new(),
            },
            Msg::Recovered {
                context: 9,
                round: 1,
                ok: false,
                failed: Vec::new(),
                dup_context: 0,
                rejoined: Vec::new(),
                message: "no free context id ✗".into(),
            },
            Msg::Mode {
                comm_mode: COMM_MODE_SHRINK,
                msg_mode: MSG_MODE_CONT,
            },
            Msg::Mode {
                comm_mode: COMM_MODE_ABORT,
                msg_mode: MSG_MODE_NOP,
            },
            Msg::Suspect {
                rank: 5,
                incarnation: 2,
            },
            Msg::Revoke { context: 7, rank: 3 },
        ]
    }

    #[test]
    fn every_message_round_trips() {
        for msg in samples() {
            let frame = encode(&msg);
            assert_eq!(decode(body(&frame)).unwrap(), msg);
            assert_eq!(read_msg(&mut &frame[..]).unwrap(), msg);
        }
    }

    #[test]
    fn layout_is_little_endian_with_blob_lengths() {
        let frame = encode(&Msg::Hello {
            rank: 1,
            incarnation: 2,
            pid: 0x01020304,
            endpoint: b"xy".to_vec(),
        });
        assert_eq!(
            frame,
            [
                19, 0, 0, 0, // body length
                1, // kind
                1, 0, 0, 0, 2, 0, 0, 0, 4, 3, 2, 1, // rank, incarnation, pid
                2, 0, 0, 0, b'x', b'y', // endpoint
            ]
        );
        assert_eq!(encode(&Msg::Finalize), [1, 0, 0, 0, 4]);
    }

    #[test]
    fn consecutive_frames_then_closed() {
        let mut stream = Vec::new();
        for msg in samples() {
            write_msg(&mut stream, &msg).unwrap();
        }
        let mut r = &stream[..];
        for msg in samples() {
            assert_eq!(read_msg(&mut r).unwrap(), msg);
        }
        assert!(matches!(read_msg(&mut r), Err(ProtoError::Closed)));
    }

    #[test]
    fn every_truncation_of_every_message_is_an_error() {
        for msg in samples() {
            let frame = encode(&msg);
            let b = body(&frame);
            for cut in 0..b.len() {
                assert!(decode(&b[..cut]).is_err(), "{msg:?} cut at {cut}");
            }
            for cut in 1..frame.len() {
                match read_msg(&mut &frame[..cut]) {
                    Err(ProtoError::Truncated { .. }) => {}
                    other => panic!("{msg:?} cut at {cut}: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn trailing_bytes_are_rejected() {
        for msg in samples() {
            let mut b = body(&encode(&msg)).to_vec();
            b.push(0);
            assert!(
                matches!(decode(&b), Err(ProtoError::TrailingBytes { extra: 1, .. })),
                "{msg:?}"
            );
        }
    }

    #[test]
    fn bad_kinds_and_frame_lengths() {
        assert!(matches!(decode(&[0]), Err(ProtoError::UnknownKind(0))));
        assert!(matches!(decode(&[12]), Err(ProtoError::UnknownKind(12))));
        assert!(matches!(
            decode(&[255, 1, 2]),
            Err(ProtoError::UnknownKind(255))
        ));
        assert!(decode(&[]).is_err());
        let zero = [0u8, 0, 0, 0];
        assert!(matches!(
            read_msg(&mut &zero[..]),
            Err(ProtoError::FrameLength(0))
        ));
        let huge = u32::MAX.to_le_bytes();
        assert!(matches!(
            read_msg(&mut &huge[..]),
            Err(ProtoError::FrameLength(u32::MAX))
        ));
        let just_over = ((MAX_FRAME + 1) as u32).to_le_bytes();
        assert!(matches!(
            read_msg(&mut &just_over[..]),
            Err(ProtoError::FrameLength(_))
        ));
    }

    #[test]
    fn blob_limits() {
        let long_endpoint = encode(&Msg::Hello {
            rank: 0,
            incarnation: 0,
            pid: 1,
            endpoint: vec![0; MAX_ENDPOINT + 1],
        });
        assert!(matches!(
            decode(body(&long_endpoint)),
            Err(ProtoError::TooLong {
                field: "endpoint",
                ..
            })
        ));
        let long_message = encode(&Msg::Abort {
            code: 1,
            message: "x".repeat(MAX_MESSAGE + 1),
        });
        assert!(matches!(
            decode(body(&long_message)),
            Err(ProtoError::TooLong { .. })
        ));
        // A blob length that claims more than the body holds.
        let mut b = vec![KIND_HELLO];
        b.extend_from_slice(&[0; 12]);
        b.extend_from_slice(&4000u32.to_le_bytes());
        b.extend_from_slice(b"short");
        assert!(matches!(decode(&b), Err(ProtoError::ShortBody("Hello"))));
        // The same with a length near u32::MAX must not overflow or allocate.
        let mut b = vec![KIND_ABORT, 0, 0, 0, 0];
        b.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(decode(&b), Err(ProtoError::TooLong { .. })));
    }

    #[test]
    fn table_sizes() {
        let mut b = vec![KIND_TABLE];
        b.extend_from_slice(&0u32.to_le_bytes());
        assert!(matches!(decode(&b), Err(ProtoError::TableSize(0))));
        let mut b = vec![KIND_TABLE];
        b.extend_from_slice(&((MAX_TABLE + 1) as u32).to_le_bytes());
        assert!(matches!(decode(&b), Err(ProtoError::TableSize(_))));
        // A size the body cannot hold is refused before anything is allocated for it.
        let mut b = vec![KIND_TABLE];
        b.extend_from_slice(&(MAX_TABLE as u32).to_le_bytes());
        b.extend_from_slice(&[0; 8]);
        assert!(matches!(decode(&b), Err(ProtoError::ShortBody("Table"))));
    }

    #[test]
    fn ft_layouts() {
        let frame = encode(&Msg::Failure {
            seq: 0x0102,
            rank: 3,
            incarnation: 1,
            how: HOW_SIGNAL,
            value: -2,
        });
        assert_eq!(
            frame,
            [
                22, 0, 0, 0, // body length
                6, // kind
                2, 1, 0, 0, 0, 0, 0, 0, // seq
                3, 0, 0, 0, 1, 0, 0, 0, // rank, incarnation
                1, // how
                0xfe, 0xff, 0xff, 0xff, // value
            ]
        );
        assert_eq!(
            encode(&Msg::Mode {
                comm_mode: 3,
                msg_mode: 1
            }),
            [3, 0, 0, 0, 9, 3, 1]
        );
        let frame = encode(&Msg::Recover {
            context: 1,
            round: 2,
            mode: 2,
            members: vec![5],
            mask: vec![4],
            seq: 7,
        });
        assert_eq!(
            frame,
            [
                38, 0, 0, 0, 7, // length, kind
                1, 0, 0, 0, 2, 0, 0, 0, 2, // context, round, mode
                1, 0, 0, 0, 5, 0, 0, 0, // members
                1, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, // mask
                7, 0, 0, 0, 0, 0, 0, 0, // seq
            ]
        );
    }

    #[test]
    fn ft_values_out_of_range() {
        let bad = |msg: &Msg, at: usize, byte: u8, field: &str| {
            let mut b = body(&encode(msg)).to_vec();
            b[at] = byte;
            match decode(&b) {
                Err(ProtoError::BadValue { field: f, value }) => {
                    assert_eq!((f, value), (field, u32::from(byte)))
                }
                other => panic!("{field}={byte}: {other:?}"),
            }
        };
        let failure = Msg::Failure {
            seq: 1,
            rank: 0,
            incarnation: 0,
            how: HOW_EXIT,
            value: 0,
        };
        bad(&failure, 17, 0, "how");
        bad(&failure, 17, 4, "how");
        let recover = Msg::Recover {
            context: 0,
            round: 0,
            mode: 0,
            members: vec![],
            mask: vec![],
            seq: 7,
        };
        bad(&recover, 9, 4, "mode");
        let recovered = Msg::Recovered {
            context: 0,
            round: 0,
            ok: true,
            failed: vec![],
            dup_context: 2,
            rejoined: vec![],
            message: String::new(),
        };
        bad(&recovered, 9, 2, "ok");
        let mode = Msg::Mode {
            comm_mode: 0,
            msg_mode: 0,
        };
        bad(&mode, 1, 4, "comm_mode");
        bad(&mode, 2, 2, "msg_mode");
    }

    #[test]
    fn ft_list_limits() {
        // A mask one word over the limit.
        let long_mask = encode(&Msg::Recover {
            context: 0,
            round: 0,
            mode: 2,
            members: vec![0],
            mask: vec![0; MAX_MASK_WORDS + 1],
            seq: 7,
        });
        assert!(matches!(
            decode(body(&long_mask)),
            Err(ProtoError::ListSize { field: "mask", .. })
        ));
        let full_mask = encode(&Msg::Recover {
            context: 0,
            round: 0,
            mode: 2,
            members: vec![0],
            mask: vec![u64::MAX; MAX_MASK_WORDS],
            seq: 7,
        });
        assert!(decode(body(&full_mask)).is_ok());
        // Counts past the limit, or past what the body holds, are refused before allocating.
        for count in [u32::MAX, (MAX_TABLE + 1) as u32] {
            let mut b = vec![KIND_RECOVER, 0, 0, 0, 0, 0, 0, 0, 0, 2];
            b.extend_from_slice(&count.to_le_bytes());
            assert!(matches!(
                decode(&b),
                Err(ProtoError::ListSize {
                    field: "members",
                    ..
                })
            ));
        }
        let mut b = vec![KIND_RECOVER, 0, 0, 0, 0, 0, 0, 0, 0, 2];
        b.extend_from_slice(&(MAX_TABLE as u32).to_le_bytes());
        b.extend_from_slice(&[0; 16]);
        assert!(matches!(decode(&b), Err(ProtoError::ShortBody("Recover"))));
        let mut b = vec![KIND_RECOVERED, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        b.extend_from_slice(&0u32.to_le_bytes()); // failed
        b.extend_from_slice(&2u32.to_le_bytes()); // dup_context
        b.extend_from_slice(&(MAX_TABLE as u32).to_le_bytes()); // rejoined
        b.extend_from_slice(&[0; 40]);
        assert!(matches!(
            decode(&b),
            Err(ProtoError::ShortBody("Recovered"))
        ));
        let mut b = vec![KIND_RECOVERED, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        b.extend_from_slice(&((MAX_TABLE + 1) as u32).to_le_bytes()); // failed
        assert!(matches!(
            decode(&b),
            Err(ProtoError::ListSize {
                field: "failed",
                ..
            })
        ));
        // Endpoints and messages keep their own limits.
        let long_endpoint = encode(&Msg::Recovered {
            context: 0,
            round: 0,
            ok: true,
            failed: vec![1],
            dup_context: 2,
            rejoined: vec![(1, 1, 1, vec![0; MAX_ENDPOINT + 1])],
            message: String::new(),
        });
        assert!(matches!(
            decode(body(&long_endpoint)),
            Err(ProtoError::TooLong {
                field: "endpoint",
                ..
            })
        ));
        let long_message = encode(&Msg::Recovered {
            context: 0,
            round: 0,
            ok: false,
            failed: vec![],
            dup_context: 0,
            rejoined: vec![],
            message: "x".repeat(MAX_MESSAGE + 1),
        });
        assert!(matches!(
            decode(body(&long_message)),
            Err(ProtoError::TooLong { .. })
        ));
        let mut bad_text = body(&encode(&Msg::Recovered {
            context: 0,
            round: 0,
            ok: false,
            failed: vec![],
            dup_context: 0,
            rejoined: vec![],
            message: "ab".into(),
        }))
        .to_vec();
        let n = bad_text.len();
        bad_text[n - 2..].copy_from_slice(&[0xc3, 0x28]);
        assert!(matches!(decode(&bad_text), Err(ProtoError::BadUtf8)));
    }

    #[test]
    fn abort_must_be_utf8() {
        let mut b = vec![KIND_ABORT];
        b.extend_from_slice(&7i32.to_le_bytes());
        b.extend_from_slice(&2u32.to_le_bytes());
        b.extend_from_slice(&[0xc3, 0x28]);
        assert!(matches!(decode(&b), Err(ProtoError::BadUtf8)));
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // A small deterministic generator: the point is coverage of odd inputs, not randomness.
        let mut x: u64 = 0x9e3779b97f4a7c15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..20_000 {
            let len = (next() % 40) as usize;
            let mut b: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            if let Some(k) = b.first_mut() {
                *k = (*k % 12).max(1);
            }
            // Small lengths make the field paths reachable.
            for chunk in b.iter_mut().skip(1).step_by(4) {
                if next() % 2 == 0 {
                    *chunk %= 8;
                }
            }
            let _ = decode(&b);
            let mut framed = len_u32(b.len()).to_le_bytes().to_vec();
            framed.extend_from_slice(&b);
            let _ = read_msg(&mut &framed[..]);
        }
    }

    #[test]
    fn errors_display_and_chain() {
        let e = ProtoError::Io(io::Error::other("boom"));
        assert!(e.to_string().contains("boom"));
        assert!(std::error::Error::source(&e).is_some());
        assert_eq!(
            ProtoError::TrailingBytes {
                kind: "Hello",
                extra: 2
            }
            .to_string(),
            "Hello message has 2 trailing bytes"
        );
    }
}
