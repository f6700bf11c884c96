//! The credit feed: every award, amendment and revocation, once each, in commit order, for
//! hospital LMS systems that sync credits by polling with a stored cursor.

pub mod dto;
pub mod store;

use actix_web::{get, web, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::{
    auth::{Caller, Scope},
    credit_claims::dto::CreditClaim,
    credit_events::dto::{
        CreditEvent, CreditEventPage, CreditEventQuery, CreditEventType, LearnerIdentifiers,
    },
    db,
    error::{ApiError, ApiResult, Problem},
    http::pagination,
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(feed);
}

const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 1000;

/// The position in the feed: the sequence number of the last event seen.
#[derive(serde::Serialize, serde::Deserialize)]
struct FeedCursor {
    seq: i64,
}

fn into_event(row: store::EventRow, learner: crate::users::store::UserRow) -> ApiResult<CreditEvent> {
    let claim: CreditClaim = serde_json::from_str(&row.claim).map_err(ApiError::internal)?;
    Ok(CreditEvent {
        event_id: row.id,
        event_type: CreditEventType::parse(&row.event_type)
            .ok_or_else(|| ApiError::internal("unknown event type"))?,
        occurred_at: db::to_utc(row.occurred_at),
        claim,
        replaces_claim_id: row.replaces_claim_id,
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

/// Credit events after a cursor, oldest first. A client that stores `next_cursor` and polls
/// with it sees every event exactly once, even while claims commit concurrently (the design
/// is in docs/ARCHITECTURE.md). Administrators and clients with `credits:read`.
#[utoipa::path(
    tag = "credit",
    operation_id = "credit_events",
    security(("bearer" = []), ("oauth2" = ["credits:read"])),
    params(CreditEventQuery),
    responses(
        (status = 200, description = "Events after the cursor", body = CreditEventPage),
        (status = 400, description = "Invalid cursor or limit", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither an administrator nor a client with credits:read", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/credit-events")]
async fn feed(
    state: web::Data<crate::state::AppState>,
    caller: Caller,
    query: web::Query<CreditEventQuery>,
) -> ApiResult<HttpResponse> {
    caller.require_admin_or_scope(Scope::CreditsRead)?;
    let query = query.into_inner();
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
    let mut rows = db::run(&state.pool, move |conn| store::after(conn, after, limit)).await?;
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let last = rows.last().map_or(after, |(event, _)| event.seq);
    let data =
        rows.into_iter().map(|(event, learner)| into_event(event, learner)).collect::<ApiResult<_>>()?;
    let page =
        CreditEventPage { data, next_cursor: pagination::encode_cursor(&FeedCursor { seq: last }), has_more };
    Ok(HttpResponse::Ok().json(page))
}
