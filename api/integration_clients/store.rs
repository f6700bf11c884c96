//! Queries of integration clients.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::{
    auth::{secrets, Scope},
    db::{now, schema::integration_clients, to_utc, DbConnection},
    error::{ApiError, ApiResult},
    integration_clients::{CreatedIntegrationClient, IntegrationClient},
};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = integration_clients)]
pub struct ClientRow {
    pub id: String,
    pub name: String,
    pub secret_hash: String,
    /// Space-separated scope names.
    pub scopes: String,
    pub active: bool,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl ClientRow {
    pub fn into_api(self) -> IntegrationClient {
        IntegrationClient {
            scopes: Scope::parse_list(&self.scopes),
            id: self.id,
            name: self.name,
            active: self.active,
            created_at: to_utc(self.created_at),
            updated_at: to_utc(self.updated_at),
        }
    }

    /// Checks a presented secret against the stored hash in constant time.
    pub fn secret_matches(&self, secret: &str) -> bool {
        secrets::constant_time_eq(secrets::sha256_hex(secret).as_bytes(), self.secret_hash.as_bytes())
    }
}

pub fn create(
    conn: &mut DbConnection,
    name: &str,
    scopes: &[Scope],
    created_by: &str,
) -> ApiResult<CreatedIntegrationClient> {
    let secret = secrets::random_token(32);
    let mut scopes = scopes.to_vec();
    scopes.sort();
    scopes.dedup();
    let now = now();
    let row = ClientRow {
        id: uuid::Uuid::now_v7().to_string(),
        name: name.trim().to_string(),
        secret_hash: secrets::sha256_hex(&secret),
        scopes: Scope::join(&scopes),
        active: true,
        created_by: Some(created_by.to_string()),
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(integration_clients::table).values(&row).execute(conn)?;
    Ok(CreatedIntegrationClient { client: row.into_api(), client_secret: secret })
}

pub fn find(conn: &mut DbConnection, id: &str) -> ApiResult<Option<ClientRow>> {
    Ok(integration_clients::table.find(id).select(ClientRow::as_select()).first(conn).optional()?)
}

/// A client that has not been deleted.
pub fn find_active(conn: &mut DbConnection, id: &str) -> ApiResult<Option<ClientRow>> {
    Ok(find(conn, id)?.filter(|client| client.active))
}

pub fn list(conn: &mut DbConnection, limit: i64, after: Option<String>) -> ApiResult<Vec<ClientRow>> {
    let mut query = integration_clients::table
        .filter(integration_clients::active.eq(true))
        .select(ClientRow::as_select())
        .order(integration_clients::id)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(integration_clients::id.gt(after));
    }
    Ok(crate::db::page_limit::at_least(query, limit + 1).load(conn)?)
}

/// Deactivates a client; 404 when it is unknown or already deleted.
/// Deactivates a client; 404 when it is unknown or already deleted.
pub fn disable(conn: &mut DbConnection, id: &str) -> ApiResult<()> {
    let updated =
        diesel::update(integration_clients::table.find(id).filter(integration_clients::active.eq(true)))
            .set((integration_clients::active.eq(false), integration_clients::updated_at.eq(now())))
            .execute(conn)?;
    if updated == 0 {
        return Err(ApiError::NotFound);
    }
    Ok(())
}
