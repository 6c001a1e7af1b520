//! The one JPEG check the decoder leaves out: whether the file is complete.
//!
//! The `image` crate runs its JPEG decoder in lenient mode, which paints the
//! missing rest of a cut-short upload grey instead of failing. A half-grey
//! photo stored as evidence is worse than a refusal the uploader can retry,
//! so a JPEG must reach its end-of-image marker.

/// End-of-image marker.
const EOI: [u8; 2] = [0xFF, 0xD9];
/// Start-of-scan marker byte: the image data follows its header.
const SOS: u8 = 0xDA;

/// Checks that `data` (starting with SOI) has an end-of-image marker after
/// its first scan; the reason otherwise.
///
/// The header segments before the first scan are walked by their lengths,
/// so an EOI inside an EXIF thumbnail does not count. After that a plain
/// search is exact: entropy-coded data never holds `FF D9` (every data
/// `FF` is followed by `00`), and a progressive JPEG's later scans end with
/// the same EOI. Bytes after the EOI (a phone's appended depth map or
/// second picture) are allowed; they are not re-encoded anyway.
pub(crate) fn check_complete(data: &[u8]) -> Result<(), String> {
    let mut i = 2; // after SOI
    loop {
        // A marker may be preceded by any number of FF fill bytes.
        while data.get(i) == Some(&0xFF) && data.get(i + 1) == Some(&0xFF) {
            i += 1;
        }
        let marker = match (data.get(i), data.get(i + 1)) {
            (Some(0xFF), Some(&marker)) => marker,
            (None | Some(0xFF), None) => {
                return Err(format!("the JPEG ends at byte {i}, before its image data"));
            }
            _ => return Err(format!("no JPEG marker at byte {i}")),
        };
        match marker {
            0xD9 => return Err("the JPEG ends before its image data".to_owned()),
            // Standalone markers without a length.
            0x01 | 0xD0..=0xD7 => {
                i += 2;
                continue;
            }
            _ => {}
        }
        let Some(&[hi, lo]) = data.get(i + 2..i + 4) else {
            return Err(format!("the JPEG ends at byte {i}, before its image data"));
        };
        let end = i + 2 + usize::from(u16::from_be_bytes([hi, lo]));
        if marker == SOS {
            let scans = data.get(end..).unwrap_or_default();
            return if scans.windows(2).any(|w| w == EOI) {
                Ok(())
            } else {
                Err("the JPEG ends before its end-of-image marker (cut short?)".to_owned())
            };
        }
        i = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SOI, an APP1 holding a stray EOI, a tiny SOS header, `scan`.
    fn jpeg(scan: &[u8]) -> Vec<u8> {
        let mut out = vec![0xFF, 0xD8];
        out.extend_from_slice(&[0xFF, 0xE1, 0, 6, b'x', b'y', 0xFF, 0xD9]);
        out.extend_from_slice(&[0xFF, 0xFF]); // fill byte
        out.extend_from_slice(&[0xFF, SOS, 0, 3, 0]);
        out.extend_from_slice(scan);
        out
    }

    #[test]
    fn complete_when_eoi_follows_the_scan() {
        assert_eq!(check_complete(&jpeg(&[1, 0xFF, 0, 2, 0xFF, 0xD9])), Ok(()));
        assert_eq!(
            check_complete(&jpeg(&[1, 0xFF, 0xD9, 9, 9, 9])),
            Ok(()),
            "trailing bytes"
        );
    }

    #[test]
    fn incomplete_without_eoi() {
        // The APP1's EOI does not count.
        assert!(check_complete(&jpeg(&[1, 0xFF, 0, 2])).is_err());
        assert!(check_complete(&jpeg(&[])).is_err());
        assert!(check_complete(&[0xFF, 0xD8]).is_err());
        assert!(check_complete(&[0xFF, 0xD8, 0xFF, 0xE0, 0]).is_err());
        assert!(
            check_complete(&[0xFF, 0xD8, 0xFF, 0xD9]).is_err(),
            "no image data"
        );
        assert!(
            check_complete(&[0xFF, 0xD8, 0x00, 0xD9]).is_err(),
            "not a marker"
        );
    }
}
