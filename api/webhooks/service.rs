//! Webhook use cases: endpoints (registered by machine clients and administrators), the
//! delivery log, and `publish`, which other resources call in the transaction of the change it
//! reports: the message and one delivery per subscribed endpoint are written with the change,
//! or not at all (the outbox), and the worker sends them after commit.

use chrono::{DateTime, Utc};

use crate::{
    access,
    auth::{keys, secrets, Caller},
    db::{self, DbConnection},
    error::{ApiError, ApiResult, FieldError},
    http::pagination,
    webhooks::{
        dto::{
            DeliveryListQuery, DeliveryScheduled, DeliveryStatus, DisabledReason, EventType, WebhookDelivery,
            WebhookEndpoint, WebhookEndpointInput, WebhookEndpointPatch, WebhookMessage,
        },
        rules,
        store::{self, DeliveryRow, EndpointRow},
    },
};

/// What the endpoint use cases need from the settings.
pub struct EndpointPolicy<'a> {
    pub key_encryption_key: Option<&'a [u8; 32]>,
    pub allow_private: bool,
}

fn event_list(text: &str) -> Vec<EventType> {
    text.split_whitespace().filter_map(EventType::parse).collect()
}

fn to_api(row: EndpointRow) -> WebhookEndpoint {
    WebhookEndpoint {
        event_types: event_list(&row.event_types),
        disabled_reason: match row.disabled_reason.as_deref() {
            Some("gone") => Some(DisabledReason::Gone),
            Some(_) => Some(DisabledReason::Manual),
            None => None,
        },
        failing_since: row.failing_since.map(db::to_utc),
        created_at: db::to_utc(row.created_at),
        updated_at: db::to_utc(row.updated_at),
        id: row.id,
        url: row.url,
        description: row.description,
        enabled: row.enabled,
        version: row.version,
        secret: None,
    }
}

fn delivery_to_api(row: DeliveryRow) -> ApiResult<WebhookDelivery> {
    let status =
        DeliveryStatus::parse(&row.status).ok_or_else(|| ApiError::internal("unknown delivery status"))?;
    Ok(WebhookDelivery {
        event_type: EventType::parse(&row.event_type)
            .ok_or_else(|| ApiError::internal("unknown event type"))?,
        next_attempt_at: (status == DeliveryStatus::Pending).then(|| db::to_utc(row.next_attempt_at)),
        last_attempt_at: row.last_attempt_at.map(db::to_utc),
        created_at: db::to_utc(row.created_at),
        delivered_at: row.delivered_at.map(db::to_utc),
        id: row.id,
        message_id: row.message_id,
        status,
        attempts: row.attempts,
        response_status: row.response_status,
        last_error: row.last_error,
    })
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::Validation { errors: vec![FieldError::new(field, "invalid", message)] }
}

/// The caller may receive every one of `event_types` (a client needs each one's scope).
fn ensure_may_subscribe(caller: &Caller, event_types: &[EventType]) -> ApiResult<()> {
    for scope in event_types.iter().filter_map(|t| t.scope()) {
        caller.require_admin_or_scope(scope)?;
    }
    Ok(())
}

fn subscription_text(event_types: &[EventType]) -> String {
    let mut names: Vec<&str> = event_types.iter().map(|t| t.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    names.join(" ")
}

/// The caller's endpoint (administrators: any); 404 otherwise.
fn visible_endpoint(conn: &mut DbConnection, caller: &Caller, id: &str) -> ApiResult<EndpointRow> {
    access::ensure_may_manage_webhooks(caller)?;
    let row = store::endpoint(conn, id)?.ok_or(ApiError::NotFound)?;
    if !access::webhook_endpoint_visible(caller, &row.owner) {
        return Err(ApiError::NotFound);
    }
    Ok(row)
}

pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    policy: &EndpointPolicy,
    input: WebhookEndpointInput,
) -> ApiResult<WebhookEndpoint> {
    access::ensure_may_manage_webhooks(caller)?;
    rules::check_url(&input.url, policy.allow_private).map_err(|reason| invalid("url", reason))?;
    ensure_may_subscribe(caller, &input.event_types)?;
    let now = db::now();
    let id = uuid::Uuid::now_v7().to_string();
    let secret = rules::new_secret(&secrets::random_bytes(32));
    let row = EndpointRow {
        id: id.clone(),
        owner: caller.actor(),
        url: input.url,
        description: input.description.filter(|d| !d.trim().is_empty()),
        event_types: subscription_text(&input.event_types),
        secret: keys::seal_at_rest(policy.key_encryption_key, &id, &secret).map_err(ApiError::internal)?,
        enabled: input.enabled.unwrap_or(true),
        disabled_reason: (input.enabled == Some(false)).then(|| "manual".to_string()),
        failing_since: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    store::insert_endpoint(conn, &row)?;
    Ok(WebhookEndpoint { secret: Some(secret), ..to_api(row) })
}

pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    limit: i64,
    after: Option<String>,
) -> ApiResult<pagination::Page<WebhookEndpoint>> {
    access::ensure_may_manage_webhooks(caller)?;
    let owner = (!caller.is_admin()).then(|| caller.actor());
    let rows = store::endpoints(conn, owner.as_deref(), after.as_deref(), limit)?;
    Ok(pagination::paginate(rows, limit, |row| row.id.clone(), to_api))
}

