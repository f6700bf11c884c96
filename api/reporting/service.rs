//! Reporting use cases: items written with the awards they report, the CE office's deadlines,
//! batches frozen into files, and the destinations' answers. Each runs in one transaction.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Days, NaiveDate};

use crate::{
    access::{self, ListScope},
    activities::{self, dto::CreditType},
    auth::Caller,
    config::ProviderSettings,
    credit_claims::dto::CreditClaim,
    credits::Credits,
    db::{self, now, DbConnection},
    error::{ApiError, ApiResult, FieldError, ProblemType},
    http::pagination,
    provider::{self, dto::Accreditor},
    reporting::{
        dto::{
            Batch, BatchRequest, BatchStatus, Deadlines, Destination, DestinationDeadlines, HeldItem,
            ItemAction, ItemQuery, ItemStatus, Outcome, ReportingItem, ReportingState, ResultsRequest,
        },
        formats,
        rules::{self, Withdrawal},
        store::{self, BatchHead, BatchRow, ItemRow},
        submitters::Sent,
    },
    reports, users,
};

fn today() -> NaiveDate {
    db::now_utc().date_naive()
}

fn parse<T: serde::de::DeserializeOwned>(text: &str) -> ApiResult<T> {
    Ok(db::parse_enum_text(text)?)
}

fn to_api(row: ItemRow) -> ApiResult<ReportingItem> {
    Ok(ReportingItem {
        destination: parse(&row.destination)?,
        action: parse(&row.action)?,
        status: parse(&row.status)?,
        credit_type: parse(&row.credit_type)?,
        amount: Credits::from_hundredths(row.amount_hundredths),
        due_on: row.due_on,
        completion_date: row.completion_date,
        id: row.id,
        claim_id: row.claim_id,
        activity_id: row.activity_id,
        user_id: row.user_id,
        moc_board: row.moc_board,
        license_state: row.license_state,
        correction_of: row.correction_of,
        hold_reason: row.hold_reason,
        rejection: row.rejection,
        batch_id: row.batch_id,
        created_at: db::to_utc(row.created_at),
        updated_at: db::to_utc(row.updated_at),
    })
}

// ---- items, written with the change they report ------------------------------------------

/// A new item due on `due_on` reporting `credit` (type, amount, participation date) of an
/// activity to `destination`; an award's item adds its claim and learner.
fn due_item(
    destination: Destination,
    activity_id: &str,
    (credit_type, amount, completion_date): (CreditType, Credits, NaiveDate),
    due_on: NaiveDate,
) -> ItemRow {
    let at = now();
    ItemRow {
        id: uuid::Uuid::now_v7().to_string(),
        destination: db::enum_text(&destination),
        action: db::enum_text(&ItemAction::Add),
        claim_id: None,
        activity_id: activity_id.to_string(),
        user_id: None,
        credit_type: db::enum_text(&credit_type),
        amount_hundredths: amount.hundredths(),
        completion_date,
        moc_board: None,
        moc_credit_type: None,
        license_state: None,
        correction_of: None,
        due_on,
        status: db::enum_text(&ItemStatus::Due),
        hold_reason: None,
        rejection: None,
        batch_id: None,
        created_at: at,
        updated_at: at,
    }
}

/// An award (or the new side of an amendment: `replaces` is the claim it replaced) creates
/// an item for every destination that must receive it. Called in the award's transaction.
pub fn on_award(conn: &mut DbConnection, claim: &CreditClaim, replaces: Option<&str>) -> ApiResult<()> {
    if let Some(old) = replaces {
        on_withdrawal(conn, old)?;
    }
    let licenses =
        users::service::record(conn, &claim.user_id)?.map(|u| u.state_licenses).unwrap_or_default();
    let award = rules::Award {
        credit_type: claim.credit_type,
        moc_board: claim.moc_board.as_deref(),
        completion_date: claim.completion_date,
        licenses: &licenses,
    };
    for due in rules::destinations(&award) {
        let item = ItemRow {
            claim_id: Some(claim.id.clone()),
            user_id: Some(claim.user_id.clone()),
            moc_board: claim.moc_board.clone(),
            moc_credit_type: claim.moc_credit_type.as_ref().map(db::enum_text),
            license_state: due.license_state,
            ..due_item(
                due.destination,
                &claim.activity_id,
                (claim.credit_type, claim.amount, claim.completion_date),
                due.due_on,
            )
        };
        store::insert_item(conn, &item)?;
    }
    Ok(())
}

