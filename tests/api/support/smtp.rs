//! A real SMTP listener in the test process: accepts every mail on 127.0.0.1 and keeps it,
//! so that tests read what the service mailed (and follow its links).

use std::{
    io::{BufRead, BufReader, Write},
    net::{TcpListener, TcpStream},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// One received mail: the envelope recipient and the decoded message text.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub to: String,
    pub message: String,
}

impl ReceivedMail {
    pub fn subject(&self) -> &str {
        self.message.lines().find_map(|l| l.strip_prefix("Subject: ")).unwrap_or_default()
    }

    /// The token of the first link to `page` (`verify-email`, `reset-password`).
    pub fn token_for(&self, page: &str) -> Option<String> {
        let marker = format!("/{page}?token=");
        let start = self.message.find(&marker)? + marker.len();
        let token: String = self.message[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        Some(token)
    }
}

pub struct SmtpInbox {
    pub url: String,
    mails: Arc<Mutex<Vec<ReceivedMail>>>,
}

impl SmtpInbox {
    pub fn start() -> SmtpInbox {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind SMTP listener");
        let url = format!("smtp://{}", listener.local_addr().expect("address"));
        let mails = Arc::new(Mutex::new(Vec::new()));
        let kept = mails.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let kept = kept.clone();
                std::thread::spawn(move || {
                    let _ = converse(stream, &kept);
                });
            }
        });
        SmtpInbox { url, mails }
    }

    /// Every mail received so far for `to`.
    pub fn mails_to(&self, to: &str) -> Vec<ReceivedMail> {
        self.mails.lock().expect("inbox").iter().filter(|m| m.to.eq_ignore_ascii_case(to)).cloned().collect()
    }

    /// Waits (up to 10 s: mails leave after the answer) until `count` mails reached `to`.
    pub async fn wait_for(&self, to: &str, count: usize) -> Vec<ReceivedMail> {
        self.wait_for_subject(to, "", count).await
    }

    /// Waits until `count` mails whose subject starts with `subject` reached `to`; returns them.
    pub async fn wait_for_subject(&self, to: &str, subject: &str, count: usize) -> Vec<ReceivedMail> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let mails: Vec<ReceivedMail> =
                self.mails_to(to).into_iter().filter(|m| m.subject().starts_with(subject)).collect();
            if mails.len() >= count {
                return mails;
            }
            assert!(Instant::now() < deadline, "{count} mail(s) for {to} did not arrive; got {mails:?}");
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The server side of one SMTP session (RFC 5321): every command accepted.
fn converse(stream: TcpStream, mails: &Mutex<Vec<ReceivedMail>>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    writer.write_all(b"220 test-smtp ESMTP\r\n")?;
    let mut recipient = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_ascii_uppercase();
        if command.starts_with("RCPT TO:") {
            recipient = line.trim_end()[8..].trim().trim_matches(|c| c == '<' || c == '>').to_string();
            writer.write_all(b"250 OK\r\n")?;
        } else if command == "DATA" {
            writer.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")?;
            let mut data = String::new();
            loop {
                line.clear();
                if reader.read_line(&mut line)? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            let quoted = data.to_ascii_lowercase().contains("content-transfer-encoding: quoted-printable");
            let message = if quoted { decode_quoted_printable(&data) } else { data };
            mails.lock().expect("inbox").push(ReceivedMail { to: recipient.clone(), message });
            writer.write_all(b"250 OK queued\r\n")?;
        } else if command == "QUIT" {
            writer.write_all(b"221 Bye\r\n")?;
            return Ok(());
        } else {
            writer.write_all(b"250 OK\r\n")?;
        }
    }
}

/// Undoes quoted-printable soft line breaks and `=XX` escapes (long lines are sent that way).
fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'=' && i + 2 < bytes.len())
            .then(|| {
                std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok())
            })
            .flatten();
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
