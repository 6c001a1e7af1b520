//! 场所码: each key place's code, signed by the server, printed as a QR
//! code at the place; scanned on the field page it records an inspection
//! (检查) or a check-in (打卡) — refused when the code was not issued here or
//! the phone is far from the place. Pure: the code, its signature, the
//! inspection record and its checks; `qr.rs` draws the code. The app layer
//! commits the records.
//!
//! A code is `{place id}.{signature}`: the signature is the first 16 bytes
//! of HMAC-SHA256(key, "venue\n" + place id), base64url. The key is one per
//! city (every node shares it, through the store), so a code cannot be made
//! for a place without it, nor moved to another place.

pub mod qr;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use riskmap_engine::model::EpochMs;
use riskmap_engine::sphere::LonLat;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use thiserror::Error;

/// Bytes of the signature kept in a code (128 bits).
const SIGNATURE_BYTES: usize = 16;
/// Longest code accepted (a place id is at most 128 characters).
const MAX_CODE_CHARS: usize = 200;
/// Most checklist items on one inspection.
pub const MAX_CHECKLIST: usize = 50;
/// Longest checklist item or note, characters.
pub const MAX_TEXT_CHARS: usize = 500;
/// Most photos on one inspection.
pub const MAX_PHOTOS: usize = 9;

/// Why a code or an inspection was refused.
#[derive(Debug, Error, PartialEq)]
pub enum VenueError {
    /// Not the shape of a venue code at all.
    #[error("not a venue code (场所码): expected PLACE.SIGNATURE")]
    Malformed,
    /// A code of the right shape whose signature does not match: forged,
    /// altered, or issued by another city's server.
    #[error("this venue code (场所码) was not issued by this server")]
    Forged,
    /// A field of the inspection is out of bounds.
    #[error("{0}")]
    Invalid(String),
}

fn mac(key: &[u8], place: &str) -> Hmac<Sha256> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    m.update(b"venue\n");
    m.update(place.as_bytes());
    m
}

/// The code of a place.
#[must_use]
pub fn code(key: &[u8], place: &str) -> String {
    let tag = mac(key, place).finalize().into_bytes();
    format!(
        "{place}.{}",
        URL_SAFE_NO_PAD.encode(&tag[..SIGNATURE_BYTES])
    )
}

/// The place a code names, if its signature is this server's. Also takes
/// the field page's link (`…/field?venue=CODE`) as scanned.
///
/// # Errors
/// [`VenueError::Malformed`] or [`VenueError::Forged`].
pub fn verify(key: &[u8], scanned: &str) -> Result<String, VenueError> {
    let text = scanned.trim();
    let text = text
        .rsplit_once("venue=")
        .map_or(text, |(_, c)| c.split('&').next().unwrap_or_default());
    if text.is_empty() || text.chars().count() > MAX_CODE_CHARS {
        return Err(VenueError::Malformed);
    }
    let (place, signature) = text.rsplit_once('.').ok_or(VenueError::Malformed)?;
    let tag = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| VenueError::Malformed)?;
    if place.is_empty() || tag.len() != SIGNATURE_BYTES {
        return Err(VenueError::Malformed);
    }
    mac(key, place)
        .verify_truncated_left(&tag)
        .map_err(|_| VenueError::Forged)?;
    Ok(place.to_owned())
}

/// What a scan records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanKind {
    /// 检查: an inspection, with its checklist.
    Inspection,
    /// 打卡: the worker was there.
    CheckIn,
}

