//! REGISTER as an RCS terminal sends it, and what it learns from the answers (protocols.md
//! §2.2, §2.4, §2.5; RFC 3261 10.2, RFC 2617 3.2.2, RFC 3608, RFC 7315 4.1).
//!
//! The first REGISTER of an action carries the IMS initial `Authorization` with empty `nonce` and
//! `response`; a 401 is answered once with an MD5 digest (`qop=auth`, fresh `cnonce`, `nc=1`).
//! From a 200 the terminal takes the granted expiry (its own Contact's `expires`, else
//! `Expires`), the first unbarred identity of P-Associated-URI (an entry carrying a `barred`
//! parameter is the simulator's way to mark a barred IMPU, since RFC 7315 has no such marker) and
//! the Service-Route set. Refresh timers and the reg event package are in `reg_keeper` and
//! `reg_subscription`.

use rcs_harness::role::Subscriber;
use rcs_proto::sip::auth::{Challenge, Credentials};
use rcs_proto::sip::{Message, NameAddr, Uri};

use super::addr::same_binding;
use super::faults::{Fault, Faults};
use super::request::{ALLOW, Local, RequestHead};
use super::tags::{ContactTags, ContactUse};

/// One REGISTER to write.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RegisterRequest<'a> {
    pub local: &'a Local,
    pub subscriber: &'a Subscriber,
    pub tags: &'a ContactTags,
    /// Stable across every registration of the terminal (RFC 3261 10.2.4).
    pub call_id: &'a str,
    pub from_tag: &'a str,
    pub cseq: u32,
    pub expires: u32,
    /// The whole Authorization value.
    pub authorization: &'a str,
}

impl RegisterRequest<'_> {
    /// The Contact value this REGISTER carries.
    pub(crate) fn contact(&self) -> String {
        self.tags
            .contact(&self.local.contact_uri(), ContactUse::Register)
    }

    /// Writes the request with `branch` in its Via.
    pub(crate) fn build(&self, branch: &str) -> Message {
        let impu = self.subscriber.sip_uri();
        let request_uri = registrar_uri(self.subscriber);
        let head = RequestHead {
            method: "REGISTER",
            request_uri: &request_uri,
            from: &impu,
            from_tag: self.from_tag,
            to: &impu,
            call_id: self.call_id,
            cseq: self.cseq,
            route: &[],
        };
        head.start(self.local, branch)
            .header("Contact", &self.contact())
            .header("Expires", &self.expires.to_string())
            .header("Supported", "path,gruu")
            .header("Allow", ALLOW)
            .header("Authorization", self.authorization)
            .build()
    }
}

/// `sip:<domain>`: the Request-URI and digest-uri of REGISTER.
pub(crate) fn registrar_uri(subscriber: &Subscriber) -> String {
    format!("sip:{}", subscriber.domain)
}

/// The initial IMS Authorization of protocols.md §2.2, with empty nonce and response.
pub(crate) fn initial_authorization(subscriber: &Subscriber) -> String {
    format!(
        "Digest username=\"{}\",realm=\"{}\",uri=\"{}\",nonce=\"\",response=\"\"",
        subscriber.impi,
        subscriber.domain,
        registrar_uri(subscriber)
    )
}

/// Answers the challenge of a 401 (`WWW-Authenticate`) for this subscriber.
pub(crate) fn answer_challenge(
    challenge: &str,
    subscriber: &Subscriber,
    password: &str,
    cnonce: &str,
    faults: &Faults,
) -> Result<String, String> {
    let challenge = Challenge::parse(challenge).map_err(|e| e.to_string())?;
    let method = match faults.has(Fault::WrongDigestResponse) {
        true => "INVITE",
        false => "REGISTER",
    };
    let uri = registrar_uri(subscriber);
    Credentials::answer(
        &challenge,
        &subscriber.impi,
        password,
        method,
        &uri,
        cnonce,
        1,
    )
    .map(|credentials| credentials.to_header_value())
    .map_err(|e| e.to_string())
}

/// What a 200 to REGISTER tells the terminal.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Registered {
    /// Granted expiry in seconds, if the 200 says.
    pub expires: Option<u32>,
    /// First unbarred P-Associated-URI, if any.
    pub identity: Option<String>,
    /// Service-Route values in order, each as received.
    pub service_route: Vec<String>,
    /// The network said it falls back to SMS: `+g.gsma.rcs.msgfallback` in a Feature-Caps
    /// (RFC 6809; protocols.md §9.2).
    pub network_fallback: bool,
}

