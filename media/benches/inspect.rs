//! What a photo upload costs the server (docs/PERFORMANCE.md, "Photos"):
//!
//! `cargo bench -p riskmap-media --bench inspect`
//!
//! A phone's photo (a 4000 × 3000 JPEG of a noisy gradient, about what a
//! 12-megapixel camera sends), a screenshot-sized PNG (1280 × 720) and the
//! refusal of a decompression bomb (a PNG whose header declares 60000 ×
//! 60000 pixels): each checked, cleaned, re-encoded and thumbnailed by
//! `inspect`, as `POST /api/attachments` does on a blocking thread.

use std::hint::black_box;
use std::io::Cursor;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use image::{ImageFormat, RgbImage};
use riskmap_media::{Limits, inspect};

fn encoded(w: u32, h: u32, format: ImageFormat) -> Vec<u8> {
    // Noise keeps the encoders honest: a flat image compresses to nothing.
    let mut seed = 0x2545_f491_u32;
    let img = RgbImage::from_fn(w, h, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let n = (seed & 0x1f) as u8;
        image::Rgb([(x / 16) as u8 ^ n, (y / 12) as u8 ^ n, 128 ^ n])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).expect("encodes");
    out.into_inner()
}

/// A PNG declaring `side` × `side` pixels over an empty zlib stream.
fn bomb(side: u32) -> Vec<u8> {
    let mut png = encoded(1, 1, ImageFormat::Png);
    // IHDR's width and height sit at bytes 16..24; its CRC at 29..33.
    png[16..20].copy_from_slice(&side.to_be_bytes());
    png[20..24].copy_from_slice(&side.to_be_bytes());
    let crc = crc32fast::hash(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

fn uploads(c: &mut Criterion) {
    let limits = Limits::default();
    let photo = encoded(4000, 3000, ImageFormat::Jpeg);
    let screenshot = encoded(1280, 720, ImageFormat::Png);
    let bomb = bomb(60_000);
    assert!(inspect(&bomb, &limits).is_err(), "the bomb is refused");
    let mut g = c.benchmark_group("inspect");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("jpeg_12mp", |b| {
        b.iter(|| inspect(black_box(&photo), &limits));
    });
    g.bench_function("png_1280x720", |b| {
        b.iter(|| inspect(black_box(&screenshot), &limits));
    });
    g.bench_function("bomb_60000x60000", |b| {
        b.iter(|| inspect(black_box(&bomb), &limits));
    });
    g.finish();
}

criterion_group!(benches, uploads);
criterion_main!(benches);
