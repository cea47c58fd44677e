//! `/admin/plans`: every account's private-repository limit; `/admin/storage`: what every
//! namespace stores and its storage limit. For administrators; to anyone else they do not exist.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_query_map};

use crate::{
    api::{get_plans, get_storage_overview, SetPlan, SetStorageLimit},
    components::{action_error, field_error, field_value, FormError, Notice, Pager},
    error::AppError,
    model::{PlanList, StorageOverview},
    pages::load_failed,
    url::query_value,
};

#[component]
pub fn PlansPage() -> impl IntoView {
    let query = use_query_map();
    let search = use_location().search;
    let plans = Resource::new(
        move || {
            let q = query.get();
            (
                q.get("q"),
                q.get("page").and_then(|p| p.parse::<i64>().ok()),
                search.get(),
            )
        },
        |(filter, page, _)| get_plans(filter, page),
    );
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match plans.await {
                    Ok(list) => view! { <Plans list/> }.into_any(),
                    // Logged out, the page does not exist either.
                    Err(AppError::LoginRequired) => load_failed(AppError::NotFound),
                    Err(e) => load_failed(e),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Plans(list: PlanList) -> impl IntoView {
    let query = use_query_map();
    let saved = move || query.with(|q| q.get("saved"));
    let set = ServerAction::<SetPlan>::new();
    let err = action_error(set);
    // Each row is a form with the same field names: a refusal shows on the row it came from.
    let failed_for = field_value(err, "username");
    let filter = StoredValue::new(list.filter.clone());
    let rows = list
        .accounts
        .into_iter()
        .map(|a| {
            let name = StoredValue::new(a.username.clone());
            let mine = move || failed_for.get().as_deref() == Some(name.get_value().as_str());
            let row_error = move || mine().then(|| field_error(err, "private_repos").get()).flatten();
            let typed = move || mine().then(|| field_value(err, "private_repos").get()).flatten();
            let limit = a.private_limit.to_string();
            let over = a.private_used > a.private_limit;
            view! {
                <tr class:invalid=move || row_error().is_some()>
                    <th scope="row"><a href=format!("/u/{}", a.username)>{a.username.clone()}</a></th>
                    <td data-label="Email">{a.email.clone()}</td>
                    <td data-label="Status">
                        {if a.confirmed { "Confirmed" } else { "Unconfirmed" }}
                        {a.is_admin.then(|| view! { " " <span class="badge">"Admin"</span> })}
                    </td>
                    <td data-label="Joined">{a.joined.clone()}</td>
                    <td data-label="Private used" class:over-limit=over>{a.private_used}</td>
                    <td data-label="Private allowed">
                        <ActionForm action=set attr:class="form-row" attr:novalidate=true>
                            <input type="hidden" name="username" value=a.username.clone()/>
                            <input type="hidden" name="filter" value=filter.get_value()/>
                            <label class="visually-hidden" for=format!("limit-{}", a.username)>
                                {format!("Private repositories of {}", a.username)}
                            </label>
                            <input
                                id=format!("limit-{}", a.username)
                                class="limit-input"
                                name="private_repos"
                                inputmode="numeric"
                                value=move || typed().unwrap_or_else(|| limit.clone())
                                aria-invalid=move || if row_error().is_some() { "true" } else { "false" }
                            />
                            <button type="submit" class="button button-small" aria-label=format!("Save plan of {}", a.username)>"Save"</button>
                            {move || row_error().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                        </ActionForm>
                    </td>
                </tr>
            }
        })
        .collect_view();
    let (page, pages) = (list.page, list.pages);
    let page_link = move |p: i64| {
        let f = filter.get_value();
        if f.is_empty() {
            format!("/admin/plans?page={p}")
        } else {
            format!("/admin/plans?q={}&page={p}", query_value(&f))
        }
    };
    view! {
        <Title text="Plans"/>
        <section class="admin-page">
            <h1>"Plans"</h1>
            <p class="muted">
                "How many private repositories each account may have; the free plan allows 1. Lowering a limit keeps existing private repositories and stops new ones."
            </p>
            {move || saved().map(|n| view! { <Notice text=format!("Saved the plan of {n}.")/> })}
            <FormError error=err/>
            <form method="get" action="/admin/plans" class="form-inline filter" role="search">
                <label for="plans-filter">"Find account"</label>
                <input id="plans-filter" name="q" value=filter.get_value() placeholder="Berth ID or email"/>
                <button type="submit" class="button">"Find"</button>
            </form>
            <p class="muted">{format!("{} {}", list.total, if list.total == 1 { "account" } else { "accounts" })}</p>
            <table class="data-table plans stack-table">
                <thead>
                    <tr>
                        <th scope="col">"Berth ID"</th>
                        <th scope="col">"Email"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Joined"</th>
                        <th scope="col">"Private used"</th>
                        <th scope="col">"Private allowed"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            <Pager page pages label="Account pages" link=page_link/>
        </section>
    }
}

/// `/admin/storage`: what each namespace stores, largest first, with its storage limit.
#[component]
pub fn StoragePage() -> impl IntoView {
    let search = use_location().search;
    let query = use_query_map();
    let data = Resource::new(
        move || (query.with(|q| q.get("sort")), search.get()),
        |(sort, _)| get_storage_overview(sort),
    );
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(o) => view! { <Storage o/> }.into_any(),
                    Err(AppError::LoginRequired) => load_failed(AppError::NotFound),
                    Err(e) => load_failed(e),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Storage(o: StorageOverview) -> impl IntoView {
    let query = use_query_map();
    let saved = move || query.with(|q| q.get("saved").is_some());
    let set = ServerAction::<SetStorageLimit>::new();
    let err = action_error(set);
    let failed_for = field_value(err, "namespace");
    let rows = o
        .rows
        .into_iter()
        .map(|r| {
            let name = StoredValue::new(r.namespace.clone());
            let mine = move || failed_for.get().as_deref() == Some(name.get_value().as_str());
            let row_error = move || mine().then(|| field_error(err, "limit_gb").get()).flatten();
            let typed = move || mine().then(|| field_value(err, "limit_gb").get()).flatten();
            let limit_gb = r.limit_gb.clone();
            view! {
                <tr class:invalid=move || row_error().is_some()>
                    <th scope="row"><a href=format!("/u/{}", r.namespace)>{r.namespace.clone()}</a></th>
                    <td data-label="Stored" class:over-limit=r.over>{r.stored.clone()}</td>
                    <td data-label="Limit">{r.limit.clone()}</td>
                    <td data-label="Set limit (GB)">
                        <ActionForm action=set attr:class="form-row" attr:novalidate=true>
                            <input type="hidden" name="namespace" value=r.namespace.clone()/>
                            <label class="visually-hidden" for=format!("storage-{}", r.namespace)>
                                {format!("Storage limit of {} in GB", r.namespace)}
                            </label>
                            <input
                                id=format!("storage-{}", r.namespace)
                                class="limit-input"
                                name="limit_gb"
                                inputmode="decimal"
                                placeholder="none"
                                value=move || typed().unwrap_or_else(|| limit_gb.clone())
                                aria-invalid=move || if row_error().is_some() { "true" } else { "false" }
                            />
                            <button type="submit" class="button button-small" aria-label=format!("Save storage limit of {}", r.namespace)>"Save"</button>
                            {move || row_error().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                        </ActionForm>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <Title text="Storage"/>
        <section class="admin-page">
            <h1>"Storage"</h1>
            <p class="muted">
                "What each namespace stores (distinct layers: one shared by several of its repositories counts once), largest first. A limit in GB refuses pushes that would exceed it; pulls never are. Empty: no limit."
            </p>
            <p>"The hub stores " {o.total.clone()}</p>
            {move || saved().then(|| view! { <Notice text="Storage limit saved."/> })}
            <FormError error=err/>
            <table class="data-table stack-table">
                <thead>
                    <tr>
                        <th scope="col" aria-sort=if o.by_name { "ascending" } else { "none" }>
                            <a href="/admin/storage?sort=name">"Namespace"</a>
                        </th>
                        <th scope="col" aria-sort=if o.by_name { "none" } else { "descending" }>
                            <a href="/admin/storage">"Stored"</a>
                        </th>
                        <th scope="col">"Limit"</th>
                        <th scope="col">"Set limit (GB)"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}
