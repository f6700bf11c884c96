//! Credit feed use cases.

use crate::{
    auth::{Caller, Scope},
    credit_claims::dto::CreditClaim,
    credit_events::{
        dto::{CreditEvent, CreditEventPage, CreditEventQuery, CreditEventType, LearnerIdentifiers},
        store,
    },
    db::{self, DbConnection},
    error::{ApiError, ApiResult},
    http::pagination,
    users::{self, UserRow},
    webhooks::{self, EventType},
};

/// The position in the feed: the sequence number of the last event seen.
#[derive(serde::Serialize, serde::Deserialize)]
struct FeedCursor {
    seq: i64,
}

fn into_event(
    row: store::EventRow,
    learner: UserRow,
    reporting: Vec<crate::reporting::dto::ReportingState>,
) -> ApiResult<CreditEvent> {
    let claim: CreditClaim = serde_json::from_str(&row.claim).map_err(ApiError::internal)?;
    Ok(CreditEvent {
        event_id: row.id,
        event_type: CreditEventType::parse(&row.event_type)
            .ok_or_else(|| ApiError::internal("unknown event type"))?,
        occurred_at: db::to_utc(row.occurred_at),
        claim,
        replaces_claim_id: row.replaces_claim_id,
        reporting,
        learner: LearnerIdentifiers {
            user_id: learner.id,
            email: learner.email,
            first_name: learner.first_name,
            last_name: learner.last_name,
            npi: learner.npi,
            external_id: learner.external_id,
        },
    })
}

const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 1000;

/// Each event with its learner (looked up by id after the events: a join let SQLite walk
/// every user and scan the events for each, 8 s for a page of 1,000).
fn with_learners(
    conn: &mut DbConnection,
    events: Vec<store::EventRow>,
) -> ApiResult<Vec<(store::EventRow, UserRow)>> {
    let user_ids: Vec<&str> = events.iter().map(|e| e.user_id.as_str()).collect();
    let learners = users::service::accounts(conn, &user_ids)?;
    events
        .into_iter()
        .map(|event| {
            let learner = learners
                .get(&event.user_id)
                .cloned()
                .ok_or_else(|| ApiError::internal("event without learner"))?;
            Ok((event, learner))
        })
        .collect()
}

/// The events after the query's cursor, oldest first, for administrators and clients with
/// `credits:read`.
pub fn page(
    conn: &mut DbConnection,
    caller: &Caller,
    query: &CreditEventQuery,
) -> ApiResult<CreditEventPage> {
    caller.require_admin_or_scope(Scope::CreditsRead)?;
    let limit = match query.limit {
        None => i64::from(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => i64::from(n),
        Some(_) => {
            return Err(ApiError::BadRequest { detail: format!("limit must be between 1 and {MAX_LIMIT}") })
        }
    };
    let after = pagination::decode_cursor::<FeedCursor>(query.after.as_deref())?.map_or(0, |c| c.seq);
    if after < 0 {
        return Err(ApiError::BadRequest { detail: "the cursor is invalid; use next_cursor".into() });
    }
    let events = store::after(conn, after, limit)?;
    let mut rows = with_learners(conn, events)?;
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let last = rows.last().map_or(after, |(event, _)| event.seq);
    let claim_ids: Vec<&str> = rows.iter().map(|(event, _)| event.claim_id.as_str()).collect();
    let states = crate::reporting::service::states(conn, &claim_ids)?;
    let data = rows
        .into_iter()
        .map(|(event, learner)| {
            let reporting = states.get(&event.claim_id).cloned().unwrap_or_default();
            into_event(event, learner, reporting)
        })
        .collect::<ApiResult<_>>()?;
    Ok(CreditEventPage { data, next_cursor: pagination::encode_cursor(&FeedCursor { seq: last }), has_more })
}

/// The sequence number of the newest event (0 before the first).
pub fn head(conn: &mut DbConnection) -> Result<i64, ApiError> {
    store::head(conn)
}

/// Appends an event to the feed, in the caller's transaction, as its last write (the feed's
/// order is the commit order: see the store), and the same event to the webhook endpoints
/// that listen (the outbox, in the same transaction).
pub fn append(
    conn: &mut DbConnection,
    event_type: CreditEventType,
    claim: &CreditClaim,
    replaces_claim_id: Option<&str>,
) -> ApiResult<()> {
    let row = store::append(conn, event_type, claim, replaces_claim_id)?;
    let webhook_type = match event_type {
        CreditEventType::Awarded => EventType::CreditAwarded,
        CreditEventType::Amended => EventType::CreditAmended,
        CreditEventType::Revoked => EventType::CreditRevoked,
    };
    webhooks::service::publish(conn, webhook_type, |conn| {
        let mut rows = with_learners(conn, vec![row])?;
        let (row, learner) = rows.pop().ok_or_else(|| ApiError::internal("event without learner"))?;
        let states = crate::reporting::service::states(conn, &[row.claim_id.as_str()])?;
        let reporting = states.get(&row.claim_id).cloned().unwrap_or_default();
        webhooks::service::json(&into_event(row, learner, reporting)?)
    })
}
