#![forbid(unsafe_code)]
//! The bootstrap socket: accepts connections and turns their frames into coordinator inputs.
//!
//! Each connection has a reader thread, which stops at the first bad frame since the framing
//! can no longer be trusted, and a writer thread, so a client that does not read can stall
//! only itself, never the coordinator. Both share one socket descriptor.

use std::io::Write;
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::Arc;
use std::thread;

use crossbeam_channel::Sender;

use super::Event;
use super::coordinator::{ConnId, Input};
use super::proto::{self, ProtoError};

/// The driver's handle on one connection.
pub(crate) struct Conn {
    frames: Sender<Arc<Vec<u8>>>,
    stream: Arc<UnixStream>,
}

impl Conn {
    /// Queues a whole frame for the writer thread.
    pub(crate) fn send(&self, frame: Arc<Vec<u8>>) {
        let _ = self.frames.send(frame);
    }

    /// Ends the connection both ways; the reader sees end of stream, a blocked writer fails.
    pub(crate) fn shutdown(&self) {
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
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
    let mut next: ConnId = 0;
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
        next += 1;
        if let Err(e) = open(next, stream, &events) {
            let _ = events.send(Event::Input(Input::ServerFailed(format!(
                "cannot start the threads of connection {next}: {e}"
            ))));
            return;
        }
    }
}

fn open(id: ConnId, stream: UnixStream, events: &Sender<Event>) -> std::io::Result<()> {
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
        stream: Arc::clone(&stream),
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
