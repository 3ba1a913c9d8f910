//! The operator's commands of `rcs-sim terminal`: one line of stdin in, one terminal action out.
//!
//! Each command maps to an action of the terminal simulator with the parameters a case file would
//! give it (`register` -> `register { expires }`, `pager` -> `send-pager { to, text }`, `chat`
//! -> `start-chat { to, text }`, `say` and `big` -> `send-chat { to, text | size }`, `bye` ->
//! `end-chat`, `message` -> `send-message`, ...), so a script drives the standalone terminal
//! exactly as a case drives the built-in one. A target is a peer name from the config, a number
//! (`+8613800000001`, sent to its SIP URI in the terminal's home domain) or a URI. This module
//! only parses; it does not read files or act.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::{Map, Value};

/// What the operator can type, for `help`.
pub(crate) const HELP: &str = "\
commands:
  register [EXPIRES]            REGISTER to the message center (answering its digest challenge)
  deregister                    REGISTER with Expires: 0
  pager TO [TEXT...]            send a pager-mode CPIM chat MESSAGE
  options TO                    query TO's capabilities with OPTIONS
  imdn delivered|displayed      report on the last message received
  chat TO [TEXT...]             open a session-mode chat (INVITE, then MSRP), with a first message
  say TO TEXT...                send a message over the chat session with TO
  big TO SIZE                   send SIZE bytes of filler text over the chat session with TO
  bye TO                        end the chat session with TO (BYE)
  message TO TEXT...            send in pager mode, or in large-message mode above the switchover
  raw FILE                      send FILE's bytes to the message center as they are (LF -> CRLF)
  help                          this list
  quit                          stop (de-registering first)
TO is a peer name from the config, a number such as +8613800000001, or a URI.";

/// One parsed line.
#[derive(Debug, PartialEq)]
pub(crate) enum Command {
    /// Run a terminal action with these parameters.
    Act {
        action: &'static str,
        params: Map<String, Value>,
    },
    /// `raw FILE`: send the file's text with `send-raw`.
    Raw(PathBuf),
    Help,
    Quit,
    /// A blank line or a `#` comment.
    Nothing,
}

/// How targets are resolved: the config's peer names and the terminal's home domain.
#[derive(Debug)]
pub(crate) struct Targets {
    pub peers: BTreeSet<String>,
    pub domain: String,
}

impl Targets {
    /// A peer name stays a name (the terminal resolves it), a number becomes its SIP URI, a URI
    /// is kept as it is.
    fn resolve(&self, to: &str) -> Result<String, String> {
        if self.peers.contains(to) || to.contains(':') {
            return Ok(to.to_owned());
        }
        if is_msisdn(to) {
            return Ok(format!("sip:{to}@{}", self.domain));
        }
        Err(format!(
            "failed to find target `{to}`: give a peer name from the config, a number such as \
             +8613800000001, or a URI"
        ))
    }
}

/// Whether `text` is an E.164 number with its `+`.
pub(crate) fn is_msisdn(text: &str) -> bool {
    text.strip_prefix('+').is_some_and(|digits| {
        (1..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
    })
}

/// Parses one line of operator input.
pub(crate) fn parse(line: &str, targets: &Targets) -> Result<Command, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(Command::Nothing);
    }
    let (word, rest) = split_word(line);
    match word {
        "register" => register(rest),
        "deregister" => no_arguments(word, rest).map(|()| act("deregister", Map::new())),
        "pager" => pager(rest, targets),
        "options" => options(rest, targets),
        "imdn" => imdn(rest),
        "chat" => with_text(word, "start-chat", rest, targets, false),
        "say" => with_text(word, "send-chat", rest, targets, true),
        "big" => big(rest, targets),
        "bye" => only_target(word, "end-chat", rest, targets),
        "message" => with_text(word, "send-message", rest, targets, true),
        "raw" => match rest {
            "" => Err("failed to read `raw`: it needs a FILE".to_owned()),
            path => Ok(Command::Raw(PathBuf::from(path))),
        },
        "help" => no_arguments(word, rest).map(|()| Command::Help),
        "quit" | "exit" => no_arguments(word, rest).map(|()| Command::Quit),
        other => Err(format!(
            "failed to read command `{other}`: type `help` for the list"
        )),
    }
}

