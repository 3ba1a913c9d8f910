//! The terminal's answer to an IMS AKA challenge (protocols.md §2.4; RFC 3310 §3.2-3.4,
//! TS 33.102 §6.3.3, TS 24.229 5.1.1.5; TRM-REG-003).
//!
//! The USIM is built from the subscriber's `k`, `opc` and `sqn`. A `401` with
//! `algorithm=AKAv1-MD5` is answered with the digest computed with RES as the password when AUTN
//! verifies and its SQN is fresh; when SQN is out of range, with `auts` and an empty `response`
//! (and the dance goes on for one more challenge); a wrong MAC-A, or no AKA credentials, ends the
//! dance with the reason. Faults: `aka-resync-with-response` (the resync request carries the
//! digest as its response) and `aka-wrong-res` (the digest uses a RES with its last byte altered).

use rcs_harness::role::Subscriber;
use rcs_proto::aka::nonce::{decode_nonce, encode_auts};
use rcs_proto::aka::{Milenage, Usim, UsimAnswer, block_from_hex};
use rcs_proto::sip::auth::{Algorithm, Challenge, Credentials};

use super::faults::{Fault, Faults};
use super::register::registrar_uri;

/// The USIM of `subscriber`, when it has valid AKA credentials.
pub(crate) fn usim(subscriber: &Subscriber) -> Option<Usim> {
    let k = block_from_hex("K", subscriber.k.as_deref()?).ok()?;
    let opc = block_from_hex("OPc", subscriber.opc.as_deref()?).ok()?;
    Some(Usim::new(Milenage::with_opc(&k, &opc), subscriber.sqn))
}

/// Whether a `WWW-Authenticate` value is an AKAv1-MD5 challenge.
pub(crate) fn is_aka(challenge: &str) -> bool {
    Challenge::parse(challenge).is_ok_and(|c| c.algorithm == Some(Algorithm::AkaV1Md5))
}

/// The Authorization answering an AKA challenge, and whether it asks for re-synchronisation.
#[derive(Debug)]
pub(crate) struct AkaReply {
    pub authorization: String,
    pub resync: bool,
}

/// Answers the AKA challenge `challenge` with `usim`.
pub(crate) fn answer_aka(
    challenge: &str,
    subscriber: &Subscriber,
    usim: Option<&mut Usim>,
    cnonce: &str,
    faults: &Faults,
) -> Result<AkaReply, String> {
    let usim = usim.ok_or("failed to answer the AKA challenge: the subscriber has no k/opc")?;
    let challenge = Challenge::parse(challenge).map_err(|e| format!("failed to {e}"))?;
    let nonce = decode_nonce(&challenge.nonce).map_err(|e| format!("failed to {e}"))?;
    let answer = usim
        .authenticate(&nonce.rand, &nonce.autn)
        .map_err(|e| format!("failed to {e}"))?;
    let digest = |password: &[u8]| {
        let uri = registrar_uri(subscriber);
        Credentials::answer_secret(
            &challenge,
            &subscriber.impi,
            password,
            "REGISTER",
            &uri,
            cnonce,
            1,
        )
        .map_err(|e| format!("failed to {e}"))
    };
    match answer {
        UsimAnswer::Res { mut res, .. } => {
            if faults.has(Fault::AkaWrongRes) {
                res[7] ^= 0xff;
            }
            Ok(AkaReply {
                authorization: digest(&res)?.to_header_value(),
                resync: false,
            })
        }
        UsimAnswer::SyncFailure(auts) => {
            let mut credentials = digest(b"")?;
            if !faults.has(Fault::AkaResyncWithResponse) {
                credentials.response.clear();
            }
            credentials
                .other
                .push(("auts".to_owned(), encode_auts(&auts)));
            Ok(AkaReply {
                authorization: credentials.to_header_value(),
                resync: true,
            })
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use rcs_proto::aka::nonce::{decode_auts, encode_nonce};
    use rcs_proto::aka::{AuthCenter, Vector};

    use super::*;

    fn challenge(vector: &Vector) -> String {
        format!(
            "Digest realm=\"ims.mnc000.mcc460.3gppnetwork.org\", nonce=\"{}\", \
             algorithm=AKAv1-MD5, qop=\"auth\"",
            encode_nonce(&vector.rand, &vector.autn, b"")
        )
    }

    fn center(sub: &Subscriber) -> AuthCenter {
        let k = block_from_hex("K", sub.k.as_deref().unwrap()).unwrap();
        let opc = block_from_hex("OPc", sub.opc.as_deref().unwrap()).unwrap();
        AuthCenter::new(Milenage::with_opc(&k, &opc), sub.sqn)
    }

    fn faults(ids: &[&str]) -> Faults {
        Faults::from_ids(&ids.iter().map(|id| (*id).to_owned()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn resync_then_res_and_the_faults_break_one_thing_each() {
        let sub = Subscriber::builtin(1, true);
        let mut auc = center(&sub);
        let mut usim = usim(&sub).unwrap();
        let stale = auc.vector_at([1; 16], sub.sqn);
        let text = challenge(&stale);
        assert!(is_aka(&text));
        let reply = answer_aka(&text, &sub, Some(&mut usim), "c", &Faults::default()).unwrap();
        assert!(reply.resync);
        let sent = Credentials::parse(&reply.authorization).unwrap();
        assert_eq!(sent.response, "");
        let auts = decode_auts(&sent.other[0].1).unwrap();
        assert_eq!(auc.resync(&stale.rand, &auts), Ok(sub.sqn));
        let faulty = faults(&["terminal.aka-resync-with-response"]);
        let reply = answer_aka(&text, &sub, Some(&mut usim), "c", &faulty).unwrap();
        let sent = Credentials::parse(&reply.authorization).unwrap();
        assert_eq!(
            (sent.response.len(), sent.other[0].0.as_str()),
            (32, "auts")
        );

        let fresh = auc.vector([2; 16]);
        let text = challenge(&fresh);
        let parsed = Challenge::parse(&text).unwrap();
        let mut spare = usim.clone();
        let reply = answer_aka(&text, &sub, Some(&mut usim), "c", &Faults::default()).unwrap();
        assert!(!reply.resync);
        let sent = Credentials::parse(&reply.authorization).unwrap();
        assert_eq!(
            sent.verify_challenge_secret(&parsed, "REGISTER", &fresh.xres),
            Ok(())
        );
        let wrong = faults(&["terminal.aka-wrong-res"]);
        let reply = answer_aka(&text, &sub, Some(&mut spare), "c", &wrong).unwrap();
        let sent = Credentials::parse(&reply.authorization).unwrap();
        assert!(
            sent.verify_challenge_secret(&parsed, "REGISTER", &fresh.xres)
                .is_err()
        );
    }

    #[test]
    fn no_credentials_or_a_forged_autn_end_the_dance() {
        let sub = Subscriber::builtin(1, true);
        let mut other = Subscriber::builtin(2, true);
        let text = challenge(&center(&sub).vector([3; 16]));
        let err = answer_aka(&text, &sub, None, "c", &Faults::default()).unwrap_err();
        assert!(err.contains("no k/opc"), "{err}");
        other.sqn = 0;
        let mut wrong_usim = usim(&other).unwrap();
        let err = answer_aka(&text, &sub, Some(&mut wrong_usim), "c", &Faults::default());
        assert!(err.unwrap_err().contains("MAC-A"));
        assert!(!is_aka("Digest realm=\"r\", nonce=\"n\", algorithm=MD5"));
    }
}
