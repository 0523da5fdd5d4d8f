#![forbid(unsafe_code)]
//! mpirun's side of a job on several hosts: the TCP listener, the launch agents, the daemons'
//! connections, and which host runs which rank.
//!
//! Every host of the list gets a daemon (`ftmpid`, started through the launch agent), except
//! one named exactly `localhost`, whose ranks mpirun starts itself as on a one-host job. The
//! listener binds to one address of the job's network (`--iface`, `--net`, or the address
//! this host uses to reach the first remote host) and serves two kinds of connection, both
//! after the job key's handshake: daemons, and the bootstrap connections of remote ranks.
//! A connection that fails the handshake is closed and logged; the job goes on.
//!
//! A daemon is lost when its connection ends or stays silent for `HEARTBEAT_TIMEOUT`, or when
//! its launch agent exits before it connected; the coordinator then hears of all that host's
//! ranks at once (`Input::HostLost`). Respawned ranks go back to their host while its daemon
//! lives, else to the surviving host with the fewest running ranks.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream, ToSocketAddrs, UdpSocket};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, select};

use super::Event;
use super::bootstrap;
use super::coordinator::{ConnId, Exit, Input};
use super::daemon_proto::{self as dp, FromDaemon, ToDaemon};
use super::hostfile::{self, HostSpec, LOCAL_NAME};
use super::options::{Options, prefix_mask};
use crate::auth::JobKey;

/// How long a launch agent has to get its daemon connected.
pub(crate) const DAEMON_START: Duration = Duration::from_secs(60);

/// How long a new connection has for the handshake and its first frame.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// The address mpirun listens on: `--net`'s or `--iface`'s, else the one this host uses
/// towards the first host that gets a daemon.
pub(crate) fn choose_addr(opts: &Options) -> Result<Ipv4Addr, String> {
    let ifaddrs = || -> Result<Vec<(String, Ipv4Addr)>, String> {
        let list = nix::ifaddrs::getifaddrs()
            .map_err(|e| format!("cannot list this host's addresses: {e}"))?;
        Ok(list
            .filter_map(|i| {
                let a = i.address.as_ref()?.as_sockaddr_in()?.ip();
                Some((i.interface_name, a))
            })
            .collect())
    };
    if let Some((net, len)) = opts.net {
        let mask = prefix_mask(len);
        return ifaddrs()?
            .into_iter()
            .map(|(_, a)| a)
            .find(|a| u32::from(*a) & mask == u32::from(net))
            .ok_or_else(|| format!("--net: no address of this host is in {net}/{len}"));
    }
    if let Some(name) = &opts.iface {
        return ifaddrs()?
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, a)| a)
            .ok_or_else(|| format!("--iface: interface {name} has no IPv4 address here"));
    }
    let first = opts
        .hosts
        .iter()
        .find(|h| h.name != LOCAL_NAME)
        .ok_or("no remote host")?;
    let fail = |e: &dyn std::fmt::Display| {
        format!(
            "cannot find this host's address towards {}: {e}; name the network with --iface or --net",
            first.name
        )
    };
    let target = (first.name.as_str(), 9)
        .to_socket_addrs()
        .map_err(|e| fail(&e))?
        .find(|a| a.is_ipv4())
        .ok_or_else(|| fail(&"it has no IPv4 address"))?;
    let probe = UdpSocket::bind("0.0.0.0:0").map_err(|e| fail(&e))?;
    probe.connect(target).map_err(|e| fail(&e))?;
    match probe.local_addr().map_err(|e| fail(&e))?.ip() {
        IpAddr::V4(a) if !a.is_unspecified() => Ok(a),
        other => Err(fail(&format!("the route gives {other}"))),
    }
}