pub fn get(conn: &mut DbConnection, caller: &Caller, id: &str) -> ApiResult<WebhookEndpoint> {
    Ok(to_api(visible_endpoint(conn, caller, id)?))
}

pub fn patch(
    conn: &mut DbConnection,
    caller: &Caller,
    policy: &EndpointPolicy,
    id: &str,
    patch: WebhookEndpointPatch,
) -> ApiResult<WebhookEndpoint> {
    let mut row = visible_endpoint(conn, caller, id)?;
    if let Some(url) = patch.url {
        rules::check_url(&url, policy.allow_private).map_err(|reason| invalid("url", reason))?;
        row.url = url;
    }
    if let Some(event_types) = patch.event_types {
        ensure_may_subscribe(caller, &event_types)?;
        row.event_types = subscription_text(&event_types);
    }
    if let Some(description) = patch.description {
        row.description = Some(description).filter(|d| !d.trim().is_empty());
    }
    match patch.enabled {
        Some(true) => {
            row.enabled = true;
            row.disabled_reason = None;
            row.failing_since = None;
        }
        Some(false) if row.enabled => {
            row.enabled = false;
            row.disabled_reason = Some("manual".into());
        }
        _ => {}
    }
    row.version += 1;
    row.updated_at = db::now();
    store::save_endpoint(conn, &row)?;
    Ok(to_api(row))
}

/// Deletes the endpoint and its delivery log.
pub fn delete(conn: &mut DbConnection, caller: &Caller, id: &str) -> ApiResult<()> {
    let row = visible_endpoint(conn, caller, id)?;
    store::delete_endpoint(conn, &row.id)
}

pub fn deliveries(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    query: &DeliveryListQuery,
) -> ApiResult<pagination::Page<WebhookDelivery>> {
    let endpoint = visible_endpoint(conn, caller, id)?;
    let limit = pagination::limit(query.limit)?;
    let before = pagination::decode_cursor::<String>(query.cursor.as_deref())?;
    let status = query.status.map(DeliveryStatus::as_str);
    let rows = store::deliveries(conn, &endpoint.id, status, before.as_deref(), limit)?;
    pagination::paginate(rows, limit, |row| row.id.clone(), delivery_to_api).transpose()
}

/// Sends a delivery again, as new (pending now, attempts from zero).
pub fn retry(
    conn: &mut DbConnection,
    caller: &Caller,
    endpoint_id: &str,
    delivery_id: &str,
) -> ApiResult<DeliveryScheduled> {
    let endpoint = visible_endpoint(conn, caller, endpoint_id)?;
    let delivery = store::delivery(conn, &endpoint.id, delivery_id)?.ok_or(ApiError::NotFound)?;
    store::reschedule(conn, &delivery.id)?;
    Ok(DeliveryScheduled { delivery_id: delivery.id })
}

/// A `webhook.test` message to this endpoint alone.
pub fn send_test(
    conn: &mut DbConnection,
    caller: &Caller,
    endpoint_id: &str,
) -> ApiResult<DeliveryScheduled> {
    let endpoint = visible_endpoint(conn, caller, endpoint_id)?;
    let data = serde_json::json!({"endpoint_id": endpoint.id, "note": "a test message from ce-api"});
    let message_id = write_message(conn, EventType::Test, data)?;
    let delivery_id = store::insert_delivery(conn, &endpoint.id, &message_id, EventType::Test.as_str())?;
    Ok(DeliveryScheduled { delivery_id })
}

