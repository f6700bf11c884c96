//! The catalog's use cases: one public function each, run by the handler inside one database
//! call (`db::run` for reads, `db::write`, one transaction, for changes). Each takes the caller,
//! asks [`crate::access`] what they may do, and returns API values.
//!
//! The catalog knows nothing of enrollments: what a capacity change or a close means for the
//! learners is an [`ActivityEffects`] that the application wires in (`enrollments` provides it),
//! run in the same transaction.

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::webhooks::EventType;
use crate::{
    access::{self, Relation},
    activities::{
        dto::{
            Activity, ActivityInput, ActivityListQuery, ActivityStatus, ActivityView, DisclosedPerson,
            DisclosureSummary, Term,
        },
        held_views::HeldViews,
        revalidation::{CatalogMark, Revalidation},
        rules, sessions,
        store::{self, ActivityRow},
    },
    auth::Caller,
    db::DbConnection,
    error::{ApiError, ApiResult, ProblemType},
    http::{
        etag::{self, Precondition},
        json, pagination,
    },
};

/// What changes to an activity mean beyond the catalog, run inside the change's transaction.
pub trait ActivityEffects: Send + Sync {
    /// The capacity changed: seats may have opened for the waitlist.
    fn capacity_changed(&self, conn: &mut DbConnection, activity: &ActivityRow) -> ApiResult<()>;
    /// A live activity closed: attendance is settled.
    fn live_activity_closed(&self, conn: &mut DbConnection, activity: &ActivityRow) -> ApiResult<()>;
    /// Which outcome surveys the activity has (publishing checks its requirements can be met).
    fn outcome_measures(
        &self,
        conn: &mut DbConnection,
        activity_id: &str,
    ) -> ApiResult<rules::OutcomeMeasures>;
    /// The title or format changed: what shows them beside the activity's credit follows.
    fn retitled(&self, conn: &mut DbConnection, activity: &ActivityRow) -> ApiResult<()>;
    /// The activity was published or cancelled: what the boards must hear of it.
    fn status_changed(
        &self,
        conn: &mut DbConnection,
        activity: &ActivityRow,
        to: ActivityStatus,
    ) -> ApiResult<()>;
}

/// The activity if the caller may see it (drafts: its planners and administrators); 404
/// otherwise. Clients need `activities:read`.
pub fn visible(conn: &mut DbConnection, caller: Option<&Caller>, id: &str) -> ApiResult<ActivityRow> {
    access::catalog_view(caller)?;
    let activity = store::find(conn, id)?.ok_or(ApiError::NotFound)?;
    draft_visible(conn, caller, activity)
}

/// As [`visible`], for an activity already read (with a lock, say).
pub fn check_visible(
    conn: &mut DbConnection,
    caller: Option<&Caller>,
    activity: ActivityRow,
) -> ApiResult<ActivityRow> {
    access::catalog_view(caller)?;
    draft_visible(conn, caller, activity)
}

/// A draft only for those who may see it (404 for anyone else).
fn draft_visible(
    conn: &mut DbConnection,
    caller: Option<&Caller>,
    activity: ActivityRow,
) -> ApiResult<ActivityRow> {
    let is_draft = activity.status()? == ActivityStatus::Draft;
    if is_draft {
        let relation = match caller {
            Some(caller) => Relation::of(conn, caller, &activity.id)?,
            None => return Err(ApiError::NotFound),
        };
        access::may_see_activity(&relation, is_draft).check()?;
    }
    Ok(activity)
}

/// The activity if the caller may change it: administrators and its planners. Others get 404
/// when they cannot see it and 403 when they can.
pub fn editable(conn: &mut DbConnection, caller: &Caller, id: &str) -> ApiResult<ActivityRow> {
    let activity = visible(conn, Some(caller), id)?;
    access::may_change_activity(&Relation::of(conn, caller, &activity.id)?).check()?;
    Ok(activity)
}

/// The activity as stored, whoever asks (for other resources that check access themselves).
pub fn find(conn: &mut DbConnection, id: &str) -> ApiResult<ActivityRow> {
    store::find(conn, id)?.ok_or(ApiError::NotFound)
}