/// Binds the listener and accepts connections for the life of mpirun.
pub(crate) fn listen(ip: Ipv4Addr, key: JobKey, events: Sender<Event>) -> io::Result<SocketAddr> {
    let listener = TcpListener::bind((ip, 0))
        .map_err(|e| io::Error::new(e.kind(), format!("cannot listen on {ip}: {e}")))?;
    let addr = listener.local_addr()?;
    let key = Arc::new(key);
    thread::Builder::new()
        .name("tcp accept".into())
        .stack_size(256 << 10)
        .spawn(move || {
            for stream in listener.incoming() {
                let stream = match stream {
                    Ok(s) => s,
                    Err(e)
                        if matches!(
                            e.kind(),
                            io::ErrorKind::Interrupted | io::ErrorKind::ConnectionAborted
                        ) =>
                    {
                        continue;
                    }
                    Err(e) => {
                        let _ = events.send(Event::Input(Input::ServerFailed(format!(
                            "accepting a TCP connection failed: {e}"
                        ))));
                        return;
                    }
                };
                let (key, events) = (Arc::clone(&key), events.clone());
                let _ = thread::Builder::new()
                    .name("tcp handshake".into())
                    .stack_size(256 << 10)
                    .spawn(move || admit(stream, &key, &events));
            }
        })?;
    Ok(addr)
}

/// The handshake, then the connection becomes a rank's bootstrap connection or a daemon's.
fn admit(mut stream: TcpStream, key: &JobKey, events: &Sender<Event>) {
    let peer = stream
        .peer_addr()
        .map_or_else(|_| "an unknown address".to_string(), |a| a.to_string());
    let refuse = |why: String| {
        let _ = events.send(Event::Refused(format!(
            "refused a connection from {peer}: {why}"
        )));
    };
    let _ = stream.set_nodelay(true);
    if let Err(e) = stream.set_read_timeout(Some(HANDSHAKE_TIMEOUT)) {
        return refuse(e.to_string());
    }
    if let Err(e) = crate::auth::server_handshake(&mut stream, key) {
        let _ = stream.shutdown(std::net::Shutdown::Both);
        return refuse(e.to_string());
    }
    let mut role = [0u8];
    if let Err(e) = stream.read_exact(&mut role) {
        return refuse(format!("no role after the handshake: {e}"));
    }
    match role[0] {
        dp::ROLE_RANK => {
            if stream.set_read_timeout(None).is_err() {
                return;
            }
            let id = bootstrap::next_id();
            if let Err(e) = bootstrap::open(id, stream, events) {
                let _ = events.send(Event::Input(Input::ServerFailed(format!(
                    "cannot start the threads of connection {id}: {e}"
                ))));
            }
        }
        dp::ROLE_DAEMON => {
            let hello = dp::read_frame(&mut stream).and_then(|b| FromDaemon::decode(&b));
            let (host, pid) = match hello {
                Ok(FromDaemon::Hello { host, pid }) => (host, pid),
                Ok(other) => return refuse(format!("a daemon began with {other:?}")),
                Err(e) => return refuse(format!("a daemon's first frame: {e}")),
            };
            if let Err(e) = stream.set_read_timeout(Some(dp::HEARTBEAT_TIMEOUT)) {
                return refuse(e.to_string());
            }
            daemon_conn(bootstrap::next_id(), host, pid, peer, stream, events);
        }
        other => refuse(format!("unknown role byte {other}")),
    }
}

/// mpirun's handle on a daemon's connection.
pub(crate) struct DaemonConn {
    frames: Sender<Vec<u8>>,
    stream: Arc<TcpStream>,
}

impl DaemonConn {
    fn send(&self, m: &ToDaemon) {
        let _ = self.frames.send(m.encode());
    }

    fn shutdown(&self) {
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
    }
}