fn write_message(
    conn: &mut DbConnection,
    event_type: EventType,
    data: serde_json::Value,
) -> ApiResult<String> {
    let timestamp: DateTime<Utc> = db::now_utc();
    let body =
        serde_json::to_string(&WebhookMessage { event_type, timestamp, data }).map_err(ApiError::internal)?;
    let message_id = format!("msg_{}", uuid::Uuid::now_v7().simple());
    store::insert_message(conn, &message_id, event_type.as_str(), &body)?;
    Ok(message_id)
}

/// Whether the endpoint's owner may still receive `event_type`: an active administrator, or an
/// active client that still holds the event's scope.
/// `value` as JSON, for [`publish`].
pub fn json(value: &impl serde::Serialize) -> ApiResult<serde_json::Value> {
    serde_json::to_value(value).map_err(ApiError::internal)
}

fn owner_may_receive(conn: &mut DbConnection, owner: &str, event_type: EventType) -> ApiResult<bool> {
    if let Some(user_id) = owner.strip_prefix("user:") {
        let account = crate::users::service::account(conn, user_id)?;
        return Ok(account.is_some_and(|a| a.active && a.role == crate::auth::Role::Admin.as_str()));
    }
    let Some(client_id) = owner.strip_prefix("client:") else { return Ok(false) };
    let scopes = crate::integration_clients::service::active_scopes(conn, client_id)?;
    Ok(scopes.is_some_and(|scopes| event_type.scope().is_none_or(|needed| scopes.contains(&needed))))
}

/// Reports `event_type` to every enabled endpoint subscribed to it, in the caller's
/// transaction, with the `data` the closure builds (only when some endpoint listens: nothing is
/// read or written otherwise).
pub fn publish(
    conn: &mut DbConnection,
    event_type: EventType,
    data: impl FnOnce(&mut DbConnection) -> ApiResult<serde_json::Value>,
) -> ApiResult<()> {
    let mut receivers = Vec::new();
    for endpoint in store::subscribed(conn, event_type.as_str())? {
        let subscribed = event_list(&endpoint.event_types).contains(&event_type);
        if subscribed && owner_may_receive(conn, &endpoint.owner, event_type)? {
            receivers.push(endpoint.id);
        }
    }
    if receivers.is_empty() {
        return Ok(());
    }
    let data = data(conn)?;
    let message_id = write_message(conn, event_type, data)?;
    for endpoint_id in receivers {
        store::insert_delivery(conn, &endpoint_id, &message_id, event_type.as_str())?;
    }
    Ok(())
}

/// An `EXISTS` over the endpoints that may hear `event_type`, for a query to carry; its
/// answer goes to [`publish_if_heard`].
pub fn may_be_heard(event_type: EventType) -> store::may_be_heard {
    store::may_be_heard(event_type.as_str().to_string())
}

/// [`publish`], skipping the endpoint lookup when [`may_be_heard`], read earlier in this
/// transaction, said no endpoint listens.
pub fn publish_if_heard(
    conn: &mut DbConnection,
    event_type: EventType,
    may_be_heard: bool,
    data: impl FnOnce(&mut DbConnection) -> ApiResult<serde_json::Value>,
) -> ApiResult<()> {
    if may_be_heard {
        publish(conn, event_type, data)
    } else {
        Ok(())
    }
}

/// Whether the worker has anything to claim.
pub fn any_due(conn: &mut DbConnection) -> ApiResult<bool> {
    store::any_due(conn)
}

/// Claims due deliveries for this worker (see [`store::claim_due`]).
pub fn claim(conn: &mut DbConnection, limit: i64, lease: chrono::Duration) -> ApiResult<Vec<store::Claimed>> {
    Ok(store::claim_due(conn, limit, lease)?)
}

/// Records how an attempt ended.
pub fn record(conn: &mut DbConnection, claimed: &store::Claimed, attempt: store::Attempt) -> ApiResult<()> {
    store::record(conn, claimed, attempt)
}
