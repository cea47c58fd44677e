//! `/r/NAMESPACE/NAME`: the repository page with its Overview, Tags and (for owners) Settings tabs.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_params_map, use_query_map};

use crate::{
    api::{
        get_repository, preview_overview, AddCollaborator, DeleteRepository, RemoveCollaborator,
        SaveDescriptions, SetTeamPermission, SetVisibility, TransferRepository,
    },
    components::{
        action_error, field_error, field_value, AutomatedBadge, Confirm, Copyable, Field,
        FormError, Notice, OfficialBadge, Pager, PullChart, PushedAndPulls, SavedNotice, Star,
        TextArea, VisibilityBadge,
    },
    model::{RepoView, TagList},
    pages::load_failed,
    pages::{TagRulesSection, WebhooksSection},
};

#[component]
pub fn RepositoryPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    // The whole query string is part of the key: every action ends in a redirect to a new one
    // (`?saved=…`, `?deleted=1`), and the page must then show what changed.
    let search = use_location().search;
    let key = move || {
        let p = params.get();
        let q = query.get();
        (
            p.get("namespace").unwrap_or_default(),
            p.get("name").unwrap_or_default(),
            q.get("tab"),
            q.get("sort"),
            q.get("q"),
            q.get("page").and_then(|p| p.parse::<i64>().ok()),
            search.get(),
        )
    };
    let repo = Resource::new(key, |(namespace, name, tab, sort, filter, page, _)| {
        get_repository(namespace, name, tab, sort, filter, page)
    });
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match repo.await {
                    Ok(view) => view! { <Repository view/> }.into_any(),
                    Err(e) => load_failed(e),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Repository(view: RepoView) -> impl IntoView {
    let query = use_query_map();
    let tab = move || query.with(|q| q.get("tab").unwrap_or_else(|| "overview".into()));
    let s = view.summary.clone();
    let base = format!("/r/{}", s.full_name);
    let created = move || query.with(|q| q.get("created").is_some());
    let tab_link = {
        let base = base.clone();
        move |name: &'static str, label: String| {
            let href = format!("{base}?tab={name}");
            view! {
                <a href=href class="tab" class:active=move || tab() == name aria-current=move || (tab() == name).then_some("page")>
                    {label}
                </a>
            }
        }
    };
    let can_manage = view.can_manage;
    let total = view.summary.tag_count;
    let overview_view = view.clone();
    let settings_view = view.clone();
    let namespace_href = crate::url::namespace_page(&s.namespace);
    view! {
        <Title text=s.full_name.clone()/>
        <section class="repo-page">
            <header class="repo-header">
                <div class="repo-title">
                    <h1>
                        <a class="repo-namespace" href=namespace_href.clone()>{s.namespace.clone()}</a>
                        " / " {s.name.clone()}
                    </h1>
                    {s.is_official.then(|| view! { <OfficialBadge/> })}
                    {s.is_automated.then(|| view! { <AutomatedBadge source=view.source_url.clone().unwrap_or_default()/> })}
                    <VisibilityBadge private=s.is_private/>
                    <Star state=view.star.clone()/>
                </div>
                <p class="repo-owner muted">
                    "By " <a href=namespace_href>{if s.is_official { "the administrators (official image)".to_string() } else { s.namespace.clone() }}</a>
                </p>
                {(!s.description.is_empty()).then(|| view! { <p class="repo-desc">{s.description.clone()}</p> })}
                <PushedAndPulls summary=s.clone()/>
                {view.stored.clone().filter(|_| s.tag_count > 0).map(|size| view! { <p class="repo-stored muted">"This repository stores " <span class="stored-size">{size}</span> " (its distinct layers and configurations)"</p> })}
                {view.pull_command.clone().map(|cmd| view! {
                    <div class="command">
                        <span class="command-label">"Pull this image"</span>
                        <Copyable text=cmd label="Copy the pull command"/>
                    </div>
                })}
            </header>
            {move || created().then(|| view! { <Notice text="Repository created."/> })}
            {view.push_commands.clone().map(|cmds| {
                let empty = view.pull_command.is_none();
                view! {
                    <details class="push-help" open=move || empty || created()>
                        <summary>{if empty { "This repository is empty: push an image" } else { "Push an image to this repository" }}</summary>
                        <Copyable text=cmds label="Copy the push commands"/>
                    </details>
                }
            })}
            <nav class="tabs" aria-label="Repository">
                {tab_link("overview", "Overview".into())}
                {tab_link("tags", format!("Tags ({total})"))}
                {can_manage.then(|| view! { <a href=format!("{base}/builds") class="tab">"Builds"</a> })}
                {can_manage.then(|| tab_link("settings", "Settings".into()))}
            </nav>
            {move || match tab().as_str() {
                "tags" => view! { <TagsTab full_name=view.summary.full_name.clone() tags=view.tags.clone() can_manage/> }.into_any(),
                "settings" if can_manage => view! { <SettingsTab view=settings_view.clone()/> }.into_any(),
                _ => view! { <OverviewTab view=overview_view.clone()/> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn OverviewTab(view: RepoView) -> impl IntoView {
    let query = use_query_map();
    let editing = move || view.can_manage && query.with(|q| q.get("edit").is_some());
    let base = format!("/r/{}", view.summary.full_name);
    let shown = view.clone();
    let chart = view.chart.clone();
    let body = move || {
        if editing() {
            return view! { <DescriptionsEditor view=shown.clone() on_tab="overview"/> }.into_any();
        }
        let edit_href = format!("{base}?edit=overview");
        let edit = shown.can_manage.then(|| {
            view! {
                <SavedNotice key="descriptions" text="Descriptions saved."/>
                <p class="overview-actions"><a class="button button-small" href=edit_href.clone()>"Edit overview"</a></p>
            }
        });
        if shown.overview_html.trim().is_empty() {
            let hint = shown.can_manage.then(|| {
                view! { <p><a href=edit_href.clone()>"Write an overview"</a> " in Markdown: what the image is and how to run it."</p> }
            });
            view! {
                <div class="empty-state">
                    <p class="empty-title">"No overview yet"</p>
                    {hint}
                </div>
            }
            .into_any()
        } else {
            // inner_html: the overview was rendered by pulldown-cmark and cleaned by ammonia's
            // allow-list on the server (berth_core::markdown::to_safe_html), never raw input.
            view! {
                {edit}
                <article class="markdown" inner_html=shown.overview_html.clone()></article>
            }
            .into_any()
        }
    };
    view! {
        {body}
        // An empty repository has no pulls to chart.
        {chart.filter(|_| view.summary.tag_count > 0).map(|chart| view! { <PullChart chart/> })}
    }
}

#[component]
fn TagsTab(full_name: String, tags: TagList, can_manage: bool) -> impl IntoView {
    let query = use_query_map();
    let deleted = move || query.with(|q| q.get("deleted"));
    let base = format!("/r/{full_name}");
    let page_link = {
        let (base, sort, filter) = (base.clone(), tags.sort.clone(), tags.filter.clone());
        move |page: i64| {
            let mut href = format!("{base}?tab=tags&sort={sort}&page={page}");
            if !filter.is_empty() {
                href.push_str("&q=");
                href.push_str(&crate::url::query_value(&filter));
            }
            href
        }
    };
    let (page, pages) = (tags.page, tags.pages);
    view! {
        {move || deleted().map(|t| view! { <Notice text=format!("Tag {t} deleted.")/> })}
        <form method="get" action=base.clone() class="tag-filter">
            <input type="hidden" name="tab" value="tags"/>
            <div class="tag-filter-field">
                <label for="tag-filter">"Filter tags"</label>
                <input id="tag-filter" type="search" name="q" value=tags.filter.clone() placeholder="Tag name"/>
            </div>
            <div class="tag-filter-field">
                <label for="tag-sort">"Sort by"</label>
                <select id="tag-sort" name="sort">
                    <option value="newest" selected=tags.sort == "newest">"Newest"</option>
                    <option value="name" selected=tags.sort == "name">"Name"</option>
                </select>
            </div>
            <button type="submit" class="button">"Apply"</button>
        </form>
        {if tags.tags.is_empty() {
            view! {
                <div class="empty-state">
                    <p class="empty-title">{if tags.filter.is_empty() { "No tags yet" } else { "No tags match" }}</p>
                </div>
            }
            .into_any()
        } else {
            view! {
                <ul class="tag-list">
                    {tags.tags.into_iter().map(|t| {
                        let tag_href = format!("/r/{}/tags/{}", full_name, t.name);
                        let delete_href = format!("{tag_href}?delete=1");
                        view! {
                            <li class="tag-card">
                                <div class="tag-card-head">
                                    <a class="tag-name" href=tag_href>{t.name.clone()}</a>
                                    <span class="muted tag-pushed">
                                        "Last pushed " <span title=t.pushed_exact.clone()>{t.pushed_ago.clone()}</span>
                                        {(!t.pushed_by.is_empty()).then(|| view! { " by " <a href=format!("/u/{}", t.pushed_by)>{t.pushed_by.clone()}</a> })}
                                    </span>
                                    {t.immutable.then(|| view! {
                                        <span class="badge badge-immutable" title="This tag is immutable: it cannot be moved or deleted (Settings → Tag rules)">"🔒 immutable"</span>
                                    })}
                                    {(can_manage && !t.immutable).then(|| view! {
                                        <a class="button button-small button-danger-quiet" href=delete_href aria-label=format!("Delete tag {}", t.name)>"Delete"</a>
                                    })}
                                </div>
                                <Copyable text=t.pull_command.clone() label=format!("Copy the pull command of {}", t.name)/>
                                <table class="tags-table">
                                    <thead>
                                        <tr>
                                            <th scope="col">"Digest"</th>
                                            <th scope="col">"OS/Arch"</th>
                                            <th scope="col">"Compressed size"</th>
                                            <th scope="col">"Pulls"</th>
                                            <th scope="col">"Last pulled"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        <tr>
                                            <td data-label="Digest"><Copyable text=t.digest.clone() shown=t.short_digest.clone() label=format!("Copy the digest of {}", t.name)/></td>
                                            <td data-label="OS/Arch">{if t.platforms.is_empty() { "—".to_string() } else { t.platforms.clone() }}</td>
                                            <td data-label="Compressed size">{t.size.clone()}</td>
                                            <td data-label="Pulls" class="tag-pulls">{crate::components::count(t.pulls, "pull", "pulls")}</td>
                                            <td data-label="Last pulled" class="tag-last-pulled">{match (t.last_pulled.clone(), t.last_pulled_exact.clone()) {
                                                (Some(ago), Some(exact)) => view! { <span title=exact>{ago}</span> }.into_any(),
                                                _ => view! { "Never" }.into_any(),
                                            }}</td>
                                        </tr>
                                    </tbody>
                                </table>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }
            .into_any()
        }}
        <Pager page pages label="Tag pages" link=page_link/>
    }
}

/// The short description and the Markdown overview, with a preview; on the Overview tab (edited
/// in place) and on the Settings tab. Saving returns to the tab it came from.
#[component]
fn DescriptionsEditor(view: RepoView, on_tab: &'static str) -> impl IntoView {
    let full_name = view.summary.full_name.clone();
    let cancel_href = format!("/r/{full_name}");
    let save = ServerAction::<SaveDescriptions>::new();
    let save_err = action_error(save);
    let source = field_value(save_err, "overview")
        .get_untracked()
        .unwrap_or_else(|| view.overview_source.clone().unwrap_or_default());
    let overview_error = field_error(save_err, "overview").get_untracked();
    let description = view.summary.description.clone();
    view! {
        <section class="panel">
            <h2>"Descriptions"</h2>
            <SavedNotice key="descriptions" text="Descriptions saved."/>
            <ActionForm action=save attr:class="form" attr:novalidate=true>
                <FormError error=save_err/>
                <input type="hidden" name="full_name" value=full_name/>
                <input type="hidden" name="tab" value=on_tab/>
                <Field
                    label="Short description"
                    name="description"
                    hint="At most 100 characters."
                    error=field_error(save_err, "description")
                    value=Signal::derive(move || field_value(save_err, "description").get().or_else(|| Some(description.clone())))
                />
                <OverviewField source error=overview_error/>
                <div class="form-actions">
                    <button type="submit" class="button button-primary">"Save"</button>
                    {(on_tab == "overview").then(|| view! { <a class="button" href=cancel_href.clone()>"Cancel"</a> })}
                </div>
            </ActionForm>
        </section>
    }
}

/// The overview's Markdown with a Preview button (which needs JavaScript: without it, saving
/// shows the result).
#[island]
fn OverviewField(source: String, error: Option<String>) -> impl IntoView {
    let overview = RwSignal::new(source);
    let preview = Action::new(|text: &String| preview_overview(text.clone()));
    let preview_html = move || preview.value().get().and_then(|r| r.ok());
    let invalid = error.is_some();
    view! {
        <div class="field" class:invalid=invalid>
            <label for="field-overview">"Overview (Markdown)"</label>
            <TextArea id="field-overview" name="overview" rows=14 value=overview/>
            <p class="hint">"Tables, code blocks, links and images work; scripts and styles are removed. At most 25,000 characters."</p>
            {error.map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
            <div class="form-actions js-only">
                <button type="button" class="button" on:click=move |_| { preview.dispatch(overview.get()); }>"Preview"</button>
            </div>
            // inner_html: sanitised on the server like the overview itself.
            {move || preview_html().map(|html| view! {
                <div class="preview">
                    <h3>"Preview"</h3>
                    <article class="markdown" inner_html=html></article>
                </div>
            })}
        </div>
    }
}

#[component]
fn SettingsTab(view: RepoView) -> impl IntoView {
    // Copy, so every form of the tab can name the repository without its own clone.
    let full_name = StoredValue::new(view.summary.full_name.clone());
    // One part of the settings at a time, as Docker Hub shows them (`section=`).
    let query = use_query_map();
    let section = query.with_untracked(|q| {
        q.get("section").unwrap_or_else(|| {
            if q.get("preview").is_some() {
                "rules".into()
            } else {
                "general".into()
            }
        })
    });
    let access_label = if view.teams.is_some() {
        "Teams"
    } else {
        "Collaborators"
    };
    let sections = [
        ("general", "General"),
        ("access", access_label),
        ("webhooks", "Webhooks"),
        ("rules", "Tag rules"),
        ("danger", "Danger zone"),
    ];
    let nav = sections
        .iter()
        .map(|(key, label)| {
            let href = format!("/r/{}?tab=settings&section={key}", full_name.get_value());
            let active = section == *key;
            view! { <a class="chip" class:active=active aria-current=active.then_some("page") href=href>{*label}</a> }
        })
        .collect_view();
    let on = move |key: &str| section == key;
    let visibility = ServerAction::<SetVisibility>::new();
    let visibility_err = action_error(visibility);
    let add = ServerAction::<AddCollaborator>::new();
    let add_err = action_error(add);
    let remove = ServerAction::<RemoveCollaborator>::new();
    let remove_err = action_error(remove);
    let delete = ServerAction::<DeleteRepository>::new();
    let delete_err = action_error(delete);
    let grant = ServerAction::<SetTeamPermission>::new();
    let grant_err = action_error(grant);
    let transfer = ServerAction::<TransferRepository>::new();
    let transfer_err = action_error(transfer);
    let is_private = view.summary.is_private;
    // After a refusal, the choice that was refused stays selected.
    let chosen_private = move || {
        field_value(visibility_err, "visibility")
            .get()
            .map_or(is_private, |v| v == "private")
    };
    let name = view.summary.name.clone();
    let collaborators_view = if view.collaborators.is_empty() {
        view! { <p>"No collaborators."</p> }.into_any()
    } else {
        let items = view
            .collaborators
            .clone()
            .into_iter()
            .map(|c| {
                let who = StoredValue::new(c.clone());
                view! {
                    <li>
                        <a href=format!("/u/{c}")>{c.clone()}</a>
                        <Confirm key=format!("remove-collaborator-{c}") label="Remove" aria=format!("Remove {c}")
                            question=format!("Remove {c} from {}? They can no longer push, nor see it if it is private.", full_name.get_value())>
                            <ActionForm action=remove>
                                <input type="hidden" name="full_name" value=full_name.get_value()/>
                                <input type="hidden" name="username" value=who.get_value()/>
                                <button type="submit" class="button button-small button-danger">{format!("Remove {}", who.get_value())}</button>
                            </ActionForm>
                        </Confirm>
                    </li>
                }
            })
            .collect_view();
        view! { <ul class="collaborators">{items}</ul> }.into_any()
    };
    view! {
        <nav class="chips settings-nav" aria-label="Settings">{nav}</nav>
        <div class="settings">
            {on("general").then(|| view! { <DescriptionsEditor view=view.clone() on_tab="settings"/> })}

            {on("general").then(|| view! {
            <section class="panel">
                <h2>"Visibility"</h2>
                <SavedNotice key="visibility" text="Visibility changed."/>
                {view.private_usage.clone().map(|u| view! { <p class="muted">{u}</p> })}
                <ActionForm action=visibility attr:class="form">
                    <FormError error=visibility_err/>
                    <input type="hidden" name="full_name" value=full_name.get_value()/>
                    <label class="choice">
                        <input type="radio" name="visibility" value="public" checked=move || !chosen_private()/>
                        <span><strong>"Public"</strong> " — anyone can see and pull it."</span>
                    </label>
                    <label class="choice">
                        <input type="radio" name="visibility" value="private" checked=chosen_private/>
                        <span><strong>"Private"</strong> " — only those given access (collaborators; in an organization, its editors, owners and teams) and administrators."</span>
                    </label>
                    <Field
                        label="Type the repository name to confirm"
                        name="confirm_name"
                        hint="Changing visibility needs the repository's name."
                        error=field_error(visibility_err, "confirm")
                    />
                    <button type="submit" class="button">"Change visibility"</button>
                </ActionForm>
            </section>
            })}

            {view.teams.clone().filter(|_| on("access")).map(|teams| {
                let granted = teams.granted.clone().into_iter().map(|(team, _, label)| view! {
                    <li>
                        <span class="member-name">{team.clone()}</span>
                        <span class="badge">{label}</span>
                        <ActionForm action=grant>
                            <input type="hidden" name="full_name" value=full_name.get_value()/>
                            <input type="hidden" name="team" value=team.clone()/>
                            <input type="hidden" name="permission" value="none"/>
                            <button type="submit" class="button button-small" aria-label=format!("Take {team}'s permission away")>"Remove"</button>
                        </ActionForm>
                    </li>
                }).collect_view();
                let none_granted = teams.granted.is_empty();
                let has_teams = !teams.all.is_empty();
                view! {
                    <section class="panel">
                        <h2>"Teams"</h2>
                        <SavedNotice key="teams" text="Team permissions saved."/>
                        <p class="muted">"Read-only pulls; Read & Write also pushes; Admin also changes settings and deletes. Members of the organization get what all their teams have."</p>
                        {if none_granted {
                            view! { <p>"No team has a permission on this repository."</p> }.into_any()
                        } else {
                            view! { <ul class="collaborators">{granted}</ul> }.into_any()
                        }}
                        {if has_teams {
                            view! {
                                <ActionForm action=grant attr:class="form form-inline" attr:novalidate=true>
                                    <FormError error=grant_err/>
                                    <input type="hidden" name="full_name" value=full_name.get_value()/>
                                    <div class="field">
                                        <label for="grant-team">"Team"</label>
                                        <select id="grant-team" name="team">
                                            {teams.all.clone().into_iter().map(|t| view! { <option value=t.clone()>{t.clone()}</option> }).collect_view()}
                                        </select>
                                    </div>
                                    <div class="field">
                                        <label for="grant-permission">"Permission"</label>
                                        <select id="grant-permission" name="permission">
                                            <option value="read">"Read-only"</option>
                                            <option value="write">"Read & Write"</option>
                                            <option value="admin">"Admin"</option>
                                        </select>
                                    </div>
                                    <button type="submit" class="button">"Grant"</button>
                                </ActionForm>
                            }
                            .into_any()
                        } else {
                            view! { <p class="muted">"The organization has no teams yet: its owners create them on its Teams tab."</p> }.into_any()
                        }}
                    </section>
                }
            })}

            {(view.teams.is_none() && on("access")).then(|| view! {
            <section class="panel">
                <h2>"Collaborators"</h2>
                <SavedNotice key="collaborators" text="Collaborators saved."/>
                <p class="muted">"Collaborators can push and pull, but cannot change settings, delete, or add others."</p>
                <FormError error=remove_err/>
                {collaborators_view}
                <ActionForm action=add attr:class="form form-inline" attr:novalidate=true>
                    <FormError error=add_err/>
                    <input type="hidden" name="full_name" value=full_name.get_value()/>
                    <Field label="Berth ID" name="username" required=true error=field_error(add_err, "username") value=field_value(add_err, "username")/>
                    <button type="submit" class="button">"Add collaborator"</button>
                </ActionForm>
            </section>
            })}

            {(!view.transfer_targets.is_empty() && on("danger")).then(|| view! {
                <section class="panel">
                    <h2>"Transfer"</h2>
                    <SavedNotice key="transfer" text="Repository transferred. Its old name redirects here and still serves pulls until someone creates a repository with it."/>
                    <p class="muted">"Move this repository, with its tags, stars and pulls, to another namespace you manage. Collaborators and team permissions stay behind. Type " <code>{name.clone()}</code> " to confirm."</p>
                    <ActionForm action=transfer attr:class="form" attr:novalidate=true>
                        <FormError error=transfer_err/>
                        <input type="hidden" name="full_name" value=full_name.get_value()/>
                        <div class="field" class:invalid=move || field_error(transfer_err, "namespace").with(Option::is_some)>
                            <label for="transfer-namespace">"New namespace"</label>
                            <select id="transfer-namespace" name="namespace">
                                {view.transfer_targets.clone().into_iter().map(|n| view! { <option value=n.clone()>{n.clone()}</option> }).collect_view()}
                            </select>
                            {move || field_error(transfer_err, "namespace").get().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                        </div>
                        <Field label="Repository name" name="confirm" form="transfer" required=true error=field_error(transfer_err, "confirm")/>
                        <button type="submit" class="button">"Transfer repository"</button>
                    </ActionForm>
                </section>
            })}

            {view.storage.clone().filter(|_| on("rules")).map(|storage| view! { <TagRulesSection full_name=full_name.get_value() storage/> })}

            {on("webhooks").then(|| view! { <WebhooksSection full_name=full_name.get_value() hooks=view.webhooks.clone()/> })}

            {on("danger").then(|| view! {
            <section class="panel danger-zone">
                <h2>"Delete repository"</h2>
                <p>"Deleting " <strong>{full_name.get_value()}</strong> " removes its tags and images for good. Type " <code>{name.clone()}</code> " to confirm."</p>
                <ActionForm action=delete attr:class="form" attr:novalidate=true>
                    <FormError error=delete_err/>
                    <input type="hidden" name="full_name" value=full_name.get_value()/>
                    <Field label="Repository name" name="confirm" form="delete" required=true error=field_error(delete_err, "confirm")/>
                    <button type="submit" class="button button-danger">"Delete repository"</button>
                </ActionForm>
            </section>
            })}
        </div>
    }
}
