//! Copying text to the clipboard in the browser. The Clipboard API exists only in secure
//! contexts (https, localhost); a hub served over plain http on a LAN gets the older
//! select-and-copy command instead.

/// Copies `text`; false if the browser refused (no permission, no document).
pub async fn copy(text: String) -> bool {
    use wasm_bindgen::JsCast;
    let Some(window) = web_sys::window() else {
        return false;
    };
    if window.is_secure_context() {
        let promise = window.navigator().clipboard().write_text(&text);
        return wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
    }
    let Some(document) = window.document() else {
        return false;
    };
    let Ok(area) = document
        .create_element("textarea")
        .map(|e| e.unchecked_into::<web_sys::HtmlTextAreaElement>())
    else {
        return false;
    };
    area.set_value(&text);
    let Some(body) = document.body() else {
        return false;
    };
    if body.append_child(&area).is_err() {
        return false;
    }
    area.select();
    let done = document
        .dyn_ref::<web_sys::HtmlDocument>()
        .and_then(|d| d.exec_command("copy").ok())
        .unwrap_or(false);
    let _ = body.remove_child(&area);
    done
}
