//! Header check, then a bounded decode with the orientation applied.

use std::io::Cursor;

use image::error::{ImageError, LimitErrorKind};
use image::{DynamicImage, ImageDecoder, ImageReader};

use crate::{Format, Limits, MediaError, Result};

/// Decodes `data`, already sniffed as `format`, into upright pixels.
///
/// A JPEG must also be complete (see the private `jpeg` module): PNG and WebP
/// decoders fail on a cut-short file by themselves.
///
/// Two lines of defence against oversized images: first our own check of the
/// dimensions the header declares, made before any pixel buffer exists
/// (so the refusal says which size was too big); then the `image` crate's
/// own limits on sides and allocation, which also bound what the decoder
/// allocates along the way.
pub fn decode(data: &[u8], format: Format, limits: &Limits) -> Result<DynamicImage> {
    let mut reader = ImageReader::with_format(Cursor::new(data), format.image_format());
    // Reading the header only allocates metadata (bounded by max_alloc where
    // the decoder honours it, as PNG does for its text chunks), never the
    // canvas: the side limits come after our own check below.
    let mut header_limits = image::Limits::default();
    header_limits.max_alloc = Some(limits.max_alloc);
    reader.limits(header_limits);
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| from_image(e, format, limits, None))?;

    let (width, height) = decoder.dimensions();
    check_dimensions(width, height, limits)?;
    let fail = |e| from_image(e, format, limits, Some((width, height)));
    if format == Format::Jpeg {
        crate::jpeg::check_complete(data).map_err(MediaError::Malformed)?;
    }

    // `DynamicImage::from_decoder` allocates the whole canvas without
    // consulting the limits, so reserve it first and leave the decoder the
    // rest, as `ImageReader::decode` does.
    let mut budget = image_limits(limits);
    budget.reserve(decoder.total_bytes()).map_err(fail)?;
    decoder.set_limits(budget).map_err(fail)?;
    let orientation = decoder.orientation().map_err(fail)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(fail)?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// Refuses a declared size beyond [`Limits::max_side`] or
/// [`Limits::max_pixels`].
fn check_dimensions(width: u32, height: u32, limits: &Limits) -> Result<()> {
    let pixels = u64::from(width) * u64::from(height);
    if width > limits.max_side || height > limits.max_side || pixels > limits.max_pixels {
        return Err(MediaError::Dimensions {
            width,
            height,
            max_side: limits.max_side,
            max_pixels: limits.max_pixels,
        });
    }
    Ok(())
}

/// Our limits in the `image` crate's terms.
fn image_limits(limits: &Limits) -> image::Limits {
    let mut out = image::Limits::default();
    out.max_image_width = Some(limits.max_side);
    out.max_image_height = Some(limits.max_side);
    out.max_alloc = Some(limits.max_alloc);
    out
}

/// Sorts a decoder's failure into the uploader's terms; `declared` is the
/// header's width and height once they are known.
fn from_image(
    error: ImageError,
    format: Format,
    limits: &Limits,
    declared: Option<(u32, u32)>,
) -> MediaError {
    match error {
        ImageError::Limits(e) => match (e.kind(), declared) {
            // The second line of defence: only reachable if the crate's
            // limits are stricter than our own check.
            (LimitErrorKind::DimensionError, Some((width, height))) => MediaError::Dimensions {
                width,
                height,
                max_side: limits.max_side,
                max_pixels: limits.max_pixels,
            },
            (LimitErrorKind::InsufficientMemory, _) => MediaError::OverBudget {
                max: limits.max_alloc,
            },
            _ => MediaError::Unsupported {
                format,
                reason: e.to_string(),
            },
        },
        ImageError::Unsupported(e) => MediaError::Unsupported {
            format,
            reason: e.to_string(),
        },
        // A cursor over a slice only fails by running out of bytes, and a
        // parameter error while decoding means inconsistent headers: both
        // are damaged files.
        e @ (ImageError::Decoding(_)
        | ImageError::IoError(_)
        | ImageError::Parameter(_)
        | ImageError::Encoding(_)) => MediaError::Malformed(e.to_string()),
    }
}
