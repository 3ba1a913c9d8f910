//! The terminal's file-transfer actions (protocols.md §5): `send-file` uploads a file to the
//! content server (see `ft_upload`) and sends the file-info it gets back as the CPIM content of
//! a pager MESSAGE with the extra `Accept-Contact` of the `rcs.fthttp` IARI (§4.1, §5.3);
//! `download-file` fetches a link once (see `ft_in`).
//!
//! Outputs of `send-file`: `status` (of the MESSAGE, or of the upload when it failed),
//! `upload.status`, `sent.file.url`, `sent.sha256`, `sent.size`, `sent.tid`,
//! `sent.file.cut-end` (the last file byte sent before a cut), `sent.Call-ID`,
//! `sent.imdn.Message-ID`. Outputs of `download-file`: `status` (the code, `expired` for
//! 404/410), `size`, `sha256`.

use std::time::SystemTime;

use rcs_harness::agent::ActionOutput;
use rcs_harness::events::Transport;
use rcs_proto::ft_http::{FT_HTTP_CONTENT_TYPE, FileTransferInfo};
use rcs_proto::sip::Message;
use sha2::{Digest, Sha256};

use super::actions::Output;
use super::chat::filler;
use super::core::Core;
use super::faults::Fault;
use super::ft_params::{DownloadFileParams, HttpUrl, SendFileParams};
use super::ft_upload::Upload;
use super::ids;
use super::outgoing::Sent;
use super::pager::Chat;
use super::params;

/// The extra Accept-Contact of a descriptor (protocols.md §4.1).
pub(crate) const FTHTTP_ACCEPT_CONTACT: &str =
    "*;+g.3gpp.iari-ref=\"urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.fthttp\";require;explicit";

/// Bytes of the thumbnail sent with `thumbnail: true`.
const THUMBNAIL_SIZE: usize = 2048;

/// `len` bytes that are a well-formed JPEG stream (ITU T.81 B.1, JFIF 1.02): start of image, the
/// JFIF APP0 segment, comment segments carrying filler text, end of image; what an image/jpeg
/// part or download holds, so a tool that decodes JPEG (Wireshark) finds nothing malformed.
/// Too short for that (under 22 bytes), it is plain filler.
pub(crate) fn jpeg_filler(len: usize) -> Vec<u8> {
    const SOI: [u8; 2] = [0xFF, 0xD8];
    /// APP0 "JFIF", version 1.02, no units, 1x1 density, no thumbnail.
    const APP0: [u8; 18] = [
        0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01, 0x02, 0x00, 0x00, 0x01, 0x00,
        0x01, 0x00, 0x00,
    ];
    const EOI: [u8; 2] = [0xFF, 0xD9];
    const FRAME: usize = SOI.len() + APP0.len() + EOI.len();
    /// A comment segment: marker, 2-byte length (itself included), at most 65 533 bytes of text.
    const MAX_COMMENT: usize = 65_533;
    if len < FRAME || (1..4).contains(&(len - FRAME)) {
        return filler(len).into_bytes();
    }
    let text = filler(len).into_bytes();
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&SOI);
    out.extend_from_slice(&APP0);
    let mut left = len - FRAME;
    let mut from = 0;
    while left > 0 {
        // A segment takes 4 header bytes and its text; never leave fewer than 4 for the next one.
        let mut seg = left.min(MAX_COMMENT + 4);
        if (1..4).contains(&(left - seg)) {
            seg -= 4;
        }
        let body = seg - 4;
        let seg_len = u16::try_from(body + 2).unwrap_or(u16::MAX);
        out.extend_from_slice(&[0xFF, 0xFE]);
        out.extend_from_slice(&seg_len.to_be_bytes());
        out.extend_from_slice(text.get(from..from + body).unwrap_or_default());
        from += body;
        left -= seg;
    }
    out.extend_from_slice(&EOI);
    out
}

