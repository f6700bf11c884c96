//! Checks of the learner record that boards and reports depend on. Pure functions.

use validator::ValidationError;

fn error(code: &'static str, message: &'static str) -> ValidationError {
    ValidationError::new(code).with_message(message.into())
}

/// A National Provider Identifier: 10 digits whose last is the Luhn check digit computed over
/// the first nine with the card-issuer prefix 80840 in front (CMS NPI check-digit rule).
pub fn is_valid_npi(npi: &str) -> bool {
    if npi.len() != 10 || !npi.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let digits: Vec<u32> = format!("80840{npi}").bytes().map(|b| u32::from(b - b'0')).collect();
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
}

pub fn npi(value: &str) -> Result<(), ValidationError> {
    if is_valid_npi(value) {
        Ok(())
    } else {
        Err(error("npi", "must be a 10-digit NPI with a valid check digit"))
    }
}

/// NABP e-Profile IDs are 6 or 7 digits.
pub fn nabp_eprofile_id(value: &str) -> Result<(), ValidationError> {
    if (6..=7).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(error("nabp_eprofile_id", "must be a 6- or 7-digit NABP e-Profile ID"))
    }
}

/// Birth month and day as `MMDD` (no year, as CPE Monitor asks); 0229 is a real birthday.
pub fn birth_mmdd(value: &str) -> Result<(), ValidationError> {
    let valid = value.len() == 4
        && value.bytes().all(|b| b.is_ascii_digit())
        && match (value[..2].parse::<u32>(), value[2..].parse::<u32>()) {
            (Ok(month), Ok(day)) => {
                let days_in_month = match month {
                    1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
                    4 | 6 | 9 | 11 => 30,
                    2 => 29,
                    _ => 0,
                };
                day >= 1 && day <= days_in_month
            }
            _ => false,
        };
    if valid {
        Ok(())
    } else {
        Err(error("mmdd", "must be a month and day as MMDD, e.g. 0714"))
    }
}

/// US states, DC and territories, as licensing boards name them.
pub const US_JURISDICTIONS: [&str; 56] = [
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY",
    "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND",
    "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC",
    "PR", "GU", "VI", "AS", "MP",
];

pub fn license_state(value: &str) -> Result<(), ValidationError> {
    if US_JURISDICTIONS.contains(&value) {
        Ok(())
    } else {
        Err(error("state", "must be a two-letter US state or territory code, e.g. NY"))
    }
}

/// License numbers: letters, digits and the separators boards use.
pub fn license_number(value: &str) -> Result<(), ValidationError> {
    if !value.is_empty()
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'/' | b' '))
    {
        Ok(())
    } else {
        Err(error("license_number", "may hold only letters, digits, spaces and - . /"))
    }
}

/// Certifying boards whose MOC credit is reported through PARS, plus `other`.
pub const BOARDS: [&str; 9] = ["abim", "aba", "abp", "abpath", "abs", "abohns", "abts", "abos", "other"];

pub fn board_ids(value: &std::collections::BTreeMap<String, Option<String>>) -> Result<(), ValidationError> {
    if value.len() > BOARDS.len() {
        return Err(error("length", "too many board IDs"));
    }
    for (board, id) in value {
        if !BOARDS.contains(&board.as_str()) {
            return Err(error(
                "board",
                "unknown board; use abim, aba, abp, abpath, abs, abohns, abts, abos or other",
            ));
        }
        if let Some(id) = id {
            if id.is_empty() || id.len() > 32 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                return Err(error("board_id", "board IDs are 1-32 letters, digits or dashes"));
            }
        }
    }
    Ok(())
}

/// A display name: not blank, no control characters. (The schemas state the same rule as a
/// `pattern`, so that clients can check it before sending.)
pub fn name(value: &str) -> Result<(), ValidationError> {
    if value.trim().is_empty() || value.chars().any(char::is_control) {
        Err(error("name", "must not be blank or hold control characters"))
    } else {
        Ok(())
    }
}

/// Emails compare case-insensitively.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npi_check_digits_follow_the_cms_rule() {
        // CMS's worked example: 123456789 has check digit 3.
        assert!(is_valid_npi("1234567893"));
        assert!(!is_valid_npi("1234567890"));
        assert!(!is_valid_npi("123456789"));
        assert!(!is_valid_npi("12345678931"));
        assert!(!is_valid_npi("12345a7893"));
    }

    #[test]
    fn mmdd_accepts_real_days_only() {
        assert!(birth_mmdd("0229").is_ok());
        assert!(birth_mmdd("1231").is_ok());
        assert!(birth_mmdd("0230").is_err());
        assert!(birth_mmdd("1301").is_err());
        assert!(birth_mmdd("0000").is_err());
        assert!(birth_mmdd("715").is_err());
    }

    #[test]
    fn nabp_ids_are_six_or_seven_digits() {
        assert!(nabp_eprofile_id("123456").is_ok());
        assert!(nabp_eprofile_id("1234567").is_ok());
        assert!(nabp_eprofile_id("12345").is_err());
        assert!(nabp_eprofile_id("12345678").is_err());
        assert!(nabp_eprofile_id("12345x").is_err());
    }

    #[test]
    fn license_states_and_boards_are_known_codes() {
        assert!(license_state("NY").is_ok());
        assert!(license_state("ny").is_err());
        assert!(license_state("XX").is_err());
        let mut ids = std::collections::BTreeMap::new();
        ids.insert("abim".to_string(), Some("123456".to_string()));
        assert!(board_ids(&ids).is_ok());
        ids.insert("abxx".to_string(), None);
        assert!(board_ids(&ids).is_err());
    }
}
