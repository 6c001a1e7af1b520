//! PostgreSQL's binary `COPY` format, read: the PostGIS city load takes the
//! staff, its largest layer, as `COPY (SELECT …) TO STDOUT (FORMAT binary)`.
//!
//! Why: sqlx makes each row of a query a `PgRow` and checks each column's
//! type as it is read; for the 735,000 staff rows of a large city that was
//! most of a cold start (2.8 s), while PostgreSQL itself produces them in
//! under half a second and `psql` copies them out in binary in 1.2 s. The
//! statement and the row decoder are the shared ones ([`LayerRead`]); the
//! columns are read by position, each by its length (an `int8` is 8 bytes,
//! a `real` 4, text is UTF-8).
//!
//! Layout (PostgreSQL's "Binary Format" of `COPY`): a header (an 11-byte
//! signature, 32 bits of flags, an extension of a given length), then each
//! row as a 16-bit field count and each field as a 32-bit length (−1 for
//! NULL) and its bytes, all big-endian; a field count of −1 ends the data.

use futures_util::TryStreamExt;
use sqlx::postgres::PgConnection;

use super::driver::{Col, Columns};
use super::layers::LayerRead;
use super::{Result, StoreError};

/// The signature every binary `COPY` stream starts with.
const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

/// Columns a row may have here (the staff have 16).
const MAX_FIELDS: usize = 32;

/// Every row of `read`, copied out in binary, each made into the model and
/// handed to `out` in batches of `size` (the last one shorter).
pub async fn copy_batches<T>(
    conn: &mut PgConnection,
    read: &LayerRead<T>,
    size: usize,
    mut out: impl FnMut(Vec<T>),
) -> Result<()> {
    let sql = format!("COPY ({}) TO STDOUT (FORMAT binary)", read.sql);
    let mut stream = conn.copy_out_raw(&sql).await?;
    let mut parser = Parser::default();
    let mut batch = Vec::with_capacity(size);
    let mut failed = None;
    while let Some(chunk) = stream.try_next().await? {
        // After a bad row the rest is read and dropped: a connection left
        // in the middle of a COPY is of no use to the next query.
        if failed.is_some() {
            continue;
        }
        let fed = parser.feed(&chunk, &mut |row| {
            batch.push((read.from)(row)?);
            if batch.len() == size {
                out(std::mem::replace(&mut batch, Vec::with_capacity(size)));
            }
            Ok(())
        });
        failed = fed.err();
    }
    if let Some(e) = failed {
        return Err(e);
    }
    if !parser.ended {
        return Err(broken("the data stopped before its end"));
    }
    if !batch.is_empty() {
        out(batch);
    }
    Ok(())
}

fn broken(why: &str) -> StoreError {
    StoreError::Corrupt(format!("binary COPY: {why}"))
}

/// The stream read so far: whether the header and the end were seen, and
/// the bytes of a row cut between two messages.
#[derive(Default)]
struct Parser {
    header_done: bool,
    ended: bool,
    rest: Vec<u8>,
}

impl Parser {
    /// Reads the whole rows in `chunk` (with what was left of the last),
    /// handing each to `row`; keeps a row cut short for the next chunk.
    fn feed(
        &mut self,
        chunk: &[u8],
        row: &mut dyn FnMut(&dyn Columns) -> Result<()>,
    ) -> Result<()> {
        let joined;
        let bytes: &[u8] = if self.rest.is_empty() {
            chunk
        } else {
            let mut b = std::mem::take(&mut self.rest);
            b.extend_from_slice(chunk);
            joined = b;
            &joined
        };
        let mut at = 0;
        if !self.header_done {
            let Some(len) = header_len(bytes)? else {
                self.rest = bytes.to_vec();
                return Ok(());
            };
            at = len;
            self.header_done = true;
        }
        while at < bytes.len() {
            if self.ended {
                return Err(broken("bytes after the end"));
            }
            let mut fields = [None; MAX_FIELDS];
            match tuple(&bytes[at..], &mut fields)? {
                Tuple::Row { used, count } => {
                    row(&Fields(&fields[..count]))?;
                    at += used;
                }
                Tuple::End => {
                    self.ended = true;
                    at += 2;
                }
                Tuple::Short => break,
            }
        }
        self.rest = bytes[at..].to_vec();
        Ok(())
    }
}