/// A revoked (or amended) claim: what was not sent is superseded, what a destination has or
/// may have gets a delete item. Called in the revocation's transaction.
pub fn on_withdrawal(conn: &mut DbConnection, claim_id: &str) -> ApiResult<()> {
    let items = store::items_of_claim(conn, claim_id)?;
    withdraw(conn, items)
}

/// A published activity designated for AMA PRA Category 1 Credit is due in PARS by March 31
/// after it ends (an enduring material: after its release). Called in the publish transaction.
pub fn on_activity_published(conn: &mut DbConnection, activity: &activities::ActivityRow) -> ApiResult<()> {
    let input = activity.input()?;
    let designated: Vec<CreditType> = input.credit_designations.iter().map(|d| d.credit_type).collect();
    if !rules::pars_lists(&designated) || !store::activity_records(conn, &activity.id)?.is_empty() {
        return Ok(());
    }
    // Live: the year it ends; enduring: the year it is released (counts follow yearly).
    let reported_on =
        if input.format.is_live() { activities::rules::end_date(&input) } else { input.release_date };
    let Some(reported_on) = reported_on else { return Ok(()) };
    let maximum =
        input.credit_designations.iter().find(|d| d.credit_type == CreditType::AmaPra1).map(|d| d.max_amount);
    let credit = (CreditType::AmaPra1, maximum.unwrap_or_default(), reported_on);
    let record = due_item(Destination::ParsActivity, &activity.id, credit, rules::activity_due(reported_on));
    store::insert_item(conn, &record)
}

/// A cancelled activity: a PARS record not yet sent is superseded, one sent is deleted.
pub fn on_activity_cancelled(conn: &mut DbConnection, activity_id: &str) -> ApiResult<()> {
    let items = store::activity_records(conn, activity_id)?;
    withdraw(conn, items)
}

/// Supersedes what was not sent and adds a delete for what was.
fn withdraw(conn: &mut DbConnection, items: Vec<ItemRow>) -> ApiResult<()> {
    let at = now();
    for item in items {
        match rules::withdrawal(parse(&item.action)?, parse(&item.status)?) {
            Withdrawal::Nothing => {}
            Withdrawal::Supersede => store::set_status(conn, &item.id, ItemStatus::Superseded)?,
            Withdrawal::Correct => {
                let correction = ItemRow {
                    id: uuid::Uuid::now_v7().to_string(),
                    action: db::enum_text(&ItemAction::Delete),
                    correction_of: Some(item.id.clone()),
                    due_on: rules::correction_due(item.due_on, today()),
                    status: db::enum_text(&ItemStatus::Due),
                    hold_reason: None,
                    rejection: None,
                    batch_id: None,
                    created_at: at,
                    updated_at: at,
                    ..item
                };
                store::insert_item(conn, &correction)?;
            }
        }
    }
    Ok(())
}

// ---- reading ---------------------------------------------------------------------------

/// Where each claim stands with its destinations (none for a claim no board receives), for
/// transcripts and the credit feed, which checked access themselves.
pub fn states(
    conn: &mut DbConnection,
    claim_ids: &[&str],
) -> ApiResult<HashMap<String, Vec<ReportingState>>> {
    by_claim(store::items_of_claims(conn, claim_ids)?)
}

/// Where each of a learner's claims stands with its destinations, for a transcript: one
/// indexed read by learner rather than a list of a thousand claim ids.
pub fn states_of_learner(
    conn: &mut DbConnection,
    user_id: &str,
) -> ApiResult<HashMap<String, Vec<ReportingState>>> {
    by_claim(store::items_of_learner(conn, user_id)?)
}

fn by_claim(items: Vec<store::ItemState>) -> ApiResult<HashMap<String, Vec<ReportingState>>> {
    let mut by_claim: HashMap<String, Vec<ReportingState>> = HashMap::new();
    for row in items {
        let Some(claim_id) = row.claim_id.clone() else { continue };
        let state = ReportingState {
            destination: parse(&row.destination)?,
            action: parse(&row.action)?,
            status: parse(&row.status)?,
            due_on: row.due_on,
            license_state: row.license_state,
        };
        by_claim.entry(claim_id).or_default().push(state);
    }
    Ok(by_claim)
}