/// Runs on the handshake's thread: registers the daemon, starts its writer (with the
/// heartbeat), then reads its frames until it is gone.
fn daemon_conn(
    id: ConnId,
    host: u32,
    pid: u32,
    peer: String,
    stream: TcpStream,
    events: &Sender<Event>,
) {
    let stream = Arc::new(stream);
    let (frames, queued) = crossbeam_channel::unbounded::<Vec<u8>>();
    let out = Arc::clone(&stream);
    let writer = thread::Builder::new()
        .name(format!("daemon {host} writer"))
        .stack_size(128 << 10)
        .spawn(move || {
            let tick = crossbeam_channel::tick(dp::HEARTBEAT);
            let beat = ToDaemon::Heartbeat.encode();
            loop {
                let frame = select! {
                    recv(queued) -> f => match f { Ok(f) => f, Err(_) => return },
                    recv(tick) -> _ => beat.clone(),
                };
                if (&*out).write_all(&frame).is_err() {
                    return;
                }
            }
        });
    if let Err(e) = writer {
        let _ = events.send(Event::Refused(format!(
            "cannot serve the daemon at {peer}: {e}"
        )));
        return;
    }
    let conn = DaemonConn {
        frames,
        stream: Arc::clone(&stream),
    };
    if events
        .send(Event::DaemonUp {
            id,
            host,
            pid,
            peer,
            conn,
        })
        .is_err()
    {
        return;
    }
    let mut r = &*stream;
    let reason = loop {
        let msg = match dp::read_frame(&mut r) {
            Ok(body) => FromDaemon::decode(&body),
            Err(e) => Err(e),
        };
        match msg {
            Ok(FromDaemon::Heartbeat) => {}
            Ok(m) => {
                if events.send(Event::Daemon(id, m)).is_err() {
                    return;
                }
            }
            Err(dp::FrameError::Closed) => break "its connection closed".to_string(),
            Err(dp::FrameError::Io(e))
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                break format!("no heartbeat for {} s", dp::HEARTBEAT_TIMEOUT.as_secs());
            }
            Err(e) => break format!("its connection failed: {e}"),
        }
    };
    let _ = stream.shutdown(std::net::Shutdown::Both);
    let _ = events.send(Event::DaemonLost(id, reason));
}

/// Quotes a word for `sh`.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The shell command that starts the daemon of `host` through the launch agent.
pub(crate) fn agent_command(template: &str, host: &str, daemon_cmd: &str) -> String {
    let t = template.replace("{host}", host);
    if t.contains("{cmd}") {
        t.replace("{cmd}", daemon_cmd)
    } else {
        format!("{t} {daemon_cmd}")
    }
}

/// Starts the launch agent for host `index`, hands the daemon the job key on its stdin, and
/// reports when the agent exits.
fn start_agent(
    template: &str,
    name: &str,
    index: u32,
    listen: SocketAddr,
    key: &JobKey,
    events: &Sender<Event>,
) -> io::Result<()> {
    let daemon = match std::env::var_os("FTMPI_DAEMON") {
        Some(p) => std::path::PathBuf::from(p),
        None => std::env::current_exe()?.with_file_name("ftmpid"),
    };
    let daemon_cmd = format!(
        "{} --connect {listen} --host {index}",
        shell_quote(&daemon.to_string_lossy())
    );
    let line = agent_command(template, name, &daemon_cmd);
    let mut child = Command::new("/bin/sh")
        .arg("-c")
        .arg(&line)
        .stdin(Stdio::piped())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        // A daemon that never reads its key fails to connect; the agent's exit reports it.
        let _ = writeln!(stdin, "{}", key.to_hex());
    }
    let events = events.clone();
    thread::Builder::new()
        .name(format!("agent {index}"))
        .stack_size(128 << 10)
        .spawn(move || {
            let status = match child.wait() {
                Ok(s) => s.to_string(),
                Err(e) => e.to_string(),
            };
            let _ = events.send(Event::AgentExited(index, status));
        })?;
    Ok(())
}

/// A rank's output as its daemon sends it, readable as a pipe.
pub(crate) struct ChanReader {
    rx: Receiver<Vec<u8>>,
    buf: Vec<u8>,
    pos: usize,
}

