//! The agreement's action plan: actions per axis, each with target indicators for a period. The
//! achieved value of a target is always computed from the projections ([`store::achieved`]), never
//! stored nor typed in.
//!
//! Layout: [`domain`] (the closed list of indicators, checked targets and actions, no I/O),
//! [`store`] (actions and the indicator queries, sqlx), [`grpc`] (`ess.observatory.v1.ActionPlan`).

pub mod domain;
pub mod grpc;
pub mod store;
