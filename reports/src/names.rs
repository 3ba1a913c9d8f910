//! Safe names derived from case keys, for file names and HTML anchors.
//!
//! A case key is the case id plus `[fault]`, and comes from a case file, so it may hold any
//! character. [`safe_name`] keeps ASCII letters, digits, `.`, `-` and `_`, replaces everything else,
//! and appends a hash of the original key when it had to change anything, so two different keys
//! never share a name and the name does not depend on which other keys a run holds.

/// Longest name kept from a key, before the hash suffix.
const MAX_NAME: usize = 120;

/// A name for `key` that is safe as a file name and as an HTML id, deterministic and unique.
pub fn safe_name(key: &str) -> String {
    let mut name: String = key
        .chars()
        .take(MAX_NAME)
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '-' | '_' => c,
            _ => '_',
        })
        .collect();
    if name.starts_with('.') || name.is_empty() {
        name.insert(0, '_');
    }
    if name != key {
        name.push_str(&format!("-{:08x}", fnv1a(key.as_bytes()) as u32));
    }
    name
}

/// FNV-1a, 64 bit: a small hash that is the same on every platform and release.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_keys_are_kept() {
        assert_eq!(safe_name("PLT-REG-001"), "PLT-REG-001");
    }

    #[test]
    fn fault_keys_are_sanitised_and_stay_distinct() {
        let a = safe_name("PLT-MSG-001[message-center.rewrites-cpim-body]");
        assert!(
            a.starts_with("PLT-MSG-001_message-center.rewrites-cpim-body_-"),
            "{a}"
        );
        assert_ne!(
            a,
            safe_name("PLT-MSG-001_message-center.rewrites-cpim-body_")
        );
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        );
    }

    #[test]
    fn hostile_keys_cannot_escape_the_directory() {
        for key in ["../../etc/passwd", "..", "", "a/b\\c", "<script>"] {
            let name = safe_name(key);
            assert!(
                !name.starts_with('.') && !name.contains('/') && !name.is_empty(),
                "{name}"
            );
        }
    }
}
