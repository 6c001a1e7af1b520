//! Why an upload was refused. Every message is meant for the uploader, so
//! it names what was wrong and the bound it broke.

use crate::Format;

/// A [`MediaError`] or a value.
pub type Result<T, E = MediaError> = std::result::Result<T, E>;

/// Why [`crate::inspect`] refused an upload.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MediaError {
    /// Zero bytes: usually a form sent without a file.
    #[error("the upload is empty (0 bytes)")]
    Empty,
    /// More bytes than [`crate::Limits::max_bytes`].
    #[error("the image is {size} bytes, at most {max}")]
    TooLarge {
        /// The upload's size in bytes.
        size: usize,
        /// The limit in bytes.
        max: usize,
    },
    /// The leading bytes are not those of an accepted format, whatever the
    /// file is called or claims to be.
    #[error("not a JPEG, PNG or WebP image (checked by content, not by name)")]
    NotAnImage,
    /// The header declares more pixels than allowed; found before decoding,
    /// so a decompression bomb is refused without allocating its canvas.
    #[error(
        "{width}x{height} pixels is more than allowed \
         (at most {max_side} pixels a side and {max_pixels} pixels in all)"
    )]
    Dimensions {
        /// Declared width in pixels.
        width: u32,
        /// Declared height in pixels.
        height: u32,
        /// [`crate::Limits::max_side`].
        max_side: u32,
        /// [`crate::Limits::max_pixels`].
        max_pixels: u64,
    },
    /// Decoding would allocate more than [`crate::Limits::max_alloc`]: within
    /// the pixel limit but deep (16-bit channels), or a PNG whose compressed
    /// text chunks unpack to too much.
    #[error("decoding the image would need more than the {max} bytes of memory allowed")]
    OverBudget {
        /// [`crate::Limits::max_alloc`].
        max: u64,
    },
    /// The bytes start like an image but fail to decode: cut short or
    /// corrupt. Holds the decoder's reason.
    #[error("the image is damaged or incomplete: {0}")]
    Malformed(String),
    /// A valid file using a feature the decoder does not support.
    #[error("this {format} image uses a feature that cannot be read: {reason}")]
    Unsupported {
        /// The format the magic bytes announced.
        format: Format,
        /// The decoder's reason.
        reason: String,
    },
    /// Re-encoding the decoded pixels failed: a fault on our side, not the
    /// uploader's.
    #[error("could not re-encode the image as {format}: {reason}")]
    Encode {
        /// The format being written.
        format: Format,
        /// The encoder's reason.
        reason: String,
    },
}
