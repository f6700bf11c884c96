//! Sending a batch to its destination. By file is the default: the CE office uploads it and
//! records the answers. Where a destination's web service is documented and configured, the
//! batch is sent directly: CPE Monitor one participation a call (`SubmitCPEActivityJSON`,
//! answered per record), CE Broker the roster at once (`UploadXMLString`, answered for the
//! upload). Every call goes through [`crate::outbound`] with its timeouts.

use serde::Deserialize;

use crate::{
    config::{BoardServices, CeBrokerService, CpeMonitorService, OutboundSettings},
    outbound::{self, OutboundError},
    reporting::{dto::Destination, formats::xml_escape},
};

/// Who sends a destination's batches.
pub enum Submitter<'a> {
    File,
    CpeMonitor(&'a CpeMonitorService),
    CeBroker(&'a CeBrokerService),
}

/// What sending came to.
#[derive(Debug)]
pub enum Sent {
    /// Per item, the destination's answer: `(item id, accepted, message)`. Items without an
    /// answer were not sent: `failure` says why the sending stopped.
    PerItem { answers: Vec<(String, bool, String)>, failure: Option<String> },
    /// The destination answered for the whole upload.
    Whole { accepted: bool, message: String },
}

impl<'a> Submitter<'a> {
    pub fn for_destination(destination: Destination, boards: &'a BoardServices) -> Submitter<'a> {
        match (destination, &boards.cpe_monitor, &boards.ce_broker) {
            (Destination::CpeMonitor, Some(service), _) => Submitter::CpeMonitor(service),
            (Destination::CeBroker, _, Some(service)) => Submitter::CeBroker(service),
            _ => Submitter::File,
        }
    }

    /// Sends the batch's file; `None` for the file submitter (nothing to send).
    pub async fn send(&self, outbound: &OutboundSettings, file: &str) -> Result<Option<Sent>, OutboundError> {
        match self {
            Submitter::File => Ok(None),
            Submitter::CpeMonitor(service) => cpe_monitor(service, outbound, file).await.map(Some),
            Submitter::CeBroker(service) => ce_broker(service, outbound, file).await.map(Some),
        }
    }
}

/// The batch file as `formats` writes it for CPE Monitor.
#[derive(Deserialize)]
struct CpeMonitorFile {
    provider_number: Option<String>,
    records: Vec<CpeMonitorRecord>,
}

#[derive(Deserialize)]
struct CpeMonitorRecord {
    record_id: String,
    epid: Option<String>,
    date_of_birth: Option<String>,
    uan: Option<String>,
    date_of_participation: String,
    action: String,
}

/// CPE Monitor's answer: `status` is `Accepted`, or `error_message` says why not.
#[derive(Deserialize)]
struct CpeMonitorAnswer {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    error_message: Option<String>,
}

async fn cpe_monitor(
    service: &CpeMonitorService,
    outbound: &OutboundSettings,
    file: &str,
) -> Result<Sent, OutboundError> {
    let batch: CpeMonitorFile = serde_json::from_str(file).map_err(|e| OutboundError::Body(e.to_string()))?;
    let client = outbound::client(outbound)?;
    let mut answers = Vec::with_capacity(batch.records.len());
    for record in &batch.records {
        let query = serde_urlencoded::to_string([
            ("username", service.username.as_str()),
            ("password", service.password.as_str()),
            ("provider_number", batch.provider_number.as_deref().unwrap_or("")),
            ("epid", record.epid.as_deref().unwrap_or("")),
            ("date_of_birth", record.date_of_birth.as_deref().unwrap_or("")),
            ("uan", record.uan.as_deref().unwrap_or("")),
            ("date_of_participation", record.date_of_participation.as_str()),
            ("action", record.action.as_str()),
        ])
        .map_err(|e| OutboundError::Send(e.to_string()))?;
        let url = format!("{}/SubmitCPEActivityJSON?{query}", service.url);
        // A failed call stops the sending: what was answered is kept, the rest stays due.
        let answer = match outbound::text(client.get(url).send()).await {
            Ok((200, body)) => serde_json::from_str::<CpeMonitorAnswer>(&body)
                .map_err(|_| format!("CPE Monitor answered something else than its JSON: {}", cut(&body))),
            Ok((status, body)) => Err(format!("CPE Monitor answered HTTP {status}: {}", cut(&body))),
            Err(error) => Err(error.to_string()),
        };
        match answer {
            Ok(answer) => {
                let accepted = answer.status.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("accepted"));
                let message = answer.error_message.or(answer.status).unwrap_or_default();
                answers.push((record.record_id.clone(), accepted, message));
            }
            // Nothing answered yet: the sending failed as a whole (the batch stays built).
            Err(failure) if answers.is_empty() => return Err(OutboundError::Send(failure)),
            Err(failure) => return Ok(Sent::PerItem { answers, failure: Some(failure) }),
        }
    }
    Ok(Sent::PerItem { answers, failure: None })
}

/// At most 2,000 characters of a service's answer, for messages.
fn cut(text: &str) -> String {
    text.chars().take(2000).collect()
}

/// The roster with the provider's upload key (kept out of the downloadable file).
fn with_upload_key(file: &str, key: &str) -> String {
    file.replacen("<rosters ", &format!("<rosters upload_key=\"{}\" ", xml_escape(key)), 1)
}

/// Whether every `ErrorCode` in CE Broker's answer is 0 (an answer with none is accepted).
fn ce_broker_accepted(answer: &str) -> bool {
    answer
        .split("<ErrorCode>")
        .skip(1)
        .all(|rest| rest.split('<').next().is_some_and(|code| code.trim() == "0"))
}

async fn ce_broker(
    service: &CeBrokerService,
    outbound: &OutboundSettings,
    file: &str,
) -> Result<Sent, OutboundError> {
    let client = outbound::client(outbound)?;
    let form = [("InXML", with_upload_key(file, &service.upload_key))];
    let url = format!("{}/UploadXMLString", service.url);
    match outbound::text(client.post(url).send_form(&form)).await? {
        (200, body) => Ok(Sent::Whole { accepted: ce_broker_accepted(&body), message: cut(&body) }),
        (status, body) => {
            Err(OutboundError::Send(format!("CE Broker answered HTTP {status}: {}", cut(&body))))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ce_broker_answers_are_accepted_only_without_error_codes() {
        assert!(ce_broker_accepted("<result><ErrorCode>0</ErrorCode><Message>OK</Message></result>"));
        assert!(ce_broker_accepted("<result>Uploaded</result>"));
        assert!(!ce_broker_accepted("<r><ErrorCode>0</ErrorCode><ErrorCode>12</ErrorCode></r>"));
    }

    #[test]
    fn the_upload_key_goes_into_the_roster_escaped() {
        let roster = with_upload_key("<rosters id_parent_provider=\"1\"></rosters>", "k&y");
        assert_eq!(roster, "<rosters upload_key=\"k&amp;y\" id_parent_provider=\"1\"></rosters>");
    }
}
