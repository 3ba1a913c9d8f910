//! The MaaP's callbacks to a CMCC chatbot's server (protocols.md §8.1.5, §8.1.6, §8.3), and the
//! media upload and delete requests whose outcome is such a callback.
//!
//! [`CmccNorthbound`] is the engine's [`Northbound`] for CMCC chatbots. It posts, under the
//! chatbot's callback base URL (its `callback` setting, else the csp-bot peer's HTTP address):
//! - `DeliveryInfoNotification/{chatbot}`: `MessageSent`, `DeliveredToTerminal` (description
//!   `UP2`), `MessageDisplayed`, `DeliveryImpossible` (description the failure's SVC code),
//!   `DeliveredToNetwork` (description `SMS`);
//! - `InboundMessageNotification/{chatbot}`: a user's message, with the `Address` header;
//! - `MessageStatusNotification/{chatbot}`: `Revoked` / `RevokeFailed` (posted by the revoke
//!   module from the engine's answer; the engine's own revoke events are not posted twice);
//! - `InboundMessageNotification/{chatbot}?chatbotURI=…` with headers `tid` and `Authstatus: 0`:
//!   a media audit result, the stored file's file-info as body.
//!
//! Callbacks are posted one at a time in the order the events came (a single queue), except
//! that a delivery or display report that overtook the answer to the MESSAGE inside the platform
//! waits for MessageSent: a chatbot sees MessageSent, DeliveredToTerminal, MessageDisplayed in
//! that order. With `maap.cmcc-wrong-status-order` a MessageSent is held back and posted after
//! the next status of the same message and user.
//! A failed post is logged, not retried. Spam reports have no CMCC callback and are dropped.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use rcs_harness::agent::BoxFuture;
use rcs_proto::http::{Request, RequestBuilder, Response};
use rcs_proto::nbi::cmcc::{self, DeliveryInfo, Inbound};
use rcs_proto::sip::percent_encode;
use tokio::sync::mpsc;

use super::super::chatbots::Chatbot;
use super::super::core::MaapCore;
use super::super::engine::{BotEvent, Delivery, FailCause, Northbound, lock};
use super::super::tracking::number;
use super::media;
use super::{Cmcc, json, json_tid};
use crate::http::HttpClient;

/// One callback waiting to be posted.
struct Post {
    addr: SocketAddr,
    tls: bool,
    request: Request,
}

/// A status held back by the wrong-order fault: (message id, recipient, the post).
type Held = (String, String, Post);

/// Posts CMCC callbacks in order.
pub(crate) struct CmccNorthbound {
    core: Arc<MaapCore>,
    https: bool,
    wrong_order: bool,
    queue: mpsc::UnboundedSender<Post>,
    held: Mutex<Vec<Held>>,
    /// (message id, recipient) the chatbot was told were delivered or displayed, newest last.
    delivered: Mutex<VecDeque<(String, String)>>,
    /// (message id, recipient) whose MessageSent was posted, newest last.
    sent: Mutex<VecDeque<(String, String)>>,
    /// (message id, recipient) submitted through this API, newest last.
    expected: Mutex<VecDeque<(String, String)>>,
}

/// Most (message, recipient) pairs remembered in each list.
const MAX_REMEMBERED: usize = 4096;

/// Adds a pair to a bounded list.
fn remember(list: &Mutex<VecDeque<(String, String)>>, message_id: &str, recipient: &str) {
    let mut list = lock(list);
    if list.len() >= MAX_REMEMBERED {
        list.pop_front();
    }
    list.push_back((message_id.to_owned(), recipient.to_owned()));
}