#[derive(serde::Serialize, serde::Deserialize)]
struct ItemCursor {
    due_on: NaiveDate,
    id: String,
}

/// Items by due date: administrators and clients with `reporting:read` all, planners their
/// activities'.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    query: &ItemQuery,
) -> ApiResult<pagination::Page<ReportingItem>> {
    let scope = access::reporting_scope(caller, false)?;
    let limit = pagination::limit(query.limit)?;
    let after = pagination::decode_cursor::<ItemCursor>(query.cursor.as_deref())?.map(|c| (c.due_on, c.id));
    let rows = store::list(conn, &scope, query, limit, after)?;
    let key = |row: &ItemRow| ItemCursor { due_on: row.due_on, id: row.id.clone() };
    pagination::paginate(rows, limit, key, to_api).transpose()
}

/// What is due, per destination, as of today.
pub fn deadlines(conn: &mut DbConnection, caller: &Caller) -> ApiResult<Deadlines> {
    let scope = access::reporting_scope(caller, false)?;
    let today = today();
    let week_end = today.checked_add_days(Days::new(7)).unwrap_or(today);
    let mut by_destination: BTreeMap<Destination, DestinationDeadlines> = Destination::ALL
        .into_iter()
        .map(|destination| {
            let counts = DestinationDeadlines {
                destination,
                overdue: 0,
                due_today: 0,
                due_this_week: 0,
                due_later: 0,
                held: 0,
                rejected: 0,
                awaiting_answer: 0,
            };
            (destination, counts)
        })
        .collect();
    for (destination, status, due_on, held, rejected, n) in store::open_counts(conn, &scope)? {
        let destination: Destination = parse(&destination)?;
        let status: ItemStatus = parse(&status)?;
        let Some(counts) = by_destination.get_mut(&destination) else { continue };
        if status == ItemStatus::Submitted {
            counts.awaiting_answer += n;
            continue;
        }
        if due_on < today {
            counts.overdue += n;
        } else if due_on == today {
            counts.due_today += n;
        } else if due_on <= week_end {
            counts.due_this_week += n;
        } else {
            counts.due_later += n;
        }
        if status == ItemStatus::Due {
            counts.held += i64::from(held) * n;
            counts.rejected += i64::from(rejected) * n;
        }
    }
    Ok(Deadlines { today, destinations: by_destination.into_values().collect() })
}

// ---- batches ---------------------------------------------------------------------------

fn batch_api(conn: &mut DbConnection, head: BatchHead, held_back: Vec<HeldItem>) -> ApiResult<Batch> {
    let (accepted, rejected) = store::outcome_counts(conn, &head.id)?;
    Ok(Batch {
        destination: parse(&head.destination)?,
        status: parse(&head.status)?,
        item_count: head.item_count,
        file_name: head.file_name,
        media_type: head.media_type,
        accepted,
        rejected,
        held_back,
        created_at: db::to_utc(head.created_at),
        submitted_at: head.submitted_at.map(db::to_utc),
        completed_at: head.completed_at.map(db::to_utc),
        service_message: head.service_message,
        id: head.id,
    })
}

/// A batch the caller may see: administrators any, planners their own (404 otherwise).
fn visible_batch(conn: &mut DbConnection, caller: &Caller, id: &str, write: bool) -> ApiResult<BatchHead> {
    let scope = access::reporting_scope(caller, write)?;
    let head = store::batch_head(conn, id)?.ok_or(ApiError::NotFound)?;
    match scope {
        ListScope::All => Ok(head),
        _ if head.created_by == caller.actor() => Ok(head),
        _ => Err(ApiError::NotFound),
    }
}

/// The newest 100 batches the caller may see.
pub fn batches(conn: &mut DbConnection, caller: &Caller) -> ApiResult<Vec<Batch>> {
    let actor = caller.actor();
    let created_by = match access::reporting_scope(caller, false)? {
        ListScope::All => None,
        _ => Some(actor.as_str()),
    };
    store::batch_heads(conn, created_by, 100)?
        .into_iter()
        .map(|head| batch_api(conn, head, Vec::new()))
        .collect()
}

