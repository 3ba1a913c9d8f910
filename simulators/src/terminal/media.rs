//! The MSRP media a terminal offers and answers in SDP (RFC 4975 8, RFC 4145 4, RFC 6135 4;
//! protocols.md §4.5).
//!
//! Session mode offers `sendrecv` with `message/cpim` and isComposing in accept-types and plain
//! text, IMDNs and FT-HTTP descriptors wrapped; large-message mode offers `sendonly` with only
//! `message/cpim` and the one inner type wrapped. An active side puts port 9 in its m-line as
//! rcsjta does; a passive or actpass side its listener port. The answer takes the complementary
//! setup and direction and names our own accept types. Two faults bend the written SDP only
//! (`largemsg-sendrecv`, `setup-not-complementary`); the connection role the terminal really takes
//! stays [`connection_role`]'s, so each fault breaks one rule. This module writes values; it does
//! not open connections.

use std::time::{SystemTime, UNIX_EPOCH};

use rcs_proto::msrp::{MsrpUri, SessionConfig};
use rcs_proto::sdp::{Direction, MsrpMedia, Setup};

use super::faults::{Fault, Faults};

/// What session-mode MSRP accepts unwrapped (protocols.md §4.5).
pub(crate) const SESSION_ACCEPT_TYPES: [&str; 2] =
    ["message/cpim", "application/im-iscomposing+xml"];

/// What session-mode MSRP accepts inside CPIM (protocols.md §4.5).
pub(crate) const SESSION_WRAPPED_TYPES: [&str; 3] = [
    "text/plain",
    "message/imdn+xml",
    "application/vnd.gsma.rcs-ft-http+xml",
];

/// The discard port an active endpoint writes in its m-line (RFC 4145 4, rcsjta).
const DISCARD_PORT: u16 = 9;

/// The default chunk size (rcsjta, protocols.md §4.6).
pub(crate) const CHUNK_SIZE: usize = 10 * 1024;

/// The two CPM modes that run over MSRP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Session,
    Large,
}

/// Our media for a session-mode offer with `setup`.
pub(crate) fn session_offer(local: &MsrpUri, setup: Setup) -> MsrpMedia {
    media(
        local,
        setup,
        Direction::SendRecv,
        strings(&SESSION_ACCEPT_TYPES),
        strings(&SESSION_WRAPPED_TYPES),
    )
}

/// Our media for a large-message offer whose CPIM wraps `inner_type` (protocols.md §4.5).
pub(crate) fn large_offer(local: &MsrpUri, inner_type: &str, faults: &Faults) -> MsrpMedia {
    let direction = match faults.has(Fault::LargemsgSendrecv) {
        true => Direction::SendRecv,
        false => Direction::SendOnly,
    };
    media(
        local,
        Setup::Active,
        direction,
        vec!["message/cpim".to_owned()],
        vec![media_type(inner_type)],
    )
}

/// Our answer to `offer` in `mode`, on `local`.
pub(crate) fn answer(offer: &MsrpMedia, local: &MsrpUri, mode: Mode, faults: &Faults) -> MsrpMedia {
    let setup = match faults.has(Fault::SetupNotComplementary) {
        true => offer.setup,
        false => offer.setup.answer(),
    };
    let (accept, wrapped) = match mode {
        Mode::Session => (
            strings(&SESSION_ACCEPT_TYPES),
            strings(&SESSION_WRAPPED_TYPES),
        ),
        Mode::Large => (
            vec!["message/cpim".to_owned()],
            offer.accept_wrapped_types.clone(),
        ),
    };
    let mut answer = media(local, setup, offer.direction.answer(), accept, wrapped);
    if setup == Setup::Active && connection_role(offer.setup) != Setup::Active {
        // A fault wrote `active` while we wait for the peer: keep the real port reachable.
        answer.port = local.port().unwrap_or(DISCARD_PORT);
    }
    answer
}

/// The role the answerer really takes for an offer's setup (RFC 4145 4.1): actpass and passive
/// offers are answered active, active ones passive; holdconn is treated as actpass.
pub(crate) fn connection_role(offer: Setup) -> Setup {
    match offer {
        Setup::Active => Setup::Passive,
        Setup::Passive | Setup::Actpass | Setup::Holdconn => Setup::Active,
    }
}

/// The role the offerer takes once the answer says `answered` (the complement).
pub(crate) fn offerer_role(answered: Setup) -> Setup {
    match answered {
        Setup::Active => Setup::Passive,
        Setup::Passive | Setup::Actpass | Setup::Holdconn => Setup::Active,
    }
}

/// Why an offer cannot be used for CPM (RFC 4975 8.6, protocols.md §4.5).
pub(crate) fn check_offer(offer: &MsrpMedia) -> Result<(), String> {
    if !offer.accepts("message/cpim") {
        return Err("a=accept-types of the offer does not include message/cpim".to_owned());
    }
    if offer.path.is_empty() {
        return Err("the offer has no a=path".to_owned());
    }
    Ok(())
}

