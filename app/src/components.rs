//! Pieces shared by pages: the header, form fields and messages.

use leptos::{prelude::*, server_fn::ServerFn};

use leptos_router::hooks::use_location;

use crate::{api::Logout, error::AppError, model::SessionUser};

pub type UserResource = Resource<Result<Option<SessionUser>, AppError>>;

/// Who is logged in, for the header and pages, and the log-out action of the header.
///
/// The user is fetched again after every navigation (log-in, sign-up and reset all end in one),
/// and after logging out, which may stay on the same page.
#[derive(Clone, Copy)]
pub struct Auth {
    pub logout: ServerAction<Logout>,
    pub user: UserResource,
}

impl Auth {
    pub fn new() -> Self {
        let logout = ServerAction::<Logout>::new();
        let location = use_location();
        let user = Resource::new(
            move || {
                (
                    location.pathname.get(),
                    location.search.get(),
                    logout.version().get(),
                )
            },
            |_| crate::api::get_session_user(),
        );
        Auth { logout, user }
    }
}

impl Default for Auth {
    fn default() -> Self {
        Self::new()
    }
}

/// The latest error of an action: from its last call (with JavaScript), or from the flash of a
/// plain form refused on this page (without).
pub fn action_error<S>(action: ServerAction<S>) -> Signal<Option<AppError>>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    crate::flash::error_of(action)
}

pub fn field_error(err: Signal<Option<AppError>>, name: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || err.with(|e| e.as_ref().and_then(|e| e.field(name))))
}

pub fn field_value(err: Signal<Option<AppError>>, name: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || err.with(|e| e.as_ref().and_then(|e| e.value(name))))
}

#[component]
pub fn Header() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let location = leptos_router::hooks::use_location();
    let on_search_page = move || location.pathname.get() == "/search";
    view! {
        <header class="site-header">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">"⚓"</span>
                " Berth"
            </a>
            // The search page has its own box, with the filters.
            {move || (!on_search_page()).then(|| view! {
                <form class="header-search" method="get" action="/search" role="search">
                    <label for="header-q" class="visually-hidden">"Search repositories"</label>
                    <input id="header-q" type="search" name="q" placeholder="Search repositories" autocomplete="off"/>
                </form>
            })}
            {move || on_search_page().then(|| view! { <span class="header-spacer" aria-hidden="true"></span> })}
            <nav class="site-nav" aria-label="Site">
                <a class="nav-link nav-explore" href="/explore">"Explore"</a>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match auth.user.await {
                            Ok(Some(user)) => view! { <UserMenu user/> }.into_any(),
                            _ => view! {
                                <LoginLink class="nav-link"/>
                                <a class="button button-small" href="/signup">"Sign up"</a>
                            }
                            .into_any(),
                        }
                    })}
                </Transition>
            </nav>
        </header>
    }
}

#[component]
fn UserMenu(user: SessionUser) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let profile = format!("/u/{}", user.username);
    view! {
        <a class="nav-link" href="/">"Dashboard"</a>
        <details class="user-menu">
            <summary aria-label="Account menu">
                <span class="avatar" aria-hidden="true">
                    {user.username.chars().next().map(|c| c.to_ascii_uppercase()).unwrap_or('?')}
                </span>
                <span class="user-name">{user.username.clone()}</span>
            </summary>
            <div class="menu">
                <p class="menu-email">{user.email.clone()}</p>
                <a href=profile>"My profile"</a>
                <a href="/">"Repositories"</a>
                <a href="/settings">"Account settings"</a>
                <a href="/settings/security">"Security"</a>
                {user.is_admin.then(|| view! {
                    <a href="/admin/plans">"Plans (admin)"</a>
                    <a href="/admin/storage">"Storage (admin)"</a>
                })}
                <ActionForm action=auth.logout>
                    <button type="submit" class="link-button">"Log out"</button>
                </ActionForm>
            </div>
        </details>
    }
}

