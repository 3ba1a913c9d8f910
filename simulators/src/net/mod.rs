//! SIP transports of the simulators: UDP and TCP on one port, with a wire record of every message.
