//! The focus's INVITEs to participants and their answers (RFC 4579 5.3, RFC 5366 5,
//! RFC 3261 13.2; protocols.md §6.1, §6.3): each participant a creation or a REFER names is
//! invited from the group URI unless already a member; its 2xx is ACKed, makes it connected and
//! opens its MSRP session through the fan-out relay; a failure or a timeout makes it
//! disconnected (`failed`). Every change is notified to the subscribers.

use std::time::Instant;

use rcs_harness::events::Transport;
use rcs_proto::conference::{DisconnectionMethod, EndpointStatus};
use rcs_proto::sdp::Setup;
use rcs_proto::sip::transaction::{ClientEvent, ClientInvite, ClientState, Timers};
use rcs_proto::sip::{Dialog, Message};

use super::{Focus, Hop, drain_client, drain_server, new_branch, transmit};
use crate::message_center::anchor;
use crate::message_center::config::Fault;
use crate::message_center::focus_group::{Leg, MAX_MEMBERS, Member, same_uri};
use crate::message_center::focus_relay::{FocusCommand, MemberMedia};
use crate::message_center::focus_sip::{self, Invitation};
use crate::message_center::proxy::Transmit;
use crate::message_center::reply;

impl Focus {
    /// INVITEs each of `uris` not already a connected or pending member into `group_id`.
    pub(in crate::message_center) fn invite_all(
        &mut self,
        group_id: u64,
        uris: &[String],
        referred_by: &str,
        participants: &dyn Fn(&str) -> Option<Hop>,
        creation: &Message,
        now: Instant,
    ) -> Vec<Transmit> {
        let mut out = Vec::new();
        let mut changed = Vec::new();
        for uri in uris {
            let hop = participants(uri);
            let canonical = hop.as_ref().map_or_else(|| uri.clone(), |h| h.uri.clone());
            let Some(group) = self.groups.get(&group_id) else {
                break;
            };
            let present = group.member_by_uri(&canonical).is_some_and(|m| {
                matches!(
                    m.status,
                    EndpointStatus::Connected | EndpointStatus::Pending
                )
            });
            if present || group.members.len() >= MAX_MEMBERS {
                continue;
            }
            let id = self.next_id();
            let member = match hop {
                Some(hop) => self.invite_member(group_id, id, &hop, referred_by, creation, now),
                None => None,
            };
            let Some(group) = self.groups.get_mut(&group_id) else {
                break;
            };
            match member {
                Some((member, sent)) => {
                    out.extend(sent);
                    group.members.retain(|m| !same_uri(&m.uri, &member.uri));
                    group.members.push(member);
                }
                None => tracing::info!(group = group_id, "{uri} cannot be reached: not invited"),
            }
            changed.push(id);
        }
        out.extend(self.notify_all(group_id, &changed, false, now));
        out
    }

    fn invite_member(
        &mut self,
        group_id: u64,
        id: u64,
        hop: &Hop,
        referred_by: &str,
        creation: &Message,
        now: Instant,
    ) -> Option<(Member, Vec<Transmit>)> {
        let group = self.groups.get(&group_id)?;
        let tls = hop.reach.transport == Transport::Tls;
        let local = self.msrp.fresh(tls)?;
        let offer = focus_sip::focus_media(&local, Setup::Actpass);
        let sdp = anchor::sdp_bytes(&offer, rand::random::<u32>().into());
        let contact = focus_sip::focus_contact(&group.uri, !self.has(Fault::FocusNoIsfocus));
        let branch = new_branch();
        let tag = reply::token(10);
        let call_id = format!("{}@focus", reply::token(20));
        let invite = focus_sip::participant_invite(Invitation {
            creation,
            group_uri: &group.uri,
            to: &hop.uri,
            target: &hop.target,
            referred_by,
            subject: group.subject.as_deref(),
            contact: &contact,
            reach: hop.reach,
            branch: &branch,
            call_id: &call_id,
            from_tag: &tag,
            sdp,
        });
        let reliable = hop.reach.transport != Transport::Udp;
        let client = ClientInvite::new(&invite, reliable, Timers::default(), now);
        let mut member = Member {
            id,
            uri: hop.uri.clone(),
            status: EndpointStatus::Pending,
            method: None,
            leg: Leg::Invited {
                invite,
                branch,
                client,
                ack: None,
            },
            reach: hop.reach,
            dialog: None,
            offer: Some(offer),
        };
        let sent = drain_client(&mut member);
        Some((member, sent))
    }

