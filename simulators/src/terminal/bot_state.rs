//! What a terminal remembers of its chatbot conversations (protocols.md §3.1, §7; TRM-CAP-004,
//! TRM-BOT-*): which peers it knows to be chatbots, which the user blocked, the bot messages it
//! received (validity, violations, suggestions) and the persistent menus bot information gave it.
//!
//! Peers are keyed by their lowercased URI without parameters. Everything is capped so a flood
//! of bot messages cannot grow memory without bound. Nothing here does I/O or judges: `bot_in`
//! fills it as messages arrive, the bot actions read it.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Mutex, MutexGuard};

use rcs_proto::bot::Suggestion;

/// Most bot messages remembered; older ones are forgotten first.
const MAX_MESSAGES: usize = 256;

/// Most chatbots remembered as detected, blocked or with a menu.
const MAX_BOTS: usize = 256;

/// One bot message as the terminal read it.
#[derive(Clone, Debug)]
pub(crate) struct BotMessage {
    /// The chatbot URI (CPIM From, else the asserted identity).
    pub bot: String,
    pub message_id: Option<String>,
    pub conversation_id: Option<String>,
    pub contribution_id: Option<String>,
    /// The CPIM inner content type.
    pub content_type: String,
    /// Violations of the chatbot content rules (rcs_proto::bot, China limits), as text.
    pub errors: Vec<String>,
    /// Every suggestion the user can tap, in order.
    pub suggestions: Vec<Suggestion>,
}

impl BotMessage {
    pub(crate) fn valid(&self) -> bool {
        self.errors.is_empty()
    }
}

/// A persistent menu read from bot information (§7.4 menu, §7.6).
#[derive(Clone, Debug, Default)]
pub(crate) struct Menu {
    pub etag: Option<String>,
    /// The tappable entries, sub-menus flattened in order.
    pub entries: Vec<Suggestion>,
    /// What the user sees: `displayText`s, sub-menu entries as `parent > child`.
    pub shown: Vec<String>,
    pub errors: Vec<String>,
}

#[derive(Debug, Default)]
struct Inner {
    detected: HashSet<String>,
    blocked: HashSet<String>,
    messages: VecDeque<BotMessage>,
    /// Bot messages answered but not shown because their chatbot is blocked.
    suppressed: usize,
    menus: HashMap<String, Menu>,
}

/// The chatbot memory of one terminal.
#[derive(Debug, Default)]
pub(crate) struct Bots(Mutex<Inner>);

impl Bots {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `uri` is a chatbot (learnt from OPTIONS or a message from it).
    pub(crate) fn detected(&self, uri: &str) {
        let mut inner = self.lock();
        if inner.detected.len() >= MAX_BOTS {
            inner.detected.clear();
        }
        inner.detected.insert(key(uri));
    }

    pub(crate) fn is_detected(&self, uri: &str) -> bool {
        self.lock().detected.contains(&key(uri))
    }

    pub(crate) fn set_blocked(&self, uri: &str, blocked: bool) {
        let mut inner = self.lock();
        match blocked {
            true if inner.blocked.len() < MAX_BOTS => {
                inner.blocked.insert(key(uri));
            }
            true => {}
            false => {
                inner.blocked.remove(&key(uri));
            }
        }
    }

    pub(crate) fn is_blocked(&self, uri: &str) -> bool {
        self.lock().blocked.contains(&key(uri))
    }

    /// A bot message answered but not shown.
    pub(crate) fn suppress(&self) {
        let mut inner = self.lock();
        inner.suppressed = inner.suppressed.saturating_add(1);
    }

    pub(crate) fn suppressed(&self) -> usize {
        self.lock().suppressed
    }

    /// Remembers a bot message shown to the user.
    pub(crate) fn remember(&self, message: BotMessage) {
        let mut inner = self.lock();
        if inner.messages.len() >= MAX_MESSAGES {
            inner.messages.pop_front();
        }
        inner.messages.push_back(message);
    }

    /// How many bot messages were shown, and the last (from `bot` when given).
    pub(crate) fn last(&self, bot: Option<&str>) -> (usize, Option<BotMessage>) {
        let inner = self.lock();
        let wanted = bot.map(key);
        let mine = |m: &&BotMessage| wanted.as_ref().is_none_or(|k| *k == key(&m.bot));
        let count = inner.messages.iter().filter(mine).count();
        (count, inner.messages.iter().rev().find(mine).cloned())
    }

