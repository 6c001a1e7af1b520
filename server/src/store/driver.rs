//! The little both backends' drivers must do for the SQL they share: bind
//! the handful of value types riskmap stores, run a statement, hand over its
//! rows, read a column.
//!
//! Why a trait of its own rather than sqlx's generics at every query: a
//! query generic over `sqlx::Database` needs a dozen `Encode`/`Decode`/
//! `Executor` bounds, and Rust does not carry a trait's where-clauses to
//! its users, so every generic function would repeat them. Here they are
//! written once, on the one blanket impl of [`Driver`] below; shared code
//! asks only `DB: Driver`. SQLite and PostgreSQL both take `$1, $2, …`
//! placeholders, so the shared SQL text is the same for both.

use futures_util::TryStreamExt;
use futures_util::future::BoxFuture;
use sqlx::database::HasStatementCache;
use sqlx::error::UnexpectedNullError;
use sqlx::{Arguments, ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Row, Type};

use super::Result;

/// A value bound to a statement. A NULL keeps its type: PostgreSQL types
/// every parameter.
#[derive(Debug, Clone, Copy)]
pub enum Param<'q> {
    /// `BIGINT`/`INTEGER`.
    Int(i64),
    /// A nullable one.
    OptInt(Option<i64>),
    /// `DOUBLE PRECISION`/`REAL` (SQLite).
    Real(f64),
    /// A nullable one.
    OptReal(Option<f64>),
    /// PostgreSQL `REAL` (fix accuracy, speed, …), nullable.
    OptReal32(Option<f32>),
    /// `BOOLEAN`.
    Flag(bool),
    /// A nullable one.
    OptFlag(Option<bool>),
    /// `TEXT`.
    Text(&'q str),
    /// A nullable one.
    OptText(Option<&'q str>),
    /// `BLOB`/`BYTEA`.
    Bytes(&'q [u8]),
}

impl From<i64> for Param<'_> {
    fn from(v: i64) -> Self {
        Param::Int(v)
    }
}
impl From<Option<i64>> for Param<'_> {
    fn from(v: Option<i64>) -> Self {
        Param::OptInt(v)
    }
}
impl From<f64> for Param<'_> {
    fn from(v: f64) -> Self {
        Param::Real(v)
    }
}
impl From<Option<f64>> for Param<'_> {
    fn from(v: Option<f64>) -> Self {
        Param::OptReal(v)
    }
}
impl From<Option<f32>> for Param<'_> {
    fn from(v: Option<f32>) -> Self {
        Param::OptReal32(v)
    }
}
impl From<bool> for Param<'_> {
    fn from(v: bool) -> Self {
        Param::Flag(v)
    }
}
impl From<Option<bool>> for Param<'_> {
    fn from(v: Option<bool>) -> Self {
        Param::OptFlag(v)
    }
}
impl<'q> From<&'q str> for Param<'q> {
    fn from(v: &'q str) -> Self {
        Param::Text(v)
    }
}
impl<'q> From<&'q String> for Param<'q> {
    fn from(v: &'q String) -> Self {
        Param::Text(v)
    }
}
impl<'q> From<Option<&'q str>> for Param<'q> {
    fn from(v: Option<&'q str>) -> Self {
        Param::OptText(v)
    }
}
impl<'q> From<&'q Option<String>> for Param<'q> {
    fn from(v: &'q Option<String>) -> Self {
        Param::OptText(v.as_deref())
    }
}
impl<'q> From<&'q [u8]> for Param<'q> {
    fn from(v: &'q [u8]) -> Self {
        Param::Bytes(v)
    }
}

/// A statement and its values.
#[derive(Debug, Clone)]
pub struct Stmt<'q> {
    sql: &'q str,
    params: Vec<Param<'q>>,
    /// Whether the driver keeps it prepared for next time (not worth it for
    /// statements whose text changes, like multi-row inserts).
    persistent: bool,
}

impl<'q> Stmt<'q> {
    /// A statement to be kept prepared.
    #[must_use]
    pub fn new(sql: &'q str) -> Self {
        Stmt {
            sql,
            params: Vec::new(),
            persistent: true,
        }
    }

    /// A statement with these values, kept prepared for next time.
    #[must_use]
    pub fn kept(sql: &'q str, params: Vec<Param<'q>>) -> Self {
        Stmt {
            sql,
            params,
            persistent: true,
        }
    }

