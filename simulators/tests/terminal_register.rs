//! The terminal's registration as a message center sees it (protocols.md §2.2-2.5).

#![allow(clippy::unwrap_used)]

mod terminal_support;

use std::time::Duration;

use rcs_harness::clock::Clock;
use rcs_harness::events::{Direction, Transport};
use rcs_proto::sip::auth::Credentials;
use serde_json::{Value, json};
use terminal_support::*;

/// The §2.2 feature tags after the instance, as the terminal writes them.
const TAGS: &str = "+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session,urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session.group,urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg,urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.largemsg,urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.systemmsg,urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.filetransfer\";+g.3gpp.iari-ref=\"urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.fthttp,urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.ftthumb,urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.ftsms,urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.geopush,urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.geosms,urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.chatbot,urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.chatbot.sa\";+g.gsma.rcs.cpm.pager-large;+g.gsma.rcs.botversion=\"#=1,#=2\";reg-id=1";

#[tokio::test]
async fn register_dance_is_as_section_2_2_and_verifies() {
    let mut rig = launch(&[], Value::Null).await;
    let port = rig.terminal().port();
    let serve = async {
        let (first, bytes, from) = rig.recv().await;
        assert_eq!(from, rig.terminal(), "sent from its own listening socket");
        assert_eq!(first.request_uri(), Some(format!("sip:{DOMAIN}").as_str()));
        let via = first.header("Via").unwrap();
        assert!(
            via.starts_with(&format!("SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK")),
            "{via}"
        );
        assert!(via.ends_with(";rport"), "{via}");
        assert_eq!(first.header("Max-Forwards"), Some("70"));
        let impu = format!("<sip:+8613800000001@{DOMAIN}>");
        assert!(
            first
                .header("From")
                .unwrap()
                .starts_with(&format!("{impu};tag="))
        );
        assert_eq!(first.header("To"), Some(impu.as_str()));
        assert_eq!(first.header("CSeq"), Some("1 REGISTER"));
        let contact = first.header("Contact").unwrap();
        let (head, rest) = contact.split_once(";+sip.instance=\"<urn:uuid:").unwrap();
        assert_eq!(
            head,
            format!("<sip:+8613800000001@127.0.0.1:{port};transport=udp>")
        );
        let (uuid, tags) = rest.split_once(">\";").unwrap();
        assert!(uuid::Uuid::parse_str(uuid).is_ok(), "{uuid}");
        assert_eq!(tags, TAGS);
        assert_eq!(first.header("Expires"), Some("600000"));
        assert_eq!(first.header("Supported"), Some("path,gruu"));
        assert_eq!(
            first.header("Allow"),
            Some("INVITE, ACK, CANCEL, BYE, UPDATE, OPTIONS, MESSAGE, NOTIFY, REFER")
        );
        assert_eq!(
            first.header("Authorization").unwrap(),
            format!(
                "Digest username=\"8613800000001@{DOMAIN}\",realm=\"{DOMAIN}\",uri=\"sip:{DOMAIN}\",nonce=\"\",response=\"\""
            )
        );
        assert!(bytes.ends_with(b"Content-Length: 0\r\n\r\n"));
        rig.reply(&first, 401, &[("WWW-Authenticate", &challenge("bm9uY2Ux"))])
            .await;

        let (second, _, _) = rig.recv().await;
        assert_eq!(
            second.call_id(),
            first.call_id(),
            "Call-ID stable across the dance"
        );
        assert_eq!(second.header("CSeq"), Some("2 REGISTER"));
        assert_eq!(second.header("From"), first.header("From"));
        assert_eq!(second.header("Contact"), first.header("Contact"));
        let auth = Credentials::parse(second.header("Authorization").unwrap()).unwrap();
        assert_eq!(auth.verify("REGISTER", &rig.alice.password), Ok(()));
        assert_eq!(auth.nonce, "bm9uY2Ux");
        assert_eq!(auth.uri, format!("sip:{DOMAIN}"));
        assert_eq!(
            (auth.qop.as_deref(), auth.nc.as_deref()),
            (Some("auth"), Some("00000001"))
        );
        assert!(auth.cnonce.as_deref().is_some_and(|c| !c.is_empty()));
        let granted = format!("{};expires=3600", second.header("Contact").unwrap());
        rig.reply(&second, 200, &[("Contact", &granted), ("Expires", "7200")])
            .await;
        (
            first.call_id().unwrap().to_owned(),
            first.header("Contact").unwrap().to_owned(),
        )
    };
    let (out, (call_id, contact)) = tokio::join!(rig.act("register", Value::Null), serve);
    assert_eq!(out.values["status"], "200");
    assert_eq!(
        out.values["expires"], "3600",
        "the Contact's expires wins over Expires"
    );
    assert_eq!(out.values["sent.Call-ID"], call_id);
    assert_eq!(out.values["contact"], contact);
    let tags = &out.values["tags"];
    assert!(
        tags.contains("+g.3gpp.icsi-ref=urn:urn-7:3gpp-service.ims.icsi.oma.cpm.msg; "),
        "{tags}"
    );
    assert!(
        !tags.contains("instance") && !tags.contains("reg-id"),
        "{tags}"
    );

    let mut directions = Vec::new();
    while let Ok(captured) = rig.tap.try_recv() {
        directions.push(captured.direction);
    }
    assert_eq!(
        directions,
        [Direction::Out, Direction::In, Direction::Out, Direction::In],
        "every message is on the wire record"
    );
    rig.shutdown().await;
}

