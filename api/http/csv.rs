//! CSV for spreadsheets: content negotiation and safe fields.

use actix_web::{http::header, HttpRequest, HttpResponse};

/// Whether the client asked for CSV (`Accept: text/csv`).
pub fn wanted(req: &HttpRequest) -> bool {
    super::accepts(req, "text/csv")
}

/// One CSV field: quoted when needed, and with a leading `'` where a spreadsheet would read a
/// formula (`=`, `+`, `-`, `@`): names, emails and titles come from people.
pub fn field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) { format!("'{value}") } else { value.to_string() };
    if value.contains([',', '"', '\n', '\r']) {
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
    }
}
