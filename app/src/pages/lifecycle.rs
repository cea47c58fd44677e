//! Tag rules on a repository's Settings tab: immutable tags, retention rules with a preview of
//! what they would delete and a "Run now", the retention log, and the namespace's storage. Plain
//! forms and links, so all of it works without JavaScript.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    api::{retention_preview, RunRetention, SaveTagRules},
    components::{action_error, field_error, field_value, Field, FormError, SavedNotice},
    model::StorageView,
};

/// The Settings tab's "Tag rules and storage" section.
#[component]
pub fn TagRulesSection(full_name: String, storage: StorageView) -> impl IntoView {
    let save = ServerAction::<SaveTagRules>::new();
    let save_err = action_error(save);
    let run = ServerAction::<RunRetention>::new();
    let run_err = action_error(run);
    let query = use_query_map();
    let previewing = move || query.with(|q| q.get("preview").is_some());
    let preview = {
        let full_name = full_name.clone();
        Resource::new(previewing, move |on| {
            let full_name = full_name.clone();
            async move {
                if on {
                    retention_preview(full_name).await.map(Some)
                } else {
                    Ok(None)
                }
            }
        })
    };
    // After a refusal the submitted values stay; otherwise the saved ones show.
    let kept = move |name: &'static str, saved: String| {
        Signal::derive(move || {
            Some(
                field_value(save_err, name)
                    .get()
                    .unwrap_or_else(|| saved.clone()),
            )
        })
    };
    let mode = storage.immutable_mode.clone();
    let chosen = move |m: &'static str| {
        let mode = mode.clone();
        move || {
            field_value(save_err, "immutable_mode")
                .get()
                .unwrap_or_else(|| mode.clone())
                == m
        }
    };
    let number = |n: i64| if n == 0 { String::new() } else { n.to_string() };
    let preview_href = format!("/r/{full_name}?tab=settings&section=rules&preview=1#tag-rules");
    let log = storage.log.clone();
    let full_name_for_run = full_name.clone();
    view! {
        <section class="panel" id="tag-rules">
            <h2>"Tag rules and storage"</h2>
            <SavedNotice key="tag-rules" text="Tag rules saved."/>
            <SavedNotice key="retention" text="Retention rules ran: what they deleted is in the log below."/>
            <p class="muted storage-usage">{storage.namespace_usage.clone()}</p>
            <ActionForm action=save attr:class="form" attr:novalidate=true>
                <FormError error=save_err/>
                <input type="hidden" name="full_name" value=full_name.clone()/>
                <fieldset class="choices">
                    <legend>"Immutable tags"</legend>
                    <p class="hint">"An immutable tag cannot be pushed over with another image, nor deleted."</p>
                    <label class="choice">
                        <input type="radio" name="immutable_mode" value="none" checked=chosen("none")/>
                        <span>"All tags mutable"</span>
                    </label>
                    <label class="choice">
                        <input type="radio" name="immutable_mode" value="all" checked=chosen("all")/>
                        <span>"All tags immutable"</span>
                    </label>
                    <label class="choice">
                        <input type="radio" name="immutable_mode" value="pattern" checked=chosen("pattern")/>
                        <span>"Tags matching a regular expression"</span>
                    </label>
                    <Field label="Immutable tags match" name="immutable_pattern" hint="The whole tag must match, for example v[0-9]+\\.[0-9]+\\.[0-9]+" error=field_error(save_err, "immutable_pattern") value=kept("immutable_pattern", storage.immutable_pattern.clone())/>
                </fieldset>
                <fieldset class="choices">
                    <legend>"Retention rules"</legend>
                    <p class="hint">"Empty or 0 switches a rule off. Rules run every day; immutable tags are never deleted. Deleted images free their storage at the next garbage collection."</p>
                    <Field label="Delete untagged images older than (days)" name="untagged_days" kind="number" error=field_error(save_err, "untagged_days") value=kept("untagged_days", number(storage.untagged_days))/>
                    <div class="field-row">
                        <Field label="Keep only the newest (tags)" name="keep_last" kind="number" error=field_error(save_err, "keep_last") value=kept("keep_last", number(storage.keep_last))/>
                        <Field label="…of the tags matching" name="keep_pattern" hint="Empty: every tag." error=field_error(save_err, "keep_pattern") value=kept("keep_pattern", storage.keep_pattern.clone())/>
                    </div>
                    <Field label="Delete tags not pulled for (days)" name="unpulled_days" kind="number" error=field_error(save_err, "unpulled_days") value=kept("unpulled_days", number(storage.unpulled_days))/>
                </fieldset>
                <div class="form-actions">
                    <button type="submit" class="button">"Save tag rules"</button>
                    <a class="button button-secondary" href=preview_href>"Preview retention"</a>
                </div>
            </ActionForm>
            <Suspense fallback=|| ()>
                {move || {
                    let full_name = full_name_for_run.clone();
                    Suspend::new(async move {
                    match preview.await {
                        Ok(Some(plan)) => {
                            let empty = plan.items.is_empty();
                            view! {
                                <div class="retention-preview" role="region" aria-label="Retention preview">
                                    <h3>"Preview: what the rules delete now"</h3>
                                    {if empty {
                                        view! { <p>"Nothing: every tag and image is kept."</p> }.into_any()
                                    } else {
                                        view! {
                                            <p>{format!("{} to delete, freeing {} (the space returns at the next garbage collection, after its grace period).", plan.items.len(), plan.freed)}</p>
                                            <ul class="retention-items">
                                                {plan.items.into_iter().map(|(what, rule)| view! {
                                                    <li><code class="wrap">{what}</code> <span class="muted">{rule}</span></li>
                                                }).collect_view()}
                                            </ul>
                                        }.into_any()
                                    }}
                                    <ActionForm action=run attr:class="form form-inline">
                                        <FormError error=run_err/>
                                        <input type="hidden" name="full_name" value=full_name.clone()/>
                                        <button type="submit" class="button button-danger" disabled=empty>"Run retention rules now"</button>
                                    </ActionForm>
                                </div>
                            }.into_any()
                        }
                        Ok(None) => ().into_any(),
                        Err(e) => view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }.into_any(),
                    }
                    })
                }}
            </Suspense>
            <h3>"Retention log"</h3>
            {if log.is_empty() {
                view! { <p class="muted">"Retention rules have deleted nothing yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="retention-log">
                        {log.into_iter().map(|l| view! {
                            <li>
                                <code class="wrap">{l.what}</code>
                                // A tag's entry frees nothing by itself: its image's entry counts the bytes.
                                <span class="muted">{if l.freed == "0 B" {
                                    format!(" {} · {}", l.when, l.rule)
                                } else {
                                    format!(" {} · {} · frees {}", l.when, l.rule, l.freed)
                                }}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}