pub fn batch(conn: &mut DbConnection, caller: &Caller, id: &str) -> ApiResult<Batch> {
    let head = visible_batch(conn, caller, id, false)?;
    batch_api(conn, head, Vec::new())
}

/// The batch's file: (file name, media type, body).
pub fn batch_file(conn: &mut DbConnection, caller: &Caller, id: &str) -> ApiResult<(String, String, String)> {
    visible_batch(conn, caller, id, false)?;
    store::batch_file(conn, id)?.ok_or(ApiError::NotFound)
}

/// The provider's identifiers from its profile: the ACCME (or Joint Accreditation) provider
/// ID, the ACPE provider number and the CE Broker provider number.
fn provider_ids(conn: &mut DbConnection, settings: &ProviderSettings) -> ApiResult<rules::ProviderIds> {
    let profile = provider::service::profile(conn, settings)?;
    let number = |accreditor: Accreditor| {
        profile
            .accreditations
            .iter()
            .find(|a| a.accreditor == accreditor)
            .and_then(|a| a.provider_number.clone())
    };
    Ok(rules::ProviderIds {
        accme_provider_id: number(Accreditor::Accme).or_else(|| number(Accreditor::JointAccreditation)),
        acpe_provider_number: number(Accreditor::Acpe),
        cebroker_provider_number: profile.cebroker_provider_number.clone(),
        name: profile.legal_name,
    })
}

/// The learners of the items, as destinations identify them (licenses and board ids only
/// where the destination needs them).
fn learners(
    conn: &mut DbConnection,
    items: &[ItemRow],
    destination: Destination,
) -> ApiResult<HashMap<String, rules::Learner>> {
    let mut ids: Vec<&str> = items.iter().filter_map(|i| i.user_id.as_deref()).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut found = HashMap::with_capacity(ids.len());
    if destination == Destination::CpeMonitor {
        for chunk in ids.chunks(5_000) {
            for (id, row) in users::service::accounts(conn, chunk)? {
                let learner = rules::Learner {
                    first_name: row.first_name,
                    last_name: row.last_name,
                    nabp_eprofile_id: row.nabp_eprofile_id,
                    birth_mmdd: row.birth_mmdd,
                    npi: row.npi,
                    ..Default::default()
                };
                found.insert(id, learner);
            }
        }
        return Ok(found);
    }
    for id in ids {
        if let Some(user) = users::service::record(conn, id)? {
            let learner = rules::Learner {
                first_name: user.first_name,
                last_name: user.last_name,
                nabp_eprofile_id: user.nabp_eprofile_id,
                birth_mmdd: user.birth_mmdd,
                npi: user.npi,
                board_ids: user.board_ids,
                licenses: user.state_licenses,
            };
            found.insert(id.to_string(), learner);
        }
    }
    Ok(found)
}

/// An activity as PARS records it, with today's counts and outcomes.
fn pars_facts(
    conn: &mut DbConnection,
    row: &activities::ActivityRow,
    input: &activities::dto::ActivityInput,
) -> ApiResult<rules::ParsFacts> {
    let outcomes = reports::service::outcomes_for_reporting(conn, row)?;
    let today = today();
    let last_day = activities::rules::end_date(input);
    let start = activities::rules::start_date(input).unwrap_or(today);
    let ready = if input.format.is_live() { last_day.is_some_and(|end| end < today) } else { start <= today };
    let reporting = &input.reporting;
    Ok(rules::ParsFacts {
        description: input.description.clone().or_else(|| input.summary.clone()).unwrap_or_default(),
        format: input.format,
        delivery: input.delivery,
        medium: input.medium,
        start,
        end: last_day.unwrap_or(start),
        ready,
        city: reporting.city.clone(),
        state_or_province: reporting.state_or_province.clone(),
        country: reporting.country.clone(),
        joint: input.jointly_provided_with.is_some(),
        commercial_support: input.commercial_support.clone(),
        physicians: outcomes.participation.physicians,
        other_learners: outcomes.participation.other_learners,
        outcomes: outcomes.levels_measured.into_iter().map(|l| (l.level, l.methods)).collect(),
        moc: input
            .credit_designations
            .iter()
            .filter(|d| d.credit_type.is_moc())
            .map(|d| (d.credit_type, d.max_amount, d.moc_credit_types.clone()))
            .collect(),
        moc_practice_areas: reporting.moc_practice_areas.clone(),
        claim_deadline: input.claim_deadline,
        rems: reporting.rems,
    })
}

