//! The observation log of one case: every captured message, numbered, parsed once, and matched by
//! expectations in arrival order.
//!
//! A collector task takes [`Captured`] messages from the simulators' taps, gives each a frame number,
//! emits a [`Wire`] event, and appends it here. An expectation takes the first message at its role that
//! it has not consumed and that matches; messages it skips stay for later expectations. SIP
//! messages, MSRP frames and HTTP messages are parsed alike ([`Msg`]); bytes that do not parse are
//! logged with why, and never match.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, mpsc};

use crate::agent::Captured;
use crate::check::Msg;
use crate::events::{Direction, Event, Wire, WireBytes};

/// One captured message.
#[derive(Clone, Debug)]
pub struct Observed {
    pub frame: u64,
    pub role: String,
    pub direction: Direction,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub message: Option<Arc<Msg>>,
    pub summary: String,
    consumed: bool,
}

/// Where an expectation looks: a simulated role's own captures, or, for a real system that captures
/// nothing itself, what the simulated roles exchanged with its addresses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Vantage {
    Role(String),
    External(Vec<SocketAddr>),
}

impl Vantage {
    /// Whether `o` is a message at this vantage point in `direction`.
    fn sees(&self, o: &Observed, direction: Direction) -> bool {
        match self {
            Self::Role(role) => o.role == *role && o.direction == direction,
            // Arriving at the external system: a simulated role sent it there; sent by it: a
            // simulated role received it from there.
            Self::External(addrs) => match direction {
                Direction::In => o.direction == Direction::Out && addrs.contains(&o.dst),
                Direction::Out => o.direction == Direction::In && addrs.contains(&o.src),
            },
        }
    }
}

/// Every message of one case so far.
#[derive(Debug, Default)]
pub struct Observations {
    log: Mutex<Vec<Observed>>,
    arrived: Notify,
}

impl Observations {
    fn push(&self, o: Observed) {
        lock(&self.log).push(o);
        self.arrived.notify_waiters();
    }

    /// Wait up to `within` (real time) for the first unconsumed message at `role` in `direction` that
    /// `accept` takes; consume and return it.
    pub async fn take(
        &self,
        role: &Vantage,
        direction: Direction,
        within: Duration,
        accept: impl Fn(&Msg) -> bool,
    ) -> Option<Observed> {
        let deadline = tokio::time::Instant::now() + within;
        self.take_until(role, direction, deadline, &accept).await
    }

    /// [`Self::take`] with a deadline, for expectations that take several messages in one window.
    pub async fn take_until(
        &self,
        role: &Vantage,
        direction: Direction,
        deadline: tokio::time::Instant,
        accept: &impl Fn(&Msg) -> bool,
    ) -> Option<Observed> {
        loop {
            let notified = self.arrived.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(found) = self.take_now(role, direction, accept) {
                return Some(found);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.take_now(role, direction, accept);
            }
        }
    }

    fn take_now(
        &self,
        role: &Vantage,
        direction: Direction,
        accept: &impl Fn(&Msg) -> bool,
    ) -> Option<Observed> {
        let mut log = lock(&self.log);
        let hit = log.iter_mut().find(|o| {
            !o.consumed && role.sees(o, direction) && o.message.as_deref().is_some_and(accept)
        })?;
        hit.consumed = true;
        Some(hit.clone())
    }

    /// What arrived at `role` and was not consumed: for the "observed" side of a failed expectation.
    pub fn unconsumed_at(&self, role: &Vantage, direction: Direction) -> Vec<String> {
        lock(&self.log)
            .iter()
            .filter(|o| !o.consumed && role.sees(o, direction))
            .map(|o| format!("frame {}: {}", o.frame, o.summary))
            .collect()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Number, parse and publish every captured message of a case until every tap is dropped.
pub async fn collect(
    case: String,
    mut rx: mpsc::UnboundedReceiver<Captured>,
    log: Arc<Observations>,
    events: mpsc::UnboundedSender<Event>,
) {
    let mut frame = 0;
    while let Some(c) = rx.recv().await {
        frame += 1;
        let (message, summary) = parse(&c);
        let _ = events.send(Event::Wire(Wire {
            case: case.clone(),
            frame,
            time_us: c.time_us,
            case_ms: c.case_ms,
            role: c.role.clone(),
            direction: c.direction,
            transport: c.transport,
            protocol: c.protocol,
            src: c.src,
            dst: c.dst,
            summary: summary.clone(),
            bytes: WireBytes(c.bytes),
        }));
        log.push(Observed {
            frame,
            role: c.role,
            direction: c.direction,
            src: c.src,
            dst: c.dst,
            message,
            summary,
            consumed: false,
        });
    }
}

fn parse(c: &Captured) -> (Option<Arc<Msg>>, String) {
    match Msg::parse(c.protocol, &c.bytes) {
        Ok(m) => {
            let s = m.summary();
            (Some(Arc::new(m)), s)
        }
        Err(why) => (None, why),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(role: &str, direction: Direction, src: &str, dst: &str) -> Observed {
        Observed {
            frame: 1,
            role: role.to_owned(),
            direction,
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            message: None,
            summary: String::new(),
            consumed: false,
        }
    }

    #[test]
    fn an_external_system_sees_what_simulated_roles_exchange_with_it() {
        let ue = Vantage::External(vec!["127.0.0.1:5070".parse().unwrap()]);
        let to_ue = seen("mc", Direction::Out, "127.0.0.1:5060", "127.0.0.1:5070");
        let from_ue = seen("mc", Direction::In, "127.0.0.1:5070", "127.0.0.1:5060");
        assert!(ue.sees(&to_ue, Direction::In) && !ue.sees(&to_ue, Direction::Out));
        assert!(ue.sees(&from_ue, Direction::Out) && !ue.sees(&from_ue, Direction::In));
        let elsewhere = seen("mc", Direction::Out, "127.0.0.1:5060", "127.0.0.1:5080");
        assert!(!ue.sees(&elsewhere, Direction::In));
        let mc = Vantage::Role("mc".into());
        assert!(mc.sees(&from_ue, Direction::In) && !mc.sees(&from_ue, Direction::Out));
    }
}
