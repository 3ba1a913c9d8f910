//! Case-file diagnostics: `file:line:col`, what is wrong, and how to fix it.

use std::fmt;
use std::path::{Path, PathBuf};

/// One problem in a case file (or a profile), with its location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseError {
    pub file: PathBuf,
    /// 1-based; 0 when the problem is the file as a whole.
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// How to fix it, e.g. `did you mean `checks`?`.
    pub hint: Option<String>,
    /// The source line, for the snippet.
    pub snippet: Option<String>,
}

impl CaseError {
    pub fn new(file: &Path, line: usize, column: usize, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            line,
            column,
            message: message.into(),
            hint: None,
            snippet: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Attach the source line the error points at.
    pub fn with_source(mut self, source: &str) -> Self {
        if self.line > 0 {
            self.snippet = source.lines().nth(self.line - 1).map(str::to_owned);
        }
        self
    }
}

impl fmt::Display for CaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(
                f,
                "{}:{}:{}: error: {}",
                self.file.display(),
                self.line,
                self.column.max(1),
                self.message
            )?;
        } else {
            write!(f, "{}: error: {}", self.file.display(), self.message)?;
        }
        if let Some(snippet) = &self.snippet {
            let gutter = self.line.to_string();
            write!(f, "\n {gutter} | {snippet}")?;
            let pad = " ".repeat(gutter.len());
            let caret = " ".repeat(self.column.saturating_sub(1));
            write!(f, "\n {pad} | {caret}^")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  = help: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CaseError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_location_snippet_and_hint() {
        let e = CaseError::new(Path::new("cases/a.yaml"), 2, 3, "unknown field `chekcs`")
            .with_hint("did you mean `checks`?")
            .with_source("id: X\n  chekcs: []\n");
        let text = e.to_string();
        assert!(
            text.starts_with("cases/a.yaml:2:3: error: unknown field `chekcs`"),
            "{text}"
        );
        assert!(text.contains(" 2 |   chekcs: []\n   |   ^"), "{text}");
        assert!(text.ends_with("= help: did you mean `checks`?"), "{text}");
    }
}