fn register(rest: &str) -> Result<Command, String> {
    let mut params = Map::new();
    let (expires, extra) = split_word(rest);
    if !extra.is_empty() {
        return Err(format!("failed to read `register`: unexpected `{extra}`"));
    }
    if !expires.is_empty() {
        let expires: u32 = expires.parse().map_err(|_| {
            format!("failed to read `register`: expires `{expires}` is not a number of seconds")
        })?;
        params.insert("expires".to_owned(), expires.into());
    }
    Ok(act("register", params))
}

fn pager(rest: &str, targets: &Targets) -> Result<Command, String> {
    let (to, text) = split_word(rest);
    if to.is_empty() {
        return Err("failed to read `pager`: it needs a target TO".to_owned());
    }
    let mut params = Map::new();
    params.insert("to".to_owned(), targets.resolve(to)?.into());
    // Without text the action's default text is sent.
    if !text.is_empty() {
        params.insert("text".to_owned(), text.into());
    }
    Ok(act("send-pager", params))
}

fn options(rest: &str, targets: &Targets) -> Result<Command, String> {
    only_target("options", "send-options", rest, targets)
}

/// `WORD TO` for an action whose only parameter is `to`.
fn only_target(
    word: &str,
    action: &'static str,
    rest: &str,
    targets: &Targets,
) -> Result<Command, String> {
    let (to, extra) = split_word(rest);
    if to.is_empty() || !extra.is_empty() {
        return Err(format!(
            "failed to read `{word}`: it takes exactly one target TO"
        ));
    }
    let mut params = Map::new();
    params.insert("to".to_owned(), targets.resolve(to)?.into());
    Ok(act(action, params))
}

/// `WORD TO TEXT...`: the text as typed, inner spacing kept; `needs_text` refuses an empty one.
fn with_text(
    word: &str,
    action: &'static str,
    rest: &str,
    targets: &Targets,
    needs_text: bool,
) -> Result<Command, String> {
    let (to, text) = split_word(rest);
    if to.is_empty() {
        return Err(format!("failed to read `{word}`: it needs a target TO"));
    }
    if needs_text && text.is_empty() {
        return Err(format!("failed to read `{word}`: it needs a TEXT after TO"));
    }
    let mut params = Map::new();
    params.insert("to".to_owned(), targets.resolve(to)?.into());
    if !text.is_empty() {
        params.insert("text".to_owned(), text.into());
    }
    Ok(act(action, params))
}

/// `big TO SIZE`: `send-chat` with `size` bytes of filler (the action caps it).
fn big(rest: &str, targets: &Targets) -> Result<Command, String> {
    let (to, rest) = split_word(rest);
    let (size, extra) = split_word(rest);
    if to.is_empty() || size.is_empty() || !extra.is_empty() {
        return Err("failed to read `big`: it takes a target TO and a SIZE in bytes".to_owned());
    }
    let size: u64 = size
        .parse()
        .map_err(|_| format!("failed to read `big`: size `{size}` is not a number of bytes"))?;
    let mut params = Map::new();
    params.insert("to".to_owned(), targets.resolve(to)?.into());
    params.insert("size".to_owned(), size.into());
    Ok(act("send-chat", params))
}

fn imdn(rest: &str) -> Result<Command, String> {
    match rest {
        "delivered" | "displayed" => {
            let mut params = Map::new();
            params.insert("status".to_owned(), rest.into());
            Ok(act("send-imdn", params))
        }
        other => Err(format!(
            "failed to read `imdn`: status `{other}` is not `delivered` or `displayed`"
        )),
    }
}

fn act(action: &'static str, params: Map<String, Value>) -> Command {
    Command::Act { action, params }
}

fn no_arguments(word: &str, rest: &str) -> Result<(), String> {
    match rest {
        "" => Ok(()),
        extra => Err(format!("failed to read `{word}`: unexpected `{extra}`")),
    }
}