impl CmccNorthbound {
    /// A poster on `client`; its queue runs in a task until the poster is dropped.
    pub(crate) fn new(
        core: Arc<MaapCore>,
        client: HttpClient,
        https: bool,
        wrong_order: bool,
    ) -> Self {
        let (queue, mut jobs) = mpsc::unbounded_channel::<Post>();
        let role = core.role.clone();
        tokio::spawn(async move {
            while let Some(post) = jobs.recv().await {
                match client.send(post.addr, post.tls, &post.request).await {
                    Ok(response) if response.status() >= 300 => {
                        tracing::debug!(%role, status = response.status(), "cmcc callback refused");
                    }
                    Ok(_) => {}
                    Err(err) => tracing::warn!(%role, "failed to post a cmcc callback: {err}"),
                }
            }
        });
        Self {
            core,
            https,
            wrong_order,
            queue,
            held: Mutex::default(),
            delivered: Mutex::default(),
            sent: Mutex::default(),
            expected: Mutex::default(),
        }
    }

    /// Where `bot`'s callbacks go: the server, whether over TLS, and the base path.
    fn base(&self, bot: &Chatbot) -> Option<(SocketAddr, bool, String)> {
        match &bot.callback {
            Some(url) => split_base(url),
            None => Some((self.core.csp_bot_http()?, self.https, String::new())),
        }
    }

