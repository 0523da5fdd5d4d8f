#![forbid(unsafe_code)]
//! Forwarding the ranks' stdout and stderr to mpirun's, a whole line at a time.
//!
//! One thread per pipe. Every complete line read in one go is written under one lock of
//! mpirun's stdout (or stderr), so lines of different ranks never mix. A line without its
//! newline is held until the newline comes, the pipe ends, or it grows past [`MAX_LINE`].

use std::io::{self, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

const CHUNK: usize = 64 << 10;

/// A line longer than this is written out in pieces.
const MAX_LINE: usize = 1 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    fn name(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

/// The forwarding threads of a job.
pub(crate) struct Output {
    tag: bool,
    started: usize,
    done_tx: Sender<()>,
    done_rx: Receiver<()>,
    /// Bytes read so far from all pipes, so a drain can tell a slow pipe from a stuck one.
    progress: Arc<AtomicU64>,
}

impl Output {
    pub(crate) fn new(tag: bool) -> Output {
        let (done_tx, done_rx) = crossbeam_channel::unbounded();
        Output {
            tag,
            started: 0,
            done_tx,
            done_rx,
            progress: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Starts forwarding `src`, the rank's `stream`, until it ends.
    pub(crate) fn forward<R: Read + Send + 'static>(
        &mut self,
        src: R,
        rank: u32,
        stream: Stream,
    ) -> io::Result<()> {
        let prefix = self
            .tag
            .then(|| format!("[1,{rank}]<{}>:", stream.name()).into_bytes());
        let done = self.done_tx.clone();
        let progress = Arc::clone(&self.progress);
        thread::Builder::new()
            .name(format!("rank {rank} {}", stream.name()))
            .stack_size(256 << 10)
            .spawn(move || {
                pump(src, stream, prefix.as_deref(), &progress);
                let _ = done.send(());
            })?;
        self.started += 1;
        Ok(())
    }

    /// Waits until every pipe has ended, or until `idle` passes with nothing read from any of
    /// them (a process the rank started may hold its pipe open). Returns whether all ended.
    pub(crate) fn drain(&mut self, idle: Duration) -> bool {
        let mut seen = self.progress.load(Ordering::Relaxed);
        while self.started > 0 {
            match self.done_rx.recv_timeout(idle) {
                Ok(()) => self.started -= 1,
                Err(RecvTimeoutError::Timeout) => {
                    let now = self.progress.load(Ordering::Relaxed);
                    if now == seen {
                        return false;
                    }
                    seen = now;
                }
                Err(RecvTimeoutError::Disconnected) => return false,
            }
        }
        true
    }
}

/// Copies `src` to `stream` line by line until end of file. Write errors are ignored: the pipe
/// is still drained, so the rank never blocks on a reader that is gone.
fn pump(mut src: impl Read, stream: Stream, prefix: Option<&[u8]>, progress: &AtomicU64) {
    let mut buf = vec![0u8; CHUNK];
    let mut pending = Vec::new();
    loop {
        let n = match src.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        progress.fetch_add(n as u64, Ordering::Relaxed);
        let chunk = &buf[..n];
        match chunk.iter().rposition(|&b| b == b'\n') {
            Some(last) => {
                pending.extend_from_slice(&chunk[..=last]);
                write_out(stream, &lines(prefix, &pending));
                pending.clear();
                pending.extend_from_slice(&chunk[last + 1..]);
            }
            None => pending.extend_from_slice(chunk),
        }
        if pending.len() >= MAX_LINE {
            write_out(stream, &partial_line(prefix, &pending));
            pending.clear();
        }
    }
    if !pending.is_empty() {
        write_out(stream, &partial_line(prefix, &pending));
    }
}

/// Complete lines, each with the prefix in front.
fn lines(prefix: Option<&[u8]>, text: &[u8]) -> Vec<u8> {
    let Some(prefix) = prefix else {
        return text.to_vec();
    };
    let count = text.iter().filter(|&&b| b == b'\n').count();
    let mut out = Vec::with_capacity(text.len() + count * prefix.len());
    for line in text.split_inclusive(|&b| b == b'\n') {
        out.extend_from_slice(prefix);
        out.extend_from_slice(line);
    }
    out
}

/// A line without its newline. Tagged output stays one line per tag, so it gets one; untagged
/// output is passed on as it came.
fn partial_line(prefix: Option<&[u8]>, text: &[u8]) -> Vec<u8> {
    match prefix {
        Some(prefix) => {
            let mut out = Vec::with_capacity(prefix.len() + text.len() + 1);
            out.extend_from_slice(prefix);
            out.extend_from_slice(text);
            out.push(b'\n');
            out
        }
        None => text.to_vec(),
    }
}

fn write_out(stream: Stream, bytes: &[u8]) {
    match stream {
        Stream::Stdout => {
            let mut out = io::stdout().lock();
            let _ = out.write_all(bytes);
            let _ = out.flush();
        }
        Stream::Stderr => {
            let mut out = io::stderr().lock();
            let _ = out.write_all(bytes);
            let _ = out.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tagging_splits_on_newlines() {
        let p = Some(&b"[1,3]<stdout>:"[..]);
        assert_eq!(
            lines(p, b"a\n\nbc\n"),
            b"[1,3]<stdout>:a\n[1,3]<stdout>:\n[1,3]<stdout>:bc\n"
        );
        assert_eq!(lines(None, b"a\nb\n"), b"a\nb\n");
        assert_eq!(partial_line(p, b"tail"), b"[1,3]<stdout>:tail\n");
        assert_eq!(partial_line(None, b"tail"), b"tail");
    }
}
