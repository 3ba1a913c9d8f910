//! The terminal's upload to the content server (protocols.md §5.1; RFC 7578, RFC 7616,
//! RFC 7233): the empty POST, the Digest answer, the multipart POST with parts `tid`,
//! `Thumbnail` and `File`, and, when the upload is cut short, its resumption: `GET
//! ?tid=..&get_upload_info`, `PUT` of the rest with `Content-Range`, `GET
//! ?tid=..&get_download_info`. Every request carries `X-3GPP-Intended-Identity`.
//!
//! The result is the content server's file-info document as received, or the status that ended
//! the upload. Judging the exchange is the case's job; this module only does it.

use rcs_proto::ft_http::ResumeInfo;
use rcs_proto::http::{Request, RequestBuilder, Response, digest, form};
use rcs_proto::sip::auth::Challenge;

use super::core::Core;
use super::faults::Fault;
use super::ft_params::HttpUrl;
use super::ids;

/// One file to upload.
pub(crate) struct Upload<'a> {
    pub tid: &'a str,
    pub name: &'a str,
    pub content_type: &'a str,
    pub file: &'a [u8],
    pub thumbnail: Option<&'a [u8]>,
    /// Percentage of the file after which the connection is cut.
    pub cut_at: Option<u8>,
}

/// How an upload ended.
#[derive(Debug)]
pub(crate) struct Uploaded {
    /// `200`, another status, or `transport-error`.
    pub status: String,
    /// The file-info document, when one came.
    pub xml: Option<Vec<u8>>,
    /// File bytes sent before the cut, when the upload was cut.
    pub cut_bytes: Option<usize>,
}

/// Answers a Digest challenge on every request after it.
struct Auth {
    challenge: Challenge,
    user: String,
    password: String,
    nc: u32,
}

impl Core {
    /// Uploads to the content server at `cs`.
    pub(crate) async fn ft_upload(
        &self,
        cs: &HttpUrl,
        up: &Upload<'_>,
    ) -> Result<Uploaded, String> {
        let mut auth = None;
        let first = self.cs_request("POST", cs, &mut auth, |b| b)?;
        let response = self.cs_send(cs, &first).await?;
        match response.status() {
            204 => {}
            401 => {
                let challenge =
                    digest::challenge(&response).ok_or("the 401 carries no Digest challenge")?;
                auth = Some(Auth {
                    challenge,
                    user: self
                        .settings
                        .ft_user
                        .clone()
                        .unwrap_or_else(|| self.subscriber.impi.clone()),
                    password: self
                        .settings
                        .ft_password
                        .clone()
                        .unwrap_or_else(|| self.subscriber.password.clone()),
                    nc: 0,
                });
            }
            other => return Ok(ended(other)),
        }
        let (content_type, body, file_at) = self.form(up);
        let post = self.cs_request("POST", cs, &mut auth, |b| {
            b.header("Content-Type", &content_type).body(body.clone())
        })?;
        let Some(cut_at) = up.cut_at else {
            return self.file_info(cs, &post).await;
        };
        let cut_bytes = up.file.len() * usize::from(cut_at) / 100;
        let head_len = post.as_bytes().len() - body.len();
        let prefix = post
            .as_bytes()
            .get(..head_len + file_at + cut_bytes)
            .unwrap_or_default();
        let tls = self.ft.tls.as_ref().filter(|_| cs.tls);
        crate::http::send_cut(&self.ft.tap, tls, cs.addr, prefix)
            .await
            .map_err(|e| format!("failed to {e}"))?;
        let mut done = match self.faults.has(Fault::FtRestartsUpload) {
            true => {
                let again = self.cs_request("POST", cs, &mut auth, |b| {
                    b.header("Content-Type", &content_type).body(body.clone())
                })?;
                self.file_info(cs, &again).await?
            }
            false => self.resume(cs, &mut auth, up).await?,
        };
        done.cut_bytes = Some(cut_bytes);
        Ok(done)
    }

