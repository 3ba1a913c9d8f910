//! The content server's requests, by method and path (protocols.md §5.1-5.3): the upload and
//! its resumption here, downloads in `download`.

use bytes::Bytes;
use rcs_proto::ft_http::{
    DataUrl, Disposition, FT_HTTP_CONTENT_TYPE, FileInfo, FileTransferInfo, ResumeInfo,
};
use rcs_proto::http::{ContentRange, Request, Response, ResponseBuilder, form};

use super::partial::{blob, read_cut};
use super::store::{Blob, Upload};
use super::{Cs, UPLOAD_PATH, download};

/// Where the rest of a cut upload is PUT: `/resume/<id>`.
const RESUME_PATH: &str = "/resume/";

/// Answers one request.
pub(super) fn handle(cs: &Cs, request: &Request) -> Response {
    let path = request.path();
    match (request.method(), path) {
        ("POST", UPLOAD_PATH) => post(cs, request),
        ("GET", UPLOAD_PATH) => info(cs, request),
        ("PUT", p) if p.starts_with(RESUME_PATH) => put(cs, request),
        ("GET", p) if p.starts_with(download::FILES_PATH) => download::get(cs, request),
        (_, UPLOAD_PATH) => status(405, "Method Not Allowed"),
        _ => status(404, "Not Found"),
    }
}

/// Keeps what arrived of an upload cut short, if it was authorised and had begun its file.
pub(super) fn keep_cut(cs: &Cs, bytes: &[u8]) {
    let Some(cut) = read_cut(bytes) else {
        return;
    };
    if cut.target.split('?').next() != Some(UPLOAD_PATH) {
        return;
    }
    if must_authenticate(cs) {
        let Ok(request) = rcs_proto::http::RequestBuilder::new("POST", &cut.target)
            .header("Authorization", cut.authorization.as_deref().unwrap_or(""))
            .build()
        else {
            return;
        };
        if cs.nonces().verify(&request, &cs.subscribers).is_err() {
            return;
        }
    }
    let (until, expires_at) = cs.until();
    let upload = Upload {
        tid: cut.tid,
        id: new_id(),
        file: cut.file,
        thumbnail: cut.thumbnail,
        total: cut.total,
        complete: false,
        expires_at,
        until,
    };
    cs.store().put(upload);
}

fn must_authenticate(cs: &Cs) -> bool {
    cs.config.auth && !cs.config.faults.no_auth_challenge
}

/// `401` with a fresh challenge when credentials are needed and these do not do.
fn authenticate(cs: &Cs, request: &Request) -> Option<Response> {
    if !must_authenticate(cs) {
        return None;
    }
    let refused = request
        .header("Authorization")
        .map(|_| cs.nonces().verify(request, &cs.subscribers));
    match refused {
        Some(Ok(())) => None,
        Some(Err(why)) => {
            tracing::debug!(%why, "content server refused the credentials");
            Some(challenge(cs))
        }
        None => Some(challenge(cs)),
    }
}

fn challenge(cs: &Cs) -> Response {
    let value = cs.nonces().challenge(&cs.config.realm);
    build(ResponseBuilder::new(401, "Unauthorized").header("WWW-Authenticate", &value))
}

/// `POST /upload`: the empty POST, or the multipart upload.
fn post(cs: &Cs, request: &Request) -> Response {
    if request.body().is_empty() {
        return match must_authenticate(cs) {
            true => authenticate(cs, request).unwrap_or_else(|| status(204, "No Content")),
            false => status(204, "No Content"),
        };
    }
    if let Some(refused) = authenticate(cs, request) {
        return refused;
    }
    let content_type = request.content_type().unwrap_or_default();
    let parts = match form::parse(content_type, request.body()) {
        Ok(parts) => parts,
        Err(err) => return bad_request(&format!("failed to read the form: {err}")),
    };
    let tid = form::find(&parts, "tid").map(|p| String::from_utf8_lossy(&p.body).trim().to_owned());
    let (Some(tid), Some(file)) = (tid, form::find(&parts, "File")) else {
        return bad_request("the form needs parts named `tid` and `File`");
    };
    let file = blob(file);
    if file.bytes.len() as u64 > cs.config.max_size && !cs.config.faults.oversize_accepted {
        return status(413, "Content Too Large");
    }
    let (until, expires_at) = cs.until();
    let upload = Upload {
        tid,
        id: new_id(),
        total: Some(file.bytes.len() as u64),
        file,
        thumbnail: form::find(&parts, "Thumbnail").map(blob),
        complete: true,
        expires_at,
        until,
    };
    let info = file_info(cs, &upload);
    if !cs.store().put(upload) {
        return status(413, "Content Too Large");
    }
    xml(200, "OK", FT_HTTP_CONTENT_TYPE, info.to_xml())
}

