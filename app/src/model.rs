//! What pages receive from server functions. No secrets: no hashes, no ids that are not shown.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub username: String,
    pub email: String,
    pub email_masked: String,
    pub confirmed: bool,
    pub is_admin: bool,
    pub joined: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub username: String,
    pub joined: String,
    pub is_me: bool,
}

/// Whether a reset link can be used, for the reset page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkState {
    Valid,
    Invalid(String),
}