    /// GET get_upload_info, PUT the rest, GET get_download_info.
    async fn resume(
        &self,
        cs: &HttpUrl,
        auth: &mut Option<Auth>,
        up: &Upload<'_>,
    ) -> Result<Uploaded, String> {
        let base = cs.target.split('?').next().unwrap_or_default();
        let tid = up.tid;
        let info_url = cs.with_target(format!("{base}?tid={tid}&get_upload_info"));
        let ask = self.cs_request("GET", &info_url, auth, |b| b)?;
        let response = self.cs_send(cs, &ask).await?;
        if response.status() != 200 {
            return Ok(ended(response.status()));
        }
        let info = ResumeInfo::parse(response.body())
            .map_err(|e| format!("failed to read file-resume-info: {e}"))?;
        let from = usize::try_from(info.resume_offset())
            .unwrap_or(usize::MAX)
            .min(up.file.len());
        let put_url = HttpUrl::parse(&info.url)?;
        let total = up.file.len();
        let rest = up.file.get(from..).unwrap_or_default().to_vec();
        let range = format!("bytes {from}-{}/{total}", total.saturating_sub(1));
        let put = self.cs_request("PUT", &put_url, auth, |b| {
            b.header("Content-Type", up.content_type)
                .header("Content-Range", &range)
                .body(rest)
        })?;
        let response = self.cs_send(&put_url, &put).await?;
        if response.status() != 200 {
            return Ok(ended(response.status()));
        }
        let done_url = cs.with_target(format!("{base}?tid={tid}&get_download_info"));
        let ask = self.cs_request("GET", &done_url, auth, |b| b)?;
        self.file_info(cs, &ask).await
    }

    /// Sends a request whose answer should be file-info.
    async fn file_info(&self, cs: &HttpUrl, request: &Request) -> Result<Uploaded, String> {
        let response = self.cs_send(cs, request).await?;
        let mut done = ended(response.status());
        if response.status() == 200 {
            done.xml = Some(response.body().to_vec());
        }
        Ok(done)
    }

    /// The form body, its Content-Type, and where the file's bytes begin in the body.
    fn form(&self, up: &Upload<'_>) -> (String, Vec<u8>, usize) {
        let wrong = self.faults.has(Fault::FtWrongPartNames);
        let (thumb_name, file_name) = match wrong {
            true => ("thumbnail", "file"),
            false => ("Thumbnail", "File"),
        };
        let mut parts = vec![form::field("tid", Some("text/plain"), up.tid)];
        if let Some(thumb) = up.thumbnail {
            parts.push(form::file(
                thumb_name,
                &format!("thumb_{}.jpg", up.name),
                "image/jpeg",
                thumb,
            ));
        }
        parts.push(form::file(file_name, up.name, up.content_type, up.file));
        let boundary = ids::uuid().replace('-', "");
        let (content_type, body) = form::build(&parts, &boundary);
        let marker = format!("name=\"{file_name}\"");
        let file_at = super::ft_in::find(&body, marker.as_bytes())
            .and_then(|at| {
                let after = body.get(at..)?;
                super::ft_in::find(after, b"\r\n\r\n").map(|end| at + end + 4)
            })
            .unwrap_or(body.len());
        (content_type, body, file_at)
    }

    /// A request to the content server with Host, X-3GPP-Intended-Identity and Authorization.
    fn cs_request(
        &self,
        method: &str,
        url: &HttpUrl,
        auth: &mut Option<Auth>,
        finish: impl FnOnce(RequestBuilder) -> RequestBuilder,
    ) -> Result<Request, String> {
        let mut builder = RequestBuilder::new(method, &url.target).header("Host", &url.host);
        if !self.faults.has(Fault::FtNoIntendedIdentity) {
            builder = builder.header("X-3GPP-Intended-Identity", &self.subscriber.tel_uri());
        }
        if let Some(auth) = auth.as_mut() {
            auth.nc += 1;
            let value = digest::authorization(
                &auth.challenge,
                &auth.user,
                &auth.password,
                method,
                &url.target,
                &ids::cnonce(),
                auth.nc,
            );
            if let Ok(value) = value {
                builder = builder.header("Authorization", &value);
            }
        }
        finish(builder)
            .build()
            .map_err(|e| format!("failed to build the {method} to the content server: {e}"))
    }

    /// Sends to the content server; a transport failure is an error the action reports.
    pub(crate) async fn cs_send(
        &self,
        url: &HttpUrl,
        request: &Request,
    ) -> Result<Response, String> {
        self.ft
            .client
            .send(url.addr, url.tls, request)
            .await
            .map_err(|e| format!("transport-error: failed to {e}"))
    }
}

fn ended(status: u16) -> Uploaded {
    Uploaded {
        status: status.to_string(),
        xml: None,
        cut_bytes: None,
    }
}
