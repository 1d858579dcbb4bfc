//! The observatory's rules and reference tables. No I/O, no SQL, no proto.

pub mod activity;
pub mod confidentiality;
pub mod cube;
pub mod dataset;
pub mod family;
pub mod headcount;
pub mod naf;
pub mod partner;
pub mod perimeter;
pub mod territory;
