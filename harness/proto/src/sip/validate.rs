//! Strict checks of a parsed message against the RFC 3261 grammar (25.1) and header rules (20).
//!
//! [`Message::parse`] is lenient, like a robust proxy; [`Message::validate`] lists what a strict
//! parser would object to, each [`Deviation`] naming the construct at fault. Covered: the start
//! line (single SP separators, SIP/2.0, status code range), the Request-URI (no LWS, no `<>`, no
//! escaped headers: RFC 3261 19.1.1), required and single-value headers, CSeq, Content-Length,
//! Max-Forwards, Expires, Retry-After, Warning, Date (RFC 1123, GMT) and, in `validate_addr`, the
//! name-addr and Via grammar. Semantic judgements (unknown schemes, Require, branch cookies) are
//! left to the application.

use super::cseq::{CSeq, parse_bounded};
use super::head::is_token_char;
use super::message::{Message, StartLine, parse_length};
use super::uri::Uri;
use super::validate_addr::{check_date, check_name_addrs, check_vias};

/// One departure from the strict grammar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deviation {
    /// The construct at fault: a header name in canonical form, or `Request-Line`,
    /// `Status-Line`, `Method`, `Request-URI`, `SIP-Version`, `Status-Code`.
    pub construct: &'static str,
    /// What is wrong, for a report.
    pub detail: String,
}

impl Deviation {
    pub(crate) fn new(construct: &'static str, detail: impl Into<String>) -> Self {
        Self {
            construct,
            detail: detail.into(),
        }
    }
}

/// Headers a request must carry (RFC 3261 8.1.1).
const REQUIRED_IN_REQUESTS: &[&str] = &["To", "From", "Call-ID", "CSeq", "Via", "Max-Forwards"];
/// Headers a response must carry (RFC 3261 8.2.6.2, 20).
const REQUIRED_IN_RESPONSES: &[&str] = &["To", "From", "Call-ID", "CSeq", "Via"];
/// Headers that may appear only once (RFC 3261 7.3.1, 20).
const SINGLE_VALUE: &[&str] = &[
    "To",
    "From",
    "Call-ID",
    "CSeq",
    "Max-Forwards",
    "Content-Length",
    "Content-Type",
    "Expires",
];

impl Message {
    /// Lists every strict-grammar deviation; empty for a well-formed message.
    pub fn validate(&self) -> Vec<Deviation> {
        let mut out = Vec::new();
        match &self.start_line {
            StartLine::Request {
                method,
                uri,
                version,
            } => {
                self.check_request_line(method, uri, version, &mut out);
                check_version(version, &mut out);
                self.check_cseq(Some(method), &mut out);
            }
            StartLine::Response {
                version,
                status,
                reason,
            } => {
                self.check_status_line(version, *status, reason, &mut out);
                check_version(version, &mut out);
                self.check_cseq(None, &mut out);
            }
        }
        self.check_presence(&mut out);
        self.check_content_length(&mut out);
        self.check_scalars(&mut out);
        check_name_addrs(self, &mut out);
        check_vias(self, &mut out);
        check_date(self, &mut out);
        out
    }

    fn check_request_line(&self, method: &str, uri: &str, version: &str, out: &mut Vec<Deviation>) {
        let raw = self.start_line_text();
        if raw != format!("{method} {uri} {version}") {
            let detail = if raw.ends_with([' ', '\t']) || raw.starts_with([' ', '\t']) {
                "whitespace before or after the Request-Line elements"
            } else {
                "elements are not separated by exactly one SP"
            };
            out.push(Deviation::new("Request-Line", detail));
        }
        if !method.bytes().all(is_token_char) {
            out.push(Deviation::new(
                "Method",
                format!("{method:?} is not a token"),
            ));
        }
        if let Some(detail) = request_uri_problem(uri) {
            out.push(Deviation::new("Request-URI", detail));
        }
    }

