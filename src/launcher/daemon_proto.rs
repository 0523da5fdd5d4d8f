#![forbid(unsafe_code)]
//! What `mpirun` and a host's daemon (`ftmpid`) say to each other over their TCP connection.
//!
//! The connection starts with the job key's handshake (`auth`), then one role byte from the
//! daemon ([`ROLE_DAEMON`]; a rank's bootstrap connection sends [`ROLE_RANK`] instead and
//! goes on with `launcher::proto`), then frames both ways. Framing as in `proto`: a `u32`
//! little-endian body length in `1..=MAX_FRAME`, the body, whose first byte is the kind.
//! Integers are little-endian; byte strings are a `u32` length and the bytes. A frame with an
//! unknown kind, a short or overlong body, or a field over its limit is an error, and the
//! reader stops there: the framing cannot be trusted after it.
//!
//! Both ends send [`ToDaemon::Heartbeat`] / [`FromDaemon::Heartbeat`] every
//! [`HEARTBEAT`]; a peer silent for [`HEARTBEAT_TIMEOUT`] is gone.

use std::fmt;
use std::io::{self, Read, Write};
use std::time::Duration;

/// Largest frame body.
pub const MAX_FRAME: usize = 4 << 20;
/// Largest piece of output in one frame.
pub const MAX_OUTPUT: usize = 64 << 10;
/// Largest argument, variable or path.
pub const MAX_STRING: usize = 256 << 10;
/// Most arguments or environment variables.
pub const MAX_LIST: usize = 16 << 10;
/// Largest error text.
pub const MAX_TEXT: usize = 4096;

/// The first byte after the handshake on a daemon's connection.
pub const ROLE_DAEMON: u8 = b'D';
/// The first byte after the handshake on a rank's bootstrap connection.
pub const ROLE_RANK: u8 = b'R';

pub const HEARTBEAT: Duration = Duration::from_secs(1);
pub const HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(3);

/// `Exited.how`.
pub const EXIT_CODE: u8 = 0;
pub const EXIT_SIGNAL: u8 = 1;
pub const EXIT_LOST: u8 = 2;

/// `Output.stream`.
pub const STDOUT: u8 = 1;
pub const STDERR: u8 = 2;

/// From mpirun to a daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToDaemon {
    /// What every rank of the job runs; sent once, before any `Spawn`. Ranks start in `cwd`
    /// (when it exists there) with the daemon's environment plus `env`.
    Setup {
        program: Vec<u8>,
        args: Vec<Vec<u8>>,
        env: Vec<(Vec<u8>, Vec<u8>)>,
        cwd: Vec<u8>,
    },
    Spawn {
        rank: u32,
        incarnation: u32,
    },
    Kill {
        rank: u32,
        signal: i32,
    },
    KillAll,
    Heartbeat,
}

/// From a daemon to mpirun.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FromDaemon {
    /// The first frame: which host this daemon serves (its index on its command line).
    Hello {
        host: u32,
        pid: u32,
    },
    Spawned {
        rank: u32,
        incarnation: u32,
        pid: u32,
    },
    SpawnFailed {
        rank: u32,
        incarnation: u32,
        exit_code: u8,
        error: String,
    },
    /// `how` is [`EXIT_CODE`], [`EXIT_SIGNAL`] or [`EXIT_LOST`].
    Exited {
        rank: u32,
        incarnation: u32,
        how: u8,
        value: i32,
    },
    /// A piece of a rank's output; empty `data` means the stream ended.
    Output {
        rank: u32,
        incarnation: u32,
        stream: u8,
        data: Vec<u8>,
    },
    Heartbeat,
}

const T_SETUP: u8 = 1;
const T_SPAWN: u8 = 2;
const T_KILL: u8 = 3;
const T_KILL_ALL: u8 = 4;
const T_HEARTBEAT: u8 = 5;

// Apart from mpirun's kinds, so a frame sent the wrong way is refused.
const F_HELLO: u8 = 0x41;
const F_SPAWNED: u8 = 0x42;
const F_SPAWN_FAILED: u8 = 0x43;
const F_EXITED: u8 = 0x44;
const F_OUTPUT: u8 = 0x45;
const F_HEARTBEAT: u8 = 0x46;