impl Read for ChanReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.buf.len() {
            match self.rx.recv() {
                Ok(b) => {
                    self.buf = b;
                    self.pos = 0;
                }
                Err(_) => return Ok(0),
            }
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

enum Daemon {
    /// Ranks run in mpirun's own tree.
    Local,
    Starting,
    Up(DaemonConn),
    Lost,
}

/// What the driver does about a daemon's news.
pub(crate) enum News {
    Input(Input),
    /// Say this on stderr.
    Say(String),
    Nothing,
}

/// The hosts of a job and where its ranks run.
pub(crate) struct Cluster {
    names: Vec<String>,
    daemons: Vec<Daemon>,
    /// The host of each rank's current process.
    placement: Vec<usize>,
    incarnation: Vec<u32>,
    /// The current process was started and has not been reported dead.
    running: Vec<bool>,
    by_conn: HashMap<ConnId, usize>,
    /// Spawns waiting for their host's daemon.
    queued: Vec<Vec<(u32, u32)>>,
    outputs: HashMap<(u32, u32, u8), Sender<Vec<u8>>>,
    setup: ToDaemon,
    /// Daemons still starting are lost at this time.
    start_by: Instant,
}

impl Cluster {
    /// Starts a daemon on every host but `localhost`.
    pub(crate) fn start(
        opts: &Options,
        listen: SocketAddr,
        key: &JobKey,
        setup: ToDaemon,
        events: &Sender<Event>,
    ) -> io::Result<Cluster> {
        let hosts: &[HostSpec] = &opts.hosts;
        let template = opts.launch_agent.as_deref().unwrap_or("ssh {host}");
        let mut daemons = Vec::new();
        for (i, h) in hosts.iter().enumerate() {
            if h.name == LOCAL_NAME {
                daemons.push(Daemon::Local);
            } else {
                start_agent(template, &h.name, i as u32, listen, key, events).map_err(|e| {
                    io::Error::new(
                        e.kind(),
                        format!("cannot start the launch agent for {}: {e}", h.name),
                    )
                })?;
                daemons.push(Daemon::Starting);
            }
        }
        Ok(Cluster {
            names: hosts.iter().map(|h| h.name.clone()).collect(),
            daemons,
            placement: hostfile::place(hosts, opts.np, opts.map_by),
            incarnation: vec![0; opts.np as usize],
            running: vec![false; opts.np as usize],
            by_conn: HashMap::new(),
            queued: vec![Vec::new(); hosts.len()],
            outputs: HashMap::new(),
            setup,
            start_by: Instant::now() + DAEMON_START,
        })
    }

    /// The index of the `localhost` entry, whose ranks mpirun starts itself.
    pub(crate) fn local_index(hosts: &[HostSpec]) -> Option<usize> {
        hosts.iter().position(|h| h.name == LOCAL_NAME)
    }

    fn alive(&self, h: usize) -> bool {
        !matches!(self.daemons[h], Daemon::Lost)
    }

    /// Picks the host of a new process of `rank`: its own while it lives, else the least
    /// loaded survivor. `Ok(true)` when it runs locally (the caller starts it), `Ok(false)`
    /// when its daemon starts it (or will, once connected).
    pub(crate) fn spawn(
        &mut self,
        rank: u32,
        incarnation: u32,
        forward: &mut dyn FnMut(ChanReader, u32, bool) -> io::Result<()>,
    ) -> Result<bool, String> {
        let r = rank as usize;
        let mut h = self.placement[r];
        if !self.alive(h) {
            let mut load = vec![0usize; self.names.len()];
            for (q, &host) in self.placement.iter().enumerate() {
                if self.running[q] && q != r {
                    load[host] += 1;
                }
            }
            h = (0..self.names.len())
                .filter(|&c| self.alive(c))
                .min_by_key(|&c| (load[c], c))
                .ok_or("no host is left to run it")?;
        }
        self.placement[r] = h;
        self.incarnation[r] = incarnation;
        self.running[r] = true;
        match &self.daemons[h] {
            Daemon::Local => Ok(true),
            Daemon::Lost => Err(format!("host {} was lost", self.names[h])),
            d => {
                for (stream, is_err) in [(dp::STDOUT, false), (dp::STDERR, true)] {
                    let (tx, rx) = crossbeam_channel::unbounded();
                    forward(
                        ChanReader {
                            rx,
                            buf: Vec::new(),
                            pos: 0,
                        },
                        rank,
                        is_err,
                    )
                    .map_err(|e| format!("cannot start a thread for rank {rank}: {e}"))?;
                    self.outputs.insert((rank, incarnation, stream), tx);
                }
                match d {
                    Daemon::Up(c) => c.send(&ToDaemon::Spawn { rank, incarnation }),
                    _ => self.queued[h].push((rank, incarnation)),
                }
                Ok(false)
            }
        }
    }

