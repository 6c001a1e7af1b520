//! The packed form of one staff member's fixes from one compaction of the
//! SQLite track log (see `tracks.rs`): a BLOB instead of a row and two index
//! entries per fix. A log batch (`batch.rs`) packs each fix the same way.
//!
//! Layout, little-endian: a format byte, then per fix its fix time and
//! server time (`i64`), lon and lat (`f64`, bit for bit), a byte whose low
//! five bits say which optional values follow, and those values (`f32`, the
//! model's own width) in field order. Nothing is rounded: a fix read back is
//! equal to the fix written.

use crate::store::Result;
use crate::store::codec::corrupt;
use riskmap_engine::model::Fix;
use riskmap_engine::sphere::LonLat;

/// The only format so far. A reader meeting another refuses the chunk
/// instead of misreading it.
const FORMAT: u8 = 1;

/// Bytes of a fix before its optional values.
const FIXED: usize = 8 + 8 + 8 + 8 + 1;

/// The optional values in their stored order.
fn optionals(f: &Fix) -> [Option<f32>; 5] {
    [
        f.accuracy_m,
        f.speed_mps,
        f.heading_deg,
        f.altitude_m,
        f.battery_pct,
    ]
}

/// Appends `fixes` to `out` as one chunk.
pub fn encode(fixes: &[Fix], out: &mut Vec<u8>) {
    out.reserve(1 + fixes.len() * (FIXED + 8));
    out.push(FORMAT);
    for f in fixes {
        put_fix(f, out);
    }
}

/// Appends one fix in the packed form (a track log batch uses it too).
pub(super) fn put_fix(f: &Fix, out: &mut Vec<u8>) {
    out.extend_from_slice(&f.fix_time_ms.to_le_bytes());
    out.extend_from_slice(&f.server_time_ms.to_le_bytes());
    out.extend_from_slice(&f.position.lon.to_le_bytes());
    out.extend_from_slice(&f.position.lat.to_le_bytes());
    let values = optionals(f);
    let present = values
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_some())
        .fold(0_u8, |bits, (i, _)| bits | 1 << i);
    out.push(present);
    for v in values.into_iter().flatten() {
        out.extend_from_slice(&v.to_le_bytes());
    }
}

/// A fix as stored, before its position is checked.
pub(super) struct Packed {
    fix_time_ms: i64,
    server_time_ms: i64,
    lon: f64,
    lat: f64,
    values: [Option<f32>; 5],
}

/// Reads packed bytes one field at a time; every read is checked.
pub(super) struct Reader<'a> {
    pub data: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.data.split_first_chunk::<N>()?;
        self.data = rest;
        Some(*head)
    }

    /// The next `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.data.split_at_checked(n)?;
        self.data = rest;
        Some(head)
    }

    /// Steps over the next fix without decoding it.
    pub fn skip_fix(&mut self) -> Option<()> {
        let present = *self.data.get(FIXED - 1)?;
        let optional = usize::try_from(present.count_ones()).ok()? * 4;
        self.bytes(FIXED + optional).map(|_| ())
    }

    pub fn fix(&mut self) -> Option<Packed> {
        let fix_time_ms = i64::from_le_bytes(self.take()?);
        let server_time_ms = i64::from_le_bytes(self.take()?);
        let lon = f64::from_le_bytes(self.take()?);
        let lat = f64::from_le_bytes(self.take()?);
        let [present] = self.take()?;
        let mut values = [None; 5];
        for (i, v) in values.iter_mut().enumerate() {
            if present & 1 << i != 0 {
                *v = Some(f32::from_le_bytes(self.take()?));
            }
        }
        Some(Packed {
            fix_time_ms,
            server_time_ms,
            lon,
            lat,
            values,
        })
    }
}

