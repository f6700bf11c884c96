//! Printable certificates of awarded credit, and the public page that verifies them.

use actix_web::{get, http::header, web, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::{
    activities::{dto::ActivityInput, rules::local_date},
    auth::Caller,
    config::ProviderSettings,
    credit_claims::{
        dto::{ClaimStatus, Verification},
        rules, service, store,
    },
    credits::Credits,
    db,
    error::{ApiError, ApiResult, Problem, ProblemType},
    state::AppState,
    users,
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(certificate).service(verify);
}

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
fn activity_dates(input: &ActivityInput) -> String {
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
struct CertificateText {
    learner: String,
    degree: Option<String>,
    title: String,
    dates: String,
    completion_date: String,
    credit_line: String,
    statement: String,
    uan: Option<String>,
    provider: ProviderSettings,
    verification_url: String,
    claim_id: String,
}

fn render(c: &CertificateText) -> String {
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

/// A printable HTML certificate of an awarded claim, with what the accreditors require
/// (learner, activity, dates, provider, credit type and amount, the designation statement)
/// and a public verification link.
#[utoipa::path(
    tag = "credit",
    operation_id = "credit_certificate",
    security(("bearer" = []), ("oauth2" = ["credits:read"])),
    params(("claim_id" = String, Path, description = "Claim id")),
    responses(
        (status = 200, description = "The certificate", body = String, content_type = "text/html"),
        (status = 404, description = "Unknown, or not yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The claim is not awarded (pending, rejected, revoked or superseded)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/credit-claims/{claim_id}/certificate")]
async fn certificate(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let provider = state.settings.provider.clone();
    let html = db::run(&state.pool, move |conn| {
        let (claim, activity) = service::visible_with_activity(conn, &caller, &id)?;
        if claim.status()? != ClaimStatus::Awarded {
            return Err(ApiError::Conflict {
                kind: ProblemType::ClaimNotAwarded,
                detail: format!("certificates are issued for awarded credit; this claim is {}", claim.status),
            });
        }
        let learner = users::store::find(conn, &claim.user_id)?.ok_or(ApiError::NotFound)?;
        let input = activity.input()?;
        let credit_type = claim.credit_type()?;
        let designation = input.credit_designations.iter().find(|d| d.credit_type == credit_type);
        let maximum = designation.map_or(Credits::from_hundredths(claim.amount_hundredths), |d| d.max_amount);
        let amount = Credits::from_hundredths(claim.amount_hundredths);
        Ok(render(&CertificateText {
            learner: format!("{} {}", learner.first_name, learner.last_name),
            degree: learner.degree,
            title: input.title.clone(),
            dates: activity_dates(&input),
            completion_date: claim.completion_date.to_string(),
            credit_line: format!("{amount} {}", rules::unit(credit_type, amount)),
            statement: rules::designation_statement(credit_type, &provider.name, input.format, maximum),
            uan: designation.and_then(|d| d.acpe_uan.clone()),
            verification_url: store::verification_url(&provider.public_url, &claim.verification_code),
            claim_id: claim.id,
            provider,
        }))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'"))
        .body(html))
}

/// Public check of a certificate's verification code (no token): whether the credit stands,
/// and the little a certificate already shows.
#[utoipa::path(
    tag = "credit",
    operation_id = "verify_credit",
    security(()),
    params(("code" = String, Path, description = "The code in the certificate's verification link")),
    responses(
        (status = 200, description = "The credit, and whether it is valid", body = Verification),
        (status = 404, description = "No certificate has this code", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/credit-verifications/{code}")]
async fn verify(state: web::Data<AppState>, path: web::Path<String>) -> ApiResult<HttpResponse> {
    let code = path.into_inner();
    let provider = state.settings.provider.name.clone();
    let verification = db::run(&state.pool, move |conn| {
        let claim = store::find_by_code(conn, &code)?.ok_or(ApiError::NotFound)?;
        let status = claim.status()?;
        if status == ClaimStatus::Pending || status == ClaimStatus::Rejected {
            // Never certified: nothing to verify.
            return Err(ApiError::NotFound);
        }
        let learner = users::store::find(conn, &claim.user_id)?.ok_or(ApiError::NotFound)?;
        let activity = crate::activities::store::find(conn, &claim.activity_id)?.ok_or(ApiError::NotFound)?;
        Ok(Verification {
            valid: status == ClaimStatus::Awarded,
            status,
            learner_name: format!("{} {}", learner.first_name, learner.last_name),
            activity_title: activity.title,
            completion_date: claim.completion_date,
            credit_type: claim.credit_type()?,
            amount: Credits::from_hundredths(claim.amount_hundredths),
            provider,
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(verification))
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
