#![forbid(unsafe_code)]
//! The bootstrap protocol between `mpirun` and the ranks of a job.
//!
//! A rank finds the socket in `FTMPI_BOOTSTRAP`, connects, sends [`Msg::Hello`] with its
//! endpoint, and waits for [`Msg::Table`], which `mpirun` sends to every rank once all of them
//! have said hello (a fence, as in PMI). The connection stays open for the life of the rank:
//! [`Msg::Abort`] ends the job, and [`Msg::Finalize`] is answered by [`Msg::FinalizeAck`].
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
/// Largest job a `Table` may describe.
pub const MAX_TABLE: usize = 1 << 20;

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
}

const KIND_HELLO: u8 = 1;
const KIND_TABLE: u8 = 2;
const KIND_ABORT: u8 = 3;
const KIND_FINALIZE: u8 = 4;
const KIND_FINALIZE_ACK: u8 = 5;

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
    /// `mpirun` has recorded the `Finalize`.
    FinalizeAck,
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
    /// The `Abort` message is not UTF-8.
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
            ProtoError::BadUtf8 => write!(f, "Abort message is not valid UTF-8"),
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
            let message = r.blob("Abort message", MAX_MESSAGE)?;
            let message = std::str::from_utf8(message)
                .map_err(|_| ProtoError::BadUtf8)?
                .to_owned();
            Msg::Abort { code, message }
        }
        KIND_FINALIZE => Msg::Finalize,
        _ => Msg::FinalizeAck,
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

    fn blob(&mut self, field: &'static str, max: usize) -> Result<&'a [u8], ProtoError> {
        let len = self.u32()?;
        if len as usize > max {
            return Err(ProtoError::TooLong { field, len, max });
        }
        self.take(len as usize)
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
        assert!(matches!(decode(&[6]), Err(ProtoError::UnknownKind(6))));
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
                *k = (*k % 7).max(1);
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
