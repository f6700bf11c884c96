//! Credit feed use cases.

use std::collections::HashMap;

use crate::{
    activities::{self, dto::CreditDesignation},
    auth::{Caller, Scope},
    credit_claims::dto::CreditClaim,
    credit_events::{
        dto::{
            ActivityFacts, CreditEvent, CreditEventPage, CreditEventQuery, CreditEventType, LearnerDetails,
            LearnerIdentifiers,
        },
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

/// Activities read once per page (their facts, and their designations for the UAN).
type ActivityCache = HashMap<String, (ActivityFacts, Vec<CreditDesignation>)>;

/// The facts of the claim's activity, with the UAN of the claimed credit type.
fn activity_facts(
    conn: &mut DbConnection,
    claim: &CreditClaim,
    cache: &mut ActivityCache,
) -> ApiResult<ActivityFacts> {
    if !cache.contains_key(&claim.activity_id) {
        let row = activities::service::find(conn, &claim.activity_id)?;
        let input = row.input()?;
        let facts = ActivityFacts {
            id: row.id.clone(),
            title: input.title,
            format: input.format,
            medium: input.medium,
            time_zone: input.time_zone,
            starts_at: input.starts_at,
            ends_at: input.ends_at,
            release_date: input.release_date,
            expiry_date: input.expiry_date,
            location: input.location,
            uan: None,
        };
        cache.insert(claim.activity_id.clone(), (facts, input.credit_designations));
    }
    let (facts, designations) = &cache[&claim.activity_id];
    let uan =
        designations.iter().find(|d| d.credit_type == claim.credit_type).and_then(|d| d.acpe_uan.clone());
    Ok(ActivityFacts { uan, ..facts.clone() })
}

/// The records of the page's learners (their accounts already loaded), for callers who may
/// read users (administrators, `users:read`).
fn learner_details(
    conn: &mut DbConnection,
    caller: &Caller,
    learners: Vec<UserRow>,
) -> ApiResult<HashMap<String, LearnerDetails>> {
    if !(caller.is_admin() || caller.has_scope(Scope::UsersRead)) || learners.is_empty() {
        return Ok(HashMap::new());
    }
    let mut distinct: HashMap<String, UserRow> = HashMap::new();
    for learner in learners {
        distinct.entry(learner.id.clone()).or_insert(learner);
    }
    Ok(users::service::records_of(conn, distinct.into_values().collect())?
        .into_iter()
        .map(|user| {
            let details = LearnerDetails {
                profession: user.profession,
                degree: user.degree,
                nabp_eprofile_id: user.nabp_eprofile_id,
                birth_mmdd: user.birth_mmdd,
                board_ids: user.board_ids,
                state_licenses: user.state_licenses,
            };
            (user.id, details)
        })
        .collect())
}

/// What one event row becomes, with its learner, activity and reporting states.
struct EventParts {
    learner: UserRow,
    details: Option<LearnerDetails>,
    reporting: Vec<crate::reporting::dto::ReportingState>,
}

fn into_event(
    conn: &mut DbConnection,
    row: store::EventRow,
    parts: EventParts,
    cache: &mut ActivityCache,
) -> ApiResult<CreditEvent> {
    let EventParts { learner, details, reporting } = parts;
    let claim: CreditClaim = serde_json::from_str(&row.claim).map_err(ApiError::internal)?;
    let activity = activity_facts(conn, &claim, cache)?;
    Ok(CreditEvent {
        activity,
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
            details,
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
    let learners = rows.iter().map(|(_, learner)| learner.clone()).collect();
    let details = learner_details(conn, caller, learners)?;
    let mut cache = ActivityCache::new();
    let mut data = Vec::with_capacity(rows.len());
    for (event, learner) in rows {
        let parts = EventParts {
            details: details.get(&event.user_id).cloned(),
            reporting: states.get(&event.claim_id).cloned().unwrap_or_default(),
            learner,
        };
        data.push(into_event(conn, event, parts, &mut cache)?);
    }
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
    // Deliveries carry the learner's identifiers, not their record (receivers with
    // `users:read` read it), since one message goes to every endpoint.
    webhooks::service::publish(conn, webhook_type, |conn| {
        let mut rows = with_learners(conn, vec![row])?;
        let (row, learner) = rows.pop().ok_or_else(|| ApiError::internal("event without learner"))?;
        let states = crate::reporting::service::states(conn, &[row.claim_id.as_str()])?;
        let reporting = states.get(&row.claim_id).cloned().unwrap_or_default();
        let parts = EventParts { learner, details: None, reporting };
        webhooks::service::json(&into_event(conn, row, parts, &mut ActivityCache::new())?)
    })
}