    /// The bot message with this `imdn.Message-ID`.
    pub(crate) fn by_id(&self, message_id: &str) -> Option<BotMessage> {
        let inner = self.lock();
        inner
            .messages
            .iter()
            .rev()
            .find(|m| m.message_id.as_deref() == Some(message_id))
            .cloned()
    }

    /// The `imdn.Message-ID`s of the last `n` messages from `bot`, oldest first.
    pub(crate) fn recent_ids(&self, bot: &str, n: usize) -> Vec<String> {
        let inner = self.lock();
        let wanted = key(bot);
        let mut ids: Vec<String> = inner
            .messages
            .iter()
            .rev()
            .filter(|m| key(&m.bot) == wanted)
            .filter_map(|m| m.message_id.clone())
            .take(n)
            .collect();
        ids.reverse();
        ids
    }

    pub(crate) fn set_menu(&self, bot: &str, menu: Menu) {
        let mut inner = self.lock();
        if inner.menus.len() >= MAX_BOTS {
            inner.menus.clear();
        }
        inner.menus.insert(key(bot), menu);
    }

    pub(crate) fn menu(&self, bot: &str) -> Option<Menu> {
        self.lock().menus.get(&key(bot)).cloned()
    }
}

/// A URI as a key: inside `<>` if any, parameters and headers dropped, lowercased.
pub(crate) fn key(uri: &str) -> String {
    let uri = uri.trim();
    let uri = match (uri.find('<'), uri.find('>')) {
        (Some(open), Some(close)) if open < close => &uri[open + 1..close],
        _ => uri,
    };
    let end = uri.find([';', '?']).unwrap_or(uri.len());
    uri[..end].trim().to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOT: &str = "sip:12599@botplatform.rcs.chinamobile.com";

    fn message(bot: &str, id: &str) -> BotMessage {
        BotMessage {
            bot: bot.to_owned(),
            message_id: Some(id.to_owned()),
            conversation_id: None,
            contribution_id: None,
            content_type: "text/plain".to_owned(),
            errors: Vec::new(),
            suggestions: Vec::new(),
        }
    }

    #[test]
    fn keys_ignore_brackets_params_and_case() {
        assert_eq!(
            key("<SIP:12599@BotPlatform.rcs.chinamobile.com>;tag=1"),
            BOT
        );
        assert_eq!(key("sip:12599@botplatform.rcs.chinamobile.com;user=x"), BOT);
        assert_eq!(key(" tel:+86138 "), "tel:+86138");
    }

    #[test]
    fn detection_and_blocking_are_per_bot() {
        let bots = Bots::default();
        assert!(!bots.is_detected(BOT));
        bots.detected(&format!("<{BOT}>"));
        assert!(bots.is_detected(BOT));
        bots.set_blocked(BOT, true);
        assert!(bots.is_blocked(&format!("{BOT};x=y")));
        assert!(!bots.is_blocked("sip:106500@botplatform.rcs.domain.cn"));
        bots.set_blocked(BOT, false);
        assert!(!bots.is_blocked(BOT));
    }

    #[test]
    fn messages_are_found_per_bot_and_capped() {
        let bots = Bots::default();
        let other = "sip:106500@botplatform.rcs.domain.cn";
        for n in 0..MAX_MESSAGES + 3 {
            bots.remember(message(BOT, &format!("m{n}")));
        }
        bots.remember(message(other, "o1"));
        let (count, last) = bots.last(Some(BOT));
        assert_eq!(count, MAX_MESSAGES - 1);
        assert_eq!(
            last.unwrap().message_id.as_deref(),
            Some(&*format!("m{}", MAX_MESSAGES + 2))
        );
        assert_eq!(bots.last(None).1.unwrap().bot, other);
        assert!(bots.by_id("m0").is_none());
        let ids = bots.recent_ids(BOT, 2);
        assert_eq!(
            ids,
            [
                format!("m{}", MAX_MESSAGES + 1),
                format!("m{}", MAX_MESSAGES + 2)
            ]
        );
    }
}
