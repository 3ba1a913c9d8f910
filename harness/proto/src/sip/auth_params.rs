//! The parameter-list grammar of digest challenges and credentials (RFC 3261 §25.1
//! `digest-cln` / `dig-resp`, RFC 7235 §2.1 `auth-param`), reading and writing.
//!
//! Reading checks the `Digest` scheme and splits `name=value, name="value", ...` into
//! unquoted (name, value) pairs: LWS and folded lines around `=` and `,`, quoted-pairs resolved,
//! names kept as sent, duplicate names rejected, sizes capped. It interprets only the values whose
//! grammar is fixed (`qop` options, `stale`, `nc`); building the typed values is [`super`]'s job.
//! Writing quotes values and escapes `"` and `\`; values holding CR or LF cannot be represented
//! in a quoted string and are written as given.
//!
//! This file is a child module of `auth.rs` (declared there), not a module of its own.

use super::AuthError;

/// Checks the scheme of `header_value` and splits its parameters, rejecting duplicates.
pub(super) fn digest_params(header_value: &str) -> Result<Vec<(String, String)>, AuthError> {
    if header_value.len() > MAX_HEADER_LEN {
        return Err(AuthError::TooLong(header_value.len()));
    }
    let mut scanner = Scanner {
        text: header_value,
        pos: 0,
    };
    scanner.skip_lws();
    let scheme = scanner.token();
    if !scheme.eq_ignore_ascii_case("Digest") {
        return Err(AuthError::NotDigest(scheme.to_owned()));
    }
    let mut params: Vec<(String, String)> = Vec::new();
    scanner.skip_lws();
    while !scanner.at_end() {
        if !params.is_empty() {
            scanner.expect(b',', "',' between parameters")?;
            scanner.skip_lws();
        }
        let (name, value) = scanner.param()?;
        if params
            .iter()
            .any(|(seen, _)| seen.eq_ignore_ascii_case(&name))
        {
            return Err(AuthError::DuplicateParam(name));
        }
        if params.len() == MAX_PARAMS {
            return Err(AuthError::TooManyParams);
        }
        params.push((name, value));
        scanner.skip_lws();
    }
    Ok(params)
}

/// Splits a `qop-options` value (`auth,auth-int`) into its tokens.
pub(super) fn parse_qop_options(value: &str) -> Result<Vec<String>, AuthError> {
    let options = value
        .split(',')
        .map(|option| option.trim_matches(is_lws).to_owned())
        .collect::<Vec<_>>();
    match options.iter().all(|option| is_token(option)) {
        true => Ok(options),
        false => Err(invalid("qop", value)),
    }
}

/// `stale = "stale" EQUAL ( "true" / "false" )`, ignoring case.
pub(super) fn parse_stale(value: &str) -> Result<bool, AuthError> {
    if value.eq_ignore_ascii_case("true") {
        return Ok(true);
    }
    match value.eq_ignore_ascii_case("false") {
        true => Ok(false),
        false => Err(invalid("stale", value)),
    }
}

/// `nc-value = 8LHEX` (uppercase hex digits are accepted too).
pub(super) fn parse_nc(value: String) -> Result<String, AuthError> {
    match value.len() == 8 && value.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        true => Ok(value),
        false => Err(invalid("nc", &value)),
    }
}

pub(super) fn invalid(name: &str, value: &str) -> AuthError {
    AuthError::InvalidParam {
        name: name.to_owned(),
        value: value.to_owned(),
    }
}

/// Builds `Digest name="value", name=token, ...`.
#[derive(Default)]
pub(super) struct ParamWriter {
    out: String,
}

impl ParamWriter {
    pub(super) fn quoted(&mut self, name: &str, value: &str) {
        self.start(name);
        self.out.push('"');
        for c in value.chars() {
            if matches!(c, '"' | '\\') {
                self.out.push('\\');
            }
            self.out.push(c);
        }
        self.out.push('"');
    }

    /// Writes a token, or a quoted string when `value` is not a token (so it parses back).
    pub(super) fn token(&mut self, name: &str, value: &str) {
        if !is_token(value) {
            return self.quoted(name, value);
        }
        self.start(name);
        self.out.push_str(value);
    }

