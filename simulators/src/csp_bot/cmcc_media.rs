//! The CMCC media and revoke actions (protocols.md §8.1.6, §8.1.2): upload a generated file to
//! `POST /Content`, delete it with `DELETE /Content` and its `tid`, fetch a media URL, and ask
//! for a sent message to be withdrawn with `PUT …/requests/{messageId}/status`.
//!
//! The uploaded file is `size` bytes of a fixed pattern (1024 by default) of `content-type`
//! (image/jpeg by default) in the form part `File`, with the form field `tid` and the headers of
//! §8.1.6 (`tid`, `User-Agent: SP/<chatbot>`, `Terminal-type`, `X-3GPP-Intended-Identity`). The
//! CMCC upload has no temporary/permanent switch: `mode` is accepted for symmetry with CT/CU and
//! sent as the form field `mode`. The media URL comes in the audit callback (a case saves it
//! from there). Nothing here judges the answers.

use std::net::SocketAddr;
use std::sync::Arc;

use rcs_harness::agent::ActionOutput;
use rcs_proto::http::{RequestBuilder, form};
use rcs_proto::nbi::cmcc;
use serde_json::{Map, Value};

use super::{answered, build, int_param, path_escape, read_code, read_error, signed, text_param};
use crate::csp_bot::core::BotCore;

/// The largest file `upload-media` generates (the §8.1.6 default chatbot limit, 20 MB).
const MAX_SIZE: i64 = 20 * 1024 * 1024;

/// `revoke { message-id, to? }`.
pub(super) async fn revoke(
    core: &Arc<BotCore>,
    params: &Map<String, Value>,
) -> Result<ActionOutput, String> {
    let message_id = text_param(params, "message-id").unwrap_or_default();
    let target = format!(
        "/messaging/v1/outbound/{}/requests/{}/status",
        path_escape(&core.settings.chatbot),
        path_escape(&message_id)
    );
    let mut builder = RequestBuilder::new("PUT", &target)
        .header("Content-Type", "application/xml; charset=utf-8");
    if let Some(to) = text_param(params, "to") {
        let tel = core.tel_of(&to);
        builder = builder.header("Address", tel.trim_start_matches("tel:"));
    }
    let builder = signed(core, builder, params)?.body(cmcc::status_report("RevokeRequested"));
    let response = core.to_maap(&build(&builder, "revoke")?).await?;
    let mut out = answered(&response, "revoke");
    if !(200..300).contains(&response.status()) {
        read_error(&mut out, response.body());
    }
    Ok(out)
}

/// The bytes of a generated file of `size` bytes.
fn pattern(size: usize) -> Vec<u8> {
    (0..size).map(|i| b"5G-MEDIA"[i % 8]).collect()
}

/// The bytes of a `size`-byte upload: a well-formed JPEG stream for `image/jpeg` (so a capture
/// decodes without malformed packets), else the pattern.
fn media_bytes(content_type: &str, size: usize) -> Vec<u8> {
    match content_type.eq_ignore_ascii_case("image/jpeg") {
        true => crate::terminal::jpeg_filler(size),
        false => pattern(size),
    }
}

