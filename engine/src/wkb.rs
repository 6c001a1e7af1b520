//! Well-Known Binary (OGC Simple Features, as PostGIS's `ST_AsBinary`
//! writes it) → the model's geometry, validated exactly as the GeoJSON
//! parser validates ([`crate::geojson`]): finite coordinates in range, rings
//! closed with at least four positions, lines of at least two, the right
//! geometry type, at most [`MAX_VERTICES`] vertices.
//!
//! Why a second format: a start reads every area of the city, and turning
//! ~17 MB of GeoJSON text back into doubles (and a vector per position) cost
//! more than reading the rows; WKB is the doubles themselves, bit-exact.
//!
//! Read only, and defensive: a count is checked against the bytes that are
//! left before anything is reserved for it, so a damaged value is refused
//! with a reason instead of asking for gigabytes.

use geo::{Coord, LineString, MultiLineString, MultiPolygon, Polygon};

use super::error::{EngineError, Result};
use super::geojson::MAX_VERTICES;
use super::model::Footprint;
use super::sphere::LonLat;

/// The OGC type codes of the geometries the model holds.
const POINT: u32 = 1;
const LINE_STRING: u32 = 2;
const POLYGON: u32 = 3;
const MULTI_LINE_STRING: u32 = 5;
const MULTI_POLYGON: u32 = 6;

fn type_name(code: u32) -> &'static str {
    match code {
        POINT => "Point",
        LINE_STRING => "LineString",
        POLYGON => "Polygon",
        4 => "MultiPoint",
        MULTI_LINE_STRING => "MultiLineString",
        MULTI_POLYGON => "MultiPolygon",
        7 => "GeometryCollection",
        _ => "geometry of an unknown type",
    }
}

/// EWKB's flags (PostGIS's own extension, in the type's high bits).
const EWKB_Z: u32 = 0x8000_0000;
const EWKB_M: u32 = 0x4000_0000;
const EWKB_SRID: u32 = 0x2000_0000;

/// A MultiPolygon from a WKB Polygon or MultiPolygon.
pub fn parse_multi_polygon(bytes: &[u8]) -> Result<MultiPolygon<f64>> {
    let mut r = Reader::new(bytes);
    let head = r.header()?;
    let mp = match head.kind {
        POLYGON => MultiPolygon::new(vec![r.polygon(head)?]),
        MULTI_POLYGON => r.multi_polygon(head)?,
        other => return Err(expected("a Polygon or MultiPolygon", other)),
    };
    r.end()?;
    Ok(mp)
}

/// A point, a line or an area from a WKB `Point`, `LineString`,
/// `MultiLineString`, `Polygon` or `MultiPolygon`.
pub fn parse_footprint(bytes: &[u8]) -> Result<Footprint> {
    let mut r = Reader::new(bytes);
    let head = r.header()?;
    let footprint = match head.kind {
        POINT => Footprint::Point(r.position(head)?.point()),
        LINE_STRING => Footprint::Line(MultiLineString::new(vec![r.line(head)?])),
        MULTI_LINE_STRING => Footprint::Line(r.multi_line(head)?),
        POLYGON => Footprint::Area(MultiPolygon::new(vec![r.polygon(head)?])),
        MULTI_POLYGON => Footprint::Area(r.multi_polygon(head)?),
        other => return Err(expected("a point, a line or an area", other)),
    };
    r.end()?;
    Ok(footprint)
}

fn expected(what: &str, code: u32) -> EngineError {
    EngineError::InvalidGeometry(format!("expected {what}, got a {}", type_name(code)))
}

fn invalid(why: impl Into<String>) -> EngineError {
    EngineError::InvalidGeometry(why.into())
}

/// One geometry's header: its byte order, type and ordinates per position.
#[derive(Debug, Clone, Copy)]
struct Header {
    little: bool,
    kind: u32,
    dims: usize,
}

