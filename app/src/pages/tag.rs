//! `/r/NAMESPACE/NAME/tags/TAG`: one tag as an image view: the platform switcher of a
//! multi-platform image, and per platform its configuration, the build steps beside the size of
//! each layer they made, and the layers. Owners delete the tag from here, after confirming.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    api::{get_tag, DeleteTag},
    components::{action_error, Copyable, FormError, OfficialBadge, VisibilityBadge},
    model::{ImageView, TagView},
    pages::load_failed,
};

#[component]
pub fn TagPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let key = move || {
        let p = params.get();
        (
            p.get("namespace").unwrap_or_default(),
            p.get("name").unwrap_or_default(),
            p.get("tag").unwrap_or_default(),
            query.with(|q| q.get("platform")),
        )
    };
    let tag = Resource::new(key, |(namespace, name, tag, platform)| {
        get_tag(namespace, name, tag, platform)
    });
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match tag.await {
                    Ok(view) => view! { <Tag view/> }.into_any(),
                    Err(e) => load_failed(e),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Tag(view: TagView) -> impl IntoView {
    let query = use_query_map();
    let confirming = view.can_manage && query.with_untracked(|q| q.get("delete").is_some());
    let repo_href = format!("/r/{}", view.full_name);
    let tags_href = format!("/r/{}?tab=tags", view.full_name);
    let tag_href = format!("/r/{}/tags/{}", view.full_name, view.tag);
    view! {
        <Title text=format!("{}:{}", view.full_name, view.tag)/>
        <section class="repo-page">
            <header class="repo-header">
                <nav class="breadcrumbs" aria-label="Breadcrumbs">
                    <a href=crate::url::namespace_page(&view.namespace)>{view.namespace.clone()}</a>
                    " / " <a href=repo_href>{view.name.clone()}</a>
                    " / " <a href=tags_href.clone()>"Tags"</a>
                </nav>
                <div class="repo-title">
                    <h1>{format!("{}:{}", view.full_name, view.tag)}</h1>
                    {(view.namespace == "library").then(|| view! { <OfficialBadge/> })}
                    <VisibilityBadge private=view.is_private/>
                </div>
                <p class="repo-meta muted">
                    "Last pushed " <span title=view.pushed_exact.clone()>{view.pushed_ago.clone()}</span>
                    {(!view.pushed_by.is_empty()).then(|| view! { " by " <a href=format!("/u/{}", view.pushed_by)>{view.pushed_by.clone()}</a> })}
                </p>
                <div class="command">
                    <span class="command-label">"Pull this tag"</span>
                    <Copyable text=view.pull_command.clone() label="Copy the pull command"/>
                </div>
                <dl class="facts">
                    {view.index_digest.clone().map(|d| view! {
                        <dt>"Index digest"</dt>
                        <dd><Copyable text=d label="Copy the index digest"/></dd>
                    })}
                    <dt>"Media type"</dt>
                    <dd><code>{view.media_type.clone()}</code></dd>
                    {view.source_commit.clone().map(|c| {
                        let build = view.source_build.clone();
                        view! {
                            <dt>"Built from commit"</dt>
                            <dd>
                                <code class="wrap source-commit">{c}</code>
                                {build.map(|href| view! { " " <a href=href class="source-build">"the build"</a> })}
                            </dd>
                        }
                    })}
                </dl>
                {view.immutable.then(|| view! {
                    <p class="tag-actions"><span class="badge badge-immutable">"🔒 immutable"</span> <span class="muted">"This tag cannot be moved or deleted (the repository's tag rules)."</span></p>
                })}
                {(view.can_manage && !confirming && !view.immutable).then(|| view! {
                    <p class="tag-actions">
                        <a class="button button-small button-danger-quiet" href=format!("{tag_href}?delete=1")>"Delete tag"</a>
                    </p>
                })}
            </header>
            {confirming.then(|| view! { <ConfirmDelete full_name=view.full_name.clone() tag=view.tag.clone() cancel=tag_href.clone()/> })}
            {(!view.platforms.is_empty()).then(|| view! {
                <nav class="platforms" aria-label="Platforms">
                    {view.platforms.iter().map(|p| view! {
                        <a href=p.href.clone() class="platform" class:active=p.current aria-current=p.current.then_some("page")>{p.label.clone()}</a>
                    }).collect_view()}
                </nav>
            })}
            {match view.image.clone() {
                Some(image) => view! { <Image image/> }.into_any(),
                None => view! { <p class="muted">"This tag holds no image Berth can show."</p> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn ConfirmDelete(full_name: String, tag: String, cancel: String) -> impl IntoView {
    let delete = ServerAction::<DeleteTag>::new();
    let err = action_error(delete);
    view! {
        <section class="panel danger-zone" aria-labelledby="confirm-delete">
            <h2 id="confirm-delete">{format!("Delete the tag {tag}?")}</h2>
            <p>
                <code>{format!("docker pull …/{full_name}:{tag}")}</code>
                " will stop working. Other tags that point to the same image keep it."
            </p>
            <ActionForm action=delete attr:class="form-actions">
                <FormError error=err/>
                <input type="hidden" name="full_name" value=full_name.clone()/>
                <input type="hidden" name="tag" value=tag.clone()/>
                <button type="submit" class="button button-danger">"Delete tag"</button>
                <a class="button" href=cancel>"Cancel"</a>
            </ActionForm>
        </section>
    }
}

#[component]
fn Image(image: ImageView) -> impl IntoView {
    let heading = if image.platform.is_empty() {
        "Image".to_string()
    } else {
        image.platform.clone()
    };
    let step_count = image.steps.len();
    view! {
        <section class="panel image-view">
            <h2>{heading}</h2>
            <dl class="facts">
                <dt>"Digest"</dt>
                <dd><Copyable text=image.digest.clone() label="Copy the image digest"/></dd>
                <dt>"Compressed size"</dt>
                <dd>{image.compressed.clone()}</dd>
                <dt>"Uncompressed size"</dt>
                <dd>{image.uncompressed.clone().unwrap_or_else(|| "being measured".to_string())}</dd>
                {image.facts.clone().into_iter().map(|(k, v)| {
                    // Dates read as text; commands, paths and ports as code.
                    let value = if k == "Created" { view! { {v} }.into_any() } else { view! { <code>{v}</code> }.into_any() };
                    view! { <dt>{k}</dt> <dd>{value}</dd> }
                }).collect_view()}
            </dl>
            {(!image.env.is_empty()).then(|| view! {
                <h3>"Environment"</h3>
                <ul class="plain-list">
                    {image.env.clone().into_iter().map(|e| view! { <li><code>{e}</code></li> }).collect_view()}
                </ul>
            })}
            {(!image.labels.is_empty()).then(|| view! {
                <h3>"Labels"</h3>
                <dl class="facts">
                    {image.labels.clone().into_iter().map(|(k, v)| view! { <dt><code>{k}</code></dt> <dd>{v}</dd> }).collect_view()}
                </dl>
            })}
            <h3>{format!("Build steps ({step_count})")}</h3>
            {if image.steps.is_empty() {
                let why = if image.has_config {
                    "This image has no build history: it was imported rather than built, so only its layers are known."
                } else {
                    "This is not a container image (no image configuration), so it has no build steps."
                };
                view! { <p class="muted">{why}</p> }.into_any()
            } else {
                view! {
                    <ol class="steps">
                        {image.steps.clone().into_iter().map(|s| view! {
                            <li class=(!s.adds_layer).then_some("metadata")>
                                <code class="step-instruction">{s.instruction}</code>
                                <span class="step-size">{s.size}</span>
                            </li>
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
            <details class="layers">
                <summary>{format!("Layers ({})", image.layers.len())}</summary>
                <ol>
                    {image.layers.clone().into_iter().map(|l| view! {
                        <li>
                            <code title=l.digest.clone()>{l.short_digest}</code>
                            " " {l.size}
                            {l.uncompressed.map(|u| view! { <span class="muted">{format!(" ({u} uncompressed)")}</span> })}
                        </li>
                    }).collect_view()}
                </ol>
            </details>
        </section>
    }
}