/// A destructive action asked twice. Until confirmed it is a link to this same page with
/// `confirm=KEY` (so it works without JavaScript); on that page the question, the real form
/// (`children`, whose button does it) and a way back are shown instead, at `#confirm`.
#[component]
pub fn Confirm(
    /// Unique on the page: which action this is (`delete-token-7`).
    #[prop(into)]
    key: String,
    /// The link's text ("Delete").
    #[prop(into)]
    label: String,
    /// Its accessible name ("Delete token ci").
    #[prop(into, optional)]
    aria: String,
    /// What is asked ("Delete the token ci? Logins using it stop at once.").
    #[prop(into)]
    question: String,
    children: ChildrenFn,
) -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    let query = leptos_router::hooks::use_query_map();
    let asked = {
        let key = key.clone();
        move || query.with(|q| q.get("confirm")).as_deref() == Some(key.as_str())
    };
    // This page's address with `confirm` set to `key` (or taken away), its other parameters kept.
    let here = move |confirm: Option<&str>| {
        let mut pairs: Vec<(String, String)> = query.with(|q| {
            q.clone()
                .into_iter()
                .filter(|(k, _)| k != "confirm" && k != "saved")
                .map(|(k, v)| (k.to_string(), v))
                .collect()
        });
        if let Some(c) = confirm {
            pairs.push(("confirm".into(), c.to_string()));
        }
        let qs: Vec<String> = pairs
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    crate::url::query_value(k),
                    crate::url::query_value(v)
                )
            })
            .collect();
        let path = location.pathname.get();
        match (qs.is_empty(), confirm.is_some()) {
            (true, _) => path,
            (false, true) => format!("{path}?{}#confirm", qs.join("&")),
            (false, false) => format!("{path}?{}", qs.join("&")),
        }
    };
    let aria = if aria.is_empty() { label.clone() } else { aria };
    move || {
        if asked() {
            view! {
                <div class="confirm-box" id="confirm" role="group" aria-label="Confirm">
                    <p>{question.clone()}</p>
                    <div class="form-actions">
                        {children()}
                        <a class="button button-small" href=here(None)>"Cancel"</a>
                    </div>
                </div>
            }
            .into_any()
        } else {
            view! {
                <a class="button button-small button-danger-quiet" href=here(Some(&key)) aria-label=aria.clone()>{label.clone()}</a>
            }
            .into_any()
        }
    }
}

/// A "Log in" link that comes back to the page it is on afterwards.
#[component]
pub fn LoginLink(
    #[prop(default = "button button-primary")] class: &'static str,
    #[prop(default = "Log in")] label: &'static str,
) -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    let href = move || {
        let search = location.search.get();
        let here = if search.is_empty() {
            location.pathname.get()
        } else {
            format!(
                "{}?{}",
                location.pathname.get(),
                search.trim_start_matches('?')
            )
        };
        crate::model::login_href(&here)
    };
    view! { <a class=class href=href>{label}</a> }
}

