//! The FT-HTTP documents of RCC.07 file transfer over HTTP (protocols.md §5): the file-info
//! document `application/vnd.gsma.rcs-ft-http+xml` the content server returns and the sender
//! forwards in CPIM (§5.2), and the `file-resume-info` document of the resumed upload (§5.1).
//!
//! [`FileTransferInfo::parse`] matches elements by namespace URI whatever the prefix: the root
//! `file` and its children in `urn:gsma:params:xml:ns:rcs:rcs:fthttp`, `playing-length` of audio
//! messages in `urn:gsma:params:xml:ns:rcs:rcs:rram`, and `branded-url` in the UP extension
//! namespace `urn:gsma:params:xml:ns:rcs:rcs:up:fthttpext` (seen in a CUCC sample as
//! `e:branded-url`). Unknown elements and attributes are ignored (§5.2, ROB-BODY-003), DOCTYPE and
//! external entities are refused (ROB-BODY-004). `file-size` may be absent (ROB-BODY-003 says a
//! client tolerates that), so it is an `Option`; `content-type` and `data` with `url` and `until`
//! are required. [`FileTransferInfo::to_xml`] writes the layout of §5.2.
//!
//! [`ResumeInfo`] reads `file-resume-info` in no namespace (the layout protocols.md §5.1 shows,
//! read by rcsjta without a namespace) or in the fthttp namespace; it is written without one.
//! The namespace of this document is not verified.
//!
//! Not checked here: that `until` is a valid RFC 3339 time in the future, that `url` is HTTPS, and
//! that `file-size` matches the upload; those are checks of the case language on the parsed values.

mod file_info;
mod resume;

pub use resume::ResumeInfo;

use crate::xml_tree::Limits;

/// The namespace of the file-info document.
pub const FT_HTTP_NS: &str = "urn:gsma:params:xml:ns:rcs:rcs:fthttp";

/// The namespace of `am:playing-length` (audio messages).
pub const RRAM_NS: &str = "urn:gsma:params:xml:ns:rcs:rcs:rram";

/// The namespace of the UP extensions, such as `e:branded-url`.
pub const FT_HTTP_EXT_NS: &str = "urn:gsma:params:xml:ns:rcs:rcs:up:fthttpext";

/// The content type of the file-info document.
pub const FT_HTTP_CONTENT_TYPE: &str = "application/vnd.gsma.rcs-ft-http+xml";

/// The caps on a file-info or resume-info document: 64 KiB, 1 000 elements.
pub const FT_HTTP_LIMITS: Limits = Limits {
    max_bytes: 64 * 1024,
    max_elements: 1_000,
    ..Limits::DEFAULT
};

/// A file-info document: the file and, optionally, its thumbnail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileTransferInfo {
    /// The `file-info type="thumbnail"` entry.
    pub thumbnail: Option<FileInfo>,
    /// The `file-info type="file"` entry.
    pub file: FileInfo,
}

/// One `file-info` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    /// `file-size`, in bytes.
    pub size: Option<u64>,
    /// `file-name` (file entry only).
    pub name: Option<String>,
    /// `content-type`, such as `image/jpeg` or `audio/amr;voice-recording=yes`.
    pub content_type: String,
    /// `data`: where to download it and until when.
    pub data: DataUrl,
    /// The `file-disposition` attribute (file entry only).
    pub disposition: Option<Disposition>,
    /// `am:playing-length` of an audio message, in milliseconds.
    pub playing_length: Option<u64>,
    /// `e:branded-url`, a link for clients that cannot download the file.
    pub branded_url: Option<String>,
}

/// The `data` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataUrl {
    /// The `url` attribute.
    pub url: String,
    /// The `until` attribute, as written (RFC 3339).
    pub until: String,
}

/// The `file-disposition` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Disposition {
    /// `attach`: shown as an attachment.
    Attach,
    /// `render`: shown inline.
    Render,
}

impl Disposition {
    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Attach => "attach",
            Self::Render => "render",
        }
    }
}

impl FileInfo {
    /// An entry with the required parts and nothing else.
    pub fn new(size: u64, content_type: &str, url: &str, until: &str) -> Self {
        Self {
            size: Some(size),
            name: None,
            content_type: content_type.to_owned(),
            data: DataUrl {
                url: url.to_owned(),
                until: until.to_owned(),
            },
            disposition: None,
            playing_length: None,
            branded_url: None,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
