//! Automated builds: a repository's Builds page (the linked git repository, the trigger URL,
//! build rules, the build history filtered by status) and each build's page with its log,
//! followed live (an island polls for new lines; without JavaScript the page refreshes itself
//! until the build ends). Plain forms throughout.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    api::{
        get_build, get_builds, BuildNow, CancelBuild, DeleteBuildRule, RegenerateBuildTrigger,
        SaveBuildRule, SaveBuildSource, UnlinkBuildSource,
    },
    components::{
        action_error, field_error, field_value, Confirm, Copyable, Field, FormError, SavedNotice,
        TextArea,
    },
    model::{BuildItem, BuildRuleItem, BuildView, BuildsView},
    pages::load_failed,
};

/// The badge class of a build status: green for success, red for failure, grey for
/// cancelled, amber while it runs (the live page sets the same classes).
fn status_class(status: &str) -> &'static str {
    match status {
        "succeeded" => "badge badge-ok build-status",
        "failed" => "badge badge-error build-status",
        "cancelled" => "badge build-status",
        _ => "badge badge-running build-status",
    }
}

fn status_badge(status: &str) -> impl IntoView {
    view! { <span class=status_class(status)>{status.to_string()}</span> }
}

/// `/r/NS/NAME/builds`.
#[component]
pub fn BuildsPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let key = move || {
        let p = params.get();
        (
            p.get("namespace").unwrap_or_default(),
            p.get("name").unwrap_or_default(),
            query.with(|q| q.get("status")),
            query.with(|q| q.get("saved")),
        )
    };
    let data = Resource::new(key, |(namespace, name, status, _)| {
        get_builds(namespace, name, status)
    });
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! { <Builds view/> }.into_any(),
                    Err(e) => load_failed(e),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Builds(view: BuildsView) -> impl IntoView {
    let full_name = view.full_name.clone();
    let linked = view.source.is_some();
    let history = view.builds.clone();
    let filter = view.status.clone();
    let base = format!("/r/{full_name}/builds");
    let filters = [
        ("", "All"),
        ("queued", "Queued"),
        ("running", "Running"),
        ("succeeded", "Succeeded"),
        ("failed", "Failed"),
        ("cancelled", "Cancelled"),
    ]
    .into_iter()
    .map(|(value, label)| {
        let href = if value.is_empty() {
            format!("{base}#history")
        } else {
            format!("{base}?status={value}#history")
        };
        let current = filter.as_deref().unwrap_or("") == value;
        view! { <a href=href class="chip" class:active=current aria-current=current.then_some("page")>{label}</a> }
    })
    .collect_view();
    let rows = history
        .into_iter()
        .map(|b| {
            let href = format!("{base}/{}", b.id);
            view! {
                <li class="build-row">
                    <div class="build-row-head">
                        <a class="repo-name" href=href>{format!("#{} · {}", b.id, b.docker_tag)}</a>
                        {status_badge(&b.status)}
                    </div>
                    <p class="muted repo-meta">
                        <code>{b.source_ref.clone()}</code>
                        {b.commit.clone().map(|c| view! { " · " <code>{c.chars().take(12).collect::<String>()}</code> })}
                        {b.commit_message.clone().map(|m| view! { " " <span class="build-message">{m}</span> })}
                    </p>
                    <p class="muted repo-meta">
                        {b.cause.clone()} " · " <span title=b.created.clone()>{b.created_ago.clone()}</span>
                        {b.duration.clone().map(|d| view! { " · took " {d} })}
                    </p>
                </li>
            }
        })
        .collect_view();
    let none = view.builds.is_empty();
    let (namespace, name) = full_name
        .split_once('/')
        .map(|(n, r)| (n.to_string(), r.to_string()))
        .unwrap_or_default();
    let repo_href = format!("/r/{full_name}");
    view! {
        <Title text=format!("Builds · {full_name}")/>
        // The repository's own header and tabs: Builds is one of its tabs.
        <section class="repo-page">
            <header class="repo-header">
                <div class="repo-title">
                    <h1>
                        <a class="repo-namespace" href=crate::url::namespace_page(&namespace)>{namespace.clone()}</a>
                        " / " {name.clone()}
                    </h1>
                </div>
            </header>
            <nav class="tabs" aria-label="Repository">
                <a href=repo_href.clone() class="tab">"Overview"</a>
                <a href=format!("{repo_href}?tab=tags") class="tab">"Tags"</a>
                <a href=format!("{repo_href}/builds") class="tab active" aria-current="page">"Builds"</a>
                <a href=format!("{repo_href}?tab=settings") class="tab">"Settings"</a>
            </nav>
            <SavedNotice key="source" text="Source saved."/>
            <SavedNotice key="unlinked" text="Source unlinked: no more builds run. The history stays."/>
            {(!view.engine_here).then(|| view! {
                <p class="alert">"This server runs no builds itself: builds wait until a build machine (berth worker with BERTH_BUILD_DOCKER_HOST) takes them."</p>
            })}
            // What one comes for first: the builds; the configuration behind it.
            <div class="settings">
                <section class="panel" id="history">
                    <h2>"Build history"</h2>
                    <nav class="chips" aria-label="Filter builds by status">{filters}</nav>
                    {if none {
                        view! { <p>"No builds yet."</p> }.into_any()
                    } else {
                        view! { <ul class="build-list">{rows}</ul> }.into_any()
                    }}
                </section>
                {linked.then(|| view! { <RulesSection view=view.clone()/> })}
                <SourceSection view=view.clone()/>
            </div>
        </section>
    }
}

