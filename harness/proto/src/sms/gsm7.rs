//! The GSM 7-bit default alphabet and its extension table (TS 23.038 6.2.1), and septet packing
//! (TS 23.038 6.1.2.1.1).
//!
//! Characters map to septets through the default table, or to the escape septet 0x1B followed by a
//! septet of the extension table. National language shift tables are not supported: text with a
//! character outside both tables is not GSM 7-bit and is sent in UCS2 instead (see `tpdu`).

/// The default alphabet, indexed by septet (TS 23.038 6.2.1). 0x1B is the escape to the extension
/// table (held here as U+001B, which text never maps to).
const DEFAULT: [char; 128] = [
    '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å', //
    'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', '\u{1b}', 'Æ', 'æ', 'ß', 'É', //
    ' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', //
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?', //
    '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', //
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§', //
    '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', //
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à', //
];

/// The escape septet.
const ESCAPE: u8 = 0x1B;

/// The extension table (TS 23.038 6.2.1.1): septet after the escape, and its character.
const EXTENSION: [(u8, char); 10] = [
    (0x0A, '\u{c}'),
    (0x14, '^'),
    (0x28, '{'),
    (0x29, '}'),
    (0x2F, '\\'),
    (0x3C, '['),
    (0x3D, '~'),
    (0x3E, ']'),
    (0x40, '|'),
    (0x65, '€'),
];

/// The septets of `c`: one from the default table, two through the escape, or none.
pub(crate) fn septets_of(c: char) -> Option<Vec<u8>> {
    if let Some(at) = DEFAULT.iter().position(|&d| d == c)
        && at != usize::from(ESCAPE)
    {
        return u8::try_from(at).ok().map(|s| vec![s]);
    }
    EXTENSION
        .iter()
        .find(|(_, e)| *e == c)
        .map(|(s, _)| vec![ESCAPE, *s])
}

/// Whether every character of `text` is in the default alphabet or its extension.
pub fn is_gsm7(text: &str) -> bool {
    text.chars().all(|c| septets_of(c).is_some())
}

/// The septets of `text`, or `None` when a character is not in the alphabet.
pub(crate) fn encode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        out.extend(septets_of(c)?);
    }
    Some(out)
}

/// The text of `septets`. An escape followed by a septet the extension table lacks reads as the
/// default character of that septet (TS 23.038 6.2.1.1); a trailing escape reads as a space.
pub(crate) fn decode(septets: &[u8]) -> String {
    let mut out = String::with_capacity(septets.len());
    let mut iter = septets.iter().map(|s| s & 0x7F);
    while let Some(s) = iter.next() {
        if s != ESCAPE {
            out.push(default_char(s));
            continue;
        }
        match iter.next() {
            Some(next) => out.push(
                EXTENSION
                    .iter()
                    .find(|(e, _)| *e == next)
                    .map_or_else(|| default_char(next), |(_, c)| *c),
            ),
            None => out.push(' '),
        }
    }
    out
}

fn default_char(septet: u8) -> char {
    DEFAULT.get(usize::from(septet)).copied().unwrap_or(' ')
}

/// Packs septets into octets, least significant bit first, after `fill` zero bits (the fill that
/// aligns the text on a septet boundary after a user data header, TS 23.040 9.2.3.24).
pub(crate) fn pack(septets: &[u8], fill: usize) -> Vec<u8> {
    let bits = fill + septets.len() * 7;
    let mut out = vec![0u8; bits.div_ceil(8)];
    for (n, septet) in septets.iter().enumerate() {
        let at = fill + n * 7;
        let value = u16::from(septet & 0x7F) << (at % 8);
        if let Some(byte) = out.get_mut(at / 8) {
            *byte |= (value & 0xFF) as u8;
        }
        if let Some(byte) = out.get_mut(at / 8 + 1) {
            *byte |= (value >> 8) as u8;
        }
    }
    out
}

/// Unpacks `count` septets from `octets` after `fill` bits; `None` when the octets are too few.
pub(crate) fn unpack(octets: &[u8], count: usize, fill: usize) -> Option<Vec<u8>> {
    if (fill + count * 7).div_ceil(8) > octets.len() {
        return None;
    }
    let mut out = Vec::with_capacity(count);
    for n in 0..count {
        let at = fill + n * 7;
        let low = u16::from(*octets.get(at / 8)?);
        let high = u16::from(octets.get(at / 8 + 1).copied().unwrap_or(0));
        out.push((((high << 8 | low) >> (at % 8)) & 0x7F) as u8);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_packs_as_in_ts_23_038() {
        // "hellohello" is the classic example: E8 32 9B FD 46 97 D9 EC 37.
        let septets = encode("hellohello").unwrap();
        assert_eq!(
            pack(&septets, 0),
            [0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37]
        );
        assert_eq!(unpack(&pack(&septets, 0), 10, 0).unwrap(), septets);
    }

    #[test]
    fn the_extension_table_takes_two_septets() {
        assert_eq!(encode("€").unwrap(), [0x1B, 0x65]);
        assert_eq!(encode("a{b}").unwrap().len(), 6);
        assert_eq!(decode(&encode("[~]|^\\€{}").unwrap()), "[~]|^\\€{}");
        assert_eq!(encode(" ").unwrap(), [0x20]);
        assert_eq!(decode(&[0x1B]), " ");
        assert_eq!(decode(&[0x1B, 0x41]), "A");
    }

    #[test]
    fn chinese_is_not_gsm7() {
        assert!(!is_gsm7("你好"));
        assert!(is_gsm7("Hello @£$ ÄÖ"));
        assert!(encode("hi 😀").is_none());
    }

    #[test]
    fn fill_bits_shift_the_text() {
        let septets = encode("abc").unwrap();
        let packed = pack(&septets, 1);
        assert_eq!(unpack(&packed, 3, 1).unwrap(), septets);
        assert!(unpack(&packed, 9, 1).is_none());
    }
}