    /// Extension parameters are quoted, except the few RFC 7616 defines as tokens.
    pub(super) fn others(&mut self, params: &[(String, String)]) {
        for (name, value) in params {
            match TOKEN_PARAMS
                .iter()
                .any(|token| token.eq_ignore_ascii_case(name))
            {
                true => self.token(name, value),
                false => self.quoted(name, value),
            }
        }
    }

    pub(super) fn finish(self) -> String {
        match self.out.is_empty() {
            true => "Digest".to_owned(),
            false => self.out,
        }
    }

    fn start(&mut self, name: &str) {
        self.out
            .push_str(if self.out.is_empty() { "Digest " } else { ", " });
        self.out.push_str(name);
        self.out.push('=');
    }
}

/// A cursor over a header value; every read is bounds-checked.
struct Scanner<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Scanner<'a> {
    /// `auth-param = token LWS "=" LWS ( token / quoted-string )`.
    fn param(&mut self) -> Result<(String, String), AuthError> {
        let name = self.token();
        if name.is_empty() {
            return Err(self.syntax("a parameter name"));
        }
        self.skip_lws();
        self.expect(b'=', "'=' after the parameter name")?;
        self.skip_lws();
        if self.eat(b'"') {
            return Ok((name.to_owned(), self.quoted(name)?));
        }
        match self.token() {
            "" => Err(self.syntax("a token or a quoted string")),
            value => Ok((name.to_owned(), value.to_owned())),
        }
    }

    /// The rest of a quoted string whose opening quote was eaten, with quoted-pairs resolved.
    fn quoted(&mut self, name: &str) -> Result<String, AuthError> {
        let unterminated = || AuthError::UnterminatedQuote(name.to_owned());
        let mut value = Vec::new();
        loop {
            let byte = self.peek().ok_or_else(unterminated)?;
            self.pos += 1;
            match byte {
                b'"' => break,
                b'\\' => {
                    value.push(self.peek().ok_or_else(unterminated)?);
                    self.pos += 1;
                }
                _ => value.push(byte),
            }
        }
        // Only ASCII backslashes were dropped from valid UTF-8, so this cannot fail; map anyway.
        String::from_utf8(value)
            .map_err(|error| invalid(name, &String::from_utf8_lossy(error.as_bytes())))
    }

    fn token(&mut self) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(is_token_byte) {
            self.pos += 1;
        }
        self.text.get(start..self.pos).unwrap_or_default()
    }

    fn skip_lws(&mut self) {
        while self.peek().is_some_and(|byte| is_lws(char::from(byte))) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8, expected: &'static str) -> Result<(), AuthError> {
        match self.eat(byte) {
            true => Ok(()),
            false => Err(self.syntax(expected)),
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.pos += 1;
        }
        found
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    fn syntax(&self, expected: &'static str) -> AuthError {
        AuthError::Syntax {
            expected,
            at: self.pos,
        }
    }
}

fn is_token(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(is_token_byte)
}

/// `token` characters of RFC 3261 §25.1.
fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&byte)
}

/// Whitespace inside LWS, including the CRLF of a folded line.
fn is_lws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Extension parameters whose value RFC 7616 defines as a token.
const TOKEN_PARAMS: [&str; 2] = ["charset", "userhash"];

/// Cap on a header value in bytes; an IMS AKA challenge is well under 1 KiB.
pub(super) const MAX_HEADER_LEN: usize = 8 * 1024;

