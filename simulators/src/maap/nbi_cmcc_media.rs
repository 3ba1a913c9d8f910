//! The CMCC media store of the MaaP (protocols.md §8.1.6; PLT-NBI-CM-009): `POST /Content`
//! (multipart/form-data with a `File` part, optional `Thumbnail`, the `tid` header or form
//! field) answered `{"code":"00000"}` with the `tid` header, then the audit result posted to the
//! chatbot's `InboundMessageNotification` (headers `tid`, `Authstatus: 0`, body the file-info of
//! the stored media); `DELETE /Content` with the `tid` header; `GET /Content/files/<id>` of a
//! stored file (404 once deleted).
//!
//! Every file passes the audit here; no content is inspected. Files are kept in memory, bounded
//! in number and bytes (the oldest dropped first). With `maap.cmcc-media-not-deleted` a DELETE is
//! answered as done but the file stays downloadable.

use std::collections::VecDeque;
use std::sync::Mutex;

use rcs_proto::ft_http::{FileInfo, FileTransferInfo};
use rcs_proto::http::{Request, Response, form};

use super::super::engine::lock;

/// Where stored files are downloaded from.
pub(crate) const FILES: &str = "/Content/files/";

/// Most files kept.
const MAX_FILES: usize = 64;

/// Most bytes kept over all files.
const MAX_BYTES: usize = 64 * 1024 * 1024;

/// How long the links of an uploaded file stay valid, as written in file-info (`until`).
const VALID_FOR: &str = "2099-12-31T23:59:59Z";

/// One stored file.
#[derive(Clone, Debug)]
pub(crate) struct Stored {
    pub tid: String,
    /// The path segment after [`FILES`].
    pub id: String,
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// The files uploaded through the CMCC API.
#[derive(Debug, Default)]
pub(crate) struct MediaStore {
    files: Mutex<VecDeque<Stored>>,
}

impl MediaStore {
    /// Keeps `file`, forgetting the oldest ones over the caps.
    pub(crate) fn put(&self, file: Stored) {
        let mut files = lock(&self.files);
        files.retain(|f| f.tid != file.tid);
        files.push_back(file);
        while files.len() > MAX_FILES || weight(&files) > MAX_BYTES {
            if files.pop_front().is_none() {
                break;
            }
        }
    }

    /// Removes the file uploaded with `tid`; false when there is none.
    pub(crate) fn remove(&self, tid: &str) -> bool {
        let mut files = lock(&self.files);
        let before = files.len();
        files.retain(|f| f.tid != tid);
        files.len() != before
    }

    /// Whether a file was uploaded with `tid`.
    pub(crate) fn has(&self, tid: &str) -> bool {
        lock(&self.files).iter().any(|f| f.tid == tid)
    }