/// Reads a 200 to REGISTER; `contact_uri` is the URI of the Contact the terminal registered.
/// The `uses-barred-impu` and `ignores-service-route` faults misread it.
pub(crate) fn read_ok(ok: &Message, contact_uri: &str, faults: &Faults) -> Registered {
    let identity = match faults.has(Fault::UsesBarredImpu) {
        true => first_impu(ok),
        false => first_unbarred(ok),
    };
    let service_route = match faults.has(Fault::IgnoresServiceRoute) {
        true => Vec::new(),
        false => ok
            .header_values("Service-Route")
            .into_iter()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .collect(),
    };
    Registered {
        expires: granted_expiry(ok, contact_uri),
        identity,
        service_route,
        network_fallback: has_feature_cap(ok, "+g.gsma.rcs.msgfallback"),
    }
}

/// Whether a Feature-Caps value of `ok` carries the feature `tag` (RFC 6809 5: `*;tag;...`).
fn has_feature_cap(ok: &Message, tag: &str) -> bool {
    ok.header_values("Feature-Caps").iter().any(|value| {
        value
            .split(';')
            .filter_map(|param| param.split('=').next())
            .any(|name| name.trim().eq_ignore_ascii_case(tag))
    })
}

/// The `expires` of the terminal's own Contact, else the Expires header (protocols.md §2.5 rule 1).
fn granted_expiry(ok: &Message, contact_uri: &str) -> Option<u32> {
    let ours = Uri::parse(contact_uri).ok()?;
    let own = ok
        .contacts()
        .unwrap_or_default()
        .into_iter()
        .find(|c| same_binding(&c.uri, &ours))
        .and_then(|c| c.param("expires").flatten()?.trim().parse().ok());
    own.or_else(|| ok.expires().ok().flatten())
}

/// The first P-Associated-URI without a `barred` parameter (protocols.md §2.5 rule 2).
fn first_unbarred(ok: &Message) -> Option<String> {
    ok.header_values("P-Associated-URI")
        .iter()
        .filter_map(|value| NameAddr::parse(value).ok())
        .find(|addr| addr.param("barred").is_none())
        .map(|addr| addr.uri.as_str().to_owned())
}

/// The first P-Associated-URI, barred or not (the `uses-barred-impu` fault).
fn first_impu(ok: &Message) -> Option<String> {
    ok.header_values("P-Associated-URI")
        .iter()
        .find_map(|value| NameAddr::parse(value).ok())
        .map(|addr| addr.uri.as_str().to_owned())
}

/// Whether a response is a success (2xx).
pub(crate) fn is_success(response: &Message) -> bool {
    response.status().is_some_and(|s| (200..300).contains(&s))
}

