//! Tests of the FT-HTTP documents on the vectors in tests/vectors/ft_http.

use super::*;
use crate::xml_tree::XmlError;

const FILE_INFO: &[u8] = include_bytes!("../../tests/vectors/ft_http/protocols-5.2-file-info.dat");
const VOICE: &[u8] = include_bytes!("../../tests/vectors/ft_http/protocols-5.2-voice-prefixed.dat");
const NO_SIZE: &[u8] = include_bytes!("../../tests/vectors/ft_http/protocols-5.2-no-file-size.dat");
const WRONG_NS: &[u8] =
    include_bytes!("../../tests/vectors/ft_http/protocols-5.2-wrong-namespace.dat");
const XXE: &[u8] = include_bytes!("../../tests/vectors/ft_http/protocols-5.2-doctype-xxe.dat");
const RESUME: &[u8] =
    include_bytes!("../../tests/vectors/ft_http/protocols-5.1-file-resume-info.dat");

fn section_5_2() -> FileTransferInfo {
    let until = "2025-03-08T10:00:00Z";
    let thumbnail = FileInfo::new(7427, "image/jpeg", "https://ft.example.cn/s/0a1bTD", until);
    let mut file = FileInfo::new(
        183524,
        "image/jpeg",
        "https://ft.example.cn/s/0a1bFD",
        until,
    );
    file.name = Some("cat.jpg".into());
    file.disposition = Some(Disposition::Render);
    FileTransferInfo {
        thumbnail: Some(thumbnail),
        file,
    }
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap()
}

#[test]
fn parses_the_document_of_section_5_2() {
    assert_eq!(FileTransferInfo::parse(FILE_INFO).unwrap(), section_5_2());
}

#[test]
fn to_xml_is_the_layout_of_section_5_2() {
    assert_eq!(section_5_2().to_xml(), text(FILE_INFO));
}

#[test]
fn prefixed_voice_message_with_extensions() {
    let info = FileTransferInfo::parse(VOICE).unwrap();
    assert_eq!(info.thumbnail, None);
    let file = &info.file;
    assert_eq!(file.size, Some(5012));
    assert_eq!(file.name.as_deref(), Some("voice_0301.amr"));
    assert_eq!(file.content_type, "audio/amr;voice-recording=yes");
    assert_eq!(file.disposition, Some(Disposition::Attach));
    assert_eq!(file.playing_length, Some(3120));
    assert_eq!(
        file.data.url,
        "https://ft101.example.cn:10099/s/0118VOICE.amr"
    );
    assert_eq!(
        file.branded_url.as_deref(),
        Some("https://ft101.example.cn/b/W4eR.amr")
    );
    assert_eq!(
        FileTransferInfo::parse(info.to_xml().as_bytes()).unwrap(),
        info
    );
    assert!(
        info.to_xml()
            .contains(&format!("xmlns:e=\"{FT_HTTP_EXT_NS}\""))
    );
}

#[test]
fn missing_file_size_is_tolerated() {
    // ROB-BODY-003.
    let info = FileTransferInfo::parse(NO_SIZE).unwrap();
    assert_eq!(info.file.size, None);
    assert_eq!(info.thumbnail.unwrap().size, Some(7427));
}

#[test]
fn wrong_namespace_and_doctype_are_rejected() {
    assert!(matches!(
        FileTransferInfo::parse(WRONG_NS),
        Err(XmlError::WrongRoot { found, .. }) if found == "{urn:gsma:params:xml:ns:rcs:rcs:fthttp-typo}file"
    ));
    // ROB-BODY-004.
    assert_eq!(
        FileTransferInfo::parse(XXE),
        Err(XmlError::Doctype("file-info"))
    );
    // Right local names, wrong namespace on the children: no file entry is found.
    let foreign = text(FILE_INFO).replace("<file-info", "<x:file-info xmlns:x=\"urn:x\"");
    let foreign = foreign.replace("</file-info>", "</x:file-info>");
    assert!(matches!(
        FileTransferInfo::parse(foreign.as_bytes()),
        Err(XmlError::Count { found: 0, .. })
    ));
}

