//! What a [`Session`] sends and how it takes the responses (RFC 4975 §7.1.1, §7.1.2, §7.2).
//!
//! A message becomes SEND chunks with one Message-ID and Byte-Ranges with the total known; each
//! chunk is a transaction of its own with a fresh id that does not occur in its body. A `200` to
//! the last chunk (`$`) answers the message; any error response, or a timeout, fails it once.
//! REPORTs we send are never answered, so they are not transactions.

use std::time::Instant;

use bytes::Bytes;

use super::session::{Pending, SendOptions, Session, SessionEvent, reason};
use super::session_incoming::Chunk;
use super::{
    ByteRange, Flag, Frame, FrameBuilder, MsrpError, ReportMode, chunk, session::MAX_PENDING,
};

impl Session {
    /// Sends a message as SEND chunks; returns its Message-ID.
    ///
    /// Errors: a given Message-ID that is not an RFC 4975 `ident`, or a chunk size of 0. When
    /// [`MAX_PENDING`] transactions already await responses, nothing is sent and the message fails
    /// at once with a `Failed` event of status 503.
    pub fn send(
        &mut self,
        content_type: &str,
        body: &[u8],
        opts: &SendOptions,
        now: Instant,
    ) -> Result<String, MsrpError> {
        let message_id = self.message_id(opts.message_id.as_deref())?;
        let size = opts.chunk_size.unwrap_or(self.config.chunk_size);
        let builders = chunk(&message_id, content_type, body, size, |_| String::new())?;
        let count = builders.len();
        if self.pending.len() + count > MAX_PENDING {
            self.fail_message(&message_id, 503, "too many transactions await a response");
            return Ok(message_id);
        }
        let order: Vec<usize> = match &opts.chunk_order {
            Some(order) => order.iter().copied().filter(|i| *i < count).collect(),
            None => (0..count).collect(),
        };
        let mut frames: Vec<Option<Frame>> = builders
            .into_iter()
            .map(|b| Some(self.finish_chunk(b, opts)))
            .collect();
        for index in order {
            let Some(frame) = frames.get_mut(index).and_then(Option::take) else {
                continue;
            };
            self.transmit_chunk(frame, &message_id, opts.failure_report, now);
        }
        Ok(message_id)
    }

    /// Sends the bodiless SEND that opens the connection of the active side (RFC 4975 §7.1.1,
    /// §5.4): a Message-ID, `Byte-Range: 1-0/0` and no Content-Type. Its `200` raises no event;
    /// an error response or a timeout raises `Failed` with its Message-ID.
    pub fn send_empty(&mut self, now: Instant) {
        let message_id = self.ids.next();
        let frame = FrameBuilder::request(&self.ids.next(), "SEND")
            .to_path(self.to_path.clone())
            .from_path(self.from_path.clone())
            .header("Message-ID", message_id.clone())
            .header("Byte-Range", "1-0/0")
            .build();
        self.transmit_chunk(frame, &message_id, ReportMode::Yes, now);
        if let Some(pending) = self
            .pending
            .values_mut()
            .find(|p| p.message_id == message_id)
        {
            pending.last = false;
        }
    }

    /// Relay mode: sends one chunk with exactly its Message-ID, Byte-Range, report headers, flag,
    /// Content-Type and body, in a transaction of our own.
    pub fn forward_chunk(&mut self, chunk: &Chunk, now: Instant) {
        let mut builder = FrameBuilder::request(&self.ids.next_not_in(&chunk.body), "SEND")
            .to_path(self.to_path.clone())
            .from_path(self.from_path.clone())
            .header("Message-ID", chunk.message_id.clone())
            .header("Byte-Range", chunk.byte_range.to_string());
        builder = report_headers(builder, chunk.success_report, chunk.failure_report);
        if let Some(content_type) = &chunk.content_type {
            builder = builder.body(content_type, Bytes::from(chunk.body.clone()));
        }
        let frame = builder.flag(chunk.flag).build();
        self.transmit_chunk(frame, &chunk.message_id, chunk.failure_report, now);
    }