/// Builds a minimal response for tests of this module and of the terminal.
#[cfg(test)]
pub(crate) fn response(status: u16, headers: &[(&str, &str)]) -> Message {
    let mut builder = rcs_proto::sip::MessageBuilder::response(status, "X");
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    builder.build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcs_harness::events::Transport;

    fn subscriber() -> Subscriber {
        Subscriber::builtin(1, true)
    }

    #[test]
    fn initial_authorization_is_the_ims_empty_form() {
        assert_eq!(
            initial_authorization(&subscriber()),
            "Digest username=\"8613800000001@ims.mnc000.mcc460.3gppnetwork.org\",\
             realm=\"ims.mnc000.mcc460.3gppnetwork.org\",\
             uri=\"sip:ims.mnc000.mcc460.3gppnetwork.org\",nonce=\"\",response=\"\""
        );
    }

    #[test]
    fn answer_verifies_and_the_fault_breaks_only_the_response() {
        let sub = subscriber();
        let challenge = "Digest realm=\"ims.mnc000.mcc460.3gppnetwork.org\", nonce=\"bm9uY2U=\", \
                         algorithm=MD5, qop=\"auth\"";
        let good =
            answer_challenge(challenge, &sub, &sub.password, "c1", &Faults::default()).unwrap();
        let good = Credentials::parse(&good).unwrap();
        assert_eq!(good.verify("REGISTER", &sub.password), Ok(()));
        assert_eq!(good.uri, "sip:ims.mnc000.mcc460.3gppnetwork.org");
        assert_eq!(good.qop.as_deref(), Some("auth"));
        assert_eq!(good.nc.as_deref(), Some("00000001"));

        let faults = Faults::from_ids(&["terminal.wrong-digest-response".to_owned()]).unwrap();
        let bad = answer_challenge(challenge, &sub, &sub.password, "c1", &faults).unwrap();
        let bad = Credentials::parse(&bad).unwrap();
        assert!(bad.verify("REGISTER", &sub.password).is_err());
        assert_eq!(bad.verify("INVITE", &sub.password), Ok(()));
        assert_eq!(
            Credentials {
                response: good.response.clone(),
                ..bad
            },
            good
        );
    }

    #[test]
    fn register_carries_the_section_2_2_headers() {
        let local = Local {
            host_port: "127.0.0.1:5070".to_owned(),
            transport: Transport::Udp,
            msisdn: "+8613800000001".to_owned(),
        };
        let sub = subscriber();
        let tags = ContactTags::new("u-1", Faults::default());
        let auth = initial_authorization(&sub);
        let req = RegisterRequest {
            local: &local,
            subscriber: &sub,
            tags: &tags,
            call_id: "cid",
            from_tag: "ft",
            cseq: 1,
            expires: 600000,
            authorization: &auth,
        };
        let msg = req.build("z9hG4bKx");
        assert_eq!(
            msg.request_uri(),
            Some("sip:ims.mnc000.mcc460.3gppnetwork.org")
        );
        assert_eq!(msg.header("Expires"), Some("600000"));
        assert_eq!(msg.header("Supported"), Some("path,gruu"));
        assert_eq!(msg.header("Allow"), Some(ALLOW));
        assert_eq!(msg.header("Authorization"), Some(auth.as_str()));
        assert_eq!(msg.header("Contact"), Some(req.contact().as_str()));
        assert!(
            req.contact()
                .starts_with("<sip:+8613800000001@127.0.0.1:5070;transport=udp>;")
        );
        assert_eq!(
            msg.header("To"),
            Some("<sip:+8613800000001@ims.mnc000.mcc460.3gppnetwork.org>")
        );
    }

    #[test]
    fn reads_the_granted_expiry_identity_and_route() {
        let ok = response(
            200,
            &[
                ("Contact", "<sip:+8613800000001@10.0.0.9:5060>;expires=99"),
                (
                    "Contact",
                    "<sip:+8613800000001@127.0.0.1:5070;transport=udp>;expires=3600;reg-id=1",
                ),
                ("Expires", "1200"),
                (
                    "Service-Route",
                    "<sip:orig@scscf.example;lr>, <sip:two@x;lr>",
                ),
                (
                    "P-Associated-URI",
                    "<sip:+8613800000009@ims.example>;barred, <tel:+8613800000001>",
                ),
            ],
        );
        let contact = "sip:+8613800000001@127.0.0.1:5070;transport=udp";
        let reg = read_ok(&ok, contact, &Faults::default());
        assert_eq!(reg.expires, Some(3600));
        assert_eq!(reg.identity.as_deref(), Some("tel:+8613800000001"));
        assert_eq!(
            reg.service_route,
            ["<sip:orig@scscf.example;lr>", "<sip:two@x;lr>"]
        );
        let ids = [
            "terminal.uses-barred-impu".to_owned(),
            "terminal.ignores-service-route".to_owned(),
        ];
        let faulty = read_ok(&ok, contact, &Faults::from_ids(&ids).unwrap());
        assert_eq!(
            faulty.identity.as_deref(),
            Some("sip:+8613800000009@ims.example")
        );
        assert!(faulty.service_route.is_empty());
        assert_eq!(faulty.expires, Some(3600));
    }

    #[test]
    fn falls_back_to_the_expires_header_and_tolerates_absence() {
        let ok = response(200, &[("Expires", "600")]);
        let reg = read_ok(&ok, "sip:+8613800000001@127.0.0.1:5070", &Faults::default());
        assert_eq!(
            reg,
            Registered {
                expires: Some(600),
                ..Registered::default()
            }
        );
        let bare = read_ok(&response(200, &[]), "sip:a@b", &Faults::default());
        assert_eq!(bare, Registered::default());
    }

    #[test]
    fn learns_network_fallback_from_feature_caps() {
        let contact = "sip:a@b";
        let caps = |value: &str| {
            read_ok(
                &response(200, &[("Feature-Caps", value)]),
                contact,
                &Faults::default(),
            )
        };
        assert!(caps("*;+g.gsma.rcs.msgrevoke;+g.gsma.rcs.msgfallback").network_fallback);
        assert!(caps("*;+G.GSMA.RCS.MSGFALLBACK").network_fallback);
        assert!(!caps("*;+g.gsma.rcs.msgrevoke").network_fallback);
        assert!(!caps("*;+g.gsma.rcs.msgfallbackx").network_fallback);
    }
}
