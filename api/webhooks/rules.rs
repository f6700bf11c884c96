//! Webhook rules (pure): event types and who may receive them, Standard Webhooks signatures,
//! the retry schedule, and which addresses a delivery may go to.

use std::{net::IpAddr, time::Duration};

use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use utoipa::ToSchema;

use crate::auth::Scope;

/// What happened. Subscribing to an event needs the scope that reads what it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum EventType {
    #[serde(rename = "credit.awarded")]
    CreditAwarded,
    #[serde(rename = "credit.amended")]
    CreditAmended,
    #[serde(rename = "credit.revoked")]
    CreditRevoked,
    #[serde(rename = "enrollment.created")]
    EnrollmentCreated,
    #[serde(rename = "enrollment.cancelled")]
    EnrollmentCancelled,
    #[serde(rename = "enrollment.completed")]
    EnrollmentCompleted,
    #[serde(rename = "activity.published")]
    ActivityPublished,
    #[serde(rename = "activity.updated")]
    ActivityUpdated,
    #[serde(rename = "activity.cancelled")]
    ActivityCancelled,
    /// Sent only by `POST /v1/webhook-endpoints/{id}/test`.
    #[serde(rename = "webhook.test")]
    Test,
}

impl EventType {
    pub const SUBSCRIBABLE: [EventType; 9] = [
        EventType::CreditAwarded,
        EventType::CreditAmended,
        EventType::CreditRevoked,
        EventType::EnrollmentCreated,
        EventType::EnrollmentCancelled,
        EventType::EnrollmentCompleted,
        EventType::ActivityPublished,
        EventType::ActivityUpdated,
        EventType::ActivityCancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::CreditAwarded => "credit.awarded",
            EventType::CreditAmended => "credit.amended",
            EventType::CreditRevoked => "credit.revoked",
            EventType::EnrollmentCreated => "enrollment.created",
            EventType::EnrollmentCancelled => "enrollment.cancelled",
            EventType::EnrollmentCompleted => "enrollment.completed",
            EventType::ActivityPublished => "activity.published",
            EventType::ActivityUpdated => "activity.updated",
            EventType::ActivityCancelled => "activity.cancelled",
            EventType::Test => "webhook.test",
        }
    }

    pub fn parse(text: &str) -> Option<EventType> {
        EventType::SUBSCRIBABLE.into_iter().chain([EventType::Test]).find(|t| t.as_str() == text)
    }

    /// The scope a machine client needs to receive this event.
    pub fn scope(self) -> Option<Scope> {
        match self {
            EventType::CreditAwarded | EventType::CreditAmended | EventType::CreditRevoked => {
                Some(Scope::CreditsRead)
            }
            EventType::EnrollmentCreated
            | EventType::EnrollmentCancelled
            | EventType::EnrollmentCompleted => Some(Scope::EnrollmentsRead),
            EventType::ActivityPublished | EventType::ActivityUpdated | EventType::ActivityCancelled => {
                Some(Scope::ActivitiesRead)
            }
            EventType::Test => None,
        }
    }
}

/// A new endpoint secret: `whsec_` and 32 random bytes in base64 (Standard Webhooks).
pub fn new_secret(random: &[u8]) -> String {
    format!("whsec_{}", STANDARD.encode(random))
}

/// The `webhook-signature` value: `v1,` and the base64 HMAC-SHA256, keyed with the secret's
/// bytes, of `{id}.{timestamp}.{body}`.
pub fn signature(secret: &str, message_id: &str, timestamp: i64, body: &str) -> Result<String, String> {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .map_err(|e| format!("the endpoint's secret is not base64: {e}"))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|e| e.to_string())?;
    mac.update(format!("{message_id}.{timestamp}.{body}").as_bytes());
    Ok(format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes())))
}

