//! The observatory's rules and reference tables. No I/O, no SQL, no proto.

pub mod territory;
