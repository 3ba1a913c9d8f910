//! Typed parameters of the terminal's actions and settings, as case files write them.
//!
//! Every struct denies unknown fields and uses kebab-case names, so a misspelt parameter is a
//! load-time error. At load time string values may still be `${...}` placeholders; values that
//! are not placeholders (durations, IMDN statuses, transports) are checked then too. This module
//! does not resolve role names or placeholders: the actions do that when they run.

use std::time::Duration;

use rcs_harness::events::Transport;
use rcs_proto::msrp::MsrpUri;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::msrp::Relay;

/// Default bound on every wait inside an action.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// `register`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RegisterParams {
    /// Requested expiry; defaults to the `requested-expires` setting.
    pub expires: Option<u32>,
    /// Overrides the subscriber's password (negative cases).
    pub password: Option<String>,
    pub timeout: Option<String>,
}

/// `configure`: one configuration request (protocols.md §2.1).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ConfigureParams {
    /// The one-time password received by SMS.
    pub otp: Option<String>,
    pub timeout: Option<String>,
}

/// `deregister`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct DeregisterParams {
    pub timeout: Option<String>,
}

/// `send-pager`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct PagerParams {
    /// A role name or a URI.
    pub to: String,
    #[serde(default = "default_text")]
    pub text: String,
    /// The inner (CPIM payload) content type.
    #[serde(default = "default_content_type")]
    pub content_type: String,
    /// `imdn.Disposition-Notification`.
    #[serde(default = "default_disposition")]
    pub disposition: String,
    /// SIP or CPIM header names to leave out.
    #[serde(default)]
    pub omit: Vec<String>,
    pub timeout: Option<String>,
}

/// `send-options`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct OptionsParams {
    pub to: String,
    pub timeout: Option<String>,
}

/// `send-imdn`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ImdnParams {
    /// Role name or URI; defaults to the sender of the last received message.
    pub to: Option<String>,
    /// The message id to report on; defaults to the last message received from `to`.
    #[serde(rename = "for")]
    pub for_id: Option<String>,
    /// `delivered` or `displayed`.
    pub status: String,
    pub timeout: Option<String>,
}

/// `send-raw`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawParams {
    pub text: String,
    /// `udp` or `tcp`; defaults to the role's transport.
    pub transport: Option<String>,
    /// Convert bare LF to CRLF.
    #[serde(default = "yes")]
    pub crlf: bool,
}

/// `start-chat`: open a session-mode chat (protocols.md §4.5).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct StartChatParams {
    pub to: String,
    /// A first message sent once the session is up.
    pub text: Option<String>,
    /// Our `a=setup` in the offer: `active` (default, as rcsjta), `passive` or `actpass`.
    pub setup: Option<String>,
    /// Conversation headers to leave out of the INVITE (negative cases, protocols.md §4.2).
    #[serde(default)]
    pub omit: Vec<InviteOmit>,
    pub timeout: Option<String>,
}

/// A header `start-chat` may leave out of its INVITE; any other name is a load-time error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub(crate) enum InviteOmit {
    #[serde(rename = "Conversation-ID")]
    ConversationId,
    #[serde(rename = "Contribution-ID")]
    ContributionId,
}

impl InviteOmit {
    /// The SIP header name.
    pub(crate) fn header(self) -> &'static str {
        match self {
            Self::ConversationId => "Conversation-ID",
            Self::ContributionId => "Contribution-ID",
        }
    }
}

/// `send-chat`: one CPIM message over the session with `to`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct SendChatParams {
    pub to: String,
    /// The CPIM content; `size` replaces it with filler text.
    pub text: Option<String>,
    /// The size in bytes of the whole MSRP message body (the CPIM message), made of filler text.
    pub size: Option<usize>,
    /// MSRP chunk size in bytes (default 10 KiB).
    pub chunk_size: Option<usize>,
    /// The order chunks are sent in, a permutation of 0..chunks (out-of-order tests).
    pub chunk_order: Option<Vec<usize>>,
    /// `Success-Report: yes`.
    #[serde(default)]
    pub success_report: bool,
    #[serde(default = "default_disposition")]
    pub disposition: String,
    #[serde(default = "default_content_type")]
    pub content_type: String,
    pub timeout: Option<String>,
}

/// `end-chat`: BYE the session with `to`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct EndChatParams {
    pub to: String,
    pub timeout: Option<String>,
}

/// `send-message`: pager or large-message mode by size (protocols.md §4.1).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct SendMessageParams {
    pub to: String,
    pub text: Option<String>,
    /// The size in bytes of the content (what the switchover compares), made of filler text.
    pub size: Option<usize>,
    #[serde(default = "default_disposition")]
    pub disposition: String,
    #[serde(default = "default_content_type")]
    pub content_type: String,
    pub timeout: Option<String>,
}

