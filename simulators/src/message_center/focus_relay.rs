//! The focus's MSRP fan-out: one task per group holding every member's MSRP session (OMA CPM
//! controlling function; RFC 4975; protocols.md §6).
//!
//! The focus core tells [`FocusRelays`] who joins and leaves ([`FocusCommand`]). Each member's
//! session is opened on the message center's [`MsrpStack`] in the role negotiated, in
//! non-relay mode: the session answers and reports hop by hop, and whole messages come up. A
//! message from one member goes to every other member whose session is open (queued, within a
//! bound, while it is opening), unchanged: the CPIM From stays the original sender's (the
//! `focus-rewrites-cpim-from` fault puts the group URI there). An IMDN goes only to the member
//! who sent the message it reports on, found by its `imdn.Message-ID`. A member that leaves has
//! its session closed and gets nothing more. MSRP runs on real time; nothing outlives
//! [`FocusRelays::shutdown`].

use std::collections::HashMap;
use std::time::Duration;

use rcs_proto::cpim::CpimMessage;
use rcs_proto::imdn::Imdn;
use rcs_proto::msrp::{MsrpUri, SendOptions, SessionConfig, SessionEvent};
use rcs_proto::sdp::{MsrpMedia, Setup};
use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinSet};

use crate::msrp::{MsrpSession, MsrpStack};

/// How long a member's reader waits for an event before looking again.
const POLL: Duration = Duration::from_secs(60);

/// The most messages queued for a member whose session is opening.
const MAX_QUEUED: usize = 64;

/// The most `imdn.Message-ID`s remembered per group for routing IMDNs.
const MAX_SENDERS: usize = 4096;

/// What the focus core asks of the fan-out relay.
#[derive(Clone, Debug, PartialEq)]
pub enum FocusCommand {
    /// Open `member`'s session and fan its messages out in `group`.
    Join {
        /// The group.
        group: u64,
        /// Its session URI.
        group_uri: String,
        /// The member.
        member: u64,
        /// The member's URI.
        uri: String,
        /// The session as negotiated.
        media: Box<MemberMedia>,
    },
    /// Close `member`'s session; it gets nothing more.
    Leave {
        /// The group.
        group: u64,
        /// The member.
        member: u64,
    },
    /// Close every session of `group` and stop its fan-out.
    End {
        /// The group.
        group: u64,
    },
}

/// One member's session as the focus negotiated it.
#[derive(Clone, Debug, PartialEq)]
pub struct MemberMedia {
    /// The focus's URI on this leg.
    pub local: MsrpUri,
    /// The member's `a=path`.
    pub remote: Vec<MsrpUri>,
    /// What the focus declared it accepts.
    pub accept_types: Vec<String>,
    /// What it accepts inside CPIM.
    pub accept_wrapped_types: Vec<String>,
    /// Its connection role: active connects, passive waits.
    pub setup: Setup,
    /// MSRP over TLS.
    pub tls: bool,
}

impl MemberMedia {
    /// The session of the focus's media `own`, the member's `remote` path and the `setup` the
    /// focus takes.
    pub fn new(own: &MsrpMedia, remote: &[MsrpUri], setup: Setup) -> Self {
        Self {
            local: own
                .path
                .last()
                .cloned()
                .unwrap_or_else(|| MsrpUri::new(false, "0.0.0.0", 9, "none")),
            remote: remote.to_vec(),
            accept_types: own.accept_types.clone(),
            accept_wrapped_types: own.accept_wrapped_types.clone(),
            setup,
            tls: own.tls,
        }
    }

    fn config(&self) -> SessionConfig {
        let mut config = SessionConfig::new(self.local.clone(), self.remote.clone());
        config.accept_types.clone_from(&self.accept_types);
        config
            .accept_wrapped_types
            .clone_from(&self.accept_wrapped_types);
        config
    }
}

/// The fan-out tasks of one message center.
#[derive(Debug)]
pub struct FocusRelays {
    stack: Option<MsrpStack>,
    rewrite_from: bool,
    groups: HashMap<u64, (mpsc::UnboundedSender<FocusCommand>, AbortHandle)>,
}

impl FocusRelays {
    /// Relays on `stack`; with `rewrite_from`, the CPIM From of what is fanned out becomes the
    /// group URI (the `focus-rewrites-cpim-from` fault).
    pub fn new(stack: Option<MsrpStack>, rewrite_from: bool) -> Self {
        Self {
            stack,
            rewrite_from,
            groups: HashMap::new(),
        }
    }