/// A labelled input with its error message underneath.
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: &'static str,
    #[prop(optional, into)] hint: String,
    #[prop(optional)] required: bool,
    error: Signal<Option<String>>,
    #[prop(optional, into)] value: MaybeProp<String>,
    /// Names the form when a page holds two forms with a field of the same name, so that every
    /// id (and so every label) stays unique.
    #[prop(optional)]
    form: &'static str,
) -> impl IntoView {
    let id = if form.is_empty() {
        format!("field-{name}")
    } else {
        format!("field-{form}-{name}")
    };
    let err_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let has_hint = !hint.is_empty();
    let described = {
        let (err_id, hint_id) = (err_id.clone(), hint_id.clone());
        move || {
            let mut ids = Vec::new();
            if error.with(Option::is_some) {
                ids.push(err_id.clone());
            }
            if has_hint {
                ids.push(hint_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="field" class:invalid=move || error.with(Option::is_some)>
            <label for=id.clone()>{label}</label>
            <input
                id=id.clone()
                name=name
                type=kind
                autocomplete=(!autocomplete.is_empty()).then_some(autocomplete)
                required=required
                value=move || value.get()
                aria-invalid=move || if error.with(Option::is_some) { "true" } else { "false" }
                aria-describedby=described
            />
            {has_hint.then(|| view! { <p class="hint" id=hint_id.clone()>{hint}</p> })}
            {move || {
                error.get().map(|msg| view! { <p class="field-error" id=err_id.clone() role="alert">{msg}</p> })
            }}
        </div>
    }
}

/// The message for a whole form (wrong credentials, rate limits, server trouble). A refused
/// form also gets the `#refused` anchor here, where a plain form's refusal returns to (the
/// server adds the fragment), so a long page opens at the form and its errors, not at the top.
#[component]
pub fn FormError(error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error.get().map(|e| {
            view! {
                <span id="refused" class="form-anchor"></span>
                {e.general().map(|msg| view! { <div class="alert alert-error" role="alert">{msg}</div> })}
            }
        })
    }
}

#[component]
pub fn Notice(#[prop(into)] text: String) -> impl IntoView {
    view! { <div class="alert alert-info" role="status">{text}</div> }
}

#[component]
pub fn SubmitButton<S>(
    action: ServerAction<S>,
    label: &'static str,
    busy: &'static str,
) -> impl IntoView
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    let pending = action.pending();
    view! {
        <button type="submit" class="button button-primary button-block" disabled=move || pending.get()>
            {move || if pending.get() { busy } else { label }}
        </button>
    }
}

/// A button that copies `text` (a command, a digest) to the clipboard. Plain markup: the one
/// [`CopyButtons`] island of the page makes every such button work (a list of 25 tags would
/// otherwise carry 50 islands and their serialised props). It needs JavaScript, so it shows
/// only once the page is hydrated; without, the text beside it is selectable.
#[component]
pub fn CopyButton(#[prop(into)] text: String, #[prop(into)] label: String) -> impl IntoView {
    view! {
        <button type="button" class="button button-small copy-button js-only" data-copy=text aria-label=label>
            "Copy"
        </button>
    }
}

/// Makes the page's copy buttons work: one click listener for all of them. The button says
/// "Copied" for two seconds once the browser has taken the text.
#[island]
pub fn CopyButtons() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let handle = window_event_listener(leptos::ev::click, |ev| {
            let Some(button) = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|e| e.closest("[data-copy]").ok().flatten())
            else {
                return;
            };
            let Some(text) = button.get_attribute("data-copy") else {
                return;
            };
            leptos::task::spawn_local(async move {
                if crate::clipboard::copy(text).await {
                    button.set_text_content(Some("Copied"));
                    set_timeout(
                        move || button.set_text_content(Some("Copy")),
                        std::time::Duration::from_secs(2),
                    );
                }
            });
        });
        // The listener lives as long as the page.
        std::mem::forget(handle);
    }
    view! { <span class="copy-buttons" hidden></span> }
}

/// Previous / "Page N of M" / Next, when there is more than one page; `link` gives a page's URL.
#[component]
pub fn Pager(
    page: i64,
    pages: i64,
    label: &'static str,
    link: impl Fn(i64) -> String + 'static,
) -> impl IntoView {
    (pages > 1).then(|| {
        view! {
            <nav class="pagination" aria-label=label>
                {(page > 1).then(|| view! { <a href=link(page - 1) rel="prev">"Previous"</a> })}
                <span>"Page " {page} " of " {pages}</span>
                {(page < pages).then(|| view! { <a href=link(page + 1) rel="next">"Next"</a> })}
            </nav>
        }
    })
}

/// Text to copy (a command, a digest) with its copy button. `shown` is a shorter form to display
/// (a short digest); the full text is then on hover and on the clipboard.
#[component]
pub fn Copyable(
    #[prop(into)] text: String,
    #[prop(into)] label: String,
    #[prop(optional, into)] shown: Option<String>,
) -> impl IntoView {
    let title = shown.is_some().then(|| text.clone());
    let display = shown.unwrap_or_else(|| text.clone());
    view! {
        <span class="copy-line">
            <code class="copyable" title=title>{display}</code>
            <CopyButton text label/>
        </span>
    }
}

/// The "Public" or "Private" badge of a repository.
#[component]
pub fn VisibilityBadge(private: bool) -> impl IntoView {
    if private {
        view! { <span class="badge badge-private">"Private"</span> }.into_any()
    } else {
        view! { <span class="badge">"Public"</span> }.into_any()
    }
}

/// "Last pushed 3 days ago · 12 pulls" (the exact time on hover), or "Never pushed · 0 pulls".
#[component]
pub fn PushedAndPulls(summary: crate::model::RepoSummary) -> impl IntoView {
    view! {
        <p class="repo-meta muted">
            {match (summary.last_pushed, summary.last_pushed_exact) {
                (Some(ago), Some(exact)) => view! { "Last pushed " <span title=exact>{ago}</span> }.into_any(),
                _ => view! { "Never pushed" }.into_any(),
            }}
            " · " <span class="pull-count">{count(summary.pull_count, "pull", "pulls")}</span>
            " · " <span class="star-count">{count(summary.star_count, "star", "stars")}</span>
        </p>
    }
}

