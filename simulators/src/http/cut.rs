//! A request cut short on purpose: the first bytes of a request written on a fresh connection,
//! which is then closed, as when a terminal loses its network in the middle of an upload
//! (protocols.md §5.1 resume, PLT-FT-003, TRM-FT-004).
//!
//! The bytes written are recorded on the wire tap like any other outgoing HTTP bytes. Whatever the
//! server sends back is read and dropped until it closes its side too, so that when
//! [`send_cut`] returns the server has seen the cut.

use std::net::SocketAddr;

use rcs_harness::agent::WireTap;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::conn::{self, IO_TIMEOUT, Wire};
use super::error::HttpNetError;
use crate::net::TlsConfig;

/// Opens a connection to `dst` (TLS with `tls`), writes `prefix`, and closes the connection.
pub async fn send_cut(
    tap: &WireTap,
    tls: Option<&TlsConfig>,
    dst: SocketAddr,
    prefix: &[u8],
) -> Result<(), HttpNetError> {
    let transport = conn::transport(tls.is_some());
    let (mut stream, local) =
        conn::open(dst, tls)
            .await
            .map_err(|detail| HttpNetError::Connect {
                transport,
                dst,
                detail,
            })?;
    let wire = Wire {
        tap: tap.clone(),
        transport,
        local,
        peer: dst,
    };
    conn::write_all(&mut stream, prefix)
        .await
        .map_err(|detail| HttpNetError::Exchange {
            transport,
            dst,
            detail,
        })?;
    wire.record_out(prefix);
    // The close tells the server the request ends here (a TLS close_notify, then the FIN).
    // Waiting for the server's own close means it has seen the cut when this returns.
    let _ = tokio::time::timeout(IO_TIMEOUT, stream.shutdown()).await;
    let mut sink = Vec::new();
    let _ = tokio::time::timeout(IO_TIMEOUT, stream.read_to_end(&mut sink)).await;
    Ok(())
}
