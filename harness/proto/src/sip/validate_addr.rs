//! Strict checks of name-addr headers, Via and Date (RFC 3261 20.10, 20.42, 25.1).
//!
//! Used by `validate`. For To, From, Contact, Route and Record-Route: the value must parse, an
//! unquoted display name must be a sequence of tokens, there is no whitespace just inside `<>`,
//! and an addr-spec URI holding `?` or `,` must be in `<>` (RFC 3261 20.10). For Via: no empty
//! values, a parseable `SIP/2.0` sent-protocol. For Date: `rfc1123-date` in GMT (RFC 3261 20.17).

use super::cseq::parse_bounded;
use super::head::is_token_char;
use super::message::Message;
use super::name_addr::NameAddr;
use super::split::split_outside;
use super::validate::Deviation;
use super::via::Via;

/// Name-addr headers that hold one value per message.
const SINGLE_ADDR: &[&str] = &["To", "From"];
/// Name-addr headers that hold comma-separated lists.
const LIST_ADDR: &[&str] = &["Contact", "Route", "Record-Route"];

pub(crate) fn check_name_addrs(msg: &Message, out: &mut Vec<Deviation>) {
    for name in SINGLE_ADDR {
        if let Some(value) = msg.header(name)
            && let Some(detail) = name_addr_problem(value, name)
        {
            out.push(Deviation::new(name, detail));
        }
    }
    for name in LIST_ADDR {
        for line in msg.header_all(name) {
            if *name == "Contact" && line == "*" {
                continue;
            }
            for piece in split_outside(line, b',') {
                let problem = if piece.is_empty() {
                    Some("empty value in the list".to_owned())
                } else {
                    name_addr_problem(piece, name)
                };
                if let Some(detail) = problem {
                    out.push(Deviation::new(name, detail));
                }
            }
        }
    }
}

fn name_addr_problem(value: &str, header: &'static str) -> Option<String> {
    let addr = match NameAddr::parse_for(value, header) {
        Ok(addr) => addr,
        Err(err) => return Some(err.to_string()),
    };
    if !value.starts_with('"') {
        if let Some(lt) = value.find('<') {
            let display = value[..lt].trim_matches([' ', '\t']);
            if !display
                .split([' ', '\t'])
                .filter(|w| !w.is_empty())
                .all(|w| w.bytes().all(is_token_char))
            {
                return Some(format!(
                    "display name {display:?} is not a sequence of tokens; it must be quoted"
                ));
            }
        } else {
            let uri_end = value.find(';').unwrap_or(value.len());
            if value[..uri_end].contains(['?', ',']) {
                return Some("a URI holding '?' or ',' must be enclosed in <>".into());
            }
        }
    }
    if let Some(lt) = value.find('<') {
        let inner = &value[lt + 1..value[lt..].find('>').map_or(value.len(), |gt| lt + gt)];
        if inner.starts_with([' ', '\t']) || inner.ends_with([' ', '\t']) {
            return Some("whitespace inside <>".into());
        }
    }
    if let Some(Some(expires)) = addr.param("expires")
        && parse_bounded(expires, u32::MAX).is_none()
    {
        return Some(format!("expires parameter {expires:?} is not 0 to 2^32-1"));
    }
    None
}

pub(crate) fn check_vias(msg: &Message, out: &mut Vec<Deviation>) {
    for line in msg.header_all("Via") {
        for piece in split_outside(line, b',') {
            if piece.is_empty() {
                out.push(Deviation::new("Via", "empty value in the list"));
                continue;
            }
            match Via::parse(piece) {
                Err(err) => out.push(Deviation::new("Via", err.to_string())),
                Ok(via) if !via.protocol.eq_ignore_ascii_case("SIP/2.0") => {
                    out.push(Deviation::new(
                        "Via",
                        format!("sent-protocol {} is not SIP/2.0", via.protocol),
                    ))
                }
                Ok(_) => {}
            }
        }
    }
}

pub(crate) fn check_date(msg: &Message, out: &mut Vec<Deviation>) {
    if let Some(value) = msg.header("Date")
        && !is_rfc1123_gmt(value)
    {
        out.push(Deviation::new(
            "Date",
            format!("{value:?} is not an RFC 1123 date in GMT"),
        ));
    }
}

/// `wkday "," SP 2DIGIT SP month SP 4DIGIT SP 2DIGIT ":" 2DIGIT ":" 2DIGIT SP "GMT"`.
pub(crate) fn is_rfc1123_gmt(value: &str) -> bool {
    const DAYS: &[&str] = &["Mon,", "Tue,", "Wed,", "Thu,", "Fri,", "Sat,", "Sun,"];
    const MONTHS: &[&str] = &[
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let parts: Vec<&str> = value.split(' ').collect();
    let [wkday, day, month, year, time, zone] = parts.as_slice() else {
        return false;
    };
    let digits = |s: &str, n: usize, max: u32| s.len() == n && parse_bounded(s, max).is_some();
    let time_ok = match time.split(':').collect::<Vec<_>>().as_slice() {
        [h, m, s] => digits(h, 2, 23) && digits(m, 2, 59) && digits(s, 2, 60),
        _ => false,
    };
    DAYS.contains(wkday)
        && digits(day, 2, 31)
        && MONTHS.contains(month)
        && digits(year, 4, 9999)
        && time_ok
        && *zone == "GMT"
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert!(is_rfc1123_gmt("Sat, 15 Oct 2005 04:44:56 GMT"));
        assert!(!is_rfc1123_gmt("Fri, 01 Jan 2010 16:00:00 EST"));
        assert!(!is_rfc1123_gmt("Fri, 1 Jan 2010 16:00:00 GMT"));
        assert!(!is_rfc1123_gmt("Fri, 01 Jan 2010 24:00:00 GMT"));
        assert!(!is_rfc1123_gmt("Fri 01 Jan 2010 16:00:00 GMT"));
    }

    #[test]
    fn name_addr_problems() {
        assert_eq!(name_addr_problem("\"A, B\" <sip:a@b>;tag=1", "To"), None);
        assert_eq!(name_addr_problem("A. Bell <sip:a@b>", "To"), None);
        assert_eq!(name_addr_problem("sip:a@b ; tag = 1", "To"), None);
        assert!(name_addr_problem("Bell, Alexander <sip:a@b>", "From").is_some());
        assert!(name_addr_problem("< sip:a@b >", "To").is_some());
        assert!(name_addr_problem("sip:a@b?Route=%3Csip:c%3E", "Contact").is_some());
        assert!(name_addr_problem("\"open <sip:a@b>", "To").is_some());
        assert!(name_addr_problem("<sip:a@b>;expires=280297596632815", "Contact").is_some());
    }

    #[test]
    fn via_list_problems() {
        let msg = Message::parse(
            &b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;;,;,,\r\nVia: SIP/7.0/UDP b\r\n\r\n"[..],
        )
        .unwrap();
        let mut out = Vec::new();
        check_vias(&msg, &mut out);
        assert!(out.len() >= 3);
        assert!(out.iter().all(|d| d.construct == "Via"));
        assert!(out.iter().any(|d| d.detail.contains("SIP/7.0")));
    }
}
