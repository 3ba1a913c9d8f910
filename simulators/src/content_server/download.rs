//! Downloads from the content server (protocols.md §5.3; RFC 9110 §14 ranges): `GET
//! /files/<id>` for the file and `/files/<id>/thumb` for its thumbnail, `200` with the bytes,
//! `206` with `Content-Range` for one satisfiable `Range`, `416` with `bytes */<length>` for
//! an unsatisfiable one, and `410 Gone` with no body once the link's `until` has passed on the
//! case clock. A `Range` that does not parse, or names several ranges, is ignored (RFC 9110
//! §14.2). Uploads still waiting for their remaining bytes are not served (`404`).

use rcs_proto::http::{ContentRange, Range, Request, Response, ResponseBuilder};

use super::Cs;
use super::routes::status;

/// The path prefix of download links.
pub(super) const FILES_PATH: &str = "/files/";

/// What a thumbnail link adds to its file's.
pub(super) const THUMB_SUFFIX: &str = "/thumb";

/// `GET` of a download link.
pub(super) fn get(cs: &Cs, request: &Request) -> Response {
    let rest = request.path().trim_start_matches(FILES_PATH);
    let (id, thumbnail) = match rest.strip_suffix(THUMB_SUFFIX) {
        Some(id) => (id, true),
        None => (rest, false),
    };
    let store = cs.store();
    let Some(upload) = store.by_id(id).filter(|u| u.complete) else {
        return status(404, "Not Found");
    };
    if cs.now() > upload.expires_at && !cs.config.faults.expired_still_served {
        return status(410, "Gone");
    }
    let blob = match (thumbnail, &upload.thumbnail) {
        (false, _) => &upload.file,
        (true, Some(thumb)) => thumb,
        (true, None) => return status(404, "Not Found"),
    };
    let bytes = blob.bytes.clone();
    let content_type = blob.content_type.clone();
    drop(store);
    let length = bytes.len() as u64;
    let range = request
        .header("Range")
        .and_then(|v| Range::parse(v).ok())
        .filter(|_| !cs.config.faults.range_ignored);
    let base = ResponseBuilder::new(200, "OK")
        .header("Content-Type", &content_type)
        .header("Accept-Ranges", "bytes");
    let Some(range) = range else {
        return with_body(base, bytes);
    };
    let Some((first, last)) = range.resolve(length) else {
        let unsatisfied = ContentRange::Unsatisfied { complete: length };
        return build(
            ResponseBuilder::new(416, "Range Not Satisfiable")
                .header("Content-Range", &unsatisfied.to_string()),
        );
    };
    let satisfied = ContentRange::Satisfied {
        first,
        last,
        complete: Some(length),
    };
    let part = bytes.slice(first as usize..=last as usize);
    let partial = ResponseBuilder::new(206, "Partial Content")
        .header("Content-Type", &content_type)
        .header("Content-Range", &satisfied.to_string());
    with_body(partial, part)
}

fn with_body(builder: ResponseBuilder, body: bytes::Bytes) -> Response {
    build(builder.body(body))
}

fn build(builder: ResponseBuilder) -> Response {
    builder
        .build()
        .unwrap_or_else(|_| status(500, "Internal Server Error"))
}
