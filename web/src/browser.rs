//! The few browser services the app uses: local storage, the clipboard, downloads, reading files,
//! fetching bundled samples, yielding to the event loop, a clock for measurements, and textarea
//! selection. Failures are returned as messages (private mode, denied clipboard, …), never panics.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

fn js_error(e: &JsValue) -> String {
    e.as_string()
        .or_else(|| js_sys::Reflect::get(e, &"message".into()).ok().and_then(|m| m.as_string()))
        .unwrap_or_else(|| "unknown browser error".into())
}

/// Reads a local-storage item.
pub fn storage_get(key: &str) -> Option<String> {
    web_sys::window()?.local_storage().ok()??.get_item(key).ok()?
}

/// Writes a local-storage item (an error when storage is unavailable or full).
pub fn storage_set(key: &str, value: &str) -> Result<(), String> {
    let storage = web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .ok_or("local storage is not available in this browser")?;
    storage.set_item(key, value).map_err(|e| format!("could not save: {}", js_error(&e)))
}

/// Removes a local-storage item.
pub fn storage_remove(key: &str) {
    if let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = s.remove_item(key);
    }
}

/// Milliseconds from a monotonic clock (for measurements only; never fed to the engine).
pub fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

/// The wall clock (Unix ms), for labels such as "kept aside at 10:42"; never fed to the engine.
pub fn wall_clock_ms() -> f64 {
    js_sys::Date::now()
}

/// Resolves after the browser had a chance to render and handle input (a 0 ms timeout).
pub async fn yield_now() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Resolves after the next frame was painted (two animation frames).
pub async fn after_paint() {
    for _ in 0..2 {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            if let Some(w) = web_sys::window() {
                let _ = w.request_animation_frame(&resolve);
            }
        });
        let _ = JsFuture::from(promise).await;
    }
}

/// Copies text to the clipboard.
pub async fn copy_text(text: &str) -> Result<(), String> {
    let window = web_sys::window().ok_or("no window")?;
    let clipboard = window.navigator().clipboard();
    JsFuture::from(clipboard.write_text(text)).await.map(|_| ()).map_err(|e| format!("copy failed: {}", js_error(&e)))
}

/// Offers text as a file download.
pub fn download(filename: &str, text: &str, mime: &str) -> Result<(), String> {
    let window = web_sys::window().ok_or("no window")?;
    let document = window.document().ok_or("no document")?;
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(|e| js_error(&e))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| js_error(&e))?;
    let a: web_sys::HtmlAnchorElement =
        document.create_element("a").map_err(|e| js_error(&e))?.dyn_into().map_err(|_| "not an anchor")?;
    a.set_href(&url);
    a.set_download(filename);
    a.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// Reads a picked or dropped file as text.
pub async fn read_file(file: &web_sys::File) -> Result<String, String> {
    let text = JsFuture::from(file.text()).await.map_err(|e| format!("could not read the file: {}", js_error(&e)))?;
    text.as_string().ok_or_else(|| "the file is not text".into())
}

/// Fetches a text asset shipped with the app (e.g. `samples/github.json`).
pub async fn fetch_text(url: &str) -> Result<String, String> {
    let window = web_sys::window().ok_or("no window")?;
    let resp = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|e| format!("could not load {url}: {}", js_error(&e)))?;
    let resp: web_sys::Response = resp.dyn_into().map_err(|_| "unexpected fetch result")?;
    if !resp.ok() {
        return Err(format!("could not load {url}: HTTP {}", resp.status()));
    }
    let text = JsFuture::from(resp.text().map_err(|e| js_error(&e))?).await.map_err(|e| js_error(&e))?;
    text.as_string().ok_or_else(|| "the response is not text".into())
}

/// The page's URL fragment (with its `#`), or empty.
pub fn location_hash() -> String {
    web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default()
}

/// The page's URL without its fragment.
pub fn location_base() -> String {
    let Some(w) = web_sys::window() else { return String::new() };
    let href = w.location().href().unwrap_or_default();
    href.split('#').next().unwrap_or_default().to_string()
}

/// Removes the fragment from the address bar without reloading or adding history.
pub fn clear_hash() {
    if let Some(w) = web_sys::window()
        && let Ok(history) = w.history()
    {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&location_base()));
    }
}

/// Selects `[start, end)` (UTF-16 offsets) in a textarea, focuses it and scrolls the selection's
/// line into view (lines are `line_height` pixels high).
pub fn select_in_textarea(el: &web_sys::HtmlTextAreaElement, start: u32, end: u32, line: u32, line_height: f64) {
    let _ = el.focus();
    let _ = el.set_selection_range(start, end);
    let target = (f64::from(line.saturating_sub(1)) * line_height - f64::from(el.client_height()) / 3.0).max(0.0);
    el.set_scroll_top(target as i32);
}

/// Asks the page for the first element matching a selector and scrolls it into view.
pub fn scroll_into_view(selector: &str) {
    if let Some(el) =
        web_sys::window().and_then(|w| w.document()).and_then(|d| d.query_selector(selector).ok().flatten())
    {
        el.scroll_into_view();
    }
}
