//! Chatbot information and its persistent menu, as a terminal fetches them (protocols.md §7.4
//! menu, §7.6 bot info; TRM-BOT-009).
//!
//! `get-bot-info` sends `GET /bot?id=<chatbot URI>&hl=<lang>&ho=<home operator>&v=3` to the HTTP
//! server of the case's `maap` role (HTTPS when the case speaks TLS), with `X-3GPP-Intended-Identity` (the user's tel URI) and
//! `If-None-Match` carrying the ETag it holds, so an unchanged document comes back 304 and the
//! menu it has stays. The menu (`menu` or `persistentMenu` of the document, an object or a JSON
//! string) is checked with rcs_proto::bot::validate_menu under the China limits, and the user is
//! shown at most 3 top-level and 5 second-level entries; its tappable entries are remembered for
//! `tap-suggestion` with `menu: true`. Digest challenges of a real bot-info server are not
//! answered.

use rcs_harness::agent::ActionOutput;
use rcs_harness::events::Transport;
use rcs_harness::role::RoleKind;
use rcs_proto::bot::{self, BOTSUGGESTION_TYPE, Limits};
use rcs_proto::http::RequestBuilder;
use serde_json::{Value, json};

use super::actions::Output;
use super::bot_actions::bot_uri;
use super::bot_params::BotInfoParams;
use super::bot_state::Menu;
use super::core::Core;
use super::faults::Fault;
use super::params;

/// The home operator a terminal names (`ho`): China Mobile's MCC and MNC.
const HOME_OPERATOR: &str = "46000";

pub(crate) async fn get_bot_info(core: &Core, p: BotInfoParams) -> Result<ActionOutput, String> {
    let wait = params::timeout(p.timeout.as_deref())?;
    let bot = bot_uri(core, p.bot.as_deref()).await?;
    let server = core
        .peers
        .values()
        .find(|peer| peer.kind == RoleKind::Maap)
        .and_then(|peer| peer.http)
        .ok_or("the case has no maap role with an HTTP server to ask for bot information")?;
    let held = core.bots.menu(&bot);
    let etag = p
        .etag
        .or_else(|| held.as_ref().and_then(|m| m.etag.clone()))
        .filter(|_| !core.faults.has(Fault::BotNoIfNoneMatch));
    let target = format!(
        "/bot?id={}&hl={}&ho={HOME_OPERATOR}&v=3",
        encode(&bot),
        encode(p.language.as_deref().unwrap_or("zh"))
    );
    let mut builder = RequestBuilder::new("GET", &target)
        .header("Host", &server.to_string())
        .header("X-3GPP-Intended-Identity", &core.subscriber.tel_uri())
        .header("Accept", "application/json");
    if let Some(etag) = &etag {
        builder = builder.header("If-None-Match", etag);
    }
    let request = builder
        .build()
        .map_err(|e| format!("failed to write the bot info request: {e}"))?;
    let mut out = Output::new(String::new());
    out.set("sent.If-None-Match", etag.as_deref().unwrap_or_default());
    // Bot information is served over HTTPS when the case speaks TLS (§7.6), else plain HTTP.
    let tls = core.local.transport == Transport::Tls;
    let response = tokio::time::timeout(wait, core.ft.client.send(server, tls, &request)).await;
    let response = match response {
        Ok(Ok(response)) => response,
        Ok(Err(error)) => {
            out.set("status", "transport-error");
            return Ok(out.finish(format!("bot info of {bot}: {error}")));
        }
        Err(_) => {
            out.set("status", "timeout");
            return Ok(out.finish(format!("bot info of {bot}: no answer")));
        }
    };
    let status = response.status();
    out.set("status", &status.to_string());
    let menu = match status {
        200 => {
            let menu = read_menu(response.body(), response.header("ETag"));
            core.bots.set_menu(&bot, menu.clone());
            Some(menu)
        }
        304 => held,
        _ => None,
    };
    let menu = menu.unwrap_or_default();
    out.set("etag", menu.etag.as_deref().unwrap_or_default());
    out.set("menu.count", &menu.shown.len().to_string());
    out.set("menu.entries", &menu.shown.join(" | "));
    out.set("menu.valid", &menu.errors.is_empty().to_string());
    out.set("menu.errors", &menu.errors.join("; "));
    let summary = format!(
        "bot info of {bot}: {status}, menu of {} entries",
        menu.shown.len()
    );
    Ok(out.finish(summary))
}