/// The badge of a repository in `library`.
#[component]
pub fn OfficialBadge() -> impl IntoView {
    view! {
        <span class="badge badge-official" title="Maintained by the administrators of this Berth">
            "Official image"
        </span>
    }
}

/// "Automated": images built from a linked git repository; links to it where known.
#[component]
pub fn AutomatedBadge(#[prop(optional, into)] source: String) -> impl IntoView {
    let title = if source.is_empty() {
        "Built automatically from a git repository".to_string()
    } else {
        format!("Built automatically from {source}")
    };
    match source {
        // Only web addresses become links; git:// and file:// sources are shown as text.
        url if url.starts_with("https://") || url.starts_with("http://") => view! {
            <a class="badge badge-automated" href=url rel="noopener noreferrer nofollow" title=title>"Automated"</a>
        }
        .into_any(),
        _ => view! { <span class="badge badge-automated" title=title>"Automated"</span> }.into_any(),
    }
}

/// The star button with its count. Without JavaScript a plain form posts and the page comes
/// back; with it, the island posts and updates the button in place. Viewers who may not star
/// see the count and why.
#[component]
pub fn Star(state: crate::model::StarState) -> impl IntoView {
    if state.can_star {
        view! { <StarButton state/> }.into_any()
    } else {
        let hint = state.hint.clone().unwrap_or_default();
        let title = hint.clone();
        view! {
            <span class="star-static" title=title>
                <span aria-hidden="true">"☆ "</span>
                {count(state.count, "star", "stars")}
                <span class="visually-hidden">" — " {hint}</span>
            </span>
        }
        .into_any()
    }
}

#[island]
fn StarButton(state: crate::model::StarState) -> impl IntoView {
    let starred = RwSignal::new(state.starred);
    let stars = RwSignal::new(state.count);
    let busy = RwSignal::new(false);
    let (namespace, name) = (state.namespace.clone(), state.name.clone());
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        let on = !starred.get_untracked();
        let (namespace, name) = (namespace.clone(), name.clone());
        leptos::task::spawn_local(async move {
            let answer = crate::api::set_star(
                namespace,
                name,
                if on { "1" } else { "0" }.into(),
                Some("1".into()),
            )
            .await;
            if let Ok(s) = answer {
                starred.set(s.starred);
                stars.set(s.count);
            }
            busy.set(false);
        });
    };
    view! {
        <form class="star-form" method="post" action=crate::api::SetStar::url() on:submit=on_submit>
            <input type="hidden" name="namespace" value=state.namespace.clone()/>
            <input type="hidden" name="name" value=state.name.clone()/>
            <input type="hidden" name="star" value=move || if starred.get() { "0" } else { "1" }/>
            <button type="submit" class="button button-small star-button" aria-pressed=move || starred.get().to_string()
                disabled=move || busy.get()>
                <span aria-hidden="true">{move || if starred.get() { "★ " } else { "☆ " }}</span>
                {move || if starred.get() { "Starred" } else { "Star" }}
                <span class="star-button-count">{move || stars.get()}</span>
            </button>
        </form>
    }
}

