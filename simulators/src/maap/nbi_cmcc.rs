//! The MaaP's China Mobile (CMCC) developer API (protocols.md §8.1, §8.3; PLT-NBI-CM-001..009).
//!
//! | method + path | module |
//! |---|---|
//! | `POST /messaging/group/v1/outbound/{chatbot}/requests` (push, nested form §8.1.3) | `nbi_cmcc_send` |
//! | `POST /messaging/interaction/v1/outbound/{chatbot}/requests` (reply to an uplink) | `nbi_cmcc_send` |
//! | `POST /messaging/{group,single,interaction}/plain/outbound/{chatbot}/requests` (flat §8.1.4) | `nbi_cmcc_send` |
//! | `PUT /messaging/v1/outbound/{chatbot}/requests/{messageId}/status` (revoke) | `nbi_cmcc_revoke` |
//! | `POST /Content`, `DELETE /Content`, `GET /Content/files/<id>` (media §8.1.6) | `nbi_cmcc_media` |
//!
//! The chatbot URI in a path may be percent-encoded or raw; the test-gateway prefix
//! `/mbmp/developer/accesslayer` is accepted too. Every request but a media download must carry
//! `Date` and the signed `Authorization` of §8.1.1, checked against the chatbot's password with a
//! Date skew of ±15 min on the case clock's wall time (§12): a failure is answered 401 with a
//! `common:requestError` serviceException and nothing else happens (no SIP). Callbacks the other
//! way (delivery statuses, uplinks, revoke results, media audits) are in `nbi_cmcc_callbacks`.
//!
//! Exception ids are the simulator's own within the OMA families of §8.1.3 (SVCxxxx: the request
//! is wrong; POLxxxx: policy refused it). Not served: templates, CSP-level credentials.

#[path = "nbi_cmcc_callbacks.rs"]
mod callbacks;
#[path = "nbi_cmcc_media.rs"]
mod media;
#[path = "nbi_cmcc_revoke.rs"]
mod revoke;
#[path = "nbi_cmcc_send.rs"]
mod send;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use rcs_harness::clock::Clock;
use rcs_harness::events::Transport;
use rcs_proto::http::{Request, Response, ResponseBuilder};
use rcs_proto::nbi::cmcc::{self, AuthError};
use rcs_proto::sip::percent_decode;
use serde_json::json;

use super::chatbots::{Chatbot, Family};
use super::engine::{Engine, lock};
use super::http_routes::Route;
use crate::http::HttpClient;
use crate::net::TlsConfig;

pub(crate) use callbacks::CmccNorthbound;

/// The prefix a CMCC test gateway puts before every path (§8.1.2).
const GATEWAY_PREFIX: &str = "/mbmp/developer/accesslayer";

/// Most sends remembered for revokes that name no user.
const MAX_SENDS: usize = 1024;

/// The MaaP faults of the CMCC API (see `faults`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct CmccFaults {
    pub accepts_bad_signature: bool,
    pub ignores_date: bool,
    pub group_all_or_nothing: bool,
    pub no_interaction_check: bool,
    pub wrong_status_order: bool,
    pub revokes_delivered: bool,
    pub media_not_deleted: bool,
    pub encoded_uri_refused: bool,
    pub no_client_correlator: bool,
}

impl CmccFaults {
    pub(crate) fn from_ids(ids: &[String]) -> Self {
        let has = |name: &str| ids.iter().any(|id| id == &format!("maap.cmcc-{name}"));
        Self {
            accepts_bad_signature: has("accepts-bad-signature"),
            ignores_date: has("ignores-date"),
            group_all_or_nothing: has("group-all-or-nothing"),
            no_interaction_check: has("no-interaction-check"),
            wrong_status_order: has("wrong-status-order"),
            revokes_delivered: has("revokes-delivered"),
            media_not_deleted: has("media-not-deleted"),
            encoded_uri_refused: has("encoded-uri-refused"),
            no_client_correlator: has("no-client-correlator"),
        }
    }
}

