//! TCP between ranks as an outsider sees it: a connection to a rank's listener that does not
//! know the job key is refused and logged, and the job completes as if nothing happened.
//!
//! The ranks are this test binary run again under `mpirun` (`tcp_rank` below, selected by
//! `FTMPI_TEST_TCP_RANK`), calling the library's C entry points. Every wait has a time limit;
//! nothing sleeps to wait for an event: rank 0 waits for a line on its standard input, which
//! the test writes once the refusal is logged.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitStatus, Stdio};
use std::ptr;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, unbounded};
use mpi::abi::consts::{MPI_COMM_WORLD, MPI_INT, MPI_SUCCESS};
use mpi::abi::types::MPI_Status;
use mpi::auth::{self, JobKey};
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

const MPIRUN: &str = env!("CARGO_BIN_EXE_mpirun");
const ROLE: &str = "FTMPI_TEST_TCP_RANK";
const LIMIT: Duration = Duration::from_secs(60);

/// Passes a value around the ring of ranks; returns what came from the left.
fn ring_pass(rank: i32, size: i32, value: i32) -> i32 {
    let mut got: i32 = -1;
    let mut st = MPI_Status::default();
    // SAFETY: both buffers are live locals for this blocking call.
    let rc = unsafe {
        mpi::abi::p2p::MPI_Sendrecv(
            (&value as *const i32).cast(),
            1,
            MPI_INT,
            (rank + 1) % size,
            7,
            (&mut got as *mut i32).cast(),
            1,
            MPI_INT,
            (rank + size - 1) % size,
            7,
            MPI_COMM_WORLD,
            &mut st,
        )
    };
    assert_eq!(rc, MPI_SUCCESS);
    got
}

/// The rank's program (a no-op when not started by the test below).
#[test]
fn tcp_rank() {
    if std::env::var(ROLE).is_err() {
        return;
    }
    let (mut rank, mut size) = (0, 0);
    // SAFETY: MPI_Init accepts null argc/argv; the out-pointers are live locals.
    unsafe {
        assert_eq!(mpi::abi::init::MPI_Init(ptr::null_mut(), ptr::null_mut()), MPI_SUCCESS);
        mpi::abi::comm::MPI_Comm_rank(MPI_COMM_WORLD, &mut rank);
        mpi::abi::comm::MPI_Comm_size(MPI_COMM_WORLD, &mut size);
    }
    let left = (rank + size - 1) % size;
    assert_eq!(ring_pass(rank, size, rank * 10), left * 10);
    if rank == 0 {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).unwrap();
    }
    // SAFETY: plain calls on the world communicator.
    unsafe {
        assert_eq!(mpi::abi::comm::MPI_Barrier(MPI_COMM_WORLD), MPI_SUCCESS);
    }
    assert_eq!(ring_pass(rank, size, rank * 10 + 1), left * 10 + 1);
    if rank == 0 {
        println!(" No Errors");
    }
    // SAFETY: the last MPI call of the process.
    unsafe {
        assert_eq!(mpi::abi::init::MPI_Finalize(), MPI_SUCCESS);
    }
}

enum Event {
    Err(String),
    ErrEnd,
}

fn kill_group(pid: u32) {
    let _ = killpg(Pid::from_raw(pid as i32), Signal::SIGKILL);
}

/// The next stderr line satisfying `want`, within the deadline; all lines go into `log`.
fn wait_line(rx: &Receiver<Event>, log: &mut String, deadline: Instant, want: impl Fn(&str) -> bool) -> Option<String> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(Event::Err(l)) => {
                log.push_str(&l);
                log.push('\n');
                if want(&l) {
                    return Some(l);
                }
            }
            Ok(Event::ErrEnd) | Err(RecvTimeoutError::Disconnected) | Err(RecvTimeoutError::Timeout) => return None,
        }
    }
}

#[test]
fn a_connection_with_a_wrong_key_is_refused_while_the_job_completes() {
    let me = std::env::current_exe().unwrap();
    let mut child = Command::new(MPIRUN)
        .args(["-np", "3"])
        .arg(&me)
        .args(["--exact", "tcp_rank", "--nocapture", "--test-threads=1"])
        .env(ROLE, "1")
        .env("FTMPI_TRANSPORT", "tcp")
        .env("FTMPI_DEBUG_TCP", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("start mpirun");
    let pid = child.id();
    let deadline = Instant::now() + LIMIT;
    let (tx, rx) = unbounded();
    let stderr = child.stderr.take().unwrap();
    thread::spawn(move || {
        for l in BufReader::new(stderr).lines() {
            let Ok(l) = l else { break };
            let _ = tx.send(Event::Err(l));
        }
        let _ = tx.send(Event::ErrEnd);
    });
    let mut stdout = child.stdout.take().unwrap();
    let out = thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let (stx, srx) = unbounded::<ExitStatus>();
    let mut stdin = child.stdin.take().unwrap();
    thread::spawn(move || {
        let _ = stx.send(child.wait().unwrap());
    });
    let mut log = String::new();
    let fail = |why: &str, log: &str| -> ! {
        kill_group(pid);
        panic!("{why}\n--- stderr so far\n{log}");
    };

    let Some(line) = wait_line(&rx, &mut log, deadline, |l| l.starts_with("ftmpi: rank 1 listens on ")) else {
        fail("rank 1 never said where it listens", &log);
    };
    let addr: SocketAddr = line.rsplit(' ').next().unwrap().parse().unwrap();

    // An outsider with a key of its own: it sees that the server's answer does not fit its
    // key, and answers with a MAC made with that key, which the rank must refuse.
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let wrong = JobKey::generate().unwrap();
    let mut probe = s.try_clone().unwrap();
    assert!(auth::client_handshake(&mut probe, &wrong).is_err(), "a wrong key was accepted");
    probe.write_all(&auth::random_bytes::<32>().unwrap()).unwrap();
    if wait_line(&rx, &mut log, deadline, |l| l.starts_with(&format!("ftmpi: rank 1 refused a connection from {}", s.local_addr().unwrap())))
        .is_none()
    {
        fail("the refusal was not logged", &log);
    }
    // The socket is closed on the outsider, at most after a verdict that is not "accepted".
    let mut rest = Vec::new();
    let _ = s.read_to_end(&mut rest);
    assert!(rest.len() <= 1 && rest != [1], "after the refusal the rank sent {rest:?}");

    // The job goes on over its own connections.
    stdin.write_all(b"go\n").unwrap();
    drop(stdin);
    let status = match srx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        Ok(st) => st,
        Err(_) => fail("the job did not finish", &log),
    };
    while let Ok(Event::Err(l)) = rx.recv_timeout(Duration::from_secs(5)) {
        log.push_str(&l);
        log.push('\n');
    }
    let stdout = out.join().unwrap();
    assert!(status.success(), "mpirun: {status:?}\n--- stdout\n{stdout}\n--- stderr\n{log}");
    assert_eq!(stdout.matches(" No Errors").count(), 1, "--- stdout\n{stdout}\n--- stderr\n{log}");
    assert_eq!(log.matches("refused a connection").count(), 1, "{log}");
}
