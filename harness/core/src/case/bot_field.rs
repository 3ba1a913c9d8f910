//! The fields of the `bot:` check subject: what a case can read of the chatbot content of a
//! message (protocols.md §7.2-§7.5; GSMA RCC.07 §3.6.10).
//!
//! `valid`, `errors` and `gsma-errors` judge the content against the chatbot schemas
//! (China limits, then the GSMA ones); `suggestions` counts what a user can tap and
//! `suggestion.<n>.text|postback|kind` reads one of them (1-based, cards first, then the chip
//! list); `cards` counts the rich cards; `content-type` names the content; `response.postback`
//! and `response.text` read a user's tap. This module only parses and names the fields; reading
//! them from a message is [`crate::check::bot`].

use std::fmt;

use crate::case::suggest::hint;

/// A field of `bot: <field>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BotField {
    /// `true` when the content has no error under the China limits.
    Valid,
    /// The errors under the China limits, joined with `; ` (`""` when valid).
    Errors,
    /// The errors under the GSMA limits alone.
    GsmaErrors,
    /// How many suggestions the content offers.
    Suggestions,
    /// One suggestion, counted from 1.
    Suggestion { n: usize, part: SuggestionPart },
    /// 1 for a standalone card, the number of cards of a carousel, else 0.
    Cards,
    /// The media type of the content (of the message part of a §7.2 multipart).
    ContentType,
    /// `postback.data` of a suggestion response.
    ResponsePostback,
    /// `displayText` of a suggestion response.
    ResponseText,
}

/// What `suggestion.<n>.<part>` reads of one suggestion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SuggestionPart {
    /// `displayText`.
    Text,
    /// `postback.data`.
    Postback,
    /// `reply`, or the action's name such as `urlAction.openUrl`.
    Kind,
}

/// The fields a case may name, `<n>` standing for a suggestion's number.
pub const BOT_FIELDS: [&str; 11] = [
    "valid",
    "errors",
    "gsma-errors",
    "suggestions",
    "suggestion.<n>.text",
    "suggestion.<n>.postback",
    "suggestion.<n>.kind",
    "cards",
    "content-type",
    "response.postback",
    "response.text",
];

/// The parts of `suggestion.<n>.<part>`.
const SUGGESTION_PARTS: [&str; 3] = ["text", "postback", "kind"];

impl BotField {
    /// Parse the text after `bot:`; the error says what to write instead.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let field = match text {
            "valid" => Self::Valid,
            "errors" => Self::Errors,
            "gsma-errors" => Self::GsmaErrors,
            "suggestions" => Self::Suggestions,
            "cards" => Self::Cards,
            "content-type" => Self::ContentType,
            "response.postback" => Self::ResponsePostback,
            "response.text" => Self::ResponseText,
            _ if text.starts_with("suggestion.") => return suggestion(text),
            _ => {
                return Err(format!(
                    "unknown `bot` field `{text}`: {}",
                    hint(text, BOT_FIELDS)
                ));
            }
        };
        Ok(field)
    }
}

/// `suggestion.<n>.<part>`, n from 1.
fn suggestion(text: &str) -> Result<BotField, String> {
    let usage =
        "write `suggestion.<n>.text`, `suggestion.<n>.postback` or `suggestion.<n>.kind`, n from 1";
    let mut pieces = text.splitn(3, '.').skip(1);
    let (Some(n), Some(part)) = (pieces.next(), pieces.next()) else {
        return Err(format!("`{text}` names no suggestion: {usage}"));
    };
    let n: usize = match n.parse() {
        Ok(0) => return Err(format!("`{text}`: suggestions count from 1; {usage}")),
        Ok(n) => n,
        Err(_) => return Err(format!("`{text}`: `{n}` is not a number; {usage}")),
    };
    let part = match part {
        "text" => SuggestionPart::Text,
        "postback" => SuggestionPart::Postback,
        "kind" => SuggestionPart::Kind,
        other => {
            return Err(format!(
                "unknown suggestion field `{other}` in `{text}`: {}",
                hint(other, SUGGESTION_PARTS)
            ));
        }
    };
    Ok(BotField::Suggestion { n, part })
}

impl fmt::Display for SuggestionPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Text => "text",
            Self::Postback => "postback",
            Self::Kind => "kind",
        })
    }
}

impl fmt::Display for BotField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Valid => f.write_str("valid"),
            Self::Errors => f.write_str("errors"),
            Self::GsmaErrors => f.write_str("gsma-errors"),
            Self::Suggestions => f.write_str("suggestions"),
            Self::Suggestion { n, part } => write!(f, "suggestion.{n}.{part}"),
            Self::Cards => f.write_str("cards"),
            Self::ContentType => f.write_str("content-type"),
            Self::ResponsePostback => f.write_str("response.postback"),
            Self::ResponseText => f.write_str("response.text"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_parses_and_prints_as_written() {
        for text in [
            "valid",
            "errors",
            "gsma-errors",
            "suggestions",
            "suggestion.1.text",
            "suggestion.11.postback",
            "suggestion.2.kind",
            "cards",
            "content-type",
            "response.postback",
            "response.text",
        ] {
            let field = BotField::parse(text).unwrap();
            assert_eq!(field.to_string(), text);
        }
        assert_eq!(
            BotField::parse(" suggestion.3.postback ").unwrap(),
            BotField::Suggestion {
                n: 3,
                part: SuggestionPart::Postback
            }
        );
    }

    #[test]
    fn misspelt_fields_say_what_to_write() {
        let e = BotField::parse("suggestons").unwrap_err();
        assert_eq!(
            e,
            "unknown `bot` field `suggestons`: did you mean `suggestions`?"
        );
        let e = BotField::parse("gsma-valid").unwrap_err();
        assert!(e.contains("unknown `bot` field `gsma-valid`"), "{e}");
        let e = BotField::parse("nonsense-here").unwrap_err();
        assert!(e.contains("expected one of `valid`"), "{e}");
        let e = BotField::parse("sugestion.1.text").unwrap_err();
        assert!(e.contains("did you mean `suggestion.<n>.text`?"), "{e}");
        let e = BotField::parse("suggestion.0.text").unwrap_err();
        assert!(e.contains("count from 1"), "{e}");
        let e = BotField::parse("suggestion.two.text").unwrap_err();
        assert!(e.contains("`two` is not a number"), "{e}");
        let e = BotField::parse("suggestion.2.postbak").unwrap_err();
        assert!(e.contains("did you mean `postback`?"), "{e}");
        let e = BotField::parse("suggestion.2").unwrap_err();
        assert!(e.contains("names no suggestion"), "{e}");
        let e = BotField::parse("suggestion.2.text.more").unwrap_err();
        assert!(e.contains("unknown suggestion field `text.more`"), "{e}");
    }
}