#[component]
fn SourceSection(view: BuildsView) -> impl IntoView {
    let save = ServerAction::<SaveBuildSource>::new();
    let err = action_error(save);
    let unlink = ServerAction::<UnlinkBuildSource>::new();
    let regenerate = ServerAction::<RegenerateBuildTrigger>::new();
    let full_name = view.full_name.clone();
    let trigger_name = full_name.clone();
    let source = view.source.clone();
    let linked = source.is_some();
    let url = source
        .as_ref()
        .map(|s| s.git_url.clone())
        .unwrap_or_default();
    let notify = source
        .as_ref()
        .map_or_else(|| "failures".to_string(), |s| s.notify.clone());
    let has_token = source.as_ref().is_some_and(|s| s.has_token);
    let has_secret = source.as_ref().is_some_and(|s| s.has_hook_secret);
    let readme = source.as_ref().is_some_and(|s| s.readme);
    let choices = view
        .notify_choices
        .iter()
        .cloned()
        .map(|(value, label)| {
            let notify = notify.clone();
            let v = value.clone();
            let checked = move || {
                field_value(err, "notify")
                    .get()
                    .unwrap_or_else(|| notify.clone())
                    == value
            };
            view! {
                <label class="choice">
                    <input type="radio" name="notify" value=v checked=checked/>
                    <span>{label}</span>
                </label>
            }
        })
        .collect_view();
    view! {
        <section class="panel" id="source">
            <h2>{if linked { "Source repository" } else { "Link a git repository" }}</h2>
            <p class="muted">"Each build makes a shallow clone of exactly the pushed commit, builds its Dockerfile and pushes the image here, with the commit recorded on the tag."</p>
            <ActionForm action=save attr:class="form" attr:novalidate=true>
                <FormError error=err/>
                <input type="hidden" name="full_name" value=full_name.clone()/>
                <Field label="Git repository URL" name="git_url" kind="url" required=true
                    hint="https, http or git (file:// if the operator allows local mirrors). Internal addresses are refused unless the operator allows them."
                    error=field_error(err, "git_url")
                    value=Signal::derive(move || field_value(err, "git_url").get().or(Some(url.clone())))/>
                <Field label="Access token (private repositories)" name="token" kind="password" autocomplete="off"
                    hint=if has_token { "A token is stored (encrypted). Leave empty to keep it." } else { "Sent as the HTTP password; stored encrypted and never shown again." }
                    error=field_error(err, "token")/>
                {has_token.then(|| view! {
                    <label class="choice"><input type="checkbox" name="remove_token" value="on"/><span>"Remove the stored token"</span></label>
                })}
                <Field label="Trigger secret (optional)" name="hook_secret" kind="password" autocomplete="new-password"
                    hint=if has_secret { "A secret is set: calls must be signed. Leave empty to keep it." } else { "When set, trigger calls must carry X-Hub-Signature-256 (GitHub, Gitea), X-Gitea-Signature or X-Gitlab-Token." }
                    error=field_error(err, "hook_secret")/>
                {has_secret.then(|| view! {
                    <label class="choice"><input type="checkbox" name="remove_hook_secret" value="on"/><span>"Remove the trigger secret"</span></label>
                })}
                <fieldset class="choices">
                    <legend>"Mail me"</legend>
                    {choices}
                    {move || field_error(err, "notify").get().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                </fieldset>
                <label class="choice"><input type="checkbox" name="readme" value="on" checked=readme/><span>"Take the overview from the repository's README.md after each successful build"</span></label>
                <button type="submit" class="button button-primary">{if linked { "Save source" } else { "Link repository" }}</button>
            </ActionForm>
            {source.map(|s| {
                let regen_name = StoredValue::new(trigger_name.clone());
                let unlink_name = StoredValue::new(trigger_name.clone());
                view! {
                    <div id="trigger">
                        <h3>"Build trigger URL"</h3>
                        <SavedNotice key="trigger" text="New trigger URL: the old one no longer works."/>
                        <p class="muted">"POST to it from your git server's push webhook (GitHub, Gitea and GitLab payloads) or a post-receive hook; only rules matching the pushed branch or tag build. Keep it secret."</p>
                        <Copyable text=s.trigger_url.clone() label="Copy the trigger URL"/>
                        <p class="muted">"From a post-receive hook:"</p>
                        <Copyable text=format!("while read old new ref; do curl -fsS -X POST --data \"ref=$ref&after=$new\" {}; done", s.trigger_url) label="Copy the hook"/>
                        <Confirm key="new-trigger" label="New trigger URL"
                            question="Make a new trigger URL? The current one stops working at once: every hook that calls it must be given the new one.">
                            <ActionForm action=regenerate attr:class="form-inline">
                                <input type="hidden" name="full_name" value=regen_name.get_value()/>
                                <button type="submit" class="button button-small button-danger">"Make a new trigger URL"</button>
                            </ActionForm>
                        </Confirm>
                    </div>
                    <Confirm key="unlink" label="Unlink the repository"
                        question="Unlink the git repository? Its build rules and stored token go; the build history stays.">
                        <ActionForm action=unlink attr:class="form-inline danger-inline">
                            <input type="hidden" name="full_name" value=unlink_name.get_value()/>
                            <button type="submit" class="button button-danger button-small">"Unlink it"</button>
                        </ActionForm>
                    </Confirm>
                }
            })}
        </section>
    }
}

#[component]
fn RulesSection(view: BuildsView) -> impl IntoView {
    let query = use_query_map();
    let full_name = view.full_name.clone();
    let rules = view.rules.clone();
    let editing = {
        let rules = rules.clone();
        query.with_untracked(|q| {
            q.get("rule")
                .and_then(|id| id.parse::<i64>().ok())
                .and_then(|id| rules.iter().find(|r| r.id == id).cloned())
        })
    };
    let build = ServerAction::<BuildNow>::new();
    let build_err = action_error(build);
    let delete = ServerAction::<DeleteBuildRule>::new();
    let items = rules
        .into_iter()
        .map(|r| {
            let full_name = full_name.clone();
            let rule_repo = StoredValue::new(full_name.clone());
            let edit = format!("/r/{full_name}/builds?rule={}#rule-form", r.id);
            let source = if r.is_regex {
                format!("{} matching /{}/", r.source_type, r.source)
            } else {
                format!("{} {}", r.source_type, r.source)
            };
            let label = format!("{source} → {}", r.docker_tag);
            view! {
                <tr>
                    <td data-label="Source">{source}</td>
                    <td data-label="Docker tag"><code>{r.docker_tag.clone()}</code></td>
                    <td data-label="Dockerfile"><code class="wrap">{r.dockerfile.clone()}</code> " in " <code class="wrap">{r.context.clone()}</code></td>
                    <td data-label="On pushes">{if r.enabled { "builds" } else { "disabled" }}</td>
                    <td class="actions">
                        {(!r.is_regex).then(|| {
                            let full_name = full_name.clone();
                            let label = label.clone();
                            view! {
                                <ActionForm action=build attr:class="form-inline">
                                    <input type="hidden" name="full_name" value=full_name/>
                                    <input type="hidden" name="rule" value=r.id.to_string()/>
                                    <button type="submit" class="button button-small button-primary" aria-label=format!("Build now: {label}")>"Build now"</button>
                                </ActionForm>
                            }
                        })}
                        <a class="button button-small" href=edit aria-label=format!("Edit rule {label}")>"Edit"</a>
                        <Confirm key=format!("delete-rule-{}", r.id) label="Delete" aria=format!("Delete rule {label}")
                            question=format!("Delete the build rule {label}? Pushes it matched build nothing more.")>
                            <ActionForm action=delete attr:class="form-inline">
                                <input type="hidden" name="full_name" value=rule_repo.get_value()/>
                                <input type="hidden" name="id" value=r.id.to_string()/>
                                <button type="submit" class="button button-small button-danger">"Delete the rule"</button>
                            </ActionForm>
                        </Confirm>
                    </td>
                </tr>
            }
        })
        .collect_view();
    let none = view.rules.is_empty();
    view! {
        <section class="panel" id="rules">
            <h2>"Build rules"</h2>
            <SavedNotice key="rule" text="Build rule saved."/>
            <SavedNotice key="rule-deleted" text="Build rule deleted."/>
            <FormError error=build_err/>
            {if none {
                view! { <p>"No rules: nothing builds. Add one below."</p> }.into_any()
            } else {
                view! {
                    <table class="data-table stack-table rules-table">
                        <thead><tr><th scope="col">"Source"</th><th scope="col">"Docker tag"</th><th scope="col">"Dockerfile"</th><th scope="col">"On pushes"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                        <tbody>{items}</tbody>
                    </table>
                }.into_any()
            }}
            <RuleForm full_name=full_name.clone() rule=editing/>
        </section>
    }
}

#[component]
fn RuleForm(full_name: String, rule: Option<BuildRuleItem>) -> impl IntoView {
    let save = ServerAction::<SaveBuildRule>::new();
    let err = action_error(save);
    let editing = rule.is_some();
    let r = rule.unwrap_or(BuildRuleItem {
        source_type: "branch".into(),
        docker_tag: "latest".into(),
        dockerfile: "Dockerfile".into(),
        context: "/".into(),
        enabled: true,
        ..Default::default()
    });
    let kept = move |name: &'static str, saved: String| {
        Signal::derive(move || {
            Some(
                field_value(err, name)
                    .get()
                    .unwrap_or_else(|| saved.clone()),
            )
        })
    };
    let kind = r.source_type.clone();
    let is = move |k: &'static str| {
        let kind = kind.clone();
        move || {
            field_value(err, "source_type")
                .get()
                .unwrap_or_else(|| kind.clone())
                == k
        }
    };
    let args = RwSignal::new(r.build_args.clone());
    Effect::new(move || {
        if let Some(v) = field_value(err, "build_args").get() {
            args.set(v);
        }
    });
    view! {
        <h3 id="rule-form">{if editing { "Edit build rule" } else { "Add a build rule" }}</h3>
        <ActionForm action=save attr:class="form" attr:novalidate=true>
            <FormError error=err/>
            <input type="hidden" name="full_name" value=full_name/>
            <input type="hidden" name="id" value=r.id.to_string()/>
            <fieldset class="choices">
                <legend>"Source type"</legend>
                <label class="choice"><input type="radio" name="source_type" value="branch" checked=is("branch")/><span>"Branch"</span></label>
                <label class="choice"><input type="radio" name="source_type" value="tag" checked=is("tag")/><span>"Tag"</span></label>
            </fieldset>
            <div class="field-row">
                <Field label="Source (branch or tag name)" name="source" required=true hint="main, or a regular expression when ticked below (the whole name must match)." error=field_error(err, "source") value=kept("source", r.source.clone())/>
                <Field label="Docker tag" name="docker_tag" required=true hint="latest, a fixed tag, or {sourceref} for the branch or tag name." error=field_error(err, "docker_tag") value=kept("docker_tag", r.docker_tag.clone())/>
            </div>
            <label class="choice"><input type="checkbox" name="is_regex" value="on" checked=r.is_regex/><span>"The source is a regular expression"</span></label>
            <div class="field-row">
                <Field label="Dockerfile location" name="dockerfile" required=true hint="Relative to the build context." error=field_error(err, "dockerfile") value=kept("dockerfile", r.dockerfile.clone())/>
                <Field label="Build context" name="context" hint="A folder of the repository; / is its root." error=field_error(err, "context") value=kept("context", r.context.clone())/>
            </div>
            <div class="field" class:invalid=move || field_error(err, "build_args").with(Option::is_some)>
                <label for="build-args">"Build arguments"</label>
                <TextArea id="build-args" name="build_args" rows=3 value=args/>
                <p class="hint">"One KEY=VALUE per line (ARG in the Dockerfile). Owners of this repository can read them: no secrets."</p>
                {move || field_error(err, "build_args").get().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
            </div>
            <label class="choice"><input type="checkbox" name="enabled" value="on" checked=r.enabled/><span>"Enabled: build on pushes (a disabled rule still builds with Build now)"</span></label>
            <button type="submit" class="button">{if editing { "Save rule" } else { "Add rule" }}</button>
        </ActionForm>
    }
}