/// `upload-media { size?, content-type?, mode? }`.
pub(super) async fn upload(
    core: &Arc<BotCore>,
    params: &Map<String, Value>,
) -> Result<ActionOutput, String> {
    let size = match params.get("size") {
        Some(value) => int_param(value, "size")?.unwrap_or(1024),
        None => 1024,
    };
    if !(1..=MAX_SIZE).contains(&size) {
        return Err(format!("`size` must be 1 to {MAX_SIZE} bytes, not {size}"));
    }
    let size = usize::try_from(size).map_err(|_| format!("`size` {size} is too large"))?;
    let content_type =
        text_param(params, "content-type").unwrap_or_else(|| "image/jpeg".to_owned());
    let tid = uuid::Uuid::new_v4().to_string();
    let name = if content_type.starts_with("image/") {
        "media.jpg"
    } else {
        "media.bin"
    };
    let mut parts = vec![
        form::field("tid", None, tid.clone()),
        form::file(
            "File",
            name,
            &content_type,
            media_bytes(&content_type, size),
        ),
    ];
    if let Some(mode) = text_param(params, "mode") {
        parts.push(form::field("mode", None, mode));
    }
    let (form_type, body) = form::build(&parts, &format!("media-{}", &tid[..8]));
    let chatbot = core.settings.chatbot.clone();
    let builder = RequestBuilder::new("POST", "/Content")
        .header("Content-Type", &form_type)
        .header("tid", &tid)
        .header("User-Agent", &format!("SP/{chatbot}"))
        .header("Terminal-type", "Chatbot")
        .header("X-3GPP-Intended-Identity", &chatbot);
    let builder = signed(core, builder, params)?.body(body);
    let response = core.to_maap(&build(&builder, "media upload")?).await?;
    let mut out = answered(&response, "upload");
    out.values.insert("tid".to_owned(), tid);
    read_code(&mut out, response.body());
    Ok(out)
}

/// `delete-media { tid }`.
pub(super) async fn delete(
    core: &Arc<BotCore>,
    params: &Map<String, Value>,
) -> Result<ActionOutput, String> {
    let tid = text_param(params, "tid").unwrap_or_default();
    let builder = RequestBuilder::new("DELETE", "/Content").header("tid", &tid);
    let builder = signed(core, builder, params)?;
    let response = core.to_maap(&build(&builder, "media delete")?).await?;
    let mut out = answered(&response, "delete");
    read_code(&mut out, response.body());
    Ok(out)
}

/// Where a media URL points: the server, whether over TLS, and the request target.
fn split_url(url: &str) -> Result<(SocketAddr, bool, String), String> {
    let (rest, tls) = if let Some(rest) = url.strip_prefix("https://") {
        (rest, true)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (rest, false)
    } else {
        return Err(format!("media URL `{url}` is not http:// or https://"));
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let addr = authority
        .parse()
        .map_err(|_| format!("media URL `{url}` does not name an ip:port"))?;
    let path = if path.is_empty() { "/" } else { path };
    Ok((addr, tls, path.to_owned()))
}

/// `fetch-media { url }`.
pub(super) async fn fetch(
    core: &Arc<BotCore>,
    params: &Map<String, Value>,
) -> Result<ActionOutput, String> {
    let url = text_param(params, "url").unwrap_or_default();
    let (addr, tls, path) = split_url(&url)?;
    let request = build(
        &RequestBuilder::new("GET", &path).header("Host", &addr.to_string()),
        "media download",
    )?;
    let response = core
        .http
        .send(addr, tls, &request)
        .await
        .map_err(|err| format!("fetch {url}: {err}"))?;
    let mut out = answered(&response, "fetch");
    out.values
        .insert("size".to_owned(), response.body().len().to_string());
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_server_and_target() {
        let (addr, tls, path) = split_url("http://127.0.0.1:8080/Content/files/ab").unwrap();
        assert_eq!(addr.port(), 8080);
        assert!(!tls);
        assert_eq!(path, "/Content/files/ab");
        let (_, tls, path) = split_url("https://127.0.0.1:1").unwrap();
        assert!(tls);
        assert_eq!(path, "/");
        assert!(split_url("ftp://127.0.0.1:1/x").is_err());
        assert!(split_url("http://maap.example/x").is_err());
    }

    #[test]
    fn generated_files_have_the_asked_size() {
        assert_eq!(pattern(10).len(), 10);
        assert_eq!(&pattern(10)[..8], b"5G-MEDIA");
        let jpeg = media_bytes("image/jpeg", 4096);
        assert_eq!((jpeg.len(), &jpeg[..2]), (4096, &[0xFF, 0xD8][..]));
        assert_eq!(media_bytes("video/mp4", 10), pattern(10));
    }
}