    /// Queues a POST of `body` to `<base>/<notice>/<chatbot>[query]` with `headers`.
    fn post(
        &self,
        bot: &Chatbot,
        notice: &str,
        query: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Option<Post> {
        let Some((addr, tls, prefix)) = self.base(bot) else {
            tracing::warn!(chatbot = %bot.uri, "no callback address for the chatbot");
            return None;
        };
        let target = format!("{prefix}/{notice}/{}{query}", percent_encode(&bot.uri, b""));
        let mut builder = RequestBuilder::new("POST", &target)
            .header("Host", &addr.to_string())
            .header("Content-Type", "application/xml; charset=utf-8");
        for (name, value) in headers {
            builder = builder.header(name, value);
        }
        match builder.body(body).build() {
            Ok(request) => Some(Post { addr, tls, request }),
            Err(err) => {
                tracing::warn!("failed to build a cmcc callback: {err}");
                None
            }
        }
    }

    fn enqueue(&self, post: Option<Post>) {
        if let Some(post) = post {
            // The receiver lives as long as the runtime: a send can only fail at shutdown.
            let _ = self.queue.send(post);
        }
    }

    /// Posts `MessageStatusNotification` (a revoke's result).
    pub(crate) fn revoke_result(
        &self,
        bot: &Chatbot,
        message_id: &str,
        address: &str,
        status: &str,
    ) {
        let body = cmcc::status_notification(message_id, address, status);
        self.enqueue(self.post(bot, "MessageStatusNotification", "", &[], body));
    }

    /// Posts a media audit result (§8.1.6): passed, with the file-info of the stored file.
    pub(crate) fn audit(&self, bot: &Chatbot, tid: &str, file_info: String) {
        let query = format!("?chatbotURI={}", percent_encode(&bot.uri, b""));
        let headers = [("tid", tid), ("Authstatus", "0")];
        let post = self.post(
            bot,
            "InboundMessageNotification",
            &query,
            &headers,
            file_info.into_bytes(),
        );
        self.enqueue(post);
    }

    /// Whether the chatbot was told `message_id` reached `recipient`.
    pub(crate) fn was_delivered(&self, message_id: &str, recipient: &str) -> bool {
        lock(&self.delivered)
            .iter()
            .any(|(id, to)| id == message_id && number(to) == number(recipient))
    }

    fn status(&self, bot: &Chatbot, message_id: String, recipient: String, delivery: &Delivery) {
        if matches!(delivery, Delivery::Delivered | Delivery::Displayed) {
            remember(&self.delivered, &message_id, &recipient);
        }
        let Some((status, description)) = delivery_status(delivery) else {
            return;
        };
        let info = DeliveryInfo {
            address: recipient.clone(),
            message_id: message_id.clone(),
            status: status.to_owned(),
            description,
        };
        let post = self.post(
            bot,
            "DeliveryInfoNotification",
            "",
            &[],
            cmcc::delivery_notification(&info),
        );
        let Some(post) = post else { return };
        let reached = matches!(delivery, Delivery::Delivered | Delivery::Displayed);
        let hold = match self.wrong_order {
            // The fault: MessageSent waits for the next status of the message.
            true => *delivery == Delivery::Sent,
            // A report from the phone can overtake the answer to the MESSAGE inside the
            // platform: it waits for MessageSent.
            false => {
                reached
                    && self.is_expected(&message_id, &recipient)
                    && !self.was_sent(&message_id, &recipient)
            }
        };
        if hold {
            let mut held = lock(&self.held);
            if held.len() >= MAX_REMEMBERED {
                held.remove(0);
            }
            held.push((message_id, recipient, post));
            return;
        }
        if *delivery == Delivery::Sent {
            remember(&self.sent, &message_id, &recipient);
        }
        self.enqueue(Some(post));
        if self.wrong_order || *delivery == Delivery::Sent {
            self.release(&message_id, &recipient);
        }
    }

    /// Remembers that `message_id` was submitted to `recipients` through this API.
    pub(crate) fn expect(&self, message_id: &str, recipients: &[String]) {
        for to in recipients {
            remember(&self.expected, message_id, to);
        }
    }

    /// Whether `message_id` was submitted to `recipient` through this API.
    fn is_expected(&self, message_id: &str, recipient: &str) -> bool {
        lock(&self.expected)
            .iter()
            .any(|(id, to)| id == message_id && to == recipient)
    }

    /// Whether MessageSent was posted for `message_id` to `recipient`.
    fn was_sent(&self, message_id: &str, recipient: &str) -> bool {
        lock(&self.sent)
            .iter()
            .any(|(id, to)| id == message_id && to == recipient)
    }

    /// Posts, in order, what was held back for `message_id` to `recipient`.
    fn release(&self, message_id: &str, recipient: &str) {
        let released: Vec<Post> = {
            let mut held = lock(&self.held);
            let (mine, rest): (Vec<Held>, Vec<Held>) = held
                .drain(..)
                .partition(|(id, to, _)| id == message_id && to == recipient);
            *held = rest;
            mine.into_iter().map(|(_, _, post)| post).collect()
        };
        for post in released {
            self.enqueue(Some(post));
        }
    }

    fn uplink(&self, bot: &Chatbot, inbound: Inbound) {
        let address = number(&inbound.sender_address).to_owned();
        let post = self.post(
            bot,
            "InboundMessageNotification",
            "",
            &[("Address", &address)],
            inbound.to_xml(),
        );
        self.enqueue(post);
    }
}

impl Northbound for CmccNorthbound {
    fn notify(&self, bot: &Chatbot, event: BotEvent) -> BoxFuture<'static, ()> {
        match event {
            BotEvent::Status {
                message_id,
                recipient,
                delivery,
                ..
            } => self.status(bot, message_id, recipient, &delivery),
            BotEvent::Uplink {
                sender,
                message_id,
                content_type,
                body,
                conversation_id,
                contribution_id,
                in_reply_to,
                date_time,
                ..
            } => {
                let inbound = Inbound {
                    destination_address: bot.uri.clone(),
                    sender_address: sender,
                    message_id,
                    content_type,
                    content_encoding: Some("utf8".to_owned()),
                    body_text: String::from_utf8_lossy(&body).into_owned(),
                    conversation_id,
                    contribution_id,
                    in_reply_to_contribution_id: in_reply_to,
                    date_time,
                };
                self.uplink(bot, inbound);
            }
            BotEvent::Spam { .. } => {
                tracing::debug!(chatbot = %bot.uri, "a spam report has no cmcc callback");
            }
        }
        Box::pin(async {})
    }
}

/// The `deliveryStatus` and `description` of a delivery state; None for revoke outcomes.
fn delivery_status(delivery: &Delivery) -> Option<(&'static str, Option<String>)> {
    Some(match delivery {
        Delivery::Sent => ("MessageSent", None),
        Delivery::Delivered => ("DeliveredToTerminal", Some("UP2".to_owned())),
        Delivery::Displayed => ("MessageDisplayed", None),
        Delivery::ToNetwork => ("DeliveredToNetwork", Some("SMS".to_owned())),
        Delivery::Failed { cause } => ("DeliveryImpossible", Some(failure_code(*cause).to_owned())),
        Delivery::Revoked | Delivery::RevokeFailed => return None,
    })
}