/// A cursor over one WKB value, counting the vertices read.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    vertices: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Reader {
            bytes,
            at: 0,
            vertices: 0,
        }
    }

    fn take<const N: usize>(&mut self) -> Result<[u8; N]> {
        let end = self.at + N;
        let slice = self.bytes.get(self.at..end).ok_or_else(|| {
            invalid(format!(
                "the WKB value ends after {} bytes, inside a geometry",
                self.bytes.len()
            ))
        })?;
        self.at = end;
        let mut out = [0; N];
        out.copy_from_slice(slice);
        Ok(out)
    }

    fn u32(&mut self, little: bool) -> Result<u32> {
        let b = self.take::<4>()?;
        Ok(if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }

    fn f64(&mut self, little: bool) -> Result<f64> {
        let b = self.take::<8>()?;
        Ok(if little {
            f64::from_le_bytes(b)
        } else {
            f64::from_be_bytes(b)
        })
    }

    /// A byte order and a type, ISO (Z as 1000 more, M 2000, ZM 3000) or
    /// EWKB (flags, and an SRID that is skipped: the layers are WGS84).
    fn header(&mut self) -> Result<Header> {
        let little = match self.take::<1>()?[0] {
            0 => false,
            1 => true,
            other => return Err(invalid(format!("not WKB: byte order {other}"))),
        };
        let code = self.u32(little)?;
        if code & EWKB_SRID != 0 {
            self.u32(little)?;
        }
        let flags = usize::from(code & EWKB_Z != 0) + usize::from(code & EWKB_M != 0);
        let iso = code & 0x0FFF_FFFF;
        let extra = match iso / 1000 {
            0 => 0,
            1 | 2 => 1,
            3 => 2,
            _ => return Err(invalid(format!("not WKB: geometry type {iso}"))),
        };
        Ok(Header {
            little,
            kind: iso % 1000,
            dims: 2 + flags.max(extra),
        })
    }

    /// A nested geometry's header, which must be of `kind`.
    fn member(&mut self, kind: u32) -> Result<Header> {
        let head = self.header()?;
        if head.kind != kind {
            return Err(expected(
                &format!("a {} inside", type_name(kind)),
                head.kind,
            ));
        }
        Ok(head)
    }

    /// A count of items at least `min_bytes` long each, refused when the
    /// bytes left could not hold them.
    fn count(&mut self, head: Header, min_bytes: usize) -> Result<usize> {
        let n = self.u32(head.little)? as usize;
        if n.saturating_mul(min_bytes) > self.bytes.len() - self.at {
            return Err(invalid(format!(
                "the WKB value says {n} items follow, more than its {} bytes can hold",
                self.bytes.len()
            )));
        }
        Ok(n)
    }

    fn position(&mut self, head: Header) -> Result<LonLat> {
        let lon = self.f64(head.little)?;
        let lat = self.f64(head.little)?;
        for _ in 2..head.dims {
            self.f64(head.little)?;
        }
        LonLat::new(lon, lat)
    }

    fn coords(&mut self, head: Header) -> Result<Vec<Coord<f64>>> {
        let n = self.count(head, head.dims * 8)?;
        self.vertices += n;
        if self.vertices > MAX_VERTICES {
            return Err(invalid(format!(
                "more than the limit of {MAX_VERTICES} vertices"
            )));
        }
        (0..n)
            .map(|_| self.position(head).map(|p| Coord { x: p.lon, y: p.lat }))
            .collect()
    }

    fn line(&mut self, head: Header) -> Result<LineString<f64>> {
        let coords = self.coords(head)?;
        if coords.len() < 2 {
            return Err(invalid(format!(
                "a line needs at least 2 positions, got {}",
                coords.len()
            )));
        }
        Ok(LineString::new(coords))
    }

    fn multi_line(&mut self, head: Header) -> Result<MultiLineString<f64>> {
        let n = self.count(head, 9)?;
        if n == 0 {
            return Err(invalid("the MultiLineString is empty"));
        }
        let lines = (0..n)
            .map(|_| {
                let member = self.member(LINE_STRING)?;
                self.line(member)
            })
            .collect::<Result<_>>()?;
        Ok(MultiLineString::new(lines))
    }

    fn ring(&mut self, head: Header) -> Result<LineString<f64>> {
        let coords = self.coords(head)?;
        if coords.len() < 4 {
            return Err(invalid(format!(
                "a linear ring needs at least 4 positions, got {}",
                coords.len()
            )));
        }
        if coords.first() != coords.last() {
            return Err(invalid("a linear ring must end where it starts"));
        }
        Ok(LineString::new(coords))
    }

    fn polygon(&mut self, head: Header) -> Result<Polygon<f64>> {
        let n = self.count(head, 4)?;
        if n == 0 {
            return Err(invalid("a polygon has no rings"));
        }
        let exterior = self.ring(head)?;
        let interiors = (1..n).map(|_| self.ring(head)).collect::<Result<_>>()?;
        Ok(Polygon::new(exterior, interiors))
    }

    fn multi_polygon(&mut self, head: Header) -> Result<MultiPolygon<f64>> {
        let n = self.count(head, 9)?;
        if n == 0 {
            return Err(invalid("the MultiPolygon is empty"));
        }
        let polygons = (0..n)
            .map(|_| {
                let member = self.member(POLYGON)?;
                self.polygon(member)
            })
            .collect::<Result<_>>()?;
        Ok(MultiPolygon::new(polygons))
    }

    /// Nothing may follow the geometry.
    fn end(&self) -> Result<()> {
        if self.at == self.bytes.len() {
            Ok(())
        } else {
            Err(invalid(format!(
                "{} bytes follow the geometry in the WKB value",
                self.bytes.len() - self.at
            )))
        }
    }
}

