//! Single-copy reads from another process (cross-memory attach, `process_vm_readv`).

use std::io::{self, IoSliceMut};

/// Reads `total` bytes starting at `remote` in process `pid` into `local`, looping over
/// partial transfers. Fails with the OS error (EPERM where ptrace rules forbid it, ESRCH if
/// the peer is gone).
pub fn read(pid: i32, remote: u64, local: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
    let mut done = 0usize;
    let mut idx = 0usize;
    let mut skip = 0usize;
    while idx < local.len() {
        // At most IOV_MAX local vectors per call.
        let mut iov: Vec<libc::iovec> = Vec::with_capacity(local.len().min(1024));
        let mut want = 0usize;
        for (k, s) in local[idx..].iter_mut().enumerate().take(1024) {
            let off = if k == 0 { skip } else { 0 };
            // SAFETY: `off <= s.len()`; the slice stays borrowed for this whole call.
            iov.push(libc::iovec { iov_base: unsafe { s.as_mut_ptr().add(off) } as *mut libc::c_void, iov_len: s.len() - off });
            want += s.len() - off;
        }
        if want == 0 {
            break;
        }
        let riov = libc::iovec { iov_base: (remote as usize + done) as *mut libc::c_void, iov_len: want };
        // SAFETY: every local iovec points into a live mutable slice we borrow exclusively;
        // the remote range is only read by the kernel, which checks it.
        let n = unsafe { libc::process_vm_readv(pid, iov.as_ptr(), iov.len() as libc::c_ulong, &riov, 1, 0) };
        let Some(mut n) = moved(n, "process_vm_readv read nothing")? else { continue };
        done += n;
        // Advance (idx, skip) by n bytes.
        while n > 0 && idx < local.len() {
            let left = local[idx].len() - skip;
            if n >= left {
                n -= left;
                idx += 1;
                skip = 0;
            } else {
                skip += n;
                n = 0;
            }
        }
        while idx < local.len() && local[idx].len() == skip {
            idx += 1;
            skip = 0;
        }
    }
    Ok(done)
}

/// Bytes moved by one `process_vm_readv`/`process_vm_writev` call that returned `n`: `None`
/// when a signal interrupted it (try again); nothing moved is an error saying `nothing`.
fn moved(n: isize, nothing: &'static str) -> io::Result<Option<usize>> {
    if n < 0 {
        let e = io::Error::last_os_error();
        return if e.kind() == io::ErrorKind::Interrupted { Ok(None) } else { Err(e) };
    }
    if n == 0 {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, nothing));
    }
    Ok(Some(n as usize))
}

/// Lets any process of this user read this process's memory with `process_vm_readv`, where
/// the Yama security module would otherwise restrict that to ancestors. Errors are ignored:
/// without Yama there is nothing to relax.
pub fn allow_peers() {
    // SAFETY: PR_SET_PTRACER takes plain integer arguments and changes no memory.
    unsafe {
        libc::prctl(libc::PR_SET_PTRACER, libc::PR_SET_PTRACER_ANY, 0, 0, 0);
    }
}

/// Writes `local` into process `pid` at `remote` (the mirror of [`read`] for one contiguous
/// range), looping over partial transfers.
pub fn write(pid: i32, remote: u64, local: &[u8]) -> io::Result<()> {
    let mut done = 0usize;
    while done < local.len() {
        let rest = &local[done..];
        let liov = libc::iovec { iov_base: rest.as_ptr() as *mut libc::c_void, iov_len: rest.len() };
        let riov = libc::iovec { iov_base: (remote as usize + done) as *mut libc::c_void, iov_len: rest.len() };
        // SAFETY: the local iovec points into a slice we borrow for the whole call and the
        // kernel only reads it; the remote range is checked by the kernel.
        let n = unsafe { libc::process_vm_writev(pid, &liov, 1, &riov, 1, 0) };
        let Some(n) = moved(n, "process_vm_writev wrote nothing")? else { continue };
        done += n;
    }
    Ok(())
}
