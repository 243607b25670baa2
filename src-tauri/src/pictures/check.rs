//! A picture to start from, checked on the creator's computer before anything is
//! sent, against the limits Kling enforces upstream (`../shared/segmind-api.md`,
//! "Image to video"): read by its content, turned upright (EXIF), and converted
//! once, locally, when Kling would refuse it as it is. A JPEG or PNG that is
//! upright and within every limit goes as it is, byte for byte.

use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, GenericImageView, ImageDecoder, ImageFormat, ImageReader};

/// Kling refuses a side shorter than this.
pub const MIN_SIDE: u32 = 300;
/// Kling refuses a file larger than this.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// Kling refuses a shape narrower or wider than 1:2.5 and 2.5:1.
pub const MAX_RATIO: f64 = 2.5;
/// A picture that is converted anyway is scaled to fit this, which is more than
/// Kling's 1080p needs and keeps the upload small.
const MAX_SIDE_CONVERTED: u32 = 3840;
const JPEG_QUALITY: u8 = 90;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PictureFormat {
    Jpeg,
    Png,
}

impl PictureFormat {
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
        }
    }
}

/// A picture ready to go: its bytes as they will be sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub bytes: Vec<u8>,
    pub format: PictureFormat,
    pub width: u32,
    pub height: u32,
    /// Re-encoded here (another format, turned upright, too large), not sent as chosen.
    pub converted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PictureProblem {
    NotAPicture,
    /// An iPhone's HEIC/HEIF, which this app cannot read: the words say how to
    /// export a JPEG.
    Heic,
    Damaged,
    TooSmall {
        width: u32,
        height: u32,
    },
    Shape {
        width: u32,
        height: u32,
    },
}

/// Checks a chosen picture and makes it what Kling accepts, or says which rule
/// it breaks.
pub fn prepare(bytes: &[u8]) -> Result<Prepared, PictureProblem> {
    if is_heif(bytes) {
        return Err(PictureProblem::Heic);
    }
    let format = image::guess_format(bytes).map_err(|_| PictureProblem::NotAPicture)?;
    if !matches!(
        format,
        ImageFormat::Jpeg
            | ImageFormat::Png
            | ImageFormat::WebP
            | ImageFormat::Gif
            | ImageFormat::Bmp
            | ImageFormat::Tiff
    ) {
        return Err(PictureProblem::NotAPicture);
    }
    let mut decoder = ImageReader::with_format(Cursor::new(bytes), format)
        .into_decoder()
        .map_err(|_| PictureProblem::Damaged)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    // A GIF's decoder gives its first frame.
    let mut picture = DynamicImage::from_decoder(decoder).map_err(|_| PictureProblem::Damaged)?;
    picture.apply_orientation(orientation);
    let (width, height) = picture.dimensions();
    if width.min(height) < MIN_SIDE {
        return Err(PictureProblem::TooSmall { width, height });
    }
    let ratio = f64::from(width.max(height)) / f64::from(width.min(height));
    if ratio > MAX_RATIO {
        return Err(PictureProblem::Shape { width, height });
    }
    let as_is = match format {
        ImageFormat::Jpeg => Some(PictureFormat::Jpeg),
        ImageFormat::Png => Some(PictureFormat::Png),
        _ => None,
    };
    if let Some(format) = as_is {
        if orientation == Orientation::NoTransforms && bytes.len() <= MAX_BYTES {
            return Ok(Prepared {
                bytes: bytes.to_vec(),
                format,
                width,
                height,
                converted: false,
            });
        }
    }
    convert(picture)
}

