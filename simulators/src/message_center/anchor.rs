//! The message center's own MSRP media on each leg of a session it anchors, and the SIP bodies
//! that carry it (RFC 4975 8, RFC 6135 4.2, RFC 4145 4.1, RFC 2046 5.1; protocols.md §4.5).
//!
//! A B2BUA anchoring MSRP answers the caller with an SDP whose `a=path` is its own URI for leg A,
//! and offers the callee an SDP whose `a=path` is its own URI for leg B (OMA CPM participating
//! function). The offer to B keeps the caller's accept-types, accept-wrapped-types, direction and
//! max-size, with `a=setup:actpass`; the answer to A takes B's accept lists and direction and
//! the setup that answers A's offer. A large-message INVITE carries the SDP as one part of a
//! `multipart/mixed` body: only that part is replaced, every other part is kept as received.
//! This module does not open connections or relay frames (see `session_relay`).

use rcs_proto::msrp::MsrpUri;
use rcs_proto::multipart;
use rcs_proto::sdp::{MsrpMedia, Sdp, Setup};
use rcs_proto::sip::Message;

/// The longest SDP or multipart body read from an INVITE or its answer.
pub const MAX_BODY: usize = 64 * 1024;

/// The media type of an SDP body or part.
const SDP_TYPE: &str = "application/sdp";

/// The MSRP media of a SIP message's body: its SDP, or the SDP part of a multipart body.
pub fn msrp_media(message: &Message) -> Result<MsrpMedia, String> {
    let body = message.body();
    if body.len() > MAX_BODY {
        return Err(format!("the body is larger than {MAX_BODY} bytes"));
    }
    let content_type = message
        .header("Content-Type")
        .ok_or("the body has no Content-Type")?;
    let sdp = if is_multipart(content_type) {
        let parts = multipart::parse(content_type, body)
            .map_err(|err| format!("failed to read the multipart body: {err}"))?;
        let part = multipart::find(&parts, SDP_TYPE).ok_or("the multipart body has no SDP part")?;
        Sdp::parse(&part.body).map_err(|err| format!("failed to read the SDP part: {err}"))?
    } else if media_type(content_type).eq_ignore_ascii_case(SDP_TYPE) {
        Sdp::parse(body).map_err(|err| format!("failed to read the SDP: {err}"))?
    } else {
        return Err(format!("the body is {content_type}, not SDP"));
    };
    MsrpMedia::from_sdp(&sdp).map_err(|err| format!("failed to find MSRP media: {err}"))
}

/// The message center's offer to B: A's offer with the MC's own path and `a=setup:actpass`.
pub fn offer_to_b(a_offer: &MsrpMedia, local: &MsrpUri) -> MsrpMedia {
    MsrpMedia {
        tls: local.is_secure(),
        port: local.port().unwrap_or(9),
        address: local.host().to_owned(),
        path: vec![local.clone()],
        setup: Setup::Actpass,
        accept_types: a_offer.accept_types.clone(),
        accept_wrapped_types: a_offer.accept_wrapped_types.clone(),
        direction: a_offer.direction,
        max_size: a_offer.max_size,
        cema: false,
    }
}

/// The message center's answer to A: B's accept lists and direction, the setup that answers A's
/// offer, and the MC's own path for leg A.
pub fn answer_to_a(a_offer: &MsrpMedia, b_answer: &MsrpMedia, local: &MsrpUri) -> MsrpMedia {
    let setup = a_offer.setup.answer();
    MsrpMedia {
        tls: local.is_secure(),
        port: if setup == Setup::Active {
            9
        } else {
            local.port().unwrap_or(9)
        },
        address: local.host().to_owned(),
        path: vec![local.clone()],
        setup,
        accept_types: b_answer.accept_types.clone(),
        accept_wrapped_types: b_answer.accept_wrapped_types.clone(),
        direction: b_answer.direction,
        max_size: b_answer.max_size,
        cema: false,
    }
}

/// The role the message center takes on a leg whose peer declared `peer` (RFC 6135 4.2): the
/// complement of the peer's.
pub fn own_setup(peer: Setup) -> Setup {
    peer.answer()
}

/// `body` (of type `content_type`) with its SDP replaced by `sdp`: the whole body when it is SDP,
/// only the `application/sdp` part of a multipart body (every other part kept byte-identical).
/// Returns the new Content-Type and body.
pub fn replace_sdp(
    content_type: &str,
    body: &[u8],
    sdp: &[u8],
) -> Result<(String, Vec<u8>), String> {
    if !is_multipart(content_type) {
        return Ok((SDP_TYPE.to_owned(), sdp.to_vec()));
    }
    let boundary = multipart::boundary(content_type).ok_or("the multipart body has no boundary")?;
    let mut parts = multipart::parse(content_type, body)
        .map_err(|err| format!("failed to read the multipart body: {err}"))?;
    let part = parts
        .iter_mut()
        .find(|part| {
            part.content_type()
                .is_some_and(|ct| media_type(ct).eq_ignore_ascii_case(SDP_TYPE))
        })
        .ok_or("the multipart body has no SDP part")?;
    part.body = sdp.to_vec();
    for (name, value) in &mut part.headers {
        if name.eq_ignore_ascii_case("Content-Length") {
            *value = sdp.len().to_string();
        }
    }
    Ok((content_type.to_owned(), multipart::build(&parts, &boundary)))
}

/// The SDP bytes of `media`, with the message center's address as origin.
pub fn sdp_bytes(media: &MsrpMedia, session_version: u64) -> Vec<u8> {
    media.to_sdp(&media.address, session_version).to_bytes()
}

