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

/// Whether `request` names one of the server's own subscribers in `X-3GPP-Intended-Identity`.
fn from_own_subscriber(cs: &Cs, request: &Request) -> bool {
    let Some(identity) = request.header("X-3GPP-Intended-Identity") else {
        return false;
    };
    let number = identity.trim().trim_start_matches("tel:");
    cs.subscribers.iter().any(|s| s.msisdn == number)
}

/// `GET` of a download link.
pub(super) fn get(cs: &Cs, request: &Request) -> Response {
    let rest = request.path().trim_start_matches(FILES_PATH);
    let (id, thumbnail) = match rest.strip_suffix(THUMB_SUFFIX) {
        Some(id) => (id, true),
        None => (rest, false),
    };
    if cs.config.faults.download_home_only && !from_own_subscriber(cs, request) {
        return status(403, "Forbidden");
    }
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod home_only_tests {
    use std::sync::{Mutex, OnceLock};
    use std::time::{Duration, SystemTime};

    use bytes::Bytes;
    use rcs_harness::clock::Clock;
    use rcs_harness::role::{Carrier, Subscriber};
    use rcs_proto::http::RequestBuilder;

    use super::*;
    use crate::content_server::store::{Blob, Upload};
    use crate::content_server::{CsConfig, CsFaults};

    fn own() -> Subscriber {
        Subscriber::builtin_of(1, true, Carrier::Cmcc, Carrier::Cmcc)
    }

    fn other() -> Subscriber {
        Subscriber::builtin_of(2, true, Carrier::Cucc, Carrier::Cucc)
    }

    /// China Mobile's content server holding one file, with or without the fault.
    fn cs(download_home_only: bool) -> Cs {
        let clock = Clock::virtual_time();
        let cs = Cs {
            config: CsConfig {
                auth: false,
                faults: CsFaults {
                    download_home_only,
                    ..CsFaults::default()
                },
                ..CsConfig::default()
            },
            started: (SystemTime::now(), clock.elapsed()),
            clock,
            base: OnceLock::new(),
            subscribers: vec![own()],
            store: Mutex::default(),
            nonces: Mutex::default(),
        };
        let file = Blob {
            name: "photo.jpg".to_owned(),
            content_type: "image/jpeg".to_owned(),
            bytes: Bytes::from_static(b"jpeg bytes"),
        };
        let upload = Upload {
            tid: "t1".to_owned(),
            id: "f1".to_owned(),
            file,
            thumbnail: None,
            total: Some(10),
            complete: true,
            expires_at: Duration::from_secs(3600),
            until: String::new(),
        };
        assert!(cs.store().put(upload));
        cs
    }

    fn download(cs: &Cs, identity: &Subscriber) -> u16 {
        let request = RequestBuilder::new("GET", "/files/f1")
            .header("X-3GPP-Intended-Identity", &identity.tel_uri())
            .build()
            .unwrap();
        get(cs, &request).status()
    }

    #[test]
    fn another_carriers_user_downloads_the_link() {
        let cs = cs(false);
        assert_eq!(download(&cs, &own()), 200);
        assert_eq!(download(&cs, &other()), 200);
    }

    #[test]
    fn under_the_fault_only_its_own_users_do() {
        let cs = cs(true);
        assert_eq!(download(&cs, &own()), 200);
        assert_eq!(download(&cs, &other()), 403);
    }
}
