//! Provider profile use cases.

use crate::{
    auth::Caller,
    config::ProviderSettings,
    db::{now, DbConnection},
    error::{ApiError, ApiResult},
    http::etag::Precondition,
    provider::{
        dto::{Provider, ProviderInput},
        store::{self, ProfileRow},
    },
};

/// The initial profile, from the settings, before an administrator saves one.
fn from_settings(settings: &ProviderSettings) -> ProviderInput {
    ProviderInput {
        legal_name: settings.name.clone(),
        address: settings.address.clone(),
        accreditations: Vec::new(),
        designation_wording: Vec::new(),
        joint_providership_statement: None,
        signatory_name: None,
        signatory_title: None,
        logo_url: None,
        email: None,
        cebroker_provider_number: None,
    }
}

fn to_api(row: Option<&ProfileRow>, settings: &ProviderSettings) -> ApiResult<Provider> {
    Ok(match row {
        Some(row) => Provider {
            details: serde_json::from_str(&row.details).map_err(ApiError::internal)?,
            configured: true,
            version: row.version,
            updated_at: Some(crate::db::to_utc(row.updated_at)),
        },
        None => {
            Provider { details: from_settings(settings), configured: false, version: 0, updated_at: None }
        }
    })
}

/// The profile (public: certificates print it).
pub fn get(conn: &mut DbConnection, settings: &ProviderSettings) -> ApiResult<Provider> {
    to_api(store::find(conn)?.as_ref(), settings)
}

/// The profile as certificates use it.
pub fn profile(conn: &mut DbConnection, settings: &ProviderSettings) -> ApiResult<ProviderInput> {
    Ok(get(conn, settings)?.details)
}

/// An administrator replaces the profile (`If-Match` honoured; version 0 is the settings).
pub fn replace(
    conn: &mut DbConnection,
    caller: &Caller,
    precondition: Precondition,
    input: &ProviderInput,
    settings: &ProviderSettings,
) -> ApiResult<Provider> {
    let admin = caller.require_admin()?;
    let current = store::find(conn)?;
    precondition.check(current.as_ref().map_or(0, |row| row.version))?;
    let next = ProfileRow {
        id: 1,
        details: serde_json::to_string(input).map_err(ApiError::internal)?,
        version: current.as_ref().map_or(1, |row| row.version + 1),
        updated_at: now(),
        updated_by: format!("user:{admin}"),
    };
    store::save(conn, current.as_ref(), &next)?;
    to_api(Some(&next), settings)
}
