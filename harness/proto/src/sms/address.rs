//! Semi-octet (BCD) addresses: the TP address of an SMS TPDU (TS 23.040 9.1.2.5) and the RP
//! address of an RP message (TS 24.011 8.2.5.1, 8.2.5.2).
//!
//! Numbers are written as digits with a leading `+` for the international type of number; `*`,
//! `#`, `a`, `b` and `c` stand for the semi-octets 0xA-0xE. The numbering plan is always ISDN/E.164
//! on write. Alphanumeric addresses (type of number 101) are refused on read.

use super::SmsError;

/// Most digits in an address (TS 23.040 9.1.2.5: 20 semi-octets).
pub(crate) const MAX_DIGITS: usize = 20;

/// The type-of-address octet of an international (`+`) or unknown-type ISDN number.
fn type_of_address(number: &str) -> u8 {
    match number.starts_with('+') {
        true => 0x91,
        false => 0x81,
    }
}

/// The semi-octets of `number`, with its type-of-address octet.
fn digits(number: &str, construct: &'static str) -> Result<(u8, Vec<u8>), SmsError> {
    let body = number.strip_prefix('+').unwrap_or(number);
    let mut out = Vec::with_capacity(body.len());
    for c in body.chars() {
        let nibble = match c {
            '0'..='9' => c as u8 - b'0',
            '*' => 0xA,
            '#' => 0xB,
            'a' | 'A' => 0xC,
            'b' | 'B' => 0xD,
            'c' | 'C' => 0xE,
            other => {
                return Err(SmsError::Unencodable {
                    construct,
                    detail: format!("`{other}` is not a digit of a number"),
                });
            }
        };
        out.push(nibble);
    }
    if out.len() > MAX_DIGITS {
        return Err(SmsError::Unencodable {
            construct,
            detail: format!("{} digits exceed {MAX_DIGITS}", out.len()),
        });
    }
    Ok((type_of_address(number), out))
}

/// Swapped semi-octets with an 0xF filler for an odd count.
fn bcd(nibbles: &[u8]) -> Vec<u8> {
    nibbles
        .chunks(2)
        .map(|pair| match pair {
            [low, high] => high << 4 | low,
            [low] => 0xF0 | low,
            _ => 0xFF,
        })
        .collect()
}

/// Reads `count` semi-octets (or up to an 0xF filler) from `octets`.
fn number(
    toa: u8,
    octets: &[u8],
    count: usize,
    construct: &'static str,
) -> Result<String, SmsError> {
    if (toa >> 4) & 0x7 == 0x5 {
        return Err(SmsError::Invalid {
            construct,
            detail: "alphanumeric addresses are not supported".to_owned(),
        });
    }
    let mut out = String::with_capacity(count + 1);
    if (toa >> 4) & 0x7 == 0x1 {
        out.push('+');
    }
    let nibbles = octets.iter().flat_map(|o| [o & 0x0F, o >> 4]).take(count);
    for nibble in nibbles {
        out.push(match nibble {
            0..=9 => char::from(b'0' + nibble),
            0xA => '*',
            0xB => '#',
            0xC => 'a',
            0xD => 'b',
            0xE => 'c',
            _ => break,
        });
    }
    Ok(out)
}

/// Writes a TP address: digit count, type of address, semi-octets.
pub(crate) fn write_tp(number: &str, out: &mut Vec<u8>) -> Result<(), SmsError> {
    let (toa, nibbles) = digits(number, "TP address")?;
    out.push(nibbles.len() as u8);
    out.push(toa);
    out.extend(bcd(&nibbles));
    Ok(())
}

/// Reads a TP address at the start of `input`; returns it and the octets it took.
pub(crate) fn read_tp(input: &[u8]) -> Result<(String, usize), SmsError> {
    let construct = "TP address";
    let short = SmsError::Truncated { construct };
    let (&count, rest) = input.split_first().ok_or(short.clone())?;
    let count = usize::from(count);
    if count > MAX_DIGITS {
        return Err(SmsError::Invalid {
            construct,
            detail: format!("{count} digits exceed {MAX_DIGITS}"),
        });
    }
    let (&toa, rest) = rest.split_first().ok_or(short.clone())?;
    let octets = rest.get(..count.div_ceil(2)).ok_or(short)?;
    Ok((number(toa, octets, count, construct)?, 2 + octets.len()))
}

/// Writes an RP address: octet count, then type of address and semi-octets; an empty `number`
/// is the zero-length address.
pub(crate) fn write_rp(number: Option<&str>, out: &mut Vec<u8>) -> Result<(), SmsError> {
    let Some(number) = number.filter(|n| !n.is_empty()) else {
        out.push(0);
        return Ok(());
    };
    let (toa, nibbles) = digits(number, "RP address")?;
    let octets = bcd(&nibbles);
    out.push(1 + octets.len() as u8);
    out.push(toa);
    out.extend(octets);
    Ok(())
}

/// Reads an RP address at the start of `input`; returns it (`None` when zero-length) and the
/// octets it took.
pub(crate) fn read_rp(input: &[u8]) -> Result<(Option<String>, usize), SmsError> {
    let construct = "RP address";
    let (&len, rest) = input
        .split_first()
        .ok_or(SmsError::Truncated { construct })?;
    let len = usize::from(len);
    if len == 0 {
        return Ok((None, 1));
    }
    if len > 1 + MAX_DIGITS / 2 {
        return Err(SmsError::Invalid {
            construct,
            detail: format!("length {len} exceeds {}", 1 + MAX_DIGITS / 2),
        });
    }
    let value = rest.get(..len).ok_or(SmsError::Truncated { construct })?;
    let (&toa, octets) = value
        .split_first()
        .ok_or(SmsError::Truncated { construct })?;
    let number = number(toa, octets, octets.len() * 2, construct)?;
    Ok((Some(number), 1 + len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tp_addresses_swap_semi_octets_and_fill_with_f() {
        let mut out = Vec::new();
        write_tp("+8613900000002", &mut out).unwrap();
        assert_eq!(out, [13, 0x91, 0x68, 0x31, 0x09, 0x00, 0x00, 0x00, 0xF2]);
        assert_eq!(read_tp(&out).unwrap(), ("+8613900000002".to_owned(), 9));
        let mut odd = Vec::new();
        write_tp("10086", &mut odd).unwrap();
        assert_eq!(odd, [5, 0x81, 0x01, 0x80, 0xF6]);
        assert_eq!(read_tp(&odd).unwrap().0, "10086");
    }

    #[test]
    fn rp_addresses_count_octets_and_may_be_empty() {
        let mut out = Vec::new();
        write_rp(Some("+8613800100500"), &mut out).unwrap();
        assert_eq!(out[0], 8);
        assert_eq!(
            read_rp(&out).unwrap(),
            (Some("+8613800100500".to_owned()), 9)
        );
        let mut empty = Vec::new();
        write_rp(None, &mut empty).unwrap();
        assert_eq!(empty, [0]);
        assert_eq!(read_rp(&empty).unwrap(), (None, 1));
    }

    #[test]
    fn bad_addresses_are_errors_naming_the_construct() {
        let err = write_tp("+86abc-1", &mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("TP address"), "{err}");
        assert!(read_tp(&[40, 0x91]).is_err());
        assert!(read_tp(&[4, 0xD0, 0x41]).is_err());
        assert!(read_rp(&[3, 0x91]).is_err());
        assert!(write_tp(&"1".repeat(21), &mut Vec::new()).is_err());
    }
}
