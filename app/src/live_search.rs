//! The search page's results as you type (see [`crate::components::LiveSearch`]).

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

const FORM_ID: &str = "search-form";
const RESULTS_ID: &str = "search-results";
/// Typing pauses this long before the page asks.
const PAUSE: Duration = Duration::from_millis(200);

pub fn install() {
    let pending: Rc<RefCell<Option<TimeoutHandle>>> = Rc::default();
    // Answers can arrive out of order; only the latest request's is shown.
    let latest = Rc::new(Cell::new(0u32));
    let schedule = move |ev: web_sys::Event| {
        let in_form = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|e| e.closest(&format!("#{FORM_ID}")).ok().flatten())
            .is_some();
        if !in_form {
            return;
        }
        if let Some(h) = pending.borrow_mut().take() {
            h.clear();
        }
        let latest = latest.clone();
        let handle = set_timeout_with_handle(
            move || {
                let n = latest.get().wrapping_add(1);
                latest.set(n);
                leptos::task::spawn_local(async move {
                    let _ = refresh(n, latest).await;
                });
            },
            PAUSE,
        );
        *pending.borrow_mut() = handle.ok();
    };
    let on_input = schedule.clone();
    std::mem::forget(window_event_listener(leptos::ev::input, move |ev| {
        on_input(ev)
    }));
    std::mem::forget(window_event_listener(leptos::ev::change, move |ev| {
        schedule(ev)
    }));
}

async fn refresh(n: u32, latest: Rc<Cell<u32>>) -> Option<()> {
    let window = web_sys::window()?;
    let document = window.document()?;
    let form: web_sys::HtmlFormElement = document.get_element_by_id(FORM_ID)?.dyn_into().ok()?;
    let data = web_sys::FormData::new_with_form(&form).ok()?;
    let params = web_sys::UrlSearchParams::new_with_str_sequence_sequence(&data).ok()?;
    let url = format!("/search?{}", String::from(params.to_string()));
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str(&url))
        .await
        .ok()?
        .dyn_into()
        .ok()?;
    // Only Berth's own answer for this search is shown: a failure (busy, an error page) or a
    // redirect leaves the results as they were.
    if !response.ok() || response.redirected() {
        return None;
    }
    let html = JsFuture::from(response.text().ok()?)
        .await
        .ok()?
        .as_string()?;
    if latest.get() != n {
        return None;
    }
    let parsed = web_sys::DomParser::new()
        .ok()?
        .parse_from_string(&html, web_sys::SupportedType::TextHtml)
        .ok()?;
    // The results element the server rendered (every text in it escaped there) is moved in as
    // nodes; no markup is written from a string here.
    let rendered: web_sys::Node = parsed.get_element_by_id(RESULTS_ID)?.into();
    let fresh = document.import_node_with_deep(&rendered, true).ok()?;
    document
        .get_element_by_id(RESULTS_ID)?
        .replace_with_with_node_1(&fresh)
        .ok()?;
    let _ =
        window
            .history()
            .ok()?
            .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    Some(())
}