/// Daily pulls as a bar chart drawn on the server (SVG bars stretched to the width; the axis
/// labels are HTML beside it, so they stay readable on a phone), with a summary line and the
/// figures as a table for screen readers.
#[component]
pub fn PullChart(chart: crate::model::PullChart) -> impl IntoView {
    // Bars in a 100 × 100 box: each day a slot of 100/n, the bar 70 % of it.
    let n = chart.days.len().max(1) as f64;
    let highest = chart.days.iter().map(|(_, p)| *p).max().unwrap_or(0);
    // A round top for the axis: 1, 2, 5, 10, 20, 50…
    let mut top: i64 = 1;
    while top < highest {
        top = if top.to_string().starts_with('2') {
            top * 5 / 2
        } else {
            top * 2
        };
    }
    let slot = 100.0 / n;
    let bars = chart
        .days
        .iter()
        .enumerate()
        .map(|(i, (day, pulls))| {
            let h = 100.0 * (*pulls as f64) / (top as f64);
            view! {
                <rect class="chart-bar" x=format!("{:.2}", slot * i as f64 + slot * 0.15) y=format!("{:.2}", 100.0 - h)
                    width=format!("{:.2}", slot * 0.7) height=format!("{h:.2}")>
                    <title>{format!("{day}: {}", count(*pulls, "pull", "pulls"))}</title>
                </rect>
            }
        })
        .collect_view();
    // A cell per day (a grid column each: no inline style, which the CSP forbids), labelled
    // every seventh day counted back from today, so the last label is today's.
    let labels = chart
        .days
        .iter()
        .enumerate()
        .map(|(i, (day, _))| {
            let shown = (chart.days.len() - 1 - i).is_multiple_of(7);
            view! { <span class="chart-x">{shown.then(|| day.clone())}</span> }
        })
        .collect_view();
    let first = chart
        .days
        .first()
        .map(|(d, _)| d.clone())
        .unwrap_or_default();
    let last = chart
        .days
        .last()
        .map(|(d, _)| d.clone())
        .unwrap_or_default();
    let summary = format!(
        "{} in the last {} days ({first} to {last}), at most {} a day.",
        count(chart.total, "pull", "pulls"),
        chart.days.len(),
        highest,
    );
    view! {
        <figure class="pull-chart">
            <figcaption>
                <strong>"Pulls, last 30 days"</strong>
                <span class="muted">" " {summary.clone()}</span>
            </figcaption>
            <div class="chart-area">
                <span class="chart-y chart-y-top" aria-hidden="true">{top}</span>
                <span class="chart-y chart-y-zero" aria-hidden="true">"0"</span>
                <svg viewBox="0 0 100 100" preserveAspectRatio="none" role="img" aria-label=summary>
                    <line class="chart-grid" x1="0" y1="0" x2="100" y2="0" vector-effect="non-scaling-stroke"/>
                    {bars}
                </svg>
                <div class="chart-xs" aria-hidden="true">{labels}</div>
            </div>
            <details class="chart-data">
                <summary>"Pulls per day as a table"</summary>
                <table class="data-table">
                    <thead><tr><th scope="col">"Day"</th><th scope="col">"Pulls"</th></tr></thead>
                    <tbody>
                        {chart.days.iter().map(|(d, p)| view! { <tr><td>{d.clone()}</td><td>{*p}</td></tr> }).collect_view()}
                    </tbody>
                </table>
            </details>
        </figure>
    }
}

/// Makes the search page's form update the results as the visitor types or changes a filter:
/// the same page is fetched with the form's query and its results swapped in, and the address
/// follows. Without JavaScript the form is submitted as usual.
#[island]
pub fn LiveSearch() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    crate::live_search::install();
    view! { <span class="live-search" hidden></span> }
}

/// A textarea holding user text, escaped by construction. HTML reads a textarea's content as raw
/// text up to `</textarea>`, and Leptos writes that content unescaped (as it does for script and
/// style), so the server writes it escaped here; in the browser the value is set as a property,
/// which is never parsed as HTML.
#[component]
pub fn TextArea(
    id: &'static str,
    name: &'static str,
    rows: u32,
    value: RwSignal<String>,
) -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        let content = crate::html::escape_text(&value.get_untracked());
        view! {
            <textarea id=id name=name rows=rows prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))>{content}</textarea>
        }
    }
    #[cfg(not(feature = "ssr"))]
    {
        view! {
            <textarea id=id name=name rows=rows prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))></textarea>
        }
    }
}

/// "1 pull", "12 pulls", "1,234 pulls".
pub fn count(n: i64, one: &str, many: &str) -> String {
    let digits = n.abs().to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if n < 0 { "-" } else { "" };
    format!("{sign}{grouped} {}", if n == 1 { one } else { many })
}

/// What goes before image names on this hub (`HOST[:PORT]`), for help texts. Pages render on
/// the server only (islands mode), where the hub is in the context.
pub fn registry_host() -> String {
    #[cfg(feature = "ssr")]
    {
        use_context::<berth_core::Hub>()
            .map(|h| h.config.registry_host())
            .unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_read_well() {
        assert_eq!(super::count(1, "pull", "pulls"), "1 pull");
        assert_eq!(super::count(0, "pull", "pulls"), "0 pulls");
        assert_eq!(super::count(1234567, "tag", "tags"), "1,234,567 tags");
    }
}

/// "Saved." beside the form that saved (`?saved=KEY` after its redirect), not at the top of the
/// page where it would stand above another form's later refusal.
#[component]
pub fn SavedNotice(key: &'static str, text: &'static str) -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    move || {
        query
            .with(|q| q.get("saved").as_deref() == Some(key))
            .then(|| view! { <Notice text=text/> })
    }
}
