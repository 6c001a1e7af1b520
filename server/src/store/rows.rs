//! Multi-row statements, written once for both backends: `VALUES` lists
//! numbered `$1, $2, …`, chunked below the backend's bind limit, and the
//! track points written that way.

use std::fmt::Write as _;

use super::backend::{Backend, Cell, Conn};
use super::codec::MOVE_LAST_FIXES;
use super::driver::{Driver, Param, Stmt};
use super::{Result, TrackPoint};

/// `(…), (…)`: `rows` rows of `cells.len()` placeholders, in bind order
/// (numbered from `$1` if [`Backend::NUMBERED`]), each wrapped as the
/// backend stores its kind.
#[must_use]
pub fn values_sql<B: Backend>(cells: &[Cell], rows: usize) -> String {
    let mut sql = String::with_capacity(rows * cells.len() * 6);
    let mut n = 0;
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for (i, cell) in cells.iter().enumerate() {
            n += 1;
            let (before, after) = match cell {
                Cell::Plain => ("", ""),
                Cell::Json => B::JSON_VALUE,
                Cell::Geometry => B::GEOMETRY_VALUE,
            };
            let sep = if i == 0 { "" } else { ", " };
            if B::NUMBERED {
                let _ = write!(sql, "{sep}{before}${n}{after}");
            } else {
                let _ = write!(sql, "{sep}{before}?{after}");
            }
        }
        sql.push(')');
    }
    sql
}

/// Rows a multi-row statement of [`insert_rows`] takes: the largest that
/// fits what is left (and the bind limit), so that a batch of any size runs
/// as a few statements of these sizes, each kept prepared. Compiling a
/// statement is most of its cost: SQLite took 5.2 ms to compile and run a
/// new 2,000-row insert and 1.1 ms to run a prepared one, and every fix
/// batch, of whatever size came, used to be a new statement text.
const ROWS_PER_STATEMENT: [usize; 6] = [1024, 256, 64, 16, 4, 1];

/// How many of `left` rows the next statement takes, at most `max`.
fn next_rows(left: usize, max: usize) -> usize {
    ROWS_PER_STATEMENT
        .into_iter()
        .find(|&n| n <= left && n <= max)
        .unwrap_or(1)
}

/// Runs `head VALUES (…), (…) tail` over `items` in statements of
/// [`ROWS_PER_STATEMENT`] rows below the bind limit; `bind` pushes one
/// item's values, one per cell.
pub async fn insert_rows<'a, B: Backend, T: Sync>(
    conn: &mut Conn<B>,
    (head, tail): (&str, &str),
    cells: &[Cell],
    items: &'a [T],
    bind: impl Fn(&'a T, &mut Vec<Param<'a>>),
) -> Result<()> {
    let max = (B::MAX_BINDS / cells.len()).max(1);
    let mut rest = items;
    while !rest.is_empty() {
        let (chunk, after) = rest.split_at(next_rows(rest.len(), max));
        rest = after;
        let sql = format!(
            "{head} VALUES {}{tail}",
            values_sql::<B>(cells, chunk.len())
        );
        let mut params = Vec::with_capacity(chunk.len() * cells.len());
        for item in chunk {
            bind(item, &mut params);
        }
        B::Db::run(conn, Stmt::kept(&sql, params)).await?;
    }
    Ok(())
}

/// The cells of [`super::codec::POINT_COLUMNS`].
pub const POINT_CELLS: [Cell; 10] = [Cell::Plain; 10];

/// A track point's values, in [`super::codec::POINT_COLUMNS`] order.
pub fn point_params<'a>(p: &TrackPoint<'a>, out: &mut Vec<Param<'a>>) {
    let f = &p.fix;
    out.extend([
        Param::Text(p.staff_id),
        Param::Int(f.fix_time_ms),
        Param::Int(f.server_time_ms),
        Param::Real(f.position.lon),
        Param::Real(f.position.lat),
        Param::OptReal32(f.accuracy_m),
        Param::OptReal32(f.speed_mps),
        Param::OptReal32(f.heading_deg),
        Param::OptReal32(f.altitude_m),
        Param::OptReal32(f.battery_pct),
    ]);
}

/// Appends track points to `table` (the columns of
/// [`super::codec::POINT_COLUMNS`]).
pub async fn insert_points<B: Backend>(
    conn: &mut Conn<B>,
    table: &str,
    points: &[TrackPoint<'_>],
) -> Result<()> {
    let head = format!("INSERT INTO {table} ({})", super::codec::POINT_COLUMNS);
    insert_rows::<B, _>(conn, (&head, ""), &POINT_CELLS, points, point_params).await
}

/// Moves each member's stored last fix to `newest` (one per member) where
/// that is newer: the stored last fix never goes back.
pub async fn move_last_fixes<B: Backend>(
    conn: &mut Conn<B>,
    newest: &[TrackPoint<'_>],
) -> Result<()> {
    insert_rows::<B, _>(conn, MOVE_LAST_FIXES, &POINT_CELLS, newest, point_params).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The statements a batch of `n` rows runs as, at most `max` rows each.
    fn split(mut n: usize, max: usize) -> Vec<usize> {
        let mut sizes = Vec::new();
        while n > 0 {
            let k = next_rows(n, max);
            sizes.push(k);
            n -= k;
        }
        sizes
    }

    #[test]
    fn a_batch_of_any_size_runs_as_a_few_statements_of_fixed_sizes() {
        assert_eq!(
            split(1_900, 3_276),
            [1024, 256, 256, 256, 64, 16, 16, 4, 4, 4]
        );
        assert_eq!(split(5, 3_276), [4, 1]);
        assert_eq!(split(1, 3_276), [1]);
        assert_eq!(split(2_048, 3_276), [1024, 1024]);
        // Below the bind limit, whatever it is.
        assert_eq!(split(700, 300), [256, 256, 64, 64, 16, 16, 16, 4, 4, 4]);
        assert_eq!(split(3, 2), [1, 1, 1]);
        for n in 1..3_000 {
            let sizes = split(n, 1_000);
            assert_eq!(sizes.iter().sum::<usize>(), n);
            assert!(
                sizes
                    .iter()
                    .all(|k| ROWS_PER_STATEMENT.contains(k) && *k <= 1_000)
            );
            // The largest size that fits, then at most three of each smaller.
            assert!(sizes.len() <= n / 256 + 3 * 4, "{n}: {sizes:?}");
        }
    }
}