/// A JPEG of the picture, on white where it was transparent, scaled to fit
/// `MAX_SIDE_CONVERTED`, and smaller still until it is within `MAX_BYTES`.
fn convert(picture: DynamicImage) -> Result<Prepared, PictureProblem> {
    let mut rgb = on_white(&picture);
    let (w, h) = (rgb.width(), rgb.height());
    if w.max(h) > MAX_SIDE_CONVERTED {
        rgb = DynamicImage::ImageRgb8(rgb)
            .resize(
                MAX_SIDE_CONVERTED,
                MAX_SIDE_CONVERTED,
                image::imageops::FilterType::Lanczos3,
            )
            .to_rgb8();
    }
    loop {
        let mut out = Vec::new();
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY);
        rgb.write_with_encoder(encoder)
            .map_err(|_| PictureProblem::Damaged)?;
        let (width, height) = (rgb.width(), rgb.height());
        if out.len() <= MAX_BYTES || width.min(height) <= MIN_SIDE {
            return Ok(Prepared {
                bytes: out,
                format: PictureFormat::Jpeg,
                width,
                height,
                converted: true,
            });
        }
        // Three quarters a side each time, never under Kling's smallest side.
        let scale = (f64::from(MIN_SIDE) / f64::from(width.min(height))).max(0.75);
        let (nw, nh) = (
            (f64::from(width) * scale).round() as u32,
            (f64::from(height) * scale).round() as u32,
        );
        rgb = image::imageops::resize(&rgb, nw, nh, image::imageops::FilterType::Triangle);
    }
}

fn on_white(picture: &DynamicImage) -> image::RgbImage {
    if !picture.color().has_alpha() {
        return picture.to_rgb8();
    }
    let rgba = picture.to_rgba8();
    image::RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let over = |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
        image::Rgb([over(r), over(g), over(b)])
    })
}

/// HEIC and HEIF: an ISO box `ftyp` naming one of their brands.
fn is_heif(bytes: &[u8]) -> bool {
    bytes.len() >= 12
        && &bytes[4..8] == b"ftyp"
        && matches!(
            &bytes[8..12],
            b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"mif1" | b"msf1"
        )
}

