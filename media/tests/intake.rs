//! `inspect` end to end: what is accepted and how it comes out, and what is
//! refused and why. Every test file is made here, in code.

#![allow(clippy::unwrap_used)]

mod forge;

use std::time::{Duration, Instant};

use image::{DynamicImage, GenericImageView, ImageFormat, ImageReader};
use riskmap_media::{Format, Limits, MediaError, Picture, inspect, is_id};
use sha2::{Digest, Sha256};

use forge::{contains, encode, two_tone};

/// Decodes `bytes`, checking they are `format` by content.
fn decode(bytes: &[u8], format: ImageFormat) -> DynamicImage {
    let reader = ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .unwrap();
    assert_eq!(reader.format(), Some(format));
    reader.decode().unwrap()
}

/// Checks what every accepted picture must satisfy.
fn check_picture(p: &Picture, format: Format, width: u32, height: u32, thumb: (u32, u32)) {
    assert_eq!(p.format, format);
    assert_eq!((p.width, p.height), (width, height));
    assert!(is_id(&p.id));
    assert_eq!(p.id, format!("{:x}", Sha256::digest(&p.bytes)));
    let image_format = match format {
        Format::Jpeg => ImageFormat::Jpeg,
        Format::Png => ImageFormat::Png,
        Format::Webp => ImageFormat::WebP,
    };
    assert_eq!(decode(&p.bytes, image_format).dimensions(), (width, height));
    let t = decode(&p.thumb, ImageFormat::Jpeg);
    assert_eq!(t.dimensions(), thumb);
    assert!(t.width().max(t.height()) <= Limits::default().thumb_side);
}

// ---- accepted ----

#[test]
fn jpeg_is_accepted_with_a_thumbnail() {
    let data = encode(&two_tone(1000, 500), ImageFormat::Jpeg);
    let p = inspect(&data, &Limits::default()).unwrap();
    check_picture(&p, Format::Jpeg, 1000, 500, (320, 160));
    assert_eq!(p.format.mime(), "image/jpeg");
}

#[test]
fn png_is_accepted_with_a_thumbnail() {
    let data = encode(&two_tone(300, 900), ImageFormat::Png);
    let p = inspect(&data, &Limits::default()).unwrap();
    check_picture(&p, Format::Png, 300, 900, (107, 320));
    assert_eq!(p.format.mime(), "image/png");
    // PNG is lossless both ways: the pixels are the upload's.
    assert_eq!(decode(&p.bytes, ImageFormat::Png), two_tone(300, 900));
}

#[test]
fn webp_is_accepted_and_stays_webp() {
    let data = encode(&two_tone(640, 480), ImageFormat::WebP);
    let p = inspect(&data, &Limits::default()).unwrap();
    check_picture(&p, Format::Webp, 640, 480, (320, 240));
    assert_eq!(p.format.mime(), "image/webp");
    assert_eq!(
        decode(&p.bytes, ImageFormat::WebP).to_rgb8(),
        two_tone(640, 480).to_rgb8()
    );
}

#[test]
fn small_picture_thumbnail_is_not_upscaled() {
    let data = encode(&two_tone(100, 50), ImageFormat::Png);
    let p = inspect(&data, &Limits::default()).unwrap();
    check_picture(&p, Format::Png, 100, 50, (100, 50));
}

#[test]
fn grey_alpha_and_16_bit_pngs_are_accepted() {
    let base = two_tone(64, 32);
    for image in [
        DynamicImage::ImageLuma8(base.to_luma8()),
        DynamicImage::ImageLumaA8(base.to_luma_alpha8()),
        DynamicImage::ImageRgba8(base.to_rgba8()),
        DynamicImage::ImageRgb16(base.to_rgb16()),
        DynamicImage::ImageRgba16(base.to_rgba16()),
    ] {
        let color = image.color();
        let data = encode(&image, ImageFormat::Png);
        let p = inspect(&data, &Limits::default()).unwrap();
        check_picture(&p, Format::Png, 64, 32, (64, 32));
        assert_eq!(
            decode(&p.bytes, ImageFormat::Png).color(),
            color,
            "depth kept"
        );
    }
}

