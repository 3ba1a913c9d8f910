//! The MaaP's policy decisions (protocols.md §10.1, §10.2): whether a chatbot's send request is
//! admitted at all, and whether one recipient of an admitted request may be reached.
//!
//! A whole request is refused, in this order, when the chatbot is paused (status 2), when it lacks
//! the right the request needs (the push right for a message it starts, the interaction right for
//! a reply to a user, CMCC `State` bits 1 and 2), when it already sent its per-second quota within
//! the last second (`concurrent`, CT/CU 30003), when it already sent its daily quota on this day of
//! the case clock (`amount`, CT/CU 30001), when any text it carries contains a sensitive word
//! (CT/CU 60001), or when its content breaks the chatbot schemas under the China limits
//! (`rcs_proto::bot::validate_content`). Only an admitted request counts towards the quotas.
//! A recipient is refused before any SIP is sent when the user has blocked the chatbot (status
//! errorCode 5) or the chatbot is in debug (status 1) and the user is not on its whitelist, and
//! when the user is out of the chatbot's reach: another carrier's without the other-net right,
//! or another province's for a province-only chatbot (`carrier`, errorCode 1).
//!
//! Quotas count requests, not recipients, on the case clock ([`rcs_harness::clock::Clock`]
//! instants handed in by the caller): the per-second window slides, the day is counted from the
//! first request the policy sees. Monthly and yearly caps, service ranges and traffic-type
//! allow-lists of §10.2 are not modelled. This module decides only; the engine answers the API
//! call, writes the CDR and sends.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rcs_proto::bot::{Limits, validate_content};

use super::carrier::CarrierRules;
use super::chatbots::{BotStatus, Chatbot};
use super::engine::{FailCause, Outbound, Refusal};
use super::settings::{MaapSettings, same_uri};

/// The window of the per-second quota.
const RATE_WINDOW: Duration = Duration::from_secs(1);

/// The length of a quota day.
const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// The most chatbots whose counts are kept (a lab platform never has more).
const MAX_COUNTED_CHATBOTS: usize = 1024;

/// The most instants kept per chatbot for the rate window (a per-second quota above this is
/// treated as this).
const RECENT_KEPT: usize = 100_000;

/// The misbehaviours of the `maap` fault table that bend a policy decision.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct PolicyFaults {
    /// `maap.no-rate-limit`: the per-second quota is never applied.
    pub no_rate_limit: bool,
    /// `maap.no-daily-cap`: the daily quota is never applied.
    pub no_daily_cap: bool,
    /// `maap.sends-when-paused`: a paused chatbot's requests are admitted.
    pub sends_when_paused: bool,
    /// `maap.ignores-user-block`: users who blocked a chatbot still get its messages.
    pub ignores_user_block: bool,
    /// `maap.no-sensitive-filter`: sensitive words pass.
    pub no_sensitive_filter: bool,
    /// `maap.debug-to-anyone`: a debug chatbot reaches users outside its whitelist.
    pub debug_to_anyone: bool,
}

impl PolicyFaults {
    /// The policy faults among the role's fault ids (the others are ignored).
    pub(crate) fn from_ids(faults: &[String]) -> Self {
        let has = |id: &str| faults.iter().any(|f| f == id);
        Self {
            no_rate_limit: has("maap.no-rate-limit"),
            no_daily_cap: has("maap.no-daily-cap"),
            sends_when_paused: has("maap.sends-when-paused"),
            ignores_user_block: has("maap.ignores-user-block"),
            no_sensitive_filter: has("maap.no-sensitive-filter"),
            debug_to_anyone: has("maap.debug-to-anyone"),
        }
    }
}

/// What one chatbot has sent.
#[derive(Debug, Default)]
struct Counts {
    /// Instants of the requests admitted within the last [`RATE_WINDOW`], oldest first.
    recent: VecDeque<Instant>,
    /// The quota day `today` counts, and the requests admitted on it.
    day: u64,
    today: u32,
}

/// The policy of one MaaP: settings, faults and the quota counts.
#[derive(Debug)]
pub(crate) struct Policy {
    sensitive_words: Vec<String>,
    /// `(user, chatbot URI)` pairs, the user reduced by [`tel_key`].
    blocked: Vec<(String, String)>,
    faults: PolicyFaults,
    /// The start of quota day 0: the first instant a request was judged.
    epoch: Mutex<Option<Instant>>,
    counts: Mutex<HashMap<String, Counts>>,
    /// Other carriers' and provinces' users.
    carriers: CarrierRules,
}

impl Policy {
    /// The policy of `settings`, without faults.
    #[cfg(test)]
    pub fn new(settings: &MaapSettings) -> Policy {
        Self::with_faults(settings, PolicyFaults::default())
    }

    /// The policy of `settings` bent by `faults`.
    pub fn with_faults(settings: &MaapSettings, faults: PolicyFaults) -> Policy {
        Policy {
            sensitive_words: settings
                .sensitive_words
                .iter()
                .filter(|w| !w.is_empty())
                .cloned()
                .collect(),
            blocked: settings
                .blocked
                .iter()
                .map(|(user, bot)| (tel_key(user), bot.clone()))
                .collect(),
            faults,
            epoch: Mutex::new(None),
            counts: Mutex::new(HashMap::new()),
            carriers: CarrierRules::default(),
        }
    }

