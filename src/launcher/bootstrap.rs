#![forbid(unsafe_code)]
//! The bootstrap socket: accepts connections and turns their frames into coordinator inputs.
//!
//! Each connection has a reader thread, which stops at the first bad frame since the framing
//! can no longer be trusted, and a writer thread, so a client that does not read can stall
//! only itself, never the coordinator. Both share one socket descriptor.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

use crossbeam_channel::Sender;

use super::Event;
use super::coordinator::{ConnId, Input};
use super::proto::{self, ProtoError};

/// A socket a connection runs over: the Unix socket, or TCP from another host.
pub(crate) trait Sock: Send + Sync + 'static {
    fn shut(&self);
}

impl Sock for UnixStream {
    fn shut(&self) {
        let _ = self.shutdown(std::net::Shutdown::Both);
    }
}

impl Sock for TcpStream {
    fn shut(&self) {
        let _ = self.shutdown(std::net::Shutdown::Both);
    }
}

/// Connection ids, shared by every listener.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

pub(crate) fn next_id() -> ConnId {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// The driver's handle on one connection.
pub(crate) struct Conn {
    frames: Sender<Arc<Vec<u8>>>,
    stream: Arc<dyn Sock>,
}

impl Conn {
    /// Queues a whole frame for the writer thread.
    pub(crate) fn send(&self, frame: Arc<Vec<u8>>) {
        let _ = self.frames.send(frame);
    }

    /// Ends the connection both ways; the reader sees end of stream, a blocked writer fails.
    pub(crate) fn shutdown(&self) {
        self.stream.shut();
    }
}

/// Accepts connections on `listener` for the life of mpirun.
pub(crate) fn serve(listener: UnixListener, events: Sender<Event>) -> std::io::Result<()> {
    thread::Builder::new()
        .name("bootstrap".into())
        .stack_size(256 << 10)
        .spawn(move || accept_loop(listener, events))?;
    Ok(())
}

fn accept_loop(listener: UnixListener, events: Sender<Event>) {
    loop {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::Interrupted | std::io::ErrorKind::ConnectionAborted
                ) =>
            {
                continue;
            }
            Err(e) => {
                let _ = events.send(Event::Input(Input::ServerFailed(format!(
                    "accepting a connection failed: {e}"
                ))));
                return;
            }
        };
        let next = next_id();
        if let Err(e) = open(next, stream, &events) {
            let _ = events.send(Event::Input(Input::ServerFailed(format!(
                "cannot start the threads of connection {next}: {e}"
            ))));
            return;
        }
    }
}

/// Starts the threads of a connection whose frames are `launcher::proto`'s.
pub(crate) fn open<S: Sock>(id: ConnId, stream: S, events: &Sender<Event>) -> std::io::Result<()>
where
    for<'a> &'a S: Read + Write,
{
    let stream = Arc::new(stream);
    let (frames, queued) = crossbeam_channel::unbounded::<Arc<Vec<u8>>>();

    let out = Arc::clone(&stream);
    thread::Builder::new()
        .name(format!("conn {id} writer"))
        .stack_size(128 << 10)
        .spawn(move || {
            for frame in queued {
                if (&*out).write_all(&frame).is_err() {
                    break;
                }
            }
        })?;

    // Registered before the reader starts, so the coordinator knows the connection before
    // its first frame.
    let conn = Conn {
        frames,
        stream: Arc::clone(&stream) as Arc<dyn Sock>,
    };
    let _ = events.send(Event::Connected(id, conn));

    let reports = events.clone();
    let spawned = thread::Builder::new()
        .name(format!("conn {id} reader"))
        .stack_size(256 << 10)
        .spawn(move || {
            let mut r = &*stream;
            loop {
                let input = match proto::read_msg(&mut r) {
                    Ok(msg) => Input::Message(id, msg),
                    Err(ProtoError::Closed | ProtoError::Io(_)) => Input::Closed(id),
                    Err(e) => Input::BadFrame(id, e.to_string()),
                };
                let last = !matches!(input, Input::Message(..));
                if reports.send(Event::Input(input)).is_err() || last {
                    return;
                }
            }
        });
    if let Err(e) = spawned {
        let _ = events.send(Event::Input(Input::Closed(id)));
        return Err(e);
    }
    Ok(())
}
