//! Where simulated terminals find the content server of a simulated message center in the same
//! process: the URL is published under each of the message center's SIP addresses while it
//! runs, as auto-configuration hands a real terminal its `ftHTTPCSURI` (protocols.md §2.1, §5.1).
//!
//! A terminal that talks to a message center outside this process (an external system under
//! test) finds nothing here and needs its `ft-http-cs-uri` setting.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Mutex;

static DIRECTORY: Mutex<BTreeMap<SocketAddr, String>> = Mutex::new(BTreeMap::new());

fn directory() -> std::sync::MutexGuard<'static, BTreeMap<SocketAddr, String>> {
    DIRECTORY.lock().unwrap_or_else(|p| p.into_inner())
}

/// Publishes `url` under each address.
pub fn publish(addrs: &[SocketAddr], url: &str) {
    let mut dir = directory();
    for addr in addrs {
        dir.insert(*addr, url.to_owned());
    }
}

/// Withdraws what was published under these addresses.
pub fn withdraw(addrs: &[SocketAddr]) {
    let mut dir = directory();
    for addr in addrs {
        dir.remove(addr);
    }
}

/// The content server URL published under `addr`.
pub fn lookup(addr: SocketAddr) -> Option<String> {
    directory().get(&addr).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_until_withdrawn() {
        let addr: SocketAddr = "127.0.0.1:1"
            .parse()
            .unwrap_or(SocketAddr::from(([0; 4], 1)));
        publish(&[addr], "http://127.0.0.1:2/upload");
        assert_eq!(lookup(addr).as_deref(), Some("http://127.0.0.1:2/upload"));
        withdraw(&[addr]);
        assert_eq!(lookup(addr), None);
    }
}