    /// Runs one command of the focus.
    pub fn apply(&mut self, command: FocusCommand) {
        self.groups.retain(|_, (_, task)| !task.is_finished());
        let group = match &command {
            FocusCommand::Join { group, .. } | FocusCommand::Leave { group, .. } => *group,
            FocusCommand::End { group } => {
                // Dropping the sender ends the task, which closes the sessions.
                self.groups.remove(group);
                return;
            }
        };
        if !self.groups.contains_key(&group) {
            let (FocusCommand::Join { group_uri, .. }, Some(stack)) = (&command, &self.stack)
            else {
                return;
            };
            let (tx, rx) = mpsc::unbounded_channel();
            let fanout = Fanout {
                stack: stack.clone(),
                group_uri: group_uri.clone(),
                rewrite_from: self.rewrite_from,
                members: HashMap::new(),
                senders: HashMap::new(),
            };
            let task = tokio::spawn(fanout.run(rx));
            self.groups.insert(group, (tx, task.abort_handle()));
        }
        if let Some((tx, _)) = self.groups.get(&group) {
            let _ = tx.send(command);
        }
    }

    /// Stops every fan-out task.
    pub fn shutdown(&mut self) {
        for (_, (_, task)) in self.groups.drain() {
            task.abort();
        }
    }
}

impl Drop for FocusRelays {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// What a member's task reports to its group's.
enum MemberEvent {
    Opened(MsrpSession),
    Received { content_type: String, body: Vec<u8> },
}

struct Joined {
    uri: String,
    session: Option<MsrpSession>,
    queue: Vec<(String, Vec<u8>)>,
}

/// The fan-out of one group.
struct Fanout {
    stack: MsrpStack,
    group_uri: String,
    rewrite_from: bool,
    members: HashMap<u64, Joined>,
    senders: HashMap<String, u64>,
}

impl Fanout {
    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<FocusCommand>) {
        let (events_tx, mut events) = mpsc::channel(256);
        let mut tasks = JoinSet::new();
        loop {
            // Commands first: a member's Join is queued before the ACK that lets anyone send
            // in the group, so a message must never be fanned out ahead of a pending Join
            // (the member would miss it) when the task was busy and both are waiting.
            tokio::select! {
                biased;
                command = commands.recv() => match command {
                    None => break,
                    Some(FocusCommand::Join { member, uri, media, .. }) => {
                        self.members.insert(member, Joined { uri, session: None, queue: Vec::new() });
                        tasks.spawn(open_member(self.stack.clone(), member, *media, events_tx.clone()));
                    }
                    Some(FocusCommand::End { .. }) => break,
                    Some(FocusCommand::Leave { member, .. }) => {
                        if let Some(Joined { session: Some(session), uri, .. }) = self.members.remove(&member) {
                            tracing::info!(group = %self.group_uri, "closing the session of {uri}");
                            session.close().await;
                        }
                    }
                },
                Some((member, event)) = events.recv() => self.on_event(member, event).await,
            }
            while tasks.try_join_next().is_some() {}
        }
        for joined in self.members.values() {
            if let Some(session) = &joined.session {
                session.close().await;
            }
        }
        tasks.abort_all();
    }

    async fn on_event(&mut self, member: u64, event: MemberEvent) {
        match event {
            MemberEvent::Opened(session) => {
                let Some(joined) = self.members.get_mut(&member) else {
                    session.close().await;
                    return;
                };
                for (content_type, body) in joined.queue.drain(..) {
                    send(&session, &content_type, &body).await;
                }
                joined.session = Some(session);
            }
            MemberEvent::Received { content_type, body } => {
                self.fan_out(member, &content_type, body).await;
            }
        }
    }

    /// A message from `from`: an IMDN to the sender of what it reports on, anything else to
    /// every other member.
    async fn fan_out(&mut self, from: u64, content_type: &str, body: Vec<u8>) {
        let cpim = is_cpim(content_type)
            .then(|| CpimMessage::parse(&body).ok())
            .flatten();
        let mut body = body;
        if let Some(cpim) = &cpim {
            let inner = cpim.content_type().unwrap_or_default().to_ascii_lowercase();
            if inner.starts_with("message/imdn+xml") {
                let to = Imdn::from_cpim(cpim)
                    .ok()
                    .and_then(|imdn| self.senders.get(&imdn.message_id).copied());
                if let Some(to) = to.filter(|to| *to != from) {
                    self.deliver(to, content_type, &body).await;
                }
                return;
            }
            if let Some(id) = cpim.imdn_message_id() {
                if self.senders.len() >= MAX_SENDERS {
                    self.senders.clear();
                }
                self.senders.insert(id.to_owned(), from);
            }
            if self.rewrite_from {
                body = with_cpim_from(&body, &format!("<{}>", self.group_uri));
            }
        }
        let others: Vec<u64> = self
            .members
            .keys()
            .copied()
            .filter(|m| *m != from)
            .collect();
        for member in others {
            self.deliver(member, content_type, &body).await;
        }
    }

