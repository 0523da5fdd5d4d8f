//! Frame headers: encode, and decode with validation. No I/O.
//!
//! Every frame starts with the same 64 bytes (one cache line; the first 8 are the transport's
//! publication stamp), so a receiver can validate
//! the kind, the claimed sender and the lengths before it touches a payload. A header comes
//! from another process and is untrusted input: decoding never panics and rejects anything
//! that does not fit.
#![forbid(unsafe_code)]

use std::fmt;

/// Bytes of a full frame header.
pub const HEADER_LEN: usize = 64;
/// Bytes of the compact header of a plain eager message: the fields after `len` are implied,
/// so a message of up to 32 bytes shares the header's cache line.
pub const COMPACT_HEADER_LEN: usize = 32;
const MAGIC: u8 = 0xF7;
const VERSION: u8 = 1;

/// Frame kinds: a closed set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// A whole message with its payload.
    Eager = 1,
    /// Request to send: the header of a large message; the receiver pulls the data.
    Rts = 2,
    /// Clear to send: the receiver asks the sender to stream the data through the ring.
    Cts = 3,
    /// A piece of a streamed message.
    Data = 4,
    /// The receiver has all the data of a rendezvous message.
    Fin = 5,
    /// A synchronous eager message was matched.
    Ack = 6,
    /// The receiver of an RTS invites the sender to copy part of the message into its
    /// buffer (`addr`), claiming pieces from copy slot `offset & 0xffff` of generation
    /// `offset >> 16`; `msg_len` bytes are wanted. The FIN follows as usual.
    Coop = 7,
}

impl Kind {
    fn from_u8(v: u8) -> Option<Kind> {
        Some(match v {
            1 => Kind::Eager,
            2 => Kind::Rts,
            3 => Kind::Cts,
            4 => Kind::Data,
            5 => Kind::Fin,
            6 => Kind::Ack,
            7 => Kind::Coop,
            _ => return None,
        })
    }
}

/// Flag: the sender wants to know when the message is matched (synchronous mode).
pub const FLAG_SYNC: u8 = 1;
/// Flag on an RTS: the data is not packed anywhere to be read; answer CTS and it is streamed.
pub const FLAG_STREAM: u8 = 2;

/// A decoded frame header. Field meaning depends on the kind; unused fields are zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Header {
    pub kind: Option<Kind>,
    pub flags: u8,
    /// World rank of the sender.
    pub src: u32,
    /// Context id the message belongs to (communicator and p2p/collective half).
    pub context: u32,
    pub tag: i32,
    /// Payload bytes that follow this header in the frame.
    pub len: u64,
    /// Size of the whole message in bytes.
    pub msg_len: u64,
    /// Sender's request id (RTS, CTS, DATA, FIN, ACK).
    pub sreq: u64,
    /// Receiver's request id (CTS, DATA).
    pub rreq: u64,
    /// Address of the sender's packed data (RTS), for a single-copy read, or of the
    /// receiver's buffer (COOP).
    pub addr: u64,
    /// Byte offset of this piece in the message (DATA).
    pub offset: u64,
}

/// Why a header was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireError {
    BadMagic(u8),
    BadVersion(u8),
    BadKind(u8),
    WrongSource { claimed: u32, expected: u32 },
    BadLength { kind: Kind, len: u64, limit: u64 },
    BadTag(i32),
    BadOffset { offset: u64, len: u64, msg_len: u64 },
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::BadMagic(m) => write!(f, "bad magic byte {m:#04x}"),
            WireError::BadVersion(v) => write!(f, "unsupported frame version {v}"),
            WireError::BadKind(k) => write!(f, "unknown frame kind {k}"),
            WireError::WrongSource { claimed, expected } => {
                write!(f, "frame claims to come from rank {claimed} on the ring of rank {expected}")
            }
            WireError::BadLength { kind, len, limit } => {
                write!(f, "{kind:?} frame with payload length {len} (limit {limit})")
            }
            WireError::BadTag(t) => write!(f, "negative tag {t}"),
            WireError::BadOffset { offset, len, msg_len } => {
                write!(f, "data piece at offset {offset} of length {len} past message size {msg_len}")
            }
        }
    }
}

