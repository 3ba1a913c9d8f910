//! The message-center simulator: IMS core and 5G Message Center.