/// `GET /upload?tid=..&get_upload_info` or `&get_download_info`.
fn info(cs: &Cs, request: &Request) -> Response {
    if let Some(refused) = authenticate(cs, request) {
        return refused;
    }
    let Some(tid) = request.query_param("tid") else {
        return bad_request("the query has no tid");
    };
    let store = cs.store();
    let upload = store.by_tid(&tid);
    if request.query_param("get_upload_info").is_some() {
        return match upload.filter(|u| !u.complete && !u.file.bytes.is_empty()) {
            Some(upload) => xml(
                200,
                "OK",
                "application/xml",
                resume_info(cs, upload).to_xml(),
            ),
            None => status(404, "Not Found"),
        };
    }
    if request.query_param("get_download_info").is_some() {
        return match upload.filter(|u| u.complete) {
            Some(upload) => xml(
                200,
                "OK",
                FT_HTTP_CONTENT_TYPE,
                file_info(cs, upload).to_xml(),
            ),
            None => status(404, "Not Found"),
        };
    }
    bad_request("the query asks for neither get_upload_info nor get_download_info")
}

fn resume_info(cs: &Cs, upload: &Upload) -> ResumeInfo {
    let held = upload.file.bytes.len() as u64;
    let end = match cs.config.faults.resume_info_wrong {
        true => held,
        false => held.saturating_sub(1),
    };
    ResumeInfo {
        start: 0,
        end,
        url: format!("{}{RESUME_PATH}{}", cs.base(), upload.id),
    }
}

/// `PUT /resume/<id>` with `Content-Range: bytes a-b/total`: the rest of a cut upload.
fn put(cs: &Cs, request: &Request) -> Response {
    if let Some(refused) = authenticate(cs, request) {
        return refused;
    }
    let id = request.path().trim_start_matches(RESUME_PATH);
    let range = request.header("Content-Range").map(ContentRange::parse);
    let Some(Ok(ContentRange::Satisfied {
        first,
        last,
        complete: Some(total),
    })) = range
    else {
        return bad_request("the PUT needs `Content-Range: bytes first-last/total`");
    };
    if total > cs.config.max_size && !cs.config.faults.oversize_accepted {
        return status(413, "Content Too Large");
    }
    let mut store = cs.store();
    let Some(mut upload) = store.by_id(id).filter(|u| !u.complete).cloned() else {
        return status(404, "Not Found");
    };
    let held = upload.file.bytes.len() as u64;
    if first != held || last - first + 1 != request.body().len() as u64 {
        return build(ResponseBuilder::new(416, "Range Not Satisfiable").header(
            "Content-Range",
            &format!("bytes 0-{}/{total}", held.saturating_sub(1)),
        ));
    }
    let mut bytes = upload.file.bytes.to_vec();
    bytes.extend_from_slice(request.body());
    upload.file = Blob {
        bytes: Bytes::from(bytes),
        ..upload.file
    };
    upload.total = Some(total);
    upload.complete = last + 1 == total;
    if upload.complete {
        (upload.until, upload.expires_at) = cs.until();
    }
    store.put(upload);
    status(200, "OK")
}

/// The file-info document of an upload (protocols.md §5.2).
pub(super) fn file_info(cs: &Cs, upload: &Upload) -> FileTransferInfo {
    let size = |blob: &Blob| {
        let len = blob.bytes.len() as u64;
        match cs.config.faults.wrong_file_size {
            true => len + 1,
            false => len,
        }
    };
    let data = |suffix: &str| DataUrl {
        url: format!("{}{}{}{suffix}", cs.base(), download::FILES_PATH, upload.id),
        until: upload.until.clone(),
    };
    let thumbnail = upload.thumbnail.as_ref().map(|t| FileInfo {
        size: Some(size(t)),
        content_type: t.content_type.clone(),
        data: data(download::THUMB_SUFFIX),
        ..FileInfo::new(0, "", "", "")
    });
    let file = FileInfo {
        size: Some(size(&upload.file)),
        name: Some(upload.file.name.clone()),
        content_type: upload.file.content_type.clone(),
        data: data(""),
        disposition: Some(Disposition::Render),
        ..FileInfo::new(0, "", "", "")
    };
    FileTransferInfo { thumbnail, file }
}

fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn build(builder: ResponseBuilder) -> Response {
    crate::http::built(builder)
}

