//! The message center as group chat focus: the conference factory, the group sessions and their
//! conference state (OMA CPM controlling function; RFC 4579 §5, RFC 5366, RFC 4575, RFC 5368,
//! RFC 4488; protocols.md §6).
//!
//! An INVITE to the conference factory URI with `Require: recipient-list-invite` and a
//! `recipient-list` resource list creates a group: the creator gets a 200 whose Contact is the
//! new group session URI with `isfocus`, and every listed participant an INVITE from that URI.
//! Members join when they accept; their MSRP sessions are opened by the fan-out relay
//! (`focus_relay`, told by [`FocusCommand`]s). Requests to a group URI are the group's: a
//! SUBSCRIBE to `conference` gets 200 and a full NOTIFY, and every later change a partial one; a
//! REFER adds the participants it names (202, then INVITEs); a BYE makes the member depart; a
//! MESSAGE with a `cpm-group-management` subject request from the chairman changes the subject.
//! Re-joining, removing others (REFER with `method=BYE`), chairman hand-over and subscription
//! expiry are not simulated. Sans-IO: time is an argument, transmissions are returned.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;
use rcs_harness::events::Transport;
use rcs_proto::conference::{ConferenceInfo, DisconnectionMethod, EndpointStatus};
use rcs_proto::msrp::MsrpUri;
use rcs_proto::sdp::Setup;
use rcs_proto::sip::transaction::{
    ClientEvent, ClientNonInvite, ClientState, ServerInvite, Timers,
};
use rcs_proto::sip::{Dialog, MAGIC_COOKIE, Message, Uri};

use super::anchor;
use super::b2bua::server_key;
use super::config::{Fault, Faults};
use super::focus_group::{Group, Leg, MAX_SUBSCRIPTIONS, Member, Reach, Subscription};
use super::focus_relay::{FocusCommand, MemberMedia};
use super::focus_requests;
use super::focus_sip;
use super::proxy::Transmit;
use super::reply;

/// The most groups at once; more creations get 503.
pub const MAX_GROUPS: usize = 64;

/// The most requests of the focus's own awaiting their answer.
const MAX_UAC: usize = 1024;

/// Fresh MSRP URIs on the message center's listeners (`true`: MSRPS).
pub struct FocusMsrp(Box<dyn Fn(bool) -> Option<MsrpUri> + Send + Sync>);

impl FocusMsrp {
    /// URIs from `source`.
    pub fn new(source: impl Fn(bool) -> Option<MsrpUri> + Send + Sync + 'static) -> Self {
        Self(Box::new(source))
    }

    pub(super) fn fresh(&self, tls: bool) -> Option<MsrpUri> {
        (self.0)(tls)
    }
}

impl std::fmt::Debug for FocusMsrp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FocusMsrp").finish_non_exhaustive()
    }
}

/// A participant the focus can reach: its contact and where requests go.
#[derive(Debug, Clone)]
pub struct Hop {
    /// The participant's URI as the conference state shows it.
    pub uri: String,
    /// Its registered contact (the Request-URI).
    pub target: String,
    /// Where it is reached.
    pub reach: Reach,
}

/// Where a request to the focus came from.
#[derive(Clone, Copy, Debug)]
pub struct Arrival {
    /// Its transport.
    pub transport: Transport,
    /// Its source.
    pub src: SocketAddr,
    /// The message center's address on that transport.
    pub via_addr: SocketAddr,
    /// Its carrier's interworking gateway, when the request came through it (a member of another
    /// carrier): the dialog's requests go there (protocols.md §9.1).
    pub gateway: Option<SocketAddr>,
}

/// A request of the focus's own awaiting its answer.
#[derive(Debug)]
struct Uac {
    client: ClientNonInvite,
    reach: Reach,
}

/// The conference factory and every group.
#[derive(Debug)]
pub struct Focus {
    factory_user: String,
    domain: String,
    pub(super) groups: HashMap<u64, Group>,
    next_id: u64,
    uac: HashMap<String, Uac>,
    commands: VecDeque<FocusCommand>,
    msrp: FocusMsrp,
    pub(super) faults: Faults,
}

impl Focus {
    /// A focus whose factory is `factory` (its user part names it, its host the groups' domain).
    pub fn new(factory: &str, faults: Faults) -> Self {
        let uri = Uri::parse(factory).ok();
        let factory_user = uri
            .as_ref()
            .and_then(|u| u.user().map(str::to_owned))
            .unwrap_or_else(|| "conf-factory".to_owned());
        let domain = uri
            .as_ref()
            .and_then(|u| u.host().map(|h| h.to_string()))
            .unwrap_or_else(|| rcs_harness::role::HOME_DOMAIN.to_owned());
        Self {
            factory_user,
            domain,
            groups: HashMap::new(),
            next_id: 1,
            uac: HashMap::new(),
            commands: VecDeque::new(),
            msrp: FocusMsrp::new(|_| None),
            faults,
        }
    }