    fn check_status_line(
        &self,
        version: &str,
        status: u16,
        reason: &str,
        out: &mut Vec<Deviation>,
    ) {
        if self.start_line_text() != format!("{version} {status:03} {reason}") {
            out.push(Deviation::new(
                "Status-Line",
                "not SIP-Version SP 3DIGIT SP Reason-Phrase",
            ));
        }
        if !(100..=699).contains(&status) {
            out.push(Deviation::new(
                "Status-Code",
                format!("{status} is outside 100-699"),
            ));
        }
        if reason.chars().any(|c| c.is_control() && c != '\t') {
            out.push(Deviation::new(
                "Status-Line",
                "control character in the reason",
            ));
        }
    }

    fn check_cseq(&self, method: Option<&str>, out: &mut Vec<Deviation>) {
        let Some(value) = self.header("CSeq") else {
            return;
        };
        match CSeq::parse(value) {
            Ok(cseq) => {
                if let Some(method) = method
                    && cseq.method != method
                {
                    out.push(Deviation::new(
                        "CSeq",
                        format!(
                            "method {} differs from the request method {method}",
                            cseq.method
                        ),
                    ));
                }
            }
            Err(err) => out.push(Deviation::new("CSeq", err.to_string())),
        }
    }

    fn check_presence(&self, out: &mut Vec<Deviation>) {
        let required = if self.is_request() {
            REQUIRED_IN_REQUESTS
        } else {
            REQUIRED_IN_RESPONSES
        };
        for name in required {
            if self.header(name).is_none() {
                out.push(Deviation::new(name, "required header is missing"));
            }
        }
        for name in SINGLE_VALUE {
            let count = self.header_all(name).len();
            if count > 1 {
                out.push(Deviation::new(
                    name,
                    format!("single-value header appears {count} times"),
                ));
            }
        }
        if !self.body().is_empty() && self.header("Content-Type").is_none() {
            out.push(Deviation::new(
                "Content-Type",
                "a body without Content-Type",
            ));
        }
    }

    fn check_content_length(&self, out: &mut Vec<Deviation>) {
        let available = self.raw.len().saturating_sub(self.body.start);
        for value in self.header_all("Content-Length") {
            match parse_length(value) {
                None => out.push(Deviation::new(
                    "Content-Length",
                    format!("{value:?} is not a non-negative decimal number"),
                )),
                Some(len) if len > available => out.push(Deviation::new(
                    "Content-Length",
                    format!("{len} exceeds the {available} octets after the header section"),
                )),
                Some(_) => {}
            }
        }
    }

    fn check_scalars(&self, out: &mut Vec<Deviation>) {
        if let Err(err) = self.max_forwards() {
            out.push(Deviation::new("Max-Forwards", err.to_string()));
        }
        if let Err(err) = self.expires() {
            out.push(Deviation::new("Expires", err.to_string()));
        }
        if let Some(value) = self.header("Retry-After") {
            let delta = value
                .split([' ', '\t', ';', '('])
                .next()
                .unwrap_or_default();
            if parse_bounded(delta, u32::MAX).is_none() {
                out.push(Deviation::new(
                    "Retry-After",
                    format!("{delta:?} is not 0 to 2^32-1 seconds"),
                ));
            }
        }
        for value in self.header_values("Warning") {
            let code = value.split([' ', '\t']).next().unwrap_or_default();
            if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
                out.push(Deviation::new(
                    "Warning",
                    format!("warn-code {code:?} is not three digits"),
                ));
            }
        }
    }
}

fn check_version(version: &str, out: &mut Vec<Deviation>) {
    if !version.eq_ignore_ascii_case("SIP/2.0") {
        out.push(Deviation::new(
            "SIP-Version",
            format!("{version:?} is not SIP/2.0"),
        ));
    }
}

