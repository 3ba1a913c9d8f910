//! CT/CU media (protocols.md §8.2 media rows; PLT-NBI-CT-007): `POST …/medias/upload`
//! (`multipart/form-data`, header `uploadMode: temp|perm`), `GET …/medias/download` (header
//! `url`), `DELETE …/medias/delete` (header `url`), and `GET …/files/<id>`, where the file URLs
//! point (unauthenticated, as phones download them, §5.3).
//!
//! Every form part with a `filename` is one file. The upload answers `fileInfo[]` (`url`,
//! `fileName`, `contentType`, `fileSize`, `fileHashAlgorithm` sha256, `fileHashValue`, and
//! `until` for a temporary file only: 7 days on the case clock, §12), `fileCount` (files in this
//! request) and `totalCount` (files the chatbot holds after it). The delete answers `deleteMode`
//! (the deleted file's upload mode), `fileCount` (1) and `totalCount` (files left). A temporary
//! file past its `until` is answered 40022 by the download API and 410 at its URL.
//!
//! This module does not audit media (no audit callback), range requests or video playback URLs.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rcs_proto::http::form;
use rcs_proto::nbi::ctcu::code;
use rcs_proto::sip::percent_encode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::callbacks::date_time;
use super::{Call, Ctcu, PREFIX, base_url, refusal, reply, respond};
use crate::maap::chatbots::Chatbot;

/// The file URLs' path under the chatbot: `files/<id>`.
pub(crate) const FILES: &str = "files/";

/// How long a temporary file lives (protocols.md §12).
const TEMP_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);

/// Code 40022: the temporary file has expired.
const FILE_EXPIRED: i64 = 40022;

/// Most files kept over all chatbots; the oldest go first.
const MAX_FILES: usize = 64;

/// Most bytes kept over all files.
const MAX_BYTES: usize = 64 * 1024 * 1024;

/// One uploaded file.
#[derive(Clone, Debug)]
struct Stored {
    id: String,
    chatbot: String,
    url: String,
    file_name: String,
    content_type: String,
    bytes: Bytes,
    temp: bool,
    /// Case-clock instant after which a temporary file is gone.
    expires_at: Option<Instant>,
    until: Option<String>,
}

/// Every file uploaded through the CT/CU API.
#[derive(Debug, Default)]
pub(crate) struct Media {
    files: Mutex<Vec<Stored>>,
}

impl Media {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Stored>> {
        self.files.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn put(&self, file: Stored) {
        let mut files = self.lock();
        files.push(file);
        while files.len() > MAX_FILES || weight(&files) > MAX_BYTES {
            files.remove(0);
        }
    }

    fn count(&self, chatbot: &str) -> usize {
        self.lock().iter().filter(|f| f.chatbot == chatbot).count()
    }

    fn find(&self, chatbot: &str, pick: impl Fn(&Stored) -> bool) -> Option<Stored> {
        let files = self.lock();
        files
            .iter()
            .find(|f| f.chatbot == chatbot && pick(f))
            .cloned()
    }