/// The activities of the items, as destinations identify them.
fn activities_of(
    conn: &mut DbConnection,
    items: &[ItemRow],
    destination: Destination,
) -> ApiResult<HashMap<String, rules::Activity>> {
    let ids: HashSet<&str> = items.iter().map(|i| i.activity_id.as_str()).collect();
    let mut found = HashMap::with_capacity(ids.len());
    for id in ids {
        let row = activities::service::find(conn, id)?;
        let input = row.input()?;
        let pars = match destination {
            Destination::ParsActivity => Some(pars_facts(conn, &row, &input)?),
            _ => None,
        };
        let designation = |t: CreditType| input.credit_designations.iter().find(|d| d.credit_type == t);
        found.insert(
            id.to_string(),
            rules::Activity {
                id: id.to_string(),
                acpe_uan: designation(CreditType::Acpe).and_then(|d| d.acpe_uan.clone()),
                accme_activity_id: input.reporting.accme_activity_id.clone(),
                cebroker_course_number: input.reporting.cebroker_course_number.clone(),
                pars,
                maximums: input.credit_designations.iter().map(|d| (d.credit_type, d.max_amount)).collect(),
                title: input.title,
            },
        );
    }
    Ok(found)
}

/// The item ids a request names that it may not batch: unknown (or not the caller's), of
/// another destination, or not due.
fn unusable(
    conn: &mut DbConnection,
    scope: &ListScope,
    ids: &[String],
    usable: &[ItemRow],
    destination: Destination,
) -> ApiResult<Vec<FieldError>> {
    let usable: HashSet<&str> = usable.iter().map(|i| i.id.as_str()).collect();
    let known: HashMap<String, ItemRow> =
        store::items(conn, scope, ids)?.into_iter().map(|i| (i.id.clone(), i)).collect();
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    for (index, id) in ids.iter().enumerate() {
        let field = format!("item_ids[{index}]");
        if !seen.insert(id.as_str()) {
            errors.push(FieldError::new(field, "duplicate", "named twice"));
        } else if usable.contains(id.as_str()) {
            continue;
        } else if let Some(item) = known.get(id).filter(|i| i.destination == db::enum_text(&destination)) {
            errors.push(FieldError::new(field, "not_due", format!("the item is {}", item.status)));
        } else if known.contains_key(id) {
            errors.push(FieldError::new(field, "other_destination", "the item is for another destination"));
        } else {
            errors.push(FieldError::new(field, "unknown", "no such item"));
        }
    }
    Ok(errors)
}

/// What building a batch came to: a batch, or nothing that could go (every candidate held
/// back, each with its reason, which is kept on the item).
pub enum Built {
    Batch(Batch),
    Nothing(Vec<HeldItem>),
}

