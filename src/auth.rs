#![forbid(unsafe_code)]
//! The job secret and the handshake that proves knowledge of it on every TCP connection.
//!
//! Every job has a random 32-byte key, made by `mpirun` and known only to the job's processes:
//! daemons read it from their standard input (never from the command line, which `ps` shows),
//! ranks from `FTMPI_JOB_KEY` in their environment (readable only by the job's user). A TCP
//! connection, daemon to `mpirun` or rank to rank, is used only after both ends have proved
//! knowledge of the key:
//!
//! ```text
//! client → server   "FTMPI-AUTH1\0" (12 bytes), client nonce (32)
//! server → client   "FTMPI-AUTH1\0", server nonce (32), HMAC(key, "server" ‖ cn ‖ sn) (32)
//! client → server   HMAC(key, "client" ‖ cn ‖ sn) (32)
//! server → client   one byte: 1 accepted
//! ```
//!
//! Both nonces enter both MACs, so a recorded exchange cannot be replayed, and the role labels
//! differ, so a server's answer cannot be reflected back to it as a client's. MACs are compared
//! in constant time (`hmac`'s `verify_slice`). The caller sets the socket's read timeout: a
//! peer that stalls the handshake is cut off like one that fails it.

use std::fmt;
use std::fs;
use std::io::{self, Read, Write};

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The environment variable that carries the key to ranks, as 64 hex digits.
pub const KEY_ENV: &str = "FTMPI_JOB_KEY";

const MAGIC: &[u8; 12] = b"FTMPI-AUTH1\0";
const NONCE: usize = 32;
const TAG: usize = 32;

type HmacSha256 = Hmac<Sha256>;

/// A job's secret.
#[derive(Clone, PartialEq, Eq)]
pub struct JobKey([u8; 32]);

impl fmt::Debug for JobKey {
    // Never print the secret, not even in a debug dump.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JobKey(..)")
    }
}

/// Why a handshake failed; every case closes the connection.
#[derive(Debug)]
pub enum AuthError {
    /// The socket failed or timed out.
    Io(io::Error),
    /// The peer does not speak this protocol (wrong magic).
    Protocol,
    /// The peer's MAC is wrong: it does not know the key.
    BadKey,
    /// The server refused our MAC.
    Refused,
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::Io(e) => write!(f, "authentication failed: {e}"),
            AuthError::Protocol => f.write_str("authentication failed: not an ftmpi peer"),
            AuthError::BadKey => f.write_str("authentication failed: the peer does not know the job key"),
            AuthError::Refused => f.write_str("authentication failed: the peer refused our key"),
        }
    }
}

impl std::error::Error for AuthError {}

impl From<io::Error> for AuthError {
    fn from(e: io::Error) -> Self {
        AuthError::Io(e)
    }
}

/// `n` random bytes from the kernel.
pub fn random_bytes<const N: usize>() -> io::Result<[u8; N]> {
    let mut b = [0u8; N];
    fs::File::open("/dev/urandom")?.read_exact(&mut b)?;
    Ok(b)
}

impl JobKey {
    /// A fresh random key.
    pub fn generate() -> io::Result<JobKey> {
        Ok(JobKey(random_bytes::<32>()?))
    }

    /// The key as 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Parses 64 hex digits (surrounding whitespace ignored); `None` for anything else.
    pub fn from_hex(s: &str) -> Option<JobKey> {
        let s = s.trim().as_bytes();
        if s.len() != 64 {
            return None;
        }
        let mut k = [0u8; 32];
        for (i, pair) in s.chunks(2).enumerate() {
            let hi = (pair[0] as char).to_digit(16)?;
            let lo = (pair[1] as char).to_digit(16)?;
            k[i] = (hi * 16 + lo) as u8;
        }
        Some(JobKey(k))
    }

    /// The key from [`KEY_ENV`], if set and well formed.
    pub fn from_env() -> Option<JobKey> {
        std::env::var(KEY_ENV).ok().and_then(|v| JobKey::from_hex(&v))
    }

    fn mac(&self, label: &[u8], cn: &[u8; NONCE], sn: &[u8; NONCE]) -> HmacSha256 {
        let mut m = HmacSha256::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        m.update(label);
        m.update(cn);
        m.update(sn);
        m
    }
}