/// What the CMCC API keeps: the engine it sends through, the media store, recent sends.
pub(crate) struct Cmcc {
    pub engine: Engine,
    pub clock: Clock,
    pub faults: CmccFaults,
    pub media: media::MediaStore,
    /// The callbacks' poster (also registered as the CMCC Northbound).
    pub northbound: Arc<CmccNorthbound>,
    /// Whether the MaaP's API is HTTPS (media URLs use the same scheme).
    pub https: bool,
    /// (chatbot, message id, recipients) of recent sends.
    sends: Mutex<VecDeque<(String, String, Vec<String>)>>,
}

impl Cmcc {
    /// The CMCC API on `engine`, registering its Northbound for CMCC chatbots; `client` posts the
    /// callbacks, `https` says whether the API and callbacks use TLS.
    pub(crate) fn new(engine: Engine, client: HttpClient, faults: &[String], https: bool) -> Self {
        let faults = CmccFaults::from_ids(faults);
        let northbound = Arc::new(CmccNorthbound::new(
            engine.core().clone(),
            client,
            https,
            faults.wrong_status_order,
        ));
        engine.set_northbound(Family::Cmcc, northbound.clone());
        Self {
            clock: engine.core().clock.clone(),
            engine,
            faults,
            media: media::MediaStore::default(),
            northbound,
            https,
            sends: Mutex::default(),
        }
    }

    /// The provisioned CMCC chatbot with this URI.
    pub(crate) fn chatbot(&self, uri: &str) -> Option<Chatbot> {
        self.engine
            .chatbot(uri)
            .filter(|bot| bot.family == Family::Cmcc)
    }

    /// The case clock's wall time, in Unix seconds.
    pub(crate) fn wall_unix(&self) -> i64 {
        let ahead = self.clock.now().saturating_duration_since(Instant::now());
        (SystemTime::now() + ahead)
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    }

    /// Remembers who a message went to.
    pub(crate) fn remember(&self, chatbot: &str, message_id: &str, to: &[String]) {
        let mut sends = lock(&self.sends);
        if sends.len() >= MAX_SENDS {
            sends.pop_front();
        }
        sends.push_back((chatbot.to_owned(), message_id.to_owned(), to.to_vec()));
    }

    /// The recipients of `message_id` sent by `chatbot`.
    pub(crate) fn recipients(&self, chatbot: &str, message_id: &str) -> Option<Vec<String>> {
        lock(&self.sends)
            .iter()
            .rev()
            .find(|(bot, id, _)| bot == chatbot && id == message_id)
            .map(|(_, _, to)| to.clone())
    }

    /// Checks `Authorization` and `Date` (§8.1.1) for `bot`.
    fn authorise(&self, bot: &Chatbot, request: &Request) -> Result<(), Box<Response>> {
        let authorization = request.header("Authorization").unwrap_or_default();
        let date = request.header("Date").unwrap_or_default();
        let skew = match self.faults.ignores_date {
            true => 100 * 365 * 24 * 3600,
            false => cmcc::DEFAULT_SKEW_SECS,
        };
        let password_of = |app: &str| (app == bot.app_id).then(|| bot.secret.clone());
        match cmcc::verify(authorization, date, self.wall_unix(), skew, password_of) {
            Ok(_) => Ok(()),
            Err(AuthError::BadSignature) if self.faults.accepts_bad_signature => Ok(()),
            Err(err) => Err(Box::new(error(
                401,
                false,
                "SVC0401",
                &format!("authorization refused: {err}"),
                &["Authorization"],
            ))),
        }
    }
}

/// The CMCC route of a MaaP: the API on `engine`, its Northbound registered, callbacks posted
/// over TLS when the case runs over TLS (trusting the simulators' test CA).
pub(crate) fn route_for(engine: &Engine) -> Route {
    let core = engine.core();
    let https = core.transport == Transport::Tls;
    let tls = match https {
        true => TlsConfig::simulated(&[])
            .map_err(|err| tracing::warn!("failed to set up TLS for cmcc callbacks: {err}"))
            .ok(),
        false => None,
    };
    let client = HttpClient::new(core.tap.clone(), tls);
    let faults = core.faults.clone();
    route(Arc::new(Cmcc::new(engine.clone(), client, &faults, https)))
}