    /// This policy with the carrier and province rules `carriers`.
    pub fn with_carriers(mut self, carriers: CarrierRules) -> Policy {
        self.carriers = carriers;
        self
    }

    /// Whole-request decision (§10.2); an admitted request is counted towards the quotas.
    pub fn admit(&self, bot: &Chatbot, out: &Outbound, now: Instant) -> Result<(), Refusal> {
        self.status_and_rights(bot, out)?;
        self.content(out)?;
        self.count(bot, now)
    }

    /// Per recipient before any SIP: `Blocked` when the user blocked the chatbot, `NotFound`
    /// when a debug chatbot writes to a user outside its whitelist or out of its reach.
    pub fn per_recipient(&self, bot: &Chatbot, tel: &str) -> Option<FailCause> {
        let user = tel_key(tel);
        let blocked = self
            .blocked
            .iter()
            .any(|(u, b)| *u == user && same_uri(b, &bot.uri));
        if blocked && !self.faults.ignores_user_block {
            return Some(FailCause::Blocked);
        }
        let whitelisted = bot.whitelist.iter().any(|w| tel_key(w) == user);
        if bot.status == BotStatus::Debug && !whitelisted && !self.faults.debug_to_anyone {
            return Some(FailCause::NotFound);
        }
        self.carriers.refusal(bot, tel)
    }

    /// Status and rights (CMCC `State` bits 1 and 2, CT/CU status 2).
    fn status_and_rights(&self, bot: &Chatbot, out: &Outbound) -> Result<(), Refusal> {
        if bot.status == BotStatus::Paused && !self.faults.sends_when_paused {
            return Err(Refusal::Paused);
        }
        match out.interaction {
            true if !bot.interaction_right => Err(Refusal::NoInteractionRight),
            false if !bot.push_right => Err(Refusal::NoPushRight),
            _ => Ok(()),
        }
    }

    /// Sensitive words in any text the request carries, then the chatbot schemas.
    fn content(&self, out: &Outbound) -> Result<(), Refusal> {
        if !self.faults.no_sensitive_filter
            && let Some(word) = self.sensitive_word(out)
        {
            return Err(Refusal::SensitiveWord(word.to_owned()));
        }
        match validate_content(&out.content_type, &out.body, Limits::China) {
            Err(detail) => Err(Refusal::InvalidContent(detail)),
            Ok(errors) => match errors.first() {
                Some(first) => Err(Refusal::InvalidContent(first.to_string())),
                None => Ok(()),
            },
        }
    }

    /// The first sensitive word found in the content, the SMS text or the RCS fallback text.
    fn sensitive_word(&self, out: &Outbound) -> Option<&str> {
        let mut texts = vec![String::from_utf8_lossy(&out.body)];
        if let Some(sms) = &out.sms_text {
            texts.push(sms.as_str().into());
        }
        if let Some(body) = out.rcs_fallback.as_ref().and_then(|f| f.body.as_ref()) {
            texts.push(String::from_utf8_lossy(body));
        }
        self.sensitive_words
            .iter()
            .find(|word| texts.iter().any(|t| t.contains(word.as_str())))
            .map(String::as_str)
    }

    /// The quotas: refuses a request over one, else counts it.
    fn count(&self, bot: &Chatbot, now: Instant) -> Result<(), Refusal> {
        let day = self.day_of(now);
        let mut all = lock(&self.counts);
        if all.len() >= MAX_COUNTED_CHATBOTS && !all.contains_key(&bot.uri) {
            all.clear();
        }
        let counts = all.entry(bot.uri.clone()).or_default();
        while counts
            .recent
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= RATE_WINDOW)
        {
            counts.recent.pop_front();
        }
        if counts.day != day {
            counts.day = day;
            counts.today = 0;
        }
        let per_second = bot.per_second.filter(|_| !self.faults.no_rate_limit);
        if per_second.is_some_and(|limit| counts.recent.len() >= limit as usize) {
            return Err(Refusal::RateLimited);
        }
        let daily_cap = bot.daily_cap.filter(|_| !self.faults.no_daily_cap);
        if daily_cap.is_some_and(|cap| counts.today >= cap) {
            return Err(Refusal::DailyCap);
        }
        counts.recent.push_back(now);
        if counts.recent.len() > RECENT_KEPT {
            counts.recent.pop_front();
        }
        counts.today = counts.today.saturating_add(1);
        Ok(())
    }

    /// The quota day of `now`, day 0 starting at the first instant judged.
    fn day_of(&self, now: Instant) -> u64 {
        let mut epoch = lock(&self.epoch);
        let start = *epoch.get_or_insert(now);
        (now.saturating_duration_since(start).as_secs()) / DAY.as_secs()
    }
}

/// A user identity reduced for comparison: `tel:` and parameters dropped, visual separators
/// removed (RFC 3966 5.1.1), so `tel:+86-139-0000-0002` equals `+8613900000002`.
fn tel_key(user: &str) -> String {
    let bare = user.trim();
    let bare = bare
        .strip_prefix("tel:")
        .or_else(|| bare.strip_prefix("TEL:"))
        .unwrap_or(bare);
    let bare = bare.split(';').next().unwrap_or(bare);
    bare.chars()
        .filter(|c| !matches!(c, '-' | '.' | '(' | ')' | ' '))
        .collect::<String>()
        .to_ascii_lowercase()
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;