/// Appends the fixes of a chunk of `staff_id`'s track to `out`. A chunk that
/// is cut short, of another format or with an impossible position is
/// [corrupt](crate::store::StoreError::Corrupt).
pub fn decode(staff_id: &str, data: &[u8], out: &mut Vec<Fix>) -> Result<()> {
    let bad = |why: &str| corrupt("track_chunks", staff_id, &why);
    let (&format, body) = data.split_first().ok_or_else(|| bad("an empty chunk"))?;
    if format != FORMAT {
        return Err(bad(&format!("chunk format {format}, not {FORMAT}")));
    }
    let mut r = Reader { data: body };
    while !r.data.is_empty() {
        let p = r.fix().ok_or_else(|| bad("a chunk cut short"))?;
        out.push(p.checked("track_chunks", staff_id)?);
    }
    Ok(())
}

impl Packed {
    /// The fix, once its position is known to be one (`table` and `id`
    /// name it if not).
    pub fn checked(self, table: &str, id: &str) -> Result<Fix> {
        let [accuracy_m, speed_mps, heading_deg, altitude_m, battery_pct] = self.values;
        Ok(Fix {
            position: LonLat::new(self.lon, self.lat).map_err(|e| corrupt(table, id, &e))?,
            accuracy_m,
            speed_mps,
            heading_deg,
            altitude_m,
            battery_pct,
            fix_time_ms: self.fix_time_ms,
            server_time_ms: self.server_time_ms,
        })
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A fix of every kind as `i` goes: each optional value present on
    /// some, absent on others.
    pub fn fix(i: i32) -> Fix {
        let x = f64::from(i);
        Fix {
            position: LonLat::new(120.6 + x * 1e-7, 28.0 - x * 3e-9).unwrap(),
            accuracy_m: (i % 2 == 0).then_some(3.5),
            speed_mps: (i % 3 == 0).then_some(1.25),
            heading_deg: (i % 5 == 0).then_some(359.9),
            altitude_m: (i % 7 == 0).then_some(-2.0),
            battery_pct: (i % 11 == 0).then_some(f32::MIN_POSITIVE),
            fix_time_ms: 1_700_000_000_000 + i64::from(i) * 997,
            server_time_ms: i64::from(i) - 5,
        }
    }

    #[test]
    fn round_trips_bit_for_bit() {
        let fixes: Vec<Fix> = (0..500).map(fix).collect();
        let mut data = Vec::new();
        encode(&fixes, &mut data);
        let mut back = vec![fix(-1)];
        decode("S1", &data, &mut back).unwrap();
        assert_eq!(back[0], fix(-1), "decode appends");
        assert_eq!(back[1..], fixes);
        // Every combination of optional values was written.
        assert!(
            fixes
                .iter()
                .any(|f| optionals(f).iter().all(Option::is_some))
        );
        assert!(
            fixes
                .iter()
                .any(|f| optionals(f).iter().all(Option::is_none))
        );
    }

    #[test]
    fn refuses_damage() {
        let mut data = Vec::new();
        encode(&[fix(0), fix(1)], &mut data);
        let mut first = Vec::new();
        encode(&[fix(0)], &mut first);
        let mut out = Vec::new();
        // (A format byte alone is an empty chunk, which decodes to nothing.)
        for cut in 2..data.len() {
            if cut == first.len() {
                continue; // exactly the first fix: a valid, shorter chunk
            }
            let err = decode("S1", &data[..cut], &mut out).unwrap_err();
            assert!(err.to_string().contains("cut short"), "{cut}: {err}");
        }
        assert!(decode("S1", &[], &mut out).is_err());
        let mut other = data.clone();
        other[0] = 2;
        assert!(
            decode("S1", &other, &mut out)
                .unwrap_err()
                .to_string()
                .contains("format 2")
        );
        let mut nan = data;
        // The first fix's lon: after the format byte and two times.
        let lon = 1 + 16;
        nan[lon..lon + 8].copy_from_slice(&f64::NAN.to_le_bytes());
        assert!(decode("S1", &nan, &mut out).is_err());
    }
}
