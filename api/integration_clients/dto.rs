//! Integration clients as the API shows them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::Scope;

/// An integration client.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IntegrationClient {
    /// The OAuth `client_id`.
    pub id: String,
    #[schema(example = "St. Mary's LMS")]
    pub name: String,
    pub scopes: Vec<Scope>,
    /// Always true for clients the API shows; deleted clients are kept inactive.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new client with its secret: the only time the secret is shown.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedIntegrationClient {
    #[serde(flatten)]
    pub client: IntegrationClient,
    /// The OAuth `client_secret`. Store it now: it cannot be read again.
    pub client_secret: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "St. Mary's LMS", "scopes": ["enrollments:read", "credits:read"]}))]
pub struct CreateClientRequest {
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    #[validate(length(min = 1, max = 16))]
    #[schema(min_items = 1, max_items = 16)]
    pub scopes: Vec<Scope>,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ClientListQuery {
    /// Page size, 1-100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}
