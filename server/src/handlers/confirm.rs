//! `GET /confirm-email?token=…`: the link in the confirmation mail.

use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use berth_core::accounts::{self, AccountError};
use serde::Deserialize;
use tower_sessions::Session;

use crate::state::AppState;

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// Confirms the address, logs its owner in and goes to the dashboard; a link that cannot be used
/// goes to a page that says why and offers a new one.
pub async fn confirm_email(
    State(state): State<AppState>,
    session: Session,
    axum::Extension(origin): axum::Extension<berth_core::activity::Origin>,
    Query(q): Query<TokenQuery>,
) -> Response {
    match accounts::confirm_email(&state.hub, &q.token, &origin).await {
        Ok(user) => match app::ssr::start_session(&session, &user).await {
            Ok(()) => Redirect::to("/?confirmed=1").into_response(),
            Err(e) => internal(e),
        },
        Err(AccountError::LinkExpired) => {
            Redirect::to("/confirm-email/failed?reason=expired").into_response()
        }
        Err(AccountError::LinkUsed) => {
            Redirect::to("/confirm-email/failed?reason=used").into_response()
        }
        Err(AccountError::Internal(e)) => internal(e),
        Err(_) => Redirect::to("/confirm-email/failed?reason=invalid").into_response(),
    }
}

fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "confirmation failed");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong on our side. Please try again.",
    )
        .into_response()
}

/// `GET /confirm-email-change?token=…`: the link mailed to a new address. The address becomes
/// the account's; the browser goes to the Security page (or the failure page).
pub async fn confirm_email_change(
    State(state): State<AppState>,
    Query(q): Query<TokenQuery>,
) -> Response {
    match accounts::security::confirm_email_change(&state.hub, &q.token).await {
        Ok(_) => Redirect::to("/settings/security?saved=email-changed#email").into_response(),
        Err(AccountError::LinkExpired) => {
            Redirect::to("/confirm-email/failed?reason=expired").into_response()
        }
        Err(AccountError::LinkUsed) => {
            Redirect::to("/confirm-email/failed?reason=used").into_response()
        }
        Err(AccountError::Internal(e)) => internal(e),
        Err(_) => Redirect::to("/confirm-email/failed?reason=invalid").into_response(),
    }
}
