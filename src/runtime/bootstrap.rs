//! The rank's side of the launcher protocol (`launcher::proto`): register, receive the
//! endpoint table (the fence), report abort and finalize.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use crate::core::error::{MpiError, Result};
use crate::launcher::proto::{self, Msg};

/// Who this process is in the job.
#[derive(Debug, Clone)]
pub struct JobInfo {
    pub jobid: String,
    pub rank: u32,
    pub size: u32,
    pub incarnation: u32,
    pub socket: Option<String>,
}

fn env_u32(name: &str) -> Result<u32> {
    let v = std::env::var(name).map_err(|_| MpiError::other(format!("{name} is not set by the launcher")))?;
    v.parse().map_err(|_| MpiError::other(format!("{name}={v:?} is not a number")))
}

impl JobInfo {
    /// From the launcher's environment, or a singleton job when started without `mpirun`.
    pub fn from_env() -> Result<JobInfo> {
        match std::env::var("FTMPI_BOOTSTRAP") {
            Ok(socket) => {
                let info = JobInfo {
                    jobid: std::env::var("FTMPI_JOBID").map_err(|_| MpiError::other("FTMPI_JOBID is not set"))?,
                    rank: env_u32("FTMPI_RANK")?,
                    size: env_u32("FTMPI_SIZE")?,
                    incarnation: env_u32("FTMPI_INCARNATION").unwrap_or(0),
                    socket: Some(socket),
                };
                if info.size == 0 || info.rank >= info.size || info.size > 1 << 20 {
                    return Err(MpiError::other(format!("bad rank {} of size {} from the launcher", info.rank, info.size)));
                }
                if info.jobid.is_empty() || info.jobid.len() > 64 || !info.jobid.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                    return Err(MpiError::other(format!("bad job id {:?} from the launcher", info.jobid)));
                }
                Ok(info)
            }
            Err(_) => Ok(JobInfo {
                jobid: format!("single-{}", std::process::id()),
                rank: 0,
                size: 1,
                incarnation: 0,
                socket: None,
            }),
        }
    }
}

/// A connection to mpirun: a Unix socket on mpirun's host, TCP (after the job key's
/// handshake) from a rank a daemon started on another host.
pub enum BootStream {
    Unix(UnixStream),
    Tcp(TcpStream),
}

impl BootStream {
    fn try_clone(&self) -> io::Result<BootStream> {
        Ok(match self {
            BootStream::Unix(s) => BootStream::Unix(s.try_clone()?),
            BootStream::Tcp(s) => BootStream::Tcp(s.try_clone()?),
        })
    }

    fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        match self {
            BootStream::Unix(s) => s.set_read_timeout(t),
            BootStream::Tcp(s) => s.set_read_timeout(t),
        }
    }
}

impl Read for BootStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            BootStream::Unix(s) => s.read(buf),
            BootStream::Tcp(s) => s.read(buf),
        }
    }
}

impl Write for BootStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            BootStream::Unix(s) => s.write(buf),
            BootStream::Tcp(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            BootStream::Unix(s) => s.flush(),
            BootStream::Tcp(s) => s.flush(),
        }
    }
}

/// How long connecting to mpirun over TCP, and its handshake, may take.
const TCP_CONNECT: Duration = Duration::from_secs(10);

/// Connects to `tcp:IP:PORT` and proves knowledge of the job key.
fn connect_tcp(addr: &str) -> Result<TcpStream> {
    let fail = |e: &dyn std::fmt::Display| MpiError::other(format!("cannot reach mpirun at tcp:{addr}: {e}"));
    let sa: SocketAddr = addr.parse().map_err(|e| fail(&e))?;
    let key = crate::auth::JobKey::from_env()
        .ok_or_else(|| MpiError::other(format!("{} is missing or malformed", crate::auth::KEY_ENV)))?;
    let mut s = TcpStream::connect_timeout(&sa, TCP_CONNECT).map_err(|e| fail(&e))?;
    let _ = s.set_nodelay(true);
    s.set_read_timeout(Some(TCP_CONNECT)).map_err(|e| fail(&e))?;
    crate::auth::client_handshake(&mut s, &key).map_err(|e| fail(&e))?;
    s.write_all(&[crate::launcher::daemon_proto::ROLE_RANK]).map_err(|e| fail(&e))?;
    s.set_read_timeout(None).map_err(|e| fail(&e))?;
    Ok(s)
}

/// The open connection to the launcher.
pub struct Boot {
    stream: BootStream,
}

fn lost(e: impl std::fmt::Display) -> MpiError {
    MpiError::other(format!("lost the connection to mpirun: {e}"))
}

impl Boot {
    /// `path` is a Unix socket's path, or `tcp:IP:PORT`.
    pub fn connect(path: &str) -> Result<Boot> {
        let stream = match path.strip_prefix("tcp:") {
            Some(addr) => BootStream::Tcp(connect_tcp(addr)?),
            None => BootStream::Unix(
                UnixStream::connect(path).map_err(|e| MpiError::other(format!("cannot reach mpirun at {path}: {e}")))?,
            ),
        };
        Ok(Boot { stream })
    }

    /// Registers this rank's endpoint and waits for everyone's: the fence.
    pub fn fence(&mut self, info: &JobInfo, endpoint: Vec<u8>) -> Result<Vec<(u32, Vec<u8>)>> {
        let hello = Msg::Hello { rank: info.rank, incarnation: info.incarnation, pid: std::process::id(), endpoint };
        proto::write_msg(&mut self.stream, &hello).map_err(lost)?;
        match proto::read_msg(&mut self.stream).map_err(lost)? {
            Msg::Table { entries } if entries.len() == info.size as usize => Ok(entries),
            Msg::Table { entries } => {
                Err(MpiError::other(format!("mpirun sent {} endpoints for a job of {}", entries.len(), info.size)))
            }
            other => Err(MpiError::other(format!("unexpected message from mpirun during start-up: {other:?}"))),
        }
    }

    /// Sends one message (the control thread does the reading once MPI_Init is done).
    pub fn send(&mut self, m: &Msg) -> Result<()> {
        proto::write_msg(&mut self.stream, m).map_err(lost)
    }

    /// A second handle on the connection, for the control thread.
    pub fn control_stream(&self) -> Result<BootStream> {
        self.stream.try_clone().map_err(|e| MpiError::other(format!("cannot share the connection to mpirun: {e}")))
    }

    /// In a respawned process, after the table: the outcome of the recovery it joins.
    pub fn recovered(&mut self) -> Result<crate::runtime::ft::Agreed> {
        let m = proto::read_msg(&mut self.stream).map_err(lost)?;
        let name = m.name();
        crate::runtime::ft::Agreed::from_msg(m)
            .ok_or_else(|| MpiError::other(format!("unexpected {name} message from mpirun while rejoining the job")))
    }

    /// Tells mpirun to end the job with `code`; waits (bounded) to be killed.
    pub fn abort(&mut self, code: i32, message: &str) {
        let _ = proto::write_msg(&mut self.stream, &Msg::Abort { code, message: message.to_string() });
        let _ = self.stream.set_read_timeout(Some(Duration::from_secs(5)));
        let _ = proto::read_msg(&mut self.stream);
    }

}

impl From<io::Error> for MpiError {
    fn from(e: io::Error) -> MpiError {
        MpiError::other(e.to_string())
    }
}
