//! TP-User-Data with its length and data coding scheme: GSM 7-bit default alphabet or UCS2
//! (TS 23.038 4, TS 23.040 9.2.3.16, 9.2.3.24), and the concatenation header with an 8-bit
//! reference (TS 23.040 9.2.3.24.1).
//!
//! UCS2 is written as UTF-16BE, so characters beyond the BMP (4-byte emoji) travel as surrogate
//! pairs, as handsets send them. 8-bit data, compressed text and header elements other than
//! concatenation are not supported: other elements are skipped on read and never written.

use super::{SmsError, gsm7};

/// Most septets in a GSM 7-bit user data (TS 23.040 9.2.3.16).
pub const MAX_SEPTETS: usize = 160;
/// Most octets in a UCS2 user data.
pub const MAX_OCTETS: usize = 140;

/// The alphabet of a user data (TP-DCS, TS 23.038 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coding {
    /// The GSM 7-bit default alphabet (DCS 0x00).
    Gsm7,
    /// UCS2, written as UTF-16BE (DCS 0x08).
    Ucs2,
}

impl Coding {
    /// The alphabet `text` needs: GSM 7-bit when every character has a septet, else UCS2.
    pub fn for_text(text: &str) -> Self {
        match gsm7::is_gsm7(text) {
            true => Self::Gsm7,
            false => Self::Ucs2,
        }
    }

    /// The TP-DCS octet (general data coding, no class, uncompressed).
    pub fn dcs(self) -> u8 {
        match self {
            Self::Gsm7 => 0x00,
            Self::Ucs2 => 0x08,
        }
    }

    /// Reads a TP-DCS octet: the general data coding groups and group 1111.
    pub fn from_dcs(dcs: u8) -> Result<Self, SmsError> {
        let bad = |detail: &str| SmsError::Invalid {
            construct: "TP-DCS",
            detail: format!("0x{dcs:02X}: {detail}"),
        };
        match dcs >> 4 {
            0x0..=0x3 if dcs & 0x20 != 0 => Err(bad("compressed text is not supported")),
            0x0..=0x3 => match (dcs >> 2) & 0x3 {
                0 => Ok(Self::Gsm7),
                2 => Ok(Self::Ucs2),
                _ => Err(bad(
                    "8-bit data and the reserved alphabet are not supported",
                )),
            },
            0xF if dcs & 0x04 == 0 => Ok(Self::Gsm7),
            _ => Err(bad("only the GSM 7-bit and UCS2 alphabets are supported")),
        }
    }
}

/// One part of a concatenated message (IEI 0x00, 8-bit reference).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Concat {
    /// The same in every part of one message.
    pub reference: u8,
    /// How many parts the message has (1-255).
    pub total: u8,
    /// This part's number, from 1.
    pub sequence: u8,
}

/// A decoded TP-User-Data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserData {
    pub coding: Coding,
    /// The concatenation header element, when the text is one part of a longer message.
    pub concat: Option<Concat>,
    pub text: String,
}

impl UserData {
    /// Writes TP-UDL and TP-UD; returns them and whether a header is present (TP-UDHI).
    pub(crate) fn encode(&self) -> Result<(Vec<u8>, bool), SmsError> {
        let header = self
            .concat
            .map(|c| vec![5, 0x00, 3, c.reference, c.total, c.sequence]);
        let header_len = header.as_ref().map_or(0, Vec::len);
        let too_long = |detail: String| SmsError::Unencodable {
            construct: "TP-User-Data",
            detail,
        };
        let mut out = vec![0];
        out.extend(header.iter().flatten());
        let udl = match self.coding {
            Coding::Gsm7 => {
                let septets = gsm7::encode(&self.text)
                    .ok_or_else(|| too_long("the text is not in the GSM 7-bit alphabet".into()))?;
                let header_septets = (header_len * 8).div_ceil(7);
                let fill = header_septets * 7 - header_len * 8;
                out.extend(gsm7::pack(&septets, fill));
                header_septets + septets.len()
            }
            Coding::Ucs2 => {
                out.extend(self.text.encode_utf16().flat_map(u16::to_be_bytes));
                out.len() - 1
            }
        };
        let max = match self.coding {
            Coding::Gsm7 => MAX_SEPTETS,
            Coding::Ucs2 => MAX_OCTETS,
        };
        if udl > max {
            return Err(too_long(format!(
                "{udl} units exceed the {max} of one message"
            )));
        }
        if let Some(first) = out.first_mut() {
            *first = udl as u8;
        }
        Ok((out, header.is_some()))
    }

