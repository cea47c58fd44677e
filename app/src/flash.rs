//! A refused plain form (posted without JavaScript) comes back as a one-time "flash": the server
//! keeps the error in the session, redirects to the form's page, and hands the error to that
//! page's next render only. Errors and typed values never travel in the URL, so they stay out
//! of browser history and access logs, and a reload does not show them again.
//!
//! The server puts the flash on the request ([`FormFlash`] in the request's extensions); the page
//! carries it to the browser in an attribute (escaped like any attribute) so that hydration sees
//! the same error.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_router::hooks::use_location;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// Session key of the pending flash.
pub const SESSION_KEY: &str = "form_error";
/// Attribute of `<main>` that carries the flash to the browser.
pub const ATTRIBUTE: &str = "data-flash";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormFlash {
    /// The path of the page the form was on (`/login`).
    pub page: String,
    /// The server function that refused it (`/api/login`).
    pub action: String,
    pub error: AppError,
}

/// The flash of this page load, if any: from the request on the server, from the page in the
/// browser (read once, when the page hydrates).
#[derive(Clone)]
pub struct PageFlash(pub Option<FormFlash>);

impl PageFlash {
    pub fn load() -> Self {
        #[cfg(feature = "ssr")]
        {
            let flash = use_context::<http::request::Parts>()
                .and_then(|p| p.extensions.get::<FormFlash>().cloned());
            PageFlash(flash)
        }
        #[cfg(not(feature = "ssr"))]
        {
            PageFlash(read_from_page())
        }
    }

    /// The flash as the attribute's value.
    pub fn attribute(&self) -> Option<String> {
        self.0.as_ref().and_then(|f| serde_json::to_string(f).ok())
    }
}

#[cfg(not(feature = "ssr"))]
fn read_from_page() -> Option<FormFlash> {
    #[cfg(feature = "hydrate")]
    {
        let text = web_sys::window()?
            .document()?
            .query_selector("main.site-main")
            .ok()??
            .get_attribute(ATTRIBUTE)?;
        serde_json::from_str(&text).ok()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        None
    }
}

/// The error a form's action shows: its last call's, or (before any call) the flash addressed to
/// it on the page it was refused on. An action that has not run yet may hold an error the router
/// read from the URL (`?__err=`); that is ignored, so a crafted link cannot show a fake message.
pub fn error_of<S>(action: ServerAction<S>) -> Signal<Option<AppError>>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    let flash = use_context::<PageFlash>()
        .and_then(|f| f.0)
        .filter(|f| f.action == S::PATH);
    let location = use_location();
    let version = action.version();
    Signal::derive(move || match action.value().get() {
        Some(result) if version.get() > 0 => result.err(),
        _ => flash
            .as_ref()
            .filter(|f| location.pathname.with(|p| *p == f.page))
            .map(|f| f.error.clone()),
    })
}