    /// Names its groups in `domain`, its carrier's home domain, unless the factory was configured
    /// in another domain than the default one: a group URI with no number is routed by its
    /// domain across the NNI (protocols.md §9.1).
    pub fn adopt_home_domain(&mut self, domain: &str) {
        if self
            .domain
            .eq_ignore_ascii_case(rcs_harness::role::HOME_DOMAIN)
        {
            self.domain = domain.to_owned();
        }
    }

    /// Takes the `a=path` URIs of the members' sessions from `msrp`.
    pub fn set_msrp(&mut self, msrp: FocusMsrp) {
        self.msrp = msrp;
    }

    pub(super) fn has(&self, fault: Fault) -> bool {
        self.faults.has(fault)
    }

    /// The next command for the fan-out relay.
    pub fn poll_command(&mut self) -> Option<FocusCommand> {
        self.commands.pop_front()
    }

    pub(super) fn command(&mut self, command: FocusCommand) {
        self.commands.push_back(command);
    }

    pub(super) fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Whether `request` is for the focus: its Request-URI is the factory or a group.
    pub fn owns(&self, request: &Message) -> bool {
        let Some(user) = request_user(request) else {
            return false;
        };
        user == self.factory_user || self.group_of_user(&user).is_some()
    }

    /// Whether `request` is addressed to the conference factory.
    pub fn is_factory(&self, request: &Message) -> bool {
        request_user(request).is_some_and(|u| u == self.factory_user)
    }

    pub(super) fn group_of_user(&self, user: &str) -> Option<u64> {
        self.groups
            .iter()
            .find(|(_, g)| g.token.eq_ignore_ascii_case(user))
            .map(|(id, _)| *id)
    }

    /// The group a request's Request-URI names.
    pub(super) fn group_of(&self, request: &Message) -> Option<u64> {
        self.group_of_user(&request_user(request)?)
    }

    /// A retransmitted creation INVITE: its answers again.
    pub fn on_retransmission(&mut self, request: &Message, now: Instant) -> Option<Vec<Transmit>> {
        let key = server_key(request)?;
        for group in self.groups.values_mut() {
            for member in &mut group.members {
                if let Leg::Creator {
                    key: Some(k),
                    server,
                    ..
                } = &mut member.leg
                    && *k == key
                {
                    server.handle_request_retransmission(now);
                    return Some(drain_server(member));
                }
            }
        }
        None
    }

    /// A new INVITE to the factory: creates the group (protocols.md §6.1). `creator` is the
    /// asserted identity of the sender, `None` when it is not registered.
    pub fn create(
        &mut self,
        invite: &Message,
        arrival: Arrival,
        creator: Option<&str>,
        participants: &dyn Fn(&str) -> Option<Hop>,
        now: Instant,
    ) -> Vec<Transmit> {
        let tag = reply::token(10);
        let refuse = |status: u16, reason: &str, why: &str| {
            let warning = reply::warning("focus", why);
            let response = focus_sip::reject(invite, &tag, status, reason, &warning);
            vec![transmit(
                response.raw().clone(),
                arrival.transport,
                arrival.src,
            )]
        };
        let Some(creator) = creator else {
            return refuse(403, "Forbidden", "the creator is not registered");
        };
        if !requires(invite, "recipient-list-invite") {
            return refuse(
                421,
                "Extension Required",
                "Require: recipient-list-invite is missing (RFC 5366 5)",
            );
        }
        let listed = match focus_requests::recipient_list(invite) {
            Ok(listed) => listed,
            Err(why) => return refuse(400, "Bad Request", &why),
        };
        if self.groups.len() >= MAX_GROUPS {
            return refuse(503, "Service Unavailable", "too many groups");
        }
        let offer = match anchor::msrp_media(invite) {
            Ok(offer) => offer,
            Err(why) => return refuse(488, "Not Acceptable Here", &why),
        };
        let Some(local) = self.msrp.fresh(offer.tls) else {
            return refuse(488, "Not Acceptable Here", "no MSRP listener for the offer");
        };
        let token = format!("grp-{}", reply::token(12));
        let uri = format!("sip:{token}@{}", self.domain);
        let contact = focus_sip::focus_contact(&uri, !self.has(Fault::FocusNoIsfocus));
        let own = focus_sip::focus_media(&local, offer.setup.answer());
        let sdp = anchor::sdp_bytes(&own, rand::random::<u32>().into());
        let ok = focus_sip::ok_to_creator(invite, &tag, &contact, sdp);
        let reliable = arrival.transport != Transport::Udp;
        let mut server = ServerInvite::new(reliable, Timers::default(), now);
        server.send_response(ok.raw().clone(), 200, now);
        let member_id = self.next_id();
        let reach = Reach {
            transport: arrival.transport,
            dst: arrival.src,
            via_addr: arrival.via_addr,
        };
        let dialog = Dialog::as_uas(invite, &tag, &contact).ok();
        let mut creator_member = Member {
            id: member_id,
            uri: creator.trim_matches(['<', '>']).to_owned(),
            status: EndpointStatus::Connected,
            method: None,
            leg: Leg::Creator {
                invite: invite.clone(),
                key: server_key(invite),
                server,
            },
            reach,
            dialog,
            offer: None,
        };
        let group_id = self.next_id();
        let group = Group {
            token,
            uri: uri.clone(),
            subject: invite.header("Subject").map(str::to_owned),
            chairman: creator_member.uri.clone(),
            members: Vec::new(),
            subscriptions: Vec::new(),
        };
        let mut out = drain_server(&mut creator_member);
        let role = match own.setup {
            Setup::Actpass => offer.setup.answer(),
            other => other,
        };
        self.command(FocusCommand::Join {
            group: group_id,
            group_uri: uri,
            member: member_id,
            uri: creator_member.uri.clone(),
            media: Box::new(MemberMedia::new(&own, &offer.path, role)),
        });
        let creator_uri = creator_member.uri.clone();
        let mut group = group;
        group.members.push(creator_member);
        self.groups.insert(group_id, group);
        tracing::info!(group = group_id, "group created by {creator_uri}");
        let mut invitees: Vec<String> = listed
            .into_iter()
            .filter(|uri| !focus_group_same(uri, &creator_uri))
            .collect();
        if self.has(Fault::FocusSkipsParticipant) {
            invitees.pop();
        }
        out.extend(self.invite_all(group_id, &invitees, &creator_uri, participants, invite, now));
        out
    }

