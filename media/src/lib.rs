//! Photo intake (照片入库): what an uploaded picture must pass before the
//! server stores it. Pure and synchronous: no HTTP, no SQL, no async, so the
//! server decides where this CPU-bound work runs (a blocking thread).
//!
//! - [`limits`]: how big an upload may be, in bytes, pixels and memory.
//! - [`format`](mod@format): the three accepted formats, recognised by their magic bytes.
//! - `decode`: header check, then a bounded decode with the orientation
//!   applied; `jpeg` refuses a cut-short JPEG the lenient decoder would
//!   paint grey.
//! - `encode`: the cleaned re-encoding and the JPEG thumbnail.
//! - [`error`]: why an upload was refused.
//!
//! [`inspect`] ties them together: bytes in, a [`Picture`] out whose `bytes`
//! carry no metadata (a phone photo's EXIF holds the GPS position of where it
//! was taken, often a reporter's home) and whose `id` is the SHA-256 of those
//! cleaned bytes, so the same photo uploaded twice is stored once.

mod decode;
mod encode;
pub mod error;
pub mod format;
mod jpeg;
pub mod limits;

use sha2::{Digest, Sha256};

pub use error::{MediaError, Result};
pub use format::Format;
pub use limits::Limits;

/// An accepted upload, cleaned and ready to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Picture {
    /// Lower-case hex SHA-256 of `bytes`: content-addressed, so a stored file
    /// name can never be chosen by the uploader and duplicates collapse.
    pub id: String,
    /// The format of both the upload and `bytes` (the format is kept so a
    /// PNG screenshot stays sharp and a JPEG photo stays small).
    pub format: Format,
    /// Width in pixels as shown, i.e. after the EXIF orientation was applied.
    pub width: u32,
    /// Height in pixels as shown, i.e. after the EXIF orientation was applied.
    pub height: u32,
    /// The cleaned image: decoded and re-encoded, so no metadata block of the
    /// upload (EXIF with GPS, XMP, ICC profiles, text chunks, comments)
    /// survives; the orientation lives in the pixels instead.
    pub bytes: Vec<u8>,
    /// A JPEG whose longest side is at most [`Limits::thumb_side`], aspect
    /// kept and never upscaled, for map pop-ups and lists.
    pub thumb: Vec<u8>,
}

/// Checks an upload and returns its cleaned picture and thumbnail.
///
/// The order is cheapest first, so hostile input costs little: emptiness and
/// size, then the magic bytes, then the dimensions from the header (before
/// any pixel buffer exists), then the bounded decode.
pub fn inspect(data: &[u8], limits: &Limits) -> Result<Picture> {
    if data.is_empty() {
        return Err(MediaError::Empty);
    }
    if data.len() > limits.max_bytes {
        return Err(MediaError::TooLarge {
            size: data.len(),
            max: limits.max_bytes,
        });
    }
    let format = Format::sniff(data).ok_or(MediaError::NotAnImage)?;
    let image = decode::decode(data, format, limits)?;
    let bytes = encode::clean(&image, format)?;
    let thumb = encode::thumbnail(&image, limits.thumb_side)?;
    Ok(Picture {
        id: sha256_hex(&bytes),
        format,
        width: image.width(),
        height: image.height(),
        bytes,
        thumb,
    })
}

/// Whether `s` has the shape of a [`Picture::id`]: 64 lower-case hex digits.
///
/// A server checks this before turning an id from a URL into a file name, so
/// no `..` or `/` ever reaches the file system.
#[must_use]
pub fn is_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Lower-case hex SHA-256, the form [`is_id`] accepts.
fn sha256_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_hex_is_an_id() {
        // The SHA-256 of "abc" from FIPS 180-2, appendix B.1.
        let id = sha256_hex(b"abc");
        assert_eq!(
            id,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(is_id(&id));
    }

    #[test]
    fn is_id_refuses_other_shapes() {
        let id = "a".repeat(64);
        assert!(is_id(&id));
        assert!(!is_id(&"A".repeat(64)), "upper case");
        assert!(!is_id(&"a".repeat(63)), "too short");
        assert!(!is_id(&"a".repeat(65)), "too long");
        assert!(!is_id(&format!("{}g", "a".repeat(63))), "not hex");
        assert!(!is_id(&format!("../{}", "a".repeat(61))), "a path");
        assert!(!is_id(""));
    }
}