    /// A statement with these values, run once.
    #[must_use]
    pub fn once(sql: &'q str, params: Vec<Param<'q>>) -> Self {
        Stmt {
            sql,
            params,
            persistent: false,
        }
    }

    /// Binds the next placeholders.
    #[must_use]
    pub fn bind_all(mut self, values: impl IntoIterator<Item = Param<'q>>) -> Self {
        self.params.extend(values);
        self
    }

    /// Binds the next placeholder.
    #[must_use]
    pub fn bind(mut self, value: impl Into<Param<'q>>) -> Self {
        self.params.push(value.into());
        self
    }
}

/// How many rows a statement changed (sqlx has no trait for it).
pub trait Affected {
    /// Rows inserted, updated or deleted.
    fn rows(&self) -> u64;
}

impl Affected for sqlx::sqlite::SqliteQueryResult {
    fn rows(&self) -> u64 {
        self.rows_affected()
    }
}

impl Affected for sqlx::postgres::PgQueryResult {
    fn rows(&self) -> u64 {
        self.rows_affected()
    }
}

/// A column, by name or (where a load reads many rows, and a lookup by
/// name per column would cost more than the decoding) by position.
#[derive(Debug, Clone, Copy)]
pub enum Col<'a> {
    /// By name.
    Name(&'a str),
    /// By position, from 0.
    At(usize),
}

impl<'a> From<&'a str> for Col<'a> {
    fn from(name: &'a str) -> Self {
        Col::Name(name)
    }
}

impl From<usize> for Col<'_> {
    fn from(at: usize) -> Self {
        Col::At(at)
    }
}

impl std::fmt::Display for Col<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Col::Name(n) => f.write_str(n),
            Col::At(i) => write!(f, "{i}"),
        }
    }
}

/// What the shared SQL needs of a driver (see the module comment).
pub trait Driver: Database {
    /// Runs a statement; returns the rows it changed.
    fn run<'c>(conn: &'c mut Self::Connection, stmt: Stmt<'c>) -> BoxFuture<'c, Result<u64>>;