    fn remove(&self, chatbot: &str, url: &str) -> Option<Stored> {
        let mut files = self.lock();
        let index = files
            .iter()
            .position(|f| f.chatbot == chatbot && f.url == url)?;
        Some(files.remove(index))
    }
}

fn weight(files: &[Stored]) -> usize {
    files.iter().map(|f| f.bytes.len()).sum()
}

/// `POST …/medias/upload`.
pub(crate) fn upload(ctcu: &Ctcu, bot: &Chatbot, call: &Call) -> rcs_proto::http::Response {
    let temp = match call.request.header("uploadMode").map(str::trim) {
        Some("temp") => true,
        Some("perm") => false,
        Some(other) => {
            let text = format!("uploadMode `{other}` is not temp or perm");
            return refusal(code::BAD_PARAMETER, &text);
        }
        None => return refusal(code::BAD_PARAMETER, "missing uploadMode"),
    };
    let content_type = call.request.content_type().unwrap_or_default();
    let parts = match form::parse(content_type, call.request.body()) {
        Ok(parts) => parts,
        Err(err) => {
            return refusal(
                code::BAD_PARAMETER,
                &format!("failed to read the form: {err}"),
            );
        }
    };
    let host = call.request.header("host").unwrap_or("127.0.0.1");
    let now = ctcu.clock.now();
    let mut infos = Vec::new();
    for part in &parts {
        let Some(file_name) = form::form_filename(part) else {
            continue;
        };
        let stored = store(ctcu, bot, host, now, temp, file_name, part);
        infos.push(file_info(&stored, ctcu.faults.temp_without_until));
        ctcu.media.put(stored);
    }
    if infos.is_empty() {
        return refusal(code::BAD_PARAMETER, "the form has no file part");
    }
    let body = json!({
        "fileInfo": infos,
        "fileCount": infos.len(),
        "totalCount": ctcu.media.count(&bot.uri),
    });
    reply(200, code::OK, "success", body)
}

/// A file as kept, with its URL and, when temporary, its end of life.
fn store(
    ctcu: &Ctcu,
    bot: &Chatbot,
    host: &str,
    now: Instant,
    temp: bool,
    file_name: String,
    part: &rcs_proto::multipart::Part,
) -> Stored {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let chatbot_id = percent_encode(&bot.uri, b"");
    let url = format!("{}{PREFIX}{chatbot_id}/{FILES}{id}", base_url(ctcu, host));
    let expires_at = temp.then(|| now + TEMP_LIFETIME);
    Stored {
        id,
        chatbot: bot.uri.clone(),
        url,
        file_name,
        content_type: part
            .header("Content-Type")
            .unwrap_or("application/octet-stream")
            .to_owned(),
        bytes: Bytes::copy_from_slice(&part.body),
        temp,
        until: expires_at.map(date_time),
        expires_at,
    }
}

/// One `fileInfo` entry.
fn file_info(file: &Stored, drop_until: bool) -> Value {
    let mut info = json!({
        "url": file.url,
        "fileName": file.file_name,
        "contentType": file.content_type,
        "fileSize": file.bytes.len(),
        "fileHashAlgorithm": "sha256",
        "fileHashValue": hex::encode(Sha256::digest(&file.bytes)),
    });
    if let (Some(until), false) = (&file.until, drop_until) {
        info["until"] = Value::String(until.clone());
    }
    info
}

/// The `url` header of a download or delete, if present.
fn url_header(call: &Call) -> Option<&str> {
    call.request
        .header("url")
        .map(str::trim)
        .filter(|u| !u.is_empty())
}

fn expired(ctcu: &Ctcu, file: &Stored) -> bool {
    file.expires_at.is_some_and(|at| ctcu.clock.now() >= at)
}

/// `GET …/medias/download`: the file's bytes.
pub(crate) fn download(ctcu: &Ctcu, bot: &Chatbot, call: &Call) -> rcs_proto::http::Response {
    let Some(url) = url_header(call) else {
        return refusal(code::BAD_PARAMETER, "missing url header");
    };
    let Some(file) = ctcu.media.find(&bot.uri, |f| f.url == url) else {
        return reply(
            404,
            code::BAD_PARAMETER,
            &format!("no file at `{url}`"),
            json!({}),
        );
    };
    if expired(ctcu, &file) {
        return reply(410, FILE_EXPIRED, "temporary file expired", json!({}));
    }
    respond(200, &file.content_type, file.bytes.to_vec())
}

/// `DELETE …/medias/delete`.
pub(crate) fn delete(ctcu: &Ctcu, bot: &Chatbot, call: &Call) -> rcs_proto::http::Response {
    let Some(url) = url_header(call) else {
        return refusal(code::BAD_PARAMETER, "missing url header");
    };
    let Some(file) = ctcu.media.remove(&bot.uri, url) else {
        return reply(
            404,
            code::BAD_PARAMETER,
            &format!("no file at `{url}`"),
            json!({}),
        );
    };
    let body = json!({
        "deleteMode": if file.temp { "temp" } else { "perm" },
        "fileCount": 1,
        "totalCount": ctcu.media.count(&bot.uri),
    });
    reply(200, code::OK, "success", body)
}

/// `GET …/files/<id>`: what a file URL serves.
pub(crate) fn file(ctcu: &Ctcu, bot: &Chatbot, call: &Call) -> rcs_proto::http::Response {
    let id = call.api.strip_prefix(FILES).unwrap_or_default();
    match ctcu.media.find(&bot.uri, |f| f.id == id) {
        Some(file) if expired(ctcu, &file) => respond(410, "text/plain", b"gone\n".to_vec()),
        Some(file) => respond(200, &file.content_type, file.bytes.to_vec()),
        None => respond(404, "text/plain", b"not found\n".to_vec()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn stored(chatbot: &str, url: &str, size: usize, temp: bool) -> Stored {
        Stored {
            id: url.to_owned(),
            chatbot: chatbot.to_owned(),
            url: url.to_owned(),
            file_name: "a.jpg".to_owned(),
            content_type: "image/jpeg".to_owned(),
            bytes: Bytes::from(vec![7u8; size]),
            temp,
            expires_at: None,
            until: temp.then(|| "2030-01-01T00:00:00.000+08:00".to_owned()),
        }
    }

    #[test]
    fn files_are_counted_per_chatbot_and_removed_by_url() {
        let media = Media::default();
        media.put(stored("a", "u1", 1, true));
        media.put(stored("a", "u2", 1, false));
        media.put(stored("b", "u3", 1, false));
        assert_eq!(media.count("a"), 2);
        assert!(media.remove("b", "u1").is_none());
        assert!(media.remove("a", "u1").unwrap().temp);
        assert_eq!(media.count("a"), 1);
    }

    #[test]
    fn the_store_forgets_the_oldest_beyond_its_caps() {
        let media = Media::default();
        for i in 0..MAX_FILES + 3 {
            media.put(stored("a", &format!("u{i}"), 1, false));
        }
        assert_eq!(media.count("a"), MAX_FILES);
        assert!(media.find("a", |f| f.url == "u0").is_none());
        media.put(stored("a", "big", MAX_BYTES, false));
        assert_eq!(media.count("a"), 1);
    }

    #[test]
    fn only_temporary_files_carry_until() {
        let temp = file_info(&stored("a", "u", 3, true), false);
        assert!(temp["until"].is_string());
        assert_eq!(temp["fileSize"], 3);
        let perm = file_info(&stored("a", "u", 3, false), false);
        assert!(perm.get("until").is_none());
        let faulty = file_info(&stored("a", "u", 3, true), true);
        assert!(faulty.get("until").is_none());
        assert_eq!(
            temp["fileHashValue"],
            hex::encode(Sha256::digest([7u8, 7, 7]))
        );
    }
}
