//! The geolocation push document a terminal sends a chatbot that asked for its location
//! (`application/vnd.gsma.rcspushlocation+xml`; protocols.md §7.5; RCC.07 geolocation push,
//! a PIDF-LO profile: RFC 4119, RFC 5491; TRM-BOT-008).
//!
//! One `rcspushlocation` in an `rcsenvelope` naming the sender: a circle of 10 m around the
//! position (`gml:pos` "latitude longitude"), the label, and a timestamp. The coordinates are the
//! ones the user's map shows (GCJ-02 in China, §7.5); the document names no datum of its own.
//! This module writes the document; it does not read one.

use std::time::SystemTime;

/// The geolocation push document for a position.
pub(crate) fn push_location(entity: &str, latitude: f64, longitude: f64, label: &str) -> String {
    let now = super::ids::date_time(SystemTime::now());
    format!(
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<rcsenvelope xmlns=\"urn:gsma:params:xml:ns:rcs:rcs:geolocation\" ",
            "xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\" ",
            "xmlns:gp=\"urn:ietf:params:xml:ns:pidf:geopriv10\" ",
            "xmlns:gml=\"http://www.opengis.net/gml\" ",
            "xmlns:gs=\"http://www.opengis.net/pidflo/1.0\" entity=\"{entity}\">\n",
            "<rcspushlocation id=\"loc1\" label=\"{label}\">\n",
            "<rpid:place-type rpid:until=\"{now}\"/>\n",
            "<rpid:time-offset rpid:until=\"{now}\">480</rpid:time-offset>\n",
            "<gp:geopriv><gp:location-info>",
            "<gs:Circle srsName=\"urn:ogc:def:crs:EPSG::4326\"><gml:pos>{latitude} {longitude}</gml:pos>",
            "<gs:radius uom=\"urn:ogc:def:uom:EPSG::9001\">10</gs:radius></gs:Circle>",
            "</gp:location-info><gp:usage-rules><gp:retention-expiry>{now}</gp:retention-expiry>",
            "</gp:usage-rules></gp:geopriv>\n",
            "<timestamp>{now}</timestamp>\n",
            "</rcspushlocation>\n",
            "</rcsenvelope>\n"
        ),
        entity = escape(entity),
        label = escape(label),
        now = now,
        latitude = latitude,
        longitude = longitude,
    )
}

/// Text for an XML attribute or element.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcs_proto::xml_tree;

    #[test]
    fn the_document_parses_and_carries_the_position() {
        let xml = push_location(
            "tel:+8613800000001",
            39.908722,
            116.397499,
            "天安门 \"<&>\"",
        );
        let root = xml_tree::parse(xml.as_bytes(), "push location", &xml_tree::Limits::DEFAULT)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(root.name, "rcsenvelope");
        assert!(xml.contains("<gml:pos>39.908722 116.397499</gml:pos>"));
        assert!(xml.contains("label=\"天安门 &quot;&lt;&amp;&gt;&quot;\""));
    }
}
