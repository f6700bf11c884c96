//! CSV for spreadsheets: content negotiation and safe fields.

use actix_web::{
    body::{BoxBody, MessageBody},
    dev::ServiceRequest,
    http::{
        header::{self, HeaderValue},
        Method, Uri,
    },
    middleware::Next,
    Error, HttpRequest, HttpResponse,
};

/// The lists and reports that also answer in CSV: `Accept: text/csv`, or the `.csv` sibling
/// of their path (its own operation in the contract, so a generated client gets bytes).
pub const CSV_PATHS: [&str; 6] = [
    "/v1/activities/{activity_id}/enrollments",
    "/v1/activities/{activity_id}/outcomes",
    "/v1/me/transcript",
    "/v1/reports/outcomes",
    "/v1/surveys/{survey_id}/responses",
    "/v1/users/{user_id}/transcript",
];

/// Whether the client asked for CSV (`Accept: text/csv`, which a `.csv` path sets).
pub fn wanted(req: &HttpRequest) -> bool {
    super::accepts(req, "text/csv")
}

fn fits(template: &str, path: &str) -> bool {
    let (template, path): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    template.len() == path.len()
        && template.iter().zip(&path).all(|(t, p)| (t.starts_with('{') && !p.is_empty()) || t == p)
}

/// The CSV path (without `.csv`) a request asks for, if it asks for one.
fn csv_sibling(method: &Method, path: &str) -> Option<String> {
    let base = path.strip_suffix(".csv")?;
    (method == Method::GET && CSV_PATHS.iter().any(|template| fits(template, base))).then(|| base.to_string())
}

/// `GET {path}.csv` is served as `GET {path}` with `Accept: text/csv` (before routing).
pub async fn csv_paths(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<BoxBody>, Error> {
    if let Some(base) = csv_sibling(req.method(), req.path()) {
        let target = match req.uri().query() {
            Some(query) => format!("{base}?{query}"),
            None => base,
        };
        if let Ok(uri) = target.parse::<Uri>() {
            req.match_info_mut().get_mut().update(&uri);
            req.head_mut().uri = uri;
            req.headers_mut().insert(header::ACCEPT, HeaderValue::from_static("text/csv"));
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// One CSV field: a leading `'` where a spreadsheet would read a formula (`=`, `+`, `-`, `@`,
/// and TAB or CR, which some strip before reading one), and quoted wherever a spreadsheet could
/// split it: on commas, on semicolons (the separator in many European locales), on quotes, tabs
/// and line breaks. Names, emails and titles come from people.
pub fn field(value: &str) -> String {
    let risky = ['=', '+', '-', '@', '\t', '\r'];
    let value = if value.starts_with(risky) { format!("'{value}") } else { value.to_string() };
    if value.contains([',', ';', '"', '\n', '\r', '\t']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// Appends one line of fields.
pub fn push_row(csv: &mut String, fields: &[String]) {
    csv.push_str(&fields.iter().map(|f| field(f)).collect::<Vec<_>>().join(","));
    csv.push('\n');
}

/// A CSV download named `filename`.
pub fn attachment(filename: &str, body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")))
        .body(body)
}

#[cfg(test)]
mod tests {
    use super::{csv_sibling, field, Method};

    #[test]
    fn only_the_csv_lists_have_csv_siblings() {
        assert_eq!(csv_sibling(&Method::GET, "/v1/me/transcript.csv").as_deref(), Some("/v1/me/transcript"));
        assert_eq!(
            csv_sibling(&Method::GET, "/v1/users/u1/transcript.csv").as_deref(),
            Some("/v1/users/u1/transcript")
        );
        assert_eq!(csv_sibling(&Method::GET, "/v1/activities.csv"), None);
        assert_eq!(csv_sibling(&Method::POST, "/v1/me/transcript.csv"), None);
        assert_eq!(csv_sibling(&Method::GET, "/v1/me/transcript"), None);
    }

    #[test]
    fn fields_are_quoted_and_defused() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("Reyes, Dana"), "\"Reyes, Dana\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        // A TAB or CR first is stripped by some spreadsheets before they read a formula.
        assert_eq!(field("\t=1+1"), "\"'\t=1+1\"");
        assert_eq!(field("\r=1+1"), "\"'\r=1+1\"");
        // Semicolon locales split on `;`: such a field is quoted, its formula defused.
        assert_eq!(field("a;=1+1"), "\"a;=1+1\"");
        assert_eq!(field("=1;2"), "\"'=1;2\"");
    }
}