    /// Runs a query, handing each row to `f` as it arrives (rows are not
    /// collected first: a city load reads hundreds of thousands).
    fn each<'c>(
        conn: &'c mut Self::Connection,
        stmt: Stmt<'c>,
        f: &'c mut (dyn FnMut(&Self::Row) -> Result<()> + Send),
    ) -> BoxFuture<'c, Result<()>>;

    /// A whole-number column (NULL as `None`).
    fn int(row: &Self::Row, col: Col<'_>) -> sqlx::Result<Option<i64>>;
    /// A double column.
    fn real(row: &Self::Row, col: Col<'_>) -> sqlx::Result<Option<f64>>;
    /// A single-precision column.
    fn real32(row: &Self::Row, col: Col<'_>) -> sqlx::Result<Option<f32>>;
    /// A boolean column.
    fn flag(row: &Self::Row, col: Col<'_>) -> sqlx::Result<Option<bool>>;
    /// A text column, borrowed from the row.
    fn str<'r>(row: &'r Self::Row, col: Col<'_>) -> sqlx::Result<Option<&'r str>>;
    /// A byte column.
    fn bytes(row: &Self::Row, col: Col<'_>) -> sqlx::Result<Option<Vec<u8>>>;
}

impl<DB> Driver for DB
where
    DB: Database + HasStatementCache,
    DB::QueryResult: Affected,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'r> &'r str: ColumnIndex<DB::Row>,
    usize: ColumnIndex<DB::Row>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> f64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> f32: Decode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> &'q str: Decode<'q, DB>,
    for<'q> Vec<u8>: Decode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> &'q [u8]: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB>,
    for<'q> Option<f64>: Encode<'q, DB>,
    for<'q> Option<f32>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<bool>: Encode<'q, DB>,
    for<'q> Option<&'q str>: Encode<'q, DB>,
{
    fn run<'c>(conn: &'c mut Self::Connection, stmt: Stmt<'c>) -> BoxFuture<'c, Result<u64>> {
        Box::pin(async move {
            let args = arguments::<DB>(&stmt.params)?;
            let done = sqlx::query_with(stmt.sql, args)
                .persistent(stmt.persistent)
                .execute(conn)
                .await?;
            Ok(done.rows())
        })
    }

    fn each<'c>(
        conn: &'c mut Self::Connection,
        stmt: Stmt<'c>,
        f: &'c mut (dyn FnMut(&Self::Row) -> Result<()> + Send),
    ) -> BoxFuture<'c, Result<()>> {
        Box::pin(async move {
            let args = arguments::<DB>(&stmt.params)?;
            let mut rows = sqlx::query_with(stmt.sql, args)
                .persistent(stmt.persistent)
                .fetch(conn);
            while let Some(row) = rows.try_next().await? {
                f(&row)?;
            }
            Ok(())
        })
    }

    fn int(row: &Self::Row, col: Col<'_>) -> sqlx::Result<Option<i64>> {
        get(row, col)
    }
    fn real(row: &Self::Row, col: Col<'_>) -> sqlx::Result<Option<f64>> {
        get(row, col)
    }
    fn real32(row: &Self::Row, col: Col<'_>) -> sqlx::Result<Option<f32>> {
        get(row, col)
    }
    fn flag(row: &Self::Row, col: Col<'_>) -> sqlx::Result<Option<bool>> {
        get(row, col)
    }
    fn str<'r>(row: &'r Self::Row, col: Col<'_>) -> sqlx::Result<Option<&'r str>> {
        get(row, col)
    }
    fn bytes(row: &Self::Row, col: Col<'_>) -> sqlx::Result<Option<Vec<u8>>> {
        get(row, col)
    }
}

/// Column `col` of `row`.
fn get<'r, R, T>(row: &'r R, col: Col<'_>) -> sqlx::Result<T>
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    usize: ColumnIndex<R>,
    T: Decode<'r, R::Database> + Type<R::Database>,
{
    match col {
        Col::Name(n) => row.try_get(n),
        Col::At(i) => row.try_get(i),
    }
}

/// The driver's arguments for `params`.
fn arguments<'q, DB>(params: &[Param<'q>]) -> sqlx::Result<DB::Arguments<'q>>
where
    DB: Database,
    i64: Encode<'q, DB> + Type<DB>,
    f64: Encode<'q, DB> + Type<DB>,
    bool: Encode<'q, DB> + Type<DB>,
    &'q str: Encode<'q, DB> + Type<DB>,
    &'q [u8]: Encode<'q, DB> + Type<DB>,
    Option<i64>: Encode<'q, DB>,
    Option<f64>: Encode<'q, DB>,
    Option<f32>: Encode<'q, DB> + Type<DB>,
    Option<bool>: Encode<'q, DB>,
    Option<&'q str>: Encode<'q, DB>,
{
    let mut args = DB::Arguments::<'q>::default();
    for p in params {
        match *p {
            Param::Int(v) => args.add(v),
            Param::OptInt(v) => args.add(v),
            Param::Real(v) => args.add(v),
            Param::OptReal(v) => args.add(v),
            Param::OptReal32(v) => args.add(v),
            Param::Flag(v) => args.add(v),
            Param::OptFlag(v) => args.add(v),
            Param::Text(v) => args.add(v),
            Param::OptText(v) => args.add(v),
            Param::Bytes(v) => args.add(v),
        }
        .map_err(sqlx::Error::Encode)?;
    }
    Ok(args)
}

