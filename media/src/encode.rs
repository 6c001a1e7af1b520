//! The cleaned re-encoding and the JPEG thumbnail.

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::{DynamicImage, RgbImage};

use crate::{Format, MediaError, Result};

/// JPEG quality of the cleaned photo: visually lossless for phone photos at
/// about half the size of the camera's own quality 95.
pub const JPEG_QUALITY: u8 = 85;
/// JPEG quality of thumbnails: small files for lists, artefacts unseen at
/// 320 pixels.
pub const THUMB_QUALITY: u8 = 75;

/// Writes `image` in `format` with nothing but pixels.
///
/// None of the encoders is handed an ICC profile or EXIF block, so the
/// output carries only what each format needs (for JPEG a JFIF header).
/// WebP is written lossless, the only WebP encoder the `image` crate has:
/// no second generation loss, at the price of larger files than a lossy
/// upload.
pub fn clean(image: &DynamicImage, format: Format) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let written = match format {
        Format::Jpeg => {
            let encoder = JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY);
            match image {
                // The JPEG encoder takes 8-bit grey or RGB only.
                DynamicImage::ImageLuma8(_) | DynamicImage::ImageRgb8(_) => {
                    image.write_with_encoder(encoder)
                }
                other => DynamicImage::ImageRgb8(other.to_rgb8()).write_with_encoder(encoder),
            }
        }
        // PNG takes every depth the PNG decoder yields, so 16-bit stays 16-bit.
        Format::Png => image.write_with_encoder(PngEncoder::new(&mut out)),
        Format::Webp => {
            let encoder = WebPEncoder::new_lossless(&mut out);
            match image {
                DynamicImage::ImageRgb8(_) | DynamicImage::ImageRgba8(_) => {
                    image.write_with_encoder(encoder)
                }
                other => DynamicImage::ImageRgba8(other.to_rgba8()).write_with_encoder(encoder),
            }
        }
    };
    written.map_err(|e| MediaError::Encode {
        format,
        reason: e.to_string(),
    })?;
    Ok(out)
}

/// A JPEG of `image` whose longest side is at most `side` pixels.
///
/// Uses the `image` crate's area-averaging thumbnail (each source pixel
/// counts once): cheap on a 40 Mpx photo and free of the aliasing of
/// nearest-neighbour. Transparent areas are shown on white, as a page
/// would show them, since JPEG has no alpha.
pub fn thumbnail(image: &DynamicImage, side: u32) -> Result<Vec<u8>> {
    let (width, height) = thumb_size(image.width(), image.height(), side);
    let small = if (width, height) == (image.width(), image.height()) {
        image.clone()
    } else {
        image.thumbnail_exact(width, height)
    };
    let flat = match small {
        DynamicImage::ImageLuma8(_) | DynamicImage::ImageRgb8(_) => small,
        other if other.color().has_alpha() => DynamicImage::ImageRgb8(on_white(&other)),
        other => DynamicImage::ImageRgb8(other.to_rgb8()),
    };
    let mut out = Vec::new();
    flat.write_with_encoder(JpegEncoder::new_with_quality(&mut out, THUMB_QUALITY))
        .map_err(|e| MediaError::Encode {
            format: Format::Jpeg,
            reason: e.to_string(),
        })?;
    Ok(out)
}

/// The thumbnail's size: the longest side becomes `side` (never more than
/// it was), the other keeps the aspect ratio, rounded, at least 1 pixel.
#[must_use]
pub fn thumb_size(width: u32, height: u32, side: u32) -> (u32, u32) {
    let side = side.max(1);
    let longest = width.max(height);
    if longest <= side {
        return (width, height);
    }
    let scale = |n: u32| -> u32 {
        let scaled = (u64::from(n) * u64::from(side) + u64::from(longest) / 2) / u64::from(longest);
        // At most `side`, so it fits in u32.
        u32::try_from(scaled).unwrap_or(side).max(1)
    };
    (scale(width), scale(height))
}

/// Blends a picture with alpha over white.
fn on_white(image: &DynamicImage) -> RgbImage {
    let rgba = image.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let a = u16::from(a);
        let blend = |c: u8| ((u16::from(c) * a + 255 * (255 - a) + 127) / 255) as u8;
        image::Rgb([blend(r), blend(g), blend(b)])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumb_size_keeps_aspect_and_never_upscales() {
        assert_eq!(thumb_size(1000, 500, 320), (320, 160));
        assert_eq!(thumb_size(300, 900, 320), (107, 320));
        assert_eq!(thumb_size(100, 50, 320), (100, 50));
        assert_eq!(thumb_size(320, 320, 320), (320, 320));
        assert_eq!(thumb_size(8192, 1, 320), (320, 1));
        assert_eq!(thumb_size(10, 10, 0), (1, 1));
    }

    #[test]
    fn transparent_is_white_and_opaque_is_kept() {
        let image = DynamicImage::ImageRgba8(image::RgbaImage::from_fn(2, 1, |x, _| {
            if x == 0 {
                image::Rgba([0, 0, 0, 0])
            } else {
                image::Rgba([10, 20, 30, 255])
            }
        }));
        let flat = on_white(&image);
        assert_eq!(flat.get_pixel(0, 0).0, [255, 255, 255]);
        assert_eq!(flat.get_pixel(1, 0).0, [10, 20, 30]);
    }
}
