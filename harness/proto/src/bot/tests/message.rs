//! The bot message rules of protocols.md §7.3.

use serde_json::{Value, json};

use super::{chars, fails, passes, texts, with};
use crate::bot::{Limits, validate_message};

const CARD: &str = "/message/generalPurposeCard";
const CAROUSEL: &str = "/message/generalPurposeCardCarousel";

fn card_content() -> Value {
    json!({
        "media": {
            "mediaUrl": "https://cdn.bank.example.cn/bill.jpg",
            "mediaContentType": "image/jpeg",
            "mediaFileSize": 2 * 1024 * 1024,
            "thumbnailUrl": "https://cdn.bank.example.cn/bill-t.png",
            "thumbnailContentType": "image/png",
            "thumbnailFileSize": 200 * 1024,
            "height": "MEDIUM_HEIGHT",
            "contentDescription": "本月账单"
        },
        "title": "您的账单已出",
        "description": "本期应还 1,024.00 元",
        "suggestions": [
            { "reply": { "displayText": "查看详情", "postback": { "data": "bill_detail" } } },
            { "action": { "displayText": "拨打客服", "dialerAction": {
                "dialPhoneNumber": { "phoneNumber": "+8695555" } } } },
            { "reply": { "displayText": "稍后提醒" } },
            { "reply": { "displayText": "不再提醒" } }
        ]
    })
}

fn standalone() -> Value {
    json!({ "message": { "generalPurposeCard": {
        "layout": {
            "cardOrientation": "HORIZONTAL",
            "imageAlignment": "LEFT",
            "titleFontStyle": ["bold"],
            "descriptionFontStyle": ["italics", "bold", "underline"],
            "style": "https://bank.example.cn/card.css"
        },
        "content": card_content()
    } } })
}

fn carousel(cards: usize) -> Value {
    json!({ "message": { "generalPurposeCardCarousel": {
        "layout": { "cardWidth": "MEDIUM_WIDTH", "titleFontStyle": ["underline"] },
        "content": vec![card_content(); cards]
    } } })
}

#[test]
fn valid_cards_and_carousels() {
    passes(validate_message, &standalone());
    passes(validate_message, &carousel(2));
    passes(validate_message, &carousel(12));
    let vertical = with(
        &standalone(),
        &format!("{CARD}/layout/imageAlignment"),
        None,
    );
    let vertical = with(
        &vertical,
        &format!("{CARD}/layout/cardOrientation"),
        Some(json!("VERTICAL")),
    );
    passes(validate_message, &vertical);
    let title_only = with(
        &standalone(),
        &format!("{CARD}/content"),
        Some(json!({ "title": "t" })),
    );
    passes(validate_message, &title_only);
    let small = with(
        &carousel(2),
        &format!("{CAROUSEL}/layout"),
        Some(json!({ "cardWidth": "SMALL_WIDTH" })),
    );
    passes(validate_message, &small);
}

#[test]
fn the_root_holds_exactly_one_document() {
    fails(
        validate_message,
        &json!([]),
        ": expected an object, found an array",
    );
    fails(
        validate_message,
        &json!({}),
        ": needs one of message, suggestions, response, sharedData",
    );
    let two = with(
        &standalone(),
        "/suggestions",
        Some(json!([{ "reply": { "displayText": "a" } }])),
    );
    fails(
        validate_message,
        &two,
        ": holds message and suggestions, at most one",
    );
    let unknown = with(&standalone(), "/messages", Some(json!({})));
    fails(
        validate_message,
        &unknown,
        "/messages: unknown member, the schema allows no others",
    );
    // The other root members are checked as their own documents are.
    passes(
        validate_message,
        &json!({ "suggestions": [{ "reply": { "displayText": "好" } }] }),
    );
    fails(
        validate_message,
        &json!({ "suggestions": [] }),
        "/suggestions: 0 suggestions, at least 1",
    );
    passes(
        validate_message,
        &json!({ "response": { "reply": { "displayText": "好" } } }),
    );
    passes(
        validate_message,
        &json!({ "sharedData": { "deviceSpecifics": {} } }),
    );
}

