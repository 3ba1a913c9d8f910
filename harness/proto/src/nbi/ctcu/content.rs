//! A CT/CU `messageList` as the CPIM inner content of the southbound MESSAGE, and back
//! (protocols.md §8.2, §8.3, §7.2, §5.3).
//!
//! [`inner_content`] maps one item to its content type and bytes: strings as UTF-8 (decoded first
//! when `contentEncoding` is `base64`), card and suggestion objects serialised compactly in the
//! developer's member order, and the flattened FT array of `application/vnd.gsma.rcs-ft-http`
//! (no `+xml` northbound) written as the file-info document `application/vnd.gsma.rcs-ft-http+xml`
//! of §5.2. Several items become the §7.2 body: `multipart/mixed; boundary="next"` (or the first
//! `next-<n>` that no part holds, as [`crate::bot::with_suggestions`] chooses), each part with `Content-Type`, `Content-Disposition:
//! inline; filename="Message"` (content) or `filename="Chiplist.lst"` (suggestions) and
//! `Content-Length`, in the list's order. [`content_item`] and [`content_items`] go the other way
//! for uplinks. Not checked here: card and suggestion schemas, sizes of media (`40006`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};

use super::ContentItem;
use super::json::{Refusal, bad};
use crate::ft_http::{DataUrl, FT_HTTP_CONTENT_TYPE, FileInfo, FileTransferInfo};
use crate::multipart::{self, Part};

/// The northbound content type of a file: the FT array, without `+xml`.
pub const FT_HTTP_JSON_TYPE: &str = "application/vnd.gsma.rcs-ft-http";

/// The content type of a chip list.
const SUGGESTIONS_TYPE: &str = "application/vnd.gsma.botsuggestion.v1.0+json";

/// The boundary of §7.2 (`next-<n>` when a part holds `--next`).
const BOUNDARY: &str = "next";

/// The CPIM inner content of a `messageList`: `(content type, body)`; see the module docs.
pub fn inner_content(list: &[ContentItem]) -> Result<(String, Vec<u8>), (i64, String)> {
    match list {
        [] => Err(bad("missing messageList")),
        [item] => item_content(item, 0),
        items => {
            let contents = items
                .iter()
                .enumerate()
                .map(|(n, item)| item_content(item, n))
                .collect::<Result<Vec<_>, _>>()?;
            let boundary = boundary_for(&contents);
            let parts: Vec<Part> = contents
                .into_iter()
                .map(|(content_type, body)| {
                    let name = match is_type(&content_type, SUGGESTIONS_TYPE) {
                        true => "Chiplist.lst",
                        false => "Message",
                    };
                    let length = body.len().to_string();
                    let disposition = format!("inline; filename=\"{name}\"");
                    Part::new(&content_type, body)
                        .with_header("Content-Disposition", &disposition)
                        .with_header("Content-Length", &length)
                })
                .collect();
            let content_type = format!("multipart/mixed; boundary=\"{boundary}\"");
            Ok((content_type, multipart::build(&parts, &boundary)))
        }
    }
}

/// One item's content type and bytes.
fn item_content(item: &ContentItem, n: usize) -> Result<(String, Vec<u8>), Refusal> {
    let path = format!("messageList/{n}/contentText");
    let file = is_type(&item.content_type, FT_HTTP_JSON_TYPE);
    match &item.content_text {
        Value::String(text) if item.is_base64() => {
            let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
            let bytes = STANDARD
                .decode(compact)
                .map_err(|e| bad(format!("{path} is not base64: {e}")))?;
            Ok((southbound_type(&item.content_type), bytes))
        }
        Value::String(text) => Ok((southbound_type(&item.content_type), text.clone().into())),
        Value::Array(entries) if file => {
            let xml = file_info(entries, &path)?.to_xml();
            Ok((FT_HTTP_CONTENT_TYPE.to_owned(), xml.into_bytes()))
        }
        Value::Object(_) | Value::Array(_) if !item.is_base64() => {
            let bytes =
                serde_json::to_vec(&item.content_text).map_err(|e| bad(format!("{path}: {e}")))?;
            Ok((item.content_type.clone(), bytes))
        }
        _ => Err(bad(format!("{path} must be a string or an object"))),
    }
}

/// `application/vnd.gsma.rcs-ft-http` given as a string (already file-info XML) gets `+xml`.
fn southbound_type(content_type: &str) -> String {
    match is_type(content_type, FT_HTTP_JSON_TYPE) {
        true => FT_HTTP_CONTENT_TYPE.to_owned(),
        false => content_type.to_owned(),
    }
}

