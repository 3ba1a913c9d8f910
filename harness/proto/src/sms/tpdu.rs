//! The SMS TPDUs an SMS-over-IP MESSAGE carries: SMS-SUBMIT (mobile originated, TS 23.040
//! 9.2.2.2) and SMS-DELIVER (mobile terminated, TS 23.040 9.2.2.1).
//!
//! The first octet's flags, the addresses, TP-PID, TP-DCS, the validity period (SUBMIT) or the
//! service centre time stamp (DELIVER, kept as its seven raw semi-octet octets) and the user data
//! are read and written. SMS-STATUS-REPORT, SMS-COMMAND and their network-side counterparts are not.

use super::SmsError;
use super::address::{read_tp, write_tp};
use super::user_data::{Coding, UserData};

/// TP-Validity-Period of an SMS-SUBMIT (TS 23.040 9.2.3.12).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validity {
    /// None present (TP-VPF 00).
    None,
    /// The relative format, one octet (TP-VPF 10).
    Relative(u8),
    /// The enhanced format, seven octets (TP-VPF 01).
    Enhanced([u8; 7]),
    /// The absolute format, seven semi-octet octets (TP-VPF 11).
    Absolute([u8; 7]),
}

/// A mobile-originated short message (TS 23.040 9.2.2.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmsSubmit {
    /// TP-RD.
    pub reject_duplicates: bool,
    /// TP-SRR.
    pub status_report_request: bool,
    /// TP-RP.
    pub reply_path: bool,
    /// TP-MR.
    pub message_reference: u8,
    /// TP-DA: the recipient's number.
    pub destination: String,
    /// TP-PID (0: plain short message).
    pub protocol_id: u8,
    pub validity: Validity,
    pub user_data: UserData,
}

/// A mobile-terminated short message (TS 23.040 9.2.2.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmsDeliver {
    /// TP-MMS read the plain way: more messages are waiting in the centre (the bit is 0).
    pub more_messages: bool,
    /// TP-SRI.
    pub status_report_indication: bool,
    /// TP-RP.
    pub reply_path: bool,
    /// TP-OA: the sender's number.
    pub originator: String,
    pub protocol_id: u8,
    /// TP-SCTS as seven semi-octet octets (year, month, day, hour, minute, second, zone).
    pub timestamp: [u8; 7],
    pub user_data: UserData,
}

/// A TPDU of either direction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tpdu {
    Submit(SmsSubmit),
    Deliver(SmsDeliver),
}

impl Tpdu {
    /// The user data of either kind.
    pub fn user_data(&self) -> &UserData {
        match self {
            Self::Submit(s) => &s.user_data,
            Self::Deliver(d) => &d.user_data,
        }
    }
}

const UDHI: u8 = 0x40;
const REPLY_PATH: u8 = 0x80;

impl SmsSubmit {
    /// The TPDU's octets.
    pub fn encode(&self) -> Result<Vec<u8>, SmsError> {
        let (ud, udhi) = self.user_data.encode()?;
        let vpf = match self.validity {
            Validity::None => 0,
            Validity::Relative(_) => 2,
            Validity::Enhanced(_) => 1,
            Validity::Absolute(_) => 3,
        };
        let first = 0x01
            | u8::from(self.reject_duplicates) << 2
            | vpf << 3
            | u8::from(self.status_report_request) << 5
            | if udhi { UDHI } else { 0 }
            | if self.reply_path { REPLY_PATH } else { 0 };
        let mut out = vec![first, self.message_reference];
        write_tp(&self.destination, &mut out)?;
        out.push(self.protocol_id);
        out.push(self.user_data.coding.dcs());
        match self.validity {
            Validity::None => {}
            Validity::Relative(v) => out.push(v),
            Validity::Enhanced(v) | Validity::Absolute(v) => out.extend(v),
        }
        out.extend(ud);
        Ok(out)
    }