#[test]
fn a_message_is_one_card_or_one_carousel() {
    fails(
        validate_message,
        &json!({ "message": {} }),
        "/message: needs one of generalPurposeCard, generalPurposeCardCarousel",
    );
    let both = with(
        &standalone(),
        CAROUSEL,
        Some(carousel(2)["message"]["generalPurposeCardCarousel"].clone()),
    );
    fails(
        validate_message,
        &both,
        "/message: holds generalPurposeCard and generalPurposeCardCarousel, at most one",
    );
    fails(
        validate_message,
        &with(&standalone(), &format!("{CARD}/layout"), None),
        "/message/generalPurposeCard/layout: required member missing",
    );
    fails(
        validate_message,
        &with(&standalone(), &format!("{CARD}/content"), None),
        "/message/generalPurposeCard/content: required member missing",
    );
    fails(
        validate_message,
        &with(&carousel(2), &format!("{CAROUSEL}/layout"), None),
        "/message/generalPurposeCardCarousel/layout: required member missing",
    );
    fails(
        validate_message,
        &with(&carousel(2), &format!("{CAROUSEL}/content"), None),
        "/message/generalPurposeCardCarousel/content: required member missing",
    );
}

#[test]
fn standalone_layout() {
    let layout = format!("{CARD}/layout");
    let cases = [
        (
            with(&standalone(), &format!("{layout}/cardOrientation"), None),
            "/cardOrientation: required member missing",
        ),
        (
            with(
                &standalone(),
                &format!("{layout}/cardOrientation"),
                Some(json!("DIAGONAL")),
            ),
            "/cardOrientation: \"DIAGONAL\" is not one of VERTICAL, HORIZONTAL",
        ),
        (
            with(&standalone(), &format!("{layout}/imageAlignment"), None),
            "/imageAlignment: required member missing with cardOrientation HORIZONTAL",
        ),
        (
            with(
                &standalone(),
                &format!("{layout}/imageAlignment"),
                Some(json!("TOP")),
            ),
            "/imageAlignment: \"TOP\" is not one of LEFT, RIGHT",
        ),
        (
            with(
                &standalone(),
                &format!("{layout}/cardOrientation"),
                Some(json!("VERTICAL")),
            ),
            "/imageAlignment: allowed only with cardOrientation HORIZONTAL",
        ),
        (
            with(
                &standalone(),
                &format!("{layout}/style"),
                Some(json!("card.css")),
            ),
            "/style: \"card.css\" is not a uri",
        ),
        (
            with(
                &standalone(),
                &format!("{layout}/cardWidth"),
                Some(json!("SMALL_WIDTH")),
            ),
            "/cardWidth: unknown member, the schema allows no others",
        ),
    ];
    for (doc, detail) in cases {
        fails(validate_message, &doc, &format!("{layout}{detail}"));
    }
}

#[test]
fn font_styles_are_one_to_three_of_the_gsma_enum() {
    let fonts = format!("{CARD}/layout/descriptionFontStyle");
    // The CT/CU example's deviation is an error.
    let calibri = with(&standalone(), &fonts, Some(json!(["calibri"])));
    fails(
        validate_message,
        &calibri,
        &format!("{fonts}/0: \"calibri\" is not one of italics, bold, underline"),
    );
    fails(
        validate_message,
        &with(&standalone(), &fonts, Some(json!([]))),
        &format!("{fonts}: 0 styles, at least 1"),
    );
    let four = json!(["bold", "bold", "italics", "underline"]);
    fails(
        validate_message,
        &with(&standalone(), &fonts, Some(four)),
        &format!("{fonts}: 4 styles, at most 3"),
    );
    fails(
        validate_message,
        &with(&standalone(), &fonts, Some(json!("bold"))),
        &format!("{fonts}: expected an array, found a string"),
    );
}