/// Which MSRP connection role an offer proposes (RFC 4145 4, RFC 6135).
pub(crate) fn setup(value: &str) -> Result<rcs_proto::sdp::Setup, String> {
    use rcs_proto::sdp::Setup;
    match value {
        "active" => Ok(Setup::Active),
        "passive" => Ok(Setup::Passive),
        "actpass" => Ok(Setup::Actpass),
        other => Err(format!(
            "setup `{other}` is not `active`, `passive` or `actpass`"
        )),
    }
}

/// Largest filler a `size` may ask for (16 MiB).
pub(crate) const MAX_FILLER: usize = 16 * 1024 * 1024;

/// Role settings of a terminal.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Settings {
    #[serde(default = "default_requested_expires")]
    pub requested_expires: u32,
    #[serde(default = "yes")]
    pub auto_delivery_imdn: bool,
    /// Largest content sent in pager mode; larger goes in large-message mode (protocols.md §4.1).
    #[serde(default = "default_switchover_size")]
    pub switchover_size: usize,
    /// Accept incoming session and large-message INVITEs (else 603 Decline).
    #[serde(default = "yes")]
    pub auto_accept: bool,
    /// The MSRP relay every session goes through (RFC 4976), such as
    /// `msrp://127.0.0.1:5060;tcp`: an IP address and a port.
    #[serde(default, deserialize_with = "relay_uri")]
    pub msrp_relay: Option<MsrpUri>,
    /// Answer the relay's digest challenge with our IMPI and password (else send none).
    #[serde(default = "yes")]
    pub msrp_relay_credentials: bool,
    /// The conference factory URI groups are created at (`conf-fcty-uri`, protocols.md §6.1);
    /// by default `sip:conf-factory@<home domain>`.
    #[serde(default)]
    pub conf_factory_uri: Option<String>,
    /// Subscribe to the conference state after joining a group (protocols.md §6.2).
    #[serde(default = "yes")]
    pub subscribe_conference: bool,
    /// The configuration server (protocols.md §2.1): a message center's role name or an
    /// `http(s)://IP:port/path` URL; absent, the terminal has no configuration phase.
    #[serde(default, deserialize_with = "super::autoconfig::setting")]
    pub config_server: Option<String>,
    /// After registering, subscribe to its own reg event (RFC 3680, protocols.md §2.5 rule 4).
    /// Off by default: the extra SUBSCRIBE and NOTIFY would be messages other cases count.
    #[serde(default)]
    pub subscribe_reg: bool,
    /// Refresh the registration before it expires (protocols.md §2.5 rule 1, §12). Off by
    /// default, so a case can let a binding lapse.
    #[serde(default)]
    pub refresh_registration: bool,
    /// Download the file of an incoming FT descriptor at once (protocols.md §5.3 ftAutAccept).
    #[serde(default = "yes")]
    pub ft_auto_accept: bool,
    /// Digest username for the content server (default: the IMPI).
    #[serde(default)]
    pub ft_user: Option<String>,
    /// Digest password for the content server (default: the subscriber's).
    #[serde(default)]
    pub ft_password: Option<String>,
    /// The content server URL (`ftHTTPCSURI`); by default what a simulated message center of
    /// the case publishes.
    #[serde(default)]
    pub ft_http_cs_uri: Option<String>,
    /// `send-message` asks OPTIONS first and sends SMS to a non-RCS peer (protocols.md §3.1,
    /// §9.2). Off by default, so other cases see no OPTIONS.
    #[serde(default)]
    pub capability_discovery: bool,
    /// Send displayed IMDNs when asked for (the user's read-receipt setting, RFC 5438 7).
    #[serde(default = "yes")]
    pub read_receipts: bool,
    /// IMDN CPIM From/To are `sip:anonymous@anonymous.invalid` (protocols.md §4.4).
    #[serde(default = "yes")]
    pub imdn_anonymous: bool,
    /// URI hosts that are chatbots (protocols.md §7.1); by default the China Mobile and
    /// CT/CU chatbot platform domains. `[]` leaves detection to `+g.gsma.rcs.isbot`.
    #[serde(default)]
    pub chatbot_domains: Option<Vec<String>>,
    /// The phone supports chatbots (protocols.md §2.3): `false` makes it a UP1.0 phone, whose
    /// REGISTER, OPTIONS requests and answers carry neither chatbot IARI nor `botversion`.
    #[serde(default = "yes")]
    pub chatbot_capable: bool,
}

