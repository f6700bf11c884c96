//! Batches: each row runs in its own savepoint, so a row that fails leaves nothing behind and
//! does not stop the others; each gets the status it would have had alone.

use actix_web::ResponseError;

use crate::{
    db::{self, DbConnection},
    error::{ApiResult, Problem},
};

/// What happened to one row.
pub struct RowOutcome<T> {
    /// The row's position, from 0.
    pub index: usize,
    pub status: u16,
    pub value: Option<T>,
    pub problem: Option<Problem>,
}

/// Runs `work` for each row in its own savepoint; `success` is the status of a row that landed.
pub fn each_row<R, T>(
    conn: &mut DbConnection,
    rows: &[R],
    success: u16,
    mut work: impl FnMut(&mut DbConnection, &R) -> ApiResult<T>,
) -> Vec<RowOutcome<T>> {
    rows.iter()
        .enumerate()
        .map(|(index, row)| match db::savepoint(conn, |conn| work(conn, row)) {
            Ok(value) => RowOutcome { index, status: success, value: Some(value), problem: None },
            Err(error) => RowOutcome {
                index,
                status: error.status_code().as_u16(),
                value: None,
                problem: Some(error.problem()),
            },
        })
        .collect()
}