    /// Reads TP-UDL and TP-UD from `input` (the rest of the TPDU).
    pub(crate) fn decode(input: &[u8], coding: Coding, has_header: bool) -> Result<Self, SmsError> {
        let construct = "TP-User-Data";
        let (&udl, rest) = input
            .split_first()
            .ok_or(SmsError::Truncated { construct })?;
        let udl = usize::from(udl);
        let octets = match coding {
            Coding::Gsm7 if udl > MAX_SEPTETS => None,
            Coding::Gsm7 => Some((udl * 7).div_ceil(8)),
            Coding::Ucs2 if udl > MAX_OCTETS => None,
            Coding::Ucs2 => Some(udl),
        }
        .ok_or_else(|| SmsError::Invalid {
            construct,
            detail: format!("TP-UDL {udl} exceeds one message"),
        })?;
        let data = rest
            .get(..octets)
            .ok_or(SmsError::Truncated { construct })?;
        let (concat, header_len) = match has_header {
            true => read_header(data)?,
            false => (None, 0),
        };
        let body = data
            .get(header_len..)
            .ok_or(SmsError::Truncated { construct })?;
        let text = match coding {
            Coding::Gsm7 => {
                let header_septets = (header_len * 8).div_ceil(7);
                let count = udl.checked_sub(header_septets).ok_or(SmsError::Invalid {
                    construct,
                    detail: "the header is longer than TP-UDL".to_owned(),
                })?;
                let fill = header_septets * 7 - header_len * 8;
                let septets =
                    gsm7::unpack(body, count, fill).ok_or(SmsError::Truncated { construct })?;
                gsm7::decode(&septets)
            }
            Coding::Ucs2 => utf16be(body)?,
        };
        Ok(Self {
            coding,
            concat,
            text,
        })
    }
}

/// Reads the user data header: the concatenation element if any, and the header's length with
/// its length octet.
fn read_header(data: &[u8]) -> Result<(Option<Concat>, usize), SmsError> {
    let construct = "user data header";
    let (&udhl, rest) = data
        .split_first()
        .ok_or(SmsError::Truncated { construct })?;
    let mut elements = rest
        .get(..usize::from(udhl))
        .ok_or(SmsError::Truncated { construct })?;
    let mut concat = None;
    while let [iei, len, tail @ ..] = elements {
        let value = tail
            .get(..usize::from(*len))
            .ok_or(SmsError::Truncated { construct })?;
        if let (0x00, [reference, total, sequence]) = (*iei, value) {
            if *total == 0 || *sequence == 0 || sequence > total {
                return Err(SmsError::Invalid {
                    construct: "concatenation element",
                    detail: format!("part {sequence} of {total}"),
                });
            }
            concat = Some(Concat {
                reference: *reference,
                total: *total,
                sequence: *sequence,
            });
        }
        elements = tail.get(usize::from(*len)..).unwrap_or_default();
    }
    if !elements.is_empty() {
        return Err(SmsError::Truncated { construct });
    }
    Ok((concat, 1 + usize::from(udhl)))
}

/// UTF-16BE text; an odd length or a lone surrogate is an error.
fn utf16be(body: &[u8]) -> Result<String, SmsError> {
    let construct = "UCS2 text";
    if !body.len().is_multiple_of(2) {
        return Err(SmsError::Invalid {
            construct,
            detail: format!("{} octets is not a whole number of characters", body.len()),
        });
    }
    let units: Vec<u16> = body
        .chunks_exact(2)
        .map(|p| match p {
            [high, low] => u16::from_be_bytes([*high, *low]),
            _ => 0,
        })
        .collect();
    String::from_utf16(&units).map_err(|_| SmsError::Invalid {
        construct,
        detail: "a surrogate has no pair".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(ud: &UserData) {
        let (bytes, udhi) = ud.encode().unwrap();
        assert_eq!(udhi, ud.concat.is_some());
        assert_eq!(&UserData::decode(&bytes, ud.coding, udhi).unwrap(), ud);
    }

    #[test]
    fn gsm7_with_a_concatenation_header_is_septet_aligned() {
        let ud = UserData {
            coding: Coding::Gsm7,
            concat: Some(Concat {
                reference: 0x2A,
                total: 2,
                sequence: 1,
            }),
            text: "abc".to_owned(),
        };
        let (bytes, _) = ud.encode().unwrap();
        // 7 septets of header + fill, then 3 of text.
        assert_eq!(bytes[0], 10);
        assert_eq!(&bytes[1..7], [5, 0, 3, 0x2A, 2, 1]);
        // 'a' (0x61) starts after one fill bit: 0x61 << 1.
        assert_eq!(bytes[7], 0xC2);
        round_trip(&ud);
    }

    #[test]
    fn ucs2_keeps_chinese_and_four_byte_emoji() {
        let ud = UserData {
            coding: Coding::Ucs2,
            concat: None,
            text: "你好😀".to_owned(),
        };
        let (bytes, _) = ud.encode().unwrap();
        assert_eq!(bytes, [8, 0x4F, 0x60, 0x59, 0x7D, 0xD8, 0x3D, 0xDE, 0x00]);
        round_trip(&ud);
    }

    #[test]
    fn limits_and_codings() {
        let long = UserData {
            coding: Coding::Gsm7,
            concat: None,
            text: "x".repeat(161),
        };
        assert!(long.encode().is_err());
        assert_eq!(Coding::for_text("hi"), Coding::Gsm7);
        assert_eq!(Coding::for_text("你"), Coding::Ucs2);
        assert_eq!(Coding::from_dcs(0x08).unwrap(), Coding::Ucs2);
        assert_eq!(Coding::from_dcs(0xF1).unwrap(), Coding::Gsm7);
        assert!(Coding::from_dcs(0x04).is_err());
        assert!(Coding::from_dcs(0x20).is_err());
        assert!(UserData::decode(&[2, 0xD8, 0x3D], Coding::Ucs2, false).is_err());
        assert!(UserData::decode(&[3, 0x00, 0x41], Coding::Ucs2, false).is_err());
        assert!(UserData::decode(&[9, 5, 0, 3, 1, 0, 1, 0, 0], Coding::Ucs2, true).is_err());
    }
}
