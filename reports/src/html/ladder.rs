//! Ladder diagrams: the messages of one case as an inline SVG sequence chart.
//!
//! [`ladder_for_case`] turns a case's captures into lanes (one lifeline per role, plus one per
//! address no role owns) and arrows (one per packet, deduplicated like the pcapng, see
//! [`crate::dedupe`]). [`ladder_svg`] draws them: each arrow is labelled with its summary and case
//! time, links to the raw message (`#<anchor>-frame-N`), carries a `<title>` tooltip, and is red
//! when a failed check points at it. Both functions are pure and deterministic. Every text is
//! XML-escaped here, since the SVG is inserted into the page as markup. It uses no JavaScript.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write;
use std::net::SocketAddr;

use rcs_harness::events::{Direction, Transport, Wire};

use crate::dedupe::exchanges;
use crate::model::{CaseLog, truncate_chars};

const LEFT: usize = 96;
const LANE_W: usize = 230;
const TOP: usize = 64;
const ROW: usize = 38;
const HEAD_W: usize = 158;
const INK: &str = "#334155";
const RED: &str = "#dc2626";

/// One lifeline.
#[derive(Clone, Debug, PartialEq)]
pub struct Lane {
    pub name: String,
    /// Kind and agent of a role (`terminal · simulator`), or `not a role` for a bare address.
    pub detail: String,
}

/// One packet between two lifelines.
#[derive(Clone, Debug, PartialEq)]
pub struct Arrow {
    /// The first capture's frame number: the raw message's anchor.
    pub frame: u64,
    pub from: usize,
    pub to: usize,
    pub label: String,
    pub case_ms: f64,
    pub failed: bool,
    pub tooltip: String,
}

/// Lanes and arrows for a case, with arrows red for the frames in `failed_frames`.
pub fn ladder_for_case(case: &CaseLog, failed_frames: &BTreeSet<u64>) -> (Vec<Lane>, Vec<Arrow>) {
    let mut lanes = Lanes::default();
    for role in &case.roles {
        let index = lanes.role(&role.name, &format!("{} · {}", role.kind, role.agent));
        for addr in [role.sip_udp, role.sip_tcp, role.sip_tls, role.http]
            .into_iter()
            .flatten()
        {
            lanes.by_addr.entry(addr).or_insert(index);
        }
    }
    for wire in &case.wires {
        let index = lanes.role(&wire.role, "role");
        let own = match wire.direction {
            Direction::Out => wire.src,
            Direction::In => wire.dst,
        };
        lanes.by_addr.entry(own).or_insert(index);
    }
    let mut arrows = Vec::new();
    for exchange in exchanges(&case.wires) {
        let first = exchange.first;
        let from = match exchange.sent() {
            Some(w) => lanes.role(&w.role, "role"),
            None => lanes.address(first.src),
        };
        let to = match exchange.received() {
            Some(w) => lanes.role(&w.role, "role"),
            None => lanes.address(first.dst),
        };
        let failed = failed_frames.iter().any(|f| exchange.has_frame(*f));
        arrows.push(Arrow {
            frame: first.frame,
            from,
            to,
            label: first.summary.clone(),
            case_ms: first.case_ms,
            failed,
            tooltip: tooltip(first, lanes.name(from), lanes.name(to)),
        });
    }
    (lanes.lanes, arrows)
}

#[derive(Default)]
struct Lanes {
    lanes: Vec<Lane>,
    by_name: HashMap<String, usize>,
    by_addr: HashMap<SocketAddr, usize>,
}

impl Lanes {
    fn role(&mut self, name: &str, detail: &str) -> usize {
        if let Some(&index) = self.by_name.get(name) {
            return index;
        }
        self.push(name.to_owned(), detail.to_owned())
    }

    fn address(&mut self, addr: SocketAddr) -> usize {
        if let Some(&index) = self.by_addr.get(&addr) {
            return index;
        }
        let index = self.push(addr.to_string(), "not a role".to_owned());
        self.by_addr.insert(addr, index);
        index
    }