    /// Whether the rank's current process runs in mpirun's own tree.
    pub(crate) fn is_local(&self, rank: u32) -> bool {
        matches!(self.daemons[self.placement[rank as usize]], Daemon::Local)
    }

    pub(crate) fn kill(&self, rank: u32, signal: i32) {
        if let Daemon::Up(c) = &self.daemons[self.placement[rank as usize]] {
            c.send(&ToDaemon::Kill { rank, signal });
        }
    }

    pub(crate) fn kill_all(&mut self) {
        // The job is ending: what has not started yet never will.
        for q in &mut self.queued {
            q.clear();
        }
        for d in &self.daemons {
            if let Daemon::Up(c) = d {
                c.send(&ToDaemon::KillAll);
            }
        }
    }

    /// A daemon connected and proved it knows the key.
    pub(crate) fn up(
        &mut self,
        id: ConnId,
        host: u32,
        _pid: u32,
        peer: String,
        conn: DaemonConn,
    ) -> Option<String> {
        let h = host as usize;
        if !matches!(self.daemons.get(h), Some(Daemon::Starting)) {
            conn.shutdown();
            return Some(format!(
                "refused a daemon connection from {peer}: host index {host} is not waiting for a daemon"
            ));
        }
        conn.send(&self.setup);
        for (rank, incarnation) in std::mem::take(&mut self.queued[h]) {
            conn.send(&ToDaemon::Spawn { rank, incarnation });
        }
        self.daemons[h] = Daemon::Up(conn);
        self.by_conn.insert(id, h);
        None
    }

    /// A frame from the daemon on connection `id`.
    pub(crate) fn news(&mut self, id: ConnId, m: FromDaemon) -> News {
        let Some(&h) = self.by_conn.get(&id) else {
            return News::Nothing;
        };
        let current = |s: &Self, rank: u32, inc: u32| {
            let r = rank as usize;
            r < s.placement.len() && s.placement[r] == h && s.incarnation[r] == inc
        };
        match m {
            FromDaemon::Spawned {
                rank,
                incarnation,
                pid,
            } if current(self, rank, incarnation) => News::Input(Input::Spawned { rank, pid }),
            FromDaemon::SpawnFailed {
                rank,
                incarnation,
                exit_code,
                error,
            } if current(self, rank, incarnation) => {
                self.running[rank as usize] = false;
                self.end_output(rank, incarnation);
                News::Input(Input::SpawnFailed {
                    rank,
                    error: format!("on {}: {error}", self.names[h]),
                    exit_code,
                })
            }
            FromDaemon::Exited {
                rank,
                incarnation,
                how,
                value,
            } if current(self, rank, incarnation) => {
                self.running[rank as usize] = false;
                let exit = match how {
                    dp::EXIT_CODE => Exit::Code(value),
                    dp::EXIT_SIGNAL => Exit::Signal(value),
                    _ => Exit::Lost,
                };
                News::Input(Input::Exited { rank, exit })
            }
            FromDaemon::Output {
                rank,
                incarnation,
                stream,
                data,
            } => {
                let k = (rank, incarnation, stream);
                if data.is_empty() {
                    self.outputs.remove(&k);
                } else if let Some(tx) = self.outputs.get(&k) {
                    let _ = tx.send(data);
                }
                News::Nothing
            }
            FromDaemon::Hello { .. } => News::Say(format!(
                "daemon on {} said hello twice; ignored",
                self.names[h]
            )),
            _ => News::Nothing,
        }
    }