impl std::error::Error for WireError {}

fn u32_at(b: &[u8; HEADER_LEN], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u64_at(b: &[u8; HEADER_LEN], at: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(x)
}

/// The two little-endian words at bytes 8..16 and 16..24 of the compact header of a plain
/// eager message from `src` with `context` and `tag` (`tag >= 0`). A header whose words are
/// these decodes to exactly that message, provided its length (the u32 at byte 24) is
/// within the ring's limit: receivers compare two words instead of decoding.
pub fn compact_eager_words(src: u32, context: u32, tag: i32) -> (u64, u64) {
    let mut b = [0u8; 8];
    b[0] = MAGIC;
    b[1] = Kind::Eager as u8;
    b[2] = 0;
    b[3] = VERSION;
    b[4..8].copy_from_slice(&src.to_le_bytes());
    let w1 = u64::from_le_bytes(b);
    let w2 = (context as u64) | ((tag as u32 as u64) << 32);
    (w1, w2)
}

impl Header {
    pub fn new(kind: Kind) -> Header {
        Header { kind: Some(kind), ..Header::default() }
    }

    /// The kind of a header built by [`Header::new`] or [`Header::decode`].
    pub fn kind(&self) -> Kind {
        self.kind.unwrap_or(Kind::Eager)
    }

    /// Bytes this header takes on the wire: compact for an eager message that wants no
    /// acknowledgement, full otherwise.
    pub fn wire_len(&self) -> usize {
        if self.kind() == Kind::Eager && self.flags & FLAG_SYNC == 0 { COMPACT_HEADER_LEN } else { HEADER_LEN }
    }

    /// The header bytes (`wire_len` of them count). Bytes 0..8 belong to the transport (the ring's publication stamp)
    /// and are left zero here.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[8] = MAGIC;
        b[9] = self.kind() as u8;
        b[10] = self.flags;
        b[11] = VERSION;
        b[12..16].copy_from_slice(&self.src.to_le_bytes());
        b[16..20].copy_from_slice(&self.context.to_le_bytes());
        b[20..24].copy_from_slice(&self.tag.to_le_bytes());
        b[24..28].copy_from_slice(&(self.len as u32).to_le_bytes());
        b[32..40].copy_from_slice(&self.msg_len.to_le_bytes());
        b[40..48].copy_from_slice(&self.sreq.to_le_bytes());
        let aux = if matches!(self.kind(), Kind::Rts | Kind::Coop) { self.addr } else { self.rreq };
        b[48..56].copy_from_slice(&aux.to_le_bytes());
        b[56..64].copy_from_slice(&self.offset.to_le_bytes());
        b
    }

    /// Decodes and validates a header read from the ring of `expected_src`.
    /// `max_payload` bounds the payload a frame may carry (what fits in the ring).
    pub fn decode(b: &[u8; HEADER_LEN], expected_src: u32, max_payload: u64) -> Result<Header, WireError> {
        if b[8] != MAGIC {
            return Err(WireError::BadMagic(b[8]));
        }
        if b[11] != VERSION {
            return Err(WireError::BadVersion(b[11]));
        }
        let kind = Kind::from_u8(b[9]).ok_or(WireError::BadKind(b[9]))?;
        let mut h = Header {
            kind: Some(kind),
            flags: b[10],
            src: u32_at(b, 12),
            context: u32_at(b, 16),
            tag: u32_at(b, 20) as i32,
            len: u32_at(b, 24) as u64,
            ..Header::default()
        };
        if h.wire_len() == COMPACT_HEADER_LEN {
            // Bytes 32.. are payload, not header.
            h.msg_len = h.len;
        } else {
            let aux = u64_at(b, 48);
            h.msg_len = u64_at(b, 32);
            h.sreq = u64_at(b, 40);
            let addressed = matches!(kind, Kind::Rts | Kind::Coop);
            h.rreq = if addressed { 0 } else { aux };
            h.addr = if addressed { aux } else { 0 };
            h.offset = u64_at(b, 56);
        }
        if h.src != expected_src {
            return Err(WireError::WrongSource { claimed: h.src, expected: expected_src });
        }
        match kind {
            Kind::Eager => {
                if h.len > max_payload || h.len != h.msg_len {
                    return Err(WireError::BadLength { kind, len: h.len, limit: max_payload.min(h.msg_len) });
                }
                if h.tag < 0 {
                    return Err(WireError::BadTag(h.tag));
                }
            }
            Kind::Rts => {
                if h.len != 0 {
                    return Err(WireError::BadLength { kind, len: h.len, limit: 0 });
                }
                if h.tag < 0 {
                    return Err(WireError::BadTag(h.tag));
                }
            }
            Kind::Data => {
                if h.len > max_payload {
                    return Err(WireError::BadLength { kind, len: h.len, limit: max_payload });
                }
                if h.offset.checked_add(h.len).is_none_or(|end| end > h.msg_len) {
                    return Err(WireError::BadOffset { offset: h.offset, len: h.len, msg_len: h.msg_len });
                }
            }
            Kind::Cts | Kind::Fin | Kind::Ack | Kind::Coop => {
                if h.len != 0 {
                    return Err(WireError::BadLength { kind, len: h.len, limit: 0 });
                }
            }
        }
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eager(len: u64) -> Header {
        Header { src: 3, context: 4, tag: 7, len, msg_len: len, ..Header::new(Kind::Eager) }
    }

    #[test]
    fn compact_eager_words_match_the_encoding() {
        let h = eager(5);
        let b = h.encode();
        let (w1, w2) = compact_eager_words(3, 4, 7);
        assert_eq!(w1, u64_at(&b, 8));
        assert_eq!(w2, u64_at(&b, 16));
        let sync = Header { flags: FLAG_SYNC, sreq: 1, ..eager(5) }.encode();
        assert_ne!(w1, u64_at(&sync, 8));
    }

    #[test]
    fn round_trip() {
        let h = eager(100);
        assert_eq!(h.wire_len(), COMPACT_HEADER_LEN);
        assert_eq!(Header::decode(&h.encode(), 3, 1000), Ok(h));
        let s = Header { flags: FLAG_SYNC, sreq: 9, ..eager(100) };
        assert_eq!(s.wire_len(), HEADER_LEN);
        assert_eq!(Header::decode(&s.encode(), 3, 1000), Ok(s));
        let r = Header { src: 3, tag: 1, msg_len: 1 << 40, sreq: 5, addr: 0xdead_beef, ..Header::new(Kind::Rts) };
        assert_eq!(Header::decode(&r.encode(), 3, 1000), Ok(r));
        let c = Header { src: 3, msg_len: 1 << 20, sreq: 5, addr: 0x7f00_0000, offset: 9 << 16 | 4, ..Header::new(Kind::Coop) };
        assert_eq!(Header::decode(&c.encode(), 3, 1000), Ok(c));
    }

    #[test]
    fn rejects_garbage() {
        let good = eager(10).encode();
        let mut b = good;
        b[8] = 0;
        assert!(matches!(Header::decode(&b, 3, 100), Err(WireError::BadMagic(0))));
        let mut b = good;
        b[9] = 77;
        assert!(matches!(Header::decode(&b, 3, 100), Err(WireError::BadKind(77))));
        assert!(matches!(Header::decode(&good, 2, 100), Err(WireError::WrongSource { .. })));
        assert!(matches!(Header::decode(&eager(1000).encode(), 3, 100), Err(WireError::BadLength { .. })));
        let d = Header { src: 3, len: 10, msg_len: 15, offset: 10, ..Header::new(Kind::Data) };
        assert!(matches!(Header::decode(&d.encode(), 3, 100), Err(WireError::BadOffset { .. })));
        let d = Header { src: 3, len: 10, msg_len: u64::MAX, offset: u64::MAX - 2, ..Header::new(Kind::Data) };
        assert!(matches!(Header::decode(&d.encode(), 3, 100), Err(WireError::BadOffset { .. })));
        let t = Header { tag: -5, ..eager(1) };
        assert!(matches!(Header::decode(&t.encode(), 3, 100), Err(WireError::BadTag(-5))));
    }
}
