//! The browser entry point: hydrates the islands (the interactive parts) of the server-rendered
//! page. Everything else is plain HTML from the server; forms post and pages load as usual.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Registers every island of the app for the loader to find.
    #[allow(unused_imports)]
    use app::*;
    leptos::mount::hydrate_islands();
    // Lets browser tests (and curious people) tell that the page became interactive.
    if let Some(body) = leptos::prelude::document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
