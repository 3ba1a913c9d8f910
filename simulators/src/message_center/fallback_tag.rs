//! How the message center tells its users which network services it offers (protocols.md §4.9,
//! §9.2): the RFC 6809 `Feature-Caps` value of its `200` to REGISTER.
//!
//! Revoke is always offered (`+g.gsma.rcs.msgrevoke`); network-based SMS fallback
//! (`+g.gsma.rcs.msgfallback`) only with the setting `fallback: sms`. The tag names are verified
//! (protocols.md §9.2); the header that carries them to the client is not: see
//! docs/protocol-notes.md "Network SMS fallback". The fault `message-center.no-fallback-tag`
//! leaves the fallback tag out while fallback stays on (IWK-SMS-002).
//!
//! Not here: what the terminal makes of the value (`terminal::register`).

use super::super::config::{Config, Fault};

/// Network-based fallback to SMS (protocols.md §9.2 mechanism 2).
pub const MSG_FALLBACK: &str = "+g.gsma.rcs.msgfallback";

/// The revoke service (protocols.md §4.9).
pub const MSG_REVOKE: &str = "+g.gsma.rcs.msgrevoke";

/// The `Feature-Caps` value of the `200` to REGISTER (RFC 6809 6.2: `*` and the feature tags).
pub fn feature_caps(config: &Config) -> String {
    let fallback = super::enabled(&config.settings) && !config.faults.has(Fault::NoFallbackTag);
    match fallback {
        true => format!("*;{MSG_REVOKE};{MSG_FALLBACK}"),
        false => format!("*;{MSG_REVOKE}"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::super::super::config::{Faults, Settings};
    use super::*;

    fn config(settings: serde_json::Value, faults: &[&str]) -> Config {
        let ids: Vec<String> = faults.iter().map(|f| (*f).to_owned()).collect();
        Config {
            settings: Settings::from_map(settings.as_object().unwrap()).unwrap(),
            faults: Faults::from_ids(&ids).unwrap(),
        }
    }

    #[test]
    fn the_fallback_tag_follows_the_setting() {
        let on = feature_caps(&config(json!({"fallback": "sms"}), &[]));
        assert_eq!(on, "*;+g.gsma.rcs.msgrevoke;+g.gsma.rcs.msgfallback");
        let off = feature_caps(&config(json!({}), &[]));
        assert_eq!(off, "*;+g.gsma.rcs.msgrevoke");
        let faulty = feature_caps(&config(
            json!({"fallback": "sms"}),
            &["message-center.no-fallback-tag"],
        ));
        assert_eq!(faulty, off, "the fault hides the tag");
    }
}