    /// Some remote rank's output has not ended yet.
    pub(crate) fn output_open(&self) -> bool {
        !self.outputs.is_empty()
    }

    fn end_output(&mut self, rank: u32, incarnation: u32) {
        self.outputs.remove(&(rank, incarnation, dp::STDOUT));
        self.outputs.remove(&(rank, incarnation, dp::STDERR));
    }

    /// The daemon on connection `id` is gone.
    pub(crate) fn conn_lost(&mut self, id: ConnId, reason: &str) -> Option<Input> {
        let h = self.by_conn.remove(&id)?;
        self.host_lost(h, format!("its daemon was lost: {reason}"))
    }

    /// When the daemons that have not connected yet will be given up on.
    pub(crate) fn start_deadline(&self) -> Option<Instant> {
        self.daemons
            .iter()
            .any(|d| matches!(d, Daemon::Starting))
            .then_some(self.start_by)
    }

    /// The hosts whose daemons did not connect in time.
    pub(crate) fn overdue(&mut self) -> Vec<Input> {
        (0..self.daemons.len())
            .filter(|&h| matches!(self.daemons[h], Daemon::Starting))
            .collect::<Vec<_>>()
            .into_iter()
            .filter_map(|h| {
                self.host_lost(
                    h,
                    format!(
                        "its daemon did not connect within {} s",
                        DAEMON_START.as_secs()
                    ),
                )
            })
            .collect()
    }

    /// The launch agent of host `h` exited.
    pub(crate) fn agent_exited(&mut self, h: u32, status: &str) -> Option<Input> {
        let h = h as usize;
        if !matches!(self.daemons.get(h), Some(Daemon::Starting)) {
            return None;
        }
        self.host_lost(
            h,
            format!("its launch agent exited ({status}) before the daemon connected"),
        )
    }

    fn host_lost(&mut self, h: usize, reason: String) -> Option<Input> {
        if let Daemon::Up(c) = &self.daemons[h] {
            c.shutdown();
        }
        self.daemons[h] = Daemon::Lost;
        self.queued[h].clear();
        let mut ranks = Vec::new();
        for r in 0..self.placement.len() {
            if self.placement[r] == h && self.running[r] {
                self.running[r] = false;
                let inc = self.incarnation[r];
                self.end_output(r as u32, inc);
                ranks.push(r as u32);
            }
        }
        Some(Input::HostLost {
            host: self.names[h].clone(),
            reason,
            ranks,
        })
    }

    /// The local ranks' exits, so placement knows the load.
    pub(crate) fn local_exit(&mut self, rank: u32) {
        if let Some(r) = self.running.get_mut(rank as usize) {
            *r = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_commands() {
        assert_eq!(
            agent_command(
                "ssh {host}",
                "n1",
                "'/x/ftmpid' --connect 1.2.3.4:5 --host 1"
            ),
            "ssh n1 '/x/ftmpid' --connect 1.2.3.4:5 --host 1"
        );
        assert_eq!(
            agent_command("ip netns exec {host} env A=1 {cmd} 2>/dev/null", "h", "D"),
            "ip netns exec h env A=1 D 2>/dev/null"
        );
        assert_eq!(shell_quote("a'b"), r"'a'\''b'");
    }

    #[test]
    fn chan_reader_reads_in_pieces_then_ends() {
        let (tx, rx) = crossbeam_channel::unbounded();
        tx.send(b"hello".to_vec()).unwrap();
        tx.send(b"!".to_vec()).unwrap();
        drop(tx);
        let mut r = ChanReader {
            rx,
            buf: Vec::new(),
            pos: 0,
        };
        let mut got = String::new();
        r.read_to_string(&mut got).unwrap();
        assert_eq!(got, "hello!");
    }
}
