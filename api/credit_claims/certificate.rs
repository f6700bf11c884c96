//! The printable certificate of awarded credit, as HTML: what it says is decided in
//! [`super::service::certificate`]; this module only lays it out, escaping every text.

use crate::{
    activities::{dto::ActivityInput, rules::local_date},
    config::ProviderSettings,
};

/// Text for HTML: everything a person typed is escaped.
fn escape(text: &str) -> String {
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

/// What the certificate says.
pub struct CertificateText {
    pub learner: String,
    pub degree: Option<String>,
    pub title: String,
    pub dates: String,
    pub completion_date: String,
    pub credit_line: String,
    pub statement: String,
    pub uan: Option<String>,
    pub provider: ProviderSettings,
    pub verification_url: String,
    pub claim_id: String,
}

pub fn render(c: &CertificateText) -> String {
    let learner = match &c.degree {
        Some(degree) => format!("{}, {}", escape(&c.learner), escape(degree)),
        None => escape(&c.learner),
    };
    let uan = c.uan.as_ref().map_or(String::new(), |uan| {
        format!("<p>ACPE Universal Activity Number: <strong>{}</strong></p>", escape(uan))
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
.name {{ font-size: 1.6rem; text-align: center; margin: 1.5rem 0; }}
.credit {{ font-size: 1.2rem; text-align: center; }}
.small {{ font-size: .85rem; color: #555; }}
@media print {{ body {{ margin: 1.5cm; }} }}
</style>
</head>
<body>
<h1>Certificate of Completion</h1>
<p style="text-align:center">This certifies that</p>
<p class="name"><strong>{learner}</strong></p>
<p style="text-align:center">completed</p>
<p class="name"><em>{title}</em></p>
<p>Activity dates: {dates}<br>Date of completion: <strong>{completion_date}</strong></p>
<p class="credit">Awarded: <strong>{credit_line}</strong></p>
{uan}
<p>{statement}</p>
<p>Provider: <strong>{provider}</strong><br>{address}</p>
<p class="small">Verify this certificate: <a href="{verification_url}">{verification_url}</a><br>Claim {claim_id}</p>
</body>
</html>
"#,
        title = escape(&c.title),
        dates = escape(&c.dates),
        completion_date = escape(&c.completion_date),
        credit_line = escape(&c.credit_line),
        statement = escape(&c.statement),
        provider = escape(&c.provider.name),
        address = escape(&c.provider.address),
        verification_url = escape(&c.verification_url),
        claim_id = escape(&c.claim_id),
    )
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape("<script>alert('x')</script> & \""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;"
        );
    }
}