/// Full validation of a document: field rules, cross-field rules, vocabulary codes, and
/// designations that fit the schedule (its sessions once it has some).
fn check_document(conn: &mut DbConnection, input: &ActivityInput, id: Option<&str>) -> ApiResult<()> {
    let mut errors = rules::check_activity(input, crate::db::now_utc().date_naive());
    errors.extend(store::unknown_codes(conn, input)?);
    let sessions = match id {
        Some(id) => session_windows(conn, id)?,
        None => Vec::new(),
    };
    errors.extend(rules::designation_fits_schedule(input, &sessions));
    ApiError::unless_valid(errors)
}

/// A page of the catalog as the caller may see it.
///
/// Each item is the view's JSON as stored when the activity was last written (summaries get
/// `seats_left` from the seat counter), so a page costs one query and a copy.
pub fn list(
    conn: &mut DbConnection,
    caller: Option<&Caller>,
    query: &ActivityListQuery,
    views: &HeldViews,
) -> ApiResult<pagination::RawPage> {
    let (rows, limit) = listed_rows(conn, caller, query, false)?;
    page_from(conn, caller, query, views, (rows, limit))
}

/// The page of `listed` (its rows read without views). The views come from this replica's
/// memory when it holds each at its version, so that the page's query read no view (see
/// `held_views`); otherwise the page is read again with its views, and they are kept.
fn page_from(
    conn: &mut DbConnection,
    caller: Option<&Caller>,
    query: &ActivityListQuery,
    views: &HeldViews,
    (rows, limit): (Vec<store::ListedRow>, i64),
) -> ApiResult<pagination::RawPage> {
    let view = query.view.unwrap_or_default();
    let shown = rows.iter().take(limit.max(0) as usize);
    let held: Option<Vec<_>> = shown.map(|row| views.get(view, &row.id, row.version)).collect();
    if let Some(held) = held {
        // `paginate` turns the rows shown into items in order: the same rows, one by one.
        let mut held = held.into_iter();
        return page_of(rows, limit, query, |row| {
            let text = held.next().ok_or_else(|| ApiError::internal("a held view is missing"))?;
            Ok(served(text.to_string(), &row, view))
        });
    }
    let (rows, limit) = listed_rows(conn, caller, query, true)?;
    page_of(rows, limit, query, |mut row| {
        let stored = stored_json(conn, &mut row, view)?;
        views.keep(view, &row.id, row.version, &stored);
        Ok(served(stored, &row, view))
    })
}

/// The page of `rows` (one more than `limit` when another page follows), each shown row made
/// an item by `item`, with its tag and cursor.
fn page_of(
    rows: Vec<store::ListedRow>,
    limit: i64,
    query: &ActivityListQuery,
    item: impl FnMut(store::ListedRow) -> ApiResult<String>,
) -> ApiResult<pagination::RawPage> {
    let by_change = query.updated_since.is_some();
    let tag = page_tag(&rows, limit, by_change, query.view.unwrap_or_default());
    let key = |row: &store::ListedRow| store::ActivityCursor {
        at: if by_change { row.updated_at } else { row.sort_at },
        id: row.id.clone(),
    };
    let page = pagination::paginate(rows, limit, key, item);
    let data = page.data.into_iter().collect::<ApiResult<Vec<String>>>()?;
    Ok(pagination::RawPage { data, next_cursor: page.next_cursor, tag })
}

/// An anonymous page request this replica remembers the answer to (see `revalidation`).
pub struct Remembered<'a> {
    pub memory: &'a Revalidation,
    pub key: &'a str,
    /// When the request arrived: what the catalog mark read for it is at least as recent as.
    pub now: DateTime<Utc>,
}