/// The file-info document of the FT array: one `file` entry, at most one `thumbnail`.
fn file_info(entries: &[Value], path: &str) -> Result<FileTransferInfo, Refusal> {
    let mut file = None;
    let mut thumbnail = None;
    if entries.len() > 2 {
        return Err(bad(format!("{path} has more than 2 entries")));
    }
    for (n, entry) in entries.iter().enumerate() {
        let at = format!("{path}/{n}");
        let Value::Object(map) = entry else {
            return Err(bad(format!("{at} must be an object")));
        };
        let info = file_entry(map, &at)?;
        let slot = match map.get("type").and_then(Value::as_str) {
            Some("file") => &mut file,
            Some("thumbnail") => &mut thumbnail,
            _ => return Err(bad(format!("{at}/type must be file or thumbnail"))),
        };
        if slot.replace(info).is_some() {
            return Err(bad(format!("{at}/type repeats an entry type")));
        }
    }
    let file = file.ok_or_else(|| bad(format!("{path} has no entry of type file")))?;
    Ok(FileTransferInfo { thumbnail, file })
}

fn file_entry(map: &Map<String, Value>, at: &str) -> Result<FileInfo, Refusal> {
    let text = |name: &str| match map.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        _ => Err(bad(format!("missing {at}/{name}"))),
    };
    let size = match map.get("fileSize") {
        None => None,
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        Some(_) => return Err(bad(format!("{at}/fileSize must be a number"))),
    };
    if map.get("fileSize").is_some() && size.is_none() {
        return Err(bad(format!("{at}/fileSize must be a number")));
    }
    Ok(FileInfo {
        size,
        name: map
            .get("fileName")
            .and_then(Value::as_str)
            .map(str::to_owned),
        content_type: text("contentType")?,
        data: DataUrl {
            url: text("url")?,
            until: text("until")?,
        },
        disposition: None,
        playing_length: None,
        branded_url: None,
    })
}

/// The uplink item of one content: file-info XML as the FT array, JSON types parsed, text as a
/// `utf8` string, anything else (or what does not parse) as text, or `base64` when not UTF-8.
pub fn content_item(content_type: &str, body: &[u8]) -> ContentItem {
    if is_type(content_type, FT_HTTP_CONTENT_TYPE)
        && let Ok(info) = FileTransferInfo::parse(body)
    {
        return ContentItem {
            content_type: FT_HTTP_JSON_TYPE.to_owned(),
            content_encoding: None,
            content_text: ft_array(&info),
        };
    }
    if bare(content_type).ends_with("+json")
        && let Ok(value @ (Value::Object(_) | Value::Array(_))) = serde_json::from_slice(body)
    {
        return ContentItem {
            content_type: content_type.to_owned(),
            content_encoding: None,
            content_text: value,
        };
    }
    match std::str::from_utf8(body) {
        Ok(text) => ContentItem {
            content_type: content_type.to_owned(),
            content_encoding: Some("utf8".into()),
            content_text: Value::String(text.to_owned()),
        },
        Err(_) => ContentItem {
            content_type: content_type.to_owned(),
            content_encoding: Some("base64".into()),
            content_text: Value::String(STANDARD.encode(body)),
        },
    }
}

/// The items of an uplink: one per part of a `multipart/mixed` body, else one.
pub fn content_items(content_type: &str, body: &[u8]) -> Vec<ContentItem> {
    if bare(content_type).eq_ignore_ascii_case("multipart/mixed")
        && let Ok(parts) = multipart::parse(content_type, body)
    {
        return parts
            .iter()
            .map(|p| content_item(p.content_type().unwrap_or("text/plain"), &p.body))
            .collect();
    }
    vec![content_item(content_type, body)]
}

/// The flattened FT array: the thumbnail first, then the file.
fn ft_array(info: &FileTransferInfo) -> Value {
    let entry = |kind: &str, f: &FileInfo| {
        let mut map = Map::new();
        map.insert("type".into(), kind.into());
        if let Some(size) = f.size {
            map.insert("fileSize".into(), size.into());
        }
        if let Some(name) = &f.name {
            map.insert("fileName".into(), name.clone().into());
        }
        map.insert("contentType".into(), f.content_type.clone().into());
        map.insert("url".into(), f.data.url.clone().into());
        map.insert("until".into(), f.data.until.clone().into());
        Value::Object(map)
    };
    let thumbnail = info.thumbnail.as_ref().map(|t| entry("thumbnail", t));
    thumbnail
        .into_iter()
        .chain([entry("file", &info.file)])
        .collect()
}

