//! The auto-configuration document (protocols.md §2.1): the `wap-provisioningdoc` an RCS client
//! receives from the configuration server, a tree of `characteristic type=...` holding
//! `parm name=... value=...` (RCC.07 ch. 2, RCC.14, RCC.15).
//!
//! [`ProvisioningDoc::parse`] reads the tree (elements in no namespace, as the documents carry
//! none), refuses DOCTYPE declarations (even the public WAP DTD some servers send: it could
//! define entities) and external entities, and requires `type` on a characteristic and `name` on
//! a parm (`value` may be absent and reads as empty). [`ProvisioningDoc::get`] looks a parameter
//! up by path, `"VERS/version"` or `"APPLICATION/SERVICES/ChatAuth"`, matching types and names
//! without regard to case and searching every characteristic of a repeated type
//! (several `APPLICATION`s). [`ProvisioningDoc::set`] builds documents the same way, and
//! [`ProvisioningDoc::config_version`] reads the meaning of `VERS/version` (>0, 0, -1, -2; §2.1,
//! [B]).
//!
//! Not modelled: the OMA DM tree semantics of each parameter; values are strings.

use crate::xml_tree::{Element, Limits, XmlError, XmlWriter, parse_number, parse_root};

/// The content type of the document.
pub const AUTOCONFIG_CONTENT_TYPE: &str = "text/xml";

/// The caps: 256 KiB, 10 000 elements, 32 levels.
pub const AUTOCONFIG_LIMITS: Limits = Limits::DEFAULT;

const DOC: &str = "wap-provisioningdoc";

/// A `wap-provisioningdoc`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProvisioningDoc {
    /// The `version` attribute of the root (e.g. `1.1`).
    pub version: Option<String>,
    /// The top-level characteristics.
    pub characteristics: Vec<Characteristic>,
}

/// A `characteristic`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Characteristic {
    /// `type`.
    pub kind: String,
    /// The `parm` children, in order.
    pub parms: Vec<Parm>,
    /// The nested characteristics, in order.
    pub characteristics: Vec<Characteristic>,
}

/// A `parm`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parm {
    /// `name`.
    pub name: String,
    /// `value`.
    pub value: String,
}

/// What `VERS/version` tells the client (protocols.md §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigVersion {
    /// `> 0`: a valid configuration of this version.
    Valid(u32),
    /// `0`: reset; the client deletes its configuration and retries later.
    Reset,
    /// `-1`: reset and RCS disabled.
    ResetDisabled,
    /// `-2`: RCS disabled (dormant) until the user re-enables it.
    Dormant,
}

impl ProvisioningDoc {
    /// Parses a provisioning document; see the module docs for what is checked.
    pub fn parse(xml: &[u8]) -> Result<Self, XmlError> {
        let root = parse_root(xml, DOC, &AUTOCONFIG_LIMITS, "", DOC)?;
        Ok(Self {
            version: root.attr("version").map(str::to_owned),
            characteristics: characteristics(&root)?,
        })
    }

    /// The value of the parameter at `path` (`TYPE/.../name`, case-insensitive).
    pub fn get(&self, path: &str) -> Option<&str> {
        let (types, name) = split(path)?;
        find(&self.characteristics, &types, name)
    }

    /// The first characteristic at `path` (`TYPE/TYPE`, case-insensitive).
    pub fn characteristic(&self, path: &str) -> Option<&Characteristic> {
        let mut level = &self.characteristics;
        let mut found = None;
        for kind in path.split('/') {
            let c = level.iter().find(|c| c.kind.eq_ignore_ascii_case(kind))?;
            level = &c.characteristics;
            found = Some(c);
        }
        found
    }

    /// Sets the parameter at `path`, creating the characteristics on the way (the first of a
    /// type is used when several exist) and replacing a parameter of the same name.
    pub fn set(&mut self, path: &str, value: &str) -> &mut Self {
        if let Some((types, name)) = split(path) {
            set_in(&mut self.characteristics, &types, name, value);
        }
        self
    }

    /// `VERS/version`.
    pub fn version_number(&self) -> Option<Result<i64, XmlError>> {
        self.get("VERS/version")
            .map(|v| parse_number(v, "VERS/version"))
    }

