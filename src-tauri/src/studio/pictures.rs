//! A picture to start from: checked and made ready on the creator's computer,
//! kept in the library (once, by its content), and shown in the form. Nothing is
//! sent here: the upload goes with the job.

use serde::Serialize;

use super::Studio;
use crate::error::{AppError, AppResult};
use crate::pictures::{check, picture_error};
use crate::request::ASPECT_RATIOS;

/// A picture kept for the form: what the thumbnail shows and the request names.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PictureView {
    /// Its name in the library: what `start_image` and `end_image` hold.
    pub name: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    /// Re-encoded here (another format, turned upright, too large).
    pub converted: bool,
    /// The shape the form offers that is closest to the picture's.
    pub shape: &'static str,
    /// Where the thumbnail shows it from.
    pub url: String,
}

/// Which frame a picture is for, by the wire's field name (the form shows a
/// refused picture's problem under that field).
pub const FRAME_FIELDS: [&str; 2] = ["start_image_url", "end_image_url"];

impl Studio {
    /// Checks a chosen picture, converts it where Kling would refuse it as it
    /// is, and keeps it in the library. A picture that breaks a rule is refused
    /// naming the rule, under `field`.
    pub fn stage_picture(&self, field: &str, bytes: &[u8]) -> AppResult<PictureView> {
        if !FRAME_FIELDS.contains(&field) {
            return Err(AppError::internal("a picture is a first or a last frame"));
        }
        let ready = check::prepare(bytes).map_err(|problem| picture_error(field, &problem))?;
        let name = self.jobs.library().pictures().keep(&ready)?;
        log::info!(
            "picture {name}: {}×{}, {} bytes{}",
            ready.width,
            ready.height,
            ready.bytes.len(),
            if ready.converted { ", converted" } else { "" }
        );
        let size = (ready.width, ready.height, ready.bytes.len() as u64);
        Ok(self.picture_view(&name, size, ready.converted))
    }

    fn picture_view(
        &self,
        name: &str,
        (width, height, bytes): (u32, u32, u64),
        converted: bool,
    ) -> PictureView {
        PictureView {
            url: self.jobs.picture_url(name),
            name: name.to_string(),
            width,
            height,
            bytes,
            converted,
            shape: check::closest_shape(width, height, &ASPECT_RATIOS),
        }
    }

    /// A picture already in the library (a request filled back into the form,
    /// also at start-up): kept pictures were checked when chosen, so only their
    /// size is read, from the file's header, never the whole picture decoded.
    pub fn picture(&self, name: &str) -> AppResult<PictureView> {
        let size = self.jobs.library().pictures().size_of(name)?;
        Ok(self.picture_view(name, size, false))
    }
}

#[cfg(test)]
mod tests {
    use super::super::studio_for_tests;
    use crate::error::ErrorCode;

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(image::RgbImage::new(w, h))
            .write_to(&mut out, image::ImageFormat::Jpeg)
            .unwrap();
        out.into_inner()
    }

    #[tokio::test]
    async fn a_picture_is_kept_once_and_a_refused_one_names_its_field_and_rule() {
        let dir = tempfile::tempdir().unwrap();
        let studio = studio_for_tests(dir.path()).await;
        let kept = studio
            .stage_picture("start_image_url", &jpeg(720, 1280))
            .unwrap();
        assert_eq!((kept.width, kept.height, kept.shape), (720, 1280, "9:16"));
        assert!(kept.url.contains("/pictures/") && kept.url.ends_with(&kept.name));
        let again = studio
            .stage_picture("end_image_url", &jpeg(720, 1280))
            .unwrap();
        assert_eq!(again.name, kept.name, "the same bytes are one picture");
        let again = studio.picture(&kept.name).unwrap();
        assert_eq!(again.name, kept.name);
        assert_eq!(
            (again.width, again.height, again.bytes, again.shape),
            (720, 1280, kept.bytes, "9:16")
        );
        assert_eq!(
            studio.picture("../x.jpg").unwrap_err().code,
            ErrorCode::NotFound
        );

        let refused = studio
            .stage_picture("end_image_url", &jpeg(200, 200))
            .unwrap_err();
        assert_eq!(refused.code, ErrorCode::InvalidRequest);
        assert_eq!(refused.fields[0].field, "end_image_url");
        assert_eq!(refused.fields[0].rule.name(), "picture_too_small");
        let pictures = std::fs::read_dir(dir.path().join("library/pictures")).unwrap();
        assert_eq!(pictures.count(), 1, "a refused picture is not kept");
    }
}
