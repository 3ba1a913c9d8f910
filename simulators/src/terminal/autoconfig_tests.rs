//! Tests of the configuration client's query and of what it keeps from answers.

use super::*;
use rcs_proto::http::ResponseBuilder;

fn response(builder: ResponseBuilder) -> Response {
    builder.build().unwrap()
}

fn client() -> AutoConfig {
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let tap = WireTap::new("alice", rcs_harness::clock::Clock::virtual_time(), tx);
    AutoConfig::new(tap, None)
}

fn doc(version: i64, validity: u64, full: bool) -> String {
    let mut doc = ProvisioningDoc::default();
    doc.set("VERS/version", &version.to_string())
        .set("VERS/validity", &validity.to_string());
    if full {
        doc.set(PCSCF, "127.0.0.1:5070").set(PASSWORD, "pw");
    }
    doc.to_xml()
}

#[test]
fn the_query_carries_the_section_2_1_parameters() {
    let user = Subscriber::builtin(1, true);
    let q = query(&user, 3, Some("t k"), Some("123456"), &Faults::default());
    assert!(q.starts_with("vers=3&IMSI=460003800000001&"), "{q}");
    for part in [
        "msisdn=%2B8613800000001",
        "token=t%20k",
        "rcs_version=11.0",
        "rcs_profile=UP_2.4",
        "provisioning_version=5.0",
        "app=ap2001",
        "app=urn%3Aoma%3Amo%3Aext-3gpp-ims%3A1.0",
        "otp=123456",
    ] {
        assert!(q.contains(part), "{part} in {q}");
    }
    let faults = Faults::from_ids(&["terminal.config-missing-rcs-profile".to_owned()]).unwrap();
    assert!(!query(&user, 0, None, None, &faults).contains("rcs_profile"));
}

#[test]
fn answers_set_the_memory() {
    let now = Instant::now();
    let ac = client();
    let full = response(ResponseBuilder::new(200, "OK").body(doc(2, 60, true)));
    assert_eq!(
        ac.apply(&full, now),
        Outcome::Configured {
            version: 2,
            validity: 60
        }
    );
    assert_eq!(ac.pcscf(), Some("127.0.0.1:5070".parse().unwrap()));
    assert_eq!(ac.password().as_deref(), Some("pw"));
    let short = response(ResponseBuilder::new(200, "OK").body(doc(2, 60, false)));
    assert!(matches!(ac.apply(&short, now), Outcome::Configured { .. }));
    assert!(ac.configured());
    let busy = response(ResponseBuilder::new(503, "X").header("Retry-After", "120"));
    assert_eq!(ac.apply(&busy, now), Outcome::RetryAfter(Some(120)));
    assert_eq!(ac.blocked(now), Some(Blocked::Deferred));
    assert_eq!(ac.blocked(now + Duration::from_secs(121)), None);
    let dormant = response(ResponseBuilder::new(200, "OK").body(doc(-2, 0, false)));
    assert_eq!(ac.apply(&dormant, now), Outcome::Disabled(-2));
    assert!(!ac.configured());
    assert_eq!(
        ac.blocked(now + Duration::from_secs(500)),
        Some(Blocked::Disabled)
    );
    let ac = client();
    let otp = response(ResponseBuilder::new(200, "OK"));
    assert_eq!(ac.apply(&otp, now), Outcome::OtpRequested);
    let forbidden = response(ResponseBuilder::new(403, "Forbidden"));
    assert_eq!(ac.apply(&forbidden, now), Outcome::Forbidden);
    assert_eq!(ac.blocked(now), Some(Blocked::Forbidden));
}

#[test]
fn urls_need_an_address_and_roles_pass() {
    let url = ConfigUrl::parse("https://127.0.0.1:8443/cfg")
        .unwrap()
        .unwrap();
    assert_eq!(url.addr, "127.0.0.1:8443".parse().unwrap());
    assert!(url.tls);
    assert_eq!(url.path, "/cfg");
    assert_eq!(ConfigUrl::parse("mc").unwrap(), None);
    assert!(ConfigUrl::parse("http://config.example/").is_err());
    assert!(ConfigUrl::parse("ftp://127.0.0.1:1/").is_err());
}