/// The session configuration for our side of the media: `ours` our SDP, `remote` the peer's.
pub(crate) fn session_config(ours: &MsrpMedia, remote: &MsrpMedia) -> Option<SessionConfig> {
    let mut config = SessionConfig::new(ours.path.last()?.clone(), remote.path.clone());
    config.accept_types.clone_from(&ours.accept_types);
    config
        .accept_wrapped_types
        .clone_from(&ours.accept_wrapped_types);
    config.chunk_size = CHUNK_SIZE;
    Some(config)
}

fn media(
    local: &MsrpUri,
    setup: Setup,
    direction: Direction,
    accept_types: Vec<String>,
    accept_wrapped_types: Vec<String>,
) -> MsrpMedia {
    let port = match setup {
        Setup::Active => DISCARD_PORT,
        _ => local.port().unwrap_or(DISCARD_PORT),
    };
    MsrpMedia {
        tls: local.is_secure(),
        port,
        address: local.host().to_owned(),
        path: vec![local.clone()],
        setup,
        accept_types,
        accept_wrapped_types,
        direction,
        max_size: None,
        cema: false,
    }
}

/// The SDP `o=` session version: seconds since 1970.
pub(crate) fn session_version() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |d| d.as_secs())
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

/// `type/subtype` without parameters, lowercased.
pub(crate) fn media_type(value: &str) -> String {
    value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(secure: bool) -> MsrpUri {
        MsrpUri::new(secure, "127.0.0.1", 40001, "s3ss10nA")
    }

    fn faults(ids: &[&str]) -> Faults {
        let ids: Vec<String> = ids.iter().map(|f| (*f).to_owned()).collect();
        Faults::from_ids(&ids).unwrap()
    }

    #[test]
    fn session_offer_follows_section_4_5() {
        let active = session_offer(&uri(false), Setup::Active);
        assert_eq!(active.port, 9, "active offers the discard port");
        assert_eq!(active.direction, Direction::SendRecv);
        assert_eq!(active.accept_types, SESSION_ACCEPT_TYPES);
        assert_eq!(active.accept_wrapped_types, SESSION_WRAPPED_TYPES);
        assert_eq!(active.path, [uri(false)]);
        assert!(!active.tls);
        let passive = session_offer(&uri(true), Setup::Passive);
        assert_eq!(passive.port, 40001);
        assert!(passive.tls);
        let sdp = String::from_utf8(active.to_sdp("127.0.0.1", 1).to_bytes()).unwrap();
        assert!(sdp.contains("m=message 9 TCP/MSRP *\r\n"), "{sdp}");
        assert!(sdp.contains("a=setup:active\r\n"), "{sdp}");
        assert!(
            sdp.contains("a=path:msrp://127.0.0.1:40001/s3ss10nA;tcp\r\n"),
            "{sdp}"
        );
    }

    #[test]
    fn large_offer_is_sendonly_cpim_wrapping_the_inner_type() {
        let offer = large_offer(&uri(false), "text/plain;charset=UTF-8", &faults(&[]));
        assert_eq!(offer.direction, Direction::SendOnly);
        assert_eq!(offer.accept_types, ["message/cpim"]);
        assert_eq!(offer.accept_wrapped_types, ["text/plain"]);
        assert_eq!(offer.setup, Setup::Active);
        let faulty = large_offer(
            &uri(false),
            "text/plain",
            &faults(&["terminal.largemsg-sendrecv"]),
        );
        assert_eq!(faulty.direction, Direction::SendRecv);
        assert_eq!(faulty.accept_types, offer.accept_types);
    }

    #[test]
    fn answers_are_complementary_unless_faulty() {
        let local = uri(false);
        for (offered, answered) in [
            (Setup::Active, Setup::Passive),
            (Setup::Passive, Setup::Active),
            (Setup::Actpass, Setup::Active),
        ] {
            let offer = session_offer(&uri(false), offered);
            let a = answer(&offer, &local, Mode::Session, &faults(&[]));
            assert_eq!(a.setup, answered, "{offered:?}");
            assert_eq!(connection_role(offered), answered);
            assert_eq!(offerer_role(answered), connection_role(answered));
        }
        let faulty = faults(&["terminal.setup-not-complementary"]);
        let offer = session_offer(&uri(false), Setup::Actpass);
        assert_eq!(
            answer(&offer, &local, Mode::Session, &faulty).setup,
            Setup::Actpass
        );
        let offer = session_offer(&uri(false), Setup::Active);
        let a = answer(&offer, &local, Mode::Session, &faulty);
        assert_eq!(a.setup, Setup::Active);
        assert_eq!(a.port, 40001, "we still listen, so the port stays real");
    }

    #[test]
    fn large_answer_receives_what_the_offer_sends() {
        let offer = large_offer(&uri(false), "text/plain", &faults(&[]));
        let a = answer(&offer, &uri(false), Mode::Large, &faults(&[]));
        assert_eq!(a.direction, Direction::RecvOnly);
        assert_eq!(a.setup, Setup::Passive);
        assert_eq!(a.accept_types, ["message/cpim"]);
        assert_eq!(a.accept_wrapped_types, ["text/plain"]);
        assert!(check_offer(&offer).is_ok());
        let mut bad = offer.clone();
        bad.accept_types = vec!["text/plain".to_owned()];
        assert!(check_offer(&bad).unwrap_err().contains("message/cpim"));
    }
}
