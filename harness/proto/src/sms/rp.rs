//! RP-DATA, the relay-layer message around an SMS TPDU (TS 24.011 7.3.1), as the body of an
//! SMS-over-IP MESSAGE (`application/vnd.3gpp.sms`, TS 24.341 5.3.1.2, 7.3).
//!
//! Mobile to network (RP-MTI 0): an empty RP-Originator Address, the service centre as
//! RP-Destination Address and an SMS-SUBMIT. Network to mobile (RP-MTI 1): the service centre as
//! RP-Originator Address, an empty RP-Destination Address and an SMS-DELIVER. RP-User-Data is
//! length-prefixed (no IEI in RP-DATA). RP-ACK, RP-ERROR and RP-SMMA are not read or written.

use super::address::{read_rp, write_rp};
use super::tpdu::{SmsDeliver, SmsSubmit, Tpdu};
use super::{MAX_RP_SIZE, SmsError};

/// RP-MTI of RP-DATA mobile to network.
const RP_DATA_MS_TO_NETWORK: u8 = 0x00;
/// RP-MTI of RP-DATA network to mobile.
const RP_DATA_NETWORK_TO_MS: u8 = 0x01;

/// An RP-DATA message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpData {
    /// RP-Message Reference.
    pub message_reference: u8,
    /// The service centre: the RP-Destination Address of a SUBMIT, the RP-Originator Address of a
    /// DELIVER.
    pub service_centre: Option<String>,
    pub tpdu: Tpdu,
}

impl RpData {
    /// The message's octets.
    pub fn encode(&self) -> Result<Vec<u8>, SmsError> {
        let (mti, tpdu) = match &self.tpdu {
            Tpdu::Submit(s) => (RP_DATA_MS_TO_NETWORK, s.encode()?),
            Tpdu::Deliver(d) => (RP_DATA_NETWORK_TO_MS, d.encode()?),
        };
        let mut out = vec![mti, self.message_reference];
        let centre = self.service_centre.as_deref();
        match mti {
            RP_DATA_MS_TO_NETWORK => {
                write_rp(None, &mut out)?;
                write_rp(centre, &mut out)?;
            }
            _ => {
                write_rp(centre, &mut out)?;
                write_rp(None, &mut out)?;
            }
        }
        let len = u8::try_from(tpdu.len()).map_err(|_| SmsError::Unencodable {
            construct: "RP-User-Data",
            detail: format!("{} octets exceed 255", tpdu.len()),
        })?;
        out.push(len);
        out.extend(tpdu);
        Ok(out)
    }

    /// Reads an RP-DATA of either direction; bytes after the RP-User-Data are an error.
    pub fn decode(input: &[u8]) -> Result<Self, SmsError> {
        let construct = "RP-DATA";
        if input.len() > MAX_RP_SIZE {
            return Err(SmsError::Invalid {
                construct,
                detail: format!("{} octets exceed the cap of {MAX_RP_SIZE}", input.len()),
            });
        }
        let short = || SmsError::Truncated { construct };
        let [mti, reference, rest @ ..] = input else {
            return Err(short());
        };
        let mti = mti & 0x07;
        if mti != RP_DATA_MS_TO_NETWORK && mti != RP_DATA_NETWORK_TO_MS {
            return Err(SmsError::Invalid {
                construct,
                detail: format!("RP-MTI {mti} is not RP-DATA (0 or 1)"),
            });
        }
        let (originator, used) = read_rp(rest)?;
        let rest = rest.get(used..).ok_or_else(short)?;
        let (destination, used) = read_rp(rest)?;
        let rest = rest.get(used..).ok_or_else(short)?;
        let (&len, rest) = rest.split_first().ok_or(SmsError::Truncated {
            construct: "RP-User-Data",
        })?;
        let tpdu = rest.get(..usize::from(len)).ok_or(SmsError::Truncated {
            construct: "RP-User-Data",
        })?;
        if rest.len() > tpdu.len() {
            return Err(SmsError::Invalid {
                construct,
                detail: format!("{} octets follow the RP-User-Data", rest.len() - tpdu.len()),
            });
        }
        let (service_centre, tpdu) = match mti {
            RP_DATA_MS_TO_NETWORK => (destination, Tpdu::Submit(SmsSubmit::decode(tpdu)?)),
            _ => (originator, Tpdu::Deliver(SmsDeliver::decode(tpdu)?)),
        };
        Ok(Self {
            message_reference: *reference,
            service_centre,
            tpdu,
        })
    }
}