/// Cap on the number of parameters in one header value.
pub(super) const MAX_PARAMS: usize = 32;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn params(value: &str) -> Vec<(String, String)> {
        digest_params(value).unwrap()
    }

    fn pair(name: &str, value: &str) -> (String, String) {
        (name.to_owned(), value.to_owned())
    }

    #[test]
    fn lws_folding_and_case_are_accepted() {
        let value = "dIgEsT  Realm = \"a.example\" ,\r\n\tnonce=\"n\",\r\n qop=auth";
        assert_eq!(
            params(value),
            [
                pair("Realm", "a.example"),
                pair("nonce", "n"),
                pair("qop", "auth")
            ]
        );
    }

    #[test]
    fn quoted_pairs_are_resolved() {
        let value = r#"Digest username="a\"b\\c\d", realm="comma, inside""#;
        assert_eq!(
            params(value),
            [
                pair("username", r#"a"b\cd"#),
                pair("realm", "comma, inside")
            ]
        );
    }

    #[test]
    fn scheme_alone_has_no_params() {
        assert!(params(" Digest ").is_empty());
    }

    #[test]
    fn other_schemes_are_named() {
        // RFC 4475 §3.3.7 (regaut01) carries an unknown scheme in Authorization.
        assert_eq!(
            digest_params("NoOneKnowsThisScheme opaque-data=here"),
            Err(AuthError::NotDigest("NoOneKnowsThisScheme".to_owned()))
        );
        assert_eq!(
            digest_params("Basic realm=\"x\""),
            Err(AuthError::NotDigest("Basic".to_owned()))
        );
    }

    #[test]
    fn grammar_errors_name_the_construct() {
        let syntax = |expected, at| Err(AuthError::Syntax { expected, at });
        assert_eq!(
            digest_params("Digest realm"),
            syntax("'=' after the parameter name", 12)
        );
        assert_eq!(
            digest_params("Digest realm=\"a\" nonce=\"b\""),
            syntax("',' between parameters", 17)
        );
        assert_eq!(
            digest_params("Digest realm=\"a\",,nonce=\"b\""),
            syntax("a parameter name", 17)
        );
        assert_eq!(
            digest_params("Digest realm=,nonce=\"b\""),
            syntax("a token or a quoted string", 13)
        );
        assert_eq!(
            digest_params("Digest realm=\"a\", nonce=\"b"),
            Err(AuthError::UnterminatedQuote("nonce".to_owned()))
        );
        assert_eq!(
            digest_params("Digest realm=\"a\\"),
            Err(AuthError::UnterminatedQuote("realm".to_owned()))
        );
        assert_eq!(
            digest_params("Digest realm=\"a\", REALM=\"b\""),
            Err(AuthError::DuplicateParam("REALM".to_owned()))
        );
    }

    #[test]
    fn sizes_are_capped() {
        let long = format!("Digest realm=\"{}\"", "a".repeat(MAX_HEADER_LEN));
        assert_eq!(digest_params(&long), Err(AuthError::TooLong(long.len())));
        let many = (0..=MAX_PARAMS)
            .map(|i| format!("p{i}=v"))
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(
            digest_params(&format!("Digest {many}")),
            Err(AuthError::TooManyParams)
        );
        let just_enough = many.rsplit_once(',').unwrap().0;
        assert_eq!(params(&format!("Digest {just_enough}")).len(), MAX_PARAMS);
    }

    #[test]
    fn fixed_value_grammars() {
        assert_eq!(
            parse_qop_options("auth, auth-int").unwrap(),
            ["auth", "auth-int"]
        );
        assert!(parse_qop_options("").is_err());
        assert!(parse_qop_options("auth,").is_err());
        assert_eq!(parse_stale("TRUE"), Ok(true));
        assert_eq!(parse_stale("false"), Ok(false));
        assert_eq!(parse_stale("yes"), Err(invalid("stale", "yes")));
        assert!(parse_nc("0000001f".to_owned()).is_ok());
        assert!(parse_nc("1".to_owned()).is_err());
        assert!(parse_nc("0000001g".to_owned()).is_err());
    }

    #[test]
    fn writer_quotes_escapes_and_falls_back_to_quotes() {
        let mut out = ParamWriter::default();
        out.quoted("realm", r#"a"b\c"#);
        out.token("algorithm", "MD5");
        out.token("algorithm", "not a token");
        out.others(&[pair("userhash", "false"), pair("domain", "sip:a")]);
        assert_eq!(
            out.finish(),
            concat!(
                r#"Digest realm="a\"b\\c", algorithm=MD5, algorithm="not a token", "#,
                r#"userhash=false, domain="sip:a""#,
            )
        );
        assert_eq!(ParamWriter::default().finish(), "Digest");
    }

    #[test]
    fn non_ascii_survives_quoting() {
        let value = "Digest username=\"\\用户\", realm=\"é\"";
        assert_eq!(
            params(value),
            [pair("username", "用户"), pair("realm", "é")]
        );
    }
}
