//! The client side of MSRP relays for the simulators' stack (RFC 4976 §5, §6).
//!
//! With a [`Relay`] set on an [`MsrpStack`](super::MsrpStack), each session gets its own
//! connection to the relay: the stack connects to the authority of the relay's URI (`msrps` over
//! TLS), sends AUTH and answers one `401` digest challenge with the relay's credentials
//! ([`rcs_proto::msrp::AuthClient`]), and keeps the Use-Path of the `200`. The session's path is
//! then Use-Path followed by its own URI (what the terminal puts in `a=path`), its To-Path is
//! Use-Path followed by the peer's whole path, and its From-Path its own URI: each relay on the
//! way removes itself from the To-Path and adds itself to the From-Path (RFC 4976 §6, §7). Every
//! frame of the exchange is written and read through [`Link`], so it is on the wire tap.
//!
//! Not here: refreshing an AUTH before it expires, relays that need a 423 retry, and sharing one
//! relay connection between sessions.

use std::net::SocketAddr;

use rcs_harness::agent::WireTap;
use rcs_harness::events::Transport;
use rcs_proto::msrp::{AuthClient, AuthStep, MsrpUri};

use super::PASSIVE_WAIT;
use super::connection::{self, Link};
use crate::net::{NetError, TlsConfig};

/// An MSRP relay the stack's sessions go through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Relay {
    /// The relay's URI, such as `msrp://192.0.2.1:2855;tcp`: the To-Path of AUTH and the
    /// digest-uri of its credentials.
    pub uri: MsrpUri,
    /// Username and password answering a `401` challenge; `None` when the relay asks for none.
    pub credentials: Option<(String, String)>,
}

/// A connection to the relay on which AUTH succeeded.
pub(super) struct Relayed {
    pub(super) link: Link,
    /// The relay URIs of the `200`'s Use-Path.
    pub(super) use_path: Vec<MsrpUri>,
}

impl std::fmt::Debug for Relayed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relayed")
            .field("peer", &self.link.conn.peer)
            .field("use_path", &self.use_path)
            .finish()
    }
}

/// Connects to `relay` for the session of `local` and authenticates, within [`PASSIVE_WAIT`].
pub(super) async fn authenticate(
    relay: &Relay,
    local: &MsrpUri,
    tls: Option<&TlsConfig>,
    tap: WireTap,
) -> Result<Relayed, NetError> {
    let dst = super::stack::authority(&relay.uri).ok_or_else(|| NetError::Connect {
        transport: Transport::Tcp,
        dst: SocketAddr::from(([0, 0, 0, 0], 0)),
        detail: format!("the relay URI {} has no IP address and port", relay.uri),
    })?;
    let mut link = connection::connect(dst, tls, tap).await?;
    let mut client = AuthClient::new(relay.uri.clone(), local.clone(), relay.credentials.clone());
    let exchange = exchange(&mut link, &mut client);
    let use_path = match tokio::time::timeout(PASSIVE_WAIT, exchange).await {
        Ok(result) => result,
        Err(_) => Err(format!("no answer to AUTH within {PASSIVE_WAIT:?}")),
    };
    match use_path {
        Ok(use_path) => Ok(Relayed { link, use_path }),
        Err(detail) => {
            link.conn.close().await;
            Err(NetError::Connect {
                transport: link.conn.transport,
                dst,
                detail,
            })
        }
    }
}

/// Sends AUTH until the relay accepts or refuses; the Use-Path, or what went wrong.
async fn exchange(link: &mut Link, client: &mut AuthClient) -> Result<Vec<MsrpUri>, String> {
    let mut request = client.start();
    loop {
        link.conn
            .write(request.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        loop {
            let frame = link
                .next_frame()
                .await
                .ok_or("the relay closed the connection during AUTH")?;
            match client.handle_frame(&frame) {
                Ok(None) => tracing::debug!("msrp frame ignored during AUTH"),
                Ok(Some(AuthStep::Send(next))) => {
                    request = next;
                    break;
                }
                Ok(Some(AuthStep::Authorized { use_path, .. })) => return Ok(use_path),
                Err(err) => return Err(format!("failed to {err}")),
            }
        }
    }
}

/// The To-Path of a session through its relay: Use-Path, then the peer's path.
pub(super) fn to_path(use_path: &[MsrpUri], remote: &[MsrpUri]) -> Vec<MsrpUri> {
    use_path.iter().chain(remote).cloned().collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn to_path_puts_our_relays_first() {
        let relay = MsrpUri::parse("msrp://10.0.0.1:2855/r1;tcp").unwrap();
        let peer_relay = MsrpUri::parse("msrp://10.0.0.2:2855/r2;tcp").unwrap();
        let peer = MsrpUri::new(false, "10.0.0.3", 4000, "p");
        let path = to_path(
            std::slice::from_ref(&relay),
            &[peer_relay.clone(), peer.clone()],
        );
        assert_eq!(path, [relay, peer_relay, peer]);
    }
}
