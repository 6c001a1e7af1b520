//! The grid locator kept between starts (its image): the cells as bytes,
//! stamped with a digest of the grids and the resolution they were built
//! for. A start whose grids are exactly those takes the cells as they were
//! instead of refining some 700,000 of them again (a second or more on two
//! cores for a city of 50,000 grids, the costliest part of a cold start); a
//! start whose grids changed in any way, or whose image is damaged, is told
//! why and builds afresh.
//!
//! Layout, little-endian: the magic (with the layout's version); the
//! SHA-256 of the grids and the resolution; the levels (a count, then one byte
//! each); the candidate lists (a count, then a `u32` each); the cells (a
//! count, then each as its `u64` index and two `u32`s: an interior cell's
//! area and [`INTERIOR`], or a boundary cell's candidate start and count);
//! last, the SHA-256 of everything before it, so that a damaged image is
//! refused rather than answering points wrongly.

use h3o::{CellIndex, Resolution};
use rustc_hash::{FxBuildHasher, FxHashMap};
use sha2::{Digest, Sha256};

use super::{GridLocator, Shape, Slot, shapes_of};
use crate::areas::AreaIdx;
use geo::MultiPolygon;

/// What the bytes are, and the layout's version: a new layout takes a new
/// magic, so an old image is refused rather than misread.
const MAGIC: [u8; 8] = *b"rmgloc01";

/// In a cell's second word, marks an interior cell (a boundary cell's
/// candidate count is never this large).
const INTERIOR: u32 = u32::MAX;

/// Bytes of one cell.
const CELL_BYTES: usize = 16;

impl GridLocator {
    /// The locator as bytes, for [`GridLocator::from_image`] at the next
    /// start.
    #[must_use]
    pub fn image(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            64 + self.cells.len() * CELL_BYTES + self.candidates.len() * 4 + self.levels.len(),
        );
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&digest(&self.shapes, self.resolution));
        // At most 16 resolutions exist.
        out.push(self.levels.len() as u8);
        out.extend(self.levels.iter().map(|&r| u8::from(r)));
        out.extend_from_slice(&(self.candidates.len() as u64).to_le_bytes());
        for c in &self.candidates {
            out.extend_from_slice(&c.to_le_bytes());
        }
        out.extend_from_slice(&(self.cells.len() as u64).to_le_bytes());
        for (cell, slot) in &self.cells {
            let (a, b) = match *slot {
                Slot::Interior(area) => (area, INTERIOR),
                Slot::Boundary { start, len } => (start, len),
            };
            out.extend_from_slice(&u64::from(*cell).to_le_bytes());
            out.extend_from_slice(&a.to_le_bytes());
            out.extend_from_slice(&b.to_le_bytes());
        }
        let sum: [u8; 32] = Sha256::digest(&out).into();
        out.extend_from_slice(&sum);
        out
    }

    /// The locator of `grids` (in area-index order, as for
    /// [`GridLocator::build`]) from an image [`GridLocator::image`] wrote,
    /// if it was made from exactly these grids at this resolution; otherwise
    /// why not, and the caller builds afresh. A damaged image is refused,
    /// never trusted: its checksum, and then every index in it, are checked.
    pub fn from_image(
        grids: &[(AreaIdx, &MultiPolygon<f64>)],
        resolution: Resolution,
        bytes: &[u8],
    ) -> Result<Self, String> {
        let Some((body, sum)) = bytes.split_last_chunk::<32>() else {
            return Err("cut short".into());
        };
        if Sha256::digest(body).as_slice() != sum {
            return Err("damaged (its checksum does not match)".into());
        }
        let shapes = shapes_of(grids).map_err(|e| e.to_string())?;
        let mut r = Reader(body);
        if r.take(MAGIC.len())? != MAGIC {
            return Err("not a grid locator image of this version".into());
        }
        if r.take(32)? != digest(&shapes, resolution) {
            return Err("made from other grids".into());
        }
        let levels = (0..r.u8()?)
            .map(|_| {
                let level = r.u8()?;
                Resolution::try_from(level).map_err(|_| format!("no resolution {level}"))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let count = r.count(4)?;
        let candidates = (0..count)
            .map(|_| {
                let c = r.u32()?;
                if (c as usize) < shapes.len() {
                    Ok(c)
                } else {
                    Err(format!("candidate {c} of {} grids", shapes.len()))
                }
            })
            .collect::<Result<Vec<_>, String>>()?;
        let count = r.count(CELL_BYTES)?;
        let mut cells = FxHashMap::with_capacity_and_hasher(count, FxBuildHasher);
        for _ in 0..count {
            let raw = r.u64()?;
            let cell = CellIndex::try_from(raw).map_err(|_| format!("no cell {raw:#x}"))?;
            let (a, b) = (r.u32()?, r.u32()?);
            let slot = if b == INTERIOR {
                if shapes.binary_search_by_key(&a, |s| s.area).is_err() {
                    return Err(format!("cell {cell} in area {a}, not a grid"));
                }
                Slot::Interior(a)
            } else if a as usize + b as usize <= candidates.len() {
                Slot::Boundary { start: a, len: b }
            } else {
                return Err(format!("cell {cell}: candidates past the end"));
            };
            cells.insert(cell, slot);
        }
        if !r.0.is_empty() {
            return Err(format!("{} bytes after the cells", r.0.len()));
        }
        Ok(GridLocator {
            resolution,
            levels,
            cells,
            candidates,
            shapes,
        })
    }
}

/// SHA-256 of the layout's magic, the resolution and every grid's area
/// index and coordinates: what an image is valid for.
fn digest(shapes: &[Shape], resolution: Resolution) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(MAGIC);
    h.update([u8::from(resolution)]);
    h.update((shapes.len() as u64).to_le_bytes());
    let mut buf = Vec::new();
    for s in shapes {
        buf.clear();
        buf.extend_from_slice(&s.area.to_le_bytes());
        buf.extend_from_slice(&(s.geometry.0.len() as u64).to_le_bytes());
        for p in &s.geometry.0 {
            buf.extend_from_slice(&(p.interiors().len() as u64).to_le_bytes());
            for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
                buf.extend_from_slice(&(ring.0.len() as u64).to_le_bytes());
                for c in &ring.0 {
                    buf.extend_from_slice(&c.x.to_le_bytes());
                    buf.extend_from_slice(&c.y.to_le_bytes());
                }
            }
        }
        h.update(&buf);
    }
    h.finalize().into()
}

