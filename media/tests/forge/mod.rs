//! Builds test files byte by byte: images from the `image` crate's encoders,
//! and the hostile or metadata-laden variants no encoder would write.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage};

/// A picture whose left half is red and right half blue, so a rotation
/// shows in which corner each colour ends up.
pub fn two_tone(width: u32, height: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, _| {
        if x < width / 2 {
            Rgb([220, 20, 20])
        } else {
            Rgb([20, 20, 220])
        }
    }))
}

/// `image` encoded by the `image` crate (WebP: lossless, its only encoder).
pub fn encode(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).expect("encode test image");
    out.into_inner()
}

/// CRC-32 (ISO 3309, as PNG uses).
pub fn crc32(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}

/// One PNG chunk: length, type, data, CRC of type and data.
pub fn png_chunk(kind: [u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 12);
    out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
    out.extend_from_slice(&kind);
    out.extend_from_slice(data);
    let mut crc_input = kind.to_vec();
    crc_input.extend_from_slice(data);
    out.extend_from_slice(&crc32(&crc_input).to_be_bytes());
    out
}

/// `png` with `chunk` inserted right after IHDR (signature 8 + IHDR 25).
pub fn insert_after_ihdr(png: &[u8], chunk: &[u8]) -> Vec<u8> {
    assert_eq!(&png[12..16], b"IHDR");
    let mut out = png[..33].to_vec();
    out.extend_from_slice(chunk);
    out.extend_from_slice(&png[33..]);
    out
}

/// An 8-bit greyscale PNG of `width` × `height` black pixels whose IDAT
/// holds only `rows` rows (all of them when `rows` is `None`), compressed
/// about 160:1: the shape of a decompression bomb.
pub fn png_black(width: u32, height: u32, rows: Option<u32>) -> Vec<u8> {
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    // Bit depth 8, colour type 0 (grey), deflate, adaptive filter, no interlace.
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    // Each row is a filter byte (0, none) and one zero byte a pixel.
    let raw = u64::from(rows.unwrap_or(height)) * (u64::from(width) + 1);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(png_chunk(*b"IHDR", &ihdr));
    out.extend(png_chunk(*b"IDAT", &zlib_zeros(raw)));
    out.extend(png_chunk(*b"IEND", &[]));
    out
}

/// A zlib stream of `n` zero bytes: one fixed-Huffman deflate block of a
/// literal zero, then back-references of 258 bytes at distance 1 (13 bits
/// each for 258 bytes), then literal zeros for the rest.
pub fn zlib_zeros(n: u64) -> Vec<u8> {
    let mut bits = BitWriter::default();
    bits.value(1, 1); // BFINAL
    bits.value(1, 2); // BTYPE 01: fixed Huffman codes
    let mut left = n;
    if left > 0 {
        bits.code(0x30, 8); // literal 0
        left -= 1;
    }
    while left >= 258 {
        bits.code(0xC5, 8); // length symbol 285: 258 bytes, no extra bits
        bits.code(0, 5); // distance symbol 0: distance 1
        left -= 258;
    }
    for _ in 0..left {
        bits.code(0x30, 8);
    }
    bits.code(0, 7); // end of block (symbol 256)
    let mut out = vec![0x78, 0x01];
    out.extend(bits.finish());
    // Adler-32 of zeros: a stays 1, b adds 1 per byte.
    let adler = ((n % 65_521) << 16) | 1;
    out.extend_from_slice(&u32::try_from(adler).unwrap().to_be_bytes());
    out
}

/// Deflate's bit order: values least significant bit first, Huffman codes
/// most significant bit first, bytes filled from their low bit.
#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    used: u32,
}

impl BitWriter {
    fn bit(&mut self, bit: u32) {
        if self.used.is_multiple_of(8) {
            self.bytes.push(0);
        }
        if bit & 1 == 1 {
            *self.bytes.last_mut().unwrap() |= 1 << (self.used % 8);
        }
        self.used += 1;
    }

    fn value(&mut self, value: u32, len: u32) {
        for i in 0..len {
            self.bit(value >> i);
        }
    }

