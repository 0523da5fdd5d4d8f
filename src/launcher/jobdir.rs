#![forbid(unsafe_code)]
//! The job's names in the file system: its id, its private directory with the bootstrap
//! socket, and the shared-memory segments its ranks create. Dropping a [`JobDir`] removes
//! all of them.

use std::fs::{self, DirBuilder};
use std::io::{self, Read};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

/// Where the ranks put their segments, as `ftmpi-<jobid>-*`.
const SHM_DIR: &str = "/dev/shm";

/// Longest socket path `bind` takes (`sun_path` is 108 bytes with its NUL).
const MAX_SOCKET_PATH: usize = 107;

const SOCKET_NAME: &str = "boot.sock";

#[derive(Debug)]
pub(crate) struct JobDir {
    id: String,
    dir: PathBuf,
}

impl JobDir {
    /// A fresh id and directory (mode 0700) under `$TMPDIR`, or under /tmp when `$TMPDIR` is
    /// too long for a socket path.
    pub(crate) fn create() -> io::Result<JobDir> {
        let id = format!("{}-{}", std::process::id(), random_hex()?);
        let name = format!("ftmpi-{id}");
        let mut dir = std::env::temp_dir().join(&name);
        if dir.join(SOCKET_NAME).as_os_str().len() > MAX_SOCKET_PATH {
            dir = Path::new("/tmp").join(&name);
        }
        DirBuilder::new().mode(0o700).create(&dir).map_err(|e| {
            io::Error::new(e.kind(), format!("cannot create {}: {e}", dir.display()))
        })?;
        Ok(JobDir { id, dir })
    }

    pub(crate) fn id(&self) -> &str {
        &self.id
    }

    pub(crate) fn socket(&self) -> PathBuf {
        self.dir.join(SOCKET_NAME)
    }

    /// The shared-memory segment of one process of the job.
    pub(crate) fn segment(&self, rank: u32, incarnation: u32) -> PathBuf {
        Path::new(SHM_DIR).join(format!("ftmpi-{}-{rank}-{incarnation}", self.id))
    }

    /// Removes a dead process's segment; the survivors keep whatever they have mapped.
    pub(crate) fn remove_segment(&self, rank: u32, incarnation: u32) {
        let _ = fs::remove_file(self.segment(rank, incarnation));
    }
}

impl Drop for JobDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
        let prefix = format!("ftmpi-{}-", self.id);
        if let Ok(entries) = fs::read_dir(SHM_DIR) {
            for entry in entries.flatten() {
                if entry
                    .file_name()
                    .to_str()
                    .is_some_and(|n| n.starts_with(&prefix))
                {
                    let _ = fs::remove_file(entry.path());
                }
            }
        }
    }
}

/// 16 hex digits from /dev/urandom.
fn random_hex() -> io::Result<String> {
    let mut bytes = [0u8; 8];
    fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_directory_and_segments_go_away() {
        let job = JobDir::create().unwrap();
        let dir = job.socket().parent().unwrap().to_path_buf();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        assert!(job.id().starts_with(&format!("{}-", std::process::id())));
        assert_eq!(job.id().len() - job.id().rfind('-').unwrap() - 1, 16);
        let segment = Path::new(SHM_DIR).join(format!("ftmpi-{}-r0", job.id()));
        let other = Path::new(SHM_DIR).join(format!("ftmpi-{}x-r0", job.id()));
        fs::write(&segment, b"x").unwrap();
        fs::write(&other, b"x").unwrap();
        let dead = job.segment(2, 1);
        assert_eq!(
            dead,
            Path::new(SHM_DIR).join(format!("ftmpi-{}-2-1", job.id()))
        );
        fs::write(&dead, b"x").unwrap();
        job.remove_segment(2, 1);
        assert!(!dead.exists());
        job.remove_segment(2, 1);
        drop(job);
        assert!(!dir.exists());
        assert!(!segment.exists());
        assert!(other.exists(), "another job's segment was removed");
        fs::remove_file(other).unwrap();
    }
}
