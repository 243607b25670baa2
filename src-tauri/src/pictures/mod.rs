//! The library's pictures (first and last frames): each kept once, under the
//! SHA-256 of its bytes, so a picture used by ten takes is one file, and a job's
//! request names its pictures by that name (`<hash>.jpg`).

pub mod check;

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult, ErrorCode, FieldError, Reason, Rule};
use crate::records::write_atomically;
use check::{PictureFormat, PictureProblem, Prepared};

pub struct Pictures {
    dir: PathBuf,
}

impl Pictures {
    pub fn open(library_dir: &Path) -> std::io::Result<Self> {
        let dir = library_dir.join("pictures");
        std::fs::create_dir_all(&dir)?;
        Ok(Self { dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Keeps a checked picture; answers its name. The same bytes are kept once.
    pub fn keep(&self, picture: &Prepared) -> AppResult<String> {
        let hash: String = Sha256::digest(&picture.bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let name = format!("{hash}.{}", picture.format.extension());
        let path = self.dir.join(&name);
        if !path.exists() {
            write_atomically(&path, &picture.bytes)
                .map_err(|e| AppError::io(Reason::KeepPicture, &e))?;
        }
        Ok(name)
    }

    /// A kept picture's bytes and format, for its upload.
    pub fn read(&self, name: &str) -> AppResult<(Vec<u8>, PictureFormat)> {
        let gone = || AppError::new(ErrorCode::NotFound).because(Reason::PictureGone);
        let format = format_of(name).ok_or_else(gone)?;
        let bytes = std::fs::read(self.dir.join(name)).map_err(|_| gone())?;
        Ok((bytes, format))
    }

    /// A kept picture's width, height and bytes, from its header alone.
    pub fn size_of(&self, name: &str) -> AppResult<(u32, u32, u64)> {
        let gone = || AppError::new(ErrorCode::NotFound).because(Reason::PictureGone);
        format_of(name).ok_or_else(gone)?;
        let path = self.dir.join(name);
        let bytes = std::fs::metadata(&path).map_err(|_| gone())?.len();
        let (width, height) = image::ImageReader::open(&path)
            .and_then(|reader| reader.with_guessed_format())
            .map_err(|_| gone())?
            .into_dimensions()
            .map_err(|_| gone())?;
        Ok((width, height, bytes))
    }
}

/// A picture's name as the library writes it: 64 hex digits and its extension.
pub fn format_of(name: &str) -> Option<PictureFormat> {
    let (hash, extension) = name.split_once('.')?;
    if hash.len() != 64 || !hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    match extension {
        "jpg" => Some(PictureFormat::Jpeg),
        "png" => Some(PictureFormat::Png),
        _ => None,
    }
}

/// A picture that breaks a rule, as a problem of the form's field (`start_image_url`
/// or `end_image_url`, the wire's names).
pub fn picture_error(field: &str, problem: &PictureProblem) -> AppError {
    let (rule, params) = match problem {
        PictureProblem::NotAPicture => (Rule::PictureNotAPicture, serde_json::json!({})),
        PictureProblem::Heic => (Rule::PictureHeic, serde_json::json!({})),
        PictureProblem::Damaged => (Rule::PictureDamaged, serde_json::json!({})),
        PictureProblem::TooSmall { width, height } => (
            Rule::PictureTooSmall,
            serde_json::json!({ "width": width, "height": height, "min": check::MIN_SIDE }),
        ),
        PictureProblem::Shape { width, height } => (
            Rule::PictureShape,
            serde_json::json!({ "width": width, "height": height, "max": check::MAX_RATIO }),
        ),
    };
    AppError::invalid_request(vec![FieldError::new(field, rule, params)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_picture_is_kept_once_under_its_hash_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let pictures = Pictures::open(dir.path()).unwrap();
        let picture = Prepared {
            bytes: b"pretend jpeg".to_vec(),
            format: PictureFormat::Jpeg,
            width: 300,
            height: 300,
            converted: false,
        };
        let name = pictures.keep(&picture).unwrap();
        assert_eq!(name, pictures.keep(&picture).unwrap());
        assert_eq!(std::fs::read_dir(pictures.dir()).unwrap().count(), 1);
        assert!(format_of(&name).is_some(), "{name}");
        let (bytes, format) = pictures.read(&name).unwrap();
        assert_eq!((bytes, format), (picture.bytes, PictureFormat::Jpeg));
        for bad in ["../videos/x.mp4", "abc.jpg", &name.replace(".jpg", ".gif")] {
            assert_eq!(
                pictures.read(bad).unwrap_err().code,
                ErrorCode::NotFound,
                "{bad}"
            );
        }
    }
}
