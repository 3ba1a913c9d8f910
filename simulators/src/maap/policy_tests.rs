//! Tests of every policy decision, on instants chosen by the test (the case clock's role).

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use super::*;
use crate::maap::chatbots::{DEFAULT_CHATBOT, Family};
use crate::maap::engine::Report;

const ALICE: &str = "tel:+8613900000001";
const BOB: &str = "tel:+8613900000002";

fn bot() -> Chatbot {
    Chatbot::new(DEFAULT_CHATBOT, Family::Cmcc)
}

fn text(body: &str) -> Outbound {
    Outbound {
        chatbot: DEFAULT_CHATBOT.to_owned(),
        to: vec![ALICE.to_owned()],
        content_type: "text/plain".to_owned(),
        body: body.as_bytes().to_vec(),
        message_id: "m-1".to_owned(),
        conversation_id: "conv".to_owned(),
        contribution_id: "contrib".to_owned(),
        in_reply_to: None,
        traffic_type: None,
        reports: vec![Report::Delivered],
        store: true,
        sms_text: None,
        rcs_fallback: None,
        interaction: false,
        family: Family::Cmcc,
        other_net: Default::default(),
    }
}

fn settings() -> MaapSettings {
    MaapSettings {
        sensitive_words: vec!["发票".to_owned()],
        blocked: vec![(BOB.to_owned(), DEFAULT_CHATBOT.to_owned())],
        ..MaapSettings::default()
    }
}

fn faulty(faults: &[&str]) -> Policy {
    let ids: Vec<String> = faults.iter().map(|f| (*f).to_owned()).collect();
    Policy::with_faults(&settings(), PolicyFaults::from_ids(&ids))
}

#[test]
fn an_ordinary_request_is_admitted() {
    let policy = Policy::new(&settings());
    assert_eq!(policy.admit(&bot(), &text("hello"), Instant::now()), Ok(()));
}

#[test]
fn a_paused_chatbot_sends_nothing() {
    let mut paused = bot();
    paused.status = BotStatus::Paused;
    let now = Instant::now();
    let refused = Policy::new(&settings()).admit(&paused, &text("hi"), now);
    assert_eq!(refused, Err(Refusal::Paused));
    let bent = faulty(&["maap.sends-when-paused"]).admit(&paused, &text("hi"), now);
    assert_eq!(bent, Ok(()));
}

#[test]
fn pushes_and_replies_need_their_rights() {
    let policy = Policy::new(&settings());
    let now = Instant::now();
    let mut no_push = bot();
    no_push.push_right = false;
    assert_eq!(
        policy.admit(&no_push, &text("hi"), now),
        Err(Refusal::NoPushRight)
    );
    let mut reply = text("hi");
    reply.interaction = true;
    assert_eq!(policy.admit(&no_push, &reply, now), Ok(()));
    let mut no_interaction = bot();
    no_interaction.interaction_right = false;
    assert_eq!(
        policy.admit(&no_interaction, &reply, now),
        Err(Refusal::NoInteractionRight)
    );
}

#[test]
fn the_per_second_quota_slides_on_the_clock() {
    let policy = Policy::new(&settings());
    let mut limited = bot();
    limited.per_second = Some(5);
    let start = Instant::now();
    let mut admitted = 0;
    for n in 0..20u64 {
        let at = start + Duration::from_millis(n * 40);
        if policy.admit(&limited, &text("burst"), at).is_ok() {
            admitted += 1;
        }
    }
    assert_eq!(admitted, 5);
    let refused = policy.admit(&limited, &text("x"), start + Duration::from_millis(999));
    assert_eq!(refused, Err(Refusal::RateLimited));
    let later = start + Duration::from_millis(1000);
    assert_eq!(policy.admit(&limited, &text("x"), later), Ok(()));

    let bent = faulty(&["maap.no-rate-limit"]);
    let all = (0..20).filter(|_| bent.admit(&limited, &text("b"), start).is_ok());
    assert_eq!(all.count(), 20);
}

