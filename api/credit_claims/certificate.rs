//! The printable certificate of awarded credit, as HTML and as PDF: what it says is decided in
//! [`super::service::certificate`]; this module only lays it out (escaping every text in
//! HTML; in PDF, the base Helvetica font with the Windows-1252 encoding, nothing embedded).

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

use crate::{
    activities::{dto::ActivityInput, rules::local_date},
    credit_claims::dto::Verification,
};

/// Text for HTML: everything a person typed is escaped.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The activity's dates as a certificate prints them, in its time zone.
pub fn activity_dates(input: &ActivityInput) -> String {
    match (input.starts_at, input.ends_at, input.release_date, input.expiry_date) {
        (Some(start), Some(end), _, _) => {
            let (first, last) = (local_date(start, &input.time_zone), local_date(end, &input.time_zone));
            if first == last {
                first.to_string()
            } else {
                format!("{first} to {last}")
            }
        }
        (_, _, Some(release), Some(expiry)) => format!("released {release}, expires {expiry}"),
        (_, _, Some(release), None) => format!("released {release}"),
        _ => String::new(),
    }
}

/// What the certificate says, every line decided by the use case.
pub struct CertificateText {
    pub learner: String,
    pub degree: Option<String>,
    pub title: String,
    /// The activity's dates, or for a series the session's date.
    pub dates: String,
    /// Where it took place (a live activity), or its medium (an enduring material).
    pub place: Option<String>,
    pub completion_date: String,
    pub credit_line: String,
    /// The designation (or approval) statement for the credit type, in the accreditor's words.
    pub designation_statement: String,
    /// The provider's accreditation statement for the accreditor behind the credit type.
    pub accreditation_statement: Option<String>,
    pub joint_providership_statement: Option<String>,
    pub uan: Option<String>,
    pub provider_name: String,
    pub provider_address: String,
    /// The provider's logo (HTML only).
    pub logo_url: Option<String>,
    /// "Name, Title" of who signs for the provider.
    pub signatory: Option<String>,
    pub verification_url: String,
    pub claim_id: String,
}

impl CertificateText {
    fn learner_line(&self) -> String {
        match &self.degree {
            Some(degree) => format!("{}, {}", self.learner, degree),
            None => self.learner.clone(),
        }
    }

    /// The certificate as paragraphs, in order (the PDF's lines; the HTML adds emphasis).
    fn paragraphs(&self) -> Vec<(Style, String)> {
        let mut lines = vec![
            (Style::Heading, "Certificate of Completion".to_string()),
            (Style::Centered, "This certifies that".into()),
            (Style::Name, self.learner_line()),
            (Style::Centered, "completed".into()),
            (Style::Name, self.title.clone()),
            (Style::Body, format!("Activity dates: {}", self.dates)),
        ];
        if let Some(place) = &self.place {
            lines.push((Style::Body, place.clone()));
        }
        lines.push((Style::Body, format!("Date of completion: {}", self.completion_date)));
        lines.push((Style::Credit, format!("Awarded: {}", self.credit_line)));
        if let Some(uan) = &self.uan {
            lines.push((Style::Body, format!("ACPE Universal Activity Number: {uan}")));
        }
        if let Some(statement) = &self.accreditation_statement {
            lines.push((Style::Body, statement.clone()));
        }
        lines.push((Style::Body, self.designation_statement.clone()));
        if let Some(statement) = &self.joint_providership_statement {
            lines.push((Style::Body, statement.clone()));
        }
        lines.push((Style::Body, format!("Provider: {}, {}", self.provider_name, self.provider_address)));
        if let Some(signatory) = &self.signatory {
            lines.push((Style::Body, format!("Signed for the provider: {signatory}")));
        }
        lines.push((Style::Small, format!("Verify this certificate: {}", self.verification_url)));
        lines.push((Style::Small, format!("Claim {}", self.claim_id)));
        lines
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Heading,
    Centered,
    Name,
    Credit,
    Body,
    Small,
}

pub fn render(c: &CertificateText) -> String {
    let body: String = c
        .paragraphs()
        .into_iter()
        .map(|(style, text)| {
            let text = escape(&text);
            match style {
                Style::Heading => format!("<h1>{text}</h1>\n"),
                Style::Centered => format!("<p class=\"center\">{text}</p>\n"),
                Style::Name => format!("<p class=\"name\"><strong>{text}</strong></p>\n"),
                Style::Credit => format!("<p class=\"credit\"><strong>{text}</strong></p>\n"),
                Style::Body => format!("<p>{text}</p>\n"),
                Style::Small => format!("<p class=\"small\">{text}</p>\n"),
            }
        })
        .collect();
    let logo = c.logo_url.as_ref().map_or(String::new(), |url| {
        format!(
            "<p class=\"center\"><img src=\"{}\" alt=\"{}\" height=\"64\"></p>\n",
            escape(url),
            escape(&c.provider_name)
        )
    });
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Certificate: {title}</title>
<style>
body {{ font-family: Georgia, serif; margin: 3rem auto; max-width: 46rem; color: #222; }}
h1 {{ font-size: 1.8rem; text-align: center; letter-spacing: .05em; }}
.center {{ text-align: center; }}
.name {{ font-size: 1.6rem; text-align: center; margin: 1.5rem 0; }}
.credit {{ font-size: 1.2rem; text-align: center; }}
.small {{ font-size: .85rem; color: #555; }}
@media print {{ body {{ margin: 1.5cm; }} }}
</style>
</head>
<body>
{logo}{body}</body>
</html>
"#,
        title = escape(&c.title),
    )
}

/// A verification page for people: `heading`, the verdict in bold, then `body` (HTML the
/// caller escaped). Shared by certificates and credentials, so both read alike.
pub(crate) fn verification_page(heading: &str, verdict: &str, body: &str) -> String {
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{heading}</title>
<style>body {{ font-family: sans-serif; margin: 2rem auto; max-width: 36rem; }} .verdict {{ font-size: 1.3rem; }}</style>
</head>
<body>
<h1>{heading}</h1>
<p class="verdict"><strong>{verdict}</strong></p>
{body}</body>
</html>
"#,
        heading = escape(heading),
        verdict = escape(verdict),
    )
}

/// The public verification page for people (programs read the JSON).
pub fn render_verification(v: &Verification) -> String {
    let verdict = if v.valid {
        "Valid: this credit stands.".to_string()
    } else {
        format!("Not valid: this credit was {}.", crate::db::enum_text(&v.status))
    };
    let credential = match v.credential {
        Some(crate::credentials::dto::VerificationResult::Valid) => {
            "<p>Its Open Badges credential is valid (not revoked).</p>\n"
        }
        Some(_) => "<p>Its Open Badges credential was revoked.</p>\n",
        None => "",
    };
    let body = format!(
        "<p>{learner} completed <em>{title}</em> on {date}: {amount} {credit_type}.</p>\n<p>Provider: {provider}</p>\n{credential}",
        learner = escape(&v.learner_name),
        title = escape(&v.activity_title),
        date = v.completion_date,
        amount = v.amount,
        credit_type = escape(&crate::db::enum_text(&v.credit_type)),
        provider = escape(&v.provider),
    );
    verification_page("Certificate verification", &verdict, &body)
}

/// Text in the Windows-1252 encoding of the base fonts: Latin-1 as is, the typographic marks
/// certificates use (™, dashes, quotes) at their code points, anything else as `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '\u{2122}' => 0x99,
            '\u{2013}' => 0x96,
            '\u{2014}' => 0x97,
            '\u{2018}' => 0x91,
            '\u{2019}' => 0x92,
            '\u{201C}' => 0x93,
            '\u{201D}' => 0x94,
            '\u{2022}' => 0x95,
            c if (c as u32) < 0x80 || (0xA0..=0xFF).contains(&(c as u32)) => c as u32 as u8,
            _ => b'?',
        })
        .collect()
}

