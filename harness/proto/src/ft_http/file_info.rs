//! Reading and writing the file-info document (protocols.md §5.2).

use crate::xml_tree::{Element, XmlError, XmlWriter, parse_number, parse_root};

use super::{
    DataUrl, Disposition, FT_HTTP_EXT_NS, FT_HTTP_LIMITS, FT_HTTP_NS, FileInfo, FileTransferInfo,
    RRAM_NS,
};

const DOC: &str = "file-info";

impl FileTransferInfo {
    /// Parses a file-info document; see the module docs for what is checked.
    pub fn parse(xml: &[u8]) -> Result<Self, XmlError> {
        let root = parse_root(xml, DOC, &FT_HTTP_LIMITS, FT_HTTP_NS, "file")?;
        let mut thumbnails = Vec::new();
        let mut files = Vec::new();
        for entry in root.children_named(FT_HTTP_NS, "file-info") {
            match entry.required_attr("type", "file-info")? {
                "thumbnail" => thumbnails.push(file_info(entry)?),
                "file" => files.push(file_info(entry)?),
                other => {
                    return Err(XmlError::InvalidValue {
                        construct: "file-info@type",
                        value: other.to_owned(),
                        expected: "thumbnail or file",
                    });
                }
            }
        }
        if thumbnails.len() > 1 {
            return Err(XmlError::Count {
                construct: "file-info type=\"thumbnail\"",
                found: thumbnails.len(),
                expected: "at most one",
            });
        }
        let file = match <[FileInfo; 1]>::try_from(files) {
            Ok([file]) => file,
            Err(files) => {
                return Err(XmlError::Count {
                    construct: "file-info type=\"file\"",
                    found: files.len(),
                    expected: "exactly one",
                });
            }
        };
        Ok(Self {
            thumbnail: thumbnails.pop(),
            file,
        })
    }

    /// The document in the layout of protocols.md §5.2 (LF line ends, two-space indentation).
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        let mut root = vec![("xmlns", FT_HTTP_NS), ("xmlns:am", RRAM_NS)];
        let branded = [&self.thumbnail, &Some(self.file.clone())]
            .into_iter()
            .flatten()
            .any(|f| f.branded_url.is_some());
        if branded {
            root.push(("xmlns:e", FT_HTTP_EXT_NS));
        }
        w.open("file", &root);
        if let Some(thumbnail) = &self.thumbnail {
            write_entry(&mut w, "thumbnail", thumbnail);
        }
        write_entry(&mut w, "file", &self.file);
        w.close("file");
        w.finish()
    }
}

/// One `file-info` entry.
fn file_info(entry: &Element) -> Result<FileInfo, XmlError> {
    let size = entry
        .child_text(FT_HTTP_NS, "file-size")
        .map(|s| parse_number(s, "file-size"))
        .transpose()?;
    let content_type = entry.required_text(FT_HTTP_NS, "content-type", "file-info")?;
    let data = entry.required_child(FT_HTTP_NS, "data", "file-info")?;
    let disposition = match entry.attr("file-disposition") {
        None => None,
        Some("attach") => Some(Disposition::Attach),
        Some("render") => Some(Disposition::Render),
        Some(other) => {
            return Err(XmlError::InvalidValue {
                construct: "file-info@file-disposition",
                value: other.to_owned(),
                expected: "attach or render",
            });
        }
    };
    let playing_length = entry
        .child_text(RRAM_NS, "playing-length")
        .map(|s| parse_number(s, "playing-length"))
        .transpose()?;
    Ok(FileInfo {
        size,
        name: entry.child_text(FT_HTTP_NS, "file-name").map(str::to_owned),
        content_type: content_type.to_owned(),
        data: DataUrl {
            url: data.required_attr("url", "data")?.to_owned(),
            until: data.required_attr("until", "data")?.to_owned(),
        },
        disposition,
        playing_length,
        branded_url: entry
            .child_text(FT_HTTP_EXT_NS, "branded-url")
            .map(str::to_owned),
    })
}

fn write_entry(w: &mut XmlWriter, kind: &str, info: &FileInfo) {
    let mut attrs = vec![("type", kind)];
    if let Some(disposition) = info.disposition {
        attrs.push(("file-disposition", disposition.as_str()));
    }
    w.open("file-info", &attrs);
    if let Some(size) = info.size {
        w.leaf("file-size", &[], &size.to_string());
    }
    w.leaf_opt("file-name", info.name.as_deref());
    w.leaf("content-type", &[], &info.content_type);
    let data = [
        ("url", info.data.url.as_str()),
        ("until", info.data.until.as_str()),
    ];
    w.empty("data", &data);
    if let Some(ms) = info.playing_length {
        w.leaf("am:playing-length", &[], &ms.to_string());
    }
    w.leaf_opt("e:branded-url", info.branded_url.as_deref());
    w.close("file-info");
}
