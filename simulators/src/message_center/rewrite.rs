//! Editing a received message at the byte level, for relaying it (RFC 3261 16.6, 16.7).
//!
//! A [`Draft`] starts as the message's own start line, header lines and body, each header line
//! kept as the exact bytes received (folding, spacing and case included). The proxy then changes
//! only what it must (its Via, Max-Forwards, identity headers) and writes the result; every
//! line it does not touch, and the body, go out byte-identical. This module does not decide what
//! to change.

use std::borrow::Cow;

use bytes::{BufMut, Bytes, BytesMut};
use rcs_proto::sip::{Message, names_equal};

/// One header line of a draft.
#[derive(Clone, Debug)]
enum Line<'a> {
    /// A line of the received message, as received.
    Raw { name: &'a str, bytes: &'a [u8] },
    /// A line written by the proxy.
    New { name: String, value: String },
}

impl Line<'_> {
    fn name(&self) -> &str {
        match self {
            Self::Raw { name, .. } => name,
            Self::New { name, .. } => name,
        }
    }
}

/// A message being edited for relay.
#[derive(Clone, Debug)]
pub struct Draft<'a> {
    start_line: String,
    lines: Vec<Line<'a>>,
    body: Cow<'a, [u8]>,
}

impl<'a> Draft<'a> {
    /// The message as received.
    pub fn new(message: &'a Message) -> Self {
        let raw = message.as_bytes();
        let lines = message
            .headers()
            .iter()
            .map(|h| Line::Raw {
                name: &h.name,
                bytes: raw.get(h.span.clone()).unwrap_or_default(),
            })
            .collect();
        Self {
            start_line: message.start_line_text(),
            lines,
            body: Cow::Borrowed(message.body()),
        }
    }

    /// Replaces the start line.
    pub fn set_start_line(&mut self, text: String) {
        self.start_line = text;
    }

    /// Index of the first line of header `name`.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.lines.iter().position(|l| names_equal(l.name(), name))
    }

    /// Inserts a new line at `index` (clamped to the end).
    pub fn insert(&mut self, index: usize, name: &str, value: &str) {
        let index = index.min(self.lines.len());
        self.lines.insert(
            index,
            Line::New {
                name: name.to_owned(),
                value: value.to_owned(),
            },
        );
    }

    /// Appends a new line before the first of `names` present, or at the end.
    pub fn insert_before_first_of(&mut self, names: &[&str], name: &str, value: &str) {
        let at = names
            .iter()
            .filter_map(|n| self.position(n))
            .min()
            .unwrap_or(self.lines.len());
        self.insert(at, name, value);
    }

    /// Removes every line of header `name`.
    pub fn remove(&mut self, name: &str) {
        self.lines.retain(|l| !names_equal(l.name(), name));
    }

    /// Replaces the line at `index` with a new one, keeping its name as received.
    pub fn replace_at(&mut self, index: usize, value: &str) {
        if let Some(line) = self.lines.get_mut(index) {
            let name = line.name().to_owned();
            *line = Line::New {
                name,
                value: value.to_owned(),
            };
        }
    }

    /// Removes the first value of the first line of header `name` (the top Via, the first
    /// Route): the whole line if it held one value, else the line is rewritten without it.
    pub fn pop_first_value(&mut self, name: &str, message: &Message) -> Option<String> {
        let index = self.position(name)?;
        let value = self.value_at(index, message)?;
        let values = split_list(&value);
        let (first, rest) = values.split_first()?;
        let first = (*first).to_owned();
        if rest.is_empty() {
            self.lines.remove(index);
        } else {
            self.replace_at(index, &rest.join(", "));
        }
        Some(first)
    }

    /// The unfolded value of the line at `index` (`message` is the one the draft came from).
    fn value_at(&self, index: usize, message: &Message) -> Option<String> {
        match self.lines.get(index)? {
            Line::New { value, .. } => Some(value.clone()),
            Line::Raw { name, .. } => {
                let ordinal = self
                    .lines
                    .iter()
                    .take(index)
                    .filter(|l| matches!(l, Line::Raw { .. }) && names_equal(l.name(), name))
                    .count();
                message
                    .headers()
                    .iter()
                    .filter(|h| names_equal(&h.name, name))
                    .nth(ordinal)
                    .map(|h| h.value.clone())
            }
        }
    }

    /// Replaces the body; Content-Length, if present, is rewritten to its length.
    pub fn set_body(&mut self, body: Vec<u8>) {
        if let Some(index) = self.position("Content-Length") {
            self.replace_at(index, &body.len().to_string());
        }
        self.body = Cow::Owned(body);
    }

    /// Writes the message.
    pub fn build(&self) -> Bytes {
        let mut out = BytesMut::with_capacity(self.start_line.len() + self.body.len() + 1024);
        out.put_slice(self.start_line.as_bytes());
        out.put_slice(b"\r\n");
        for line in &self.lines {
            match line {
                Line::Raw { bytes, .. } => out.put_slice(bytes),
                Line::New { name, value } => {
                    out.put_slice(name.as_bytes());
                    out.put_slice(b": ");
                    out.put_slice(value.as_bytes());
                }
            }
            out.put_slice(b"\r\n");
        }
        out.put_slice(b"\r\n");
        out.put_slice(&self.body);
        out.freeze()
    }
}