    fn push(&mut self, name: String, detail: String) -> usize {
        self.by_name.insert(name.clone(), self.lanes.len());
        self.lanes.push(Lane { name, detail });
        self.lanes.len() - 1
    }

    fn name(&self, index: usize) -> &str {
        self.lanes.get(index).map_or("?", |l| l.name.as_str())
    }
}

fn tooltip(wire: &Wire, from: &str, to: &str) -> String {
    let transport = match wire.transport {
        Transport::Udp => "UDP",
        Transport::Tcp => "TCP",
        Transport::Tls => "TLS",
    };
    format!(
        "frame {} · {from} → {to} · {transport} {} → {} · {:.1} ms\n{}",
        wire.frame, wire.src, wire.dst, wire.case_ms, wire.summary
    )
}

/// The SVG for `lanes` and `arrows`; links point at `#<anchor>-frame-N`.
pub fn ladder_svg(anchor: &str, lanes: &[Lane], arrows: &[Arrow]) -> String {
    let width = LEFT + lanes.len().max(2) * LANE_W;
    let height = TOP + 24 + arrows.len() * ROW + 16;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="ladder" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif" font-size="12">"#
    );
    let _ = write!(
        svg,
        r#"<title>Message sequence of {}</title>"#,
        escape(anchor)
    );
    for (i, lane) in lanes.iter().enumerate() {
        draw_lane(&mut svg, i, lane, height);
    }
    for (row, arrow) in arrows.iter().enumerate() {
        draw_arrow(&mut svg, anchor, row, arrow);
    }
    svg.push_str("</svg>");
    svg
}

fn center(lane: usize) -> usize {
    LEFT + lane * LANE_W + LANE_W / 2
}

fn draw_lane(svg: &mut String, index: usize, lane: &Lane, height: usize) {
    let x = center(index);
    let _ = write!(
        svg,
        r##"<g class="lane"><line x1="{x}" y1="{TOP}" x2="{x}" y2="{}" stroke="#cbd5e1" stroke-width="1.5" stroke-dasharray="4 4"/><rect x="{}" y="8" width="{HEAD_W}" height="44" rx="6" fill="#f1f5f9" stroke="#94a3b8"/><text x="{x}" y="27" text-anchor="middle" font-weight="600" fill="#0f172a">{}</text><text x="{x}" y="43" text-anchor="middle" font-size="10.5" fill="#64748b">{}</text></g>"##,
        height - 8,
        x - HEAD_W / 2,
        escape(&truncate_chars(&lane.name, 22)),
        escape(&truncate_chars(&lane.detail, 28)),
    );
}

fn draw_arrow(svg: &mut String, anchor: &str, row: usize, arrow: &Arrow) {
    let y = TOP + 30 + row * ROW;
    let color = if arrow.failed { RED } else { INK };
    let _ = write!(
        svg,
        r##"<a class="arrow{}" href="#{}-frame-{}" data-frame="{}"><title>{}</title><text x="8" y="{}" font-size="10.5" fill="#64748b">#{} · {:.1} ms</text>"##,
        if arrow.failed { " failed" } else { "" },
        escape(anchor),
        arrow.frame,
        arrow.frame,
        escape(&arrow.tooltip),
        y + 4,
        arrow.frame,
        arrow.case_ms,
    );
    let (x1, x2) = (center(arrow.from), center(arrow.to));
    let weight = if arrow.failed { "700" } else { "500" };
    if x1 == x2 {
        let _ = write!(
            svg,
            r#"<path d="M{x1} {} h34 v16 h-28" fill="none" stroke="{color}" stroke-width="1.6"/><polygon points="{x1},{} {},{} {},{}" fill="{color}"/><text x="{}" y="{}" fill="{color}" font-weight="{weight}">{}</text>"#,
            y - 8,
            y + 8,
            x1 + 8,
            y + 4,
            x1 + 8,
            y + 12,
            x1 + 40,
            y + 4,
            escape(&truncate_chars(&arrow.label, 30)),
        );
    } else {
        let dir: isize = if x2 > x1 { 1 } else { -1 };
        let tip = x2 as isize - dir * 2;
        let base = tip - dir * 9;
        let span = x1.abs_diff(x2);
        let chars = (span / if arrow.failed { 8 } else { 7 }).max(24);
        let _ = write!(
            svg,
            r#"<line x1="{x1}" y1="{y}" x2="{base}" y2="{y}" stroke="{color}" stroke-width="1.6"/><polygon points="{tip},{y} {base},{} {base},{}" fill="{color}"/><text x="{}" y="{}" text-anchor="middle" fill="{color}" font-weight="{weight}">{}</text>"#,
            y - 4,
            y + 4,
            (x1 + x2) / 2,
            y - 6,
            escape(&truncate_chars(&arrow.label, chars)),
        );
    }
    svg.push_str("</a>");
}

