//! Endpoints, messages and deliveries (the outbox), and the claim that hands due deliveries to
//! one worker across replicas.

use chrono::{Duration, NaiveDateTime};
use diesel::{
    prelude::*,
    sql_types::{BigInt, Text, Timestamp},
};

use crate::{
    db::{
        now,
        schema::{webhook_deliveries, webhook_endpoints, webhook_messages},
        DbConnection, DbError,
    },
    error::ApiResult,
};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = webhook_endpoints, treat_none_as_null = true)]
pub struct EndpointRow {
    pub id: String,
    pub owner: String,
    pub url: String,
    pub description: Option<String>,
    /// Space-separated event types.
    pub event_types: String,
    /// `whsec_...`, sealed at rest when a key-encryption key is configured.
    pub secret: String,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub failing_since: Option<NaiveDateTime>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_deliveries)]
pub struct DeliveryRow {
    pub id: String,
    pub endpoint_id: String,
    pub message_id: String,
    pub event_type: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub lease_until: Option<NaiveDateTime>,
    pub last_attempt_at: Option<NaiveDateTime>,
    pub response_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
}

pub fn insert_endpoint(conn: &mut DbConnection, row: &EndpointRow) -> ApiResult<()> {
    diesel::insert_into(webhook_endpoints::table).values(row).execute(conn)?;
    Ok(())
}

pub fn save_endpoint(conn: &mut DbConnection, row: &EndpointRow) -> ApiResult<()> {
    diesel::update(webhook_endpoints::table.find(&row.id)).set(row).execute(conn)?;
    Ok(())
}

pub fn endpoint(conn: &mut DbConnection, id: &str) -> ApiResult<Option<EndpointRow>> {
    Ok(webhook_endpoints::table.find(id).select(EndpointRow::as_select()).first(conn).optional()?)
}

pub fn delete_endpoint(conn: &mut DbConnection, id: &str) -> ApiResult<()> {
    diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::endpoint_id.eq(id))).execute(conn)?;
    diesel::delete(webhook_endpoints::table.find(id)).execute(conn)?;
    Ok(())
}