    /// NOTIFYs every subscription of `group_id` of the change of `changed` members (and, with
    /// `subject`, of the subject).
    pub(super) fn notify_all(
        &mut self,
        group_id: u64,
        changed: &[u64],
        subject: bool,
        now: Instant,
    ) -> Vec<Transmit> {
        if changed.is_empty() && !subject {
            return Vec::new();
        }
        let stuck = self.has(Fault::ConferenceVersionNotIncreasing);
        let Some(group) = self.groups.get_mut(&group_id) else {
            return Vec::new();
        };
        let mut notifies = Vec::new();
        for index in 0..group.subscriptions.len() {
            let version = match group.subscriptions.get(index) {
                Some(s) if stuck => s.version,
                Some(s) => s.version.saturating_add(1),
                None => continue,
            };
            let info = group.partial_state(version, changed, subject);
            if let Some(sub) = group.subscriptions.get_mut(index) {
                sub.version = version;
                notifies.push(notify_bytes(sub, &info));
            }
        }
        notifies
            .into_iter()
            .flat_map(|(bytes, reach)| self.send_uac(bytes, reach, now))
            .collect()
    }

    /// Forgets `group_id` once nobody is connected or being invited: its fan-out ends and its
    /// URI is no longer the focus's (so groups do not pile up in a long-running simulator).
    pub(super) fn end_if_empty(&mut self, group_id: u64) {
        let Some(group) = self.groups.get(&group_id) else {
            return;
        };
        let live = group.members.iter().any(|m| {
            matches!(
                m.status,
                EndpointStatus::Connected | EndpointStatus::Pending
            )
        });
        if !live {
            tracing::info!(group = group_id, "everyone left: the group ends");
            self.groups.remove(&group_id);
            self.command(FocusCommand::End { group: group_id });
        }
    }

    /// Adds a subscription to `group_id` and sends its first, full NOTIFY.
    pub(super) fn subscribe(
        &mut self,
        group_id: u64,
        dialog: Dialog,
        reach: Reach,
        expires: u32,
        now: Instant,
    ) -> Vec<Transmit> {
        let Some(group) = self.groups.get_mut(&group_id) else {
            return Vec::new();
        };
        if group.subscriptions.len() >= MAX_SUBSCRIPTIONS {
            group.subscriptions.remove(0);
        }
        let mut sub = Subscription {
            dialog,
            reach,
            version: 1,
        };
        let info = group.full_state(1);
        let (bytes, reach) = notify_bytes_expiring(&mut sub, &info, expires);
        group.subscriptions.push(sub);
        self.send_uac(bytes, reach, now)
    }