/// A catalog page, or `Err(tag)` when `if_none_match` names the page as it stands (304).
///
/// A revalidation first reads only the page's ids, versions and seats, and the views when the
/// page changed and this replica does not hold them. For a remembered anonymous page, the
/// catalog's change mark comes first: an unchanged mark confirms the page without reading it,
/// and the answer is remembered at the mark seen before it was read.
pub fn list_unless_current(
    conn: &mut DbConnection,
    caller: Option<&Caller>,
    query: &ActivityListQuery,
    if_none_match: Option<&str>,
    remembered: Option<Remembered<'_>>,
    views: &HeldViews,
) -> ApiResult<Result<pagination::RawPage, String>> {
    let mark = match &remembered {
        Some(page) => Some(known_mark(conn, page)?),
        None => None,
    };
    if let (Some(page), Some(mark), Some(candidates)) = (&remembered, mark, if_none_match) {
        if let Some(tag) = page.memory.confirmed(page.key, candidates, mark) {
            return Ok(Err(tag));
        }
    }
    let answer = match if_none_match {
        Some(candidates) => {
            let (rows, limit) = listed_rows(conn, caller, query, false)?;
            let tag = page_tag(&rows, limit, query.updated_since.is_some(), query.view.unwrap_or_default());
            if etag::names(candidates, &tag) {
                Err(tag)
            } else {
                Ok(page_from(conn, caller, query, views, (rows, limit))?)
            }
        }
        None => Ok(list(conn, caller, query, views)?),
    };
    if let (Some(page), Some(mark)) = (remembered, mark) {
        let tag = match &answer {
            Ok(listed) => listed.tag.clone(),
            Err(tag) => tag.clone(),
        };
        page.memory.remember(page.key.to_string(), tag, mark);
    }
    Ok(answer)
}

/// The catalog mark seen within the revalidation window, or read now.
fn known_mark(conn: &mut DbConnection, page: &Remembered<'_>) -> ApiResult<CatalogMark> {
    if let Some(mark) = page.memory.fresh_mark(page.now) {
        return Ok(mark);
    }
    let mark = catalog_mark(conn)?;
    page.memory.saw(mark, page.now);
    Ok(mark)
}

/// Where the catalog stands: a value that differs after any committed change to an activity,
/// its seats included (see `store::catalog_mark`).
pub fn catalog_mark(conn: &mut DbConnection) -> ApiResult<CatalogMark> {
    store::catalog_mark(conn)
}

fn listed_rows(
    conn: &mut DbConnection,
    caller: Option<&Caller>,
    query: &ActivityListQuery,
    with_views: bool,
) -> ApiResult<(Vec<store::ListedRow>, i64)> {
    let catalog = access::catalog_view(caller)?;
    let limit = pagination::limit(query.limit)?;
    let after = pagination::decode_cursor::<store::ActivityCursor>(query.cursor.as_deref())?;
    Ok((store::list(conn, query, &catalog, limit, after, with_views)?, limit))
}

/// A page's strong validator. Its body is a function of the view, each item's id, version and
/// seats left, and whether (and after which row) another page follows; views are rendered from
/// the stored row at each version by this release's code, so the release is part of it too.
fn page_tag(rows: &[store::ListedRow], limit: i64, by_change: bool, view: ActivityView) -> String {
    let shown = rows.iter().take(limit.max(0) as usize);
    let items: Vec<rules::PageItem<'_>> = shown
        .map(|row| rules::PageItem {
            id: &row.id,
            version: row.version,
            seats_left: rules::seats_left(row.capacity, row.seats_taken),
            at: if by_change { row.updated_at } else { row.sort_at },
        })
        .collect();
    rules::page_tag(env!("CARGO_PKG_VERSION"), view, &items, rows.len() as i64 > limit)
}

/// One catalog item's stored view as JSON text, rendered now only for a row stored before
/// views were (until `render_missing_views` reaches it).
fn stored_json(conn: &mut DbConnection, row: &mut store::ListedRow, view: ActivityView) -> ApiResult<String> {
    if let Some(json) = row.view_json.take() {
        return Ok(json);
    }
    let activity = store::find(conn, &row.id)?.ok_or(ApiError::NotFound)?;
    let (listing, document) = store::rendered_views(&activity)?;
    Ok(match view {
        ActivityView::Full => document,
        ActivityView::Summary => listing,
    })
}

/// A stored view as a page serves it: a summary with the row's seats left added.
fn served(stored: String, row: &store::ListedRow, view: ActivityView) -> String {
    match view {
        ActivityView::Full => stored,
        ActivityView::Summary => {
            rules::with_seats_left(stored, rules::seats_left(row.capacity, row.seats_taken))
        }
    }
}