/// The first problem of a Request-URI under RFC 3261 25.1 and 19.1.1.
fn request_uri_problem(uri: &str) -> Option<String> {
    if uri.starts_with('<') || uri.ends_with('>') {
        return Some("enclosed in <>".into());
    }
    if uri.contains([' ', '\t']) {
        return Some("contains whitespace".into());
    }
    match Uri::parse(uri) {
        Err(err) => Some(err.to_string()),
        Ok(Uri::Wildcard) => Some("'*' is not a Request-URI".into()),
        Ok(Uri::Sip(sip)) if !sip.headers.is_empty() => {
            Some("escaped headers are not allowed in a Request-URI (RFC 3261 19.1.1)".into())
        }
        Ok(_) => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::sip::MessageBuilder;

    fn constructs(raw: &str) -> Vec<&'static str> {
        Message::parse(raw.to_owned().into_bytes())
            .unwrap()
            .validate()
            .into_iter()
            .map(|d| d.construct)
            .collect()
    }

    fn request(extra: &str) -> String {
        format!(
            "MESSAGE sip:bob@x SIP/2.0\r\nVia: SIP/2.0/TCP a;branch=z9hG4bK1\r\nMax-Forwards: 70\r\n\
To: <sip:bob@x>\r\nFrom: <sip:alice@x>;tag=1\r\nCall-ID: c\r\nCSeq: 1 MESSAGE\r\n{extra}\r\n"
        )
    }

    #[test]
    fn clean_request_has_no_deviation() {
        assert_eq!(
            constructs(&request("Content-Length: 0\r\n")),
            Vec::<&str>::new()
        );
        let built = MessageBuilder::request("OPTIONS", "tel:+8613800000001")
            .header(
                "Via",
                "SIP/2.0/UDP [2001:db8::1]:5070;branch=z9hG4bKx;rport",
            )
            .header("Max-Forwards", "70")
            .header("To", "<tel:+8613800000001>")
            .header("From", "<sip:a@x>;tag=1")
            .header("Call-ID", "c")
            .header("CSeq", "1 OPTIONS")
            .header("Date", "Sat, 15 Oct 2005 04:44:56 GMT")
            .build();
        assert_eq!(built.validate(), Vec::new());
    }

    #[test]
    fn start_line_deviations() {
        let bad = request("").replace("MESSAGE sip:bob@x SIP/2.0", "MESSAGE  sip:bob@x SIP/2.0 ");
        assert_eq!(constructs(&bad), ["Request-Line"]);
        let bad = request("").replace("sip:bob@x SIP/2.0", "sip:bob@x?Subject=x SIP/2.0");
        assert_eq!(constructs(&bad), ["Request-URI"]);
        let bad = request("").replace("SIP/2.0\r\n", "SIP/3.0\r\n");
        assert_eq!(constructs(&bad), ["SIP-Version"]);
        assert!(constructs("SIP/2.0 099 Low\r\n\r\n").contains(&"Status-Code"));
        assert!(constructs("SIP/2.0 99 Low\r\n\r\n").contains(&"Status-Line"));
    }

    #[test]
    fn header_deviations() {
        let bad = request("").replace("CSeq: 1 MESSAGE", "CSeq: 1 INVITE");
        assert_eq!(constructs(&bad), ["CSeq"]);
        let bad = request("Max-Forwards: 70\r\n");
        assert_eq!(constructs(&bad), ["Max-Forwards"]);
        assert_eq!(constructs(&request("l: -1\r\n")), ["Content-Length"]);
        assert_eq!(constructs(&request("l: 10\r\n")), ["Content-Length"]);
        assert_eq!(
            constructs(&request("Retry-After: 99999999999\r\n")),
            ["Retry-After"]
        );
        assert_eq!(
            constructs(&request("Warning: 1812 x \"y\"\r\n")),
            ["Warning"]
        );
        assert_eq!(constructs(&request("Expires: -1\r\n")), ["Expires"]);
        let missing = request("").replace("Call-ID: c\r\n", "");
        assert_eq!(constructs(&missing), ["Call-ID"]);
        assert_eq!(
            constructs(&format!("{}body", request(""))),
            ["Content-Type"]
        );
    }

    #[test]
    fn protocols_examples_are_clean() {
        for raw in [
            &include_bytes!("../../tests/vectors/sip/protocols-2.2-register.sip")[..],
            &include_bytes!("../../tests/vectors/sip/protocols-2.5-register-200.sip")[..],
            &include_bytes!("../../tests/vectors/sip/protocols-4.3-message.sip")[..],
        ] {
            let msg = Message::parse(raw).unwrap();
            assert_eq!(msg.validate(), Vec::new(), "{}", msg.summary());
        }
    }
}
