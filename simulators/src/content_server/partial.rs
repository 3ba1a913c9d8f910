//! Reading what arrived of an upload cut short: the request head and the form parts up to the
//! cut (RFC 7578 over RFC 2046 §5.1.1 delimiters; protocols.md §5.1 resume).
//!
//! The last part is the one the cut fell in: its body is every byte after its header section.
//! Whole parts end before the CRLF that precedes the next delimiter, as in a whole body. A head
//! that is not whole, a body that is not multipart/form-data, or one without a `tid` field and a
//! `File` part that began gives nothing: there is nothing to resume then.

use rcs_proto::http::form;
use rcs_proto::multipart::{self, Part};

use super::store::Blob;

/// Largest head read from a cut request.
const MAX_HEAD: usize = 64 * 1024;

/// What arrived of an upload.
#[derive(Debug)]
pub struct CutUpload {
    /// The request-target.
    pub target: String,
    /// The `Authorization` field, if any.
    pub authorization: Option<String>,
    pub tid: String,
    /// The file's bytes that arrived.
    pub file: Blob,
    pub thumbnail: Option<Blob>,
    /// The full size, from the part's `Content-Range: .../<size>` when it has one.
    pub total: Option<u64>,
}

/// Reads a cut `POST` upload.
pub fn read_cut(bytes: &[u8]) -> Option<CutUpload> {
    let head_end = find(bytes.get(..bytes.len().min(MAX_HEAD))?, b"\r\n\r\n")?;
    let head = std::str::from_utf8(bytes.get(..head_end)?).ok()?;
    let body = bytes.get(head_end + 4..)?;
    let mut lines = head.split("\r\n");
    let mut start = lines.next()?.split(' ');
    if start.next()? != "POST" {
        return None;
    }
    let target = start.next()?.to_owned();
    let fields: Vec<(&str, &str)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim(), v.trim()))
        .collect();
    let field = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    };
    let content_type = field("Content-Type")?;
    let boundary = multipart::boundary(content_type)?;
    let parts = cut_parts(body, &boundary);
    let tid =
        form::find(&parts, "tid").map(|p| String::from_utf8_lossy(&p.body).trim().to_owned())?;
    let file = form::find(&parts, "File")?;
    Some(CutUpload {
        target,
        authorization: field("Authorization").map(str::to_owned),
        tid,
        total: file.header("Content-Range").and_then(total_of),
        file: blob(file),
        thumbnail: form::find(&parts, "Thumbnail").map(blob),
    })
}

/// A part's file name, type and bytes.
pub fn blob(part: &Part) -> Blob {
    Blob {
        name: form::form_filename(part).unwrap_or_default(),
        content_type: part
            .content_type()
            .unwrap_or("application/octet-stream")
            .to_owned(),
        bytes: bytes::Bytes::copy_from_slice(&part.body),
    }
}

/// The parts of a body cut anywhere after its first delimiter.
fn cut_parts(body: &[u8], boundary: &str) -> Vec<Part> {
    let delimiter = format!("--{boundary}");
    let next = format!("\r\n--{boundary}");
    let Some(first) = find(body, delimiter.as_bytes()) else {
        return Vec::new();
    };
    let mut rest = body.get(first + delimiter.len()..).unwrap_or_default();
    let mut parts = Vec::new();
    while let Some(after) = rest.strip_prefix(b"\r\n") {
        let Some(head_end) = find(after, b"\r\n\r\n") else {
            break;
        };
        let headers = part_headers(after.get(..head_end).unwrap_or_default());
        let content = after.get(head_end + 4..).unwrap_or_default();
        let (body, tail) = match find(content, next.as_bytes()) {
            Some(end) => (
                content.get(..end).unwrap_or_default(),
                content.get(end + next.len()..).unwrap_or_default(),
            ),
            None => (content, &[][..]),
        };
        parts.push(Part {
            headers,
            body: body.to_vec(),
        });
        rest = tail;
    }
    parts
}

fn part_headers(block: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(block)
        .split("\r\n")
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

/// The size after `/` of a `Content-Range` value (`bytes 0-9/10` or `0-9/10`).
fn total_of(value: &str) -> Option<u64> {
    value.rsplit_once('/')?.1.trim().parse().ok()
}

/// The first index of `needle` in `hay`.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn request(body_cut: usize) -> Vec<u8> {
        let parts = [
            form::field("tid", Some("text/plain"), "t-1"),
            form::file("Thumbnail", "thumb.jpg", "image/jpeg", vec![7u8; 5]),
            form::file("File", "cat.jpg", "image/jpeg", vec![9u8; 100]),
        ];
        let (ct, body) = form::build(&parts, "bnd42");
        let mut bytes =
            format!("POST /upload HTTP/1.1\r\nContent-Type: {ct}\r\nAuthorization: Digest x\r\nContent-Length: {}\r\n\r\n", body.len())
                .into_bytes();
        let file_at = find(&body, &[9u8; 100]).unwrap();
        bytes.extend_from_slice(&body[..file_at + body_cut]);
        bytes
    }

    #[test]
    fn the_file_bytes_up_to_the_cut_are_kept() {
        let cut = read_cut(&request(40)).unwrap();
        assert_eq!(cut.target, "/upload");
        assert_eq!(cut.tid, "t-1");
        assert_eq!(cut.authorization.as_deref(), Some("Digest x"));
        assert_eq!(cut.file.bytes.len(), 40);
        assert_eq!(cut.file.name, "cat.jpg");
        assert_eq!(cut.thumbnail.unwrap().bytes.len(), 5);
        assert_eq!(cut.total, None);
    }

    #[test]
    fn a_cut_before_the_file_part_gives_nothing() {
        let whole = request(0);
        let at = find(&whole, b"name=\"File\"").unwrap();
        assert!(read_cut(&whole[..at]).is_none());
        assert!(
            read_cut(b"POST /upload HTTP/1.1\r\nContent-Type: text/plain\r\n\r\nabc").is_none()
        );
        assert!(read_cut(b"GET / HTTP/1.1\r\n").is_none());
        assert_eq!(total_of("bytes 0-99/100"), Some(100));
    }
}
