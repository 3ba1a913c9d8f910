//! The documents the configuration server answers with (protocols.md §2.1; RCC.07 ch. 2, RCC.14,
//! RCC.15): the full `wap-provisioningdoc` of a user and the short one holding only `VERS`.
//!
//! The full document carries `VERS` (version, validity), `TOKEN`, the IMS application
//! (`urn:oma:mo:ext-3gpp-ims:1.0`: the user's identities, home domain, the message center as
//! `LBO_P-CSCF_Address` with its signalling transport, realm and digest credentials) and the RCS
//! application (`ap2002`: services, chat with the conference factory, standalone messaging with
//! the switchover size, file transfer limits). Where the RCS parameters sit in the tree is
//! simplified (the OMA DM tree of RCC.15 has more levels); clients here look them up by path.
//! This module does not decide which document is due: `config_server` does.

use std::net::SocketAddr;

use rcs_harness::events::Transport;
use rcs_harness::role::Subscriber;
use rcs_proto::autoconfig::{Characteristic, Parm, ProvisioningDoc};

/// The AppID of the IMS application (3GPP TS 24.167).
pub(crate) const IMS_APP_ID: &str = "urn:oma:mo:ext-3gpp-ims:1.0";

/// What the message center tells every user about itself.
#[derive(Clone, Debug)]
pub(crate) struct ImsParams {
    /// The SIP address terminals register to.
    pub pcscf: SocketAddr,
    /// The transport it is reached over.
    pub transport: Transport,
    /// The digest realm of its challenges.
    pub realm: String,
    /// The content server's URL (`ftHTTPCSURI`), when the message center runs one.
    pub ft_http_cs_uri: Option<String>,
}

/// `SIPoUDP`, `SIPoTCP` or `SIPoTLS`: the value of `psSignalling` (protocols.md §2.1).
pub(crate) fn signalling(transport: Transport) -> &'static str {
    match transport {
        Transport::Udp => "SIPoUDP",
        Transport::Tcp => "SIPoTCP",
        Transport::Tls => "SIPoTLS",
    }
}

/// `VERS` only: the answer to a client already holding `version`, or a reset/disable.
pub(crate) fn short(version: i64, validity: u64) -> ProvisioningDoc {
    let mut doc = ProvisioningDoc {
        version: Some("1.1".to_owned()),
        characteristics: Vec::new(),
    };
    doc.set("VERS/version", &version.to_string())
        .set("VERS/validity", &validity.to_string());
    doc
}

/// The whole configuration of `user`.
pub(crate) fn full(
    user: &Subscriber,
    ims: &ImsParams,
    version: i64,
    validity: u64,
    token: &str,
) -> ProvisioningDoc {
    let mut doc = short(version, validity);
    doc.set("TOKEN/token", token)
        .set("TOKEN/validity", &validity.to_string());
    doc.characteristics.push(ims_application(user, ims));
    doc.characteristics.push(rcs_application(user, ims));
    doc
}

fn parm(name: &str, value: &str) -> Parm {
    Parm {
        name: name.to_owned(),
        value: value.to_owned(),
    }
}

fn node(kind: &str, parms: Vec<Parm>, children: Vec<Characteristic>) -> Characteristic {
    Characteristic {
        kind: kind.to_owned(),
        parms,
        characteristics: children,
    }
}

fn ims_application(user: &Subscriber, ims: &ImsParams) -> Characteristic {
    let pcscf = node(
        "LBO_P-CSCF_Address",
        vec![
            parm("Address", &ims.pcscf.to_string()),
            parm(
                "AddressType",
                if ims.pcscf.is_ipv4() { "IPv4" } else { "IPv6" },
            ),
        ],
        Vec::new(),
    );
    let transport = signalling(ims.transport);
    let parms = vec![
        parm("Public_User_Identity", &user.sip_uri()),
        parm("Public_User_Identity", &format!("tel:{}", user.msisdn)),
        parm("Private_User_Identity", &user.impi),
        parm("Home_network_domain_name", &user.domain),
        parm("psSignalling", transport),
        parm("wifiSignalling", transport),
        parm("AuthType", "Digest"),
        parm("Realm", &ims.realm),
        parm("UserName", &user.impi),
        parm("UserPwd", &user.password),
    ];
    node(
        "APPLICATION",
        vec![parm("AppID", IMS_APP_ID)],
        vec![node("3GPP_IMS", parms, vec![pcscf])],
    )
}

