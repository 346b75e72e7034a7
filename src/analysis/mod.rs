//! What the events mean for a troubleshooter: error codes and WinHTTP/WebIO trace text.

pub mod correlate;
pub mod diagnose;