/// Freezes a batch: checks every candidate against its destination's requirements, holds
/// back the ones that fail (they stay due with the reason), renders the file of the rest.
pub fn build_batch(
    conn: &mut DbConnection,
    caller: &Caller,
    request: &BatchRequest,
    settings: &ProviderSettings,
) -> ApiResult<Built> {
    let scope = access::reporting_scope(caller, true)?;
    let destination = request.destination;
    let ids = request.item_ids.as_deref();
    let candidates = store::candidates(conn, &scope, destination, ids, request.due_before)?;
    if let Some(ids) = ids {
        ApiError::unless_valid(unusable(conn, &scope, ids, &candidates, destination)?)?;
    }
    let provider = provider_ids(conn, settings)?;
    let learners = learners(conn, &candidates, destination)?;
    let activities = activities_of(conn, &candidates, destination)?;
    let missing_learner = rules::Learner::default();
    let mut held_back = Vec::new();
    let mut records = Vec::with_capacity(candidates.len());
    for item in &candidates {
        let record = rules::Record {
            item_id: &item.id,
            claim_id: item.claim_id.as_deref(),
            action: parse(&item.action)?,
            credit_type: parse(&item.credit_type)?,
            amount: Credits::from_hundredths(item.amount_hundredths),
            completion_date: item.completion_date,
            moc_board: item.moc_board.as_deref(),
            moc_credit_type: item.moc_credit_type.as_deref(),
            license_state: item.license_state.as_deref(),
            learner: item.user_id.as_ref().and_then(|id| learners.get(id)).unwrap_or(&missing_learner),
            activity: activities
                .get(&item.activity_id)
                .ok_or_else(|| ApiError::internal("item without activity"))?,
        };
        let problems = rules::problems(destination, &record, &provider);
        if problems.is_empty() {
            records.push(record);
        } else {
            let reason = problems.join("; ");
            store::hold(conn, &item.id, &reason)?;
            held_back.push(HeldItem { item_id: item.id.clone(), reason });
        }
    }
    if records.is_empty() {
        return Ok(Built::Nothing(held_back));
    }
    // Deletes first: a corrected record is taken back before its replacement arrives.
    records.sort_by_key(|r| r.action != ItemAction::Delete);
    let at = now();
    let batch_id = uuid::Uuid::now_v7().to_string();
    let file = formats::render(destination, &records, &provider, at, &batch_id);
    let item_ids: Vec<String> = records.iter().map(|r| r.item_id.to_string()).collect();
    store::insert_batch(
        conn,
        &BatchRow {
            id: batch_id.clone(),
            destination: db::enum_text(&destination),
            status: db::enum_text(&BatchStatus::Built),
            item_count: item_ids.len() as i32,
            file_name: file.name,
            media_type: file.media_type.to_string(),
            file: file.body,
            created_by: caller.actor(),
            created_at: at,
            submitted_at: None,
            completed_at: None,
            service_message: None,
        },
    )?;
    if store::take_into_batch(conn, &item_ids, &batch_id)? != item_ids.len() {
        // Another batch took some of these items meanwhile: this one is rolled back whole.
        return Err(ApiError::Conflict {
            kind: ProblemType::ConcurrentUpdate,
            detail: "another batch took some of these items; build it again".into(),
        });
    }
    let head = store::batch_head(conn, &batch_id)?.ok_or_else(|| ApiError::internal("batch vanished"))?;
    Ok(Built::Batch(batch_api(conn, head, held_back)?))
}

/// The batch, locked, if it is in `status` (409 naming what it is otherwise).
fn locked_in(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    status: BatchStatus,
) -> ApiResult<BatchHead> {
    visible_batch(conn, caller, id, true)?;
    store::lock_batch(conn, id)?;
    let head = store::batch_head(conn, id)?.ok_or(ApiError::NotFound)?;
    if head.status != db::enum_text(&status) {
        return Err(ApiError::Conflict {
            kind: ProblemType::InvalidTransition,
            detail: format!("the batch is {}; this needs it {}", head.status, db::enum_text(&status)),
        });
    }
    Ok(head)
}

/// The file was sent (uploaded by the CE office): its items await the destination's answer.
pub fn submit(conn: &mut DbConnection, caller: &Caller, id: &str) -> ApiResult<Batch> {
    locked_in(conn, caller, id, BatchStatus::Built)?;
    store::set_batch_status(conn, id, &db::enum_text(&BatchStatus::Submitted), Some(now()), None)?;
    store::move_batch_items(conn, id, ItemStatus::InBatch, ItemStatus::Submitted)?;
    batch(conn, caller, id)
}

/// The batch's destination, whoever may submit it sees (to choose how it is sent).
pub fn destination_of(conn: &mut DbConnection, caller: &Caller, id: &str) -> ApiResult<Destination> {
    parse(&visible_batch(conn, caller, id, true)?.destination)
}

/// Marks a built batch as being sent (so that no other replica sends it too) and returns its
/// file.
pub fn start_sending(conn: &mut DbConnection, caller: &Caller, id: &str) -> ApiResult<String> {
    locked_in(conn, caller, id, BatchStatus::Built)?;
    store::set_batch_status(conn, id, &db::enum_text(&BatchStatus::Sending), None, None)?;
    Ok(store::batch_file(conn, id)?.ok_or(ApiError::NotFound)?.2)
}