/// One item of an inspection's checklist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckItem {
    /// What was checked, e.g. 消防通道畅通.
    pub item: String,
    /// Whether it was in order.
    pub ok: bool,
    /// What was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// An inspection or check-in at a key place, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inspection {
    /// Its id.
    pub id: String,
    /// The key place.
    pub place_id: String,
    /// Its name then.
    pub place_name: String,
    /// Its category (学校, 出租房 …) then.
    pub place_category: String,
    /// The grid it lies in, if any.
    pub grid: Option<String>,
    /// Inspection or check-in.
    pub kind: ScanKind,
    /// Who scanned.
    pub staff_id: String,
    /// Their name then.
    pub staff_name: String,
    /// When.
    pub at_ms: EpochMs,
    /// Where the phone was.
    pub position: LonLat,
    /// How far that was from the place, metres.
    pub distance_m: f64,
    /// The checklist (an inspection's).
    pub checklist: Vec<CheckItem>,
    /// Items not in order.
    pub problems: usize,
    /// A note.
    pub note: Option<String>,
    /// Photos (attachment ids).
    pub photos: Vec<String>,
}

/// Checks what the worker sent with a scan.
///
/// # Errors
/// [`VenueError::Invalid`] naming the field.
pub fn check_report(
    checklist: &[CheckItem],
    note: Option<&str>,
    photos: &[String],
) -> Result<(), VenueError> {
    let too_long = |s: &str| s.chars().count() > MAX_TEXT_CHARS;
    if checklist.len() > MAX_CHECKLIST {
        return Err(VenueError::Invalid(format!(
            "checklist: at most {MAX_CHECKLIST} items, got {}",
            checklist.len()
        )));
    }
    if let Some((i, _)) = checklist
        .iter()
        .enumerate()
        .find(|(_, c)| c.item.trim().is_empty() || too_long(&c.item))
    {
        return Err(VenueError::Invalid(format!(
            "checklist[{i}].item must be 1 to {MAX_TEXT_CHARS} characters"
        )));
    }
    if checklist
        .iter()
        .filter_map(|c| c.note.as_deref())
        .chain(note)
        .any(too_long)
    {
        return Err(VenueError::Invalid(format!(
            "a note is at most {MAX_TEXT_CHARS} characters"
        )));
    }
    if photos.len() > MAX_PHOTOS {
        return Err(VenueError::Invalid(format!(
            "photos: at most {MAX_PHOTOS}, got {}",
            photos.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"a city's key";

    #[test]
    fn a_code_names_its_place_and_nothing_else() {
        let c = code(KEY, "K1");
        assert_eq!(verify(KEY, &c), Ok("K1".to_owned()));
        assert_eq!(
            verify(KEY, &format!("https://city.example/field?venue={c}&x=1")),
            Ok("K1".to_owned())
        );
        // Moved to another place, altered, or from another city: forged.
        let (_, sig) = c.rsplit_once('.').unwrap();
        assert_eq!(verify(KEY, &format!("K2.{sig}")), Err(VenueError::Forged));
        assert_eq!(verify(b"another city", &c), Err(VenueError::Forged));
        // Every character of the signature but the last carries six bits
        // of it (the last also padding): each one changed is a forgery.
        for i in 0..sig.len() - 1 {
            let mut altered = sig.as_bytes().to_vec();
            altered[i] = if altered[i] == b'A' { b'B' } else { b'A' };
            let altered = format!("K1.{}", String::from_utf8(altered).unwrap());
            assert_eq!(verify(KEY, &altered), Err(VenueError::Forged), "{altered}");
        }
        // Not a code at all.
        for junk in [
            "",
            "K1",
            "K1.",
            ".AAAA",
            "K1.!!!",
            "K1.AAAA",
            &"x".repeat(300),
        ] {
            assert_eq!(verify(KEY, junk), Err(VenueError::Malformed), "{junk}");
        }
    }

    #[test]
    fn a_report_is_bounded() {
        let item = |s: &str| CheckItem {
            item: s.into(),
            ok: true,
            note: None,
        };
        assert!(check_report(&[item("消防通道畅通")], Some("好"), &[]).is_ok());
        assert!(check_report(&[item(" ")], None, &[]).is_err());
        assert!(check_report(&vec![item("x"); 51], None, &[]).is_err());
        assert!(check_report(&[], Some(&"长".repeat(501)), &[]).is_err());
        assert!(check_report(&[], None, &vec![String::new(); 10]).is_err());
    }
}