    /// An ACK of a creator's 200.
    pub fn on_ack(&mut self, ack: &Message, now: Instant) -> Option<Vec<Transmit>> {
        let member = self
            .groups
            .values_mut()
            .flat_map(|g| g.members.iter_mut())
            .find(|m| {
                matches!(m.leg, Leg::Creator { .. })
                    && m.dialog.as_ref().is_some_and(|d| d.matches(ack))
            })?;
        if let Leg::Creator { server, .. } = &mut member.leg {
            server.handle_ack(now);
        }
        Some(drain_server(member))
    }

    /// A response to one of the focus's requests; `None` when it is not the focus's.
    pub fn on_response(&mut self, response: &Message, now: Instant) -> Option<Vec<Transmit>> {
        let branch = response.vias().ok()?.first()?.branch()?.to_owned();
        if let Some(uac) = self.uac.get_mut(&branch) {
            uac.client.handle_response(response.status()?, now);
            self.uac
                .retain(|_, u| u.client.state() != ClientState::Terminated);
            return Some(Vec::new());
        }
        let (group_id, member_id) = self.groups.iter().find_map(|(gid, g)| {
            g.members.iter().find_map(|m| match &m.leg {
                Leg::Invited { branch: b, .. } if *b == branch => Some((*gid, m.id)),
                _ => None,
            })
        })?;
        Some(self.on_invite_response(group_id, member_id, response, now))
    }

    fn on_invite_response(
        &mut self,
        group_id: u64,
        member_id: u64,
        response: &Message,
        now: Instant,
    ) -> Vec<Transmit> {
        let Some(group) = self.groups.get_mut(&group_id) else {
            return Vec::new();
        };
        let group_uri = group.uri.clone();
        let Some(member) = group.members.iter_mut().find(|m| m.id == member_id) else {
            return Vec::new();
        };
        let Leg::Invited {
            invite,
            client,
            ack,
            ..
        } = &mut member.leg
        else {
            return Vec::new();
        };
        let status = response.status().unwrap_or_default();
        if (200..300).contains(&status)
            && let Some(ack) = ack.clone()
        {
            return vec![transmit(ack, member.reach.transport, member.reach.dst)];
        }
        client.handle_response(response, now);
        let mut out: Vec<Transmit> = std::iter::from_fn(|| client.poll_transmit())
            .map(|bytes| transmit(bytes, member.reach.transport, member.reach.dst))
            .collect();
        let event = client.poll_event();
        let joined = match event {
            Some(ClientEvent::Final(status)) if (200..300).contains(&status) => {
                let Ok(dialog) = Dialog::as_uac(invite, response) else {
                    return out;
                };
                let bytes = focus_sip::ack(&dialog, member.reach, &new_branch())
                    .raw()
                    .clone();
                out.push(transmit(
                    bytes.clone(),
                    member.reach.transport,
                    member.reach.dst,
                ));
                *ack = Some(bytes);
                member.dialog = Some(dialog);
                match (anchor::msrp_media(response), &member.offer) {
                    (Ok(answer), Some(offer)) => {
                        member.status = EndpointStatus::Connected;
                        Some(FocusCommand::Join {
                            group: group_id,
                            group_uri,
                            member: member.id,
                            uri: member.uri.clone(),
                            media: Box::new(MemberMedia::new(
                                offer,
                                &answer.path,
                                anchor::own_setup(answer.setup),
                            )),
                        })
                    }
                    _ => {
                        member.status = EndpointStatus::Disconnected;
                        member.method = Some(DisconnectionMethod::Failed);
                        None
                    }
                }
            }
            Some(ClientEvent::Final(_)) | Some(ClientEvent::Timeout) => {
                member.status = EndpointStatus::Disconnected;
                member.method = Some(DisconnectionMethod::Failed);
                None
            }
            _ => return out,
        };
        if let Some(join) = joined {
            self.command(join);
        }
        out.extend(self.notify_all(group_id, &[member_id], false, now));
        out
    }
}