fn is_multipart(content_type: &str) -> bool {
    media_type(content_type)
        .to_ascii_lowercase()
        .starts_with("multipart/")
}

/// The `type/subtype` of a Content-Type value, without parameters.
fn media_type(value: &str) -> &str {
    value.split(';').next().unwrap_or_default().trim()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use rcs_proto::sdp::Direction;

    use super::*;

    const OFFER: &str = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
m=message 9 TCP/MSRP *\r\na=path:msrp://127.0.0.1:4001/a1b2c3;tcp\r\na=setup:active\r\n\
a=accept-types:message/cpim\r\na=accept-wrapped-types:text/plain\r\na=sendonly\r\n";

    const CPIM_PART: &[u8] = b"From: <sip:+8613800000001@ims>\r\nTo: <sip:+8613800000002@ims>\r\n\
NS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: Lg7u1Pq2\r\n\r\n\
Content-Type: text/plain\r\nContent-Length: 0\r\n\r\n";

    fn invite(content_type: &str, body: &[u8]) -> Message {
        let head = format!(
            "INVITE sip:b@x SIP/2.0\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        Message::parse([head.as_bytes(), body].concat()).unwrap()
    }

    fn large_body() -> (String, Vec<u8>) {
        let parts = [
            multipart::Part::new("message/cpim", CPIM_PART),
            multipart::Part::new("application/sdp", OFFER.as_bytes()),
        ];
        let boundary = "Lm9x2Qa7Rt5Yb3Kc";
        (
            format!("multipart/mixed; boundary={boundary}"),
            multipart::build(&parts, boundary),
        )
    }

    fn local(port: u16) -> MsrpUri {
        MsrpUri::new(false, "127.0.0.1", port, "mcleg0001")
    }

    #[test]
    fn the_offer_to_b_keeps_what_a_asked_for_with_the_mc_path_and_actpass() {
        let a = msrp_media(&invite("application/sdp", OFFER.as_bytes())).unwrap();
        let offer = offer_to_b(&a, &local(5000));
        assert_eq!(offer.path, [local(5000)]);
        assert_eq!(offer.setup, Setup::Actpass);
        assert_eq!(offer.accept_types, ["message/cpim"]);
        assert_eq!(offer.accept_wrapped_types, ["text/plain"]);
        assert_eq!(offer.direction, Direction::SendOnly);
        assert_eq!(offer.port, 5000);
        let again = MsrpMedia::from_sdp(&Sdp::parse(&sdp_bytes(&offer, 7)).unwrap()).unwrap();
        assert_eq!(again.path, offer.path);
        assert_eq!(again.setup, Setup::Actpass);
    }

    #[test]
    fn the_answer_to_a_complements_its_setup_and_takes_bs_lists() {
        let a = msrp_media(&invite("application/sdp", OFFER.as_bytes())).unwrap();
        let mut b = offer_to_b(&a, &MsrpUri::new(false, "127.0.0.1", 4002, "bbbb"));
        b.setup = Setup::Active;
        b.direction = Direction::RecvOnly;
        b.accept_wrapped_types = vec!["text/plain".into(), "message/imdn+xml".into()];
        let answer = answer_to_a(&a, &b, &local(5000));
        assert_eq!(answer.setup, Setup::Passive, "A offered active");
        assert_eq!(answer.direction, Direction::RecvOnly);
        assert_eq!(answer.accept_wrapped_types.len(), 2);
        assert_eq!(answer.path, [local(5000)]);
        assert_eq!(own_setup(b.setup), Setup::Passive);
        assert_eq!(own_setup(Setup::Passive), Setup::Active);
    }

    #[test]
    fn a_plain_sdp_body_is_replaced_whole() {
        let (ct, body) = replace_sdp("application/sdp", OFFER.as_bytes(), b"v=0\r\n").unwrap();
        assert_eq!(
            (ct.as_str(), body.as_slice()),
            ("application/sdp", &b"v=0\r\n"[..])
        );
    }

    #[test]
    fn only_the_sdp_part_of_a_multipart_body_is_replaced() {
        let (ct, body) = large_body();
        let a = msrp_media(&invite(&ct, &body)).unwrap();
        assert_eq!(a.direction, Direction::SendOnly);
        let new_sdp = sdp_bytes(&offer_to_b(&a, &local(5000)), 3);
        let (new_ct, new_body) = replace_sdp(&ct, &body, &new_sdp).unwrap();
        assert_eq!(new_ct, ct);
        let parts = multipart::parse(&new_ct, &new_body).unwrap();
        let old = multipart::parse(&ct, &body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], old[0], "the CPIM part is kept as received");
        assert_eq!(
            multipart::find(&parts, "message/cpim").unwrap().body,
            CPIM_PART
        );
        assert_eq!(
            multipart::find(&parts, "application/sdp").unwrap().body,
            new_sdp
        );
        let relayed = msrp_media(&invite(&new_ct, &new_body)).unwrap();
        assert_eq!(relayed.path, [local(5000)]);
    }

    #[test]
    fn bodies_without_msrp_media_are_refused_with_a_reason() {
        assert!(msrp_media(&invite("text/plain", b"hi")).is_err());
        let no_msrp =
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
        assert!(msrp_media(&invite("application/sdp", no_msrp.as_bytes())).is_err());
        let parts = [multipart::Part::new("message/cpim", CPIM_PART)];
        let body = multipart::build(&parts, "bnd");
        let err = msrp_media(&invite("multipart/mixed; boundary=bnd", &body)).unwrap_err();
        assert!(err.contains("no SDP part"), "{err}");
        let garbage = msrp_media(&invite("multipart/mixed; boundary=bnd", b"\x00\xff"));
        assert!(garbage.is_err());
    }
}