    /// The file stored under `id`.
    pub(crate) fn get(&self, id: &str) -> Option<Stored> {
        lock(&self.files).iter().find(|f| f.id == id).cloned()
    }
}

fn weight(files: &VecDeque<Stored>) -> usize {
    files.iter().map(|f| f.bytes.len()).sum()
}

/// Reads an upload: the `File` part (name, type, bytes) and the `tid` (header, else form field).
pub(crate) fn read_upload(request: &Request) -> Result<Stored, String> {
    let content_type = request.content_type().unwrap_or_default();
    let parts = form::parse(content_type, request.body()).map_err(|e| e.to_string())?;
    let file = form::find(&parts, "File").ok_or("the form has no `File` part")?;
    let tid = match request.header("tid") {
        Some(tid) => tid.trim().to_owned(),
        None => form::find(&parts, "tid")
            .map(|p| String::from_utf8_lossy(&p.body).trim().to_owned())
            .ok_or("the upload has no `tid` header or form field")?,
    };
    if tid.is_empty() || tid.len() > 128 {
        return Err("the `tid` must be 1 to 128 characters".to_owned());
    }
    Ok(Stored {
        id: uuid::Uuid::new_v4().simple().to_string(),
        name: form::form_filename(file).unwrap_or_else(|| "file".to_owned()),
        content_type: file
            .header("Content-Type")
            .unwrap_or("application/octet-stream")
            .to_owned(),
        bytes: file.body.clone(),
        tid,
    })
}

/// The file-info document of a stored file, its URL under `base` (`http://ip:port`).
pub(crate) fn file_info(file: &Stored, base: &str) -> String {
    let url = format!("{base}{FILES}{}", file.id);
    let mut info = FileInfo::new(file.bytes.len() as u64, &file.content_type, &url, VALID_FOR);
    info.name = Some(file.name.clone());
    FileTransferInfo {
        thumbnail: None,
        file: info,
    }
    .to_xml()
}

/// `GET /Content/files/<id>`: the file, or 404.
pub(crate) fn download(store: &MediaStore, path: &str) -> Response {
    let id = path.strip_prefix(FILES).unwrap_or_default();
    match store.get(id) {
        Some(file) => super::respond(
            rcs_proto::http::ResponseBuilder::new(200, "OK")
                .header("Content-Type", &file.content_type)
                .body(file.bytes),
        ),
        None => super::json(404, "Not Found", "10004", "no such file"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use rcs_proto::http::RequestBuilder;

    use super::*;

    fn upload(tid_header: Option<&str>) -> Request {
        let parts = [
            form::field("tid", None, "t-form"),
            form::file("File", "a.jpg", "image/jpeg", vec![7u8; 100]),
        ];
        let (ct, body) = form::build(&parts, "b0undary");
        let mut builder = RequestBuilder::new("POST", "/Content").header("Content-Type", &ct);
        if let Some(tid) = tid_header {
            builder = builder.header("tid", tid);
        }
        builder.body(body).build().unwrap()
    }

    #[test]
    fn an_upload_is_read_stored_described_and_deleted() {
        let file = read_upload(&upload(Some("t-1"))).unwrap();
        assert_eq!(file.tid, "t-1");
        assert_eq!(
            (file.name.as_str(), file.content_type.as_str()),
            ("a.jpg", "image/jpeg")
        );
        assert_eq!(file.bytes.len(), 100);
        assert_eq!(read_upload(&upload(None)).unwrap().tid, "t-form");

        let xml = file_info(&file, "http://127.0.0.1:9");
        let parsed = FileTransferInfo::parse(xml.as_bytes()).unwrap();
        assert_eq!(parsed.file.size, Some(100));
        assert_eq!(
            parsed.file.data.url,
            format!("http://127.0.0.1:9{FILES}{}", file.id)
        );

        let store = MediaStore::default();
        store.put(file.clone());
        assert!(store.has("t-1"));
        assert_eq!(
            download(&store, &format!("{FILES}{}", file.id)).status(),
            200
        );
        assert!(store.remove("t-1"));
        assert!(!store.remove("t-1"));
        assert_eq!(
            download(&store, &format!("{FILES}{}", file.id)).status(),
            404
        );
    }

    #[test]
    fn a_form_without_a_file_is_refused() {
        let (ct, body) = form::build(&[form::field("tid", None, "t")], "b");
        let request = RequestBuilder::new("POST", "/Content")
            .header("Content-Type", &ct)
            .body(body)
            .build()
            .unwrap();
        assert_eq!(
            read_upload(&request).unwrap_err(),
            "the form has no `File` part"
        );
    }

    #[test]
    fn the_store_is_bounded() {
        let store = MediaStore::default();
        for n in 0..MAX_FILES + 3 {
            store.put(Stored {
                tid: format!("t{n}"),
                id: format!("i{n}"),
                name: String::new(),
                content_type: String::new(),
                bytes: vec![0; 10],
            });
        }
        assert!(!store.has("t0"));
        assert!(store.has(&format!("t{}", MAX_FILES + 2)));
    }
}