#[test]
fn transparent_png_thumbnail_is_on_white() {
    let clear = DynamicImage::ImageRgba8(image::RgbaImage::new(40, 40));
    let p = inspect(&encode(&clear, ImageFormat::Png), &Limits::default()).unwrap();
    let t = decode(&p.thumb, ImageFormat::Jpeg).to_rgb8();
    assert!(t.pixels().all(|px| px.0.iter().all(|&c| c > 245)), "white");
}

#[test]
fn grey_jpeg_is_accepted() {
    let grey = DynamicImage::ImageLuma8(two_tone(80, 60).to_luma8());
    let p = inspect(&encode(&grey, ImageFormat::Jpeg), &Limits::default()).unwrap();
    check_picture(&p, Format::Jpeg, 80, 60, (80, 60));
}

#[test]
fn same_image_twice_has_the_same_id() {
    let data = encode(&two_tone(200, 100), ImageFormat::Jpeg);
    let a = inspect(&data, &Limits::default()).unwrap();
    let b = inspect(&data, &Limits::default()).unwrap();
    assert_eq!(a.id, b.id);
    assert_eq!(a, b);
    let other = encode(&two_tone(201, 100), ImageFormat::Jpeg);
    assert_ne!(inspect(&other, &Limits::default()).unwrap().id, a.id);
}

// ---- metadata ----

/// Red (left half of the upload) must be on top after orientation 6
/// ("rotate 90° clockwise to display"), blue at the bottom.
fn assert_rotated_clockwise(image: &DynamicImage) {
    let rgb = image.to_rgb8();
    let (w, h) = rgb.dimensions();
    let top = rgb.get_pixel(w / 2, h / 8).0;
    let bottom = rgb.get_pixel(w / 2, h - 1 - h / 8).0;
    assert!(top[0] > 150 && top[2] < 100, "top is red: {top:?}");
    assert!(
        bottom[2] > 150 && bottom[0] < 100,
        "bottom is blue: {bottom:?}"
    );
}

#[test]
fn jpeg_exif_gps_is_stripped_and_orientation_applied() {
    let plain = encode(&two_tone(40, 20), ImageFormat::Jpeg);
    let mut exif = b"Exif\0\0".to_vec();
    exif.extend(forge::exif_tiff(6));
    let xmp = b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>home-address</x:xmpmeta>";
    let data = forge::insert_after_soi(
        &plain,
        &[
            forge::jpeg_segment(0xE1, &exif),
            forge::jpeg_segment(0xE1, xmp),
            forge::jpeg_segment(0xFE, b"shot from my window"),
        ],
    );
    assert!(contains(&data, b"Exif"));

    let p = inspect(&data, &Limits::default()).unwrap();
    check_picture(&p, Format::Jpeg, 20, 40, (20, 40));
    for secret in [
        &b"Exif"[..],
        b"MM\0\x2A",
        b"home-address",
        b"xmpmeta",
        b"my window",
    ] {
        assert!(!contains(&p.bytes, secret), "{secret:?} survived");
        assert!(!contains(&p.thumb, secret), "{secret:?} in the thumbnail");
    }
    assert_rotated_clockwise(&decode(&p.bytes, ImageFormat::Jpeg));
    assert_rotated_clockwise(&decode(&p.thumb, ImageFormat::Jpeg));
}

#[test]
fn png_text_and_exif_chunks_are_stripped() {
    let plain = encode(&two_tone(40, 20), ImageFormat::Png);
    let data = forge::insert_after_ihdr(&plain, &forge::png_chunk(*b"eXIf", &forge::exif_tiff(6)));
    let data =
        forge::insert_after_ihdr(&data, &forge::png_chunk(*b"tEXt", b"Comment\0home-address"));
    let p = inspect(&data, &Limits::default()).unwrap();
    check_picture(&p, Format::Png, 20, 40, (20, 40));
    for secret in [&b"eXIf"[..], b"tEXt", b"home-address", b"MM\0\x2A"] {
        assert!(!contains(&p.bytes, secret), "{secret:?} survived");
    }
    assert_rotated_clockwise(&decode(&p.bytes, ImageFormat::Png));
}

