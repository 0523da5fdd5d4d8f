//! The endpoint blob a rank publishes at the fence: where its peers reach it.
//!
//! The launcher carries the blob without looking inside (Hello and Table). It is text, so a
//! stray one is readable in a log:
//!
//! ```text
//! ftmpi-ep1;host=0;inc=0;shm=ftmpi-<job>-<rank>-<inc>;tcp=10.0.0.2:40123
//! ```
//!
//! `host` is the rank's host index (`FTMPI_HOST`): ranks with equal indices talk through
//! shared memory, others through TCP. `inc` is the incarnation, which a TCP peer must claim
//! when it connects. `tcp` is empty when the rank has no listener. Every blob comes from
//! another process and is parsed as untrusted input: one version, known keys once each,
//! bounded lengths.
#![forbid(unsafe_code)]

use std::fmt;
use std::net::SocketAddr;

const VERSION_TAG: &str = "ftmpi-ep1";
const MAX_BLOB: usize = 1024;

/// A parsed endpoint blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub host: u32,
    pub incarnation: u32,
    /// Name of the rank's shared-memory segment.
    pub shm: String,
    /// Address of the rank's TCP listener, if it has one.
    pub tcp: Option<SocketAddr>,
}

/// Why a blob was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadEndpoint(pub String);

impl fmt::Display for BadEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadEndpoint {}

fn bad(why: impl Into<String>) -> BadEndpoint {
    BadEndpoint(why.into())
}

/// A segment name this rank will hand to `shm_open`: no path tricks.
pub fn valid_segment_name(name: &str) -> bool {
    name.starts_with("ftmpi-") && !name.contains('/') && name.len() <= 200 && name.bytes().all(|b| b.is_ascii_graphic())
}

impl Endpoint {
    pub fn encode(&self) -> Vec<u8> {
        let tcp = self.tcp.map(|a| a.to_string()).unwrap_or_default();
        format!("{VERSION_TAG};host={};inc={};shm={};tcp={tcp}", self.host, self.incarnation, self.shm).into_bytes()
    }

    pub fn decode(blob: &[u8]) -> Result<Endpoint, BadEndpoint> {
        if blob.len() > MAX_BLOB {
            return Err(bad(format!("endpoint of {} bytes (limit {MAX_BLOB})", blob.len())));
        }
        let text = std::str::from_utf8(blob).map_err(|_| bad("endpoint is not UTF-8"))?;
        let mut fields = text.split(';');
        if fields.next() != Some(VERSION_TAG) {
            let shown: String = text.chars().take(40).collect();
            return Err(bad(format!("endpoint {shown:?} does not start with {VERSION_TAG}")));
        }
        let (mut host, mut inc, mut shm, mut tcp) = (None, None, None, None);
        for f in fields {
            let (k, v) = f.split_once('=').ok_or_else(|| bad(format!("endpoint field {f:?} is not key=value")))?;
            let slot_taken = match k {
                "host" => host.replace(v.parse::<u32>().map_err(|_| bad(format!("host index {v:?} is not a number")))?).is_some(),
                "inc" => inc.replace(v.parse::<u32>().map_err(|_| bad(format!("incarnation {v:?} is not a number")))?).is_some(),
                "shm" => {
                    if !valid_segment_name(v) {
                        return Err(bad(format!("{v:?} is not a segment name")));
                    }
                    shm.replace(v.to_string()).is_some()
                }
                "tcp" => {
                    let a = if v.is_empty() {
                        None
                    } else {
                        Some(v.parse::<SocketAddr>().map_err(|_| bad(format!("{v:?} is not an IP address and port")))?)
                    };
                    tcp.replace(a).is_some()
                }
                _ => return Err(bad(format!("unknown endpoint field {k:?}"))),
            };
            if slot_taken {
                return Err(bad(format!("endpoint field {k:?} given twice")));
            }
        }
        Ok(Endpoint {
            host: host.ok_or_else(|| bad("endpoint has no host index"))?,
            incarnation: inc.ok_or_else(|| bad("endpoint has no incarnation"))?,
            shm: shm.ok_or_else(|| bad("endpoint has no segment name"))?,
            tcp: tcp.flatten(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_and_without_a_listener() {
        let e = Endpoint { host: 2, incarnation: 1, shm: "ftmpi-j-3-1".into(), tcp: Some("10.1.2.3:4567".parse().unwrap()) };
        assert_eq!(Endpoint::decode(&e.encode()), Ok(e.clone()));
        let e = Endpoint { tcp: None, ..e };
        assert_eq!(Endpoint::decode(&e.encode()), Ok(e.clone()));
        let v6 = Endpoint { tcp: Some("[::1]:80".parse().unwrap()), ..e };
        assert_eq!(Endpoint::decode(&v6.encode()), Ok(v6));
    }

    #[test]
    fn rejects_what_does_not_fit() {
        let bad_blobs: &[&[u8]] = &[
            b"",
            b"ftmpi-j-0-0",
            b"ftmpi-ep2;host=0;inc=0;shm=ftmpi-a;tcp=",
            b"ftmpi-ep1;host=0;inc=0;shm=../../etc/passwd;tcp=",
            b"ftmpi-ep1;host=0;inc=0;shm=ftmpi-a/b;tcp=",
            b"ftmpi-ep1;host=-1;inc=0;shm=ftmpi-a;tcp=",
            b"ftmpi-ep1;host=0;inc=0;shm=ftmpi-a;tcp=localhost:5",
            b"ftmpi-ep1;host=0;inc=0;shm=ftmpi-a;tcp=1.2.3.4",
            b"ftmpi-ep1;host=0;host=1;inc=0;shm=ftmpi-a;tcp=",
            b"ftmpi-ep1;host=0;inc=0;tcp=",
            b"ftmpi-ep1;inc=0;shm=ftmpi-a",
            b"ftmpi-ep1;host=0;inc=0;shm=ftmpi-a;colour=blue",
            b"ftmpi-ep1;host=0;inc=0;shm=ftmpi-a;tcp=;",
            b"ftmpi-ep1;host=0;inc=0;shm=ftmpi-a\xff;tcp=",
        ];
        for b in bad_blobs {
            assert!(Endpoint::decode(b).is_err(), "accepted {:?}", String::from_utf8_lossy(b));
        }
        assert!(Endpoint::decode(&vec![b'x'; 5000]).is_err());
        assert!(Endpoint::decode(b"ftmpi-ep1;host=0;inc=0;shm=ftmpi-a").is_ok());
    }
}