/// WKB written the way PostGIS writes it by default (little-endian, 2D).
#[cfg(test)]
mod write {
    use geo::{Coord, LineString, MultiPolygon, Polygon};

    fn coords(out: &mut Vec<u8>, coords: &[Coord<f64>]) {
        out.extend(count(coords.len()));
        for c in coords {
            out.extend(c.x.to_le_bytes());
            out.extend(c.y.to_le_bytes());
        }
    }

    fn count(n: usize) -> [u8; 4] {
        u32::try_from(n).unwrap().to_le_bytes()
    }

    fn header(out: &mut Vec<u8>, kind: u32) {
        out.push(1);
        out.extend(kind.to_le_bytes());
    }

    /// A LineString.
    #[must_use]
    pub(super) fn line(l: &LineString<f64>) -> Vec<u8> {
        let mut out = Vec::new();
        header(&mut out, 2);
        coords(&mut out, &l.0);
        out
    }

    fn polygon_into(out: &mut Vec<u8>, p: &Polygon<f64>) {
        header(out, 3);
        out.extend(count(1 + p.interiors().len()));
        coords(out, &p.exterior().0);
        for ring in p.interiors() {
            coords(out, &ring.0);
        }
    }

    /// A MultiPolygon.
    #[must_use]
    pub(super) fn multi_polygon(mp: &MultiPolygon<f64>) -> Vec<u8> {
        let mut out = Vec::new();
        header(&mut out, 6);
        out.extend(count(mp.0.len()));
        for p in &mp.0 {
            polygon_into(&mut out, p);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Point;

    fn square(x: f64, y: f64, d: f64) -> LineString<f64> {
        LineString::from(vec![(x, y), (x + d, y), (x + d, y + d), (x, y + d), (x, y)])
    }

    fn city() -> MultiPolygon<f64> {
        MultiPolygon::new(vec![
            Polygon::new(square(120.6, 27.9, 0.1), vec![square(120.62, 27.92, 0.01)]),
            Polygon::new(square(120.8, 28.0, 0.05), vec![]),
        ])
    }

    fn err(r: Result<impl std::fmt::Debug>) -> String {
        match r {
            Err(EngineError::InvalidGeometry(why) | EngineError::InvalidCoordinate(why)) => why,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn reads_back_what_was_written_bit_for_bit() {
        let mp = MultiPolygon::new(vec![Polygon::new(
            LineString::from(vec![
                (120.123_456_789_012_34, 28.000_000_000_000_004),
                (120.2, 28.0),
                (120.2, 28.1),
                (120.123_456_789_012_34, 28.000_000_000_000_004),
            ]),
            vec![],
        )]);
        assert_eq!(parse_multi_polygon(&write::multi_polygon(&mp)).unwrap(), mp);
        let city = city();
        assert_eq!(
            parse_multi_polygon(&write::multi_polygon(&city)).unwrap(),
            city
        );
        assert_eq!(
            parse_footprint(&write::multi_polygon(&city)).unwrap(),
            Footprint::Area(city)
        );
    }

    /// The same polygon as PostGIS writes it: `SELECT encode(ST_AsBinary(
    /// 'POLYGON((120 28,121 28,121 29,120 28))'::geometry, 'XDR'), 'hex')`,
    /// big-endian, and `ST_AsEWKB` of it with an SRID and a Z.
    #[test]
    fn big_endian_ewkb_and_z_read_as_the_same_area() {
        let want = MultiPolygon::new(vec![Polygon::new(
            LineString::from(vec![
                (120.0, 28.0),
                (121.0, 28.0),
                (121.0, 29.0),
                (120.0, 28.0),
            ]),
            vec![],
        )]);
        let mut be = vec![0, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 4];
        for (x, y) in [(120.0, 28.0), (121.0, 28.0), (121.0, 29.0), (120.0, 28.0)] {
            be.extend(f64::to_be_bytes(x));
            be.extend(f64::to_be_bytes(y));
        }
        assert_eq!(parse_multi_polygon(&be).unwrap(), want);
        // EWKB: Z flag and SRID 4326, little-endian.
        let mut ewkb = vec![1];
        ewkb.extend((3 | EWKB_Z | EWKB_SRID).to_le_bytes());
        ewkb.extend(4326u32.to_le_bytes());
        ewkb.extend(1u32.to_le_bytes());
        ewkb.extend(4u32.to_le_bytes());
        for (x, y) in [(120.0, 28.0), (121.0, 28.0), (121.0, 29.0), (120.0, 28.0)] {
            for v in [x, y, 7.5] {
                ewkb.extend(f64::to_le_bytes(v));
            }
        }
        assert_eq!(parse_multi_polygon(&ewkb).unwrap(), want);
        // ISO Z (1003): the same.
        let mut iso = vec![1];
        iso.extend(1003u32.to_le_bytes());
        iso.extend(&ewkb[9..]);
        assert_eq!(parse_multi_polygon(&iso).unwrap(), want);
    }

    #[test]
    fn points_and_lines_are_footprints() {
        let mut point = vec![1];
        point.extend(1u32.to_le_bytes());
        point.extend(120.5f64.to_le_bytes());
        point.extend(28.25f64.to_le_bytes());
        assert_eq!(
            parse_footprint(&point).unwrap(),
            Footprint::Point(Point::new(120.5, 28.25))
        );
        let line = LineString::from(vec![(120.0, 28.0), (120.1, 28.05)]);
        assert_eq!(
            parse_footprint(&write::line(&line)).unwrap(),
            Footprint::Line(MultiLineString::new(vec![line.clone()]))
        );
        let mut multi = vec![1];
        multi.extend(5u32.to_le_bytes());
        multi.extend(2u32.to_le_bytes());
        multi.extend(write::line(&line));
        multi.extend(write::line(&line));
        assert_eq!(
            parse_footprint(&multi).unwrap(),
            Footprint::Line(MultiLineString::new(vec![line.clone(), line.clone()]))
        );
        assert!(err(parse_multi_polygon(&point)).contains("got a Point"));
    }

    #[test]
    fn every_cut_and_every_trailing_byte_is_refused() {
        let bytes = write::multi_polygon(&city());
        for cut in 0..bytes.len() {
            assert!(parse_multi_polygon(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(err(parse_multi_polygon(&longer)).contains("1 bytes follow"));
    }

    #[test]
    fn what_geojson_refuses_is_refused() {
        // An open ring (geo would close it: written by hand).
        let open = [(120.0, 28.0), (121.0, 28.0), (121.0, 29.0), (120.0, 29.0)];
        let mut bytes = vec![1, 3, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0];
        for (x, y) in open {
            bytes.extend(f64::to_le_bytes(x));
            bytes.extend(f64::to_le_bytes(y));
        }
        assert!(err(parse_multi_polygon(&bytes)).contains("end where it starts"));
        // A latitude out of range (the first vertex's, and so the last's).
        let far = MultiPolygon::new(vec![Polygon::new(square(120.0, 89.95, 0.1), vec![])]);
        bytes = write::multi_polygon(&far);
        assert!(parse_multi_polygon(&bytes).is_err());
        // A triangle with three positions.
        bytes = vec![1, 3, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0];
        for (x, y) in [(120.0, 28.0), (121.0, 28.0), (120.0, 28.0)] {
            bytes.extend(f64::to_le_bytes(x));
            bytes.extend(f64::to_le_bytes(y));
        }
        assert!(err(parse_multi_polygon(&bytes)).contains("at least 4 positions"));
        // No polygons; a NaN point; a byte order that is neither.
        assert!(err(parse_multi_polygon(&[1, 6, 0, 0, 0, 0, 0, 0, 0])).contains("empty"));
        let mut nan = vec![1, 1, 0, 0, 0];
        nan.extend(f64::NAN.to_le_bytes());
        nan.extend(f64::NAN.to_le_bytes());
        assert!(err(parse_footprint(&nan)).contains("finite"));
        assert!(err(parse_footprint(&[7, 1, 0, 0, 0])).contains("byte order 7"));
        // A GeometryCollection, and a polygon inside a MultiPolygon that
        // says it is a point.
        assert!(err(parse_footprint(&[1, 7, 0, 0, 0, 0, 0, 0, 0])).contains("GeometryCollection"));
        let mut wrong = write::multi_polygon(&city());
        wrong[10] = 1;
        assert!(err(parse_multi_polygon(&wrong)).contains("got a Point"));
    }

    #[test]
    fn counts_are_checked_before_anything_is_reserved() {
        // Four billion rings, in nine bytes.
        assert!(
            err(parse_multi_polygon(&[1, 3, 0, 0, 0, 255, 255, 255, 255]))
                .contains("more than its 9 bytes")
        );
        // More vertices than the limit, each there.
        let last = u32::try_from(MAX_VERTICES).unwrap();
        let ring: Vec<(f64, f64)> = (0..=last)
            .map(|i| {
                let x = if i == last { 0.0 } else { f64::from(i) * 1e-6 };
                (120.0 + x, 28.0)
            })
            .collect();
        let big = MultiPolygon::new(vec![Polygon::new(LineString::from(ring), vec![])]);
        assert!(err(parse_multi_polygon(&write::multi_polygon(&big))).contains("limit"));
    }
}