#[test]
fn webp_exif_and_xmp_are_stripped() {
    let plain = encode(&two_tone(40, 20), ImageFormat::WebP);
    let data = forge::webp_with_metadata(
        &plain,
        40,
        20,
        &forge::exif_tiff(6),
        b"<x:xmpmeta>home-address</x:xmpmeta>",
    );
    let p = inspect(&data, &Limits::default()).unwrap();
    check_picture(&p, Format::Webp, 20, 40, (20, 40));
    for secret in [&b"EXIF"[..], b"XMP ", b"home-address", b"MM\0\x2A"] {
        assert!(!contains(&p.bytes, secret), "{secret:?} survived");
    }
    assert_rotated_clockwise(&decode(&p.bytes, ImageFormat::WebP));
}

// ---- refused ----

#[test]
fn empty_is_refused() {
    assert_eq!(inspect(b"", &Limits::default()), Err(MediaError::Empty));
}

#[test]
fn over_max_bytes_is_refused() {
    let data = encode(&two_tone(64, 64), ImageFormat::Png);
    let limits = Limits {
        max_bytes: 100,
        ..Limits::default()
    };
    assert_eq!(
        inspect(&data, &limits),
        Err(MediaError::TooLarge {
            size: data.len(),
            max: 100
        })
    );
    // Checked before anything else: even text that big is "too large".
    assert!(matches!(
        inspect(&[b'a'; 101], &limits),
        Err(MediaError::TooLarge { size: 101, .. })
    ));
}

#[test]
fn text_named_as_an_image_is_not_an_image() {
    for data in [
        &b"hello"[..],
        b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
        b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>",
        b"{\"photo\": \"cat.jpg\"}",
        b"RIFF\x24\0\0\0WAVEfmt ",
        b"\xFF\xD8",
    ] {
        assert_eq!(
            inspect(data, &Limits::default()),
            Err(MediaError::NotAnImage)
        );
    }
}

#[test]
fn gif_is_not_an_image() {
    // The smallest GIF: a 1x1 image with a two-colour table.
    let gif = b"GIF89a\x01\0\x01\0\x80\0\0\0\0\0\xff\xff\xff!\xf9\x04\x01\0\0\0\0,\0\0\0\0\x01\0\x01\0\0\x02\x02D\x01\0;";
    assert_eq!(
        inspect(gif, &Limits::default()),
        Err(MediaError::NotAnImage)
    );
}

#[test]
fn truncated_jpeg_is_malformed() {
    let data = encode(&two_tone(300, 200), ImageFormat::Jpeg);
    for cut in [20, 400, data.len() / 2, data.len() - 2] {
        let result = inspect(&data[..cut], &Limits::default());
        assert!(
            matches!(result, Err(MediaError::Malformed(_))),
            "cut at {cut}: {result:?}"
        );
    }
}

#[test]
fn truncated_png_is_malformed() {
    let data = encode(&two_tone(300, 200), ImageFormat::Png);
    for cut in [20, 40, data.len() / 2, data.len() - 12] {
        let result = inspect(&data[..cut], &Limits::default());
        assert!(
            matches!(result, Err(MediaError::Malformed(_))),
            "cut at {cut}: {result:?}"
        );
    }
}

#[test]
fn corrupt_png_is_malformed() {
    let mut data = encode(&two_tone(300, 200), ImageFormat::Png);
    data[20] ^= 0xFF; // inside IHDR: its CRC no longer matches
    let result = inspect(&data, &Limits::default());
    assert!(
        matches!(result, Err(MediaError::Malformed(_))),
        "{result:?}"
    );
}