/// Renders the catalog views of activities stored before views were, a batch at a time (run
/// at startup; any replica may, the result is the same).
pub fn render_missing_views(conn: &mut DbConnection) -> ApiResult<usize> {
    let mut total = 0;
    loop {
        let done = crate::db::write_transaction(conn, |conn| store::render_missing_views(conn, 200))?;
        total += done;
        if done < 200 {
            return Ok(total);
        }
    }
}

/// A new draft; the creator may edit it.
pub fn create(conn: &mut DbConnection, caller: &Caller, input: &ActivityInput) -> ApiResult<Activity> {
    access::may_create_activity(caller).check()?;
    let creator = caller.user_id().unwrap_or_default();
    check_document(conn, input, None)?;
    store::insert(conn, input, creator)?.into_api()
}

pub fn get(conn: &mut DbConnection, caller: Option<&Caller>, id: &str) -> ApiResult<Activity> {
    visible(conn, caller, id)?.into_api()
}

/// Applies a JSON Merge Patch to the document and validates the result as a whole, so a patch
/// can never leave an activity that a POST would refuse.
pub fn patch(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    precondition: Precondition,
    patch: &serde_json::Value,
    effects: &dyn ActivityEffects,
) -> ApiResult<Activity> {
    let current = editable(conn, caller, id)?;
    precondition.check(current.version)?;
    let status = current.status()?;
    if matches!(status, ActivityStatus::Cancelled | ActivityStatus::Archived) {
        return Err(ApiError::Conflict {
            kind: ProblemType::ActivityFinished,
            detail: "cancelled and archived activities cannot change".into(),
        });
    }
    let before = current.input()?;
    let after: ActivityInput = json::patched(&before, patch)?;
    if status != ActivityStatus::Draft && after.credit_designations != before.credit_designations {
        return Err(ApiError::Conflict {
            kind: ProblemType::DesignationsLocked,
            detail: "credit designations are set before the activity and cannot change after publishing"
                .into(),
        });
    }
    check_document(conn, &after, Some(&current.id))?;
    let saved = store::replace(conn, &current, &after)?;
    if after.capacity != before.capacity {
        effects.capacity_changed(conn, &saved)?;
    }
    if after.title != before.title || after.format != before.format {
        effects.retitled(conn, &saved)?;
    }
    if status == ActivityStatus::Published {
        announce(conn, EventType::ActivityUpdated, &saved)?;
    }
    saved.into_api()
}

/// A life-cycle step: from which states to which, and what must hold first.
pub struct Transition {
    from: &'static [ActivityStatus],
    to: ActivityStatus,
    gate: Gate,
}

pub const PUBLISH: Transition =
    Transition { from: &[ActivityStatus::Draft], to: ActivityStatus::Published, gate: Gate::Publishable };
pub const CLOSE: Transition =
    Transition { from: &[ActivityStatus::Published], to: ActivityStatus::Closed, gate: Gate::None };
pub const ARCHIVE: Transition =
    Transition { from: &[ActivityStatus::Closed], to: ActivityStatus::Archived, gate: Gate::None };
pub const CANCEL: Transition = Transition {
    from: &[ActivityStatus::Draft, ActivityStatus::Published],
    to: ActivityStatus::Cancelled,
    gate: Gate::None,
};

/// What a transition checks before it happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    None,
    /// Accreditation requirements, and that every completion requirement can be met.
    Publishable,
}

/// Moves an activity along `step`. Closing a live activity settles its attendance.
pub fn transition(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    precondition: Precondition,
    step: &Transition,
    effects: &dyn ActivityEffects,
) -> ApiResult<Activity> {
    let current = editable(conn, caller, id)?;
    precondition.check(current.version)?;
    let status = current.status()?;
    if !step.from.contains(&status) {
        return Err(ApiError::Conflict {
            kind: ProblemType::InvalidTransition,
            detail: format!(
                "a {} activity cannot become {}",
                store::status_str(status),
                store::status_str(step.to)
            ),
        });
    }
    let input = current.input()?;
    if step.gate == Gate::Publishable {
        ensure_publishable(conn, &current, &input, effects)?;
    }
    let saved = store::set_status(conn, &current, step.to)?;
    if step.to == ActivityStatus::Closed && input.format.is_live() {
        effects.live_activity_closed(conn, &saved)?;
    }
    effects.status_changed(conn, &saved, step.to)?;
    let announced = match step.to {
        ActivityStatus::Published => Some(EventType::ActivityPublished),
        ActivityStatus::Cancelled if status == ActivityStatus::Published => {
            Some(EventType::ActivityCancelled)
        }
        _ => None,
    };
    if let Some(event) = announced {
        announce(conn, event, &saved)?;
    }
    saved.into_api()
}

