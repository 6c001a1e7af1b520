//! How much an upload may cost: bytes on the wire, pixels, decoder memory.

/// 8 MiB: a modern phone's full-resolution JPEG fits with room to spare.
pub const DEFAULT_MAX_BYTES: usize = 8 * 1024 * 1024;
/// 8192 pixels a side: larger than any phone camera, smaller than a bomb.
pub const DEFAULT_MAX_SIDE: u32 = 8192;
/// 40 megapixels: above a 200 Mpx phone's binned default output (12.5 Mpx)
/// and a 35 Mpx camera, and at 4 bytes a pixel still 160 MB decoded.
pub const DEFAULT_MAX_PIXELS: u64 = 40_000_000;
/// 256 MiB: what the decoder may allocate for one image. The whole intake
/// peaks at roughly three times this (decoded pixels, a rotated copy, the
/// converted copy the encoder takes).
pub const DEFAULT_MAX_ALLOC: u64 = 256 * 1024 * 1024;
/// 320 pixels: a thumbnail for a map pop-up or a list row.
pub const DEFAULT_THUMB_SIDE: u32 = 320;

/// The bounds an upload must stay within; every one is checked before the
/// work it protects, see [`crate::inspect`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest upload in bytes, checked before anything is parsed.
    /// Default [`DEFAULT_MAX_BYTES`].
    pub max_bytes: usize,
    /// Largest width and largest height in pixels, as the header declares
    /// them. Default [`DEFAULT_MAX_SIDE`].
    pub max_side: u32,
    /// Largest width × height, as the header declares them: a tiny file can
    /// declare a huge canvas, so this is what stops a decompression bomb.
    /// Default [`DEFAULT_MAX_PIXELS`].
    pub max_pixels: u64,
    /// Largest allocation the decoder may make for the decoded pixels and its
    /// own bookkeeping (e.g. a PNG's compressed text chunks), in bytes.
    /// Default [`DEFAULT_MAX_ALLOC`].
    pub max_alloc: u64,
    /// Longest side of the thumbnail in pixels; smaller pictures keep their
    /// size. Default [`DEFAULT_THUMB_SIDE`].
    pub thumb_side: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: DEFAULT_MAX_BYTES,
            max_side: DEFAULT_MAX_SIDE,
            max_pixels: DEFAULT_MAX_PIXELS,
            max_alloc: DEFAULT_MAX_ALLOC,
            thumb_side: DEFAULT_THUMB_SIDE,
        }
    }
}