#[tokio::test]
async fn the_200_sets_identity_and_route_for_later_requests() {
    let rig = launch(&[], Value::Null).await;
    let pau = format!(
        "<sip:+8613800000009@{DOMAIN}>;barred, <tel:+8613800000001>, <sip:+8613800000001@{DOMAIN}>"
    );
    let out = rig.register_ok(&pau).await;
    assert_eq!(out.values["identity"], "tel:+8613800000001");
    let serve = async {
        let (message, _, _) = rig.recv().await;
        assert_eq!(message.header_all("Route"), [SERVICE_ROUTE]);
        assert!(
            message
                .header("From")
                .unwrap()
                .starts_with("<tel:+8613800000001>;tag=")
        );
        assert_eq!(
            message.header("P-Preferred-Identity"),
            Some("<tel:+8613800000001>")
        );
        rig.reply(&message, 200, &[]).await;
    };
    let (out, ()) = tokio::join!(rig.act("send-pager", json!({ "to": "bob" })), serve);
    assert_eq!(out.values["status"], "200");
    rig.shutdown().await;
}

#[tokio::test]
async fn a_second_401_is_final_and_the_password_can_be_overridden() {
    let rig = launch(&[], Value::Null).await;
    let serve = async {
        let (first, _, _) = rig.recv().await;
        rig.reply(&first, 401, &[("WWW-Authenticate", &challenge("bjE="))])
            .await;
        let (second, _, _) = rig.recv().await;
        let auth = Credentials::parse(second.header("Authorization").unwrap()).unwrap();
        assert!(auth.verify("REGISTER", &rig.alice.password).is_err());
        assert_eq!(auth.verify("REGISTER", "not-the-password"), Ok(()));
        rig.reply(&second, 401, &[("WWW-Authenticate", &challenge("bjI="))])
            .await;
        assert!(rig.stays_quiet().await, "the challenge is answered once");
    };
    let params = json!({ "password": "not-the-password", "expires": 60 });
    let (out, ()) = tokio::join!(rig.act("register", params), serve);
    assert_eq!(out.values["status"], "401");
    assert!(!out.values.contains_key("expires"));
    rig.shutdown().await;
}

#[tokio::test]
async fn wrong_digest_response_fault_breaks_only_the_response() {
    let rig = launch(&["terminal.wrong-digest-response"], Value::Null).await;
    let serve = async {
        let (first, _, _) = rig.recv().await;
        rig.reply(&first, 401, &[("WWW-Authenticate", &challenge("bm9uY2Ux"))])
            .await;
        let (second, _, _) = rig.recv().await;
        let auth = Credentials::parse(second.header("Authorization").unwrap()).unwrap();
        assert!(auth.verify("REGISTER", &rig.alice.password).is_err());
        assert_eq!(auth.verify("INVITE", &rig.alice.password), Ok(()));
        assert_eq!(auth.uri, format!("sip:{DOMAIN}"));
        assert_eq!(auth.username, rig.alice.impi);
        rig.reply(&second, 403, &[]).await;
    };
    let (out, ()) = tokio::join!(rig.act("register", Value::Null), serve);
    assert_eq!(out.values["status"], "403");
    rig.shutdown().await;
}

/// The Contact parameters of the first REGISTER a terminal with `faults` sends.
async fn first_contact(faults: &[&str]) -> String {
    let rig = launch(faults, json!({ "requested-expires": 120 })).await;
    let serve = async {
        let (first, _, _) = rig.recv().await;
        assert_eq!(
            first.header("Expires"),
            Some("120"),
            "the setting is the default"
        );
        rig.reply(&first, 403, &[]).await;
        let contact = first.header("Contact").unwrap();
        let port = rig.terminal().port();
        let uri = format!("<sip:+8613800000001@127.0.0.1:{port};transport=udp>");
        // The parameters only: each terminal has its own port.
        contact.strip_prefix(&uri).unwrap().to_owned()
    };
    let (_, contact) = tokio::join!(rig.act("register", Value::Null), serve);
    rig.shutdown().await;
    contact
}