/// Escape text for XML content and attribute values, dropping characters XML cannot hold.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedupe::tests::wire;
    use crate::model::RunLog;
    use rcs_harness::events::{Event, RoleBinding};

    fn case(wires: Vec<Wire>, roles: Vec<RoleBinding>) -> CaseLog {
        let mut log = RunLog::new();
        for w in wires {
            log.apply(&Event::Wire(w));
        }
        let mut case = log.cases()[0].clone();
        case.roles = roles;
        case
    }

    fn binding(name: &str, kind: &str, agent: &str, udp: &str) -> RoleBinding {
        RoleBinding {
            name: name.into(),
            kind: kind.into(),
            agent: agent.into(),
            identity: None,
            sip_udp: Some(udp.parse().unwrap()),
            sip_tcp: None,
            sip_tls: None,
            http: None,
            carrier: None,
        }
    }

    #[test]
    fn one_arrow_per_deduplicated_packet_with_links_and_red_failures() {
        let wires = vec![
            wire(1, "alice", Direction::Out, "REGISTER a"),
            wire(2, "mc", Direction::In, "REGISTER a"),
            wire(3, "mc", Direction::Out, "SIP/2.0 401 Unauthorized"),
            wire(4, "alice", Direction::In, "SIP/2.0 401 Unauthorized"),
            wire(5, "alice", Direction::Out, "REGISTER b"),
        ];
        let roles = vec![
            binding("alice", "terminal", "simulator", "127.0.0.1:40102"),
            binding("mc", "message-center", "simulator", "127.0.0.1:45060"),
        ];
        let case = case(wires, roles);
        let (lanes, arrows) = ladder_for_case(&case, &BTreeSet::from([4]));
        assert_eq!(lanes.len(), 2);
        assert_eq!(lanes[1].detail, "message-center · simulator");
        assert_eq!(arrows.len(), 3);
        assert_eq!((arrows[0].from, arrows[0].to), (0, 1));
        assert_eq!((arrows[1].from, arrows[1].to), (1, 0));
        assert_eq!(
            (arrows[2].from, arrows[2].to),
            (0, 1),
            "lone out: receiver by address"
        );
        assert!(!arrows[0].failed && arrows[1].failed && !arrows[2].failed);
        let svg = ladder_svg("C", &lanes, &arrows);
        assert_eq!(svg.matches(r#"<a class="arrow"#).count(), 3);
        assert_eq!(svg.matches(r#"<a class="arrow failed""#).count(), 1);
        assert!(svg.contains(r##"href="#C-frame-3""##));
        assert!(svg.contains("#3 · 3.0 ms"));
        assert_eq!(svg, ladder_svg("C", &lanes, &arrows), "deterministic");
    }

    #[test]
    fn unknown_peers_get_an_address_lane_and_self_messages_loop() {
        let mut lone = wire(1, "mc", Direction::In, "MESSAGE x");
        lone.src = "203.0.113.9:5060".parse().unwrap();
        lone.dst = "127.0.0.1:45060".parse().unwrap();
        let mut own = wire(2, "mc", Direction::Out, "OPTIONS self");
        own.src = "127.0.0.1:45060".parse().unwrap();
        own.dst = own.src;
        let case = case(vec![lone, own], vec![]);
        let (lanes, arrows) = ladder_for_case(&case, &BTreeSet::new());
        assert_eq!(lanes[1].name, "203.0.113.9:5060");
        assert_eq!((arrows[0].from, arrows[0].to), (1, 0));
        assert_eq!((arrows[1].from, arrows[1].to), (0, 0));
        assert!(ladder_svg("C", &lanes, &arrows).contains("<path d="));
    }

    #[test]
    fn http_and_sip_share_one_timeline_and_an_external_http_server_gets_its_role_lane() {
        use rcs_harness::events::Protocol;
        // The chatbot server (simulated) posts to the MaaP's developer API; the MaaP is an
        // external system, so only the sender captured the request and the response.
        let (bank_http, maap_http) = ("127.0.0.1:41000", "127.0.0.1:8443");
        let mut post = wire(
            1,
            "bank",
            Direction::Out,
            "POST /messaging/group/v1/outbound/x/requests HTTP/1.1",
        );
        post.protocol = Protocol::Http;
        post.transport = Transport::Tcp;
        (post.src, post.dst) = (bank_http.parse().unwrap(), maap_http.parse().unwrap());
        let mut created = wire(2, "bank", Direction::In, "HTTP/1.1 201 Created");
        created.protocol = Protocol::Http;
        created.transport = Transport::Tcp;
        (created.src, created.dst) = (post.dst, post.src);
        let mut message = wire(3, "alice", Direction::In, "MESSAGE sip:+86138 SIP/2.0");
        (message.src, message.dst) = (
            "127.0.0.1:5070".parse().unwrap(),
            "127.0.0.1:40102".parse().unwrap(),
        );
        let mut maap = binding("maap", "maap", "external", "127.0.0.1:5070");
        maap.http = Some(maap_http.parse().unwrap());
        let mut bank = binding("bank", "csp-bot", "simulator", "127.0.0.1:1");
        (bank.sip_udp, bank.http) = (None, Some("127.0.0.1:41001".parse().unwrap()));
        let roles = vec![
            binding("alice", "terminal", "simulator", "127.0.0.1:40102"),
            maap,
            bank,
        ];
        let case = case(vec![post, created, message], roles);
        let (lanes, arrows) = ladder_for_case(&case, &BTreeSet::new());
        let names: Vec<&str> = lanes.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(
            names,
            ["alice", "maap", "bank"],
            "no lane for a bare address"
        );
        let ends: Vec<(usize, usize)> = arrows.iter().map(|a| (a.from, a.to)).collect();
        assert_eq!(
            ends,
            [(2, 1), (1, 2), (1, 0)],
            "HTTP then SIP, in frame order"
        );
        let svg = ladder_svg("C", &lanes, &arrows);
        assert!(
            svg.contains("POST /messaging/group/v1/outbound/x/requests"),
            "{svg}"
        );
        assert!(svg.contains("MESSAGE sip:+86138"));
    }

    #[test]
    fn every_text_is_escaped() {
        let lanes = vec![Lane {
            name: "<script>alert(1)</script>".into(),
            detail: "\"><img src=x onerror=alert(1)>".into(),
        }];
        let arrows = vec![Arrow {
            frame: 1,
            from: 0,
            to: 0,
            label: "<b>&".into(),
            case_ms: 0.0,
            failed: false,
            tooltip: "'\u{1b}".into(),
        }];
        let svg = ladder_svg("a\"b", &lanes, &arrows);
        assert!(!svg.contains("<script") && !svg.contains("<img") && !svg.contains("<b>"));
        assert!(
            svg.contains("&lt;script&gt;")
                && svg.contains("&amp;")
                && svg.contains("&#39;\u{fffd}")
        );
        assert!(svg.contains(r##"href="#a&quot;b-frame-1""##));
    }
}