fn rcs_application(user: &Subscriber, ims: &ImsParams) -> Characteristic {
    let services = node(
        "SERVICES",
        ["ChatAuth", "GroupChatAuth", "ftAuth", "standaloneMsgAuth"]
            .into_iter()
            .map(|name| parm(name, "1"))
            .collect(),
        Vec::new(),
    );
    let chat = node(
        "Chat",
        vec![
            parm(
                "conf-fcty-uri",
                &format!("sip:conf-factory@{}", user.domain),
            ),
            parm("max_adhoc_group_size", "100"),
            parm("AutAccept", "1"),
        ],
        Vec::new(),
    );
    let standalone = node(
        "StandaloneMsg",
        vec![parm("MaxSize", "10240"), parm("SwitchoverSize", "1300")],
        Vec::new(),
    );
    let mut ft = vec![parm("MaxSizeFileTr", "104857600"), parm("ftWarnSize", "0")];
    if let Some(uri) = &ims.ft_http_cs_uri {
        ft.insert(0, parm("ftHTTPCSURI", uri));
    }
    let messaging = node(
        "MESSAGING",
        Vec::new(),
        vec![chat, standalone, node("FileTransfer", ft, Vec::new())],
    );
    node(
        "APPLICATION",
        vec![parm("AppID", "ap2002")],
        vec![services, messaging],
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rcs_proto::autoconfig::ConfigVersion;

    fn ims() -> ImsParams {
        ImsParams {
            pcscf: "127.0.0.1:5070".parse().unwrap(),
            transport: Transport::Tcp,
            realm: "ims.mnc000.mcc460.3gppnetwork.org".to_owned(),
            ft_http_cs_uri: None,
        }
    }

    #[test]
    fn the_full_document_reads_back_by_path() {
        let user = Subscriber::builtin(1, true);
        let doc = full(&user, &ims(), 3, 60, "tok");
        let doc = ProvisioningDoc::parse(doc.to_xml().as_bytes()).unwrap();
        assert_eq!(doc.config_version(), Ok(ConfigVersion::Valid(3)));
        assert_eq!(doc.validity(), Some(Ok(60)));
        assert_eq!(doc.token(), Some("tok"));
        let ims_path = |name: &str| format!("APPLICATION/3GPP_IMS/{name}");
        assert_eq!(
            doc.get(&ims_path("LBO_P-CSCF_Address/Address")),
            Some("127.0.0.1:5070")
        );
        assert_eq!(
            doc.get(&ims_path("LBO_P-CSCF_Address/AddressType")),
            Some("IPv4")
        );
        assert_eq!(doc.get(&ims_path("psSignalling")), Some("SIPoTCP"));
        assert_eq!(doc.get(&ims_path("UserName")), Some(user.impi.as_str()));
        assert_eq!(doc.get(&ims_path("UserPwd")), Some(user.password.as_str()));
        assert_eq!(
            doc.get(&ims_path("Public_User_Identity")),
            Some(user.sip_uri().as_str())
        );
        assert_eq!(
            doc.characteristic("APPLICATION").unwrap().parms,
            [parm("AppID", IMS_APP_ID)]
        );
        assert_eq!(
            doc.get("APPLICATION/MESSAGING/StandaloneMsg/SwitchoverSize"),
            Some("1300")
        );
        assert_eq!(
            doc.get("APPLICATION/MESSAGING/FileTransfer/ftHTTPCSURI"),
            None
        );
        assert_eq!(doc.get("APPLICATION/SERVICES/ChatAuth"), Some("1"));
    }

    #[test]
    fn the_content_server_is_named_when_there_is_one_and_short_holds_only_vers() {
        let user = Subscriber::builtin(2, true);
        let ims = ImsParams {
            ft_http_cs_uri: Some("https://127.0.0.1:8443/upload".to_owned()),
            ..ims()
        };
        let doc = full(&user, &ims, 1, 10, "t");
        assert_eq!(
            doc.get("APPLICATION/MESSAGING/FileTransfer/ftHTTPCSURI"),
            Some("https://127.0.0.1:8443/upload")
        );
        let doc = short(-2, 0);
        assert_eq!(doc.config_version(), Ok(ConfigVersion::Dormant));
        assert_eq!(doc.characteristics.len(), 1);
        assert_eq!(doc.token(), None);
    }
}