/// Why a frame could not be read.
#[derive(Debug)]
pub enum FrameError {
    Closed,
    Io(io::Error),
    Length(u32),
    Kind(u8),
    Short,
    Trailing(usize),
    TooLong { field: &'static str, len: usize },
    BadValue { field: &'static str, value: i64 },
    Utf8,
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::Closed => f.write_str("connection closed"),
            FrameError::Io(e) => write!(f, "{e}"),
            FrameError::Length(n) => write!(f, "frame length {n} is outside 1..={MAX_FRAME}"),
            FrameError::Kind(k) => write!(f, "unknown message kind {k}"),
            FrameError::Short => f.write_str("message is truncated"),
            FrameError::Trailing(n) => write!(f, "message has {n} trailing bytes"),
            FrameError::TooLong { field, len } => write!(f, "{field} of {len} is over its limit"),
            FrameError::BadValue { field, value } => write!(f, "{field} {value} is out of range"),
            FrameError::Utf8 => f.write_str("text is not valid UTF-8"),
        }
    }
}

impl From<io::Error> for FrameError {
    fn from(e: io::Error) -> Self {
        FrameError::Io(e)
    }
}

struct Out(Vec<u8>);

impl Out {
    fn new(kind: u8) -> Out {
        Out(vec![0, 0, 0, 0, kind])
    }
    fn u32(&mut self, v: u32) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn i32(&mut self, v: i32) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn u8(&mut self, v: u8) -> &mut Self {
        self.0.push(v);
        self
    }
    fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.u32(u32::try_from(b.len()).unwrap_or(u32::MAX));
        self.0.extend_from_slice(b);
        self
    }
    fn done(mut self) -> Vec<u8> {
        let len = u32::try_from(self.0.len() - 4).unwrap_or(u32::MAX);
        self.0[..4].copy_from_slice(&len.to_le_bytes());
        self.0
    }
}

struct In<'a>(&'a [u8]);

impl<'a> In<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], FrameError> {
        if self.0.len() < n {
            return Err(FrameError::Short);
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }
    fn u32(&mut self) -> Result<u32, FrameError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn i32(&mut self) -> Result<i32, FrameError> {
        Ok(self.u32()? as i32)
    }
    fn u8(&mut self) -> Result<u8, FrameError> {
        Ok(self.take(1)?[0])
    }
    fn bytes(&mut self, field: &'static str, max: usize) -> Result<Vec<u8>, FrameError> {
        let len = self.u32()? as usize;
        if len > max {
            return Err(FrameError::TooLong { field, len });
        }
        Ok(self.take(len)?.to_vec())
    }
    fn text(&mut self, field: &'static str) -> Result<String, FrameError> {
        String::from_utf8(self.bytes(field, MAX_TEXT)?).map_err(|_| FrameError::Utf8)
    }
    fn count(&mut self, field: &'static str) -> Result<usize, FrameError> {
        let n = self.u32()? as usize;
        if n > MAX_LIST {
            return Err(FrameError::TooLong { field, len: n });
        }
        Ok(n)
    }
    fn end<T>(self, v: T) -> Result<T, FrameError> {
        if self.0.is_empty() {
            Ok(v)
        } else {
            Err(FrameError::Trailing(self.0.len()))
        }
    }
}

