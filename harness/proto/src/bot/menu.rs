//! The persistent menu `{"menu":{"entries":[..]}}` of a chatbot (protocols.md §7.4, the GSMA
//! chatbot menu schema): entries are suggested replies, suggested actions or sub-menus
//! `{"menu":{"displayText":..,"entries":[..]}}`.
//!
//! GSMA: three levels (the top and two levels of sub-menu), 1..5 entries each. Under
//! [`Limits::China`] (CT/CU): two levels, at most 3 top-level and 5 sub-menu entries. A sub-menu
//! beyond the last level is an error and is not looked into, so the check's depth is bounded.

use serde_json::Value;

use super::schema::{Checker, child, item};
use super::suggestions::{MAX_DISPLAY_TEXT, action, reply};
use super::{BotError, Limits};

/// Validates a persistent menu document.
pub fn validate_menu(doc: &Value, limits: Limits) -> Vec<BotError> {
    let mut ck = Checker::new(limits);
    let Some(root) = ck.object(doc, "", &["menu"]) else {
        return ck.errors;
    };
    let Some(menu) = ck.required(root, "", "menu") else {
        return ck.errors;
    };
    if let Some(map) = ck.object(menu, "/menu", &["entries"])
        && let Some(list) = ck.required(map, "/menu", "entries")
    {
        entries(&mut ck, list, "/menu/entries", 1);
    }
    ck.errors
}

/// The entries of the menu at `level` (the top is 1).
fn entries(ck: &mut Checker, v: &Value, ptr: &str, level: usize) {
    let max = match level {
        1 => ck.limits.menu_top_entries(),
        _ => ck.limits.menu_sub_entries(),
    };
    let list = ck.array(v, ptr, 1, max, "entries").unwrap_or_default();
    for (i, entry) in list.iter().enumerate() {
        let entry_ptr = item(ptr, i);
        let kinds = ["reply", "action", "menu"];
        let Some(map) = ck.object(entry, &entry_ptr, &kinds) else {
            continue;
        };
        match ck.one_of(map, &entry_ptr, &kinds) {
            Some(("reply", v)) => reply(ck, v, &child(&entry_ptr, "reply")),
            Some(("action", v)) => action(ck, v, &child(&entry_ptr, "action")),
            Some((_, v)) => sub_menu(ck, v, &child(&entry_ptr, "menu"), level + 1),
            None => {}
        }
    }
}

/// A sub-menu entry at `level`.
fn sub_menu(ck: &mut Checker, v: &Value, ptr: &str, level: usize) {
    let levels = ck.limits.menu_levels();
    if level > levels {
        ck.error(
            ptr,
            format!("a menu of level {level}, at most {levels} levels"),
        );
        return;
    }
    let Some(map) = ck.object(v, ptr, &["displayText", "entries"]) else {
        return;
    };
    if let Some(text) = ck.required(map, ptr, "displayText") {
        ck.text(text, &child(ptr, "displayText"), 1, MAX_DISPLAY_TEXT);
    }
    if let Some(list) = ck.required(map, ptr, "entries") {
        entries(ck, list, &child(ptr, "entries"), level);
    }
}