/// Lines of at most `width` characters, broken between words (Helvetica averages about half
/// its size per character, so this keeps a line inside the margins).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The certificate as a one-page PDF (A4 landscape).
pub fn render_pdf(c: &CertificateText) -> Vec<u8> {
    let (catalog, tree, page, font, bold, contents) =
        (Ref::new(1), Ref::new(2), Ref::new(3), Ref::new(4), Ref::new(5), Ref::new(6));
    let (width, height) = (842.0_f32, 595.0_f32);
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids([page]).count(1);
    let mut writer = pdf.page(page);
    writer.media_box(Rect::new(0.0, 0.0, width, height)).parent(tree).contents(contents);
    writer.resources().fonts().pair(Name(b"F1"), font).pair(Name(b"F2"), bold);
    writer.finish();
    pdf.type1_font(font).base_font(Name(b"Helvetica")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold).base_font(Name(b"Helvetica-Bold")).encoding_predefined(Name(b"WinAnsiEncoding"));
    let mut content = Content::new();
    let mut y = height - 60.0;
    for (style, text) in c.paragraphs() {
        let (font_name, size, centered) = match style {
            Style::Heading => (b"F2", 24.0, true),
            Style::Name => (b"F2", 17.0, true),
            Style::Credit => (b"F2", 13.0, true),
            Style::Centered => (b"F1", 11.0, true),
            Style::Body => (b"F1", 10.0, false),
            Style::Small => (b"F1", 8.0, false),
        };
        let columns = ((width - 120.0) / (size * 0.5)) as usize;
        for line in wrap(&text, columns) {
            let estimated = line.chars().count() as f32 * size * 0.5;
            let x = if centered { ((width - estimated) / 2.0).max(60.0) } else { 60.0 };
            content.begin_text();
            content.set_font(Name(font_name), size);
            content.next_line(x, y);
            content.show(Str(&win_ansi(&line)));
            content.end_text();
            y -= size * 1.35;
        }
        y -= size * 0.5;
    }
    pdf.stream(contents, &content.finish());
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape("<script>alert('x')</script> & \""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;"
        );
    }

    #[test]
    fn pdf_text_uses_the_windows_encoding_and_wraps_between_words() {
        assert_eq!(win_ansi("Credits\u{2122} caf\u{e9} \u{3b1}"), b"Credits\x99 caf\xe9 ?");
        assert_eq!(wrap("one two three four", 9), ["one two", "three", "four"]);
    }
}
