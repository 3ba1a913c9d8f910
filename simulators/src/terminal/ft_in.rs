//! An FT-HTTP descriptor arriving, and downloads (protocols.md §5.3): a MESSAGE whose CPIM
//! carries `application/vnd.gsma.rcs-ft-http+xml` is a file offered. With the
//! `ft-auto-accept` setting on, the terminal downloads the thumbnail, then the file, each with
//! `X-3GPP-Intended-Identity`, checks the size against `file-size`, and sends the delivery IMDN
//! (when asked for) once the file is in. A link answered `404` or `410` is expired: it is
//! reported and never asked again. The last descriptor is remembered for `download-file`.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;

use rcs_proto::cpim::CpimMessage;
use rcs_proto::ft_http::{FT_HTTP_CONTENT_TYPE, FileTransferInfo};
use rcs_proto::http::RequestBuilder;
use rcs_proto::sip::Message;
use sha2::{Digest, Sha256};

use super::core::Core;
use super::faults::Fault;
use super::ft_params::HttpUrl;
use super::params::{DEFAULT_TIMEOUT, ImdnStatus};
use super::state::Received;

/// The file-info of an incoming MESSAGE, if it carries one.
pub(crate) fn descriptor(request: &Message) -> Option<FileTransferInfo> {
    let cpim = CpimMessage::parse(request.body()).ok()?;
    let inner = cpim.content_type()?.split(';').next()?.trim();
    if !inner.eq_ignore_ascii_case(FT_HTTP_CONTENT_TYPE) {
        return None;
    }
    FileTransferInfo::parse(&cpim.decoded_body().ok()?).ok()
}

/// A file offered by a MESSAGE just answered 200: who offered it and its file-info.
pub(crate) fn offer(request: &Message, response: &Message) -> Option<(Received, FileTransferInfo)> {
    if response.status() != Some(200) {
        return None;
    }
    let info = descriptor(request)?;
    match super::message_in::read_message(request).ok()? {
        super::message_in::Accepted::Chat(received) => Some((received, info)),
        super::message_in::Accepted::Imdn(_) => None,
    }
}

/// What one download got.
#[derive(Clone, Debug, Default)]
pub(crate) struct Downloaded {
    /// The status code, `expired` for 404/410, or `transport-error`.
    pub status: String,
    pub size: usize,
    pub sha256: String,
}

/// How long `download-file` without a `url` waits for a descriptor being answered: the
/// runner sees the MESSAGE on the wire a moment before the terminal has read it.
const OFFER_GRACE: Duration = Duration::from_secs(2);

/// The last descriptor received and what its downloads got.
#[derive(Debug, Default)]
pub(crate) struct Offers {
    last: Mutex<Option<(FileTransferInfo, Option<Downloaded>)>>,
    arrived: Notify,
}

impl Offers {
    /// Remembers a descriptor as it is answered, before any download.
    pub(crate) fn remember(&self, info: FileTransferInfo, got: Option<Downloaded>) {
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some((info, got));
        self.arrived.notify_waiters();
    }

    fn url_now(&self) -> Option<String> {
        let last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        last.as_ref().map(|(info, _)| info.file.data.url.clone())
    }

    /// The file link of the last descriptor, waiting a moment for one being answered.
    pub(crate) async fn last_url(&self) -> Option<String> {
        let deadline = tokio::time::Instant::now() + OFFER_GRACE;
        loop {
            let arrived = self.arrived.notified();
            if let Some(url) = self.url_now() {
                return Some(url);
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return self.url_now();
            }
        }
    }
}

/// After the 200 to the descriptor: download when auto-accepting, then the delivery IMDN.
pub(crate) async fn on_descriptor(core: &Core, received: Received, info: FileTransferInfo) {
    if !core.settings.ft_auto_accept {
        return;
    }
    if let Some(thumb) = &info.thumbnail {
        let got = core.download(&thumb.data.url, None).await;
        tracing::debug!(role = %core.role, status = %got.status, "thumbnail downloaded");
    }
    let got = core.download(&info.file.data.url, None).await;
    let whole = got.status == "200" && info.file.size.is_none_or(|size| size == got.size as u64);
    tracing::debug!(role = %core.role, status = %got.status, whole, "file downloaded");
    core.ft_offers.remember(info, Some(got));
    let wants = received
        .disposition
        .iter()
        .any(|d| d == "positive-delivery");
    let Some(id) = received.message_id.clone().filter(|_| wants && whole) else {
        return;
    };
    if core.settings.auto_delivery_imdn {
        let sent = core
            .send_imdn(&received, &id, ImdnStatus::Delivered, DEFAULT_TIMEOUT)
            .await;
        if let Err(error) = sent {
            tracing::debug!(role = %core.role, %error, "delivery imdn not sent");
        }
    }
}

impl Core {
    /// One GET of `url` (with `range` as its Range), never retried.
    pub(crate) async fn download(&self, url: &str, range: Option<&str>) -> Downloaded {
        let failed = |status: &str| Downloaded {
            status: status.to_owned(),
            ..Downloaded::default()
        };
        let Ok(url) = HttpUrl::parse(url) else {
            return failed("bad-url");
        };
        let mut builder = RequestBuilder::new("GET", &url.target).header("Host", &url.host);
        if !self.faults.has(Fault::FtNoIntendedIdentity) {
            builder = builder.header("X-3GPP-Intended-Identity", &self.subscriber.tel_uri());
        }
        if let Some(range) = range {
            builder = builder.header("Range", range);
        }
        let Ok(request) = builder.build() else {
            return failed("bad-request");
        };
        match self.cs_send(&url, &request).await {
            Ok(response) => Downloaded {
                status: match response.status() {
                    404 | 410 => "expired".to_owned(),
                    other => other.to_string(),
                },
                size: response.body().len(),
                sha256: hex::encode(Sha256::digest(response.body())),
            },
            Err(_) => failed("transport-error"),
        }
    }
}

/// The first index of `needle` in `hay`.
pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}
