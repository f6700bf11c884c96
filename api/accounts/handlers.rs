//! HTTP for accounts by email: extract, call one use case of [`super::service`], send the mail
//! it returns once its transaction has committed, answer.

use actix_web::{post, web, HttpRequest, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::{
    accounts::{
        dto::{Accepted, EmailVerification, PasswordChange, PasswordResetConfirmation, PasswordResetRequest},
        service::{self, SignUp},
    },
    auth::{caller::LoginSession, password, Caller},
    db,
    error::{ApiError, ApiResult, Problem, ProblemType},
    http::json::ApiJson,
    state::AppState,
    users::dto::RegisterRequest,
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(register)
        .service(verify_email)
        .service(request_password_reset)
        .service(confirm_password_reset)
        .service(change_password);
}

async fn hash_off_thread(plain: String) -> ApiResult<String> {
    web::block(move || password::hash(&plain)).await?
}

/// Sign up as a learner
///
/// Learner self-signup (when enabled). The answer is the same whether or not the email has an
/// account: a new address gets an unverified `learner` account and a verification link; the
/// owner of an existing one gets a notice instead.
#[utoipa::path(
    tag = "auth",
    operation_id = "register",
    security(()),
    request_body = RegisterRequest,
    responses(
        (status = 202, description = "Accepted: the next step arrives by mail (a verification link; log in meanwhile)", body = Accepted),
        (status = 403, description = "Self-signup is disabled", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/register")]
async fn register(state: web::Data<AppState>, body: ApiJson<RegisterRequest>) -> ApiResult<HttpResponse> {
    if !state.settings.auth.self_registration {
        return Err(ApiError::Forbidden {
            kind: ProblemType::RegistrationClosed,
            detail: "self-signup is disabled; ask the CE office for an account".into(),
        });
    }
    let request = body.into_inner();
    let email = request.email.clone();
    let in_use = db::run(&state.pool, move |conn| service::email_in_use(conn, &email)).await?;
    // A hash only for a free address (sign-ups for taken ones cost no argon2 work); a taken
    // one waits as long as a hash takes, so that the answer's timing tells nothing either.
    let mut password_hash = if in_use {
        actix_web::rt::time::sleep(password::typical_hash_time()).await;
        None
    } else {
        Some(hash_off_thread(request.password.clone()).await?)
    };
    // At most twice: the address may be taken, or freed, between the check and the write.
    for _ in 0..2 {
        let portal_url = state.settings.mail.portal_url.clone();
        let attempt = request.clone();
        let hash = password_hash.clone();
        let outcome =
            db::write(&state.pool, move |conn| service::sign_up(conn, &portal_url, attempt, hash)).await;
        match outcome {
            Ok(SignUp::Mail(mail)) => {
                state.mailer.send_later(mail);
                return Ok(HttpResponse::Accepted().json(Accepted::mail_on_its_way()));
            }
            Ok(SignUp::NeedsPasswordHash) => {
                password_hash = Some(hash_off_thread(request.password.clone()).await?);
            }
            Err(ApiError::Conflict { kind: ProblemType::EmailTaken, .. }) => password_hash = None,
            Err(other) => return Err(other),
        }
    }
    Err(ApiError::Conflict {
        kind: ProblemType::ConcurrentUpdate,
        detail: "the address changed hands while signing up; try again".into(),
    })
}

/// Confirm an email address
///
/// Confirm an email address with the token from the verification link.
#[utoipa::path(
    tag = "auth",
    operation_id = "verifyEmail",
    security(()),
    request_body = EmailVerification,
    responses(
        (status = 204, description = "The address is verified"),
        (status = 422, description = "The link is unknown, expired or already used (`errors[0].field` = `token`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/verify-email")]
async fn verify_email(
    state: web::Data<AppState>,
    body: ApiJson<EmailVerification>,
) -> ApiResult<HttpResponse> {
    let token = body.into_inner().token;
    db::write(&state.pool, move |conn| service::verify_email(conn, &token)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Ask for a password-reset link
///
/// Ask for a password-reset link. The answer is the same for every email; an active account
/// gets a link that works once, for 30 minutes (at most a few a hour per account).
#[utoipa::path(
    tag = "auth",
    operation_id = "requestPasswordReset",
    security(()),
    request_body = PasswordResetRequest,
    responses(
        (status = 202, description = "Accepted: a link is mailed if the address has an account", body = Accepted),
        (status = 422, description = "Invalid field", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/password-reset")]
async fn request_password_reset(
    state: web::Data<AppState>,
    body: ApiJson<PasswordResetRequest>,
) -> ApiResult<HttpResponse> {
    let email = body.into_inner().email;
    let portal_url = state.settings.mail.portal_url.clone();
    let quota = state.settings.rate_limits.reset_mails_per_account;
    let mail =
        db::write(&state.pool, move |conn| service::request_password_reset(conn, &portal_url, quota, &email))
            .await?;
    if let Some(mail) = mail {
        state.mailer.send_later(mail);
    }
    Ok(HttpResponse::Accepted().json(Accepted::mail_on_its_way()))
}

/// Set a new password with a reset token
///
/// Set a new password with the token from a reset link. Every login session of the account
/// ends (log in again), and the address counts as verified.
#[utoipa::path(
    tag = "auth",
    operation_id = "confirmPasswordReset",
    security(()),
    request_body = PasswordResetConfirmation,
    responses(
        (status = 204, description = "The password is changed; log in with it"),
        (status = 422, description = "Invalid field, or the link is unknown, expired or already used (`token`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/password-reset/confirm")]
async fn confirm_password_reset(
    state: web::Data<AppState>,
    body: ApiJson<PasswordResetConfirmation>,
) -> ApiResult<HttpResponse> {
    let request = body.into_inner();
    let new_hash = hash_off_thread(request.new_password).await?;
    let portal_url = state.settings.mail.portal_url.clone();
    let notice = db::write(&state.pool, move |conn| {
        service::reset_password(conn, &portal_url, &request.token, &new_hash)
    })
    .await?;
    state.mailer.send_later(notice);
    Ok(HttpResponse::NoContent().finish())
}

/// Change your password
///
/// Change your password (people only). Every other login session ends; this one goes on.
#[utoipa::path(
    tag = "users",
    operation_id = "changeMyPassword",
    request_body = PasswordChange,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The password is changed"),
        (status = 422, description = "Invalid field, or the current password is wrong (`current_password`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/me/password")]
async fn change_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<PasswordChange>,
) -> ApiResult<HttpResponse> {
    let (user_id, _) = caller.person()?;
    let user_id = user_id.to_string();
    let session = LoginSession::of(&req);
    let PasswordChange { current_password, new_password } = body.into_inner();
    let checked_id = user_id.clone();
    db::run(&state.pool, move |conn| service::check_current_password(conn, &checked_id, &current_password))
        .await?;
    let new_hash = hash_off_thread(new_password).await?;
    let portal_url = state.settings.mail.portal_url.clone();
    let notice = db::write(&state.pool, move |conn| {
        service::change_password(conn, &portal_url, &user_id, session.as_deref(), &new_hash)
    })
    .await?;
    state.mailer.send_later(notice);
    Ok(HttpResponse::NoContent().finish())
}