/// Sending failed before the destination answered anything: the batch is built again, with
/// the reason.
pub fn sending_failed(conn: &mut DbConnection, caller: &Caller, id: &str, reason: &str) -> ApiResult<()> {
    locked_in(conn, caller, id, BatchStatus::Sending)?;
    store::set_batch_status(conn, id, &db::enum_text(&BatchStatus::Built), None, None)?;
    store::set_service_message(conn, id, reason)
}

/// What the destination's service answered: per item (accepted, or due again with the
/// message; items not reached go back to due), or for the whole upload (accepted, or awaiting
/// answers recorded by hand from the service's message).
pub fn record_sending(conn: &mut DbConnection, caller: &Caller, id: &str, sent: Sent) -> ApiResult<Batch> {
    locked_in(conn, caller, id, BatchStatus::Sending)?;
    let sent_at = Some(now());
    store::move_batch_items(conn, id, ItemStatus::InBatch, ItemStatus::Submitted)?;
    match sent {
        Sent::PerItem { answers, failure } => {
            let answered: HashSet<&str> = answers.iter().map(|(item, _, _)| item.as_str()).collect();
            let unsent: Vec<String> = store::batch_outcomes(conn, id)?
                .into_iter()
                .map(|(item, _)| item)
                .filter(|item| !answered.contains(item.as_str()))
                .collect();
            for (item, accepted, message) in &answers {
                let outcome = if *accepted { Outcome::Accepted } else { Outcome::Rejected };
                store::record_outcome(conn, id, item, &db::enum_text(&outcome), Some(message.as_str()))?;
            }
            if let Some(failure) = failure {
                store::unsend(conn, id, &unsent, &format!("not sent: {failure}"))?;
                store::set_service_message(conn, id, &failure)?;
            }
            store::set_batch_status(conn, id, &db::enum_text(&BatchStatus::Completed), sent_at, sent_at)?;
        }
        Sent::Whole { accepted, message } => {
            store::set_service_message(conn, id, &message)?;
            if accepted {
                for (item, _) in store::batch_outcomes(conn, id)? {
                    store::record_outcome(conn, id, &item, &db::enum_text(&Outcome::Accepted), None)?;
                }
                store::set_batch_status(conn, id, &db::enum_text(&BatchStatus::Completed), sent_at, sent_at)?;
            } else {
                store::set_batch_status(conn, id, &db::enum_text(&BatchStatus::Submitted), sent_at, None)?;
            }
        }
    }
    batch(conn, caller, id)
}

/// Records the destination's answers: accepted items are done, rejected ones due again with
/// the message. The batch completes when every item is answered.
pub fn record_results(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    request: &ResultsRequest,
) -> ApiResult<Batch> {
    let head = locked_in(conn, caller, id, BatchStatus::Submitted)?;
    let mut outcomes: HashMap<String, Option<String>> =
        store::batch_outcomes(conn, id)?.into_iter().collect();
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    for (index, result) in request.results.iter().enumerate() {
        let field = format!("results[{index}]");
        match outcomes.get(&result.item_id) {
            None => errors.push(FieldError::new(
                format!("{field}.item_id"),
                "unknown",
                "the item is not in this batch",
            )),
            Some(Some(_)) => errors.push(FieldError::new(
                format!("{field}.item_id"),
                "already_answered",
                "the answer for this item is recorded",
            )),
            Some(None) if !seen.insert(result.item_id.as_str()) => {
                errors.push(FieldError::new(format!("{field}.item_id"), "duplicate", "named twice"))
            }
            Some(None) => {}
        }
        if result.outcome == Outcome::Rejected && result.message.is_none() {
            errors.push(FieldError::new(
                format!("{field}.message"),
                "required",
                "say what the destination answered",
            ));
        }
    }
    ApiError::unless_valid(errors)?;
    for result in &request.results {
        let outcome = db::enum_text(&result.outcome);
        store::record_outcome(conn, id, &result.item_id, &outcome, result.message.as_deref())?;
        outcomes.insert(result.item_id.clone(), Some(outcome));
    }
    if outcomes.values().all(Option::is_some) {
        store::set_batch_status(
            conn,
            id,
            &db::enum_text(&BatchStatus::Completed),
            head.submitted_at,
            Some(now()),
        )?;
    }
    batch(conn, caller, id)
}