/// The first whitespace-separated word and the rest, trimmed at its start (inner spacing kept).
fn split_word(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    match text.find(char::is_whitespace) {
        Some(end) => (&text[..end], text[end..].trim_start()),
        None => (text, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn targets() -> Targets {
        Targets {
            peers: BTreeSet::from(["bob".to_owned()]),
            domain: "ims.example".to_owned(),
        }
    }

    fn acted(line: &str) -> (&'static str, Value) {
        match parse(line, &targets()).unwrap() {
            Command::Act { action, params } => (action, Value::Object(params)),
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn register_and_deregister_map_to_their_actions() {
        assert_eq!(acted("register"), ("register", json!({})));
        assert_eq!(
            acted("  register   60 "),
            ("register", json!({ "expires": 60 }))
        );
        assert_eq!(acted("deregister"), ("deregister", json!({})));
        assert!(parse("register soon", &targets()).is_err());
        assert!(parse("register 60 70", &targets()).is_err());
        assert!(parse("deregister now", &targets()).is_err());
    }

    #[test]
    fn pager_keeps_the_text_as_typed_and_resolves_the_target() {
        assert_eq!(
            acted("pager bob Your  card bill is due"),
            (
                "send-pager",
                json!({ "to": "bob", "text": "Your  card bill is due" })
            )
        );
        assert_eq!(
            acted("pager +8613800000001 hello"),
            (
                "send-pager",
                json!({ "to": "sip:+8613800000001@ims.example", "text": "hello" })
            )
        );
        assert_eq!(
            acted("pager tel:+8613800000002"),
            ("send-pager", json!({ "to": "tel:+8613800000002" }))
        );
        let err = parse("pager carol hi", &targets()).unwrap_err();
        assert!(err.contains("`carol`"), "{err}");
        assert!(parse("pager", &targets()).is_err());
    }

    #[test]
    fn options_and_imdn_take_their_one_argument() {
        assert_eq!(
            acted("options bob"),
            ("send-options", json!({ "to": "bob" }))
        );
        assert!(parse("options", &targets()).is_err());
        assert!(parse("options bob carol", &targets()).is_err());
        assert_eq!(
            acted("imdn displayed"),
            ("send-imdn", json!({ "status": "displayed" }))
        );
        let err = parse("imdn read", &targets()).unwrap_err();
        assert!(err.contains("`read`"), "{err}");
    }

    #[test]
    fn chat_commands_map_to_the_session_actions() {
        assert_eq!(acted("chat bob"), ("start-chat", json!({ "to": "bob" })));
        assert_eq!(
            acted("chat +8613800000001  hello  there"),
            (
                "start-chat",
                json!({ "to": "sip:+8613800000001@ims.example", "text": "hello  there" })
            )
        );
        assert_eq!(
            acted("say bob how are you"),
            ("send-chat", json!({ "to": "bob", "text": "how are you" }))
        );
        assert_eq!(
            acted("big bob 65536"),
            ("send-chat", json!({ "to": "bob", "size": 65536 }))
        );
        assert_eq!(acted("bye bob"), ("end-chat", json!({ "to": "bob" })));
        assert_eq!(
            acted("message bob a long story"),
            (
                "send-message",
                json!({ "to": "bob", "text": "a long story" })
            )
        );
        let t = targets();
        for line in [
            "chat",
            "say",
            "say bob",
            "big bob",
            "big bob many",
            "big bob 9 9",
        ] {
            assert!(parse(line, &t).is_err(), "{line}");
        }
        for line in ["bye", "bye bob now", "message bob", "say carol hi"] {
            assert!(parse(line, &t).is_err(), "{line}");
        }
        let err = parse("big bob -1", &t).unwrap_err();
        assert!(err.contains("`-1`"), "{err}");
    }

    #[test]
    fn help_lists_every_command() {
        let t = targets();
        for word in [
            "register",
            "deregister",
            "pager",
            "options",
            "imdn",
            "chat",
            "say",
            "big",
            "bye",
            "message",
            "raw",
            "help",
            "quit",
        ] {
            assert!(
                HELP.lines().any(|l| l.trim_start().starts_with(word)),
                "{word}"
            );
            let err = parse(word, &t).err().unwrap_or_default();
            assert!(!err.contains("type `help`"), "{word} is a command: {err}");
        }
    }

    #[test]
    fn other_lines() {
        let t = targets();
        assert_eq!(
            parse("raw  a b.sip", &t),
            Ok(Command::Raw("a b.sip".into()))
        );
        assert!(parse("raw", &t).is_err());
        assert_eq!(parse("help", &t), Ok(Command::Help));
        assert_eq!(parse("quit", &t), Ok(Command::Quit));
        assert_eq!(parse("   ", &t), Ok(Command::Nothing));
        assert_eq!(parse("# a comment", &t), Ok(Command::Nothing));
        let err = parse("send hi", &t).unwrap_err();
        assert!(err.contains("`send`") && err.contains("help"), "{err}");
    }

    #[test]
    fn numbers_are_e164_with_plus() {
        assert!(is_msisdn("+8613800000001"));
        assert!(!is_msisdn("8613800000001"));
        assert!(!is_msisdn("+"));
        assert!(!is_msisdn("+86-138"));
        assert!(!is_msisdn("+1234567890123456"));
    }
}
