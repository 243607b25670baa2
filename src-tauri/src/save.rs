//! Copying a finished video to where the creator wants it: a name made from the
//! prompt and the time that is safe on every OS, and never over an existing file.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Local};

const MAX_SLUG_CHARS: usize = 48;
/// Names Windows refuses whatever the extension.
const WINDOWS_RESERVED: [&str; 22] = [
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// The first words of the prompt as a file name part: letters and digits of any
/// script, joined by dashes; nothing any OS reserves.
pub fn slug(prompt: &str) -> String {
    let mut slug = String::new();
    for c in prompt.chars() {
        if c.is_alphanumeric() {
            slug.extend(c.to_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.chars().count() >= MAX_SLUG_CHARS {
            break;
        }
    }
    let slug = slug.trim_matches('-').to_string();
    if slug.is_empty() || WINDOWS_RESERVED.contains(&slug.as_str()) {
        "video".to_string()
    } else {
        slug
    }
}

/// `kling-2026-11-24-0530-a-fox-runs-through-snow.mp4`
pub fn file_name(prompt: &str, at: DateTime<Local>) -> String {
    format!(
        "kling-{}-{}.mp4",
        at.format("%Y-%m-%d-%H%M%S"),
        slug(prompt)
    )
}

/// Copies `source` into `dir` as `name`, or `name (2)`, `(3)`… when taken. The
/// copy is made whole under a hidden name first, so a save cut short (the app
/// killed mid-copy, a full disk) never leaves a partial video under a real name;
/// the name is then claimed with a hard link, which never replaces a file, so two
/// saves never share one.
pub fn copy_without_overwrite(source: &Path, dir: &Path, name: &str) -> io::Result<PathBuf> {
    fs::create_dir_all(dir)?;
    let temp = whole_copy_in(source, dir)?;
    let claimed = claim_name(&temp, dir, name);
    // After a hard link the hidden copy is a second name for the same file; after
    // a rename (below) it is already gone.
    let _ = fs::remove_file(&temp);
    claimed
}

/// Gives the whole copy at `temp` the first free name of `name`, `name (2)`…
fn claim_name(temp: &Path, dir: &Path, name: &str) -> io::Result<PathBuf> {
    let (stem, ext) = match name.rsplit_once('.') {
        Some((stem, ext)) => (stem.to_string(), format!(".{ext}")),
        None => (name.to_string(), String::new()),
    };
    for n in 1..10_000 {
        let candidate = if n == 1 {
            dir.join(name)
        } else {
            dir.join(format!("{stem} ({n}){ext}"))
        };
        match fs::hard_link(temp, &candidate) {
            Ok(()) => return Ok(candidate),
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => continue,
            // A file system without hard links (FAT or exFAT on a USB stick, some
            // network shares): the name is checked, then taken by renaming. Only
            // there can two saves of the same moment race for one name.
            Err(_) if !candidate.exists() => {
                fs::rename(temp, &candidate)?;
                return Ok(candidate);
            }
            Err(_) => continue,
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "too many files with this name",
    ))
}

/// Copies `source` to exactly `path`, replacing what is there only once the copy
/// is whole: a copy that fails (disk full) leaves the old file as it was.
pub fn copy_replacing(source: &Path, path: &Path) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let temp = whole_copy_in(source, dir)?;
    let moved = fs::rename(&temp, path);
    if moved.is_err() {
        let _ = fs::remove_file(&temp);
    }
    moved
}

/// A whole, synced copy of `source` in `dir` under a hidden name of its own, or
/// nothing at all.
fn whole_copy_in(source: &Path, dir: &Path) -> io::Result<PathBuf> {
    // A short name of its own, not the chosen one plus a suffix: a chosen name near
    // the 255-unit limit of NTFS and APFS would otherwise make one too long.
    static SAVES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = SAVES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let temp = dir.join(format!(".kling-studio-{}-{n}.part", std::process::id()));
    // Synced through a handle opened for writing: on Windows `sync_all` is
    // FlushFileBuffers, which "must have the GENERIC_WRITE access right" (Microsoft's
    // FlushFileBuffers page), so a read-only handle fails every save.
    let copied = fs::copy(source, &temp)
        .and_then(|_| fs::OpenOptions::new().write(true).open(&temp)?.sync_all());
    match copied {
        Ok(()) => Ok(temp),
        Err(err) => {
            let _ = fs::remove_file(&temp);
            Err(err)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_safe_everywhere() {
        assert_eq!(
            slug("A fox runs: through \"snow\"!"),
            "a-fox-runs-through-snow"
        );
        assert_eq!(slug("../../etc/passwd"), "etc-passwd");
        assert_eq!(slug("雪の中を走る狐"), "雪の中を走る狐");
        assert_eq!(slug("???"), "video");
        assert_eq!(slug("CON"), "video");
        assert_eq!(slug("<<<voice_1>>> says hi"), "voice-1-says-hi");
        assert!(slug(&"long words ".repeat(20)).chars().count() <= MAX_SLUG_CHARS);
        let name = file_name("a\\b/c:d*e?f\"g<h>i|j", Local::now());
        assert!(
            !name.contains(['\\', '/', ':', '*', '?', '"', '<', '>', '|']),
            "{name}"
        );
    }

    #[test]
    fn a_replacing_copy_lands_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("source.mp4");
        fs::write(&source, b"new video").unwrap();
        let target = dir.path().join("chosen.mp4");
        fs::write(&target, b"old").unwrap();
        copy_replacing(&source, &target).unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"new video");
        // A copy that cannot happen leaves the destination untouched and no temp file.
        let missing = dir.path().join("missing.mp4");
        assert!(copy_replacing(&missing, &target).is_err());
        assert_eq!(fs::read(&target).unwrap(), b"new video");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn a_replacing_copy_onto_a_new_name_creates_it() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("source.mp4");
        fs::write(&source, b"new video").unwrap();
        let target = dir.path().join("chosen by the creator.mp4");
        copy_replacing(&source, &target).unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"new video");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            2,
            "no temp file left"
        );
    }

    /// Windows' old limit is 260 characters for a whole path (MAX_PATH); Rust's
    /// standard library passes longer paths with the `\\?\` prefix itself (its
    /// `maybe_verbatim`), so a deep folder saves like any other. Meaningful on
    /// Windows, where the CI workflow runs it; on macOS and Linux it pins that the
    /// save code adds no limit of its own.
    #[test]
    fn saves_into_a_folder_whose_path_is_over_260_characters() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("source.mp4");
        fs::write(&source, b"video").unwrap();
        let mut deep = dir.path().to_path_buf();
        while deep.as_os_str().len() <= 300 {
            deep.push("a folder with a long name for videos");
        }
        let name = file_name("雪の中を走る狐 a fox runs through snow", Local::now());
        let saved = copy_without_overwrite(&source, &deep, &name).unwrap();
        assert!(saved.as_os_str().len() > 260, "{}", saved.display());
        assert_eq!(fs::read(&saved).unwrap(), b"video");
        let chosen = deep.join("chosen.mp4");
        copy_replacing(&source, &chosen).unwrap();
        copy_replacing(&source, &chosen).unwrap();
        assert_eq!(fs::read(&chosen).unwrap(), b"video");
        // A chosen name at the 255-byte limit: the temporary copy's name is its own.
        let longest = deep.join(format!("{}.mp4", "v".repeat(251)));
        copy_replacing(&source, &longest).unwrap();
        assert_eq!(fs::read(&longest).unwrap(), b"video");
    }

    #[test]
    fn names_from_prompts_are_valid_on_every_system() {
        for prompt in [
            "CON", "aux.mp4", "nul", "COM1", "lpt9", "prn ...", "  .  ", "end. ", "CON ",
        ] {
            let name = file_name(prompt, Local::now());
            let stem = name.trim_end_matches(".mp4");
            // Windows refuses a name whose stem is reserved, and trims trailing dots
            // and spaces (Microsoft's "Naming Files, Paths, and Namespaces").
            assert!(!stem.ends_with(['.', ' ']), "{name:?}");
            let base = stem.split('.').next().unwrap().to_ascii_lowercase();
            assert!(!WINDOWS_RESERVED.contains(&base.as_str()), "{name:?}");
            assert!(
                name.starts_with("kling-") && name.ends_with(".mp4"),
                "{name:?}"
            );
        }
        // NTFS allows 255 UTF-16 units per name, APFS and ext4 255 UTF-8 bytes: a
        // long prompt in a script of three-byte characters stays within both.
        let name = file_name(&"雪の中を走る狐".repeat(40), Local::now());
        assert!(
            name.len() <= 255 && name.encode_utf16().count() <= 255,
            "{name}"
        );
        assert_eq!(
            slug("CON"),
            "video",
            "a reserved word alone is not a name part"
        );
    }

    #[test]
    fn never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("source.mp4");
        fs::write(&source, b"new").unwrap();
        let out = dir.path().join("out");
        fs::create_dir(&out).unwrap();
        fs::write(out.join("clip.mp4"), b"old").unwrap();
        let first = copy_without_overwrite(&source, &out, "clip.mp4").unwrap();
        let second = copy_without_overwrite(&source, &out, "clip.mp4").unwrap();
        assert_eq!(first, out.join("clip (2).mp4"));
        assert_eq!(second, out.join("clip (3).mp4"));
        assert_eq!(fs::read(out.join("clip.mp4")).unwrap(), b"old");
        assert_eq!(fs::read(first).unwrap(), b"new");
        assert_eq!(
            fs::read_dir(&out).unwrap().count(),
            3,
            "no hidden copy left"
        );
    }

    #[test]
    fn a_save_that_fails_leaves_nothing_under_any_name() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let missing = dir.path().join("missing.mp4");
        assert!(copy_without_overwrite(&missing, &out, "clip.mp4").is_err());
        assert_eq!(fs::read_dir(&out).unwrap().count(), 0);
    }
}