/// `send-file`.
pub(crate) async fn send_file(core: &Core, p: SendFileParams) -> Result<ActionOutput, String> {
    super::ft_params::check_send_file(&p)?;
    let wait = params::timeout(p.timeout.as_deref())?;
    let target = core.target(&p.to)?;
    let cs = HttpUrl::parse(&content_server(core, p.cs.as_deref())?)?;
    let file = match (&p.text, p.size) {
        (Some(text), _) => text.clone().into_bytes(),
        (None, size) => {
            let size = size.unwrap_or(1024);
            let jpeg = p
                .content_type
                .as_deref()
                .is_some_and(|t| t.to_ascii_lowercase().starts_with("image/jpeg"));
            if jpeg {
                jpeg_filler(size)
            } else {
                filler(size).into_bytes()
            }
        }
    };
    let (default_name, default_type) = match p.voice {
        Some(_) => ("voice.amr", "audio/amr;voice-recording=yes"),
        None => ("file.bin", "application/octet-stream"),
    };
    let name = p.name.as_deref().unwrap_or(default_name);
    let content_type = p.content_type.as_deref().unwrap_or(default_type);
    let thumbnail = p.thumbnail.then(|| jpeg_filler(THUMBNAIL_SIZE));
    let tid = ids::uuid();
    let upload = Upload {
        tid: &tid,
        name,
        content_type,
        file: &file,
        thumbnail: thumbnail.as_deref(),
        cut_at: p.cut_at,
    };
    let uploaded = core.ft_upload(&cs, &upload).await?;
    let mut out = Output::new(uploaded.status.clone());
    out.set("upload.status", &uploaded.status);
    out.set("sent.tid", &tid);
    out.set("sent.size", &file.len().to_string());
    out.set("sent.sha256", &hex::encode(Sha256::digest(&file)));
    if let Some(cut) = uploaded.cut_bytes {
        out.set("sent.file.cut-end", &cut.saturating_sub(1).to_string());
    }
    let Some(xml) = uploaded.xml else {
        let summary = format!("upload to {}: {}", cs.target, uploaded.status);
        return Ok(out.finish(summary));
    };
    let mut info = FileTransferInfo::parse(&xml)
        .map_err(|e| format!("failed to read the content server's file-info: {e}"))?;
    out.set("sent.file.url", &info.file.data.url);
    let with_length = !core.faults.has(Fault::FtVoiceWithoutPlayingLength);
    let descriptor = match p.voice {
        Some(seconds) if with_length && info.file.playing_length.is_none() => {
            info.file.playing_length = Some(u64::from(seconds) * 1000);
            info.to_xml()
        }
        _ => String::from_utf8_lossy(&xml).into_owned(),
    };
    let sent = send_descriptor(core, &target, &descriptor, wait).await?;
    out.set("status", &sent.outcome.status());
    out.set("sent.Call-ID", sent.request.call_id().unwrap_or_default());
    let message_id = rcs_proto::cpim::CpimMessage::parse(&sent.body)
        .ok()
        .and_then(|c| c.imdn_message_id().map(str::to_owned))
        .unwrap_or_default();
    out.set("sent.imdn.Message-ID", &message_id);
    let summary = format!(
        "uploaded {} bytes ({}), descriptor MESSAGE to {target}: {}",
        file.len(),
        uploaded.status,
        sent.outcome.summary()
    );
    Ok(out.finish(summary))
}

/// `download-file`.
pub(crate) async fn download_file(
    core: &Core,
    p: DownloadFileParams,
) -> Result<ActionOutput, String> {
    let url = match p.url {
        Some(url) => url,
        None => core
            .ft_offers
            .last_url()
            .await
            .ok_or("no file descriptor received yet; give `url`")?,
    };
    HttpUrl::parse(&url)?;
    let mut got = core.download(&url, p.range.as_deref()).await;
    if got.status == "expired" && core.faults.has(Fault::FtRetriesExpired) {
        got = core.download(&url, p.range.as_deref()).await;
    }
    let mut out = Output::new(got.status.clone());
    out.set("size", &got.size.to_string());
    out.set("sha256", &got.sha256);
    let summary = format!("GET {url}: {} ({} bytes)", got.status, got.size);
    Ok(out.finish(summary))
}

