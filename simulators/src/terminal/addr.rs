//! What the terminal reads from address values (RFC 3261 19.1, 20.10; RFC 3966): which
//! subscriber a URI names, and whether two Contact URIs are the same binding.
//!
//! Built on rcs_proto's typed views. Two URIs naming the same subscriber (`sip:+86...@domain`,
//! `tel:+86...`) give the same number, which is how the terminal keys its conversations and its
//! received messages per peer. A value that does not parse names nobody: the functions return
//! `None` or `false` and never fail.

use rcs_proto::sip::{NameAddr, Uri};

/// The E.164 number (`+86...`) or other user part of a sip/sips/tel URI or name-addr value.
pub(crate) fn number_of(value: &str) -> Option<String> {
    let addr = NameAddr::parse(value).ok()?;
    match addr.uri {
        Uri::Sip(_) | Uri::Tel(_) => addr.uri.user_decoded().filter(|user| !user.is_empty()),
        Uri::Other { .. } | Uri::Wildcard => None,
    }
}

/// The URI of a name-addr or addr-spec value, as text.
pub(crate) fn uri_of(value: &str) -> Option<String> {
    NameAddr::parse(value)
        .ok()
        .map(|addr| addr.uri.as_str().to_owned())
}

/// Whether two Contact URIs are one binding: same user, host and port (RFC 3261 19.1.4, without
/// the parameter rules, which a registrar echoing the Contact does not exercise).
pub(crate) fn same_binding(a: &Uri, b: &Uri) -> bool {
    let key = |uri: &Uri| {
        (
            uri.user().map(str::to_owned),
            uri.host().map(|h| h.to_string().to_ascii_lowercase()),
            uri.port(),
        )
    };
    matches!((a, b), (Uri::Sip(_), Uri::Sip(_))) && key(a) == key(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_match_across_sip_and_tel() {
        let sip = number_of("<sip:+8613800000001@ims.mnc000.mcc460.3gppnetwork.org;user=phone>");
        assert_eq!(sip.as_deref(), Some("+8613800000001"));
        assert_eq!(number_of("tel:+8613800000001"), sip);
        assert_eq!(number_of("\"Alice\" <tel:+8613800000001>;tag=x"), sip);
        assert_eq!(number_of("sip:ims.example"), None);
        assert_eq!(number_of("mailto:a@b"), None);
        assert_eq!(number_of("<sip:"), None);
    }

    #[test]
    fn reads_the_uri_of_a_name_addr() {
        assert_eq!(
            uri_of("<sip:orig@scscf.example;lr>;x=1").as_deref(),
            Some("sip:orig@scscf.example;lr")
        );
        assert_eq!(uri_of(""), None);
    }

    #[test]
    fn bindings_compare_user_host_and_port() {
        let uri = |s: &str| Uri::parse(s).unwrap();
        let ours = uri("sip:+8613800000001@127.0.0.1:5070;transport=udp");
        assert!(same_binding(
            &ours,
            &uri("sip:+8613800000001@127.0.0.1:5070")
        ));
        assert!(!same_binding(
            &ours,
            &uri("sip:+8613800000001@127.0.0.1:5071")
        ));
        assert!(!same_binding(
            &ours,
            &uri("sip:+8613800000002@127.0.0.1:5070")
        ));
        assert!(!same_binding(&ours, &uri("tel:+8613800000001")));
    }
}
