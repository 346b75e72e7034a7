//! The one registry of fields (filled in below).