#[test]
fn carousel_rules() {
    let content = format!("{CAROUSEL}/content");
    fails(
        validate_message,
        &carousel(13),
        &format!("{content}: 13 cards, at most 12"),
    );
    fails(
        validate_message,
        &carousel(1),
        &format!("{content}: 1 cards, at least 2"),
    );
    let width = format!("{CAROUSEL}/layout/cardWidth");
    fails(
        validate_message,
        &with(&carousel(2), &width, None),
        &format!("{width}: required member missing"),
    );
    fails(
        validate_message,
        &with(&carousel(2), &width, Some(json!("LARGE_WIDTH"))),
        &format!("{width}: \"LARGE_WIDTH\" is not one of SMALL_WIDTH, MEDIUM_WIDTH"),
    );
    let imagealign = format!("{CAROUSEL}/layout/imageAlignment");
    fails(
        validate_message,
        &with(&carousel(2), &imagealign, Some(json!("LEFT"))),
        &format!("{imagealign}: unknown member, the schema allows no others"),
    );
    let title = format!("{content}/1/title");
    fails(
        validate_message,
        &with(&carousel(3), &title, Some(chars('x', 201))),
        &format!("{title}: 201 characters, at most 200"),
    );
}

#[test]
fn card_content_rules() {
    let content = format!("{CARD}/content");
    let cases = [
        ("/title", Some(chars('账', 200)), None),
        (
            "/title",
            Some(chars('账', 201)),
            Some("/title: 201 characters, at most 200"),
        ),
        (
            "/title",
            Some(json!("")),
            Some("/title: 0 characters, at least 1"),
        ),
        ("/description", Some(chars('单', 2000)), None),
        (
            "/description",
            Some(chars('单', 2001)),
            Some("/description: 2001 characters, at most 2000"),
        ),
        (
            "/description",
            Some(json!(12)),
            Some("/description: expected a string, found a number"),
        ),
        (
            "/suggestions",
            Some(json!([])),
            Some("/suggestions: 0 suggestions, at least 1"),
        ),
        (
            "/suggestions/4",
            Some(json!({ "reply": { "displayText": "5" } })),
            Some("/suggestions: 5 suggestions, at most 4"),
        ),
        (
            "/subtitle",
            Some(json!("x")),
            Some("/subtitle: unknown member, the schema allows no others"),
        ),
    ];
    for (member, value, expected) in cases {
        let doc = with(&standalone(), &format!("{content}{member}"), value);
        match expected {
            Some(detail) => fails(validate_message, &doc, &format!("{content}{detail}")),
            None => passes(validate_message, &doc),
        }
    }
    let empty = with(
        &standalone(),
        &content,
        Some(json!({ "suggestions": [{ "reply": { "displayText": "a" } }] })),
    );
    fails(
        validate_message,
        &empty,
        &format!("{content}: needs media, title or description"),
    );
}

#[test]
fn media_rules() {
    let media = format!("{CARD}/content/media");
    let cases = [
        ("/mediaUrl", None, "/mediaUrl: required member missing"),
        (
            "/mediaUrl",
            Some(json!("bill.jpg")),
            "/mediaUrl: \"bill.jpg\" is not a uri",
        ),
        (
            "/mediaContentType",
            None,
            "/mediaContentType: required member missing",
        ),
        (
            "/mediaFileSize",
            None,
            "/mediaFileSize: required member missing",
        ),
        (
            "/mediaFileSize",
            Some(json!(-1)),
            "/mediaFileSize: expected an integer of at least 0, found -1",
        ),
        (
            "/mediaFileSize",
            Some(json!(1.5)),
            "/mediaFileSize: expected an integer of at least 0, found 1.5",
        ),
        ("/height", None, "/height: required member missing"),
        (
            "/height",
            Some(json!("HUGE_HEIGHT")),
            "/height: \"HUGE_HEIGHT\" is not one of SHORT_HEIGHT, MEDIUM_HEIGHT, TALL_HEIGHT",
        ),
        (
            "/thumbnailContentType",
            None,
            "/thumbnailContentType: required member missing with thumbnailUrl",
        ),
        (
            "/thumbnailFileSize",
            None,
            "/thumbnailFileSize: required member missing with thumbnailUrl",
        ),
        (
            "/thumbnailUrl",
            Some(json!("a b")),
            "/thumbnailUrl: \"a b\" is not a uri",
        ),
        (
            "/contentDescription",
            Some(chars('图', 201)),
            "/contentDescription: 201 characters, at most 200",
        ),
        (
            "/contentDescription",
            Some(json!("")),
            "/contentDescription: 0 characters, at least 1",
        ),
    ];
    for (member, value, detail) in cases {
        let doc = with(&standalone(), &format!("{media}{member}"), value);
        fails(validate_message, &doc, &format!("{media}{detail}"));
    }
    // Without a thumbnail URL, neither thumbnail member is needed.
    let mut bare = standalone();
    for member in [
        "thumbnailUrl",
        "thumbnailContentType",
        "thumbnailFileSize",
        "contentDescription",
    ] {
        bare = with(&bare, &format!("{media}/{member}"), None);
    }
    passes(validate_message, &bare);
}