/// The offered shape closest to a picture's: what the form proposes when the
/// creator's chosen shape differs.
pub fn closest_shape(width: u32, height: u32, shapes: &[&'static str]) -> &'static str {
    let ratio = |w: f64, h: f64| (w / h).ln();
    let picture = ratio(f64::from(width), f64::from(height.max(1)));
    shapes
        .iter()
        .copied()
        .min_by(|a, b| {
            let of = |s: &str| {
                let (w, h) = s.split_once(':').unwrap_or(("1", "1"));
                (ratio(w.parse().unwrap_or(1.0), h.parse().unwrap_or(1.0)) - picture).abs()
            };
            of(a).total_cmp(&of(b))
        })
        .unwrap_or("16:9")
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage};

    fn gradient(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 128]))
    }

    fn encoded(picture: &DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        picture.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        encoded(&DynamicImage::ImageRgb8(gradient(w, h)), ImageFormat::Jpeg)
    }

    #[test]
    fn a_jpeg_or_png_within_the_limits_goes_byte_for_byte() {
        let original = jpeg(640, 360);
        let ready = prepare(&original).unwrap();
        assert_eq!(
            (ready.format, ready.width, ready.height, ready.converted),
            (PictureFormat::Jpeg, 640, 360, false)
        );
        assert_eq!(ready.bytes, original);
        let png = encoded(
            &DynamicImage::ImageRgb8(gradient(360, 640)),
            ImageFormat::Png,
        );
        let ready = prepare(&png).unwrap();
        assert_eq!((ready.format, ready.converted), (PictureFormat::Png, false));
        assert_eq!(ready.bytes, png);
    }

    #[test]
    fn other_formats_become_a_jpeg_once() {
        let rgba = DynamicImage::ImageRgba8(RgbaImage::from_fn(400, 400, |x, _| {
            Rgba([200, 10, 10, if x < 200 { 0 } else { 255 }])
        }));
        for format in [
            ImageFormat::WebP,
            ImageFormat::Gif,
            ImageFormat::Bmp,
            ImageFormat::Tiff,
        ] {
            let ready =
                prepare(&encoded(&rgba, format)).unwrap_or_else(|e| panic!("{format:?}: {e:?}"));
            assert_eq!(
                (ready.format, ready.width, ready.height, ready.converted),
                (PictureFormat::Jpeg, 400, 400, true),
                "{format:?}"
            );
            let back = image::load_from_memory(&ready.bytes).unwrap().to_rgb8();
            // Transparent is on white, opaque keeps its colour.
            let [r, g, b] = back.get_pixel(50, 200).0;
            assert!(r > 240 && g > 240 && b > 240, "{format:?}: {r} {g} {b}");
            let [r, g, _] = back.get_pixel(350, 200).0;
            assert!(r > 180 && g < 40, "{format:?}: {r} {g}");
        }
    }

    #[test]
    fn a_picture_over_ten_megabytes_is_made_smaller() {
        // Noise does not compress: a PNG of 2400×2400 is about 17 MB.
        let mut seed = 7u32;
        let noise = RgbImage::from_fn(2400, 2400, |_, _| {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let [a, b, c, _] = seed.to_le_bytes();
            Rgb([a, b, c])
        });
        let png = encoded(&DynamicImage::ImageRgb8(noise), ImageFormat::Png);
        assert!(png.len() > MAX_BYTES, "{}", png.len());
        let ready = prepare(&png).unwrap();
        assert!(
            ready.converted && ready.bytes.len() <= MAX_BYTES,
            "{}",
            ready.bytes.len()
        );
        assert_eq!(ready.format, PictureFormat::Jpeg);
        assert_eq!(ready.width, ready.height, "the shape is kept");
    }

    #[test]
    fn a_phone_photo_is_turned_upright_by_its_exif_orientation() {
        // A landscape-stored 400×300 JPEG whose EXIF says "rotate 90° clockwise".
        let stored = jpeg(400, 300);
        let rotated = with_exif_orientation(&stored, 6);
        let ready = prepare(&rotated).unwrap();
        assert_eq!(
            (ready.width, ready.height, ready.converted),
            (300, 400, true)
        );
        let back = image::load_from_memory(&ready.bytes).unwrap();
        assert_eq!(back.dimensions(), (300, 400));
    }

    #[test]
    fn each_rule_is_named() {
        assert_eq!(prepare(b"just some text"), Err(PictureProblem::NotAPicture));
        assert_eq!(prepare(&[]), Err(PictureProblem::NotAPicture));
        let mut heic = vec![0, 0, 0, 24];
        heic.extend_from_slice(b"ftypheic\0\0\0\0mif1heic");
        assert_eq!(prepare(&heic), Err(PictureProblem::Heic));
        let whole = jpeg(640, 360);
        assert_eq!(prepare(&whole[..200]), Err(PictureProblem::Damaged));
        assert_eq!(
            prepare(&jpeg(200, 200)),
            Err(PictureProblem::TooSmall {
                width: 200,
                height: 200
            })
        );
        assert_eq!(
            prepare(&jpeg(1000, 390)),
            Err(PictureProblem::Shape {
                width: 1000,
                height: 390
            })
        );
        assert!(prepare(&jpeg(1000, 400)).is_ok(), "2.5:1 is allowed");
        assert!(prepare(&jpeg(300, 750)).is_ok(), "1:2.5 is allowed");
        let mut png = Vec::new();
        image::codecs::png::PngEncoder::new(&mut png)
            .write_image(&[0; 4], 1, 1, image::ExtendedColorType::Rgba8)
            .unwrap();
        assert_eq!(
            prepare(&png),
            Err(PictureProblem::TooSmall {
                width: 1,
                height: 1
            })
        );
    }

    #[test]
    fn the_closest_shape_is_proposed() {
        let shapes = ["16:9", "9:16", "1:1"];
        assert_eq!(closest_shape(1920, 1080, &shapes), "16:9");
        assert_eq!(closest_shape(1080, 1920, &shapes), "9:16");
        assert_eq!(closest_shape(1000, 1100, &shapes), "1:1");
        assert_eq!(closest_shape(1200, 900, &shapes), "1:1");
        assert_eq!(closest_shape(1500, 900, &shapes), "16:9");
    }

    /// A JPEG with an APP1 EXIF segment holding only an orientation tag.
    fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
        let mut tiff = Vec::new();
        tiff.extend_from_slice(b"II*\0");
        tiff.extend_from_slice(&8u32.to_le_bytes()); // the first IFD
        tiff.extend_from_slice(&1u16.to_le_bytes()); // one entry
        tiff.extend_from_slice(&0x0112u16.to_le_bytes()); // Orientation
        tiff.extend_from_slice(&3u16.to_le_bytes()); // SHORT
        tiff.extend_from_slice(&1u32.to_le_bytes());
        tiff.extend_from_slice(&orientation.to_le_bytes());
        tiff.extend_from_slice(&[0, 0]);
        tiff.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(&tiff);
        let mut out = jpeg[..2].to_vec(); // SOI
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(&app1);
        out.extend_from_slice(&jpeg[2..]);
        out
    }
}