impl ToDaemon {
    /// The whole frame, length prefix included.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            ToDaemon::Setup {
                program,
                args,
                env,
                cwd,
            } => {
                let mut o = Out::new(T_SETUP);
                o.bytes(program).bytes(cwd);
                o.u32(u32::try_from(args.len()).unwrap_or(u32::MAX));
                for a in args {
                    o.bytes(a);
                }
                o.u32(u32::try_from(env.len()).unwrap_or(u32::MAX));
                for (k, v) in env {
                    o.bytes(k).bytes(v);
                }
                o.done()
            }
            ToDaemon::Spawn { rank, incarnation } => {
                let mut o = Out::new(T_SPAWN);
                o.u32(*rank).u32(*incarnation);
                o.done()
            }
            ToDaemon::Kill { rank, signal } => {
                let mut o = Out::new(T_KILL);
                o.u32(*rank).i32(*signal);
                o.done()
            }
            ToDaemon::KillAll => Out::new(T_KILL_ALL).done(),
            ToDaemon::Heartbeat => Out::new(T_HEARTBEAT).done(),
        }
    }

    /// Decodes one frame body.
    pub fn decode(body: &[u8]) -> Result<ToDaemon, FrameError> {
        let (&kind, rest) = body.split_first().ok_or(FrameError::Length(0))?;
        let mut r = In(rest);
        let m = match kind {
            T_SETUP => {
                let program = r.bytes("program", MAX_STRING)?;
                let cwd = r.bytes("directory", MAX_STRING)?;
                let n = r.count("arguments")?;
                let args = (0..n)
                    .map(|_| r.bytes("argument", MAX_STRING))
                    .collect::<Result<_, _>>()?;
                let n = r.count("environment")?;
                let env = (0..n)
                    .map(|_| {
                        let k = r.bytes("variable name", MAX_STRING)?;
                        if k.is_empty() || k.contains(&b'=') || k.contains(&0) {
                            return Err(FrameError::BadValue {
                                field: "variable name length",
                                value: k.len() as i64,
                            });
                        }
                        Ok((k, r.bytes("variable", MAX_STRING)?))
                    })
                    .collect::<Result<_, _>>()?;
                if program.is_empty() {
                    return Err(FrameError::BadValue {
                        field: "program length",
                        value: 0,
                    });
                }
                ToDaemon::Setup {
                    program,
                    args,
                    env,
                    cwd,
                }
            }
            T_SPAWN => ToDaemon::Spawn {
                rank: r.u32()?,
                incarnation: r.u32()?,
            },
            T_KILL => {
                let rank = r.u32()?;
                let signal = r.i32()?;
                if !(1..=64).contains(&signal) {
                    return Err(FrameError::BadValue {
                        field: "signal",
                        value: signal.into(),
                    });
                }
                ToDaemon::Kill { rank, signal }
            }
            T_KILL_ALL => ToDaemon::KillAll,
            T_HEARTBEAT => ToDaemon::Heartbeat,
            k => return Err(FrameError::Kind(k)),
        };
        r.end(m)
    }
}

impl FromDaemon {
    /// The whole frame, length prefix included.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            FromDaemon::Hello { host, pid } => {
                let mut o = Out::new(F_HELLO);
                o.u32(*host).u32(*pid);
                o.done()
            }
            FromDaemon::Spawned {
                rank,
                incarnation,
                pid,
            } => {
                let mut o = Out::new(F_SPAWNED);
                o.u32(*rank).u32(*incarnation).u32(*pid);
                o.done()
            }
            FromDaemon::SpawnFailed {
                rank,
                incarnation,
                exit_code,
                error,
            } => {
                let mut o = Out::new(F_SPAWN_FAILED);
                let cut = &error.as_bytes()[..floor_char(error, MAX_TEXT)];
                o.u32(*rank).u32(*incarnation).u8(*exit_code).bytes(cut);
                o.done()
            }
            FromDaemon::Exited {
                rank,
                incarnation,
                how,
                value,
            } => {
                let mut o = Out::new(F_EXITED);
                o.u32(*rank).u32(*incarnation).u8(*how).i32(*value);
                o.done()
            }
            FromDaemon::Output {
                rank,
                incarnation,
                stream,
                data,
            } => {
                let mut o = Out::new(F_OUTPUT);
                o.u32(*rank).u32(*incarnation).u8(*stream).bytes(data);
                o.done()
            }
            FromDaemon::Heartbeat => Out::new(F_HEARTBEAT).done(),
        }
    }

    /// Decodes one frame body.
    pub fn decode(body: &[u8]) -> Result<FromDaemon, FrameError> {
        let (&kind, rest) = body.split_first().ok_or(FrameError::Length(0))?;
        let mut r = In(rest);
        let m = match kind {
            F_HELLO => FromDaemon::Hello {
                host: r.u32()?,
                pid: r.u32()?,
            },
            F_SPAWNED => FromDaemon::Spawned {
                rank: r.u32()?,
                incarnation: r.u32()?,
                pid: r.u32()?,
            },
            F_SPAWN_FAILED => FromDaemon::SpawnFailed {
                rank: r.u32()?,
                incarnation: r.u32()?,
                exit_code: r.u8()?,
                error: r.text("error")?,
            },
            F_EXITED => {
                let (rank, incarnation, how, value) = (r.u32()?, r.u32()?, r.u8()?, r.i32()?);
                if how > EXIT_LOST {
                    return Err(FrameError::BadValue {
                        field: "exit kind",
                        value: how.into(),
                    });
                }
                FromDaemon::Exited {
                    rank,
                    incarnation,
                    how,
                    value,
                }
            }
            F_OUTPUT => {
                let (rank, incarnation, stream) = (r.u32()?, r.u32()?, r.u8()?);
                if stream != STDOUT && stream != STDERR {
                    return Err(FrameError::BadValue {
                        field: "stream",
                        value: stream.into(),
                    });
                }
                FromDaemon::Output {
                    rank,
                    incarnation,
                    stream,
                    data: r.bytes("output", MAX_OUTPUT)?,
                }
            }
            F_HEARTBEAT => FromDaemon::Heartbeat,
            k => return Err(FrameError::Kind(k)),
        };
        r.end(m)
    }
}