    fn code(&mut self, code: u32, len: u32) {
        for i in (0..len).rev() {
            self.bit(code >> i);
        }
    }

    fn finish(self) -> Vec<u8> {
        self.bytes
    }
}

/// A big-endian TIFF block as EXIF carries it: IFD0 with the orientation
/// and a pointer to a GPS IFD with latitude 31°13'5" N (central Shanghai).
pub fn exif_tiff(orientation: u16) -> Vec<u8> {
    let mut t = b"MM\0\x2A".to_vec();
    t.extend_from_slice(&8u32.to_be_bytes()); // IFD0 at 8
    // IFD0: 2 entries, ends at 8 + 2 + 24 + 4 = 38.
    t.extend_from_slice(&2u16.to_be_bytes());
    t.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1]); // Orientation, SHORT, 1
    t.extend_from_slice(&orientation.to_be_bytes());
    t.extend_from_slice(&[0, 0]);
    t.extend_from_slice(&[0x88, 0x25, 0, 4, 0, 0, 0, 1]); // GPSInfo IFD, LONG, 1
    t.extend_from_slice(&38u32.to_be_bytes());
    t.extend_from_slice(&0u32.to_be_bytes()); // no IFD1
    // GPS IFD at 38: 2 entries, ends at 38 + 2 + 24 + 4 = 68.
    t.extend_from_slice(&2u16.to_be_bytes());
    t.extend_from_slice(&[0, 1, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0]); // GPSLatitudeRef "N"
    t.extend_from_slice(&[0, 2, 0, 5, 0, 0, 0, 3]); // GPSLatitude, RATIONAL, 3
    t.extend_from_slice(&68u32.to_be_bytes());
    t.extend_from_slice(&0u32.to_be_bytes());
    for (num, den) in [(31u32, 1u32), (13, 1), (5, 1)] {
        t.extend_from_slice(&num.to_be_bytes());
        t.extend_from_slice(&den.to_be_bytes());
    }
    assert_eq!(t.len(), 92);
    t
}

/// A JPEG marker segment: marker, length (counting itself), payload.
pub fn jpeg_segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0xFF, marker];
    out.extend_from_slice(&u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// `jpeg` with `segments` inserted right after SOI, where a camera puts its
/// APP1 EXIF block.
pub fn insert_after_soi(jpeg: &[u8], segments: &[Vec<u8>]) -> Vec<u8> {
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8]);
    let mut out = jpeg[..2].to_vec();
    for s in segments {
        out.extend_from_slice(s);
    }
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A RIFF chunk, padded to an even length.
fn riff_chunk(kind: [u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = kind.to_vec();
    out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_le_bytes());
    out.extend_from_slice(data);
    if data.len() % 2 == 1 {
        out.push(0);
    }
    out
}

/// A simple (VP8L-only) WebP rewritten as an extended one (VP8X) with an
/// EXIF chunk and an XMP chunk after the image data.
pub fn webp_with_metadata(
    webp: &[u8],
    width: u32,
    height: u32,
    exif: &[u8],
    xmp: &[u8],
) -> Vec<u8> {
    assert_eq!(&webp[12..16], b"VP8L");
    let len = u32::from_le_bytes(webp[16..20].try_into().unwrap()) as usize;
    let vp8l = &webp[20..20 + len];
    let mut vp8x = vec![0x08 | 0x04, 0, 0, 0]; // EXIF and XMP present
    vp8x.extend_from_slice(&(width - 1).to_le_bytes()[..3]);
    vp8x.extend_from_slice(&(height - 1).to_le_bytes()[..3]);
    let mut body = b"WEBP".to_vec();
    body.extend(riff_chunk(*b"VP8X", &vp8x));
    body.extend(riff_chunk(*b"VP8L", vp8l));
    body.extend(riff_chunk(*b"EXIF", exif));
    body.extend(riff_chunk(*b"XMP ", xmp));
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&u32::try_from(body.len()).unwrap().to_le_bytes());
    out.extend(body);
    out
}

/// Whether `needle` occurs anywhere in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