/// The route serving `/messaging/…` and `/Content…` on the MaaP's HTTP server.
pub(crate) fn route(cmcc: Arc<Cmcc>) -> Route {
    Arc::new(move |request: &Request, _peer: SocketAddr| {
        let path = request.path();
        let path = path.strip_prefix(GATEWAY_PREFIX).unwrap_or(path).to_owned();
        if !path.starts_with("/messaging/") && !path.starts_with("/Content") {
            return None;
        }
        let cmcc = cmcc.clone();
        let request = request.clone();
        Some(Box::pin(
            async move { answer(&cmcc, &path, &request).await },
        ))
    })
}

/// The API a path names.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Api {
    /// A send: the chatbot, whether the flat form, whether the interaction API.
    Send {
        chatbot: String,
        flat: bool,
        interaction: bool,
    },
    Revoke {
        chatbot: String,
        message_id: String,
    },
    Upload,
    DeleteMedia,
    Download,
}

fn api_of(method: &str, path: &str) -> Option<Api> {
    if path.starts_with(media::FILES) {
        return (method == "GET").then_some(Api::Download);
    }
    if path == "/Content" || path == "/Content/" {
        return match method {
            "POST" => Some(Api::Upload),
            "DELETE" => Some(Api::DeleteMedia),
            _ => None,
        };
    }
    let rest = path.strip_prefix("/messaging/")?;
    let segments: Vec<&str> = rest.split('/').collect();
    let decode = |s: &str| String::from_utf8_lossy(&percent_decode(s)).into_owned();
    match segments.as_slice() {
        [kind, version, "outbound", bot, "requests"] if method == "POST" => {
            let flat = match *version {
                "v1" => false,
                "plain" => true,
                _ => return None,
            };
            let interaction = match *kind {
                "group" => false,
                "single" if flat => false,
                "interaction" => true,
                _ => return None,
            };
            Some(Api::Send {
                chatbot: decode(bot),
                flat,
                interaction,
            })
        }
        ["v1", "outbound", bot, "requests", id, "status"] if method == "PUT" => Some(Api::Revoke {
            chatbot: decode(bot),
            message_id: decode(id),
        }),
        _ => None,
    }
}

async fn answer(cmcc: &Arc<Cmcc>, path: &str, request: &Request) -> Response {
    let refuse_encoded = cmcc.faults.encoded_uri_refused && path.contains('%');
    let Some(api) = api_of(request.method(), path).filter(|_| !refuse_encoded) else {
        let text = format!("no API `{} {path}`", request.method());
        return error(404, false, "SVC0002", &text, &[]);
    };
    if api == Api::Download {
        return media::download(&cmcc.media, path);
    }
    let chatbot = match &api {
        Api::Send { chatbot, .. } | Api::Revoke { chatbot, .. } => cmcc.chatbot(chatbot),
        _ => media_chatbot(cmcc, request),
    };
    let Some(bot) = chatbot else {
        return error(
            404,
            false,
            "SVC0004",
            "no such CMCC chatbot",
            &["chatbotURI"],
        );
    };
    if let Err(refused) = cmcc.authorise(&bot, request) {
        return *refused;
    }
    match api {
        Api::Send {
            flat, interaction, ..
        } => send::send(cmcc, &bot, request, flat, interaction),
        Api::Revoke { message_id, .. } => revoke::revoke(cmcc, &bot, &message_id, request),
        Api::Upload => callbacks::upload(cmcc, &bot, request),
        _ => callbacks::delete(cmcc, request),
    }
}

/// The chatbot a media request is for: `X-3GPP-Intended-Identity`, else `User-Agent: SP/<uri>`,
/// else the app id in `Authorization` cannot be read without the signature: the default.
fn media_chatbot(cmcc: &Cmcc, request: &Request) -> Option<Chatbot> {
    let named = request
        .header("X-3GPP-Intended-Identity")
        .map(|v| v.trim().trim_matches(['<', '>']).to_owned())
        .or_else(|| {
            request
                .header("User-Agent")
                .and_then(|ua| ua.trim().strip_prefix("SP/"))
                .map(str::to_owned)
        })
        .unwrap_or_else(|| super::chatbots::DEFAULT_CHATBOT.to_owned());
    cmcc.chatbot(&named)
}