impl Settings {
    /// The conference factory URI: the `conf-factory-uri` setting or the default.
    pub(crate) fn conf_factory(&self) -> String {
        self.conf_factory_uri
            .clone()
            .unwrap_or_else(|| format!("sip:conf-factory@{}", rcs_harness::role::HOME_DOMAIN))
    }

    /// The relay of the `msrp-relay` setting, with the credentials it asks for.
    pub(crate) fn relay(&self, impi: &str, password: &str) -> Option<Relay> {
        let uri = self.msrp_relay.clone()?;
        let credentials = self
            .msrp_relay_credentials
            .then(|| (impi.to_owned(), password.to_owned()));
        Some(Relay { uri, credentials })
    }
}

/// An MSRP relay URI the stack can connect to: an IP address and a port in its authority.
fn relay_uri<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<MsrpUri>, D::Error> {
    let text = String::deserialize(d)?;
    let uri = MsrpUri::parse(&text).map_err(serde::de::Error::custom)?;
    let ip = uri.host().trim_start_matches('[').trim_end_matches(']');
    if ip.parse::<std::net::IpAddr>().is_err() || uri.port().is_none() {
        return Err(serde::de::Error::custom(format!(
            "msrp-relay `{text}` needs an IP address and a port, such as msrp://127.0.0.1:5060;tcp"
        )));
    }
    Ok(Some(uri))
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            requested_expires: default_requested_expires(),
            auto_delivery_imdn: true,
            switchover_size: default_switchover_size(),
            auto_accept: true,
            msrp_relay: None,
            msrp_relay_credentials: true,
            conf_factory_uri: None,
            subscribe_conference: true,
            config_server: None,
            subscribe_reg: false,
            refresh_registration: false,
            ft_auto_accept: true,
            ft_user: None,
            ft_password: None,
            ft_http_cs_uri: None,
            capability_discovery: false,
            read_receipts: true,
            imdn_anonymous: true,
            chatbot_domains: None,
            chatbot_capable: true,
        }
    }
}

/// Which IMDN to send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ImdnStatus {
    Delivered,
    Displayed,
}

impl ImdnStatus {
    pub(crate) fn parse(value: &str) -> Result<Self, String> {
        match value {
            "delivered" => Ok(Self::Delivered),
            "displayed" => Ok(Self::Displayed),
            other => Err(format!(
                "status `{other}` is not `delivered` or `displayed`"
            )),
        }
    }
}

/// Reads `udp`, `tcp` or `tls`.
pub(crate) fn transport(value: &str) -> Result<Transport, String> {
    match value {
        "udp" => Ok(Transport::Udp),
        "tcp" => Ok(Transport::Tcp),
        "tls" => Ok(Transport::Tls),
        other => Err(format!("transport `{other}` is not `udp`, `tcp` or `tls`")),
    }
}

/// Deserializes `params` into `T`, with a message naming the action.
pub(crate) fn parse<T: DeserializeOwned>(params: &Map<String, Value>) -> Result<T, String> {
    serde_json::from_value(Value::Object(params.clone())).map_err(|e| e.to_string())
}

/// Reads an action's `timeout`; `None` gives [`DEFAULT_TIMEOUT`].
pub(crate) fn timeout(value: Option<&str>) -> Result<Duration, String> {
    value.map_or(Ok(DEFAULT_TIMEOUT), duration)
}

/// Reads a duration such as `5s`, `500ms` or `2m`.
pub(crate) fn duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (digits, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("timeout `{text}` is not a number with a unit (ms, s, m)"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n.saturating_mul(60))),
        _ => Err(format!("timeout `{text}` has no unit of ms, s or m")),
    }
}

/// Whether a string is (or contains) a `${...}` placeholder that is resolved only at run time.
pub(crate) fn is_placeholder(value: &str) -> bool {
    value.contains("${")
}

/// Checks a value that must parse at run time, unless it is still a placeholder.
pub(crate) fn check_later<T>(
    value: Option<&str>,
    check: impl Fn(&str) -> Result<T, String>,
) -> Result<(), String> {
    match value {
        Some(v) if !is_placeholder(v) => check(v).map(|_| ()),
        _ => Ok(()),
    }
}

fn default_text() -> String {
    "hello".to_owned()
}

fn default_content_type() -> String {
    "text/plain;charset=UTF-8".to_owned()
}

fn default_disposition() -> String {
    "positive-delivery, display".to_owned()
}

fn default_requested_expires() -> u32 {
    600_000
}

fn default_switchover_size() -> usize {
    1300
}