#[test]
fn forged_black_png_is_a_valid_png() {
    // The generator behind the bomb tests makes real PNGs: at a harmless
    // size the intake accepts them.
    let data = forge::png_black(300, 200, None);
    let p = inspect(&data, &Limits::default()).unwrap();
    check_picture(&p, Format::Png, 300, 200, (300, 200));
}

#[test]
fn png_declaring_60000_squared_is_refused_without_decoding() {
    // 3.6 gigapixels declared in a file of a few hundred bytes.
    let data = forge::png_black(60_000, 60_000, Some(1));
    assert!(data.len() < 1_000, "{} bytes", data.len());
    let start = Instant::now();
    let result = inspect(&data, &Limits::default());
    assert_eq!(
        result,
        Err(MediaError::Dimensions {
            width: 60_000,
            height: 60_000,
            max_side: 8192,
            max_pixels: 40_000_000,
        })
    );
    // Allocating and zeroing even one 3.6 GB canvas would take seconds.
    assert!(
        start.elapsed() < Duration::from_millis(200),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn zip_bomb_png_within_max_side_is_refused_by_pixel_count() {
    // 8000x8000 is within 8192 a side but 64 Mpx: 64 MB of zeros in a
    // ~400 kB IDAT.
    let data = forge::png_black(8000, 8000, None);
    assert!(data.len() < 500_000, "{} bytes", data.len());
    let start = Instant::now();
    let result = inspect(&data, &Limits::default());
    assert!(
        matches!(
            result,
            Err(MediaError::Dimensions {
                width: 8000,
                height: 8000,
                ..
            })
        ),
        "{result:?}"
    );
    assert!(
        start.elapsed() < Duration::from_millis(200),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn too_wide_png_is_refused() {
    let data = forge::png_black(9000, 10, None);
    assert!(matches!(
        inspect(&data, &Limits::default()),
        Err(MediaError::Dimensions {
            width: 9000,
            height: 10,
            ..
        })
    ));
}

#[test]
fn deep_png_over_the_memory_budget_is_refused() {
    // 100x100 at 8 bytes a pixel needs 80 000 bytes decoded.
    let deep = DynamicImage::ImageRgba16(two_tone(100, 100).to_rgba16());
    let limits = Limits {
        max_alloc: 50_000,
        ..Limits::default()
    };
    assert_eq!(
        inspect(&encode(&deep, ImageFormat::Png), &limits),
        Err(MediaError::OverBudget { max: 50_000 })
    );
}

#[test]
fn error_messages_name_the_problem() {
    let msg = |e: MediaError| e.to_string();
    assert_eq!(
        msg(MediaError::TooLarge {
            size: 9_000_000,
            max: 8_388_608
        }),
        "the image is 9000000 bytes, at most 8388608"
    );
    assert_eq!(
        msg(MediaError::NotAnImage),
        "not a JPEG, PNG or WebP image (checked by content, not by name)"
    );
    assert_eq!(
        msg(MediaError::Dimensions {
            width: 60_000,
            height: 60_000,
            max_side: 8192,
            max_pixels: 40_000_000
        }),
        "60000x60000 pixels is more than allowed \
         (at most 8192 pixels a side and 40000000 pixels in all)"
    );
    let truncated = encode(&two_tone(300, 200), ImageFormat::Png);
    let err = inspect(&truncated[..truncated.len() / 2], &Limits::default()).unwrap_err();
    assert!(msg(err).starts_with("the image is damaged or incomplete: "));
}

#[test]
fn ids_have_one_shape() {
    let p = inspect(
        &encode(&two_tone(10, 10), ImageFormat::Png),
        &Limits::default(),
    )
    .unwrap();
    assert!(is_id(&p.id));
    assert!(!is_id(&p.id.to_uppercase()));
    assert!(!is_id(&p.id[1..]));
    assert!(!is_id("../../etc/passwd"));
}