/// The SVC code a failure is described with (the CT/CU error code as its last digit).
fn failure_code(cause: FailCause) -> &'static str {
    match cause {
        FailCause::NotFound => "SVC1001",
        FailCause::NotRcs => "SVC1002",
        FailCause::BadContent => "SVC1003",
        FailCause::Offline => "SVC1004",
        FailCause::Blocked => "SVC1005",
    }
}

/// `http[s]://ip:port[/path]` as the server, whether TLS, and the path without a trailing `/`.
fn split_base(url: &str) -> Option<(SocketAddr, bool, String)> {
    let (rest, tls) = match url.strip_prefix("https://") {
        Some(rest) => (rest, true),
        None => (url.strip_prefix("http://")?, false),
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    Some((
        authority.parse().ok()?,
        tls,
        path.trim_end_matches('/').to_owned(),
    ))
}

/// `POST /Content`: stores the upload, answers `00000` with the `tid` header, then posts the
/// audit result.
pub(super) fn upload(cmcc: &Arc<Cmcc>, bot: &Chatbot, request: &Request) -> Response {
    let file = match media::read_upload(request) {
        Ok(file) => file,
        Err(detail) => return json(400, "Bad Request", "10001", &detail),
    };
    let base = media_base(cmcc, request);
    let info = media::file_info(&file, &base);
    let tid = file.tid.clone();
    cmcc.media.put(file);
    cmcc.northbound.audit(bot, &tid, info);
    json_tid(200, "OK", "00000", "success", Some(&tid))
}

/// `DELETE /Content` with the `tid` header.
pub(super) fn delete(cmcc: &Arc<Cmcc>, request: &Request) -> Response {
    let Some(tid) = request.header("tid").map(str::trim) else {
        return json(400, "Bad Request", "10001", "the `tid` header is missing");
    };
    let known = match cmcc.faults.media_not_deleted {
        true => cmcc.media.has(tid),
        false => cmcc.media.remove(tid),
    };
    match known {
        true => json_tid(200, "OK", "00000", "success", Some(tid)),
        false => json(404, "Not Found", "10004", "no media with this tid"),
    }
}

/// `http[s]://<the address the request came to>`, for the URLs of stored files.
fn media_base(cmcc: &Cmcc, request: &Request) -> String {
    let scheme = if cmcc.https { "https" } else { "http" };
    let host = cmcc
        .engine
        .core()
        .http_addr()
        .map(|a| a.to_string())
        .or_else(|| request.header("Host").map(str::to_owned))
        .unwrap_or_else(|| "127.0.0.1".to_owned());
    format!("{scheme}://{host}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn deliveries_map_to_cmcc_statuses() {
        assert_eq!(
            delivery_status(&Delivery::Sent),
            Some(("MessageSent", None))
        );
        assert_eq!(
            delivery_status(&Delivery::Delivered),
            Some(("DeliveredToTerminal", Some("UP2".to_owned())))
        );
        assert_eq!(
            delivery_status(&Delivery::Displayed),
            Some(("MessageDisplayed", None))
        );
        assert_eq!(
            delivery_status(&Delivery::ToNetwork),
            Some(("DeliveredToNetwork", Some("SMS".to_owned())))
        );
        assert_eq!(
            delivery_status(&Delivery::Failed {
                cause: FailCause::NotRcs
            }),
            Some(("DeliveryImpossible", Some("SVC1002".to_owned())))
        );
        assert_eq!(delivery_status(&Delivery::Revoked), None);
    }

    #[test]
    fn callback_bases_split_into_server_and_path() {
        let (addr, tls, path) = split_base("http://127.0.0.1:9/cb/").unwrap();
        assert_eq!((addr.port(), tls, path.as_str()), (9, false, "/cb"));
        let (_, tls, path) = split_base("https://127.0.0.1:9").unwrap();
        assert_eq!((tls, path.as_str()), (true, ""));
        assert!(split_base("ftp://127.0.0.1:9").is_none());
        assert!(split_base("http://bank.example/cb").is_none());
    }
}