fn yes() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!("test maps are objects"),
        }
    }

    #[test]
    fn pager_defaults_follow_the_brief() {
        let p: PagerParams = parse(&map(json!({ "to": "bob" }))).unwrap();
        assert_eq!(p.text, "hello");
        assert_eq!(p.content_type, "text/plain;charset=UTF-8");
        assert_eq!(p.disposition, "positive-delivery, display");
        assert!(p.omit.is_empty());
    }

    #[test]
    fn unknown_and_misspelt_params_are_rejected() {
        let err = parse::<PagerParams>(&map(json!({ "to": "bob", "txt": "x" }))).unwrap_err();
        assert!(err.contains("txt"), "{err}");
        let err =
            parse::<ImdnParams>(&map(json!({ "status": "delivered", "four": "x" }))).unwrap_err();
        assert!(err.contains("four"), "{err}");
        assert!(parse::<RegisterParams>(&map(json!({ "expires": "60" }))).is_err());
    }

    #[test]
    fn start_chat_omit_takes_only_the_conversation_headers() {
        let p: StartChatParams =
            parse(&map(json!({ "to": "bob", "omit": ["Conversation-ID"] }))).unwrap();
        assert_eq!(p.omit, vec![InviteOmit::ConversationId]);
        assert_eq!(p.omit[0].header(), "Conversation-ID");
        let err = parse::<StartChatParams>(&map(json!({ "to": "bob", "omit": ["Call-ID"] })))
            .unwrap_err();
        assert!(
            err.contains("Call-ID") && err.contains("Contribution-ID"),
            "{err}"
        );
    }

    #[test]
    fn imdn_for_is_read_from_the_keyword() {
        let p: ImdnParams =
            parse(&map(json!({ "for": "abc123XYZ0", "status": "displayed" }))).unwrap();
        assert_eq!(p.for_id.as_deref(), Some("abc123XYZ0"));
        assert_eq!(ImdnStatus::parse(&p.status), Ok(ImdnStatus::Displayed));
        assert!(ImdnStatus::parse("read").is_err());
    }

    #[test]
    fn settings_default_and_reject_unknown_keys() {
        let s: Settings = parse(&Map::new()).unwrap();
        assert_eq!(s.requested_expires, 600_000);
        assert!(s.auto_delivery_imdn);
        assert_eq!(s.switchover_size, 1300);
        assert!(s.auto_accept);
        assert!(parse::<Settings>(&map(json!({ "max-expires": 60 }))).is_err());
        let s: Settings = parse(&map(json!({ "auto-delivery-imdn": false }))).unwrap();
        assert!(!s.auto_delivery_imdn);
    }

    #[test]
    fn timeouts_need_a_unit() {
        assert_eq!(timeout(None), Ok(DEFAULT_TIMEOUT));
        assert_eq!(timeout(Some("500ms")), Ok(Duration::from_millis(500)));
        assert_eq!(timeout(Some("2s")), Ok(Duration::from_secs(2)));
        assert_eq!(timeout(Some("1m")), Ok(Duration::from_secs(60)));
        assert!(timeout(Some("5")).is_err());
        assert!(timeout(Some("s")).is_err());
        assert!(timeout(Some("5h")).is_err());
    }

    #[test]
    fn placeholders_are_checked_at_run_time_only() {
        assert!(check_later(Some("${x.y}"), duration).is_ok());
        assert!(check_later(Some("soon"), duration).is_err());
        assert!(check_later(None, duration).is_ok());
    }

    #[test]
    fn the_msrp_relay_setting_takes_an_address_and_our_credentials() {
        let s: Settings =
            parse(&map(json!({ "msrp-relay": "msrp://127.0.0.1:5060;tcp" }))).unwrap();
        let relay = s.relay("8613800000001@ims.example", "pw").unwrap();
        assert_eq!(relay.uri.to_string(), "msrp://127.0.0.1:5060;tcp");
        assert_eq!(
            relay.credentials,
            Some(("8613800000001@ims.example".to_owned(), "pw".to_owned()))
        );
        let s: Settings = parse(&map(json!({
            "msrp-relay": "msrps://[::1]:2855;tcp",
            "msrp-relay-credentials": false
        })))
        .unwrap();
        assert_eq!(s.relay("a", "b").unwrap().credentials, None);
        assert!(Settings::default().relay("a", "b").is_none());
        let err = parse::<Settings>(&map(
            json!({ "msrp-relay": "msrp://relay.example:2855;tcp" }),
        ))
        .unwrap_err();
        assert!(err.contains("needs an IP address and a port"), "{err}");
        assert!(parse::<Settings>(&map(json!({ "msrp-relay": "sip:127.0.0.1:5060" }))).is_err());
        assert!(parse::<Settings>(&map(json!({ "msrp-relay": "msrp://127.0.0.1;tcp" }))).is_err());
    }
}
