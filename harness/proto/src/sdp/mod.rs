//! SDP, the Session Description Protocol (RFC 8866, formerly RFC 4566), as MSRP sessions use it.
//!
//! What is here:
//! - [`Sdp`]: a lossless description. [`Sdp::parse`] keeps the input bytes as given (CRLF or LF line
//!   ends, spacing, attribute order), so [`Sdp::to_bytes`] returns them unchanged; the lines are read
//!   into session-level [`Line`]s and [`Media`] sections. [`SdpBuilder`] writes new descriptions with
//!   CRLF line ends.
//! - [`MsrpMedia`]: the typed view of an `m=message` section (RFC 4975 §8, RFC 6135, RFC 4145):
//!   `a=path`, `a=setup`, `a=accept-types`, `a=accept-wrapped-types`, direction, `a=max-size`,
//!   `a=msrp-cema`; with [`Setup`] and [`Direction`] and their offer/answer rules.
//!
//! Parsing is lenient (RFC 8866 §5 order of lines, `o=`/`s=`/`t=` presence and blank lines are not
//! enforced) but rejects what cannot be SDP: a first line other than `v=0`, a line without `=` or
//! with a type that is not one letter, an `m=` line without a numeric port. Input is capped at
//! [`MAX_SDP_SIZE`] bytes and [`MAX_SDP_LINES`] lines.
//!
//! What is not here: offer/answer negotiation of RTP media (RFC 3264 beyond the MSRP attributes),
//! `b=`, `k=`, time zones and repeat times as typed values (they are kept as lines).

mod builder;
mod direction;
mod error;
mod media;
mod msrp_media;
mod parse;
mod setup;

pub use builder::SdpBuilder;
pub use direction::Direction;
pub use error::SdpError;
pub use media::Media;
pub use msrp_media::MsrpMedia;
pub use setup::Setup;

/// The largest description [`Sdp::parse`] accepts, in bytes.
pub const MAX_SDP_SIZE: usize = 64 * 1024;

/// The most lines [`Sdp::parse`] accepts.
pub const MAX_SDP_LINES: usize = 1024;

/// One `<type>=<value>` line (RFC 8866 §5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    kind: char,
    value: String,
    number: usize,
}

impl Line {
    /// The one-letter type before `=`.
    pub fn kind(&self) -> char {
        self.kind
    }

    /// The value after `=`, without the line end (lossily decoded when not UTF-8).
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The 1-based line number within the description.
    pub fn number(&self) -> usize {
        self.number
    }

    /// For an `a=` line, its name and value (`""` for a flag attribute such as `a=sendonly`).
    pub fn attribute(&self) -> Option<(&str, &str)> {
        if self.kind != 'a' {
            return None;
        }
        Some(
            self.value
                .split_once(':')
                .unwrap_or((self.value.as_str(), "")),
        )
    }

    pub(crate) fn new(kind: char, value: String, number: usize) -> Self {
        Self {
            kind,
            value,
            number,
        }
    }
}

/// A parsed or built session description; see the module documentation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sdp {
    raw: Vec<u8>,
    session: Vec<Line>,
    media: Vec<Media>,
}

impl Sdp {
    /// Parses a description; the bytes are kept as given.
    pub fn parse(bytes: &[u8]) -> Result<Self, SdpError> {
        parse::parse(bytes)
    }

    /// A builder for a new description with CRLF line ends.
    pub fn builder() -> SdpBuilder {
        SdpBuilder::default()
    }

    /// The description's bytes: the input as given when parsed, CRLF-terminated lines when built.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.raw.clone()
    }

    /// The bytes, borrowed.
    pub fn as_bytes(&self) -> &[u8] {
        &self.raw
    }

    /// The session-level lines, from `v=` to the line before the first `m=`.
    pub fn session_lines(&self) -> &[Line] {
        &self.session
    }

    /// The media sections, in order.
    pub fn media(&self) -> &[Media] {
        &self.media
    }

    /// The value of the first session-level line of this type.
    pub fn session_line(&self, kind: char) -> Option<&str> {
        self.session
            .iter()
            .find(|l| l.kind == kind)
            .map(|l| l.value.as_str())
    }

    /// The session-level `c=` value, if any.
    pub fn connection(&self) -> Option<&str> {
        self.session_line('c')
    }

    /// The value of the first session-level attribute of this name (ASCII case-insensitive);
    /// `""` for a flag attribute.
    pub fn session_attribute(&self, name: &str) -> Option<&str> {
        attributes(&self.session, name).next()
    }

    /// The values of every session-level attribute of this name, in order.
    pub fn session_attributes(&self, name: &str) -> Vec<&str> {
        attributes(&self.session, name).collect()
    }

    pub(crate) fn from_parts(raw: Vec<u8>, session: Vec<Line>, media: Vec<Media>) -> Self {
        Self {
            raw,
            session,
            media,
        }
    }
}

/// The values of the `a=<name>` lines among `lines`, names compared ASCII case-insensitively.
pub(crate) fn attributes<'a, 'n>(
    lines: &'a [Line],
    name: &'n str,
) -> impl Iterator<Item = &'a str> + use<'a, 'n> {
    lines
        .iter()
        .filter_map(Line::attribute)
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// The address of a `c=` value `<nettype> <addrtype> <address>[/ttl]` (RFC 8866 §5.7).
pub(crate) fn connection_address(value: &str) -> Result<(&str, &str), SdpError> {
    let err = || SdpError::Connection {
        value: value.to_owned(),
    };
    let mut fields = value.split_ascii_whitespace();
    let (Some(_net), Some(addrtype), Some(address), None) =
        (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        return Err(err());
    };
    let address = address.split('/').next().unwrap_or_default();
    match address.is_empty() {
        true => Err(err()),
        false => Ok((addrtype, address)),
    }
}
