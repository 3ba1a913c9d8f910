//! The content server the message center hosts (the "MC(CS)" of protocols.md §13,
//! PLT-FT-001..006): started on the message center's IP, HTTPS when the message center speaks
//! TLS, with the `ft-auth`, `max-size` and `ft-validity` settings and the `ft-*` faults, and
//! its upload URL published to the simulated terminals of the same process under each of the
//! message center's SIP addresses (see [`crate::content_server::directory`]).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use rcs_harness::agent::{AgentError, Endpoints, WireTap};
use rcs_harness::clock::Clock;
use rcs_harness::role::Subscriber;

use super::config::{Config, Fault};
use crate::content_server::{ContentServer, CsConfig, CsFaults, directory};
use crate::net::TlsConfig;

/// A started content server and where its URL is published.
#[derive(Debug)]
pub(super) struct Hosted {
    server: ContentServer,
    published: std::sync::Mutex<Vec<SocketAddr>>,
}

impl Hosted {
    pub(super) async fn start(
        ip: IpAddr,
        tls: Option<TlsConfig>,
        tap: WireTap,
        clock: Clock,
        config: &Config,
        subscribers: &[Subscriber],
    ) -> Result<Self, AgentError> {
        let server =
            ContentServer::start(ip, tls, tap, clock, cs_config(config), subscribers.to_vec())
                .await
                .map_err(|e| AgentError::Harness(format!("start the content server: {e}")))?;
        Ok(Self {
            server,
            published: std::sync::Mutex::default(),
        })
    }

    /// Publishes the upload URL under the message center's SIP addresses.
    pub(super) fn publish(&self, endpoints: Endpoints) {
        let addrs: Vec<_> = [endpoints.sip_udp, endpoints.sip_tcp, endpoints.sip_tls]
            .into_iter()
            .flatten()
            .collect();
        directory::publish(&addrs, self.server.url());
        *self.published.lock().unwrap_or_else(|p| p.into_inner()) = addrs;
    }

    /// The upload URL.
    pub(super) fn url(&self) -> &str {
        self.server.url()
    }

    /// Withdraws the URL and stops serving.
    pub(super) async fn stop(&self) {
        let addrs = std::mem::take(&mut *self.published.lock().unwrap_or_else(|p| p.into_inner()));
        directory::withdraw(&addrs);
        self.server.shutdown().await;
    }
}

/// The content server's configuration from the message center's settings and faults.
fn cs_config(config: &Config) -> CsConfig {
    let (settings, faults) = (&config.settings, &config.faults);
    CsConfig {
        auth: settings.ft_auth,
        realm: settings.realm.clone(),
        max_size: settings.max_size,
        validity: Duration::from_secs(settings.ft_validity),
        faults: CsFaults {
            no_auth_challenge: faults.has(Fault::FtNoAuthChallenge),
            wrong_file_size: faults.has(Fault::FtWrongFileSize),
            range_ignored: faults.has(Fault::FtRangeIgnored),
            expired_still_served: faults.has(Fault::FtExpiredStillServed),
            oversize_accepted: faults.has(Fault::FtOversizeAccepted),
            resume_info_wrong: faults.has(Fault::FtResumeInfoWrong),
            download_home_only: faults.has(Fault::FtDownloadHomeOnly),
        },
    }
}