    /// Sends a request of the focus's own through a client transaction.
    pub(super) fn send_uac(&mut self, bytes: Bytes, reach: Reach, now: Instant) -> Vec<Transmit> {
        if self.uac.len() >= MAX_UAC {
            tracing::warn!("{MAX_UAC} requests of the focus are pending");
            return Vec::new();
        }
        let branch = Message::parse(bytes.clone())
            .ok()
            .and_then(|m| m.vias().ok()?.first()?.branch().map(str::to_owned))
            .unwrap_or_default();
        let reliable = reach.transport != Transport::Udp;
        let mut uac = Uac {
            client: ClientNonInvite::new(bytes, reliable, Timers::default(), now),
            reach,
        };
        let out = drain_uac(&mut uac);
        self.uac.insert(branch, uac);
        out
    }

    /// The earliest timer of the focus.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let legs = self
            .groups
            .values()
            .flat_map(|g| g.members.iter())
            .map(|m| match &m.leg {
                Leg::Creator { server, .. } => server.poll_timeout(),
                Leg::Invited { client, .. } => client.poll_timeout(),
            });
        let uac = self.uac.values().map(|u| u.client.poll_timeout());
        legs.chain(uac).flatten().min()
    }

    /// Fires the timers due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) -> Vec<Transmit> {
        let mut out = Vec::new();
        for uac in self.uac.values_mut() {
            uac.client.handle_timeout(now);
            out.extend(drain_uac(uac));
        }
        self.uac
            .retain(|_, u| u.client.state() != ClientState::Terminated);
        let mut failed = Vec::new();
        for (gid, group) in &mut self.groups {
            for member in &mut group.members {
                match &mut member.leg {
                    Leg::Creator { server, .. } => {
                        server.handle_timeout(now);
                        out.extend(drain_server(member));
                    }
                    Leg::Invited { client, .. } => {
                        client.handle_timeout(now);
                        let timed_out = client.poll_event() == Some(ClientEvent::Timeout);
                        out.extend(drain_client(member));
                        if timed_out && member.status == EndpointStatus::Pending {
                            member.status = EndpointStatus::Disconnected;
                            member.method = Some(DisconnectionMethod::Failed);
                            failed.push((*gid, member.id));
                        }
                    }
                }
            }
        }
        for (gid, mid) in failed {
            out.extend(self.notify_all(gid, &[mid], false, now));
        }
        out
    }
}

/// The user part of a request's Request-URI.
fn request_user(request: &Message) -> Option<String> {
    let uri = Uri::parse(request.request_uri()?).ok()?;
    uri.user().map(str::to_owned)
}

/// Whether `request` requires the option tag `tag` (RFC 3261 20.32).
pub(super) fn requires(request: &Message, tag: &str) -> bool {
    request
        .header_all("Require")
        .iter()
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(tag))
}

fn focus_group_same(a: &str, b: &str) -> bool {
    super::focus_group::same_uri(a, b)
}

fn notify_bytes(sub: &mut Subscription, info: &ConferenceInfo) -> (Bytes, Reach) {
    notify_bytes_expiring(sub, info, focus_requests::SUBSCRIPTION_EXPIRES)
}

fn notify_bytes_expiring(
    sub: &mut Subscription,
    info: &ConferenceInfo,
    expires: u32,
) -> (Bytes, Reach) {
    let reach = sub.reach;
    let notify = focus_sip::notify(&mut sub.dialog, reach, &new_branch(), info, expires);
    (notify.raw().clone(), reach)
}

pub(super) fn new_branch() -> String {
    format!("{MAGIC_COOKIE}{}", reply::token(20))
}

pub(super) fn transmit(bytes: Bytes, transport: Transport, dst: SocketAddr) -> Transmit {
    Transmit {
        bytes,
        transport,
        dst,
        branch: None,
    }
}

pub(super) fn drain_server(member: &mut Member) -> Vec<Transmit> {
    let reach = member.reach;
    let Leg::Creator { server, .. } = &mut member.leg else {
        return Vec::new();
    };
    // The creator's reach is where its INVITE came from: the responses go there.
    std::iter::from_fn(|| server.poll_transmit())
        .map(|bytes| transmit(bytes, reach.transport, reach.dst))
        .collect()
}

pub(super) fn drain_client(member: &mut Member) -> Vec<Transmit> {
    let reach = member.reach;
    let Leg::Invited { client, branch, .. } = &mut member.leg else {
        return Vec::new();
    };
    std::iter::from_fn(|| client.poll_transmit())
        .map(|bytes| Transmit {
            bytes,
            transport: reach.transport,
            dst: reach.dst,
            branch: Some(branch.clone()),
        })
        .collect()
}

fn drain_uac(uac: &mut Uac) -> Vec<Transmit> {
    std::iter::from_fn(|| uac.client.poll_transmit())
        .map(|bytes| transmit(bytes, uac.reach.transport, uac.reach.dst))
        .collect()
}

#[path = "focus_invites.rs"]
mod invites;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "focus_tests.rs"]
mod tests;