/// The header's length, or `None` if `bytes` do not hold all of it yet.
fn header_len(bytes: &[u8]) -> Result<Option<usize>> {
    let fixed = SIGNATURE.len() + 8;
    if bytes.len() < fixed {
        return Ok(None);
    }
    if &bytes[..SIGNATURE.len()] != SIGNATURE {
        return Err(broken("no signature"));
    }
    let extension = be32(&bytes[SIGNATURE.len() + 4..]);
    let len =
        usize::try_from(extension).map_err(|_| broken("a negative header extension"))? + fixed;
    Ok((bytes.len() >= len).then_some(len))
}

/// What the bytes at a row's start hold.
enum Tuple {
    /// A whole row of `count` fields in `used` bytes.
    Row { used: usize, count: usize },
    /// The end of the data.
    End,
    /// Part of a row: more bytes are needed.
    Short,
}

fn tuple<'a>(bytes: &'a [u8], fields: &mut [Option<&'a [u8]>; MAX_FIELDS]) -> Result<Tuple> {
    if bytes.len() < 2 {
        return Ok(Tuple::Short);
    }
    let count = i16::from_be_bytes([bytes[0], bytes[1]]);
    if count == -1 {
        return Ok(Tuple::End);
    }
    let count = usize::try_from(count)
        .ok()
        .filter(|&c| c <= MAX_FIELDS)
        .ok_or_else(|| broken(&format!("a row of {count} fields")))?;
    let mut at = 2;
    for field in fields.iter_mut().take(count) {
        if bytes.len() < at + 4 {
            return Ok(Tuple::Short);
        }
        let len = be32(&bytes[at..]);
        at += 4;
        if len == -1 {
            *field = None;
            continue;
        }
        let len = usize::try_from(len).map_err(|_| broken(&format!("a field of {len} bytes")))?;
        if bytes.len() < at + len {
            return Ok(Tuple::Short);
        }
        *field = Some(&bytes[at..at + len]);
        at += len;
    }
    Ok(Tuple::Row { used: at, count })
}

fn be32(b: &[u8]) -> i32 {
    i32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// One row's fields, read by position and length.
struct Fields<'a>(&'a [Option<&'a [u8]>]);

impl Fields<'_> {
    /// The bytes of column `col` (`None` for NULL); columns are read by
    /// position only.
    fn raw(&self, col: Col<'_>) -> sqlx::Result<Option<&[u8]>> {
        match col {
            Col::At(i) => self
                .0
                .get(i)
                .copied()
                .ok_or_else(|| decode(col, "no such column")),
            Col::Name(_) => Err(decode(col, "binary COPY rows are read by position")),
        }
    }
}

fn decode(col: Col<'_>, why: &str) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: col.to_string(),
        source: why.into(),
    }
}

/// `N` bytes of a field, or an error naming its length.
fn exact<const N: usize>(col: Col<'_>, b: &[u8]) -> sqlx::Result<[u8; N]> {
    b.try_into()
        .map_err(|_| decode(col, &format!("{} bytes where {N} were expected", b.len())))
}

