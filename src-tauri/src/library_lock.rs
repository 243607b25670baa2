//! One copy of the app drives the job library at a time. The window side of this
//! is `tauri-plugin-single-instance` (a second launch brings the first window
//! forward and exits); this is the defence in depth beneath it, for when that
//! plugin cannot work (another desktop session, a broken D-Bus): the library
//! folder is held with an exclusive OS lock while a copy runs. A copy that cannot
//! take it never submits, polls or downloads. The OS drops the lock when the
//! process ends, however it ends (a crash, a kill, a power cut).

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The lock's file, in the library folder.
const LOCK_FILE: &str = "kling-studio.lock";

/// Held for as long as the app runs; dropping it releases the library.
#[derive(Debug)]
pub struct LibraryLock {
    _file: File,
    path: PathBuf,
}

/// Whether `error` means "another copy of Kling Studio holds the library".
pub fn is_held_elsewhere(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::ResourceBusy
}

impl LibraryLock {
    /// Takes the library, or answers an error for which `is_held_elsewhere` holds.
    pub fn acquire(library_dir: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(library_dir)?;
        let path = library_dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(io::Error::new(
                    io::ErrorKind::ResourceBusy,
                    "Kling Studio is already open: another copy holds its library",
                ))
            }
            // A file system without locks (some network homes): the single-instance
            // plugin still keeps a second copy out; say so in the log and go on.
            Err(std::fs::TryLockError::Error(error)) => {
                log::warn!(
                    "the library's lock file cannot be locked here ({error}); going on without the OS lock"
                );
            }
        }
        // Which process holds it, for a support request; the lock is what counts.
        file.set_len(0)?;
        writeln!(file, "{}", std::process::id())?;
        Ok(Self { _file: file, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_library_is_held_by_one_holder_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let first = LibraryLock::acquire(dir.path()).unwrap();
        let second = LibraryLock::acquire(dir.path()).unwrap_err();
        assert!(is_held_elsewhere(&second), "{second}");
        drop(first);
        let again = LibraryLock::acquire(dir.path()).unwrap();
        assert_eq!(
            std::fs::read_to_string(again.path()).unwrap().trim(),
            std::process::id().to_string()
        );
    }
}
