//! Files written whole or not at all, and removed without fuss: the two things
//! every record, setting, voice clip and still on disk goes through.

use std::fs;
use std::io::Write;
use std::path::Path;

/// Writes a file whole or not at all, and durably (fsync of the file and its
/// folder): every record, setting and voice goes through here. The fsync can take
/// long on a busy disk, so it runs off the async workers (`blocking::run`).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    crate::blocking::run(|| write_durably(path, bytes))
}

fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    // A name no other write shares, even another thread's write of the same file.
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let temp = path.with_extension(format!("tmp-{}-{n}", std::process::id()));
    let written = fs::File::create(&temp).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, path)
    });
    if let Err(error) = written {
        // A failed write (disk full) leaves no stray temp file behind.
        let _ = fs::remove_file(&temp);
        return Err(error);
    }
    // The rename itself is durable only once the folder is synced (where that exists).
    if let Ok(dir) = fs::File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Removes a file; one already gone is as good as removed.
pub fn remove_if_present(path: &Path) -> std::io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_replaces_the_file_whole_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deep/record.json");
        write_atomically(&path, b"first").unwrap();
        write_atomically(&path, b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        let names: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["record.json"]);
    }

    #[test]
    fn removing_a_file_already_gone_is_no_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gone.mp4");
        fs::write(&path, b"v").unwrap();
        remove_if_present(&path).unwrap();
        remove_if_present(&path).unwrap();
        assert!(!path.exists());
    }
}