    /// Sends a REPORT on `message_id` with `Status: 000 <status> <reason>` (RFC 4975 §7.1.2).
    pub fn send_report(
        &mut self,
        message_id: &str,
        byte_range: ByteRange,
        status: u16,
        _now: Instant,
    ) {
        self.report_to(&self.to_path.clone(), message_id, byte_range, status);
    }

    /// Sends a REPORT to `to_path`, unless the `no_reports` fault is set.
    pub(super) fn report_to(
        &mut self,
        to_path: &str,
        message_id: &str,
        range: ByteRange,
        status: u16,
    ) {
        if self.faults.no_reports {
            return;
        }
        let frame = FrameBuilder::request(&self.ids.next(), "REPORT")
            .to_path(to_path)
            .from_path(self.from_path.clone())
            .header("Message-ID", message_id)
            .header("Byte-Range", range.to_string())
            .header("Status", format!("000 {status} {}", reason(status)))
            .build();
        self.queue(frame.as_bytes());
    }

    /// Takes the response to one of our transactions; unknown ones are ignored.
    pub(super) fn handle_response(&mut self, frame: &Frame, code: u16) {
        let Some(pending) = self.pending.remove(&frame.transaction_id) else {
            return;
        };
        if (200..300).contains(&code) {
            if pending.last {
                self.events.push_back(SessionEvent::Answered {
                    message_id: pending.message_id,
                    status: code,
                });
            }
            return;
        }
        let comment = match &frame.kind {
            super::FrameKind::Response { comment, .. } => comment.clone(),
            super::FrameKind::Request { .. } => None,
        };
        self.fail_message(
            &pending.message_id,
            code,
            comment.as_deref().unwrap_or_else(|| reason(code)),
        );
    }

    /// Paths, report headers and a transaction id that does not occur in the body.
    fn finish_chunk(&mut self, builder: FrameBuilder, opts: &SendOptions) -> Frame {
        let draft = builder.clone().build();
        let tid = self.ids.next_not_in(&draft.body);
        let builder = builder
            .transaction_id(&tid)
            .to_path(self.to_path.clone())
            .from_path(self.from_path.clone());
        report_headers(builder, opts.success_report, opts.failure_report).build()
    }

    /// Queues one chunk (subject to the sending faults) and awaits its response as `mode` says.
    fn transmit_chunk(&mut self, frame: Frame, message_id: &str, mode: ReportMode, now: Instant) {
        let last = frame.flag == Flag::Complete;
        let deadline = now + self.config.transaction_timeout;
        let deadline = match mode {
            ReportMode::Yes => Some(deadline),
            ReportMode::Partial => None,
            ReportMode::No => {
                self.send_chunk_bytes(frame);
                return;
            }
        };
        let tid = frame.transaction_id.clone();
        self.send_chunk_bytes(frame);
        self.pending.insert(
            tid,
            Pending {
                message_id: message_id.to_owned(),
                last,
                deadline,
            },
        );
    }

    fn send_chunk_bytes(&mut self, mut frame: Frame) {
        let is_content = frame.content_type().is_some();
        if self.faults.drop_last_chunk && is_content && frame.flag == Flag::Complete {
            return;
        }
        if self.faults.corrupt_body && !frame.body.is_empty() {
            let mut body = frame.body.to_vec();
            if let Some(last) = body.last_mut() {
                *last ^= 0x01;
            }
            frame.body = Bytes::from(body);
            self.queue(&frame.encode());
            return;
        }
        self.queue(frame.as_bytes());
    }
}

/// Writes `Success-Report: yes` when asked and a Failure-Report that is not `yes`.
fn report_headers(builder: FrameBuilder, success: bool, failure: ReportMode) -> FrameBuilder {
    let builder = match success {
        true => builder.header("Success-Report", "yes"),
        false => builder,
    };
    match failure {
        ReportMode::Yes => builder,
        other => builder.header("Failure-Report", other.as_str()),
    }
}