/// Endpoints by id after `after`, of `owner` (all owners with `None`), `limit + 1` of them.
pub fn endpoints(
    conn: &mut DbConnection,
    owner: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> ApiResult<Vec<EndpointRow>> {
    let mut query = webhook_endpoints::table.select(EndpointRow::as_select()).into_boxed();
    if let Some(owner) = owner {
        query = query.filter(webhook_endpoints::owner.eq(owner.to_string()));
    }
    if let Some(after) = after {
        query = query.filter(webhook_endpoints::id.gt(after.to_string()));
    }
    Ok(crate::db::page_limit::at_least(query.order(webhook_endpoints::id), limit + 1).load(conn)?)
}

/// The `LIKE` pattern that finds `event_type` among an endpoint's subscriptions, as an
/// expression rather than a bare parameter. SQLite looks at a parameter on the right of `LIKE`
/// when it plans (to use an index for a fixed prefix) and so marks the statement to be planned
/// again whenever that parameter is bound: every run. Concatenated, the pattern is a value it
/// does not plan around, and the statement is prepared once (PostgreSQL plans both alike).
#[diesel::dsl::auto_type]
fn subscription_pattern(event_type: String) -> _ {
    let pattern: String = format!("%{event_type}%");
    let nothing: &'static str = "";
    pattern.into_sql::<diesel::sql_types::Text>().concat(nothing)
}

/// Whether any enabled endpoint's subscriptions may include `event_type`: the same filter as
/// [`subscribed`], as an `EXISTS` another query can carry (one round trip fewer for a write
/// that reads something anyway).
#[diesel::dsl::auto_type]
pub fn may_be_heard(event_type: String) -> _ {
    let pattern: subscription_pattern = subscription_pattern(event_type);
    diesel::dsl::exists(
        webhook_endpoints::table
            .filter(webhook_endpoints::enabled.eq(true))
            .filter(webhook_endpoints::event_types.like(pattern)),
    )
}

/// Enabled endpoints whose subscriptions may include `event_type` (the caller checks the
/// exact list).
pub fn subscribed(conn: &mut DbConnection, event_type: &str) -> ApiResult<Vec<EndpointRow>> {
    Ok(webhook_endpoints::table
        .filter(webhook_endpoints::enabled.eq(true))
        .filter(webhook_endpoints::event_types.like(subscription_pattern(event_type.to_string())))
        .select(EndpointRow::as_select())
        .load(conn)?)
}

pub fn insert_message(conn: &mut DbConnection, id: &str, event_type: &str, body: &str) -> ApiResult<()> {
    diesel::insert_into(webhook_messages::table)
        .values((
            webhook_messages::id.eq(id),
            webhook_messages::event_type.eq(event_type),
            webhook_messages::body.eq(body),
            webhook_messages::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// A pending delivery of `message_id` to `endpoint_id`, due now. Ids are UUIDv7: their order
/// is the order deliveries go out per endpoint.
pub fn insert_delivery(
    conn: &mut DbConnection,
    endpoint_id: &str,
    message_id: &str,
    event_type: &str,
) -> ApiResult<String> {
    let now = now();
    let id = uuid::Uuid::now_v7().to_string();
    let row = DeliveryRow {
        id: id.clone(),
        endpoint_id: endpoint_id.into(),
        message_id: message_id.into(),
        event_type: event_type.into(),
        status: "pending".into(),
        attempts: 0,
        next_attempt_at: now,
        lease_until: None,
        last_attempt_at: None,
        response_status: None,
        last_error: None,
        created_at: now,
        delivered_at: None,
    };
    diesel::insert_into(webhook_deliveries::table).values(&row).execute(conn)?;
    Ok(id)
}

pub fn delivery(conn: &mut DbConnection, endpoint_id: &str, id: &str) -> ApiResult<Option<DeliveryRow>> {
    Ok(webhook_deliveries::table
        .filter(webhook_deliveries::endpoint_id.eq(endpoint_id))
        .filter(webhook_deliveries::id.eq(id))
        .select(DeliveryRow::as_select())
        .first(conn)
        .optional()?)
}

/// The endpoint's deliveries, newest first, before `before`, `limit + 1` of them.
pub fn deliveries(
    conn: &mut DbConnection,
    endpoint_id: &str,
    status: Option<&str>,
    before: Option<&str>,
    limit: i64,
) -> ApiResult<Vec<DeliveryRow>> {
    let mut query = webhook_deliveries::table
        .filter(webhook_deliveries::endpoint_id.eq(endpoint_id.to_string()))
        .select(DeliveryRow::as_select())
        .into_boxed();
    if let Some(status) = status {
        query = query.filter(webhook_deliveries::status.eq(status.to_string()));
    }
    if let Some(before) = before {
        query = query.filter(webhook_deliveries::id.lt(before.to_string()));
    }
    Ok(crate::db::page_limit::at_least(query.order(webhook_deliveries::id.desc()), limit + 1).load(conn)?)
}

/// Sends a delivery again as new: pending, due now, attempts from zero.
pub fn reschedule(conn: &mut DbConnection, id: &str) -> ApiResult<()> {
    diesel::update(webhook_deliveries::table.find(id))
        .set((
            webhook_deliveries::status.eq("pending"),
            webhook_deliveries::attempts.eq(0),
            webhook_deliveries::next_attempt_at.eq(now()),
            webhook_deliveries::lease_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Whether any delivery may be due (a read: the worker takes the write lock only then).
pub fn any_due(conn: &mut DbConnection) -> ApiResult<bool> {
    let now = now();
    let due = webhook_deliveries::table
        .filter(webhook_deliveries::status.eq("pending"))
        .filter(webhook_deliveries::next_attempt_at.le(now))
        .filter(webhook_deliveries::lease_until.is_null().or(webhook_deliveries::lease_until.le(now)));
    Ok(diesel::select(diesel::dsl::exists(due)).get_result(conn)?)
}

#[derive(QueryableByName)]
struct Due {
    #[diesel(sql_type = Text)]
    id: String,
}

/// What the worker needs to send one claimed delivery.
#[derive(Debug, Clone, Queryable)]
pub struct Claimed {
    pub delivery_id: String,
    pub attempts: i32,
    pub endpoint_id: String,
    pub url: String,
    pub secret: String,
    pub message_id: String,
    pub body: String,
}

/// Claims up to `limit` due deliveries, each the oldest pending one of its enabled endpoint
/// (so every endpoint receives in order), and leases them for `lease`: no other worker takes
/// them until the lease ends (a worker that dies mid-delivery only delays them). PostgreSQL
/// skips rows another replica is claiming (`FOR UPDATE SKIP LOCKED`); SQLite has one writer.
/// Runs in the caller's write transaction.
pub fn claim_due(conn: &mut DbConnection, limit: i64, lease: Duration) -> Result<Vec<Claimed>, DbError> {
    let now = now();
    let select = "SELECT d.id FROM webhook_deliveries d \
         JOIN webhook_endpoints e ON e.id = d.endpoint_id \
         WHERE d.status = 'pending' AND e.enabled = TRUE AND d.next_attempt_at <= $1 \
           AND (d.lease_until IS NULL OR d.lease_until <= $1) \
           AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.endpoint_id = d.endpoint_id \
                           AND p.status = 'pending' AND p.id < d.id) \
         ORDER BY d.next_attempt_at, d.id LIMIT $2";
    let due: Vec<Due> = match conn {
        DbConnection::Postgres(pg) => diesel::sql_query(format!("{select} FOR UPDATE OF d SKIP LOCKED"))
            .bind::<Timestamp, _>(now)
            .bind::<BigInt, _>(limit)
            .load(pg)?,
        DbConnection::Sqlite(sqlite) => {
            diesel::sql_query(select).bind::<Timestamp, _>(now).bind::<BigInt, _>(limit).load(sqlite)?
        }
    };
    let ids: Vec<String> = due.into_iter().map(|d| d.id).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    diesel::update(webhook_deliveries::table.filter(webhook_deliveries::id.eq_any(&ids)))
        .set(webhook_deliveries::lease_until.eq(Some(now + lease)))
        .execute(conn)?;
    Ok(webhook_deliveries::table
        .inner_join(webhook_endpoints::table)
        .inner_join(webhook_messages::table)
        .filter(webhook_deliveries::id.eq_any(&ids))
        .order(webhook_deliveries::id)
        .select((
            webhook_deliveries::id,
            webhook_deliveries::attempts,
            webhook_endpoints::id,
            webhook_endpoints::url,
            webhook_endpoints::secret,
            webhook_messages::id,
            webhook_messages::body,
        ))
        .load(conn)?)
}

/// How an attempt ended.
pub enum Attempt {
    Delivered {
        status: i32,
    },
    /// Failed; try again at `retry_at`, or give up (`None`).
    Failed {
        status: Option<i32>,
        error: String,
        retry_at: Option<NaiveDateTime>,
    },
    /// 410: the endpoint is disabled.
    Gone,
}

/// Records an attempt on the delivery and what it means for its endpoint.
pub fn record(conn: &mut DbConnection, claimed: &Claimed, attempt: Attempt) -> ApiResult<()> {
    let now = now();
    let delivery = webhook_deliveries::table.find(&claimed.delivery_id);
    let endpoint = webhook_endpoints::table.find(&claimed.endpoint_id);
    let attempts = claimed.attempts + 1;
    let base = (
        webhook_deliveries::attempts.eq(attempts),
        webhook_deliveries::last_attempt_at.eq(Some(now)),
        webhook_deliveries::lease_until.eq(None::<NaiveDateTime>),
    );
    match attempt {
        Attempt::Delivered { status } => {
            diesel::update(delivery)
                .set((
                    base,
                    webhook_deliveries::status.eq("succeeded"),
                    webhook_deliveries::response_status.eq(Some(status)),
                    webhook_deliveries::last_error.eq(None::<String>),
                    webhook_deliveries::delivered_at.eq(Some(now)),
                ))
                .execute(conn)?;
            diesel::update(endpoint.filter(webhook_endpoints::failing_since.is_not_null()))
                .set(webhook_endpoints::failing_since.eq(None::<NaiveDateTime>))
                .execute(conn)?;
        }
        Attempt::Failed { status, error, retry_at } => {
            let (state, next) = match retry_at {
                Some(at) => ("pending", at),
                None => ("failed", now),
            };
            diesel::update(delivery)
                .set((
                    base,
                    webhook_deliveries::status.eq(state),
                    webhook_deliveries::next_attempt_at.eq(next),
                    webhook_deliveries::response_status.eq(status),
                    webhook_deliveries::last_error.eq(Some(error)),
                ))
                .execute(conn)?;
            if retry_at.is_none() {
                diesel::update(endpoint.filter(webhook_endpoints::failing_since.is_null()))
                    .set(webhook_endpoints::failing_since.eq(Some(now)))
                    .execute(conn)?;
            }
        }
        Attempt::Gone => {
            diesel::update(delivery)
                .set((
                    base,
                    webhook_deliveries::status.eq("failed"),
                    webhook_deliveries::response_status.eq(Some(410)),
                    webhook_deliveries::last_error
                        .eq(Some("410 Gone: the endpoint was disabled".to_string())),
                ))
                .execute(conn)?;
            diesel::update(endpoint)
                .set((
                    webhook_endpoints::enabled.eq(false),
                    webhook_endpoints::disabled_reason.eq(Some("gone")),
                    webhook_endpoints::updated_at.eq(now),
                    webhook_endpoints::version.eq(webhook_endpoints::version + 1),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}
