//! Typed parameters of the terminal's file-transfer actions (protocols.md §5), as case files
//! write them, and the HTTP side a terminal keeps for them: its client, tap and TLS setup.

use rcs_harness::agent::WireTap;
use serde::Deserialize;

use crate::http::HttpClient;
use crate::net::TlsConfig;

/// `send-file`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct SendFileParams {
    /// A role name or a URI.
    pub to: String,
    /// A file of this many filler bytes (else `text`).
    pub size: Option<usize>,
    /// The file's content as text.
    pub text: Option<String>,
    /// The file name (default `file.bin`, `voice.amr` for voice).
    pub name: Option<String>,
    /// The file's content type (default `application/octet-stream`).
    pub content_type: Option<String>,
    /// Upload a thumbnail too.
    #[serde(default)]
    pub thumbnail: bool,
    /// Cut the upload connection after this percentage of the file, then resume.
    pub cut_at: Option<u8>,
    /// An audio message of this many seconds (RCC.07 audio messaging).
    pub voice: Option<u32>,
    /// The content server URL, overriding the `ft-http-cs-uri` setting.
    pub cs: Option<String>,
    pub timeout: Option<String>,
}

/// `download-file`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct DownloadFileParams {
    /// The link; by default the file of the last descriptor received.
    pub url: Option<String>,
    /// A `Range` value, such as `bytes=0-99`.
    pub range: Option<String>,
    pub timeout: Option<String>,
}

/// Checks what serde cannot: one content, a percentage, sizes within bounds.
pub(crate) fn check_send_file(p: &SendFileParams) -> Result<(), String> {
    match (p.size, &p.text) {
        (Some(_), Some(_)) => return Err("give `text` or `size`, not both".to_owned()),
        (Some(size), None) if size > super::params::MAX_FILLER => {
            return Err(format!(
                "size {size} is above the {}-byte limit",
                super::params::MAX_FILLER
            ));
        }
        _ => {}
    }
    if let Some(cut) = p.cut_at.filter(|c| !(1..=99).contains(c)) {
        return Err(format!("cut-at {cut} is not a percentage from 1 to 99"));
    }
    Ok(())
}

/// What a terminal needs for HTTP: a kept-alive client, and for a cut upload the tap and TLS.
#[derive(Clone)]
pub(crate) struct FtHttp {
    pub client: HttpClient,
    pub tap: WireTap,
    pub tls: Option<TlsConfig>,
}

impl std::fmt::Debug for FtHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FtHttp").finish_non_exhaustive()
    }
}

impl FtHttp {
    pub(crate) fn new(tap: WireTap, tls: Option<TlsConfig>) -> Self {
        Self {
            client: HttpClient::new(tap.clone(), tls.clone()),
            tap,
            tls,
        }
    }
}

/// An `http:` or `https:` URL with an IP address: where to connect and what to ask.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HttpUrl {
    pub tls: bool,
    pub addr: std::net::SocketAddr,
    /// `ip:port`, for Host.
    pub host: String,
    /// The origin-form request-target, `/path?query`.
    pub target: String,
}

impl HttpUrl {
    pub(crate) fn parse(url: &str) -> Result<Self, String> {
        let (tls, rest) = match url.split_once("://") {
            Some(("https", rest)) => (true, rest),
            Some(("http", rest)) => (false, rest),
            _ => return Err(format!("`{url}` is not an http or https URL")),
        };
        let (host, path) = match rest.find('/') {
            Some(at) => rest.split_at(at),
            None => (rest, "/"),
        };
        let default_port = if tls { 443 } else { 80 };
        let addr = host
            .parse()
            .or_else(|_| format!("{host}:{default_port}").parse())
            .map_err(|_| format!("`{url}` needs an IP address (and port) as its host"))?;
        Ok(Self {
            tls,
            addr,
            host: host.to_owned(),
            target: path.to_owned(),
        })
    }

    /// The same server, another target.
    pub(crate) fn with_target(&self, target: String) -> Self {
        Self {
            target,
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_need_an_ip_host() {
        let url =
            HttpUrl::parse("https://127.0.0.1:8443/upload?x=1").unwrap_or_else(|e| panic!("{e}"));
        assert!(url.tls);
        assert_eq!(url.addr.port(), 8443);
        assert_eq!(url.target, "/upload?x=1");
        assert_eq!(
            HttpUrl::parse("http://10.0.0.1").map(|u| u.addr.port()),
            Ok(80)
        );
        assert!(HttpUrl::parse("http://cs.example.cn/upload").is_err());
        assert!(HttpUrl::parse("ftp://127.0.0.1/x").is_err());
    }
}
