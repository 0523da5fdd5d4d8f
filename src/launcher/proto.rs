//! Bootstrap protocol (temporary minimal version).
use std::io::{self, Read, Write};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    Hello { rank: u32, incarnation: u32, pid: u32, endpoint: Vec<u8> },
    Table { entries: Vec<(u32, Vec<u8>)> },
    Abort { code: i32, message: String },
    Finalize,
    FinalizeAck,
}

#[derive(Debug)]
pub enum ProtoError {
    Closed,
    Io(io::Error),
    Bad(String),
}

impl std::fmt::Display for ProtoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProtoError::Closed => write!(f, "connection closed"),
            ProtoError::Io(e) => write!(f, "{e}"),
            ProtoError::Bad(s) => write!(f, "{s}"),
        }
    }
}
impl std::error::Error for ProtoError {}

fn blob(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(b);
}

pub fn encode(msg: &Msg) -> Vec<u8> {
    let mut b = Vec::new();
    match msg {
        Msg::Hello { rank, incarnation, pid, endpoint } => {
            b.push(1);
            b.extend_from_slice(&rank.to_le_bytes());
            b.extend_from_slice(&incarnation.to_le_bytes());
            b.extend_from_slice(&pid.to_le_bytes());
            blob(&mut b, endpoint);
        }
        Msg::Table { entries } => {
            b.push(2);
            b.extend_from_slice(&(entries.len() as u32).to_le_bytes());
            for (pid, ep) in entries {
                b.extend_from_slice(&pid.to_le_bytes());
                blob(&mut b, ep);
            }
        }
        Msg::Abort { code, message } => {
            b.push(3);
            b.extend_from_slice(&code.to_le_bytes());
            blob(&mut b, message.as_bytes());
        }
        Msg::Finalize => b.push(4),
        Msg::FinalizeAck => b.push(5),
    }
    let mut f = (b.len() as u32).to_le_bytes().to_vec();
    f.extend_from_slice(&b);
    f
}

struct Cur<'a>(&'a [u8]);
impl Cur<'_> {
    fn u32(&mut self) -> Result<u32, ProtoError> {
        if self.0.len() < 4 {
            return Err(ProtoError::Bad("truncated".into()));
        }
        let v = u32::from_le_bytes(self.0[..4].try_into().unwrap());
        self.0 = &self.0[4..];
        Ok(v)
    }
    fn blob(&mut self, max: usize) -> Result<Vec<u8>, ProtoError> {
        let n = self.u32()? as usize;
        if n > max || n > self.0.len() {
            return Err(ProtoError::Bad("bad length".into()));
        }
        let v = self.0[..n].to_vec();
        self.0 = &self.0[n..];
        Ok(v)
    }
}

pub fn decode(body: &[u8]) -> Result<Msg, ProtoError> {
    let (&k, rest) = body.split_first().ok_or_else(|| ProtoError::Bad("empty".into()))?;
    let mut c = Cur(rest);
    let m = match k {
        1 => Msg::Hello { rank: c.u32()?, incarnation: c.u32()?, pid: c.u32()?, endpoint: c.blob(4096)? },
        2 => {
            let n = c.u32()? as usize;
            if n > 1 << 20 {
                return Err(ProtoError::Bad("too many".into()));
            }
            let mut entries = Vec::new();
            for _ in 0..n {
                entries.push((c.u32()?, c.blob(4096)?));
            }
            Msg::Table { entries }
        }
        3 => Msg::Abort { code: c.u32()? as i32, message: String::from_utf8_lossy(&c.blob(65536)?).into_owned() },
        4 => Msg::Finalize,
        5 => Msg::FinalizeAck,
        _ => return Err(ProtoError::Bad(format!("unknown kind {k}"))),
    };
    if !c.0.is_empty() {
        return Err(ProtoError::Bad("trailing bytes".into()));
    }
    Ok(m)
}

pub fn read_msg<R: Read>(r: &mut R) -> Result<Msg, ProtoError> {
    let mut len = [0u8; 4];
    if let Err(e) = r.read_exact(&mut len) {
        return Err(if e.kind() == io::ErrorKind::UnexpectedEof { ProtoError::Closed } else { ProtoError::Io(e) });
    }
    let n = u32::from_le_bytes(len) as usize;
    if n == 0 || n > 1 << 20 {
        return Err(ProtoError::Bad("bad frame length".into()));
    }
    let mut body = vec![0; n];
    r.read_exact(&mut body).map_err(ProtoError::Io)?;
    decode(&body)
}

pub fn write_msg<W: Write>(w: &mut W, msg: &Msg) -> io::Result<()> {
    w.write_all(&encode(msg))
}
