//! Non-INVITE client and server transactions (RFC 3261 17.1.2, 17.2.2).