    /// `VERS/validity`, in seconds.
    pub fn validity(&self) -> Option<Result<u64, XmlError>> {
        self.get("VERS/validity")
            .map(|v| parse_number(v, "VERS/validity"))
    }

    /// `TOKEN/token`.
    pub fn token(&self) -> Option<&str> {
        self.get("TOKEN/token")
    }

    /// What `VERS/version` means, or an error naming it when absent or outside its range.
    pub fn config_version(&self) -> Result<ConfigVersion, XmlError> {
        let version = self.version_number().ok_or(XmlError::MissingElement {
            parent: "characteristic VERS",
            element: "parm version",
        })??;
        match version {
            -2 => Ok(ConfigVersion::Dormant),
            -1 => Ok(ConfigVersion::ResetDisabled),
            0 => Ok(ConfigVersion::Reset),
            v => u32::try_from(v)
                .map(ConfigVersion::Valid)
                .map_err(|_| XmlError::InvalidValue {
                    construct: "VERS/version",
                    value: v.to_string(),
                    expected: "a positive version, 0, -1 or -2",
                }),
        }
    }

    /// The document in the canonical layout.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        let attrs: Vec<_> = self
            .version
            .iter()
            .map(|v| ("version", v.as_str()))
            .collect();
        w.open(DOC, &attrs);
        self.characteristics.iter().for_each(|c| write(&mut w, c));
        w.close(DOC);
        w.finish()
    }
}

fn set_in(level: &mut Vec<Characteristic>, types: &[&str], name: &str, value: &str) {
    let Some((first, rest)) = types.split_first() else {
        return;
    };
    let index = match level
        .iter()
        .position(|c| c.kind.eq_ignore_ascii_case(first))
    {
        Some(i) => i,
        None => {
            level.push(Characteristic {
                kind: (*first).to_owned(),
                ..Characteristic::default()
            });
            level.len() - 1
        }
    };
    let Some(c) = level.get_mut(index) else {
        return;
    };
    if !rest.is_empty() {
        return set_in(&mut c.characteristics, rest, name, value);
    }
    match c
        .parms
        .iter_mut()
        .find(|p| p.name.eq_ignore_ascii_case(name))
    {
        Some(parm) => parm.value = value.to_owned(),
        None => c.parms.push(Parm {
            name: name.to_owned(),
            value: value.to_owned(),
        }),
    }
}

fn split(path: &str) -> Option<(Vec<&str>, &str)> {
    let (types, name) = path.rsplit_once('/')?;
    Some((types.split('/').collect(), name))
}

/// Depth-first search of `types` then parm `name`, trying every characteristic of a type.
fn find<'a>(level: &'a [Characteristic], types: &[&str], name: &str) -> Option<&'a str> {
    let (first, rest) = types.split_first()?;
    level
        .iter()
        .filter(|c| c.kind.eq_ignore_ascii_case(first))
        .find_map(|c| match rest {
            [] => c
                .parms
                .iter()
                .find(|p| p.name.eq_ignore_ascii_case(name))
                .map(|p| p.value.as_str()),
            _ => find(&c.characteristics, rest, name),
        })
}

fn characteristics(parent: &Element) -> Result<Vec<Characteristic>, XmlError> {
    parent
        .children
        .iter()
        .filter(|c| c.namespace.is_none() && c.name == "characteristic")
        .map(characteristic)
        .collect()
}

fn characteristic(e: &Element) -> Result<Characteristic, XmlError> {
    let parms = e
        .children
        .iter()
        .filter(|c| c.namespace.is_none() && c.name == "parm")
        .map(|p| {
            Ok(Parm {
                name: p.required_attr("name", "parm")?.to_owned(),
                value: p.attr("value").unwrap_or_default().to_owned(),
            })
        })
        .collect::<Result<_, XmlError>>()?;
    Ok(Characteristic {
        kind: e.required_attr("type", "characteristic")?.to_owned(),
        parms,
        characteristics: characteristics(e)?,
    })
}

fn write(w: &mut XmlWriter, c: &Characteristic) {
    w.open("characteristic", &[("type", &c.kind)]);
    for p in &c.parms {
        w.empty("parm", &[("name", &p.name), ("value", &p.value)]);
    }
    c.characteristics.iter().for_each(|c| write(w, c));
    w.close("characteristic");
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
