//! What both stores keep of the organisation: departments (部门), one row
//! each, their staff list as JSON text. Written once, over any [`Backend`].

use async_trait::async_trait;

use super::Result;
use super::backend::{Backend, Cell};
use super::codec::corrupt;
use super::driver::{Cols, Driver, Param, Stmt, rows};
use super::outbox::{Outgoing, keep_opt};
use super::rows::insert_rows;
use crate::org::Department;

/// Department persistence.
#[async_trait]
pub trait DepartmentStore: Send + Sync {
    /// Adds or replaces departments (by code), keeping `outbox` (a cluster
    /// node's record of the change) in the same transaction; its outbox id.
    async fn put_departments(
        &self,
        departments: &[Department],
        outbox: Option<Outgoing<'_>>,
    ) -> Result<Option<i64>>;

    /// Every department, by code.
    async fn departments(&self) -> Result<Vec<Department>>;
}

const CELLS: [Cell; 7] = [Cell::Plain; 7];

#[async_trait]
impl<B: Backend> DepartmentStore for B {
    async fn put_departments(
        &self,
        departments: &[Department],
        outbox: Option<Outgoing<'_>>,
    ) -> Result<Option<i64>> {
        let now = crate::clock::now_ms();
        let json = |d: &Department| -> serde_json::Result<(String, Option<String>)> {
            Ok((
                serde_json::to_string(&d.staff)?,
                d.limits.as_ref().map(serde_json::to_string).transpose()?,
            ))
        };
        let texts: Vec<(String, Option<String>)> = departments
            .iter()
            .map(json)
            .collect::<serde_json::Result<_>>()
            .map_err(|e| super::StoreError::Corrupt(e.to_string()))?;
        let rows: Vec<(&Department, &(String, Option<String>))> =
            departments.iter().zip(&texts).collect();
        let mut tx = self.begin_write().await?;
        insert_rows::<B, (&Department, &(String, Option<String>))>(
            &mut tx,
            (
                "INSERT INTO departments (code, name, kind, area, staff, limits, updated_ms)",
                " ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind, \
                 area = excluded.area, staff = excluded.staff, limits = excluded.limits, \
                 updated_ms = excluded.updated_ms",
            ),
            &CELLS,
            &rows,
            |(d, (staff, limits)), out| {
                out.extend([
                    Param::Text(&d.code),
                    Param::Text(&d.name),
                    Param::Text(&d.kind),
                    Param::Text(&d.area),
                    Param::Text(staff),
                    limits.into(),
                    Param::Int(now),
                ]);
            },
        )
        .await?;
        let kept = keep_opt::<B>(&mut tx, outbox, now).await?;
        tx.commit().await?;
        Ok(kept)
    }

    async fn departments(&self) -> Result<Vec<Department>> {
        let mut c = self.reader().acquire().await?;
        let q = Stmt::new(
            "SELECT code, name, kind, area, staff, limits FROM departments ORDER BY code",
        );
        rows::<B::Db, _>(&mut c, q, read).await
    }
}

fn read<DB: Driver>(r: &Cols<'_, DB>) -> Result<Department> {
    let code: String = r.get("code")?;
    let staff: String = r.get("staff")?;
    let staff = serde_json::from_str(&staff)
        .map_err(|e| corrupt("departments", &code, &format!("staff: {e}")))?;
    let limits: Option<String> = r.get("limits")?;
    let limits = limits
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| corrupt("departments", &code, &format!("limits: {e}")))?;
    Ok(Department {
        name: r.get("name")?,
        kind: r.get("kind")?,
        area: r.get("area")?,
        staff,
        limits,
        code,
    })
}