/// Splits a header value on commas outside quoted strings and `<...>` (RFC 3261 7.3.1),
/// skipping empty values.
pub fn split_list(value: &str) -> Vec<&str> {
    let mut values = rcs_proto::sip::split_outside(value, b',');
    values.retain(|piece| !piece.is_empty());
    values
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const RESPONSE: &[u8] = b"SIP/2.0 200 Fine Indeed\r\n\
Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKmc, SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKue\r\n\
To:   <sip:b@x>;tag=9\r\n\
Subject: folded\r\n  line\r\n\
Content-Length: 4\r\n\r\nbody";

    #[test]
    fn untouched_message_is_byte_identical() {
        let msg = Message::parse(RESPONSE).unwrap();
        assert_eq!(&Draft::new(&msg).build()[..], RESPONSE);
    }

    #[test]
    fn popping_the_top_via_of_a_two_value_line() {
        let msg = Message::parse(RESPONSE).unwrap();
        let mut draft = Draft::new(&msg);
        let top = draft.pop_first_value("v", &msg).unwrap();
        assert_eq!(top, "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKmc");
        let out = draft.build();
        let expected = b"SIP/2.0 200 Fine Indeed\r\n\
Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKue\r\n\
To:   <sip:b@x>;tag=9\r\n\
Subject: folded\r\n  line\r\n\
Content-Length: 4\r\n\r\nbody";
        assert_eq!(&out[..], &expected[..]);
        let again = Message::parse(out).unwrap();
        let mut draft = Draft::new(&again);
        draft.pop_first_value("Via", &again).unwrap();
        assert!(
            Message::parse(draft.build())
                .unwrap()
                .header("Via")
                .is_none()
        );
    }

    #[test]
    fn insert_remove_and_start_line() {
        let msg = Message::parse(RESPONSE).unwrap();
        let mut draft = Draft::new(&msg);
        draft.set_start_line("SIP/2.0 202 Accepted".into());
        draft.remove("subject");
        draft.insert_before_first_of(&["Content-Type", "Content-Length"], "X-A", "1");
        draft.insert(0, "Via", "SIP/2.0/TCP h;branch=z9hG4bKn");
        let out = Message::parse(draft.build()).unwrap();
        assert_eq!(out.status(), Some(202));
        let names: Vec<_> = out.headers().iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["Via", "Via", "To", "X-A", "Content-Length"]);
        assert_eq!(out.body(), b"body");
    }

    #[test]
    fn list_splitting_respects_quotes_and_brackets() {
        assert_eq!(
            split_list(r#""a, b" <sip:x;p=1,2>;q="c,d", <tel:+1> ,"#),
            [r#""a, b" <sip:x;p=1,2>;q="c,d""#, "<tel:+1>"]
        );
        assert!(split_list(" , ").is_empty());
    }
}
