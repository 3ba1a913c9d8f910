//! The CT/CU media actions (protocols.md §8.2 media rows; PLT-NBI-CT-007).
//!
//! `upload-media { mode: temp|perm, size?, content-type?, file-name?, thumbnail? }` posts a
//! `multipart/form-data` form to `…/medias/upload` with header `uploadMode`: a generated file of
//! `size` bytes (default 1024) as part `File`, and with `thumbnail: <size>` a generated thumbnail
//! as part `Thumbnail`. Values: `url`, `until` (empty when absent), `size`, `sha256` of the file,
//! `thumbnail.url`, `file-count`, `total-count`. The answer's entries are kept for `send { file:
//! last }`. `delete-media { url? }` deletes that file (default: the last uploaded file) with
//! `DELETE …/medias/delete` and header `url`; values `delete-mode`, `file-count`, `total-count`.

use std::sync::Arc;

use rcs_harness::agent::ActionOutput;
use rcs_proto::http::form;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::{answered, api_request, text, with_state};
use crate::csp_bot::core::BotCore;

/// The parameters `upload-media` takes.
pub(super) const UPLOAD_PARAMS: &[&str] = &[
    "mode",
    "size",
    "content-type",
    "file-name",
    "thumbnail",
    "token",
];

/// The largest file generated, in bytes.
const MAX_SIZE: u64 = 8 * 1024 * 1024;

/// Checks `upload-media`'s parameters at load time.
pub(super) fn check(params: &Map<String, Value>) -> Result<(), String> {
    match text(params, "mode").as_deref() {
        Some("temp" | "perm") => {}
        Some(placeholder) if placeholder.contains("${") => {}
        Some(other) => return Err(format!("mode `{other}` is not temp or perm")),
        None => return Err("`upload-media` needs `mode` (temp or perm)".to_owned()),
    }
    for key in ["size", "thumbnail"] {
        if let Some(value) = params.get(key) {
            size_of(value, key)?;
        }
    }
    Ok(())
}

fn size_of(value: &Value, key: &str) -> Result<u64, String> {
    let size = match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
    .ok_or_else(|| format!("`{key}` must be a number of bytes"))?;
    match size {
        1..=MAX_SIZE => Ok(size),
        _ => Err(format!("`{key}` must be 1 to {MAX_SIZE} bytes")),
    }
}

/// `size` bytes of a repeating text, so the file is the same on every run.
fn generated(size: u64, seed: &str) -> Vec<u8> {
    seed.bytes()
        .cycle()
        .take(usize::try_from(size).unwrap_or(0))
        .collect()
}

/// `upload-media`.
pub(super) async fn upload(
    core: &Arc<BotCore>,
    params: &Map<String, Value>,
) -> Result<ActionOutput, String> {
    let mode = text(params, "mode").unwrap_or_default();
    let size = params
        .get("size")
        .map_or(Ok(1024), |v| size_of(v, "size"))?;
    let content_type = text(params, "content-type").unwrap_or_else(|| "image/jpeg".to_owned());
    let file_name = text(params, "file-name").unwrap_or_else(|| "statement.jpg".to_owned());
    let file = match content_type.eq_ignore_ascii_case("image/jpeg") {
        // A well-formed JPEG stream, so a capture decodes without malformed packets.
        true => crate::terminal::jpeg_filler(usize::try_from(size).unwrap_or(0)),
        false => generated(size, "ctcu media file "),
    };
    let mut parts = vec![form::file("File", &file_name, &content_type, file.clone())];
    let mut kinds = vec!["file"];
    if let Some(thumbnail) = params.get("thumbnail") {
        let thumb_size = size_of(thumbnail, "thumbnail")?;
        let thumb = crate::terminal::jpeg_filler(usize::try_from(thumb_size).unwrap_or(0));
        parts.push(form::file(
            "Thumbnail",
            "thumbnail.jpg",
            "image/jpeg",
            thumb,
        ));
        kinds.push("thumbnail");
    }
    let boundary = format!("ctcu-{}", uuid::Uuid::new_v4().simple());
    let (form_type, body) = form::build(&parts, &boundary);
    let request = api_request(core, "POST", "medias/upload", text(params, "token"))
        .header("uploadMode", &mode)
        .header("Content-Type", &form_type)
        .body(body)
        .build()
        .map_err(|err| format!("build the upload: {err}"))?;
    let response = core.to_maap(&request).await?;
    let (mut out, doc) = answered(&response);
    let infos: Vec<Value> = doc
        .get("fileInfo")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let uploaded: Vec<(String, Value)> = kinds
        .iter()
        .zip(infos.iter())
        .map(|(kind, info)| ((*kind).to_owned(), info.clone()))
        .collect();
    report_upload(&mut out, &doc, &uploaded);
    out.values
        .insert("sha256".to_owned(), hex::encode(Sha256::digest(&file)));
    out.values.insert("size".to_owned(), size.to_string());
    with_state(core, |state| state.uploaded = uploaded);
    out.summary = format!("{mode} upload answered {}", out.summary);
    Ok(out)
}

