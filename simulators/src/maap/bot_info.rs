//! The chatbot information service (protocols.md §7.6 "Bot info", PLT-BOT-008):
//! `GET /bot?id=<chatbot URI>&hl=<lang>&ho=<home operator>&v=3`.
//!
//! A provisioned chatbot's information is a JSON document of the CT/CU "Chatbot 信息" fields
//! (§7.6), served with a strong `ETag` (a digest of the document) and `Cache-Control`; a request
//! whose `If-None-Match` lists that tag (or `*`) gets `304 Not Modified` without a body (RFC 9110
//! §13.1.2). An unknown id gets 404, a request without `id` 400, a method other than GET or HEAD
//! 405. It does not challenge with Digest (the lab service is open) and ignores `hl` and `ho`.

use std::net::SocketAddr;
use std::sync::Arc;

use rcs_proto::http::{Request, Response, ResponseBuilder};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::chatbots::Chatbot;
use super::engine::Engine;
use super::http_routes::{Route, build, status};

/// How long a client may cache the information.
const CACHE_CONTROL: &str = "max-age=3600";

/// The bot-info route.
pub(crate) fn route(engine: Engine) -> Route {
    Arc::new(move |request: &Request, _peer: SocketAddr| {
        if request.path() != "/bot" {
            return None;
        }
        let response = answer(&engine, request);
        Some(Box::pin(async move { response }))
    })
}

/// The response to one bot-info request.
fn answer(engine: &Engine, request: &Request) -> Response {
    if !matches!(request.method(), "GET" | "HEAD") {
        return build(ResponseBuilder::new(405, "Method Not Allowed").header("Allow", "GET, HEAD"));
    }
    let Some(id) = request.query_param("id") else {
        return status(400, "Bad Request");
    };
    let Some(bot) = engine.chatbot(&id).filter(|b| b.uri.starts_with("sip:")) else {
        return status(404, "Not Found");
    };
    let callback = engine
        .core()
        .csp_bot_http()
        .map(|addr| format!("http://{addr}"));
    let body = document(&bot, callback).to_string();
    let with_etag = !engine.core().has_fault("maap.no-etag");
    let tag = etag(body.as_bytes());
    if with_etag && matches_tag(request.header("If-None-Match"), &tag) {
        return build(
            ResponseBuilder::new(304, "Not Modified")
                .header("ETag", &tag)
                .header("Cache-Control", CACHE_CONTROL),
        );
    }
    let mut response = ResponseBuilder::new(200, "OK")
        .header("Content-Type", "application/json; charset=utf-8")
        .header("Cache-Control", CACHE_CONTROL);
    if with_etag {
        response = response.header("ETag", &tag);
    }
    build(response.body(body))
}

/// The information of `bot` (§7.6 CT/CU fields).
fn document(bot: &Chatbot, callback: Option<String>) -> Value {
    let service = bot.service_id();
    json!({
        "id": bot.uri,
        "accessNo": service,
        "domain": bot.domain(),
        "serviceName": bot.name,
        "serviceIcon": format!("https://{}/icons/{service}.png", bot.domain()),
        "TCPage": format!("https://{}/tc/{service}.html", bot.domain()),
        "SMSNumber": format!("1065{service}"),
        "verified": true,
        "authName": bot.name,
        "authExpires": "2030-12-31T23:59:59+08:00",
        "authOrg": "中国信息通信研究院",
        "status": bot.status.code(),
        "criticalChatbot": false,
        "url": bot.callback.clone().or(callback).unwrap_or_default(),
        "version": 2,
        "provider": bot.name,
        "category": ["金融"],
        "serviceDescription": format!("{}官方服务号", bot.name),
        "longitude": "116.397128",
        "latitude": "39.916527",
        "callBackNumber": "95588",
        "themeColour": "#C8102E",
        "serviceWebsite": format!("https://{}/", bot.domain()),
        "emailAddress": format!("service@{}", bot.domain()),
        "backgroundImage": format!("https://{}/bg/{service}.png", bot.domain()),
        "address": "北京市西城区",
        "menu": menu(bot),
        "family": bot.family.as_str(),
    })
}

/// The chatbot's persistent menu (§7.4 menu, within the CT/CU limits: 3 top-level entries,
/// 2 levels).
fn menu(bot: &Chatbot) -> Value {
    json!({"menu": {"entries": [
        {"reply": {"displayText": "查询账单", "postback": {"data": "menu_bill"}}},
        {"action": {"displayText": "官方网站", "postback": {"data": "menu_site"},
            "urlAction": {"openUrl": {"url": format!("https://{}/", bot.domain()), "application": "browser"}}}},
        {"menu": {"displayText": "更多服务", "entries": [
            {"reply": {"displayText": "账单分期", "postback": {"data": "menu_installments"}}},
            {"action": {"displayText": "客服热线", "postback": {"data": "menu_call"},
                "dialerAction": {"dialPhoneNumber": {"phoneNumber": "+8695588"}}}}
        ]}}
    ]}})
}

/// A strong entity tag: the first 16 bytes of the document's SHA-256, quoted.
fn etag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    format!("\"{}\"", hex::encode(&digest[..16]))
}

/// Whether an `If-None-Match` value lists `tag` or is `*` (weak comparison, RFC 9110 §13.1.2).
fn matches_tag(header: Option<&str>, tag: &str) -> bool {
    let Some(value) = header else {
        return false;
    };
    let bare = tag.trim_start_matches("W/");
    value
        .split(',')
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == bare)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::maap::chatbots::{DEFAULT_CHATBOT, Family};

    #[test]
    fn entity_tags_match_weakly_and_by_list() {
        let tag = etag(b"{}");
        assert_eq!(tag.len(), 34);
        assert!(matches_tag(Some(&tag), &tag));
        assert!(matches_tag(Some(&format!("\"x\", W/{tag}")), &tag));
        assert!(matches_tag(Some("*"), &tag));
        assert!(!matches_tag(Some("\"other\""), &tag));
        assert!(!matches_tag(None, &tag));
    }

    #[test]
    fn the_document_carries_the_chatbot_fields() {
        let bot = Chatbot::new(DEFAULT_CHATBOT, Family::Cmcc);
        let doc = document(&bot, Some("http://127.0.0.1:9".into()));
        assert_eq!(doc["accessNo"], "12599");
        assert_eq!(doc["domain"], "botplatform.rcs.chinamobile.com");
        assert_eq!(doc["status"], 0);
        assert_eq!(doc["url"], "http://127.0.0.1:9");
        let menu = &doc["menu"];
        assert!(rcs_proto::bot::validate_menu(menu, rcs_proto::bot::Limits::China).is_empty());
        assert_eq!(
            etag(doc.to_string().as_bytes()),
            etag(doc.to_string().as_bytes())
        );
    }
}
