//! Transcripts: a learner's awarded credit in a period, with totals per credit type, for
//! license renewal. JSON, or CSV with `Accept: text/csv`.

use std::collections::BTreeMap;

use actix_web::{get, web, HttpRequest, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::{
    auth::Caller,
    credit_claims::{
        dto::{CreditTotal, Transcript, TranscriptEntry, TranscriptQuery},
        store,
    },
    credits::Credits,
    db::{self, DbConnection},
    error::{ApiError, ApiResult, Problem},
    http::csv,
    state::AppState,
    users,
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(my_transcript).service(user_transcript);
}

fn build(conn: &mut DbConnection, user_id: &str, query: &TranscriptQuery) -> ApiResult<Transcript> {
    if let (Some(from), Some(to)) = (query.from, query.to) {
        if from > to {
            return Err(ApiError::validation("from", "order", "must not be after `to`"));
        }
    }
    let learner = users::store::find(conn, user_id)?.ok_or(ApiError::NotFound)?;
    let rows = store::awarded(conn, user_id, query.from, query.to, query.credit_type)?;
    let mut totals: BTreeMap<_, i32> = BTreeMap::new();
    let mut entries = Vec::with_capacity(rows.len());
    for row in rows {
        let credit_type = row.claim.credit_type()?;
        *totals.entry(credit_type).or_default() += row.claim.amount_hundredths;
        entries.push(TranscriptEntry {
            claim_id: row.claim.id,
            activity_id: row.claim.activity_id,
            activity_title: row.title,
            format: row.format,
            completion_date: row.claim.completion_date,
            credit_type,
            amount: Credits::from_hundredths(row.claim.amount_hundredths),
            acpe_uan: row.acpe_uan,
        });
    }
    Ok(Transcript {
        user_id: learner.id,
        first_name: learner.first_name,
        last_name: learner.last_name,
        from: query.from,
        to: query.to,
        entries,
        totals: totals
            .into_iter()
            .map(|(credit_type, amount)| CreditTotal {
                credit_type,
                amount: Credits::from_hundredths(amount),
            })
            .collect(),
    })
}

fn to_csv(transcript: &Transcript) -> String {
    let mut out = String::from(
        "completion_date,activity_title,format,credit_type,amount,acpe_uan,activity_id,claim_id\n",
    );
    for entry in &transcript.entries {
        csv::push_row(
            &mut out,
            &[
                entry.completion_date.to_string(),
                entry.activity_title.clone(),
                crate::db::enum_text(&entry.format),
                crate::db::enum_text(&entry.credit_type),
                format!("{:.2}", entry.amount),
                entry.acpe_uan.clone().unwrap_or_default(),
                entry.activity_id.clone(),
                entry.claim_id.clone(),
            ],
        );
    }
    out
}

fn respond(req: &HttpRequest, transcript: Transcript) -> HttpResponse {
    if csv::wanted(req) {
        csv::attachment("transcript.csv", to_csv(&transcript))
    } else {
        HttpResponse::Ok().json(transcript)
    }
}

/// Your transcript: awarded credit with completion dates in the period, and totals per credit
/// type. `Accept: text/csv` for a spreadsheet.
#[utoipa::path(
    tag = "credit",
    operation_id = "my_transcript",
    security(("bearer" = [])),
    params(TranscriptQuery),
    responses(
        (status = 200, description = "The transcript", content(
            (Transcript = "application/json"),
            (String = "text/csv"),
        )),
        (status = 403, description = "Machine clients have no transcript", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`from` after `to`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/me/transcript")]
async fn my_transcript(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<TranscriptQuery>,
) -> ApiResult<HttpResponse> {
    let user_id = caller.person()?.0.to_string();
    let query = query.into_inner();
    let transcript = db::run(&state.pool, move |conn| build(conn, &user_id, &query)).await?;
    Ok(respond(&req, transcript))
}

/// A learner's transcript: the learner, administrators and clients with `credits:read`.
#[utoipa::path(
    tag = "credit",
    operation_id = "user_transcript",
    security(("bearer" = []), ("oauth2" = ["credits:read"])),
    params(("user_id" = String, Path, description = "User id"), TranscriptQuery),
    responses(
        (status = 200, description = "The transcript", content(
            (Transcript = "application/json"),
            (String = "text/csv"),
        )),
        (status = 403, description = "Client without credits:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown user, or not yours to see", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`from` after `to`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/users/{user_id}/transcript")]
async fn user_transcript(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<TranscriptQuery>,
) -> ApiResult<HttpResponse> {
    let user_id = path.into_inner();
    crate::access::may_read_transcript(&caller, &user_id).check()?;
    let query = query.into_inner();
    let transcript = db::run(&state.pool, move |conn| build(conn, &user_id, &query)).await?;
    Ok(respond(&req, transcript))
}