fn floor_char(s: &str, max: usize) -> usize {
    let mut n = s.len().min(max);
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    n
}

/// Reads one frame body. End of stream before its first byte is [`FrameError::Closed`].
pub fn read_frame<R: Read>(r: &mut R) -> Result<Vec<u8>, FrameError> {
    let mut prefix = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match r.read(&mut prefix[got..]) {
            Ok(0) if got == 0 => return Err(FrameError::Closed),
            Ok(0) => return Err(FrameError::Short),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    let len = u32::from_le_bytes(prefix);
    if len == 0 || len as usize > MAX_FRAME {
        return Err(FrameError::Length(len));
    }
    let mut body = vec![0u8; len as usize];
    r.read_exact(&mut body).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => FrameError::Short,
        _ => FrameError::Io(e),
    })?;
    Ok(body)
}

/// Writes a whole frame.
pub fn write_frame<W: Write>(w: &mut W, frame: &[u8]) -> io::Result<()> {
    w.write_all(frame)?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(frame: &[u8]) -> &[u8] {
        let len = u32::from_le_bytes(frame[..4].try_into().unwrap()) as usize;
        assert_eq!(len, frame.len() - 4);
        &frame[4..]
    }

    #[test]
    fn every_message_round_trips() {
        let to = [
            ToDaemon::Setup {
                program: b"/bin/prog".to_vec(),
                args: vec![b"-x".to_vec(), Vec::new()],
                env: vec![
                    (b"A".to_vec(), b"1=2".to_vec()),
                    (b"E".to_vec(), Vec::new()),
                ],
                cwd: b"/tmp".to_vec(),
            },
            ToDaemon::Spawn {
                rank: 7,
                incarnation: 2,
            },
            ToDaemon::Kill { rank: 1, signal: 9 },
            ToDaemon::KillAll,
            ToDaemon::Heartbeat,
        ];
        for m in to {
            assert_eq!(ToDaemon::decode(body(&m.encode())).unwrap(), m);
        }
        let from = [
            FromDaemon::Hello { host: 2, pid: 99 },
            FromDaemon::Spawned {
                rank: 3,
                incarnation: 1,
                pid: 1234,
            },
            FromDaemon::SpawnFailed {
                rank: 3,
                incarnation: 0,
                exit_code: 127,
                error: "no such file".into(),
            },
            FromDaemon::Exited {
                rank: 0,
                incarnation: 0,
                how: EXIT_SIGNAL,
                value: 9,
            },
            FromDaemon::Output {
                rank: 1,
                incarnation: 0,
                stream: STDERR,
                data: b"hi\n".to_vec(),
            },
            FromDaemon::Heartbeat,
        ];
        for m in from {
            assert_eq!(FromDaemon::decode(body(&m.encode())).unwrap(), m);
        }
    }

    #[test]
    fn malformed_frames_are_refused() {
        // A daemon's message sent to a daemon, and the reverse.
        let hb = FromDaemon::Heartbeat.encode();
        assert!(matches!(
            ToDaemon::decode(body(&hb)),
            Err(FrameError::Kind(0x46))
        ));
        let hb = ToDaemon::Heartbeat.encode();
        assert!(matches!(
            FromDaemon::decode(body(&hb)),
            Err(FrameError::Kind(5))
        ));
        assert!(matches!(ToDaemon::decode(&[]), Err(FrameError::Length(0))));
        assert!(matches!(
            ToDaemon::decode(&[T_SPAWN, 1, 0, 0]),
            Err(FrameError::Short)
        ));
        let mut spawn = body(
            &ToDaemon::Spawn {
                rank: 1,
                incarnation: 0,
            }
            .encode(),
        )
        .to_vec();
        spawn.push(0);
        assert!(matches!(
            ToDaemon::decode(&spawn),
            Err(FrameError::Trailing(1))
        ));
        let kill = ToDaemon::Kill { rank: 0, signal: 0 }.encode();
        assert!(matches!(
            ToDaemon::decode(body(&kill)),
            Err(FrameError::BadValue { .. })
        ));
        let exited = FromDaemon::Exited {
            rank: 0,
            incarnation: 0,
            how: 9,
            value: 0,
        }
        .encode();
        assert!(matches!(
            FromDaemon::decode(body(&exited)),
            Err(FrameError::BadValue { .. })
        ));
        let out = FromDaemon::Output {
            rank: 0,
            incarnation: 0,
            stream: 3,
            data: vec![],
        }
        .encode();
        assert!(matches!(
            FromDaemon::decode(body(&out)),
            Err(FrameError::BadValue { .. })
        ));
        let big = FromDaemon::Output {
            rank: 0,
            incarnation: 0,
            stream: STDOUT,
            data: vec![0; MAX_OUTPUT + 1],
        }
        .encode();
        assert!(matches!(
            FromDaemon::decode(body(&big)),
            Err(FrameError::TooLong { .. })
        ));
        let bad_env = ToDaemon::Setup {
            program: b"p".to_vec(),
            args: vec![],
            env: vec![(b"A=B".to_vec(), b"1".to_vec())],
            cwd: vec![],
        }
        .encode();
        assert!(matches!(
            ToDaemon::decode(body(&bad_env)),
            Err(FrameError::BadValue { .. })
        ));
        let mut text = body(
            &FromDaemon::SpawnFailed {
                rank: 0,
                incarnation: 0,
                exit_code: 1,
                error: "ab".into(),
            }
            .encode(),
        )
        .to_vec();
        let n = text.len();
        text[n - 1] = 0xff;
        assert!(matches!(FromDaemon::decode(&text), Err(FrameError::Utf8)));
        // Lists claiming more than their limit are refused before anything is allocated.
        let mut lots = vec![T_SETUP, 1, 0, 0, 0, b'p', 0, 0, 0, 0];
        lots.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            ToDaemon::decode(&lots),
            Err(FrameError::TooLong { .. })
        ));
    }

    #[test]
    fn every_truncation_is_an_error_and_no_bytes_panic() {
        let frames = [
            ToDaemon::Setup {
                program: b"p".to_vec(),
                args: vec![b"a".to_vec()],
                env: vec![(b"K".to_vec(), b"v".to_vec())],
                cwd: b"/".to_vec(),
            }
            .encode(),
            ToDaemon::Kill { rank: 1, signal: 9 }.encode(),
        ];
        for f in &frames {
            let b = body(f);
            for cut in 0..b.len() {
                assert!(ToDaemon::decode(&b[..cut]).is_err(), "cut {cut}");
            }
        }
        let f = FromDaemon::Exited {
            rank: 1,
            incarnation: 2,
            how: EXIT_CODE,
            value: 3,
        }
        .encode();
        let b = body(&f);
        for cut in 0..b.len() {
            assert!(FromDaemon::decode(&b[..cut]).is_err(), "cut {cut}");
        }
        // A cheap pseudo-random walk over short inputs.
        let mut x: u32 = 12345;
        for _ in 0..20000 {
            let len = (x % 24) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    (x >> 16) as u8
                })
                .collect();
            let _ = ToDaemon::decode(&bytes);
            let _ = FromDaemon::decode(&bytes);
            x = x.wrapping_add(7);
        }
    }

    #[test]
    fn framing() {
        let mut stream: &[u8] = &[];
        assert!(matches!(read_frame(&mut stream), Err(FrameError::Closed)));
        let mut zero: &[u8] = &[0, 0, 0, 0];
        assert!(matches!(read_frame(&mut zero), Err(FrameError::Length(0))));
        let huge = ((MAX_FRAME + 1) as u32).to_le_bytes();
        assert!(matches!(
            read_frame(&mut &huge[..]),
            Err(FrameError::Length(_))
        ));
        let mut cut: &[u8] = &[5, 0, 0, 0, 1, 2];
        assert!(matches!(read_frame(&mut cut), Err(FrameError::Short)));
        let mut half: &[u8] = &[5, 0];
        assert!(matches!(read_frame(&mut half), Err(FrameError::Short)));
        let frame = FromDaemon::Heartbeat.encode();
        let mut two = [frame.clone(), frame].concat();
        let mut r = &two[..];
        assert_eq!(read_frame(&mut r).unwrap(), vec![F_HEARTBEAT]);
        assert_eq!(read_frame(&mut r).unwrap(), vec![F_HEARTBEAT]);
        two.clear();
    }
}