/// A row whose columns can be read: a row of either sqlx driver (through
/// [`Cols`]), or of the plain SQLite connection the embedded store reads a
/// city with at start (`sqlite::bulk`), so that one decoder per model type
/// serves both.
pub trait Columns {
    /// A whole-number column (NULL as `None`).
    fn int(&self, col: Col<'_>) -> sqlx::Result<Option<i64>>;
    /// A double column.
    fn real(&self, col: Col<'_>) -> sqlx::Result<Option<f64>>;
    /// A single-precision column.
    fn real32(&self, col: Col<'_>) -> sqlx::Result<Option<f32>>;
    /// A boolean column.
    fn flag(&self, col: Col<'_>) -> sqlx::Result<Option<bool>>;
    /// A text column, borrowed from the row (a city load parses most of
    /// its text columns, and an owned copy of each would be thrown away).
    fn str(&self, col: Col<'_>) -> sqlx::Result<Option<&str>>;
    /// A text column.
    fn text(&self, col: Col<'_>) -> sqlx::Result<Option<String>> {
        Ok(self.str(col)?.map(str::to_owned))
    }
    /// A byte column.
    fn bytes(&self, col: Col<'_>) -> sqlx::Result<Option<Vec<u8>>>;
}

impl dyn Columns + '_ {
    /// Column `col`, as the type asked for.
    pub fn get<'a, T: Value>(&self, col: impl Into<Col<'a>>) -> Result<T> {
        Ok(T::read(self, col.into())?)
    }

    /// Text column `col`, borrowed from the row; NULL refused.
    pub fn get_str<'a>(&self, col: impl Into<Col<'a>>) -> Result<&str> {
        let col = col.into();
        Ok(not_null(col, self.str(col)?)?)
    }
}

/// A column's value, read from any [`Columns`].
pub trait Value: Sized {
    /// Reads column `col` of `row`.
    fn read(row: &dyn Columns, col: Col<'_>) -> sqlx::Result<Self>;
}

/// A NULL where the model has no room for one.
fn not_null<T>(col: Col<'_>, v: Option<T>) -> sqlx::Result<T> {
    v.ok_or_else(|| sqlx::Error::ColumnDecode {
        index: col.to_string(),
        source: Box::new(UnexpectedNullError),
    })
}

/// `Value` for a type and its `Option`, read by one [`Columns`] method.
macro_rules! value {
    ($t:ty, $read:ident) => {
        impl Value for $t {
            fn read(row: &dyn Columns, col: Col<'_>) -> sqlx::Result<Self> {
                not_null(col, row.$read(col)?)
            }
        }
        impl Value for Option<$t> {
            fn read(row: &dyn Columns, col: Col<'_>) -> sqlx::Result<Self> {
                row.$read(col)
            }
        }
    };
}

value!(i64, int);
value!(f64, real);
value!(bool, flag);
value!(String, text);
value!(Vec<u8>, bytes);

impl Value for Option<f32> {
    fn read(row: &dyn Columns, col: Col<'_>) -> sqlx::Result<Self> {
        row.real32(col)
    }
}

/// A row, read by column name or position: `Cols::<DB>(row).get("id")?`.
pub struct Cols<'r, DB: Driver>(pub &'r DB::Row);

impl<DB: Driver> Cols<'_, DB> {
    /// Column `col`, as the type asked for.
    pub fn get<'a, T: Value>(&self, col: impl Into<Col<'a>>) -> Result<T> {
        Ok(T::read(self, col.into())?)
    }
}

impl<DB: Driver> Columns for Cols<'_, DB> {
    fn int(&self, col: Col<'_>) -> sqlx::Result<Option<i64>> {
        DB::int(self.0, col)
    }
    fn real(&self, col: Col<'_>) -> sqlx::Result<Option<f64>> {
        DB::real(self.0, col)
    }
    fn real32(&self, col: Col<'_>) -> sqlx::Result<Option<f32>> {
        DB::real32(self.0, col)
    }
    fn flag(&self, col: Col<'_>) -> sqlx::Result<Option<bool>> {
        DB::flag(self.0, col)
    }
    fn str(&self, col: Col<'_>) -> sqlx::Result<Option<&str>> {
        DB::str(self.0, col)
    }
    fn bytes(&self, col: Col<'_>) -> sqlx::Result<Option<Vec<u8>>> {
        DB::bytes(self.0, col)
    }
}

/// Every row of a query, each made into a `T` by `from`.
pub async fn rows<DB: Driver, T: Send>(
    conn: &mut DB::Connection,
    stmt: Stmt<'_>,
    from: impl Fn(&Cols<'_, DB>) -> Result<T> + Send + Sync,
) -> Result<Vec<T>> {
    let mut out = Vec::new();
    DB::each(conn, stmt, &mut |r| {
        out.push(from(&Cols(r))?);
        Ok(())
    })
    .await?;
    Ok(out)
}

/// The first row of a query, if any, made into a `T` by `from`.
pub async fn first<DB: Driver, T: Send>(
    conn: &mut DB::Connection,
    stmt: Stmt<'_>,
    from: impl Fn(&Cols<'_, DB>) -> Result<T> + Send + Sync,
) -> Result<Option<T>> {
    Ok(rows(conn, stmt, from).await?.into_iter().next())
}
