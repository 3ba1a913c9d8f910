//! What the SMS center received: whole short messages, concatenated ones joined again
//! (TS 23.040 9.2.3.24.1), in the order they were completed.
//!
//! Parts are held by sender, recipient and concatenation reference until every part of the
//! message is in; a part repeated (a retransmitted MESSAGE that got a new transaction) replaces
//! the earlier copy. Bounded: at most [`MAX_MESSAGES`] messages and [`MAX_OPEN`] unfinished ones
//! are kept, the oldest dropped first. It does not deliver anything onwards.

use std::collections::VecDeque;

use rcs_proto::sms::{Coding, RpData, UserData, reassemble};

/// Whole messages kept.
const MAX_MESSAGES: usize = 256;
/// Unfinished concatenated messages kept.
const MAX_OPEN: usize = 64;

/// One short message as the centre received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Received {
    /// Who submitted it (the P-Asserted-Identity, else the From URI of the MESSAGE).
    pub from: String,
    /// TP-DA: the number it is for.
    pub to: String,
    pub text: String,
    /// How many SMS-SUBMITs carried it.
    pub segments: usize,
    pub coding: Coding,
}

/// The parts of one concatenated message received so far.
#[derive(Debug)]
struct Open {
    from: String,
    to: String,
    reference: u8,
    parts: Vec<UserData>,
}

/// Received messages and unfinished ones.
#[derive(Debug, Default)]
pub(crate) struct Inbox {
    done: VecDeque<Received>,
    open: VecDeque<Open>,
}

impl Inbox {
    /// Takes one SMS-SUBMIT from `from`; returns the message when it is now whole. An
    /// SMS-DELIVER is not something a centre receives and is ignored (None).
    pub(crate) fn add(&mut self, from: &str, rp: &RpData) -> Option<Received> {
        let rcs_proto::sms::Tpdu::Submit(submit) = &rp.tpdu else {
            return None;
        };
        let user_data = &submit.user_data;
        let Some(concat) = user_data.concat else {
            return Some(self.complete(Received {
                from: from.to_owned(),
                to: submit.destination.clone(),
                text: user_data.text.clone(),
                segments: 1,
                coding: user_data.coding,
            }));
        };
        let at = self.open.iter().position(|o| {
            o.from == from && o.to == submit.destination && o.reference == concat.reference
        });
        let open = match at {
            Some(at) => self.open.get_mut(at)?,
            None => {
                if self.open.len() >= MAX_OPEN {
                    self.open.pop_front();
                }
                self.open.push_back(Open {
                    from: from.to_owned(),
                    to: submit.destination.clone(),
                    reference: concat.reference,
                    parts: Vec::new(),
                });
                self.open.back_mut()?
            }
        };
        open.parts
            .retain(|p| p.concat.map(|c| c.sequence) != Some(concat.sequence));
        open.parts.push(user_data.clone());
        if open.parts.len() < usize::from(concat.total) {
            return None;
        }
        open.parts
            .sort_by_key(|p| p.concat.map_or(0, |c| c.sequence));
        let text = reassemble(&open.parts);
        let at = self.open.iter().position(|o| {
            o.from == from && o.to == submit.destination && o.reference == concat.reference
        })?;
        let open = self.open.remove(at)?;
        let text = text?;
        Some(self.complete(Received {
            from: open.from,
            to: open.to,
            text,
            segments: open.parts.len(),
            coding: user_data.coding,
        }))
    }

    fn complete(&mut self, received: Received) -> Received {
        if self.done.len() >= MAX_MESSAGES {
            self.done.pop_front();
        }
        self.done.push_back(received.clone());
        received
    }

    /// Every whole message, oldest first.
    pub(crate) fn messages(&self) -> impl Iterator<Item = &Received> {
        self.done.iter()
    }

    /// How many concatenated messages still miss parts.
    pub(crate) fn unfinished(&self) -> usize {
        self.open.len()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use rcs_proto::sms::submit_text;

    use super::*;

    fn submits(text: &str, to: &str, reference: u8) -> Vec<RpData> {
        submit_text(text, to, "+8613800100500", reference)
            .unwrap()
            .iter()
            .map(|body| RpData::decode(body).unwrap())
            .collect()
    }

    #[test]
    fn a_single_message_is_whole_at_once() {
        let mut inbox = Inbox::default();
        let rp = submits("Your bill is due", "+8613800000001", 1);
        let got = inbox.add("sip:12599@bot", &rp[0]).unwrap();
        assert_eq!(got.text, "Your bill is due");
        assert_eq!((got.to.as_str(), got.segments), ("+8613800000001", 1));
        assert_eq!(got.coding, Coding::Gsm7);
    }

    #[test]
    fn parts_out_of_order_and_repeated_are_joined_once() {
        let text =
            "您的信用卡账单已出，本期应还人民币叁仟贰佰元整，最后还款日为三月二十日。".repeat(3);
        let mut parts = submits(&text, "+8613800000001", 9);
        assert!(parts.len() >= 2, "{} parts", parts.len());
        parts.reverse();
        let mut inbox = Inbox::default();
        let last = parts.pop().unwrap();
        for part in &parts {
            assert!(inbox.add("tel:+8610658", part).is_none());
        }
        assert!(
            inbox.add("tel:+8610658", &parts[0]).is_none(),
            "a repeat completes nothing"
        );
        assert_eq!(inbox.unfinished(), 1);
        let got = inbox.add("tel:+8610658", &last).unwrap();
        assert_eq!(got.text, text);
        assert_eq!(got.segments, parts.len() + 1);
        assert_eq!(got.coding, Coding::Ucs2);
        assert_eq!(inbox.unfinished(), 0);
        assert_eq!(inbox.messages().count(), 1);
    }

    #[test]
    fn parts_of_different_senders_are_not_mixed() {
        let text = "x".repeat(200);
        let parts = submits(&text, "+8613800000001", 3);
        let mut inbox = Inbox::default();
        assert!(inbox.add("a", &parts[0]).is_none());
        assert!(inbox.add("b", &parts[1]).is_none());
        assert_eq!(inbox.unfinished(), 2);
        assert_eq!(inbox.add("a", &parts[1]).unwrap().text, text);
    }
}
