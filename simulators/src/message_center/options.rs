//! Capability discovery through the message center (protocols.md §3.1; RFC 3261 11; PLT-CAP-*).
//!
//! OPTIONS to a user is relayed like any request when the user is online, so the user's own
//! 200 (with the feature tags of its Contact) reaches the asker unchanged. When it cannot be
//! relayed the answer tells the asker what the user is: `404` for a non-RCS or unknown user, `480`
//! for an RCS user without a binding, never the other way round (§3.1 and §14 fact 4). OPTIONS to
//! the message center itself gets a `200` with Allow and Accept.

use rcs_proto::sip::{Message, NameAddr};

use super::config::{Fault, Faults};
use super::reply;
use super::rewrite::Draft;
use super::router::Target;

/// The methods the message center handles.
pub const ALLOW: &str = super::invite_legs::ALLOW;

/// The bodies it takes: CPIM and text in MESSAGE, SDP (alone or in a multipart body) in INVITE.
pub const ACCEPT: &str = "message/cpim, text/plain, application/sdp, multipart/mixed";

/// The answer to an OPTIONS that is not relayed, or `None` for an online user.
pub fn status(target: &Target<'_>, faults: &Faults) -> Option<(u16, &'static str)> {
    const NOT_FOUND: (u16, &str) = (404, "Not Found");
    const UNAVAILABLE: (u16, &str) = (480, "Temporarily Unavailable");
    match target {
        Target::Myself => Some((200, "OK")),
        Target::Unknown | Target::NotRcs if faults.has(Fault::NonRcsAs480) => Some(UNAVAILABLE),
        Target::Unknown | Target::NotRcs => Some(NOT_FOUND),
        Target::Offline if faults.has(Fault::OfflineAs404) => Some(NOT_FOUND),
        Target::Offline => Some(UNAVAILABLE),
        Target::Online(_) => None,
    }
}

/// The answer to an OPTIONS that is not relayed.
pub fn response(request: &Message, status: u16, reason: &str) -> Message {
    let builder = reply::response(request, status, reason);
    if status != 200 {
        return builder.build();
    }
    builder
        .header("Allow", ALLOW)
        .header("Accept", ACCEPT)
        .build()
}

/// Rewrites every Contact of a relayed response to its bare `<uri>`, losing its feature tags
/// (the `message-center.strip-contact-tags` fault).
pub fn strip_contact_tags(draft: &mut Draft<'_>, response: &Message) {
    let Ok(contacts) = response.contacts() else {
        return;
    };
    let bare: Vec<String> = contacts
        .into_iter()
        .map(|contact| {
            NameAddr {
                display_name: None,
                params: Vec::new(),
                ..contact
            }
            .to_string()
        })
        .collect();
    let Some(first) = draft.position("Contact") else {
        return;
    };
    draft.remove("Contact");
    draft.insert(first, "Contact", &bare.join(", "));
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn offline_is_480_and_non_rcs_is_404_unless_faulty() {
        let clean = Faults::default();
        assert_eq!(
            status(&Target::Offline, &clean),
            Some((480, "Temporarily Unavailable"))
        );
        assert_eq!(status(&Target::NotRcs, &clean), Some((404, "Not Found")));
        assert_eq!(status(&Target::Unknown, &clean), Some((404, "Not Found")));
        let offline_404 = Faults::from_ids(&["message-center.offline-as-404".into()]).unwrap();
        assert_eq!(
            status(&Target::Offline, &offline_404),
            Some((404, "Not Found"))
        );
        assert_eq!(
            status(&Target::NotRcs, &offline_404),
            Some((404, "Not Found"))
        );
        let non_rcs_480 = Faults::from_ids(&["message-center.non-rcs-as-480".into()]).unwrap();
        assert_eq!(status(&Target::NotRcs, &non_rcs_480).unwrap().0, 480);
        assert_eq!(status(&Target::Offline, &non_rcs_480).unwrap().0, 480);
    }

    #[test]
    fn stripping_keeps_only_the_uris() {
        let text = "SIP/2.0 200 OK\r\nContact: <sip:b@127.0.0.1:5070>;+g.gsma.rcs.isbot;\
+g.3gpp.iari-ref=\"urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.chatbot\"\r\nCSeq: 1 OPTIONS\r\n\r\n";
        let msg = Message::parse(text.as_bytes().to_vec()).unwrap();
        let mut draft = Draft::new(&msg);
        strip_contact_tags(&mut draft, &msg);
        let out = Message::parse(draft.build()).unwrap();
        assert_eq!(out.header("Contact"), Some("<sip:b@127.0.0.1:5070>"));
        assert_eq!(out.header("CSeq"), Some("1 OPTIONS"));
    }
}