/// A `common:requestError` answer (§8.1.3).
pub(crate) fn error(
    status: u16,
    policy: bool,
    id: &str,
    text: &str,
    variables: &[&str],
) -> Response {
    respond(
        ResponseBuilder::new(status, reason(status))
            .header("Content-Type", "application/xml; charset=utf-8")
            .body(cmcc::request_error(policy, id, text, variables)),
    )
}

/// A JSON answer `{"code", "msg"}` of the flat and media APIs (§8.1.4, §8.1.6).
pub(crate) fn json(status: u16, reason: &str, code: &str, msg: &str) -> Response {
    json_tid(status, reason, code, msg, None)
}

/// A JSON answer with the media `tid` header (§8.1.6).
pub(crate) fn json_tid(
    status: u16,
    reason: &str,
    code: &str,
    msg: &str,
    tid: Option<&str>,
) -> Response {
    let mut builder = ResponseBuilder::new(status, reason)
        .header("Content-Type", "application/json; charset=utf-8");
    if let Some(tid) = tid {
        builder = builder.header("tid", tid);
    }
    respond(builder.body(json!({ "code": code, "msg": msg }).to_string()))
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        _ => "Error",
    }
}

/// The response `builder` makes; a bare 500 if it cannot be read back (a bug of the caller).
pub(crate) fn respond(builder: ResponseBuilder) -> Response {
    builder.build().unwrap_or_else(|_| {
        Response::parse(
            &b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n"[..],
            "GET",
        )
        .expect("a constant response parses")
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_their_api_encoded_or_raw() {
        let enc = "sip%3A12599%40botplatform.rcs.chinamobile.com";
        let raw = "sip:12599@botplatform.rcs.chinamobile.com";
        let send = |interaction, flat| Api::Send {
            chatbot: raw.to_owned(),
            flat,
            interaction,
        };
        let p = |s: &str| format!("/messaging/{s}");
        assert_eq!(
            api_of("POST", &p(&format!("group/v1/outbound/{enc}/requests"))),
            Some(send(false, false))
        );
        assert_eq!(
            api_of("POST", &p(&format!("group/v1/outbound/{raw}/requests"))),
            Some(send(false, false))
        );
        assert_eq!(
            api_of(
                "POST",
                &p(&format!("interaction/v1/outbound/{enc}/requests"))
            ),
            Some(send(true, false))
        );
        assert_eq!(
            api_of("POST", &p(&format!("single/plain/outbound/{enc}/requests"))),
            Some(send(false, true))
        );
        assert_eq!(
            api_of("POST", &p(&format!("group/plain/outbound/{enc}/requests"))),
            Some(send(false, true))
        );
        assert_eq!(
            api_of("POST", &p(&format!("single/v1/outbound/{enc}/requests"))),
            None
        );
        assert_eq!(
            api_of("GET", &p(&format!("group/v1/outbound/{enc}/requests"))),
            None
        );
        assert_eq!(
            api_of("PUT", &p(&format!("v1/outbound/{enc}/requests/m-1/status"))),
            Some(Api::Revoke {
                chatbot: raw.to_owned(),
                message_id: "m-1".to_owned()
            })
        );
        assert_eq!(api_of("POST", "/Content"), Some(Api::Upload));
        assert_eq!(api_of("DELETE", "/Content"), Some(Api::DeleteMedia));
        assert_eq!(api_of("GET", "/Content/files/abc"), Some(Api::Download));
        assert_eq!(api_of("GET", "/Content"), None);
    }

    #[test]
    fn faults_are_read_by_name() {
        let faults =
            CmccFaults::from_ids(&["maap.cmcc-ignores-date".to_owned(), "maap.other".to_owned()]);
        assert!(faults.ignores_date);
        assert_eq!(
            CmccFaults {
                ignores_date: false,
                ..faults
            },
            CmccFaults::default()
        );
    }

    #[test]
    fn errors_are_request_error_documents() {
        let response = error(
            401,
            false,
            "SVC0401",
            "authorization refused",
            &["Authorization"],
        );
        assert_eq!(response.status(), 401);
        let (id, text) = cmcc::parse_request_error(response.body()).unwrap();
        assert_eq!(
            (id.as_str(), text.as_str()),
            ("SVC0401", "authorization refused")
        );
        let response = json(200, "OK", "00000", "success");
        assert_eq!(response.body(), br#"{"code":"00000","msg":"success"}"#);
    }
}
