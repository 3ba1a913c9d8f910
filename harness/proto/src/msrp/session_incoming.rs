//! What a [`Session`] does with the frames it receives (RFC 4975 §7.2, §7.3, §7.1.2, §8.6).
//!
//! An incoming SEND is checked in this order: To-Path (`481` when its first URI does not carry our
//! session-id, RFC 4975 §7.3), Message-ID and Byte-Range (`400`), size (`413` above the maximum or
//! when too many messages are in progress), Content-Type (`415` unless accepted, RFC 4975 §8.6;
//! for `message/cpim` the type inside the first chunk must be an accepted wrapped type). It is
//! then answered `200`, unless its Failure-Report is `no` (no response at all) or `partial`
//! (errors only, RFC 4975 §7.1.2), and reassembled; a whole message surfaces as
//! [`SessionEvent::Received`], followed by a success REPORT for the whole Byte-Range when asked
//! for. In relay mode each chunk surfaces as a [`SessionEvent::Chunk`] instead. REPORTs surface as
//! [`SessionEvent::Report`] and are never answered. Other methods get `501`.

use std::time::Instant;

use super::session::{
    MAX_INCOMING, ReportMode, Session, SessionEvent, media_type_accepted, reason,
};
use super::{ByteRange, Flag, Frame, FrameBuilder, FrameKind};
use crate::cpim::CpimMessage;

/// How many refused Message-IDs are remembered, so their later chunks get the same answer.
const REFUSED_MEMORY: usize = 64;

/// One incoming SEND chunk, as relay mode hands it over.
#[derive(Clone, Debug, PartialEq)]
pub struct Chunk {
    /// Its Message-ID.
    pub message_id: String,
    /// Its Byte-Range (`1-*/*` when it had none, RFC 4975 §7.3.1).
    pub byte_range: ByteRange,
    /// Its Content-Type, absent on a bodiless SEND.
    pub content_type: Option<String>,
    /// Its end-line flag.
    pub flag: Flag,
    /// Its body.
    pub body: Vec<u8>,
    /// Whether it asked for a success REPORT.
    pub success_report: bool,
    /// Its Failure-Report.
    pub failure_report: ReportMode,
}

/// An incoming message being reassembled.
#[derive(Clone, Debug, Default)]
pub(super) struct Incoming {
    content_type: Option<String>,
    chunks: usize,
    success_report: bool,
    /// The Byte-Range of the last chunk received, for the `report_partial_range` fault.
    last_range: Option<ByteRange>,
}

/// A SEND that passed the checks.
struct Accepted {
    message_id: String,
    range: ByteRange,
    failure_report: ReportMode,
    success_report: bool,
}

impl Session {
    /// Takes one frame from the connection.
    pub fn handle_frame(&mut self, frame: &Frame, now: Instant) {
        let _ = now;
        match &frame.kind {
            FrameKind::Response { code, .. } => self.handle_response(frame, *code),
            FrameKind::Request { method } if method == "SEND" => self.handle_send(frame),
            FrameKind::Request { method } if method == "REPORT" => self.handle_report(frame),
            FrameKind::Request { .. } => self.refuse(frame, 501, "method not implemented"),
        }
    }

    fn handle_report(&mut self, frame: &Frame) {
        let status = frame
            .header("Status")
            .and_then(|s| s.split_ascii_whitespace().nth(1))
            .and_then(|code| code.parse::<u16>().ok());
        let range = frame.byte_range().ok().flatten();
        if let (Some(message_id), Some(status), Some(byte_range)) =
            (frame.message_id(), status, range)
        {
            self.events.push_back(SessionEvent::Report {
                message_id: message_id.to_owned(),
                status,
                byte_range,
            });
        }
    }

    fn handle_send(&mut self, frame: &Frame) {
        let accepted = match self.check_send(frame) {
            Ok(accepted) => accepted,
            Err((status, why)) => {
                if let (Some(id), false) = (frame.message_id(), status == 481) {
                    self.remember_refused(id, status);
                }
                return self.refuse(frame, status, &why);
            }
        };
        let answer = accepted.failure_report == ReportMode::Yes;
        if self.config.relay {
            if answer {
                self.respond(frame, 200);
            }
            return self.events.push_back(SessionEvent::Chunk(Chunk {
                message_id: accepted.message_id,
                byte_range: accepted.range,
                content_type: frame.content_type().map(str::to_owned),
                flag: frame.flag,
                body: frame.body.to_vec(),
                success_report: accepted.success_report,
                failure_report: accepted.failure_report,
            }));
        }
        if frame.content_type().is_none() && frame.body.is_empty() {
            // A bodiless SEND carries no message (RFC 4975 §7.1.1).
            if answer {
                self.respond(frame, 200);
            }
            return;
        }
        self.reassemble(frame, accepted);
    }