/// A bodiless response (`Content-Length: 0`, none for 204).
pub(super) fn status(code: u16, reason: &str) -> Response {
    build(ResponseBuilder::new(code, reason))
}

fn bad_request(why: &str) -> Response {
    build(
        ResponseBuilder::new(400, "Bad Request")
            .header("Content-Type", "text/plain; charset=utf-8")
            .body(format!("{why}\n")),
    )
}

fn xml(code: u16, reason: &str, content_type: &str, body: String) -> Response {
    build(
        ResponseBuilder::new(code, reason)
            .header("Content-Type", content_type)
            .body(body),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::{Mutex, OnceLock};
    use std::time::SystemTime;

    use rcs_harness::clock::Clock;
    use rcs_harness::role::Subscriber;
    use rcs_proto::http::RequestBuilder;

    use super::*;
    use crate::content_server::CsConfig;

    fn cs(auth: bool) -> Cs {
        let clock = Clock::virtual_time();
        let base = OnceLock::new();
        let _ = base.set("http://127.0.0.1:9".to_owned());
        Cs {
            config: CsConfig {
                auth,
                ..CsConfig::default()
            },
            started: (SystemTime::now(), clock.elapsed()),
            clock,
            base,
            subscribers: vec![Subscriber::builtin(1, true)],
            store: Mutex::default(),
            nonces: Mutex::default(),
        }
    }

    fn request(method: &str, target: &str) -> Request {
        RequestBuilder::new(method, target).build().unwrap()
    }

    fn cut_upload(cs: &Cs, tid: &str, bytes: &[u8]) {
        let parts = [
            form::field("tid", Some("text/plain"), tid),
            form::file("File", "f.bin", "application/octet-stream", bytes.to_vec()),
        ];
        let (ct, body) = form::build(&parts, "b1");
        let mut raw =
            format!("POST /upload HTTP/1.1\r\nContent-Type: {ct}\r\nContent-Length: 99999\r\n\r\n")
                .into_bytes();
        raw.extend_from_slice(&body[..body.len() - "\r\n--b1--\r\n".len()]);
        keep_cut(cs, &raw);
    }

    #[test]
    fn unknown_paths_and_methods() {
        let cs = cs(false);
        assert_eq!(handle(&cs, &request("GET", "/nothing")).status(), 404);
        assert_eq!(handle(&cs, &request("DELETE", "/upload")).status(), 405);
        assert_eq!(handle(&cs, &request("GET", "/files/none")).status(), 404);
        let no_tid = handle(&cs, &request("GET", "/upload?get_upload_info"));
        assert_eq!(no_tid.status(), 400);
        let unknown = handle(&cs, &request("GET", "/upload?tid=x&get_upload_info"));
        assert_eq!(unknown.status(), 404);
    }

    #[test]
    fn a_cut_without_credentials_is_not_kept_when_auth_is_on() {
        let cs = cs(true);
        cut_upload(&cs, "t1", b"0123456789");
        assert!(cs.store().by_tid("t1").is_none());
        let open = self::cs(false);
        cut_upload(&open, "t1", b"0123456789");
        let kept = open.store().by_tid("t1").cloned().unwrap();
        assert_eq!((kept.complete, kept.file.bytes.len()), (false, 10));
    }

    #[test]
    fn a_put_must_start_where_the_held_bytes_end() {
        let cs = cs(false);
        cut_upload(&cs, "t2", b"01234");
        let info = handle(&cs, &request("GET", "/upload?tid=t2&get_upload_info"));
        let resume = ResumeInfo::parse(info.body()).unwrap();
        assert_eq!((resume.start, resume.end), (0, 4));
        let target = resume
            .url
            .trim_start_matches("http://127.0.0.1:9")
            .to_owned();
        let put = |range: &str, body: &[u8]| {
            RequestBuilder::new("PUT", &target)
                .header("Content-Range", range)
                .body(body.to_vec())
                .build()
                .unwrap()
        };
        let early = handle(&cs, &put("bytes 4-9/10", b"456789"));
        assert_eq!(early.status(), 416);
        assert_eq!(early.header("Content-Range"), Some("bytes 0-4/10"));
        assert_eq!(handle(&cs, &put("bytes 5-9/10", b"56789")).status(), 200);
        let done = handle(&cs, &request("GET", "/upload?tid=t2&get_download_info"));
        let info = FileTransferInfo::parse(done.body()).unwrap();
        assert_eq!(info.file.size, Some(10));
        let path = info
            .file
            .data
            .url
            .trim_start_matches("http://127.0.0.1:9")
            .to_owned();
        assert_eq!(handle(&cs, &request("GET", &path)).body(), b"0123456789");
    }
}
