//! What people see of credentials: the verification page and the badge image with the
//! credential baked in. Every text is escaped.

use crate::{
    credentials::dto::{CredentialVerification, VerificationResult},
    credit_claims::certificate::{self, escape},
};

/// A badge image carrying the signed credential (OB 3.0 §5.3.2, "Baking" an SVG): an
/// `openbadges:credential` element whose `verify` attribute holds the compact JWS.
pub fn baked_svg(title: &str, jwt: &str) -> String {
    format!(
        r##"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0" width="400" height="400" viewBox="0 0 400 400">
<openbadges:credential verify="{jwt}"></openbadges:credential>
<title>{title}</title>
<circle cx="200" cy="200" r="190" fill="#1f4e79"/>
<circle cx="200" cy="200" r="170" fill="none" stroke="#ffffff" stroke-width="4"/>
<text x="200" y="170" font-family="sans-serif" font-size="28" fill="#ffffff" text-anchor="middle">CE credit</text>
<text x="200" y="220" font-family="sans-serif" font-size="16" fill="#ffffff" text-anchor="middle">{short}</text>
</svg>
"##,
        jwt = escape(jwt),
        title = escape(title),
        short = escape(&title.chars().take(40).collect::<String>()),
    )
}

/// The verdict for browsers.
pub fn verification_page(verdict: &CredentialVerification) -> String {
    let headline = match verdict.result {
        VerificationResult::Valid => "Valid: this credential was issued here and stands.",
        VerificationResult::Revoked => "Revoked: this credential was issued here, then revoked.",
        VerificationResult::Invalid => "Not valid: this credential proves nothing.",
    };
    let checks: String = verdict
        .checks
        .iter()
        .map(|check| {
            let outcome = match &check.problem {
                None => "passed".to_string(),
                Some(problem) => format!("failed: {problem}"),
            };
            format!("<li>{}: {}</li>\n", escape(&check.check), escape(&outcome))
        })
        .collect();
    let subject = verdict.credential.as_ref().and_then(|c| c["name"].as_str()).unwrap_or_default();
    let body = format!("<p>{}</p>\n<ul>\n{checks}</ul>\n", escape(subject));
    certificate::verification_page("Credential verification", headline, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_badge_carries_the_jwt_and_escapes_the_title() {
        let svg = baked_svg("<script>", "aaa.bbb.ccc");
        assert!(svg.contains(r#"<openbadges:credential verify="aaa.bbb.ccc">"#));
        assert!(svg.contains("&lt;script&gt;") && !svg.contains("<script>"));
    }
}
