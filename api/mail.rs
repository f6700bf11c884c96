//! Account mails: SMTP through `lettre` when `CE_SMTP_URL` is set, the log otherwise (so that
//! a new installation still gets its verification and reset links).
//!
//! Mails are sent after the transaction that made them commits, off the request: the answer
//! does not wait for (or reveal anything by) the SMTP exchange. A mail that cannot be sent is
//! logged as an error; its link can be asked for again (sign up again to get a new
//! verification link, or request another reset).

use lettre::{
    message::{header::ContentType, Mailbox},
    Message, SmtpTransport, Transport,
};

use crate::config::{MailSettings, OutboundSettings};

/// One plain-text mail to one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
}

#[derive(Clone)]
enum Delivery {
    Smtp(SmtpTransport),
    Log,
}

/// Sends account mails.
#[derive(Clone)]
pub struct Mailer {
    from: Mailbox,
    delivery: Delivery,
}

impl Mailer {
    /// SMTP with the outbound timeouts, or the log without `CE_SMTP_URL`.
    pub fn new(settings: &MailSettings, outbound: &OutboundSettings) -> Result<Mailer, String> {
        let from = settings.from.parse::<Mailbox>().map_err(|e| format!("CE_MAIL_FROM: {e}"))?;
        let delivery = match &settings.smtp_url {
            Some(url) => Delivery::Smtp(
                SmtpTransport::from_url(url)
                    .map_err(|e| format!("CE_SMTP_URL: {e}"))?
                    .timeout(Some(outbound.timeout))
                    .build(),
            ),
            None => {
                tracing::warn!(
                    "CE_SMTP_URL is not set: account mails (verification and password-reset \
                     links) are written to the log instead of being sent"
                );
                Delivery::Log
            }
        };
        Ok(Mailer { from, delivery })
    }

    /// Sends `mail` now (blocking: call it off the async workers).
    pub fn send_now(&self, mail: &Mail) -> Result<(), String> {
        match &self.delivery {
            Delivery::Log => {
                tracing::info!(to = %mail.to, subject = %mail.subject, "mail (not sent: no CE_SMTP_URL)\n{}", mail.text);
                Ok(())
            }
            Delivery::Smtp(transport) => {
                let to = mail.to.parse::<Mailbox>().map_err(|e| format!("recipient: {e}"))?;
                let message = Message::builder()
                    .from(self.from.clone())
                    .to(to)
                    .subject(&mail.subject)
                    .header(ContentType::TEXT_PLAIN)
                    .body(mail.text.clone())
                    .map_err(|e| e.to_string())?;
                transport.send(&message).map(|_| ()).map_err(|e| e.to_string())
            }
        }
    }

    /// Sends `mail` in the background; a failure is logged.
    pub fn send_later(&self, mail: Mail) {
        let mailer = self.clone();
        actix_web::rt::spawn(async move {
            let subject = mail.subject.clone();
            let sent = actix_web::web::block(move || mailer.send_now(&mail)).await;
            match sent {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::error!(%error, %subject, "an account mail was not sent"),
                Err(error) => tracing::error!(%error, %subject, "an account mail was not sent"),
            }
        });
    }
}