#[test]
fn missing_and_invalid_parts_are_named() {
    let cases = [
        (
            "<content-type>image/jpeg</content-type>",
            "",
            "content-type",
        ),
        (
            "<data url=\"https://ft.example.cn/s/0a1bFD\" until=\"2025-03-08T10:00:00Z\"/>",
            "",
            "data",
        ),
    ];
    for (from, to, element) in cases {
        let xml = text(FILE_INFO).replacen(from, to, 1);
        assert_eq!(
            FileTransferInfo::parse(xml.as_bytes()),
            Err(XmlError::MissingElement {
                parent: "file-info",
                element
            })
        );
    }
    let no_until = text(FILE_INFO).replace(" until=\"2025-03-08T10:00:00Z\"", "");
    assert_eq!(
        FileTransferInfo::parse(no_until.as_bytes()),
        Err(XmlError::MissingAttribute {
            element: "data",
            attribute: "until"
        })
    );
    let bad_size = text(FILE_INFO).replace("7427", "7k");
    assert!(matches!(
        FileTransferInfo::parse(bad_size.as_bytes()),
        Err(XmlError::InvalidValue {
            construct: "file-size",
            ..
        })
    ));
    let bad_type = text(FILE_INFO).replace("type=\"thumbnail\"", "type=\"icon\"");
    assert!(matches!(
        FileTransferInfo::parse(bad_type.as_bytes()),
        Err(XmlError::InvalidValue {
            construct: "file-info@type",
            ..
        })
    ));
    let two_files = text(FILE_INFO).replace("type=\"thumbnail\"", "type=\"file\"");
    assert!(matches!(
        FileTransferInfo::parse(two_files.as_bytes()),
        Err(XmlError::Count { found: 2, .. })
    ));
    let bad_disposition = text(FILE_INFO).replace("\"render\"", "\"inline\"");
    assert!(FileTransferInfo::parse(bad_disposition.as_bytes()).is_err());
}

#[test]
fn round_trip_with_escaping() {
    let mut info = section_5_2();
    info.file.name = Some("a<b>&\"c'.jpg".into());
    info.file.data.url = "https://ft.example.cn/s/x?a=1&b=\"2\"".into();
    info.file.playing_length = Some(1);
    info.thumbnail = None;
    assert_eq!(
        FileTransferInfo::parse(info.to_xml().as_bytes()).unwrap(),
        info
    );
}

#[test]
fn resume_info_of_section_5_1() {
    let resume = ResumeInfo::parse(RESUME).unwrap();
    let expected = ResumeInfo {
        start: 0,
        end: 65535,
        url: "https://ft.example.cn/up/a6f0c9e2".into(),
    };
    assert_eq!(resume, expected);
    assert_eq!(resume.resume_offset(), 65536);
    assert_eq!(expected.to_xml(), text(RESUME));
    let namespaced = text(RESUME).replace(
        "<file-resume-info>",
        &format!("<r:file-resume-info xmlns:r=\"{FT_HTTP_NS}\">"),
    );
    let namespaced = namespaced
        .replace("</file-resume-info>", "</r:file-resume-info>")
        .replace("<file-range", "<r:file-range")
        .replace("<data", "<r:data");
    assert_eq!(ResumeInfo::parse(namespaced.as_bytes()).unwrap(), expected);
}

#[test]
fn resume_info_errors() {
    let reversed = text(RESUME).replace("start=\"0\"", "start=\"70000\"");
    assert!(matches!(
        ResumeInfo::parse(reversed.as_bytes()),
        Err(XmlError::InvalidValue {
            construct: "file-range@end",
            ..
        })
    ));
    let no_data = text(RESUME).replace("<data url=\"https://ft.example.cn/up/a6f0c9e2\"/>", "");
    assert_eq!(
        ResumeInfo::parse(no_data.as_bytes()),
        Err(XmlError::MissingElement {
            parent: "file-resume-info",
            element: "data"
        })
    );
    let other_ns = text(RESUME).replace("<file-resume-info>", "<file-resume-info xmlns=\"urn:x\">");
    assert!(matches!(
        ResumeInfo::parse(other_ns.as_bytes()),
        Err(XmlError::WrongRoot { .. })
    ));
    assert!(ResumeInfo::parse(FILE_INFO).is_err());
}

#[test]
fn every_prefix_is_read_without_a_panic() {
    for vector in [FILE_INFO, VOICE, NO_SIZE, WRONG_NS, XXE] {
        let end = vector.iter().rposition(|&b| b == b'>').unwrap();
        for n in 0..vector.len() {
            let result = FileTransferInfo::parse(&vector[..n]);
            assert!(n > end || result.is_err(), "prefix of {n} bytes");
        }
    }
    let end = RESUME.iter().rposition(|&b| b == b'>').unwrap();
    for n in 0..RESUME.len() {
        assert!(n > end || ResumeInfo::parse(&RESUME[..n]).is_err());
    }
}

#[test]
fn size_cap() {
    let huge = text(FILE_INFO).replace("cat.jpg", &"x".repeat(FT_HTTP_LIMITS.max_bytes));
    assert!(matches!(
        FileTransferInfo::parse(huge.as_bytes()),
        Err(XmlError::TooLarge { .. })
    ));
}
