//! The one error type of the web hub's server functions, serialisable so that it crosses to the
//! browser (as JSON with JavaScript, or in the redirect URL without it).

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// A form the server refused: a message for the whole form and/or per field, and what was
    /// typed (never passwords) so the form can be refilled.
    #[error("{}", .message.as_deref().unwrap_or("Please correct the highlighted fields."))]
    Form {
        message: Option<String>,
        fields: Vec<(String, String)>,
        values: Vec<(String, String)>,
    },
    #[error("Page not found.")]
    NotFound,
    /// A transferred repository's old address; the response redirects to the new one.
    #[error("This repository moved to {0}.")]
    Moved(String),
    #[error("Log in to continue.")]
    LoginRequired,
    #[error("Something went wrong on our side. Please try again in a moment.")]
    Internal,
    /// The disk under Berth's storage or database is full: nothing was saved.
    #[error("Berth's storage is full, so nothing was saved. Ask the hub's operator to free space, then try again.")]
    StorageFull,
    /// A bounded resource (password checks) is saturated; nothing was done.
    #[error("Berth is busy right now. Please try again in a moment.")]
    Busy,
    /// Over a rate limit: the message says when to try again.
    #[error("{message}")]
    RateLimited { message: String, retry_after: i64 },
    /// Transport and encoding failures reported by the server-function machinery.
    #[error("Could not reach Berth: {0}")]
    Transport(String),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

impl AppError {
    pub fn field(&self, name: &str) -> Option<String> {
        match self {
            AppError::Form { fields, .. } => fields
                .iter()
                .find(|(f, _)| f == name)
                .map(|(_, m)| m.clone()),
            _ => None,
        }
    }

    pub fn value(&self, name: &str) -> Option<String> {
        match self {
            AppError::Form { values, .. } => values
                .iter()
                .find(|(f, _)| f == name)
                .map(|(_, v)| v.clone()),
            _ => None,
        }
    }

    /// The message shown above a form: every error except per-field ones.
    pub fn general(&self) -> Option<String> {
        match self {
            AppError::Form { message, .. } => message.clone(),
            other => Some(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> AppError {
        AppError::Form {
            message: None,
            fields: vec![("username".into(), "taken".into())],
            values: vec![("username".into(), "alice".into())],
        }
    }

    #[test]
    fn field_messages_and_typed_values_are_found_by_name() {
        let e = form();
        assert_eq!(e.field("username").as_deref(), Some("taken"));
        assert_eq!(e.field("email"), None);
        assert_eq!(e.value("username").as_deref(), Some("alice"));
        assert_eq!(e.general(), None, "field errors are shown at the fields");
        assert_eq!(e.to_string(), "Please correct the highlighted fields.");
    }

    #[test]
    fn form_level_messages_and_other_errors_show_above_the_form() {
        let e = AppError::Form {
            message: Some("Incorrect Berth ID, email or password.".into()),
            fields: vec![],
            values: vec![("login".into(), "alice".into())],
        };
        assert_eq!(
            e.general().as_deref(),
            Some("Incorrect Berth ID, email or password.")
        );
        assert_eq!(e.value("login").as_deref(), Some("alice"));
        assert_eq!(
            AppError::LoginRequired.general().as_deref(),
            Some("Log in to continue.")
        );
        assert!(AppError::Internal.general().unwrap().contains("our side"));
    }

    #[test]
    fn errors_survive_the_round_trip_through_the_server_function_encoding() {
        for e in [
            form(),
            AppError::NotFound,
            AppError::LoginRequired,
            AppError::Internal,
            AppError::Busy,
            AppError::RateLimited {
                message: "Too many attempts.".into(),
                retry_after: 60,
            },
        ] {
            assert_eq!(AppError::de(e.ser()), e);
        }
        // What the browser cannot decode becomes a transport error, not a panic.
        assert!(matches!(
            AppError::de("not json".into()),
            AppError::Transport(_)
        ));
    }
}
