//! The FT-HTTP content server of the 5G Message Center (RCC.07 file transfer over HTTP;
//! protocols.md §5.1-5.3; PLT-FT-001..006).
//!
//! It serves, over HTTP or HTTPS on one OS-chosen port:
//! - `POST /upload` with no body: `401` with a Digest challenge when authentication is on, else
//!   `204`; with a multipart/form-data body of parts `tid`, `Thumbnail` (optional) and `File`
//!   (RFC 7578, names exact): `200` with the file-info document, `413` for a file above the
//!   size limit (nothing kept), `400` for a form without those parts;
//! - `GET /upload?tid=..&get_upload_info`: the `file-resume-info` of an upload cut short;
//!   `PUT <data url>` with `Content-Range` completes it; `GET /upload?tid=..&get_download_info`:
//!   the file-info of a completed upload;
//! - `GET /files/<id>` (and `/files/<id>/thumb`): the bytes, `206` with `Content-Range` for a
//!   `Range` (RFC 7233), `410 Gone` without a body once the link's `until` has passed on the
//!   case clock.
//!
//! Files are kept in memory, bounded ([`store`]). Every request and response is on the wire
//! tap. Each field of [`CsFaults`] breaks one of these rules. Not served: GBA authentication,
//! `503` with `Retry-After`, thumbnails made by the server, several ranges at once.

mod auth;
pub mod directory;
mod download;
mod partial;
mod routes;
mod store;

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, SystemTime};

use rcs_harness::agent::WireTap;
use rcs_harness::clock::Clock;
use rcs_harness::role::Subscriber;
use rcs_proto::http::Request;

use crate::http::{CutHandler, Handler, HttpNetError, HttpServer, ServerLimits};
use crate::net::TlsConfig;

pub use store::{MAX_BYTES, MAX_ENTRIES};

/// The path uploads are posted to.
pub const UPLOAD_PATH: &str = "/upload";

/// Default largest file accepted (`max-size`): 10 MiB.
pub const DEFAULT_MAX_SIZE: u64 = 10 * 1024 * 1024;

/// Default link validity (`ft-validity`): 7 days (protocols.md §12).
pub const DEFAULT_VALIDITY: Duration = Duration::from_secs(7 * 24 * 3600);

/// What a content server is told at start.
#[derive(Clone, Debug)]
pub struct CsConfig {
    /// Challenge uploads with Digest (else `204` to the empty POST, no credentials asked).
    pub auth: bool,
    /// The digest realm.
    pub realm: String,
    /// Largest file accepted, in bytes.
    pub max_size: u64,
    /// How long links stay valid after the upload.
    pub validity: Duration,
    pub faults: CsFaults,
}

impl Default for CsConfig {
    fn default() -> Self {
        Self {
            auth: true,
            realm: rcs_harness::role::HOME_DOMAIN.to_owned(),
            max_size: DEFAULT_MAX_SIZE,
            validity: DEFAULT_VALIDITY,
            faults: CsFaults::default(),
        }
    }
}

/// Content-server faults, each breaking one rule.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CsFaults {
    /// The empty POST gets `204` and uploads are taken without credentials (§5.1 step 1).
    pub no_auth_challenge: bool,
    /// file-info `file-size` is one more than the bytes uploaded (§5.3 MUST).
    pub wrong_file_size: bool,
    /// A `Range` request gets `200` and the whole file (RFC 7233 §4.1).
    pub range_ignored: bool,
    /// A link past its `until` is still served (§5.3 expiry).
    pub expired_still_served: bool,
    /// A file above `max-size` is stored and answered `200` (§5.1, PLT-FT-006).
    pub oversize_accepted: bool,
    /// file-resume-info claims one byte more than arrived (§5.1 resume).
    pub resume_info_wrong: bool,
    /// A download whose `X-3GPP-Intended-Identity` is not one of its own subscribers gets
    /// `403`: another carrier's user cannot fetch the link (§9.1 FT-HTTP across operators).
    pub download_home_only: bool,
}

/// A running content server.
#[derive(Debug)]
pub struct ContentServer {
    server: HttpServer,
    url: String,
}

/// What the request handler shares.
pub(crate) struct Cs {
    config: CsConfig,
    clock: Clock,
    base: OnceLock<String>,
    /// Wall time and case time when the server started: `until` is written from them.
    started: (SystemTime, Duration),
    subscribers: Vec<Subscriber>,
    store: Mutex<store::Store>,
    nonces: Mutex<auth::Nonces>,
}

impl ContentServer {
    /// Listens on `ip`, port chosen by the system, HTTPS when `tls` is given.
    pub async fn start(
        ip: IpAddr,
        tls: Option<TlsConfig>,
        tap: WireTap,
        clock: Clock,
        config: CsConfig,
        subscribers: Vec<Subscriber>,
    ) -> Result<Self, HttpNetError> {
        let scheme = match tls {
            Some(_) => "https",
            None => "http",
        };
        let limits = ServerLimits {
            // Room for an oversize upload to reach the handler (it answers 413 itself).
            max_body: usize::try_from(config.max_size.saturating_mul(2))
                .unwrap_or(usize::MAX)
                .clamp(rcs_proto::http::DEFAULT_MAX_BODY, MAX_BYTES),
            ..ServerLimits::default()
        };
        let cs = Arc::new(Cs {
            config,
            clock: clock.clone(),
            base: OnceLock::new(),
            started: (SystemTime::now(), clock.elapsed()),
            subscribers,
            store: Mutex::default(),
            nonces: Mutex::default(),
        });
        let handler: Handler = {
            let cs = cs.clone();
            Arc::new(move |request: &Request, _peer: SocketAddr| {
                let response = routes::handle(&cs, request);
                Box::pin(async move { response })
            })
        };
        let on_cut: CutHandler = {
            let cs = cs.clone();
            Arc::new(move |bytes: &[u8], _peer: SocketAddr| routes::keep_cut(&cs, bytes))
        };
        let addr = SocketAddr::new(ip, 0);
        let server =
            HttpServer::start_with_cut(addr, tls, tap, handler, limits, Some(on_cut)).await?;
        let base = format!("{scheme}://{}", server.local_addr());
        let _ = cs.base.set(base.clone());
        Ok(Self {
            server,
            url: format!("{base}{UPLOAD_PATH}"),
        })
    }

    /// The upload URL (the `ftHTTPCSURI`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// Stops serving.
    pub async fn shutdown(&self) {
        self.server.shutdown().await;
    }
}

impl Cs {
    /// `http(s)://ip:port`, set once the listener is bound (before any request).
    fn base(&self) -> &str {
        self.base.get().map_or("", String::as_str)
    }

    fn store(&self) -> MutexGuard<'_, store::Store> {
        lock(&self.store)
    }

    fn nonces(&self) -> MutexGuard<'_, auth::Nonces> {
        lock(&self.nonces)
    }

    /// Case-clock time now.
    fn now(&self) -> Duration {
        self.clock.elapsed()
    }

    /// `until` for a link made now, and the case time it stands for.
    fn until(&self) -> (String, Duration) {
        let expires_at = self.now() + self.config.validity;
        let wall = self.started.0 + expires_at.saturating_sub(self.started.1);
        (rfc3339(wall), expires_at)
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// `2025-03-08T10:00:00Z`.
fn rfc3339(at: SystemTime) -> String {
    let at = time::OffsetDateTime::from(at);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn until_is_utc_to_the_second() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_741_428_000);
        assert_eq!(rfc3339(at), "2025-03-08T10:00:00Z");
    }
}