impl Columns for Fields<'_> {
    fn int(&self, col: Col<'_>) -> sqlx::Result<Option<i64>> {
        self.raw(col)?
            .map(|b| match b.len() {
                2 => exact::<2>(col, b).map(|a| i64::from(i16::from_be_bytes(a))),
                4 => exact::<4>(col, b).map(|a| i64::from(i32::from_be_bytes(a))),
                _ => exact::<8>(col, b).map(i64::from_be_bytes),
            })
            .transpose()
    }
    fn real(&self, col: Col<'_>) -> sqlx::Result<Option<f64>> {
        self.raw(col)?
            .map(|b| match b.len() {
                4 => exact::<4>(col, b).map(|a| f64::from(f32::from_be_bytes(a))),
                _ => exact::<8>(col, b).map(f64::from_be_bytes),
            })
            .transpose()
    }
    fn real32(&self, col: Col<'_>) -> sqlx::Result<Option<f32>> {
        self.raw(col)?
            .map(|b| exact::<4>(col, b).map(f32::from_be_bytes))
            .transpose()
    }
    fn flag(&self, col: Col<'_>) -> sqlx::Result<Option<bool>> {
        self.raw(col)?
            .map(|b| exact::<1>(col, b).map(|[v]| v != 0))
            .transpose()
    }
    fn str(&self, col: Col<'_>) -> sqlx::Result<Option<&str>> {
        self.raw(col)?
            .map(|b| std::str::from_utf8(b).map_err(|e| decode(col, &e.to_string())))
            .transpose()
    }
    fn bytes(&self, col: Col<'_>) -> sqlx::Result<Option<Vec<u8>>> {
        Ok(self.raw(col)?.map(<[u8]>::to_vec))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// A stream as PostgreSQL writes it: the header (with a 3-byte
    /// extension), a row of (text, int8, float8, real, NULL, bool), a row
    /// of one int4, and the end.
    fn stream() -> Vec<u8> {
        let mut b = SIGNATURE.to_vec();
        b.extend_from_slice(&0i32.to_be_bytes());
        b.extend_from_slice(&3i32.to_be_bytes());
        b.extend_from_slice(b"ext");
        let field = |b: &mut Vec<u8>, bytes: &[u8]| {
            b.extend_from_slice(&i32::try_from(bytes.len()).unwrap().to_be_bytes());
            b.extend_from_slice(bytes);
        };
        b.extend_from_slice(&6i16.to_be_bytes());
        field(&mut b, "员工S1".as_bytes());
        field(&mut b, &1_767_225_600_123i64.to_be_bytes());
        field(&mut b, &120.654_321_098_765_43f64.to_be_bytes());
        field(&mut b, &4.5f32.to_be_bytes());
        b.extend_from_slice(&(-1i32).to_be_bytes());
        field(&mut b, &[1]);
        b.extend_from_slice(&1i16.to_be_bytes());
        field(&mut b, &(-7i32).to_be_bytes());
        b.extend_from_slice(&(-1i16).to_be_bytes());
        b
    }

    type Row = (
        Option<String>,
        Option<i64>,
        Option<f64>,
        Option<f32>,
        Option<String>,
        Option<bool>,
    );

    fn read(row: &dyn Columns) -> Result<Row> {
        // The second row has a single column.
        if row.int(Col::At(1)).is_err() {
            return Ok((None, row.get(0)?, None, None, None, None));
        }
        Ok((
            row.get(0)?,
            row.get(1)?,
            row.get(2)?,
            row.get(3)?,
            row.get(4)?,
            row.get(5)?,
        ))
    }

    /// However the stream is cut into messages, the same two rows come out,
    /// and the end is seen.
    #[test]
    fn rows_come_out_whole_however_the_stream_is_cut() {
        let bytes = stream();
        let want: Vec<Row> = vec![
            (
                Some("员工S1".into()),
                Some(1_767_225_600_123),
                Some(120.654_321_098_765_43),
                Some(4.5),
                None,
                Some(true),
            ),
            (None, Some(-7), None, None, None, None),
        ];
        for cut in 0..=bytes.len() {
            for step in [1, 3, 7, bytes.len()] {
                let mut parser = Parser::default();
                let mut got = Vec::new();
                let mut feed = |chunk: &[u8]| {
                    parser
                        .feed(chunk, &mut |r| {
                            got.push(read(r)?);
                            Ok(())
                        })
                        .unwrap();
                };
                feed(&bytes[..cut]);
                for piece in bytes[cut..].chunks(step) {
                    feed(piece);
                }
                assert!(parser.ended, "cut {cut} step {step}");
                assert_eq!(got, want, "cut {cut} step {step}");
            }
        }
    }

    /// A wrong signature, a field longer than the row, bytes after the end
    /// and a value of the wrong length are errors, not panics or guesses.
    #[test]
    fn damaged_streams_are_refused() {
        let mut parser = Parser::default();
        let mut none = |_: &dyn Columns| Ok(());
        assert!(
            parser
                .feed(b"PGCOPY\n\xff\r\n\x01\0\0\0\0\0\0\0\0", &mut none)
                .is_err()
        );

        let mut bytes = stream();
        bytes.push(0);
        bytes.push(1);
        assert!(
            Parser::default().feed(&bytes, &mut none).is_err(),
            "after the end"
        );

        let mut parser = Parser::default();
        let mut wrong = |r: &dyn Columns| r.real32(Col::At(1)).map(drop).map_err(StoreError::from);
        assert!(
            parser.feed(&stream(), &mut wrong).is_err(),
            "8 bytes read as a real"
        );

        let fields = [Some(&b"x"[..])];
        assert!(Fields(&fields).text(Col::Name("id")).is_err(), "by name");
        assert!(
            Fields(&fields).text(Col::At(1)).is_err(),
            "past the last column"
        );
    }
}
