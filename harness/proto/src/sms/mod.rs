//! SMS over IP (3GPP TS 24.341): the `application/vnd.3gpp.sms` body of a SIP MESSAGE, an RP-DATA
//! (TS 24.011 7.3.1) around an SMS-SUBMIT or SMS-DELIVER TPDU (TS 23.040 9.2.2), encoded and
//! decoded without I/O.
//!
//! Text is written in the GSM 7-bit default alphabet when it fits it, else in UCS2 (Chinese,
//! emoji); text too long for one message is split into parts carrying a concatenation header with
//! an 8-bit reference (TS 23.040 9.2.3.24.1): 153 septets or 67 UTF-16 units per part, never
//! splitting an escape sequence or a surrogate pair. [`reassemble`] joins parts again.
//!
//! Not covered: RP-ACK/RP-ERROR/RP-SMMA, status reports and commands, 8-bit data, national
//! language shift tables, alphanumeric addresses, 16-bit concatenation references, the
//! IP-SM-GW's own procedures (TS 24.341 5.3.2).

mod address;
mod gsm7;
mod rp;
mod tpdu;
mod user_data;

#[cfg(test)]
mod tests;

pub use gsm7::is_gsm7;
pub use rp::RpData;
pub use tpdu::{SmsDeliver, SmsSubmit, Tpdu, Validity};
pub use user_data::{Coding, Concat, MAX_OCTETS, MAX_SEPTETS, UserData};

/// The SIP Content-Type of SMS over IP (TS 24.341 7.3).
pub const CONTENT_TYPE: &str = "application/vnd.3gpp.sms";

/// Largest RP message read (RP header, two addresses and a TPDU of at most 255 octets).
pub const MAX_RP_SIZE: usize = 300;

/// Most parts one text may be split into (the concatenation element counts to 255).
pub const MAX_PARTS: usize = 255;

/// Septets of text in one part with a concatenation header.
const GSM7_PART: usize = 153;
/// UTF-16 units of text in one part with a concatenation header.
const UCS2_PART: usize = 67;

/// Why an SMS could not be read or written. Each message completes "failed to ...".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SmsError {
    /// The bytes end inside a construct.
    #[error("read the {construct}: it is cut short")]
    Truncated {
        /// The construct being read.
        construct: &'static str,
    },
    /// A field holds a value this codec refuses.
    #[error("read the {construct}: {detail}")]
    Invalid {
        /// The construct at fault.
        construct: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// A value cannot be written.
    #[error("write the {construct}: {detail}")]
    Unencodable {
        /// The construct at fault.
        construct: &'static str,
        /// What is wrong with it.
        detail: String,
    },
}

/// The user data of `text`: one part when it fits a message, else parts numbered 1..n with the
/// concatenation `reference`.
pub fn split_text(text: &str, reference: u8) -> Result<Vec<UserData>, SmsError> {
    let coding = Coding::for_text(text);
    let units = match coding {
        Coding::Gsm7 => gsm7_units(text),
        Coding::Ucs2 => ucs2_units(text),
    };
    let (single, part) = match coding {
        Coding::Gsm7 => (MAX_SEPTETS, GSM7_PART),
        Coding::Ucs2 => (MAX_OCTETS / 2, UCS2_PART),
    };
    let total: usize = units.iter().map(|(_, n)| n).sum();
    if total <= single {
        return Ok(vec![UserData {
            coding,
            concat: None,
            text: text.to_owned(),
        }]);
    }
    let chunks = chunk(&units, part);
    if chunks.len() > MAX_PARTS {
        return Err(SmsError::Unencodable {
            construct: "concatenated message",
            detail: format!("{} parts exceed {MAX_PARTS}", chunks.len()),
        });
    }
    let count = chunks.len() as u8;
    Ok(chunks
        .into_iter()
        .enumerate()
        .map(|(n, text)| UserData {
            coding,
            concat: Some(Concat {
                reference,
                total: count,
                sequence: n as u8 + 1,
            }),
            text,
        })
        .collect())
}

/// Every character with its size in septets.
fn gsm7_units(text: &str) -> Vec<(char, usize)> {
    text.chars()
        .map(|c| (c, gsm7::septets_of(c).map_or(1, |s| s.len())))
        .collect()
}

/// Every character with its size in UTF-16 units.
fn ucs2_units(text: &str) -> Vec<(char, usize)> {
    text.chars().map(|c| (c, c.len_utf16())).collect()
}

/// Greedy parts of at most `size` units; a character never straddles two parts.
fn chunk(units: &[(char, usize)], size: usize) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut used = 0;
    for &(c, n) in units {
        if used + n > size {
            parts.push(String::new());
            used = 0;
        }
        if let Some(last) = parts.last_mut() {
            last.push(c);
        }
        used += n;
    }
    parts
}

/// Joins the parts of one concatenated message in sequence order; `None` when a part is missing,
/// doubled, or belongs to another message.
pub fn reassemble(parts: &[UserData]) -> Option<String> {
    let first = parts.first()?.concat;
    let Some(first) = first else {
        return (parts.len() == 1).then(|| parts.first().map(|p| p.text.clone()))?;
    };
    let mut ordered: Vec<Option<&str>> = vec![None; usize::from(first.total)];
    for part in parts {
        let c = part.concat?;
        if c.reference != first.reference || c.total != first.total {
            return None;
        }
        let slot = ordered.get_mut(usize::from(c.sequence).checked_sub(1)?)?;
        if slot.replace(&part.text).is_some() {
            return None;
        }
    }
    ordered
        .into_iter()
        .collect::<Option<Vec<_>>>()
        .map(|t| t.concat())
}

/// The RP-DATA bodies (one per part) of an SMS-SUBMIT of `text` to `destination` through the
/// service centre `centre`, with RP and TP message references from `reference` onwards.
pub fn submit_text(
    text: &str,
    destination: &str,
    centre: &str,
    reference: u8,
) -> Result<Vec<Vec<u8>>, SmsError> {
    split_text(text, reference)?
        .into_iter()
        .enumerate()
        .map(|(n, user_data)| {
            let mr = reference.wrapping_add(n as u8);
            RpData {
                message_reference: mr,
                service_centre: Some(centre.to_owned()),
                tpdu: Tpdu::Submit(SmsSubmit {
                    reject_duplicates: false,
                    status_report_request: false,
                    reply_path: false,
                    message_reference: mr,
                    destination: destination.to_owned(),
                    protocol_id: 0,
                    validity: Validity::None,
                    user_data,
                }),
            }
            .encode()
        })
        .collect()
}