#[test]
fn the_daily_cap_counts_the_case_day() {
    let policy = Policy::new(&settings());
    let mut capped = bot();
    capped.daily_cap = Some(10);
    let start = Instant::now();
    for n in 0..10u64 {
        let at = start + Duration::from_secs(n * 60);
        assert_eq!(policy.admit(&capped, &text("x"), at), Ok(()), "send {n}");
    }
    let eleventh = start + Duration::from_secs(3600);
    assert_eq!(
        policy.admit(&capped, &text("x"), eleventh),
        Err(Refusal::DailyCap)
    );
    let next_day = start + Duration::from_secs(24 * 3600);
    assert_eq!(policy.admit(&capped, &text("x"), next_day), Ok(()));

    let bent = faulty(&["maap.no-daily-cap"]);
    let all = (0..11).filter(|_| bent.admit(&capped, &text("x"), start).is_ok());
    assert_eq!(all.count(), 11);
}

#[test]
fn refused_requests_do_not_count() {
    let policy = Policy::new(&settings());
    let mut capped = bot();
    capped.daily_cap = Some(1);
    let now = Instant::now();
    let refused = policy.admit(&capped, &text("请开发票"), now);
    assert_eq!(refused, Err(Refusal::SensitiveWord("发票".to_owned())));
    assert_eq!(policy.admit(&capped, &text("ok"), now), Ok(()));
    assert_eq!(
        policy.admit(&capped, &text("ok"), now),
        Err(Refusal::DailyCap)
    );
}

#[test]
fn sensitive_words_are_found_in_every_text() {
    let policy = Policy::new(&settings());
    let now = Instant::now();
    let mut sms = text("clean");
    sms.sms_text = Some("需要发票吗".to_owned());
    assert_eq!(
        policy.admit(&bot(), &sms, now),
        Err(Refusal::SensitiveWord("发票".to_owned()))
    );
    let bent = faulty(&["maap.no-sensitive-filter"]);
    assert_eq!(bent.admit(&bot(), &text("发票"), now), Ok(()));
}

#[test]
fn content_is_validated_under_the_china_limits() {
    let policy = Policy::new(&settings());
    let now = Instant::now();
    let long = text(&"字".repeat(2001));
    let Err(Refusal::InvalidContent(detail)) = policy.admit(&bot(), &long, now) else {
        panic!("2001 characters admitted");
    };
    assert!(detail.contains("2001"), "{detail}");
    let mut card = text("{not json");
    card.content_type = rcs_proto::bot::BOTMESSAGE_TYPE.to_owned();
    assert!(matches!(
        policy.admit(&bot(), &card, now),
        Err(Refusal::InvalidContent(_))
    ));
}

#[test]
fn blocked_users_and_debug_whitelists_are_per_recipient() {
    let policy = Policy::new(&settings());
    assert_eq!(policy.per_recipient(&bot(), ALICE), None);
    assert_eq!(
        policy.per_recipient(&bot(), "tel:+86-139-0000-0002"),
        Some(FailCause::Blocked)
    );
    let other = Chatbot::new("sip:106500@botplatform.rcs.domain.cn", Family::Ctcu);
    assert_eq!(policy.per_recipient(&other, BOB), None);

    let mut debug = bot();
    debug.status = BotStatus::Debug;
    debug.whitelist = vec![ALICE.to_owned()];
    assert_eq!(policy.per_recipient(&debug, ALICE), None);
    let stranger = "tel:+8613900000003";
    assert_eq!(
        policy.per_recipient(&debug, stranger),
        Some(FailCause::NotFound)
    );

    let bent = faulty(&["maap.ignores-user-block", "maap.debug-to-anyone"]);
    assert_eq!(bent.per_recipient(&bot(), BOB), None);
    assert_eq!(bent.per_recipient(&debug, stranger), None);
}

#[test]
fn tel_keys_ignore_separators_and_parameters() {
    assert_eq!(
        tel_key("tel:+86-139-0000-0001;phone-context=x"),
        "+8613900000001"
    );
    assert_eq!(tel_key(" +8613900000001 "), "+8613900000001");
}
