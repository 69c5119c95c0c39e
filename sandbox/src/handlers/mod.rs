//! One module per tag of the spec (business requests split by job), plus the control API and
//! the hosted pages.

pub mod activation;
pub mod admin_auth;
pub mod business_requests;
pub mod control;
pub mod hosted;
pub mod identity;
pub mod iframe;
pub mod registration;
pub mod signing;
pub mod user_login;
mod views;