    async fn deliver(&mut self, member: u64, content_type: &str, body: &[u8]) {
        let Some(joined) = self.members.get_mut(&member) else {
            return;
        };
        match &joined.session {
            Some(session) => send(session, content_type, body).await,
            None if joined.queue.len() < MAX_QUEUED => {
                joined.queue.push((content_type.to_owned(), body.to_vec()));
            }
            None => {
                tracing::warn!(group = %self.group_uri, "dropping a message for {}", joined.uri)
            }
        }
    }
}

async fn send(session: &MsrpSession, content_type: &str, body: &[u8]) {
    if let Err(err) = session
        .send(content_type, body, SendOptions::default())
        .await
    {
        tracing::debug!("focus: failed to send to {}: {err}", session.local_uri());
    }
}

/// Opens one member's session, then reports every whole message it receives.
async fn open_member(
    stack: MsrpStack,
    member: u64,
    media: MemberMedia,
    events: mpsc::Sender<(u64, MemberEvent)>,
) {
    let session = match stack.open(media.config(), media.setup, media.tls).await {
        Ok(session) => session,
        Err(err) => {
            tracing::warn!(member, "focus: failed to open a member's session: {err}");
            return;
        }
    };
    if events
        .send((member, MemberEvent::Opened(session.clone())))
        .await
        .is_err()
    {
        session.close().await;
        return;
    }
    loop {
        let asked = tokio::time::Instant::now();
        let Some(event) = session.next_event(POLL).await else {
            if asked.elapsed() < POLL / 2 {
                return;
            }
            continue;
        };
        if let SessionEvent::Received {
            content_type, body, ..
        } = event
        {
            let event = MemberEvent::Received { content_type, body };
            if events.send((member, event)).await.is_err() {
                return;
            }
        }
    }
}

fn is_cpim(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .eq_ignore_ascii_case("message/cpim")
}

/// The CPIM message with its first `From` header replaced by `from` (the fault's rewrite).
fn with_cpim_from(body: &[u8], from: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + from.len());
    let mut rest = body;
    let mut replaced = false;
    while let Some(end) = rest.iter().position(|b| *b == b'\n') {
        let (line, tail) = rest.split_at(end + 1);
        let is_blank = line == b"\r\n" || line == b"\n";
        if !replaced && !is_blank && line.len() >= 5 && line[..5].eq_ignore_ascii_case(b"From:") {
            out.extend_from_slice(format!("From: {from}\r\n").as_bytes());
            replaced = true;
        } else {
            out.extend_from_slice(line);
        }
        rest = tail;
        if is_blank {
            break;
        }
    }
    out.extend_from_slice(rest);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const CPIM: &[u8] = b"From: <sip:+8613800000001@ims>\r\nTo: <sip:grp-1@ims>\r\n\
NS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: m1x2y3\r\n\r\n\
Content-Type: text/plain\r\nContent-Length: 11\r\n\r\nFrom: me!\r\n";

    #[test]
    fn the_fault_rewrites_only_the_cpim_from() {
        let out = with_cpim_from(CPIM, "<sip:grp-1@ims>");
        let cpim = CpimMessage::parse(&out).unwrap();
        assert_eq!(cpim.header("From"), Some("<sip:grp-1@ims>"));
        assert_eq!(cpim.header("To"), Some("<sip:grp-1@ims>"));
        assert_eq!(cpim.body(), b"From: me!\r\n");
        assert_eq!(
            out.len(),
            CPIM.len() - "+8613800000001".len() + "grp-1".len()
        );
    }

    #[test]
    fn member_media_takes_the_focus_path_and_the_members() {
        let local = MsrpUri::new(false, "127.0.0.1", 4000, "f1");
        let own = super::super::focus_sip::focus_media(&local, Setup::Actpass);
        let remote = vec![MsrpUri::new(false, "127.0.0.1", 4001, "m1")];
        let media = MemberMedia::new(&own, &remote, Setup::Passive);
        let config = media.config();
        assert_eq!(config.local, local);
        assert_eq!(config.remote, remote);
        assert!(!config.relay, "the focus reassembles and answers itself");
        assert!(config.accept_types.iter().any(|t| t == "message/cpim"));
    }
}
