//! Berth's web hub: the page shell, the route table and the pages.

pub mod api;
#[cfg(feature = "hydrate")]
mod clipboard;
pub mod components;
pub mod error;
pub mod flash;
#[cfg(feature = "ssr")]
pub mod format;
#[cfg(feature = "ssr")]
pub mod html;
#[cfg(feature = "hydrate")]
mod live_search;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod url;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

use crate::{
    components::{Auth, Header},
    pages::*,
};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let stylesheet = format!("/pkg/{}.css", options.output_name);
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="stylesheet" href=stylesheet/>
                <link rel="icon" href="/favicon.ico"/>
                <HydrationScripts options islands=true/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// "PAGE · Berth". On the server the text is escaped: Leptos writes `<title>`'s content as is,
/// and HTML reads it as raw text. In the browser it is set as `document.title`, a plain string.
fn page_title(page: String) -> String {
    let full = if page.is_empty() {
        "Berth".to_string()
    } else {
        format!("{page} · Berth")
    };
    #[cfg(feature = "ssr")]
    let full = html::escape_text(&full);
    full
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=page_title/>
        <Router>
            <Layout/>
        </Router>
    }
}

/// Inside the router, so that actions see errors carried in the URL by forms posted without JavaScript.
#[component]
fn Layout() -> impl IntoView {
    provide_context(Auth::new());
    let flash = flash::PageFlash::load();
    let flash_attribute = flash.attribute();
    provide_context(flash);
    // Async rendering: pages resolve their data before the first byte, so they can set the status.
    view! {
        <Header/>
        <main class="site-main" data-flash=flash_attribute>
            <Routes fallback=NotFoundPage>
                <Route path=path!("/") view=HomePage ssr=SsrMode::Async/>
                <Route path=path!("/signup") view=SignupPage ssr=SsrMode::Async/>
                <Route path=path!("/welcome") view=WelcomePage ssr=SsrMode::Async/>
                <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async/>
                <Route path=path!("/forgot-password") view=ForgotPasswordPage ssr=SsrMode::Async/>
                <Route path=path!("/reset-password") view=ResetPasswordPage ssr=SsrMode::Async/>
                <Route path=path!("/confirm-email/failed") view=ConfirmFailedPage ssr=SsrMode::Async/>
                <Route path=path!("/repositories/new") view=NewRepositoryPage ssr=SsrMode::Async/>
                <Route path=path!("/settings") view=AccountSettingsPage ssr=SsrMode::Async/>
                <Route path=path!("/settings/security") view=SecurityPage ssr=SsrMode::Async/>
                <Route path=path!("/login/code") view=LoginCodePage ssr=SsrMode::Async/>
                <Route path=path!("/admin/plans") view=PlansPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/storage") view=StoragePage ssr=SsrMode::Async/>
                <Route path=path!("/search") view=SearchPage ssr=SsrMode::Async/>
                <Route path=path!("/explore") view=ExplorePage ssr=SsrMode::Async/>
                <Route path=path!("/organizations/new") view=NewOrgPage ssr=SsrMode::Async/>
                <Route path=path!("/invitations/:token") view=InvitationPage ssr=SsrMode::Async/>
                <Route path=path!("/u/:name") view=ProfilePage ssr=SsrMode::Async/>
                <Route path=path!("/r/:namespace/:name") view=RepositoryPage ssr=SsrMode::Async/>
                <Route path=path!("/r/:namespace/:name/tags/:tag") view=TagPage ssr=SsrMode::Async/>
                <Route path=path!("/r/:namespace/:name/webhooks/:id") view=WebhookPage ssr=SsrMode::Async/>
                <Route path=path!("/r/:namespace/:name/builds") view=BuildsPage ssr=SsrMode::Async/>
                <Route path=path!("/r/:namespace/:name/builds/:id") view=BuildPage ssr=SsrMode::Async/>
            </Routes>
        </main>
        <components::CopyButtons/>
        <footer class="site-footer">
            <p>"Berth — a container hub you run yourself."</p>
        </footer>
    }
}
