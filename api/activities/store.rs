//! Queries of activities. The whole activity document is stored as JSON in `details`; the
//! columns and the `activity_*` tables index what the catalog filters and sorts on, and are
//! rewritten from the document on every write (one function, one transaction).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::{
    access::CatalogView,
    activities::{
        dto::{
            Activity, ActivityInput, ActivityListQuery, ActivityStatus, ActivityView, CreditType, PersonRole,
        },
        revalidation::CatalogMark,
        rules,
    },
    db::keyset,
    db::{
        now,
        schema::{
            activities, activity_credit_designations, activity_people, activity_professions,
            activity_specialties, activity_topics, specialties, topics,
        },
        to_utc, DbConnection,
    },
    error::{ApiError, ApiResult, FieldError},
    users::dto::Profession,
};

/// Of a stored document, only what eligibility for credit turns on (the rest is skipped).
#[derive(serde::Deserialize)]
struct Designations {
    /// Defaulted as `ActivityInput` defaults it.
    #[serde(default)]
    credit_designations: Vec<Designated>,
}

#[derive(serde::Deserialize)]
struct Designated {
    credit_type: CreditType,
    #[serde(default)]
    eligible_professions: Vec<Profession>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = activities, treat_none_as_null = true)]
pub struct ActivityRow {
    pub id: String,
    pub title: String,
    pub title_search: String,
    pub format: String,
    pub status: String,
    pub time_zone: String,
    pub starts_at: Option<NaiveDateTime>,
    pub ends_at: Option<NaiveDateTime>,
    pub release_date: Option<NaiveDate>,
    pub expiry_date: Option<NaiveDate>,
    pub sort_at: NaiveDateTime,
    pub capacity: Option<i32>,
    pub registration_opens_at: Option<NaiveDateTime>,
    pub registration_closes_at: Option<NaiveDateTime>,
    pub claim_deadline: Option<NaiveDate>,
    pub details: String,
    pub created_by: String,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub published_at: Option<NaiveDateTime>,
}

pub fn status_str(status: ActivityStatus) -> &'static str {
    match status {
        ActivityStatus::Draft => "draft",
        ActivityStatus::Published => "published",
        ActivityStatus::Closed => "closed",
        ActivityStatus::Archived => "archived",
        ActivityStatus::Cancelled => "cancelled",
    }
}

impl ActivityRow {
    pub fn status(&self) -> ApiResult<ActivityStatus> {
        Ok(crate::db::parse_enum_text(&self.status)?)
    }

    pub fn input(&self) -> ApiResult<ActivityInput> {
        serde_json::from_str(&self.details).map_err(ApiError::internal)
    }

    /// The credit types a learner of `profession` may claim, read from the document's
    /// designations alone: every enrollment is answered with them, and parsing the whole
    /// document for them cost a tenth of an enrollment's time in the SQLite writer.
    pub fn eligible_credit_types(&self, profession: Option<Profession>) -> ApiResult<Vec<CreditType>> {
        if profession.is_none() {
            return Ok(Vec::new());
        }
        let document: Designations = serde_json::from_str(&self.details).map_err(ApiError::internal)?;
        let designated =
            document.credit_designations.iter().map(|d| (d.credit_type, d.eligible_professions.as_slice()));
        Ok(rules::eligible_among(designated, profession))
    }

    pub fn into_api(self) -> ApiResult<Activity> {
        let details = self.input()?;
        Ok(Activity {
            status: self.status()?,
            effective_claim_deadline: rules::effective_claim_deadline(&details),
            details,
            id: self.id,
            created_by: self.created_by,
            version: self.version,
            created_at: to_utc(self.created_at),
            updated_at: to_utc(self.updated_at),
            published_at: self.published_at.map(to_utc),
        })
    }
}