/// The connecting side's half of the handshake.
pub fn client_handshake<S: Read + Write>(s: &mut S, key: &JobKey) -> Result<(), AuthError> {
    let cn = random_bytes::<NONCE>()?;
    let mut hello = [0u8; 12 + NONCE];
    hello[..12].copy_from_slice(MAGIC);
    hello[12..].copy_from_slice(&cn);
    s.write_all(&hello)?;
    s.flush()?;

    let mut reply = [0u8; 12 + NONCE + TAG];
    s.read_exact(&mut reply)?;
    if &reply[..12] != MAGIC {
        return Err(AuthError::Protocol);
    }
    let mut sn = [0u8; NONCE];
    sn.copy_from_slice(&reply[12..12 + NONCE]);
    key.mac(b"server", &cn, &sn)
        .verify_slice(&reply[12 + NONCE..])
        .map_err(|_| AuthError::BadKey)?;

    let ours = key.mac(b"client", &cn, &sn).finalize().into_bytes();
    s.write_all(&ours)?;
    s.flush()?;
    let mut verdict = [0u8; 1];
    s.read_exact(&mut verdict)?;
    if verdict[0] != 1 {
        return Err(AuthError::Refused);
    }
    Ok(())
}

/// The accepting side's half of the handshake.
pub fn server_handshake<S: Read + Write>(s: &mut S, key: &JobKey) -> Result<(), AuthError> {
    let mut hello = [0u8; 12 + NONCE];
    s.read_exact(&mut hello)?;
    if &hello[..12] != MAGIC {
        return Err(AuthError::Protocol);
    }
    let mut cn = [0u8; NONCE];
    cn.copy_from_slice(&hello[12..]);
    let sn = random_bytes::<NONCE>()?;
    let tag = key.mac(b"server", &cn, &sn).finalize().into_bytes();
    let mut reply = [0u8; 12 + NONCE + TAG];
    reply[..12].copy_from_slice(MAGIC);
    reply[12..12 + NONCE].copy_from_slice(&sn);
    reply[12 + NONCE..].copy_from_slice(&tag);
    s.write_all(&reply)?;
    s.flush()?;

    let mut theirs = [0u8; TAG];
    s.read_exact(&mut theirs)?;
    if key.mac(b"client", &cn, &sn).verify_slice(&theirs).is_err() {
        // Best effort: tell the client why before the caller closes the socket.
        let _ = s.write_all(&[0]);
        return Err(AuthError::BadKey);
    }
    s.write_all(&[1])?;
    s.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};
    use std::thread;

    fn pair(client_key: JobKey, server_key: JobKey) -> (Result<(), AuthError>, Result<(), AuthError>) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let server = thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            server_handshake(&mut s, &server_key)
        });
        let mut c = TcpStream::connect(addr).unwrap();
        let cr = client_handshake(&mut c, &client_key);
        drop(c);
        (cr, server.join().unwrap())
    }

    #[test]
    fn same_key_is_accepted() {
        let k = JobKey::generate().unwrap();
        let (c, s) = pair(k.clone(), k);
        assert!(c.is_ok(), "{c:?}");
        assert!(s.is_ok(), "{s:?}");
    }

    #[test]
    fn wrong_key_is_refused_on_both_sides() {
        let (c, s) = pair(JobKey::generate().unwrap(), JobKey::generate().unwrap());
        assert!(matches!(c, Err(AuthError::BadKey)), "{c:?}");
        // The client stops at the server's bad MAC, so the server sees the connection close.
        assert!(matches!(s, Err(AuthError::Io(_))), "{s:?}");
    }

    #[test]
    fn garbage_is_not_a_peer() {
        let k = JobKey::generate().unwrap();
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let server = thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            server_handshake(&mut s, &k)
        });
        let mut c = TcpStream::connect(addr).unwrap();
        let mut junk = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec();
        junk.resize(12 + NONCE, b' ');
        c.write_all(&junk).unwrap();
        assert!(matches!(server.join().unwrap(), Err(AuthError::Protocol)));
    }

    #[test]
    fn hex_round_trip_and_rejects() {
        let k = JobKey::generate().unwrap();
        assert_eq!(JobKey::from_hex(&k.to_hex()), Some(k.clone()));
        assert_eq!(JobKey::from_hex(&format!(" {}\n", k.to_hex())), Some(k));
        assert_eq!(JobKey::from_hex("abc"), None);
        assert_eq!(JobKey::from_hex(&"g".repeat(64)), None);
        assert!(!format!("{:?}", JobKey::generate().unwrap()).contains(|c: char| c.is_ascii_digit()));
    }
}
