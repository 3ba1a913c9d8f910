//! Durations as case files write them: `2s`, `500ms`, `1.5s`, `2m`, `1h`.

use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// A duration written in a case file. Keeps its text for reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseDuration {
    pub duration: Duration,
    pub text: String,
}

impl CaseDuration {
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        let split = t
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| format!("`{t}` has no unit: write e.g. `2s`, `500ms`, `1m`"))?;
        let (number, unit) = t.split_at(split);
        let value: f64 = number
            .parse()
            .map_err(|_| format!("`{t}` does not start with a number"))?;
        let seconds = match unit {
            "ms" => value / 1000.0,
            "s" => value,
            "m" | "min" => value * 60.0,
            "h" => value * 3600.0,
            other => {
                return Err(format!(
                    "unknown unit `{other}` in `{t}`: use ms, s, m or h"
                ));
            }
        };
        if !seconds.is_finite() || !(0.0..=7.0 * 86400.0).contains(&seconds) {
            return Err(format!("`{t}` is out of range (0 to 7 days)"));
        }
        Ok(Self {
            duration: Duration::from_secs_f64(seconds),
            text: t.to_owned(),
        })
    }
}

impl<'de> Deserialize<'de> for CaseDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl std::fmt::Display for CaseDuration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        assert_eq!(
            CaseDuration::parse("2s").unwrap().duration,
            Duration::from_secs(2)
        );
        assert_eq!(
            CaseDuration::parse("500ms").unwrap().duration,
            Duration::from_millis(500)
        );
        assert_eq!(
            CaseDuration::parse("1.5s").unwrap().duration,
            Duration::from_millis(1500)
        );
        assert_eq!(
            CaseDuration::parse("2m").unwrap().duration,
            Duration::from_secs(120)
        );
    }

    #[test]
    fn rejects_bad_text_with_a_hint() {
        assert!(CaseDuration::parse("2").unwrap_err().contains("no unit"));
        assert!(
            CaseDuration::parse("2 weeks")
                .unwrap_err()
                .contains("unknown unit")
        );
        assert!(CaseDuration::parse("s").unwrap_err().contains("number"));
        assert!(
            CaseDuration::parse("9999h")
                .unwrap_err()
                .contains("out of range")
        );
    }
}
