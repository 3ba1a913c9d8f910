//! A request cut short on purpose: the first bytes of a request written on a fresh connection,
//! which is then closed, as when a terminal loses its network in the middle of an upload
//! (protocols.md §5.1 resume, PLT-FT-003, TRM-FT-004).
//!
//! The bytes written are recorded on the wire tap like any other outgoing HTTP bytes. Nothing is
//! read back: a server that answers before the close is not heard.

use std::net::SocketAddr;

use rcs_harness::agent::WireTap;
use tokio::io::AsyncWriteExt;

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
    let _ = tokio::time::timeout(IO_TIMEOUT, stream.shutdown()).await;
    Ok(())
}