/// The waits after failed attempts: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, then daily twice
/// (nine attempts over about three days).
pub fn default_retry_schedule() -> Vec<Duration> {
    [5, 300, 1800, 7200, 18_000, 36_000, 86_400, 86_400].into_iter().map(Duration::from_secs).collect()
}

/// When to try again after `attempts` failed attempts, or `None` when that was the last. The
/// wait is spread by up to ±10% (`spread` in [0, 1)) so that failures do not come back in step.
pub fn retry_after(schedule: &[Duration], attempts: u32, spread: f64) -> Option<Duration> {
    let base = schedule.get(attempts.checked_sub(1)? as usize)?;
    let factor = 0.9 + 0.2 * spread.clamp(0.0, 1.0);
    Some(base.mul_f64(factor))
}

/// Why a URL cannot receive webhooks.
pub fn check_url(url: &str, allow_private: bool) -> Result<(), String> {
    let uri: actix_web::http::Uri = url.parse().map_err(|_| "not a URL".to_string())?;
    let host = uri.host().filter(|h| !h.is_empty()).ok_or("the URL has no host")?;
    match uri.scheme_str() {
        Some("https") => {}
        Some("http") if allow_private => {}
        _ => return Err("use https (http only in development, with CE_WEBHOOK_ALLOW_PRIVATE)".into()),
    }
    if !allow_private {
        let literal = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().ok();
        if host.eq_ignore_ascii_case("localhost") || literal.is_some_and(|ip| !is_public(ip)) {
            return Err("private, loopback and link-local addresses cannot receive webhooks".into());
        }
    }
    Ok(())
}

/// Whether a delivery may connect to `ip`: public unicast only (no loopback, private,
/// link-local, shared, documentation, multicast or unspecified addresses).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
                || (a == 198 && (b == 18 || b == 19)) // benchmarking
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link-local
                || first == 0x2001 && v6.segments()[1] == 0x0db8) // documentation
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_the_standard_webhooks_test_vector() {
        // The example of the Standard Webhooks specification.
        let signed = signature(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(signed.as_deref(), Ok("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="));
    }

    #[test]
    fn retries_follow_the_schedule_with_a_spread_then_stop() {
        let schedule = default_retry_schedule();
        assert_eq!(retry_after(&schedule, 1, 0.5), Some(Duration::from_secs(5)));
        assert_eq!(retry_after(&schedule, 2, 0.0), Some(Duration::from_secs(270)));
        assert_eq!(retry_after(&schedule, 2, 1.0), Some(Duration::from_secs(330)));
        assert_eq!(retry_after(&schedule, 8, 0.5), Some(Duration::from_secs(86_400)));
        assert_eq!(retry_after(&schedule, 9, 0.5), None, "nine attempts in all");
        assert_eq!(retry_after(&schedule, 0, 0.5), None);
    }

    #[test]
    fn only_public_https_urls_receive_webhooks_unless_configured() {
        assert!(check_url("https://lms.example.org/hooks/ce", false).is_ok());
        assert!(check_url("http://lms.example.org/hooks", false).is_err());
        for private in [
            "https://127.0.0.1/x",
            "https://10.1.2.3/x",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/x",
            "https://[fd00::1]/x",
            "https://localhost/x",
            "https://100.64.0.1/x",
        ] {
            assert!(check_url(private, false).is_err(), "{private}");
        }
        assert!(check_url("http://127.0.0.1:9000/x", true).is_ok());
        assert!(check_url("ftp://lms.example.org/x", true).is_err());
        assert!(check_url("not a url", true).is_err());
    }

    #[test]
    fn public_addresses_are_told_from_internal_ones() {
        assert!(is_public("93.184.216.34".parse().unwrap()));
        assert!(is_public("2606:4700::1111".parse().unwrap()));
        assert!(!is_public("192.168.1.1".parse().unwrap()));
        assert!(!is_public("::ffff:10.0.0.1".parse().unwrap()));
        assert!(!is_public("fe80::1".parse().unwrap()));
    }
}
