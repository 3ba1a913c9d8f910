//! The common head of every request the terminal originates (RFC 3261 8.1.1).
//!
//! Every request starts with `Via` (the terminal's own address, a fresh magic-cookie branch and
//! `rport`, RFC 3581), `Max-Forwards: 70`, the pre-loaded `Route` set learnt from Service-Route
//! (RFC 3608 6; empty for REGISTER), `From` with a tag, `To`, `Call-ID` and `CSeq`, in the order of
//! protocols.md §2.2 and §4.3. Method-specific headers and bodies are added by the modules that
//! build each request. This module does not send anything.

use rcs_harness::events::Transport;
use rcs_proto::sip::MessageBuilder;

/// Where the terminal is reachable: what its Via and Contact say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Local {
    /// `127.0.0.1:PORT`, the same port for UDP and TCP.
    pub host_port: String,
    /// The transport of the requests it originates.
    pub transport: Transport,
    /// The user part of its Contact: its E.164 number.
    pub msisdn: String,
}

impl Local {
    /// `sip:+86...@127.0.0.1:PORT;transport=udp|tcp`.
    pub(crate) fn contact_uri(&self) -> String {
        format!(
            "sip:{}@{};transport={}",
            self.msisdn,
            self.host_port,
            transport_token(self.transport)
        )
    }

    /// `SIP/2.0/UDP 127.0.0.1:PORT;branch=...;rport`.
    pub(crate) fn via(&self, branch: &str) -> String {
        let transport = transport_token(self.transport).to_ascii_uppercase();
        format!(
            "SIP/2.0/{transport} {};branch={branch};rport",
            self.host_port
        )
    }
}

/// The fixed fields of one request outside a dialog.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RequestHead<'a> {
    pub method: &'a str,
    pub request_uri: &'a str,
    /// The public identity in From, without brackets.
    pub from: &'a str,
    pub from_tag: &'a str,
    /// The target identity in To, without brackets.
    pub to: &'a str,
    pub call_id: &'a str,
    pub cseq: u32,
    /// Route header values (each already `<uri>` with params), outermost first.
    pub route: &'a [String],
}

impl RequestHead<'_> {
    /// The request line and the headers every request carries, through CSeq.
    pub(crate) fn start(&self, local: &Local, branch: &str) -> MessageBuilder {
        let mut builder = MessageBuilder::request(self.method, self.request_uri)
            .header("Via", &local.via(branch))
            .header("Max-Forwards", "70");
        for route in self.route {
            builder = builder.header("Route", route);
        }
        builder
            .header("From", &format!("<{}>;tag={}", self.from, self.from_tag))
            .header("To", &format!("<{}>", self.to))
            .header("Call-ID", self.call_id)
            .header("CSeq", &format!("{} {}", self.cseq, self.method))
    }
}

/// The methods the terminal lists in Allow (protocols.md §2.2).
pub(crate) const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, UPDATE, OPTIONS, MESSAGE, NOTIFY, REFER";

/// The bodies the terminal accepts in MESSAGE and OPTIONS answers.
pub(crate) const ACCEPT: &str = "application/sdp, message/cpim, text/plain";

/// `udp`, `tcp` or `tls` (the `transport` URI parameter, RFC 3261 19.1.1 and 26.2.2).
pub(crate) fn transport_token(transport: Transport) -> &'static str {
    match transport {
        Transport::Udp => "udp",
        Transport::Tcp => "tcp",
        Transport::Tls => "tls",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local() -> Local {
        Local {
            host_port: "127.0.0.1:5070".to_owned(),
            transport: Transport::Tcp,
            msisdn: "+8613800000001".to_owned(),
        }
    }

    #[test]
    fn contact_and_via_name_the_transport() {
        let l = local();
        assert_eq!(
            l.contact_uri(),
            "sip:+8613800000001@127.0.0.1:5070;transport=tcp"
        );
        assert_eq!(
            l.via("z9hG4bKa"),
            "SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bKa;rport"
        );
    }

    #[test]
    fn head_is_written_in_section_4_3_order() {
        let route = ["<sip:orig@scscf.example;lr>".to_owned()];
        let head = RequestHead {
            method: "MESSAGE",
            request_uri: "sip:+8613800000002@ims.example",
            from: "sip:+8613800000001@ims.example",
            from_tag: "t1",
            to: "sip:+8613800000002@ims.example",
            call_id: "c1",
            cseq: 7,
            route: &route,
        };
        let msg = head.start(&local(), "z9hG4bKb").build();
        let text = String::from_utf8(msg.as_bytes().to_vec()).unwrap();
        assert_eq!(
            text,
            "MESSAGE sip:+8613800000002@ims.example SIP/2.0\r\n\
             Via: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bKb;rport\r\n\
             Max-Forwards: 70\r\n\
             Route: <sip:orig@scscf.example;lr>\r\n\
             From: <sip:+8613800000001@ims.example>;tag=t1\r\n\
             To: <sip:+8613800000002@ims.example>\r\n\
             Call-ID: c1\r\n\
             CSeq: 7 MESSAGE\r\n\
             Content-Length: 0\r\n\r\n"
        );
    }
}