/// The content server: the action's `cs`, the `ft-http-cs-uri` setting, or what a simulated
/// message center in this process published.
fn content_server(core: &Core, cs: Option<&str>) -> Result<String, String> {
    if let Some(cs) = cs.or(core.settings.ft_http_cs_uri.as_deref()) {
        return Ok(cs.to_owned());
    }
    let proxy = core
        .proxy
        .as_ref()
        .ok_or("the case has no message center")?;
    [Transport::Udp, Transport::Tcp, Transport::Tls]
        .into_iter()
        .filter_map(|t| proxy.sip_addr(t))
        .find_map(crate::content_server::directory::lookup)
        .ok_or_else(|| {
            format!(
                "message center `{}` publishes no content server here; set ft-http-cs-uri",
                proxy.name
            )
        })
}

/// The descriptor as a pager MESSAGE (protocols.md §5.3).
async fn send_descriptor(
    core: &Core,
    target: &str,
    xml: &str,
    wait: std::time::Duration,
) -> Result<Sent, String> {
    let (message_id, date_time) = (ids::imdn_message_id(), ids::date_time(SystemTime::now()));
    let chat = Chat {
        text: xml,
        content_type: FT_HTTP_CONTENT_TYPE,
        disposition: "positive-delivery, display",
        message_id: &message_id,
        date_time: &date_time,
        omit: &[],
    };
    let untagged = core.faults.has(Fault::FtDescriptorWithoutFthttpTag);
    core.send_chat_with(target, chat, wait, |message| match untagged {
        true => Ok(message),
        false => with_fthttp_tag(&message),
    })
    .await
}

/// The MESSAGE with the fthttp Accept-Contact after its first header line named Accept-Contact.
fn with_fthttp_tag(message: &Message) -> Result<Message, String> {
    let raw = message.as_bytes();
    let at = super::ft_in::find(raw, b"\r\nAccept-Contact:")
        .and_then(|at| super::ft_in::find(&raw[at + 2..], b"\r\n").map(|end| at + 2 + end))
        .ok_or("the MESSAGE has no Accept-Contact to add to")?;
    let mut bytes = raw[..at].to_vec();
    bytes.extend_from_slice(format!("\r\nAccept-Contact: {FTHTTP_ACCEPT_CONTACT}").as_bytes());
    bytes.extend_from_slice(&raw[at..]);
    Message::parse(bytes).map_err(|e| format!("failed to add the fthttp Accept-Contact: {e}"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::jpeg_filler;

    /// Walks the marker segments of a JPEG made of comments: SOI, COM*, EOI, nothing else.
    fn is_comment_jpeg(bytes: &[u8]) -> bool {
        let Some(mut rest) = bytes.strip_prefix(&[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10]) else {
            return false;
        };
        rest = &rest[14..];
        while let Some(after) = rest.strip_prefix(&[0xFF, 0xFE]) {
            let len = usize::from(u16::from_be_bytes([after[0], after[1]]));
            if len < 2 || after.len() < len {
                return false;
            }
            rest = &after[len..];
        }
        rest == [0xFF, 0xD9]
    }

    #[test]
    fn generated_jpeg_content_has_the_exact_size_and_well_formed_segments() {
        for len in [
            22, 26, 27, 2048, 65_555, 65_558, 65_559, 131_094, 183_524, 5_242_880,
        ] {
            let bytes = jpeg_filler(len);
            assert_eq!(bytes.len(), len, "{len}");
            assert!(is_comment_jpeg(&bytes), "{len}");
        }
        for len in [0, 3, 21, 23, 25] {
            assert_eq!(jpeg_filler(len).len(), len);
        }
    }
}