/// `/r/NS/NAME/builds/ID`.
#[component]
pub fn BuildPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let key = move || {
        let p = params.get();
        (
            p.get("namespace").unwrap_or_default(),
            p.get("name").unwrap_or_default(),
            p.get("id").and_then(|i| i.parse::<i64>().ok()).unwrap_or(0),
            query.with(|q| q.get("saved")),
        )
    };
    let data = Resource::new(key, |(namespace, name, id, _)| {
        get_build(namespace, name, id)
    });
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! { <Build view/> }.into_any(),
                    Err(e) => load_failed(e),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Build(view: BuildView) -> impl IntoView {
    let cancel = ServerAction::<CancelBuild>::new();
    let cancel_err = action_error(cancel);
    let b: BuildItem = view.build.clone();
    let full_name = view.full_name.clone();
    let running = !b.finished;
    let follow_name = full_name.clone();
    let tag_href = format!("/r/{full_name}/tags/{}", b.docker_tag);
    view! {
        <Title text=format!("Build #{} · {full_name}", b.id)/>
        <section class="repo-page">
            <p class="breadcrumbs"><a href=format!("/r/{full_name}/builds")>{full_name.clone()} " · Builds"</a></p>
            <h1>"Build #" {b.id} " " <span id="build-status">{status_badge(&b.status)}</span></h1>
            <SavedNotice key="cancel" text="Cancel requested."/>
            <div class="panel build-facts">
                <dl class="facts">
                    <dt>"Source"</dt><dd><code>{b.source_ref.clone()}</code></dd>
                    // Every fact the build can change has an id: the live page (FollowLog)
                    // updates them in place as the build goes on.
                    <dt>"Commit"</dt>
                    <dd>
                        <code class="wrap" id="build-commit" hidden=b.commit.is_none()>{b.commit.clone().unwrap_or_default()}</code>
                        " " <span id="build-commit-subject" hidden=b.commit.is_none()>{b.commit_message.clone().unwrap_or_default()}</span>
                        <span class="muted" id="build-commit-none" hidden=b.commit.is_some()>"not cloned yet"</span>
                    </dd>
                    <dt>"Docker tag"</dt>
                    <dd>
                        <a href=tag_href id="build-tag-link" hidden=b.status != "succeeded">{b.docker_tag.clone()}</a>
                        <span id="build-tag-text" hidden=b.status == "succeeded">{b.docker_tag.clone()}</span>
                    </dd>
                    <dt>"Dockerfile"</dt><dd><code class="wrap">{b.dockerfile.clone()}</code> " in " <code class="wrap">{b.context.clone()}</code></dd>
                    <dt>"Started by"</dt><dd>{b.cause.clone()} " · " <span title=b.created.clone()>{b.created_ago.clone()}</span></dd>
                    <dt>"Duration"</dt><dd id="build-duration">{b.duration.clone().unwrap_or_else(|| "not started".into())}</dd>
                    <dt id="build-digest-label" hidden=b.digest.is_none()>"Digest"</dt>
                    <dd id="build-digest-value" hidden=b.digest.is_none()><code class="wrap" id="build-digest">{b.digest.clone().unwrap_or_default()}</code></dd>
                </dl>
                <p class="alert alert-error build-error" role="alert" id="build-error" hidden=b.error.is_none()>{b.error.clone().unwrap_or_default()}</p>
                {running.then(|| view! {
                    <div id="build-cancel">
                        <ActionForm action=cancel attr:class="form-inline">
                            <FormError error=cancel_err/>
                            <input type="hidden" name="full_name" value=full_name.clone()/>
                            <input type="hidden" name="id" value=b.id.to_string()/>
                            <button type="submit" class="button button-danger">"Cancel build"</button>
                        </ActionForm>
                    </div>
                })}
            </div>
            <section class="panel">
                <h2>"Build log"</h2>
                <p class="muted" id="build-queued" hidden=b.status != "queued">"Waiting for a build worker to take it."</p>
                {running.then(|| view! {
                    // Without JavaScript the page reloads itself until the build ends; with it,
                    // the island below appends new lines and this stays inert. A constant: no
                    // user text ever reaches this raw HTML.
                    <div inner_html=r#"<noscript><meta http-equiv="refresh" content="3"></noscript>"#></div>
                    <FollowLog full_name=follow_name.clone() id=b.id from=view.log_len/>
                })}
                <pre class="log build-log" id="build-log">{view.log.clone()}</pre>
            </section>
        </section>
    }
}