/// The row for `input`, keeping identity and history fields from `base`.
fn row_for(input: &ActivityInput, base: RowBase) -> ApiResult<ActivityRow> {
    let sort_at = input
        .starts_at
        .map(|t| t.naive_utc())
        .or_else(|| input.release_date.and_then(|d| d.and_hms_opt(0, 0, 0)))
        .unwrap_or(base.created_at);
    Ok(ActivityRow {
        id: base.id,
        title: input.title.trim().to_string(),
        title_search: input.title.trim().to_lowercase(),
        format: crate::db::enum_text(&input.format),
        status: base.status,
        time_zone: input.time_zone.clone(),
        starts_at: input.starts_at.map(|t| t.naive_utc()),
        ends_at: input.ends_at.map(|t| t.naive_utc()),
        release_date: input.release_date,
        expiry_date: input.expiry_date,
        sort_at,
        capacity: input.capacity.map(|c| c as i32),
        registration_opens_at: input.registration_opens_at.map(|t| t.naive_utc()),
        registration_closes_at: input.registration_closes_at.map(|t| t.naive_utc()),
        claim_deadline: input.claim_deadline,
        details: serde_json::to_string(input).map_err(ApiError::internal)?,
        created_by: base.created_by,
        version: base.version,
        created_at: base.created_at,
        updated_at: base.updated_at,
        published_at: base.published_at,
    })
}

struct RowBase {
    id: String,
    status: String,
    created_by: String,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    published_at: Option<NaiveDateTime>,
}

/// Codes that are not in the controlled vocabularies, as field errors.
pub fn unknown_codes(conn: &mut DbConnection, input: &ActivityInput) -> ApiResult<Vec<FieldError>> {
    let known_specialties: Vec<String> = specialties::table
        .filter(specialties::code.eq_any(&input.specialties))
        .select(specialties::code)
        .load(conn)?;
    let known_topics: Vec<String> =
        topics::table.filter(topics::code.eq_any(&input.topics)).select(topics::code).load(conn)?;
    let mut errors = Vec::new();
    for (index, code) in input.specialties.iter().enumerate() {
        if !known_specialties.contains(code) {
            errors.push(FieldError::new(
                format!("specialties[{index}]"),
                "unknown_code",
                "not a specialty code (see GET /v1/specialties)",
            ));
        }
    }
    for (index, code) in input.topics.iter().enumerate() {
        if !known_topics.contains(code) {
            errors.push(FieldError::new(
                format!("topics[{index}]"),
                "unknown_code",
                "not a topic code (see GET /v1/topics)",
            ));
        }
    }
    Ok(errors)
}

pub fn insert(conn: &mut DbConnection, input: &ActivityInput, created_by: &str) -> ApiResult<ActivityRow> {
    let now = now();
    let row = row_for(
        input,
        RowBase {
            id: uuid::Uuid::now_v7().to_string(),
            status: status_str(ActivityStatus::Draft).into(),
            created_by: created_by.into(),
            version: 1,
            created_at: now,
            updated_at: now,
            published_at: None,
        },
    )?;
    let (listing, document) = rendered_views(&row)?;
    diesel::insert_into(activities::table)
        .values((&row, activities::summary_json.eq(listing), activities::document_json.eq(document)))
        .execute(conn)?;
    write_indexes(conn, &row.id, input)?;
    Ok(row)
}

/// Replaces the document under optimistic concurrency: only one writer of a version wins.
pub fn replace(
    conn: &mut DbConnection,
    current: &ActivityRow,
    input: &ActivityInput,
) -> ApiResult<ActivityRow> {
    let row = row_for(
        input,
        RowBase {
            id: current.id.clone(),
            status: current.status.clone(),
            created_by: current.created_by.clone(),
            version: current.version + 1,
            created_at: current.created_at,
            updated_at: now().max(current.updated_at),
            published_at: current.published_at,
        },
    )?;
    save_if_version(conn, &row, current.version)?;
    write_indexes(conn, &row.id, input)?;
    Ok(row)
}

/// Moves the activity to `status`, under the same version check as any change.
pub fn set_status(
    conn: &mut DbConnection,
    current: &ActivityRow,
    status: ActivityStatus,
) -> ApiResult<ActivityRow> {
    let mut row = current.clone();
    row.status = status_str(status).into();
    row.version = current.version + 1;
    row.updated_at = now().max(current.updated_at);
    if status == ActivityStatus::Published && row.published_at.is_none() {
        row.published_at = Some(row.updated_at);
    }
    save_if_version(conn, &row, current.version)?;
    Ok(row)
}

