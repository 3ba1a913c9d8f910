//! Reading `rcs-sim`'s YAML config files, with every error located as `FILE:LINE:COL`.
//!
//! Both simulator modes read their file through [`read_yaml`]; a problem found after parsing
//! (a setting out of range, a bad peer) is located with [`locate`], the first line that names the
//! key at fault. This module does not know what either file holds.

use std::path::Path;

use serde::de::DeserializeOwned;

/// Why the simulator did not run.
pub(crate) enum Failure {
    /// The config or the command line is wrong: exit status 2.
    Usage(String),
    /// Anything else: exit status 1.
    Run(anyhow::Error),
}

/// Largest config file read.
const MAX_CONFIG: u64 = 1024 * 1024;

/// Reads and parses `path`, returning the value and the text (to locate later errors in).
pub(crate) fn read_yaml<T: DeserializeOwned>(path: &Path) -> Result<(T, String), Failure> {
    let shown = path.display();
    let size = std::fs::metadata(path)
        .map_err(|err| Failure::Usage(format!("failed to read the config {shown}: {err}")))?
        .len();
    if size > MAX_CONFIG {
        return Err(Failure::Usage(format!(
            "failed to read the config {shown}: {size} bytes is over the limit of {MAX_CONFIG}"
        )));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|err| Failure::Usage(format!("failed to read the config {shown}: {err}")))?;
    let value = serde_saphyr::from_str(&text).map_err(|err| {
        let (line, column) = err.location().map_or((1, 1), |at| (at.line(), at.column()));
        Failure::Usage(format!(
            "{shown}:{line}:{column}: failed to read the config: {err}"
        ))
    })?;
    Ok((value, text))
}

/// A usage failure at the first line of `text` naming `key` (or at 1:1).
pub(crate) fn located(path: &Path, text: &str, key: Option<&str>, message: &str) -> Failure {
    let (line, column) = key.and_then(|key| locate(text, key)).unwrap_or((1, 1));
    Failure::Usage(format!("{}:{line}:{column}: {message}", path.display()))
}

/// One-based line and column of the first `key:` in `text`.
pub(crate) fn locate(text: &str, key: &str) -> Option<(usize, usize)> {
    let pattern = format!("{key}:");
    text.lines()
        .enumerate()
        .find_map(|(n, line)| line.find(&pattern).map(|col| (n + 1, col + 1)))
}

/// The first `` `name` `` quoted in an error message: usually the key at fault.
pub(crate) fn quoted(message: &str) -> Option<&str> {
    let (_, rest) = message.split_once('`')?;
    rest.split_once('`').map(|(name, _)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_located_by_line_and_column() {
        let text = "a: 1\nsettings:\n  realm: x\n";
        assert_eq!(locate(text, "realm"), Some((3, 3)));
        assert_eq!(locate(text, "settings"), Some((2, 1)));
        assert_eq!(locate(text, "missing"), None);
    }

    #[test]
    fn the_first_quoted_name_is_found() {
        assert_eq!(
            quoted("unknown field `relam`, expected `realm`"),
            Some("relam")
        );
        assert_eq!(quoted("no quotes"), None);
        assert_eq!(quoted("one ` only"), None);
    }
}
