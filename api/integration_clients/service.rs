//! Integration client use cases (administrators), one public function each.

use crate::{
    auth::Caller,
    db::DbConnection,
    error::{ApiError, ApiResult},
    http::pagination::{self, Page},
    integration_clients::{
        dto::{CreateClientRequest, CreatedIntegrationClient, IntegrationClient},
        store::{self, ClientRow},
    },
};

pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    limit: i64,
    after: Option<String>,
) -> ApiResult<Page<IntegrationClient>> {
    caller.require_admin()?;
    let rows = store::list(conn, limit, after)?;
    Ok(pagination::paginate(rows, limit, |row| row.id.clone(), ClientRow::into_api))
}

pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    request: &CreateClientRequest,
) -> ApiResult<CreatedIntegrationClient> {
    let admin_id = caller.require_admin()?;
    store::create(conn, &request.name, &request.scopes, admin_id)
}

pub fn get(conn: &mut DbConnection, caller: &Caller, id: &str) -> ApiResult<IntegrationClient> {
    caller.require_admin()?;
    Ok(store::find_active(conn, id)?.ok_or(ApiError::NotFound)?.into_api())
}

pub fn disable(conn: &mut DbConnection, caller: &Caller, id: &str) -> ApiResult<()> {
    caller.require_admin()?;
    store::disable(conn, id)
}

/// The active client with this id whose secret matches (for the token endpoint).
pub fn authenticate(conn: &mut DbConnection, id: &str, secret: &str) -> ApiResult<Option<ClientRow>> {
    Ok(store::find(conn, id)?.filter(|client| client.active && client.secret_matches(secret)))
}

/// The scopes of an active client (`None` when it is unknown or disabled), for the resources
/// that act for it later (webhook deliveries).
pub fn active_scopes(conn: &mut DbConnection, id: &str) -> ApiResult<Option<Vec<crate::auth::Scope>>> {
    Ok(store::find_active(conn, id)?.map(|client| crate::auth::Scope::parse_list(&client.scopes)))
}