/// The values of an upload answer.
fn report_upload(out: &mut ActionOutput, doc: &Value, uploaded: &[(String, Value)]) {
    let field = |info: &Value, key: &str| info.get(key).and_then(Value::as_str).map(str::to_owned);
    for (kind, info) in uploaded {
        let prefix = if kind == "file" { "" } else { "thumbnail." };
        let url = field(info, "url").unwrap_or_default();
        out.values.insert(format!("{prefix}url"), url);
        let until = field(info, "until").unwrap_or_default();
        out.values.insert(format!("{prefix}until"), until);
    }
    for (key, name) in [("fileCount", "file-count"), ("totalCount", "total-count")] {
        if let Some(value) = doc.get(key) {
            out.values.insert(name.to_owned(), value.to_string());
        }
    }
}

/// `delete-media { url? }`.
pub(super) async fn delete(
    core: &Arc<BotCore>,
    params: &Map<String, Value>,
) -> Result<ActionOutput, String> {
    let last = with_state(core, |state| {
        state
            .uploaded
            .iter()
            .find(|(kind, _)| kind == "file")
            .and_then(|(_, info)| info.get("url").and_then(Value::as_str).map(str::to_owned))
    });
    let url = text(params, "url")
        .or(last)
        .ok_or("`delete-media` needs `url` or an `upload-media` before")?;
    let request = api_request(core, "DELETE", "medias/delete", text(params, "token"))
        .header("url", &url)
        .build()
        .map_err(|err| format!("build the delete: {err}"))?;
    let response = core.to_maap(&request).await?;
    let (mut out, doc) = answered(&response);
    let mode = doc
        .get("deleteMode")
        .and_then(Value::as_str)
        .unwrap_or_default();
    out.values.insert("delete-mode".to_owned(), mode.to_owned());
    for (key, name) in [("fileCount", "file-count"), ("totalCount", "total-count")] {
        if let Some(value) = doc.get(key) {
            out.values.insert(name.to_owned(), value.to_string());
        }
    }
    out.summary = format!("delete answered {}", out.summary);
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn uploads_need_a_mode_and_sane_sizes() {
        let params = |v: Value| v.as_object().unwrap().clone();
        assert!(check(&params(json!({"mode": "temp"}))).is_ok());
        assert!(check(&params(json!({"mode": "forever"}))).is_err());
        assert!(check(&params(json!({}))).is_err());
        assert!(check(&params(json!({"mode": "perm", "size": 0}))).is_err());
        assert!(check(&params(json!({"mode": "perm", "thumbnail": "2048"}))).is_ok());
    }

    #[test]
    fn generated_files_have_the_size_asked() {
        assert_eq!(generated(5, "abc"), b"abcab");
        assert_eq!(generated(1000, "x").len(), 1000);
    }

    #[test]
    fn upload_answers_become_values() {
        let doc = json!({"fileCount": 2, "totalCount": 3});
        let uploaded = vec![
            ("file".to_owned(), json!({"url": "u1", "until": "t1"})),
            ("thumbnail".to_owned(), json!({"url": "u2"})),
        ];
        let mut out = ActionOutput::default();
        report_upload(&mut out, &doc, &uploaded);
        assert_eq!(out.values["url"], "u1");
        assert_eq!(out.values["until"], "t1");
        assert_eq!(out.values["thumbnail.url"], "u2");
        assert_eq!(out.values["thumbnail.until"], "");
        assert_eq!(out.values["file-count"], "2");
        assert_eq!(out.values["total-count"], "3");
    }
}