/// Saves `row` and its rendered views if the stored version is still `expected`.
fn save_if_version(conn: &mut DbConnection, row: &ActivityRow, expected: i32) -> ApiResult<()> {
    let (listing, document) = rendered_views(row)?;
    let updated = diesel::update(
        activities::table.filter(activities::id.eq(&row.id)).filter(activities::version.eq(expected)),
    )
    .set((row, activities::summary_json.eq(listing), activities::document_json.eq(document)))
    .execute(conn)?;
    if updated == 0 {
        return Err(ApiError::PreconditionFailed);
    }
    Ok(())
}

fn write_indexes(conn: &mut DbConnection, id: &str, input: &ActivityInput) -> ApiResult<()> {
    diesel::delete(
        activity_credit_designations::table.filter(activity_credit_designations::activity_id.eq(id)),
    )
    .execute(conn)?;
    diesel::delete(activity_specialties::table.filter(activity_specialties::activity_id.eq(id)))
        .execute(conn)?;
    diesel::delete(activity_topics::table.filter(activity_topics::activity_id.eq(id))).execute(conn)?;
    diesel::delete(activity_professions::table.filter(activity_professions::activity_id.eq(id)))
        .execute(conn)?;
    diesel::delete(activity_people::table.filter(activity_people::activity_id.eq(id))).execute(conn)?;
    for (position, designation) in input.credit_designations.iter().enumerate() {
        diesel::insert_into(activity_credit_designations::table)
            .values((
                activity_credit_designations::activity_id.eq(id),
                activity_credit_designations::credit_type.eq(crate::db::enum_text(&designation.credit_type)),
                activity_credit_designations::position.eq(position as i32),
                activity_credit_designations::max_amount_hundredths.eq(designation.max_amount.hundredths()),
                activity_credit_designations::acpe_uan.eq(&designation.acpe_uan),
                activity_credit_designations::eligible_professions.eq(designation
                    .eligible_professions
                    .iter()
                    .map(crate::db::enum_text)
                    .collect::<Vec<_>>()
                    .join(",")),
            ))
            .execute(conn)?;
    }
    for code in &input.specialties {
        diesel::insert_into(activity_specialties::table)
            .values((activity_specialties::activity_id.eq(id), activity_specialties::code.eq(code)))
            .execute(conn)?;
    }
    for code in &input.topics {
        diesel::insert_into(activity_topics::table)
            .values((activity_topics::activity_id.eq(id), activity_topics::code.eq(code)))
            .execute(conn)?;
    }
    let mut professions: Vec<String> = input.target_professions.iter().map(crate::db::enum_text).collect();
    professions.sort();
    professions.dedup();
    for profession in professions {
        diesel::insert_into(activity_professions::table)
            .values((
                activity_professions::activity_id.eq(id),
                activity_professions::profession.eq(profession),
            ))
            .execute(conn)?;
    }
    for (position, person) in input.people.iter().enumerate() {
        diesel::insert_into(activity_people::table)
            .values((
                activity_people::activity_id.eq(id),
                activity_people::position.eq(position as i32),
                activity_people::role.eq(crate::db::enum_text(&person.role)),
                activity_people::name.eq(&person.name),
                activity_people::user_id.eq(&person.user_id),
                activity_people::disclosure
                    .eq(person.disclosure.as_ref().and_then(|d| serde_json::to_string(d).ok())),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The catalog views of `row` as JSON text: its listing (the summary but `seats_left`) and the
/// whole activity. Stored beside the document on every write, so pages are written from them.
pub fn rendered_views(row: &ActivityRow) -> ApiResult<(String, String)> {
    let activity = row.clone().into_api()?;
    let listing = serde_json::to_string(&rules::listing(&activity)).map_err(ApiError::internal)?;
    let document = serde_json::to_string(&activity).map_err(ApiError::internal)?;
    Ok((listing, document))
}

/// Renders the views of up to `limit` activities that have none (rows written before views
/// were stored). Returns how many.
pub fn render_missing_views(conn: &mut DbConnection, limit: i64) -> ApiResult<usize> {
    let rows: Vec<ActivityRow> = activities::table
        .filter(activities::summary_json.is_null().or(activities::document_json.is_null()))
        .select(ActivityRow::as_select())
        .limit(limit)
        .load(conn)?;
    for row in &rows {
        let (listing, document) = rendered_views(row)?;
        diesel::update(activities::table.find(&row.id))
            .set((activities::summary_json.eq(listing), activities::document_json.eq(document)))
            .execute(conn)?;
    }
    Ok(rows.len())
}

pub fn find(conn: &mut DbConnection, id: &str) -> ApiResult<Option<ActivityRow>> {
    Ok(activities::table.find(id).select(ActivityRow::as_select()).first(conn).optional()?)
}

/// Catalog order key (or change order key with `updated_since`).
#[derive(serde::Serialize, serde::Deserialize)]
pub struct ActivityCursor {
    pub at: NaiveDateTime,
    pub id: String,
}

/// A catalog page's row: its keys, version, seats and the stored JSON of the view asked for
/// (`None` when the views were not asked for, or for a row written before views were stored).
#[derive(Debug, Queryable)]
pub struct ListedRow {
    pub id: String,
    #[diesel(deserialize_as = crate::db::stamp::Stamp)]
    pub sort_at: NaiveDateTime,
    #[diesel(deserialize_as = crate::db::stamp::Stamp)]
    pub updated_at: NaiveDateTime,
    pub version: i32,
    pub capacity: Option<i32>,
    pub seats_taken: i32,
    pub view_json: Option<String>,
}

type ViewColumn = Box<
    dyn diesel::expression::BoxableExpression<
        activities::table,
        <DbConnection as diesel::Connection>::Backend,
        SqlType = diesel::sql_types::Nullable<diesel::sql_types::Text>,
    >,
>;

/// A catalog page's rows (one more than `limit`, to tell whether another page follows); with
/// `with_views` false, without their JSON: what revalidating a page needs.
pub fn list(
    conn: &mut DbConnection,
    query: &ActivityListQuery,
    catalog: &CatalogView,
    limit: i64,
    after: Option<ActivityCursor>,
    with_views: bool,
) -> ApiResult<Vec<ListedRow>> {
    let view_json: ViewColumn = match (with_views, query.view.unwrap_or_default()) {
        // A bound NULL, not an SQL literal: a statement holding a literal is never cached.
        (false, _) => {
            Box::new(None::<String>.into_sql::<diesel::sql_types::Nullable<diesel::sql_types::Text>>())
        }
        (true, ActivityView::Summary) => Box::new(activities::summary_json),
        (true, ActivityView::Full) => Box::new(activities::document_json),
    };
    let columns = (
        activities::id,
        activities::sort_at,
        activities::updated_at,
        activities::version,
        activities::capacity,
        activities::seats_taken,
        view_json,
    );
    let mut select = activities::table.select(columns).into_boxed();
    match catalog {
        CatalogView::Public => {
            select = select.filter(activities::status.eq(status_str(ActivityStatus::Published)))
        }
        CatalogView::Planner(user_id) => {
            let own_drafts = activity_people::table
                .filter(activity_people::user_id.eq(user_id.clone()))
                .filter(activity_people::role.eq(crate::db::enum_text(&PersonRole::Planner)))
                .select(activity_people::activity_id);
            select = select.filter(
                activities::status
                    .ne(status_str(ActivityStatus::Draft))
                    .or(activities::created_by.eq(user_id.clone()))
                    .or(activities::id.eq_any(own_drafts)),
            );
        }
        CatalogView::All => {}
    }
    if let (Some(status), false) = (query.status, matches!(catalog, CatalogView::Public)) {
        select = select.filter(activities::status.eq(status_str(status)));
    }
    if let Some(format) = query.format {
        select = select.filter(activities::format.eq(crate::db::enum_text(&format)));
    }
    // Correlated EXISTS, not `id IN (subquery)`: the planner can then walk the catalog index in
    // order and stop after a page, instead of collecting every match and sorting it.
    if let Some(code) = query.specialty.as_deref().filter(|c| !c.is_empty()) {
        select = select.filter(diesel::dsl::exists(
            activity_specialties::table
                .filter(activity_specialties::activity_id.eq(activities::id))
                .filter(activity_specialties::code.eq(code.to_string())),
        ));
    }
    if let Some(profession) = query.profession {
        select = select.filter(diesel::dsl::exists(
            activity_professions::table
                .filter(activity_professions::activity_id.eq(activities::id))
                .filter(activity_professions::profession.eq(crate::db::enum_text(&profession))),
        ));
    }
    if let Some(credit_type) = query.credit_type {
        select = select.filter(diesel::dsl::exists(
            activity_credit_designations::table
                .filter(activity_credit_designations::activity_id.eq(activities::id))
                .filter(activity_credit_designations::credit_type.eq(crate::db::enum_text(&credit_type))),
        ));
    }
    if let Some(after_time) = query.starts_after {
        select = select.filter(activities::sort_at.ge(after_time.naive_utc()));
    }
    if let Some(before) = query.starts_before {
        select = select.filter(activities::sort_at.lt(before.naive_utc()));
    }
    if let Some(words) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        for word in words.to_lowercase().split_whitespace().take(8) {
            let escaped = word.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            select = select.filter(activities::title_search.like(format!("%{escaped}%")).escape('\\'));
        }
    }
    if let Some(since) = query.updated_since {
        select = select
            .filter(activities::updated_at.ge(since.naive_utc()))
            .order((activities::updated_at, activities::id));
        if let Some(cursor) = after {
            select = select.filter(keyset::after("activities", "updated_at", cursor.at, cursor.id));
        }
    } else {
        select = select.order((activities::sort_at, activities::id));
        if let Some(cursor) = after {
            select = select.filter(keyset::after("activities", "sort_at", cursor.at, cursor.id));
        }
    }
    // The limit written into the statement (see `page_limit`): PostgreSQL plans this one once
    // per connection instead of for every page.
    Ok(crate::db::page_limit::at_least(select, limit + 1).load(conn)?)
}

pub fn specialties(conn: &mut DbConnection) -> ApiResult<Vec<(String, String, Option<String>)>> {
    Ok(specialties::table
        .order(specialties::code)
        .select((specialties::code, specialties::name, specialties::parent_code))
        .load(conn)?)
}

pub fn topics(conn: &mut DbConnection) -> ApiResult<Vec<(String, String)>> {
    Ok(topics::table.order(topics::code).select((topics::code, topics::name)).load(conn)?)
}

#[derive(QueryableByName)]
struct MarkRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    rows: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    changes: i64,
}

/// Where the catalog stands: a value that differs after any committed change to any activity
/// (its seat count included), read without reading the catalog. On SQLite, the count of
/// changes the triggers keep (writers commit one at a time, so it counts in commit order); on
/// PostgreSQL, the number of activities' change marks and their sum, which every committed
/// change raises whatever order concurrent writers commit in (each change gives an activity a
/// mark larger than any before it; migration 000022 explains).
pub fn catalog_mark(conn: &mut DbConnection) -> ApiResult<CatalogMark> {
    let mark: MarkRow = match conn {
        DbConnection::Postgres(pg) => diesel::sql_query(
            "SELECT count(*)::bigint AS rows, coalesce(sum(change_seq), 0)::bigint AS changes FROM catalog_marks",
        )
        .get_result(pg)?,
        DbConnection::Sqlite(sqlite) => {
            diesel::sql_query("SELECT 0 AS rows, changes FROM catalog_changes WHERE id = 1").get_result(sqlite)?
        }
    };
    Ok(CatalogMark { rows: mark.rows, changes: mark.changes })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The designations read alone give what the whole document gives, for every profession.
    #[test]
    fn eligibility_read_from_the_designations_alone_matches_the_whole_document() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        let input: ActivityInput =
            serde_json::from_value(crate::activities::examples::create_activity(today)).unwrap();
        let at = today.and_hms_opt(12, 0, 0).unwrap();
        let base = RowBase {
            id: "activity-1".into(),
            status: "published".into(),
            created_by: "user-1".into(),
            version: 1,
            created_at: at,
            updated_at: at,
            published_at: Some(at),
        };
        let row = row_for(&input, base).unwrap();
        use Profession as P;
        let professions = [P::Physician, P::Nurse, P::Pharmacist, P::PhysicianAssistant, P::Other];
        for profession in professions.into_iter().map(Some).chain([None]) {
            assert_eq!(
                row.eligible_credit_types(profession).unwrap(),
                rules::eligible_credit_types(&input, profession),
                "{profession:?}"
            );
        }
        assert_eq!(row.eligible_credit_types(Some(P::Nurse)).unwrap(), vec![CreditType::Ancc]);
        let undesignated = ActivityRow { details: "{}".into(), ..row };
        assert_eq!(undesignated.eligible_credit_types(Some(P::Nurse)).unwrap(), vec![]);
    }
}