/// The menu of a bot-info document (none when the document has none or is not JSON).
pub(crate) fn read_menu(body: &[u8], etag: Option<&str>) -> Menu {
    let mut menu = Menu {
        etag: etag.map(str::to_owned),
        ..Menu::default()
    };
    let doc: Value = match serde_json::from_slice(body) {
        Ok(doc) => doc,
        Err(error) => {
            menu.errors.push(format!("bot info: {error}"));
            return menu;
        }
    };
    let Some(found) = doc.get("menu").or_else(|| doc.get("persistentMenu")) else {
        return menu;
    };
    let found = match found {
        Value::String(text) => serde_json::from_str(text).unwrap_or(Value::Null),
        other => other.clone(),
    };
    let doc = match found.get("menu") {
        Some(_) => found,
        None => json!({ "menu": found }),
    };
    menu.errors = bot::validate_menu(&doc, Limits::China)
        .iter()
        .map(ToString::to_string)
        .collect();
    let entries = doc
        .pointer("/menu/entries")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut leaves = Vec::new();
    let top = Limits::China.menu_top_entries();
    let sub = Limits::China.menu_sub_entries();
    for entry in entries.iter().take(top) {
        match entry.get("menu") {
            Some(submenu) => {
                let parent = text_of(submenu);
                let children = submenu
                    .get("entries")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                for child in children
                    .iter()
                    .take(sub)
                    .filter(|c| c.get("menu").is_none())
                {
                    menu.shown
                        .push(format!("{parent} > {}", text_of_entry(child)));
                    leaves.push(child.clone());
                }
            }
            None => {
                menu.shown.push(text_of_entry(entry));
                leaves.push(entry.clone());
            }
        }
    }
    let list = serde_json::to_vec(&json!({ "suggestions": leaves })).unwrap_or_default();
    menu.entries = bot::suggestions_of(BOTSUGGESTION_TYPE, &list);
    menu
}

/// The `displayText` of a reply or action entry.
fn text_of_entry(entry: &Value) -> String {
    ["reply", "action"]
        .iter()
        .find_map(|k| entry.get(k))
        .map(text_of)
        .unwrap_or_default()
}

fn text_of(v: &Value) -> String {
    v.get("displayText")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// Percent-encodes a query value: everything but RFC 3986 unreserved characters.
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(b))
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(text: &str) -> Value {
        json!({ "reply": { "displayText": text, "postback": { "data": format!("pb_{text}") } } })
    }

    #[test]
    fn a_two_level_menu_is_read_and_flattened() {
        let doc = json!({ "serviceName": "某银行", "menu": { "entries": [
            reply("账单"),
            { "menu": { "displayText": "服务", "entries": [reply("还款"), reply("额度")] } },
            { "action": { "displayText": "官网", "postback": { "data": "site" },
                "urlAction": { "openUrl": { "url": "https://bank.example.cn", "application": "browser" } } } }
        ] } });
        let menu = read_menu(&serde_json::to_vec(&doc).unwrap(), Some("\"v1\""));
        assert_eq!(menu.etag.as_deref(), Some("\"v1\""));
        assert_eq!(menu.shown, ["账单", "服务 > 还款", "服务 > 额度", "官网"]);
        assert!(menu.errors.is_empty(), "{:?}", menu.errors);
        assert_eq!(menu.entries.len(), 4);
        assert_eq!(menu.entries[1].postback.as_deref(), Some("pb_还款"));
    }

    #[test]
    fn a_menu_over_the_china_limits_is_flagged_and_cut() {
        let entries: Vec<Value> = (1..=4).map(|n| reply(&format!("e{n}"))).collect();
        let doc = json!({ "menu": serde_json::to_string(&json!({ "menu": { "entries": entries } })).unwrap() });
        let menu = read_menu(&serde_json::to_vec(&doc).unwrap(), None);
        assert_eq!(menu.shown, ["e1", "e2", "e3"]);
        assert!(!menu.errors.is_empty());
    }

    #[test]
    fn a_document_without_menu_has_none() {
        let menu = read_menu(b"{\"serviceName\":\"x\"}", None);
        assert!(menu.shown.is_empty() && menu.errors.is_empty());
        let menu = read_menu(b"<html>", None);
        assert_eq!(menu.errors.len(), 1);
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            encode("sip:12599@botplatform.rcs.chinamobile.com"),
            "sip%3A12599%40botplatform.rcs.chinamobile.com"
        );
    }
}
