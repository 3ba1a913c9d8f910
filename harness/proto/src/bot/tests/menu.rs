//! The persistent menu rules of protocols.md §7.4: GSMA three levels of 1..5 entries; CT/CU two
//! levels, at most 3 top-level and 5 sub-menu entries.

use serde_json::{Value, json};

use super::{chars, texts, with};
use crate::bot::{Limits, validate_menu};

fn reply(text: &str) -> Value {
    json!({ "reply": { "displayText": text, "postback": { "data": text } } })
}

fn sub(text: &str, entries: Vec<Value>) -> Value {
    json!({ "menu": { "displayText": text, "entries": entries } })
}

/// A top level of `top` entries, the first a sub-menu of `second` replies.
fn menu(top: usize, second: usize) -> Value {
    let mut entries = vec![sub("账户", vec![reply("余额"); second])];
    entries.extend(vec![reply("客服"); top - 1]);
    json!({ "menu": { "entries": entries } })
}

fn check(doc: &Value, limits: Limits) -> Vec<String> {
    texts(validate_menu(doc, limits))
}

#[test]
fn china_allows_three_by_five_in_two_levels() {
    assert!(check(&menu(3, 5), Limits::China).is_empty());
    assert!(check(&menu(3, 5), Limits::Gsma).is_empty());
    assert_eq!(
        check(&menu(4, 1), Limits::China),
        ["/menu/entries: 4 entries, at most 3"]
    );
    assert!(check(&menu(4, 1), Limits::Gsma).is_empty());
    assert_eq!(
        check(&menu(3, 6), Limits::China),
        ["/menu/entries/0/menu/entries: 6 entries, at most 5"]
    );
    let third = with(
        &menu(2, 2),
        "/menu/entries/0/menu/entries/1",
        Some(sub("明细", vec![reply("本月")])),
    );
    assert_eq!(
        check(&third, Limits::China),
        ["/menu/entries/0/menu/entries/1/menu: a menu of level 3, at most 2 levels"]
    );
    assert!(check(&third, Limits::Gsma).is_empty());
}

#[test]
fn gsma_allows_three_levels_of_five() {
    assert!(check(&menu(5, 5), Limits::Gsma).is_empty());
    assert_eq!(
        check(&menu(6, 1), Limits::Gsma),
        ["/menu/entries: 6 entries, at most 5"]
    );
    let level4 = sub("更多", vec![reply("a")]);
    let level3 = sub("明细", vec![level4]);
    let deep = with(&menu(1, 1), "/menu/entries/0/menu/entries/0", Some(level3));
    assert_eq!(
        check(&deep, Limits::Gsma),
        ["/menu/entries/0/menu/entries/0/menu/entries/0/menu: a menu of level 4, at most 3 levels"]
    );
}

#[test]
fn entries_and_sub_menus() {
    for limits in [Limits::Gsma, Limits::China] {
        assert_eq!(
            check(&json!({}), limits),
            ["/menu: required member missing"]
        );
        assert_eq!(
            check(&json!({ "menu": {} }), limits),
            ["/menu/entries: required member missing"]
        );
        assert_eq!(
            check(&json!({ "menu": { "entries": [] } }), limits),
            ["/menu/entries: 0 entries, at least 1"]
        );
        let s = "/menu/entries/0/menu";
        assert_eq!(
            check(
                &with(&menu(1, 1), &format!("{s}/displayText"), None),
                limits
            ),
            [format!("{s}/displayText: required member missing")]
        );
        assert_eq!(
            check(
                &with(
                    &menu(1, 1),
                    &format!("{s}/displayText"),
                    Some(chars('账', 26))
                ),
                limits
            ),
            [format!("{s}/displayText: 26 characters, at most 25")]
        );
        assert_eq!(
            check(
                &with(&menu(1, 1), &format!("{s}/entries"), Some(json!([]))),
                limits
            ),
            [format!("{s}/entries: 0 entries, at least 1")]
        );
        assert_eq!(
            check(
                &with(&menu(2, 1), "/menu/entries/1", Some(json!({}))),
                limits
            ),
            ["/menu/entries/1: needs one of reply, action, menu"]
        );
        assert_eq!(
            check(
                &with(
                    &menu(2, 1),
                    "/menu/entries/1/reply/displayText",
                    Some(chars('客', 26))
                ),
                limits
            ),
            ["/menu/entries/1/reply/displayText: 26 characters, at most 25"]
        );
        let open = json!({ "action": { "displayText": "官网", "urlAction": { "openUrl": { "url": "https://bank.example.cn" } } } });
        assert_eq!(
            check(&with(&menu(2, 1), "/menu/entries/1", Some(open)), limits),
            ["/menu/entries/1/action/urlAction/openUrl/application: required member missing"]
        );
    }
}
