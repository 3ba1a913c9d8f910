//! Unified diffs of a failed check's expected and observed values, as lines for the template.
//!
//! [`unified_diff`] compares the two values line by line with the `similar` crate and returns
//! classified lines; the template escapes their text, so nothing here produces markup. Line
//! endings are not part of the comparison (`\r\n` and `\n` lines compare equal, as SIP folding
//! aside a check compares values, not framing). Inputs are capped at [`MAX_DIFF_INPUT`] bytes so
//! a huge body cannot make the report slow.

use serde::Serialize;
use similar::{ChangeTag, TextDiff};

use crate::model::truncate_chars;

/// Longest value compared, in characters; longer values are cut before diffing.
pub const MAX_DIFF_INPUT: usize = 32 * 1024;
/// Unchanged lines shown around each change.
const CONTEXT: usize = 3;

/// One line of a unified diff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DiffLine {
    /// `hunk`, `del` (expected only), `ins` (observed only) or `ctx` (both).
    pub kind: &'static str,
    pub text: String,
}

/// The diff of `expected` against `observed`, empty when they are equal.
pub fn unified_diff(expected: &str, observed: &str) -> Vec<DiffLine> {
    let expected = normalise(expected);
    let observed = normalise(observed);
    if expected == observed {
        return Vec::new();
    }
    let diff = TextDiff::from_lines(expected.as_str(), observed.as_str());
    let mut lines = Vec::new();
    for group in diff.grouped_ops(CONTEXT) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let (old, new) = (first.old_range().start, first.new_range().start);
        let old_len = last.old_range().end - old;
        let new_len = last.new_range().end - new;
        lines.push(DiffLine {
            kind: "hunk",
            text: format!("@@ -{},{old_len} +{},{new_len} @@", old + 1, new + 1),
        });
        for op in &group {
            for change in diff.iter_changes(op) {
                let (kind, sign) = match change.tag() {
                    ChangeTag::Delete => ("del", '-'),
                    ChangeTag::Insert => ("ins", '+'),
                    ChangeTag::Equal => ("ctx", ' '),
                };
                let text = change.value().trim_end_matches(['\r', '\n']);
                lines.push(DiffLine {
                    kind,
                    text: format!("{sign}{text}"),
                });
            }
        }
    }
    lines
}

/// Cut to the cap, unify line endings and end with a newline, so a last line compares like the
/// others.
fn normalise(value: &str) -> String {
    let mut text = truncate_chars(value, MAX_DIFF_INPUT).replace("\r\n", "\n");
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(lines: &[DiffLine]) -> Vec<String> {
        lines
            .iter()
            .map(|l| format!("{} {}", l.kind, l.text))
            .collect()
    }

    #[test]
    fn changed_line_shows_with_context() {
        let expected = "From: <sip:alice@example.com>\r\nSubject: hi\r\nHello Bob\r\n";
        let observed = "From: <sip:alice@example.com>\r\nSubject: hi\r\nHello <b>Bob</b>\r\n";
        assert_eq!(
            render(&unified_diff(expected, observed)),
            [
                "hunk @@ -1,3 +1,3 @@",
                "ctx  From: <sip:alice@example.com>",
                "ctx  Subject: hi",
                "del -Hello Bob",
                "ins +Hello <b>Bob</b>",
            ]
        );
    }

    #[test]
    fn single_values_and_line_endings() {
        assert_eq!(
            render(&unified_diff("200", "403")),
            ["hunk @@ -1,1 +1,1 @@", "del -200", "ins +403"]
        );
        assert!(unified_diff("a\r\nb", "a\nb\n").is_empty());
    }

    #[test]
    fn distant_changes_make_separate_hunks() {
        let expected: String = (0..20).map(|i| format!("line {i}\n")).collect();
        let observed = expected
            .replace("line 1\n", "line one\n")
            .replace("line 18\n", "line x\n");
        let hunks = unified_diff(&expected, &observed)
            .into_iter()
            .filter(|l| l.kind == "hunk")
            .count();
        assert_eq!(hunks, 2);
    }
}