    /// The checks of the module docs, in order; an error is the status and why.
    fn check_send(&self, frame: &Frame) -> Result<Accepted, (u16, String)> {
        let first = frame
            .to_path_uris()
            .map_err(|e| (400, format!("failed to {e}")))?;
        let ours = self.config.local.session_id();
        if first.first().and_then(|u| u.session_id()) != ours {
            return Err((481, "the To-Path does not name this session".to_owned()));
        }
        let message_id = frame
            .message_id()
            .ok_or((400, "the SEND has no Message-ID".to_owned()))?
            .to_owned();
        if let Some((_, status)) = self.refused.iter().find(|(id, _)| *id == message_id) {
            return Err((
                *status,
                "an earlier chunk of this message was refused".to_owned(),
            ));
        }
        let range = frame
            .byte_range()
            .map_err(|e| (400, format!("failed to {e}")))?
            .unwrap_or(ByteRange {
                start: 1,
                end: None,
                total: None,
            });
        self.check_size(&message_id, range, frame.body.len())?;
        if let Some(content_type) = frame.content_type() {
            self.check_type(content_type, range, &frame.body)?;
        }
        Ok(Accepted {
            message_id,
            range,
            failure_report: ReportMode::parse(frame.header("Failure-Report")),
            success_report: frame
                .header("Success-Report")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("yes")),
        })
    }

    fn check_size(
        &self,
        message_id: &str,
        range: ByteRange,
        body: usize,
    ) -> Result<(), (u16, String)> {
        let known = range
            .total
            .or(range.end)
            .unwrap_or(range.start - 1 + body as u64);
        if let Some(max) = self.config.max_size
            && known > max
        {
            return Err((413, format!("the message has {known} bytes, above {max}")));
        }
        let new = !self.incoming.contains_key(message_id);
        if new && !self.config.relay && self.incoming.len() >= MAX_INCOMING {
            return Err((
                413,
                format!("{MAX_INCOMING} messages are already in progress"),
            ));
        }
        Ok(())
    }

    fn check_type(
        &self,
        content_type: &str,
        range: ByteRange,
        body: &[u8],
    ) -> Result<(), (u16, String)> {
        if !media_type_accepted(&self.config.accept_types, content_type) {
            return Err((415, format!("{content_type} is not accepted")));
        }
        let bare = content_type.split(';').next().unwrap_or_default().trim();
        if !bare.eq_ignore_ascii_case("message/cpim") || range.start != 1 {
            return Ok(());
        }
        // Only the first chunk holds the CPIM headers; an unreadable one is left to the reader.
        let inner = CpimMessage::parse(body).ok();
        match inner.as_ref().and_then(CpimMessage::content_type) {
            Some(inner) if !media_type_accepted(&self.config.accept_wrapped_types, inner) => {
                Err((415, format!("{inner} inside message/cpim is not accepted")))
            }
            _ => Ok(()),
        }
    }

    fn reassemble(&mut self, frame: &Frame, accepted: Accepted) {
        let id = accepted.message_id;
        let result = match self.reassembler.accept(frame) {
            Ok(result) => result,
            Err(err) => {
                self.remember_refused(&id, 400);
                return self.refuse(frame, 400, &format!("failed to {err}"));
            }
        };
        if accepted.failure_report == ReportMode::Yes {
            self.respond(frame, 200);
        }
        let mut state = self.incoming.remove(&id).unwrap_or_default();
        state.chunks += 1;
        state.success_report |= accepted.success_report;
        state.last_range = Some(accepted.range);
        if state.content_type.is_none() {
            state.content_type = frame.content_type().map(str::to_owned);
        }
        match result {
            None if frame.flag == Flag::Abort => {
                self.events
                    .push_back(SessionEvent::Aborted { message_id: id });
            }
            None => {
                self.incoming.insert(id, state);
            }
            Some(body) => self.complete(frame, id, state, body),
        }
    }

    /// Surfaces a whole message and sends its success REPORT when asked (RFC 4975 §7.1.2).
    fn complete(&mut self, frame: &Frame, message_id: String, state: Incoming, body: Vec<u8>) {
        let total = body.len() as u64;
        let whole = ByteRange {
            start: 1,
            end: Some(total),
            total: Some(total),
        };
        let range = match (self.faults.report_partial_range, state.last_range) {
            (true, Some(last)) => ByteRange {
                end: last.end.or(Some(total)),
                total: Some(total),
                ..last
            },
            _ => whole,
        };
        let to_path = frame.from_path().unwrap_or(&self.to_path).to_owned();
        self.events.push_back(SessionEvent::Received {
            message_id: message_id.clone(),
            content_type: state.content_type.unwrap_or_default(),
            body,
            chunks: state.chunks,
        });
        if state.success_report {
            self.report_to(&to_path, &message_id, range, 200);
        }
    }

    /// Answers with an error (whatever the Failure-Report, errors are always owed except for
    /// `no`) and surfaces [`SessionEvent::Refused`].
    fn refuse(&mut self, frame: &Frame, status: u16, why: &str) {
        if ReportMode::parse(frame.header("Failure-Report")) != ReportMode::No {
            self.respond(frame, status);
        }
        self.events.push_back(SessionEvent::Refused {
            status,
            reason: why.to_owned(),
        });
    }

    fn respond(&mut self, frame: &Frame, status: u16) {
        if status == 200 && self.faults.no_responses {
            return;
        }
        let response = FrameBuilder::response_to(frame, status, Some(reason(status))).build();
        self.queue(response.as_bytes());
    }

    fn remember_refused(&mut self, message_id: &str, status: u16) {
        self.incoming.remove(message_id);
        self.reassembler.discard(message_id);
        if self.refused.iter().any(|(id, _)| id == message_id) {
            return;
        }
        if self.refused.len() >= REFUSED_MEMORY {
            self.refused.pop_front();
        }
        self.refused.push_back((message_id.to_owned(), status));
    }
}