/// `next`, or the first `next-<n>` no body holds after `--` (as `rcs_proto::bot` composes).
fn boundary_for(contents: &[(String, Vec<u8>)]) -> String {
    let free = |boundary: &str| {
        let delimiter = format!("--{boundary}");
        contents
            .iter()
            .all(|(_, body)| memchr::memmem::find(body, delimiter.as_bytes()).is_none())
    };
    let mut boundary = BOUNDARY.to_owned();
    let mut n = 0usize;
    while !free(&boundary) {
        n += 1;
        boundary = format!("{BOUNDARY}-{n}");
    }
    boundary
}

/// The `type/subtype` of a content type, without parameters.
fn bare(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or_default().trim()
}

fn is_type(content_type: &str, wanted: &str) -> bool {
    bare(content_type).eq_ignore_ascii_case(wanted)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::nbi::ctcu::code;
    use serde_json::json;

    const CHATBOT_CONTENT: &[u8] =
        include_bytes!("../../../tests/vectors/nbi/protocols-7.2-chatbot-content.dat");

    fn item(content_type: &str, text: Value) -> ContentItem {
        ContentItem {
            content_type: content_type.into(),
            content_encoding: None,
            content_text: text,
        }
    }

    fn section_7_2_suggestions() -> Value {
        json!({"suggestions":[
            {"reply":{"displayText":"查看详情","postback":{"data":"bill_detail"}}},
            {"action":{"urlAction":{"openUrl":{"url":"https://bank.example.cn/bill","application":"browser"}},
                       "displayText":"打开网页","postback":{"data":"open_bill"}}}]})
    }

    fn ft() -> Value {
        json!([
            {"type":"thumbnail","fileSize":7427,"contentType":"image/jpeg",
             "url":"https://ft.example.cn/s/0a1bTD","until":"2025-03-08T10:00:00Z"},
            {"type":"file","fileSize":183524,"fileName":"cat.jpg","contentType":"image/jpeg",
             "url":"https://ft.example.cn/s/0a1bFD","until":"2025-03-08T10:00:00Z"}])
    }

    #[test]
    fn text_and_suggestions_are_the_layout_of_section_7_2() {
        let text = item("text/plain;charset=UTF-8", Value::from("您的账单已出"));
        let chips = item(SUGGESTIONS_TYPE, section_7_2_suggestions());
        let (content_type, body) = inner_content(&[text, chips]).unwrap();
        assert_eq!(content_type, "multipart/mixed; boundary=\"next\"");
        assert_eq!(
            String::from_utf8(body).unwrap(),
            std::str::from_utf8(CHATBOT_CONTENT).unwrap()
        );
    }

    #[test]
    fn uplink_multipart_reads_back_into_items() {
        let items = content_items("multipart/mixed; boundary=\"next\"", CHATBOT_CONTENT);
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].content_text, Value::from("您的账单已出"));
        assert_eq!(items[1].content_text, section_7_2_suggestions());
        assert_eq!(items[1].content_encoding, None);
    }

    #[test]
    fn one_item_is_its_own_content() {
        let text = ContentItem::text("hello world");
        assert_eq!(
            inner_content(&[text]).unwrap(),
            ("text/plain".into(), b"hello world".to_vec())
        );
        let card = json!({"message":{"generalPurposeCard":{"layout":{"cardOrientation":"VERTICAL"},"content":{"title":"账单"}}}});
        let bot = "application/vnd.gsma.botmessage.v1.0+json";
        let (ct, body) = inner_content(&[item(bot, card.clone())]).unwrap();
        assert_eq!(ct, bot);
        assert_eq!(serde_json::from_slice::<Value>(&body).unwrap(), card);
        let mut encoded = item("text/plain", Value::from(STANDARD.encode("余额")));
        encoded.content_encoding = Some("base64".into());
        assert_eq!(inner_content(&[encoded]).unwrap().1, "余额".as_bytes());
    }

    #[test]
    fn ft_array_becomes_file_info_and_back() {
        let (ct, body) = inner_content(&[item(FT_HTTP_JSON_TYPE, ft())]).unwrap();
        assert_eq!(ct, "application/vnd.gsma.rcs-ft-http+xml");
        let info = FileTransferInfo::parse(&body).unwrap();
        assert_eq!(info.file.name.as_deref(), Some("cat.jpg"));
        assert_eq!(info.thumbnail.as_ref().unwrap().size, Some(7427));
        let back = content_item(&ct, &body);
        assert_eq!(back, item(FT_HTTP_JSON_TYPE, ft()));
        let as_xml = item(
            FT_HTTP_JSON_TYPE,
            Value::from(String::from_utf8(body.clone()).unwrap()),
        );
        assert_eq!(inner_content(&[as_xml]).unwrap(), (ct, body));
    }

    #[test]
    fn ft_array_errors_name_the_entry() {
        let bad_one = |v: Value| inner_content(&[item(FT_HTTP_JSON_TYPE, v)]).unwrap_err();
        let path = "messageList/0/contentText";
        assert_eq!(
            bad_one(json!([])),
            (
                code::BAD_PARAMETER,
                format!("{path} has no entry of type file")
            )
        );
        let mut three = ft();
        three.as_array_mut().unwrap().push(json!({}));
        assert_eq!(bad_one(three).1, format!("{path} has more than 2 entries"));
        let mut no_url = ft();
        no_url[1].as_object_mut().unwrap().remove("url");
        assert_eq!(bad_one(no_url).1, format!("missing {path}/1/url"));
        let mut two_files = ft();
        two_files[0]["type"] = Value::from("file");
        assert_eq!(
            bad_one(two_files).1,
            format!("{path}/1/type repeats an entry type")
        );
        let mut bad_type = ft();
        bad_type[0]["type"] = Value::from("video");
        assert_eq!(
            bad_one(bad_type).1,
            format!("{path}/0/type must be file or thumbnail")
        );
        let mut bad_size = ft();
        bad_size[1]["fileSize"] = Value::from("big");
        assert_eq!(
            bad_one(bad_size).1,
            format!("{path}/1/fileSize must be a number")
        );
        assert_eq!(bad_one(json!([1])).1, format!("{path}/0 must be an object"));
    }

    #[test]
    fn other_errors() {
        assert_eq!(
            inner_content(&[]).unwrap_err(),
            (code::BAD_PARAMETER, "missing messageList".into())
        );
        let number = item("text/plain", Value::from(3));
        assert!(
            inner_content(&[number])
                .unwrap_err()
                .1
                .ends_with("must be a string or an object")
        );
        let mut bad64 = item("text/plain", Value::from("%%"));
        bad64.content_encoding = Some("base64".into());
        assert!(
            inner_content(&[bad64])
                .unwrap_err()
                .1
                .contains("is not base64")
        );
        let sneaky = ContentItem::text("a\r\n--next\r\nContent-Type: x");
        let chips = item(SUGGESTIONS_TYPE, section_7_2_suggestions());
        let (ct, body) = inner_content(&[sneaky, chips]).unwrap();
        assert_eq!(ct, "multipart/mixed; boundary=\"next-1\"");
        let parts = multipart::parse(&ct, &body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].body, b"a\r\n--next\r\nContent-Type: x");
    }

    #[test]
    fn same_bytes_as_the_bot_composer() {
        let text = "您的账单已出".as_bytes();
        let chips = section_7_2_suggestions();
        let expected = crate::bot::with_suggestions("text/plain;charset=UTF-8", text, &chips);
        let items = [
            item("text/plain;charset=UTF-8", Value::from("您的账单已出")),
            item(SUGGESTIONS_TYPE, chips),
        ];
        assert_eq!(inner_content(&items).unwrap(), expected);
    }

    #[test]
    fn uplink_items() {
        let response = br#"{"response":{"reply":{"displayText":"Yes","postback":{"data":"y"}}}}"#;
        let tap = content_item(
            "application/vnd.gsma.botsuggestion.response.v1.0+json",
            response,
        );
        assert_eq!(
            tap.content_text["response"]["reply"]["postback"]["data"],
            "y"
        );
        assert_eq!(
            content_item("text/plain", b"hi"),
            ContentItem {
                content_type: "text/plain".into(),
                ..ContentItem::text("hi")
            }
        );
        let broken_json = content_item("application/vnd.gsma.botsharedclientdata.v1.0+json", b"{");
        assert_eq!(broken_json.content_text, Value::from("{"));
        let broken_ft = content_item(FT_HTTP_CONTENT_TYPE, b"<file/>");
        assert_eq!(broken_ft.content_type, FT_HTTP_CONTENT_TYPE);
        assert_eq!(broken_ft.content_text, Value::from("<file/>"));
        let binary = content_item("application/octet-stream", &[0xff, 0x00]);
        assert_eq!(binary.content_encoding.as_deref(), Some("base64"));
        assert_eq!(binary.content_text, Value::from("/wA="));
        assert_eq!(content_items("multipart/mixed", b"junk").len(), 1);
    }
}