#[tokio::test]
async fn contact_faults_change_exactly_their_tag() {
    let clean = first_contact(&[]).await;
    let without_instance = clean
        .split(';')
        .filter(|p| !p.starts_with("+sip.instance="))
        .collect::<Vec<_>>()
        .join(";");

    assert_eq!(
        first_contact(&["terminal.omit-sip-instance"]).await,
        without_instance
    );

    let unencoded = first_contact(&["terminal.unencoded-icsi"]).await;
    let icsi = |c: &str| {
        c.split(';')
            .find(|p| p.starts_with("+g.3gpp.icsi-ref="))
            .unwrap()
            .to_owned()
    };
    assert_eq!(icsi(&unencoded), icsi(&clean).replace("%3A", ":"));
    assert!(icsi(&unencoded).contains("\"urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session,"));
    let rest = |c: &str| {
        c.split(';')
            .filter(|p| !p.starts_with("+g.3gpp.icsi-ref=") && !p.starts_with("+sip.instance="))
            .collect::<Vec<_>>()
            .join(";")
    };
    assert_eq!(rest(&unencoded), rest(&clean));

    let no_bots = first_contact(&["terminal.omit-chatbot-iari"]).await;
    let chatbots = ",urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.chatbot,urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.chatbot.sa";
    assert_eq!(rest(&no_bots), rest(&clean).replace(chatbots, ""));
    assert!(!no_bots.contains("chatbot"));
}

#[tokio::test]
async fn deregister_keeps_the_call_id_and_counts_on() {
    let rig = launch(&[], Value::Null).await;
    let out = rig
        .register_ok(&format!("<sip:+8613800000001@{DOMAIN}>"))
        .await;
    let serve = async {
        let (first, _, _) = rig.recv().await;
        assert_eq!(first.header("Expires"), Some("0"));
        assert_eq!(first.header("CSeq"), Some("3 REGISTER"));
        rig.reply(&first, 401, &[("WWW-Authenticate", &challenge("bjM="))])
            .await;
        let (second, _, _) = rig.recv().await;
        assert_eq!(second.header("CSeq"), Some("4 REGISTER"));
        rig.reply(&second, 200, &[]).await;
        first.call_id().unwrap().to_owned()
    };
    let (gone, call_id) = tokio::join!(rig.act("deregister", Value::Null), serve);
    assert_eq!(call_id, out.values["sent.Call-ID"]);
    assert_eq!(gone.values["status"], "200");
    assert!(!gone.values.contains_key("expires"));
    assert_eq!(gone.values["identity"], rig.alice.sip_uri());
    // Without a registration there is no Service-Route to pre-load.
    let serve = async {
        let (message, _, _) = rig.recv().await;
        assert!(message.header("Route").is_none());
        rig.reply(&message, 200, &[]).await;
    };
    tokio::join!(rig.act("send-options", json!({ "to": "bob" })), serve);
    rig.shutdown().await;
}

#[tokio::test]
async fn udp_requests_are_retransmitted_on_the_case_clock() {
    let clock = Clock::virtual_time();
    let rig = launch_on(clock.clone(), Transport::Udp, &[], Value::Null).await;
    let serve = async {
        let (_, first, _) = rig.recv().await;
        assert!(
            rig.stays_quiet().await,
            "no retransmission before the clock moves"
        );
        clock.advance(Duration::from_millis(500)).await;
        let (_, again, _) = rig.recv().await;
        assert_eq!(again, first, "Timer E resends the same bytes");
        clock.advance(Duration::from_millis(1000)).await;
        let (request, third, _) = rig.recv().await;
        assert_eq!(third, first);
        rig.reply(&request, 403, &[]).await;
    };
    let (out, ()) = tokio::join!(rig.act("register", Value::Null), serve);
    assert_eq!(out.values["status"], "403");
    rig.shutdown().await;
}

#[tokio::test]
async fn an_unanswered_request_times_out_in_real_time() {
    let rig = launch(&[], Value::Null).await;
    let out = rig.act("register", json!({ "timeout": "300ms" })).await;
    assert_eq!(out.values["status"], "timeout");
    rig.shutdown().await;
}

#[tokio::test]
async fn bad_parameters_are_case_errors() {
    let rig = launch(&[], Value::Null).await;
    let params = terminal_support::object(json!({ "to": "carol" }));
    let err = rig.agent.act("send-pager", &params).await.unwrap_err();
    assert!(err.to_string().contains("carol"), "{err}");
    let params = terminal_support::object(json!({ "to": "mc" }));
    let err = rig.agent.act("send-options", &params).await.unwrap_err();
    assert!(err.to_string().contains("no subscriber"), "{err}");
    let err = rig
        .agent
        .act("dance", &Default::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("dance"), "{err}");
    rig.shutdown().await;
}