/// The image's bytes not read yet.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.0.len() < n {
            return Err("cut short".into());
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64, String> {
        let mut b = [0; 8];
        b.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(b))
    }

    /// A count of items of `size` bytes each, refused if the rest of the
    /// image could not hold them (so a damaged count allocates nothing).
    fn count(&mut self, size: usize) -> Result<usize, String> {
        let n = usize::try_from(self.u64()?).map_err(|e| e.to_string())?;
        if n > self.0.len() / size {
            return Err("cut short".into());
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use geo::{LineString, Polygon};

    use super::*;
    use crate::sphere::LonLat;

    fn square(x0: f64, y0: f64, side: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![Polygon::new(
            LineString::from(vec![
                (x0, y0),
                (x0 + side, y0),
                (x0 + side, y0 + side),
                (x0, y0 + side),
                (x0, y0),
            ]),
            vec![],
        )])
    }

    /// Nine grids in a block, numbered as areas are (not from 0).
    fn block() -> Vec<(AreaIdx, MultiPolygon<f64>)> {
        (0..9u32)
            .map(|i| {
                let (col, row) = (f64::from(i % 3), f64::from(i / 3));
                (10 + i, square(120.6 + col * 0.01, 28.0 + row * 0.01, 0.01))
            })
            .collect()
    }

    fn refs(grids: &[(AreaIdx, MultiPolygon<f64>)]) -> Vec<(AreaIdx, &MultiPolygon<f64>)> {
        grids.iter().map(|(a, g)| (*a, g)).collect()
    }

    /// The locator taken from its image answers every point as the one built,
    /// on edges, corners and outside alike.
    #[test]
    fn an_image_gives_back_the_same_locator() {
        let grids = block();
        let built = GridLocator::build(&refs(&grids), Resolution::Ten).unwrap();
        let image = built.image();
        let taken = GridLocator::from_image(&refs(&grids), Resolution::Ten, &image).unwrap();
        assert_eq!(taken.cell_counts(), built.cell_counts());
        assert_eq!(taken.levels, built.levels);
        for i in 0..=80 {
            for j in 0..=80 {
                let p = LonLat::new(
                    120.595 + f64::from(i) * 0.0005,
                    27.995 + f64::from(j) * 0.0005,
                )
                .unwrap();
                assert_eq!(taken.locate(p), built.locate(p), "at {p:?}");
            }
        }
        assert!(
            taken
                .locate(LonLat::new(120.615, 28.015).unwrap())
                .is_some()
        );
    }

    /// One vertex moved by a millimetre, another resolution, or another grid
    /// numbering: the image is refused and says why.
    #[test]
    fn an_image_of_other_grids_is_refused() {
        let grids = block();
        let image = GridLocator::build(&refs(&grids), Resolution::Ten)
            .unwrap()
            .image();
        let mut moved = block();
        moved[4].1 = square(120.61, 28.01, 0.010_000_01);
        let why = GridLocator::from_image(&refs(&moved), Resolution::Ten, &image).unwrap_err();
        assert_eq!(why, "made from other grids");
        let why = GridLocator::from_image(&refs(&grids), Resolution::Nine, &image).unwrap_err();
        assert_eq!(why, "made from other grids");
        let renumbered: Vec<_> = grids.iter().map(|(a, g)| (a + 1, g.clone())).collect();
        assert!(GridLocator::from_image(&refs(&renumbered), Resolution::Ten, &image).is_err());
    }

    /// A damaged image (cut anywhere, one byte longer, or a byte changed
    /// anywhere) is refused, never taken.
    #[test]
    fn a_damaged_image_is_refused_not_trusted() {
        let grids = block();
        let image = GridLocator::build(&refs(&grids), Resolution::Ten)
            .unwrap()
            .image();
        let take = |bytes: &[u8]| GridLocator::from_image(&refs(&grids), Resolution::Ten, bytes);
        assert!(take(&image).is_ok());
        for cut in (0..image.len()).step_by(7) {
            assert!(take(&image[..cut]).is_err(), "cut at {cut}");
        }
        let mut long = image.clone();
        long.push(0);
        assert!(take(&long).is_err());
        for at in (0..image.len()).step_by(5) {
            let mut bad = image.clone();
            bad[at] ^= 0xA5;
            assert!(take(&bad).is_err(), "byte {at} changed");
        }
    }
}