    /// Reads an SMS-SUBMIT.
    pub fn decode(input: &[u8]) -> Result<Self, SmsError> {
        let construct = "SMS-SUBMIT";
        let short = || SmsError::Truncated { construct };
        let [first, reference, rest @ ..] = input else {
            return Err(short());
        };
        if first & 0x03 != 0x01 {
            return Err(SmsError::Invalid {
                construct,
                detail: format!("TP-MTI {} is not SMS-SUBMIT (1)", first & 0x03),
            });
        }
        let (destination, used) = read_tp(rest)?;
        let rest = rest.get(used..).ok_or_else(short)?;
        let [pid, dcs, rest @ ..] = rest else {
            return Err(short());
        };
        let (validity, used) = match (first >> 3) & 0x03 {
            0 => (Validity::None, 0),
            2 => (Validity::Relative(*rest.first().ok_or_else(short)?), 1),
            vpf => {
                let v: [u8; 7] = rest
                    .get(..7)
                    .and_then(|s| s.try_into().ok())
                    .ok_or_else(short)?;
                match vpf {
                    1 => (Validity::Enhanced(v), 7),
                    _ => (Validity::Absolute(v), 7),
                }
            }
        };
        let rest = rest.get(used..).ok_or_else(short)?;
        let coding = Coding::from_dcs(*dcs)?;
        Ok(Self {
            reject_duplicates: first & 0x04 != 0,
            status_report_request: first & 0x20 != 0,
            reply_path: first & REPLY_PATH != 0,
            message_reference: *reference,
            destination,
            protocol_id: *pid,
            validity,
            user_data: UserData::decode(rest, coding, first & UDHI != 0)?,
        })
    }
}

impl SmsDeliver {
    /// The TPDU's octets.
    pub fn encode(&self) -> Result<Vec<u8>, SmsError> {
        let (ud, udhi) = self.user_data.encode()?;
        let first = u8::from(!self.more_messages) << 2
            | u8::from(self.status_report_indication) << 5
            | if udhi { UDHI } else { 0 }
            | if self.reply_path { REPLY_PATH } else { 0 };
        let mut out = vec![first];
        write_tp(&self.originator, &mut out)?;
        out.push(self.protocol_id);
        out.push(self.user_data.coding.dcs());
        out.extend(self.timestamp);
        out.extend(ud);
        Ok(out)
    }

    /// Reads an SMS-DELIVER.
    pub fn decode(input: &[u8]) -> Result<Self, SmsError> {
        let construct = "SMS-DELIVER";
        let short = || SmsError::Truncated { construct };
        let (&first, rest) = input.split_first().ok_or_else(short)?;
        if first & 0x03 != 0x00 {
            return Err(SmsError::Invalid {
                construct,
                detail: format!("TP-MTI {} is not SMS-DELIVER (0)", first & 0x03),
            });
        }
        let (originator, used) = read_tp(rest)?;
        let rest = rest.get(used..).ok_or_else(short)?;
        let [pid, dcs, rest @ ..] = rest else {
            return Err(short());
        };
        let timestamp: [u8; 7] = rest
            .get(..7)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(short)?;
        let rest = rest.get(7..).ok_or_else(short)?;
        let coding = Coding::from_dcs(*dcs)?;
        Ok(Self {
            more_messages: first & 0x04 == 0,
            status_report_indication: first & 0x20 != 0,
            reply_path: first & REPLY_PATH != 0,
            originator,
            protocol_id: *pid,
            timestamp,
            user_data: UserData::decode(rest, coding, first & UDHI != 0)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_submit_reads_back_field_by_field() {
        let submit = SmsSubmit {
            reject_duplicates: false,
            status_report_request: true,
            reply_path: false,
            message_reference: 7,
            destination: "+8613900000002".to_owned(),
            protocol_id: 0,
            validity: Validity::Relative(0xA7),
            user_data: UserData {
                coding: Coding::Gsm7,
                concat: None,
                text: "hellohello".to_owned(),
            },
        };
        let bytes = submit.encode().unwrap();
        assert_eq!(bytes[0], 0x31, "MTI 01, VPF relative, SRR");
        assert_eq!(bytes[1], 7);
        assert_eq!(&bytes[2..11], [13, 0x91, 0x68, 0x31, 0x09, 0, 0, 0, 0xF2]);
        assert_eq!(&bytes[11..14], [0x00, 0x00, 0xA7]);
        assert_eq!(bytes[14], 10);
        assert_eq!(SmsSubmit::decode(&bytes).unwrap(), submit);
        assert!(SmsDeliver::decode(&bytes).is_err());
    }

    #[test]
    fn a_deliver_reads_back() {
        let deliver = SmsDeliver {
            more_messages: false,
            status_report_indication: false,
            reply_path: false,
            originator: "+8613800000001".to_owned(),
            protocol_id: 0,
            timestamp: [0x52, 0x30, 0x10, 0x01, 0x00, 0x00, 0x23],
            user_data: UserData {
                coding: Coding::Ucs2,
                concat: None,
                text: "你好".to_owned(),
            },
        };
        let bytes = deliver.encode().unwrap();
        assert_eq!(bytes[0], 0x04, "MTI 00, no more messages");
        assert_eq!(SmsDeliver::decode(&bytes).unwrap(), deliver);
        assert!(SmsSubmit::decode(&bytes).is_err());
    }
}
