//! What account mails say and how long their links work (pure).

use chrono::Duration;

use crate::mail::Mail;

/// What a mailed token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    PasswordReset,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify-email",
            Purpose::PasswordReset => "password-reset",
        }
    }

    /// How long the link works: a reset link briefly (whoever reads the mailbox can take the
    /// account over), a verification link for two days.
    pub fn lifetime(self) -> Duration {
        match self {
            Purpose::VerifyEmail => Duration::hours(48),
            Purpose::PasswordReset => Duration::minutes(30),
        }
    }

    /// The portal page the link opens.
    fn page(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify-email",
            Purpose::PasswordReset => "reset-password",
        }
    }
}

/// The link a mail carries: a page of the learner portal that posts the token to the API.
pub fn link(portal_url: &str, purpose: Purpose, token: &str) -> String {
    format!("{portal_url}/{}?token={token}", purpose.page())
}

fn mail(to: &str, subject: &str, text: String) -> Mail {
    Mail { to: to.into(), subject: subject.into(), text }
}

pub fn verification_mail(to: &str, portal_url: &str, token: &str) -> Mail {
    mail(
        to,
        "Confirm your email address",
        format!(
            "Welcome! Confirm that this is your email address to finish signing up:\n\n{}\n\n\
             The link works once, for 48 hours. If you did not sign up, ignore this message.\n",
            link(portal_url, Purpose::VerifyEmail, token)
        ),
    )
}

/// To the owner of an existing account when someone signs up with its address. An owner who
/// never confirmed the address gets a fresh verification link.
pub fn existing_account_notice(to: &str, portal_url: &str, verification_token: Option<&str>) -> Mail {
    let confirm = verification_token.map_or(String::new(), |token| {
        format!(
            "Your address is not confirmed yet; confirm it here (works once, for 48 hours):\n\n{}\n\n",
            link(portal_url, Purpose::VerifyEmail, token)
        )
    });
    mail(
        to,
        "You already have an account",
        format!(
            "Someone (perhaps you) tried to sign up with this email address, which already has \
             an account. Nothing was changed.\n\n{confirm}If you forgot your password, reset it \
             at {portal_url}/reset-password.\n"
        ),
    )
}

pub fn reset_mail(to: &str, portal_url: &str, token: &str) -> Mail {
    mail(
        to,
        "Reset your password",
        format!(
            "Choose a new password here:\n\n{}\n\nThe link works once, for 30 minutes. If you did \
             not ask for it, ignore this message: your password stays as it is.\n",
            link(portal_url, Purpose::PasswordReset, token)
        ),
    )
}

pub fn password_changed_notice(to: &str, portal_url: &str) -> Mail {
    mail(
        to,
        "Your password was changed",
        format!(
            "The password of your account was just changed, and every other login session was \
             ended. If this was not you, reset your password at {portal_url}/reset-password and \
             tell your CE office.\n"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_open_the_portal_page_of_their_purpose() {
        assert_eq!(
            link("https://ce.example.org", Purpose::VerifyEmail, "abc_-1"),
            "https://ce.example.org/verify-email?token=abc_-1"
        );
        assert_eq!(
            link("https://ce.example.org", Purpose::PasswordReset, "t"),
            "https://ce.example.org/reset-password?token=t"
        );
    }

    #[test]
    fn reset_links_are_short_lived() {
        assert_eq!(Purpose::PasswordReset.lifetime(), Duration::minutes(30));
        assert!(Purpose::VerifyEmail.lifetime() > Purpose::PasswordReset.lifetime());
    }

    #[test]
    fn an_existing_owner_gets_a_link_only_when_still_unverified() {
        let verified = existing_account_notice("a@example.org", "https://p", None);
        assert!(!verified.text.contains("token="));
        let unverified = existing_account_notice("a@example.org", "https://p", Some("tok"));
        assert!(unverified.text.contains("https://p/verify-email?token=tok"));
        assert_eq!(unverified.to, "a@example.org");
    }
}
