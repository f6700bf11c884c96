//! A transcript as CSV: one awarded credit a line, for spreadsheets and license renewal.

use crate::{credit_claims::dto::Transcript, http::csv};

pub fn to_csv(transcript: &Transcript) -> String {
    let mut out = String::from(
        "completion_date,activity_title,format,credit_type,amount,acpe_uan,activity_id,claim_id\n",
    );
    for entry in &transcript.entries {
        csv::push_row(
            &mut out,
            &[
                entry.completion_date.to_string(),
                entry.activity_title.clone(),
                crate::db::enum_text(&entry.format),
                crate::db::enum_text(&entry.credit_type),
                format!("{:.2}", entry.amount),
                entry.acpe_uan.clone().unwrap_or_default(),
                entry.activity_id.clone(),
                entry.claim_id.clone(),
            ],
        );
    }
    out
}
