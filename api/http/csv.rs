//! CSV for spreadsheets: content negotiation and safe fields.

use actix_web::{http::header, HttpRequest, HttpResponse};

/// Whether the client asked for CSV (`Accept: text/csv`, which a `.csv` path sets).
pub fn wanted(req: &HttpRequest) -> bool {
    super::accepts(req, "text/csv")
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
    use super::field;

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