/// Follows a running build: asks every second for new log text and the build as it is now,
/// appends the text (as text, never HTML), and updates the status badge, commit, duration,
/// digest, error and the Cancel button in place; once the build has ended it stops asking.
#[island]
fn FollowLog(full_name: String, id: i64, from: i64) -> impl IntoView {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        leptos::task::spawn_local(async move {
            let mut from = from;
            let mut failures = 0;
            loop {
                gloo_sleep(1000).await;
                let Ok(chunk) = crate::api::build_log(full_name.clone(), id, from).await else {
                    // Logged out, or the build is gone: stop asking after half a minute.
                    failures += 1;
                    if failures >= 30 {
                        break;
                    }
                    continue;
                };
                failures = 0;
                let document = document();
                if !chunk.text.is_empty() {
                    if let Some(pre) = document.get_element_by_id("build-log") {
                        // Text only: the log is never parsed as HTML. An empty log's
                        // placeholder whitespace is replaced, not kept before the first line.
                        if pre.text_content().unwrap_or_default().trim().is_empty() {
                            pre.set_text_content(Some(&chunk.text));
                        } else {
                            let _ = pre.append_with_str_1(&chunk.text);
                        }
                        if let Ok(el) = pre.dyn_into::<web_sys::HtmlElement>() {
                            el.set_scroll_top(el.scroll_height());
                        }
                    }
                }
                from = chunk.next;
                show_build(&document, &chunk.build);
                if chunk.build.finished {
                    break;
                }
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (full_name, id, from);
    view! { <span class="follow-log" hidden></span> }
}

/// Writes the build's changing facts into the page rendered by [`Build`] (by their ids).
#[cfg(feature = "hydrate")]
fn show_build(document: &web_sys::Document, b: &BuildItem) {
    let text = |id: &str, value: &str| {
        if let Some(el) = document.get_element_by_id(id) {
            if el.text_content().as_deref() != Some(value) {
                el.set_text_content(Some(value));
            }
        }
    };
    let shown = |id: &str, visible: bool| {
        if let Some(el) = document.get_element_by_id(id) {
            let _ = if visible {
                el.remove_attribute("hidden")
            } else {
                el.set_attribute("hidden", "")
            };
        }
    };
    if let Some(badge) = document
        .get_element_by_id("build-status")
        .and_then(|s| s.first_element_child())
    {
        badge.set_class_name(status_class(&b.status));
        badge.set_text_content(Some(&b.status));
    }
    text("build-commit", b.commit.as_deref().unwrap_or(""));
    text(
        "build-commit-subject",
        b.commit_message.as_deref().unwrap_or(""),
    );
    shown("build-commit", b.commit.is_some());
    shown("build-commit-subject", b.commit.is_some());
    shown("build-commit-none", b.commit.is_none());
    text(
        "build-duration",
        b.duration.as_deref().unwrap_or("not started"),
    );
    text("build-digest", b.digest.as_deref().unwrap_or(""));
    shown("build-digest-label", b.digest.is_some());
    shown("build-digest-value", b.digest.is_some());
    text("build-error", b.error.as_deref().unwrap_or(""));
    shown("build-error", b.error.is_some());
    let succeeded = b.status == "succeeded";
    shown("build-tag-link", succeeded);
    shown("build-tag-text", !succeeded);
    shown("build-queued", b.status == "queued");
    shown("build-cancel", !b.finished);
}

#[cfg(feature = "hydrate")]
async fn gloo_sleep(ms: i32) {
    let promise = js_sys_promise(ms);
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

#[cfg(feature = "hydrate")]
fn js_sys_promise(ms: i32) -> web_sys::js_sys::Promise {
    web_sys::js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    })
}