#[test]
fn china_media_limits_by_type() {
    let media = format!("{CARD}/content/media");
    let set = |kind: &str, size: u64| {
        let doc = with(
            &standalone(),
            &format!("{media}/mediaContentType"),
            Some(json!(kind)),
        );
        with(&doc, &format!("{media}/mediaFileSize"), Some(json!(size)))
    };
    let china = |doc: &Value| texts(validate_message(doc, Limits::China));
    let gsma = |doc: &Value| texts(validate_message(doc, Limits::Gsma));
    let mib = 1024 * 1024;
    for (kind, max, what) in [
        ("image/png", 2 * mib, "an image"),
        ("audio/amr", 5 * mib, "audio"),
        ("audio/mpeg", 5 * mib, "audio"),
        ("video/mp4", 10 * mib, "a video"),
        ("video/webm;codecs=vp9", 10 * mib, "a video"),
    ] {
        assert!(china(&set(kind, max)).is_empty(), "{kind}");
        let over = set(kind, max + 1);
        assert_eq!(
            china(&over),
            [format!(
                "{media}/mediaFileSize: {} bytes, at most {max} for {what}",
                max + 1
            )]
        );
        assert!(gsma(&over).is_empty(), "{kind}");
    }
    assert_eq!(
        china(&set("image/gif", 10)),
        [format!(
            "{media}/mediaContentType: \"image/gif\" is not an allowed type (jpeg/png image, amr/mp3/m4a audio or mp4/webm video)"
        )]
    );
    assert!(gsma(&set("image/gif", 10)).is_empty());
    let thumb = with(
        &standalone(),
        &format!("{media}/thumbnailFileSize"),
        Some(json!(200 * 1024 + 1)),
    );
    assert_eq!(
        china(&thumb),
        [format!(
            "{media}/thumbnailFileSize: 204801 bytes, at most 204800 for a thumbnail"
        )]
    );
    let gif = with(
        &standalone(),
        &format!("{media}/thumbnailContentType"),
        Some(json!("image/gif")),
    );
    assert_eq!(
        china(&gif),
        [format!(
            "{media}/thumbnailContentType: \"image/gif\" is not an allowed type (jpeg or png)"
        )]
    );
    assert!(gsma(&thumb).is_empty() && gsma(&gif).is_empty());
}

#[test]
fn errors_in_several_places_are_all_reported() {
    let doc = with(
        &carousel(3),
        &format!("{CAROUSEL}/content/0/title"),
        Some(json!("")),
    );
    let doc = with(
        &doc,
        &format!("{CAROUSEL}/content/2/suggestions/0/reply"),
        Some(json!({})),
    );
    assert_eq!(
        texts(validate_message(&doc, Limits::Gsma)),
        [
            format!("{CAROUSEL}/content/0/title: 0 characters, at least 1"),
            format!(
                "{CAROUSEL}/content/2/suggestions/0/reply/displayText: required member missing"
            ),
        ]
    );
}