/// Reports a change of a public activity to the webhook endpoints that listen, in this
/// transaction (drafts are nobody's business outside the program).
fn announce(conn: &mut DbConnection, event: EventType, saved: &ActivityRow) -> ApiResult<()> {
    crate::webhooks::service::publish(conn, event, |_| {
        crate::webhooks::service::json(&saved.clone().into_api()?)
    })
}

fn session_windows(
    conn: &mut DbConnection,
    activity_id: &str,
) -> ApiResult<Vec<(NaiveDateTime, NaiveDateTime)>> {
    Ok(sessions::service::of_activity(conn, activity_id)?.iter().map(|s| (s.starts_at, s.ends_at)).collect())
}

fn ensure_publishable(
    conn: &mut DbConnection,
    activity: &ActivityRow,
    input: &ActivityInput,
    effects: &dyn ActivityEffects,
) -> ApiResult<()> {
    let mut blockers = rules::publish_blockers(input, crate::db::now_utc());
    let rows = sessions::service::of_activity(conn, &activity.id)?;
    let sessions: Vec<_> = rows.iter().map(|s| (s.starts_at, s.ends_at)).collect();
    let measures = effects.outcome_measures(conn, &activity.id)?;
    blockers.extend(rules::readiness_blockers(input, &sessions, measures));
    let presenters: Vec<Vec<String>> = rows.iter().map(|s| s.input().presenters).collect();
    blockers.extend(rules::undisclosed_presenters(input, &presenters));
    if blockers.is_empty() {
        return Ok(());
    }
    Err(ApiError::Rule {
        kind: ProblemType::NotPublishable,
        title: "The activity is not ready to publish",
        detail: format!("{} accreditation requirement(s) are missing", blockers.len()),
        errors: blockers,
    })
}

/// What learners must be shown before the activity.
pub fn disclosures(
    conn: &mut DbConnection,
    caller: Option<&Caller>,
    id: &str,
) -> ApiResult<DisclosureSummary> {
    let row = visible(conn, caller, id)?;
    let input = row.input()?;
    let people: Vec<DisclosedPerson> = input
        .people
        .iter()
        .map(|person| {
            let relationships =
                person.disclosure.as_ref().map(|d| d.relationships.clone()).unwrap_or_default();
            let mitigated = person
                .disclosure
                .as_ref()
                .filter(|d| d.has_relationships)
                .map(|d| d.relevant != Some(true) || d.mitigation.is_some());
            DisclosedPerson { name: person.name.clone(), role: person.role, relationships, mitigated }
        })
        .collect();
    let statement = if people.iter().all(|p| p.relationships.is_empty()) {
        "None of the planners, faculty or reviewers of this activity has a relevant financial relationship \
         with an ineligible company."
    } else {
        "The relationships listed were disclosed by the people named; all relevant financial relationships \
         have been mitigated."
    };
    Ok(DisclosureSummary {
        activity_id: row.id,
        title: input.title,
        people,
        commercial_support: input.commercial_support,
        statement: statement.to_string(),
    })
}

pub fn specialties(conn: &mut DbConnection) -> ApiResult<Vec<Term>> {
    let rows = store::specialties(conn)?;
    Ok(rows.into_iter().map(|(code, name, parent_code)| Term { code, name, parent_code }).collect())
}

pub fn topics(conn: &mut DbConnection) -> ApiResult<Vec<Term>> {
    let rows = store::topics(conn)?;
    Ok(rows.into_iter().map(|(code, name)| Term { code, name, parent_code: None }).collect())
}
