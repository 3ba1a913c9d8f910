//! The content server's memory: uploaded files and uploads cut short, in memory, bounded.
//!
//! A stored upload is its file (and thumbnail), the `tid` it came with, and the case-clock time
//! its links stop working. An upload cut short keeps the bytes of its file that arrived, by
//! `tid`, until a PUT completes it (protocols.md §5.1 resume). Both are capped in number and in
//! bytes; the oldest entries are forgotten first. Nothing here does I/O or reads a clock.

use std::collections::VecDeque;
use std::time::Duration;

use bytes::Bytes;

/// Most files (complete or partial) kept.
pub const MAX_ENTRIES: usize = 64;

/// Most bytes kept over all files and thumbnails.
pub const MAX_BYTES: usize = 64 * 1024 * 1024;

/// One file or thumbnail.
#[derive(Clone, Debug)]
pub struct Blob {
    /// `filename` of its form part, as sent.
    pub name: String,
    /// `Content-Type` of its form part.
    pub content_type: String,
    pub bytes: Bytes,
}

/// An upload, complete or cut short.
#[derive(Clone, Debug)]
pub struct Upload {
    /// The upload's transaction id (the `tid` form field).
    pub tid: String,
    /// The path the file is downloaded from (`/files/<id>`); the thumbnail adds `/thumb`.
    pub id: String,
    pub file: Blob,
    pub thumbnail: Option<Blob>,
    /// The file's full size, when known (a cut upload learns it from the PUT).
    pub total: Option<u64>,
    /// False while the upload waits for its remaining bytes.
    pub complete: bool,
    /// Case-clock time after which the links are expired.
    pub expires_at: Duration,
    /// The `until` written in file-info.
    pub until: String,
}

impl Upload {
    fn weight(&self) -> usize {
        self.file.bytes.len() + self.thumbnail.as_ref().map_or(0, |t| t.bytes.len())
    }
}

/// Every upload the server holds.
#[derive(Debug, Default)]
pub struct Store {
    uploads: VecDeque<Upload>,
}

impl Store {
    /// Keeps `upload`, replacing one with the same `tid`, forgetting the oldest to stay in bounds.
    /// An upload larger than [`MAX_BYTES`] alone is not kept; the result says whether it was.
    pub fn put(&mut self, upload: Upload) -> bool {
        if upload.weight() > MAX_BYTES {
            return false;
        }
        self.uploads.retain(|u| u.tid != upload.tid);
        while self.uploads.len() >= MAX_ENTRIES || self.bytes() + upload.weight() > MAX_BYTES {
            if self.uploads.pop_front().is_none() {
                break;
            }
        }
        self.uploads.push_back(upload);
        true
    }

    /// The upload with this `tid`.
    pub fn by_tid(&self, tid: &str) -> Option<&Upload> {
        self.uploads.iter().find(|u| u.tid == tid)
    }

    /// The upload with this download id.
    pub fn by_id(&self, id: &str) -> Option<&Upload> {
        self.uploads.iter().find(|u| u.id == id)
    }

    /// How many uploads are kept.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.uploads.len()
    }

    fn bytes(&self) -> usize {
        self.uploads.iter().map(Upload::weight).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(tid: &str, size: usize) -> Upload {
        Upload {
            tid: tid.to_owned(),
            id: format!("id-{tid}"),
            file: Blob {
                name: "f".to_owned(),
                content_type: "image/jpeg".to_owned(),
                bytes: Bytes::from(vec![0u8; size]),
            },
            thumbnail: None,
            total: Some(size as u64),
            complete: true,
            expires_at: Duration::ZERO,
            until: String::new(),
        }
    }

    #[test]
    fn the_oldest_go_first_when_the_count_is_reached() {
        let mut store = Store::default();
        for n in 0..=MAX_ENTRIES {
            assert!(store.put(upload(&n.to_string(), 1)));
        }
        assert_eq!(store.len(), MAX_ENTRIES);
        assert!(store.by_tid("0").is_none());
        assert!(store.by_id(&format!("id-{MAX_ENTRIES}")).is_some());
    }

    #[test]
    fn bytes_are_bounded_and_a_tid_is_replaced() {
        let mut store = Store::default();
        assert!(store.put(upload("a", MAX_BYTES / 2)));
        assert!(store.put(upload("b", MAX_BYTES / 2)));
        assert!(store.put(upload("c", 10)));
        assert!(store.by_tid("a").is_none(), "the oldest made room");
        assert!(!store.put(upload("huge", MAX_BYTES + 1)));
        assert!(store.put(upload("c", 20)));
        assert_eq!(store.by_tid("c").map(|u| u.file.bytes.len()), Some(20));
        assert_eq!(store.len(), 2);
    }
}
