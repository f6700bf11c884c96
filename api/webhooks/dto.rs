//! Webhook endpoints, deliveries and the message every delivery carries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

pub use super::rules::EventType;

/// Register an endpoint.
#[derive(Debug, Clone, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "url": "https://lms.example.org/hooks/ce-api",
    "event_types": ["credit.awarded", "credit.amended", "credit.revoked"],
    "description": "St. Mary LMS transcript import"
}))]
pub struct WebhookEndpointInput {
    /// `https://` (plain `http://` and private addresses only with `CE_WEBHOOK_ALLOW_PRIVATE`).
    #[validate(length(min = 8, max = 2000))]
    #[schema(format = "uri", min_length = 8, max_length = 2000)]
    pub url: String,
    /// At least one; a machine client needs the scope that reads each (credits:read for
    /// `credit.*`, enrollments:read for `enrollment.*`, activities:read for `activity.*`).
    #[validate(length(min = 1, max = 9))]
    #[schema(min_items = 1, max_items = 9)]
    pub event_types: Vec<EventType>,
    #[serde(default)]
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub description: Option<String>,
    /// Deliver to it (default true).
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// Change an endpoint (absent fields stay). Enabling it again clears `disabled_reason` and
/// `failing_since`; held deliveries then go out in order.
#[derive(Debug, Clone, Default, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"enabled": true}))]
pub struct WebhookEndpointPatch {
    #[validate(length(min = 8, max = 2000))]
    #[schema(format = "uri", min_length = 8, max_length = 2000)]
    pub url: Option<String>,
    #[validate(length(min = 1, max = 9))]
    #[schema(min_items = 1, max_items = 9)]
    pub event_types: Option<Vec<EventType>>,
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub description: Option<String>,
    pub enabled: Option<bool>,
}

/// Why an endpoint stopped receiving deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DisabledReason {
    /// Its owner turned it off.
    Manual,
    /// It answered 410 Gone.
    Gone,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0193f1a4-6c1e-7cc2-9f1c-5a0d2e7b9a41",
    "url": "https://lms.example.org/hooks/ce-api",
    "event_types": ["credit.awarded"],
    "description": "St. Mary LMS transcript import",
    "enabled": true,
    "disabled_reason": null,
    "failing_since": null,
    "version": 1,
    "created_at": "2026-11-29T10:00:00Z",
    "updated_at": "2026-11-29T10:00:00Z"
}))]
pub struct WebhookEndpoint {
    pub id: String,
    pub url: String,
    pub event_types: Vec<EventType>,
    pub description: Option<String>,
    pub enabled: bool,
    pub disabled_reason: Option<DisabledReason>,
    /// Set when a delivery used all its attempts; cleared by the next success.
    pub failing_since: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The signing secret (`whsec_` + base64): only in the answer that creates the endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its turn or its next attempt.
    Pending,
    /// A 2xx answer ended it.
    Succeeded,
    /// Every attempt failed, or the endpoint answered 410.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Succeeded => "succeeded",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<DeliveryStatus> {
        [DeliveryStatus::Pending, DeliveryStatus::Succeeded, DeliveryStatus::Failed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// One message on its way to one endpoint.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookDelivery {
    pub id: String,
    /// The `webhook-id` header: the same on every attempt (receivers deduplicate by it).
    pub message_id: String,
    pub event_type: EventType,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The endpoint's last HTTP status.
    pub response_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeliveryListQuery {
    /// Only deliveries in this state.
    pub status: Option<DeliveryStatus>,
    /// Page size (1-100, default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EndpointListQuery {
    /// Page size (1-100, default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// The body of every delivery (Standard Webhooks): `data` is the feed event for `credit.*`,
/// the enrollment for `enrollment.*`, the activity for `activity.*`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookMessage {
    #[serde(rename = "type")]
    pub event_type: EventType,
    pub timestamp: DateTime<Utc>,
    pub data: serde_json::Value,
}

/// The answer to a test call or a retry: the delivery that will go out.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeliveryScheduled {
    pub delivery_id: String,
}
