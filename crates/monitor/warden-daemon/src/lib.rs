//! The Warden monitor daemon.
