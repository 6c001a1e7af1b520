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

/// Runs `head VALUES (…), (…) tail` over `items` in chunks below the bind
/// limit; `bind` pushes one item's values, one per cell.
pub async fn insert_rows<'a, B: Backend, T: Sync>(
    conn: &mut Conn<B>,
    (head, tail): (&str, &str),
    cells: &[Cell],
    items: &'a [T],
    bind: impl Fn(&'a T, &mut Vec<Param<'a>>),
) -> Result<()> {
    for chunk in items.chunks((B::MAX_BINDS / cells.len()).max(1)) {
        let sql = format!(
            "{head} VALUES {}{tail}",
            values_sql::<B>(cells, chunk.len())
        );
        let mut params = Vec::with_capacity(chunk.len() * cells.len());
        for item in chunk {
            bind(item, &mut params);
        }
        // Each chunk size is a new statement text: not worth preparing.
        B::Db::run(conn, Stmt::once(&sql, params)).await?;
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
