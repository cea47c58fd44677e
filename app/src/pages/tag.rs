//! `/r/NAMESPACE/NAME/tags/TAG`: what a tag holds, platform by platform.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::{api::get_tag, components::Copyable, model::TagView, pages::load_failed};

#[component]
pub fn TagPage() -> impl IntoView {
    let params = use_params_map();
    let key = move || {
        let p = params.get();
        (
            p.get("namespace").unwrap_or_default(),
            p.get("name").unwrap_or_default(),
            p.get("tag").unwrap_or_default(),
        )
    };
    let tag = Resource::new(key, |(namespace, name, tag)| get_tag(namespace, name, tag));
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
    let repo_href = format!("/r/{}?tab=tags", view.full_name);
    view! {
        <Title text=format!("{}:{}", view.full_name, view.tag)/>
        <section class="repo-page">
            <header class="repo-header">
                <p><a href=repo_href>{view.full_name.clone()}</a></p>
                <h1>{format!("{}:{}", view.full_name, view.tag)}</h1>
                <p class="repo-meta muted">
                    "Last pushed " <span title=view.pushed_exact.clone()>{view.pushed_ago.clone()}</span>
                    {(!view.pushed_by.is_empty()).then(|| view! { " by " {view.pushed_by.clone()} })}
                </p>
                <div class="command">
                    <span class="command-label">"Pull this tag"</span>
                    <Copyable text=view.pull_command.clone() label="Copy the pull command"/>
                </div>
                <dl class="digests">
                    {view.index_digest.clone().map(|d| view! { <dt>"Index digest"</dt> <dd><Copyable text=d label="Copy the index digest"/></dd> })}
                    <dt>"Media type"</dt>
                    <dd><code>{view.media_type.clone()}</code></dd>
                </dl>
            </header>
            {view.images.into_iter().map(|image| view! {
                <section class="panel image">
                    <h2>{if image.platform.is_empty() { "Image".to_string() } else { image.platform.clone() }}</h2>
                    <p>"Digest " <Copyable text=image.digest.clone() label="Copy the image digest"/> " · compressed size " {image.size.clone()}</p>
                    <h3>"Layers"</h3>
                    <ol class="layers">
                        {image.layers.into_iter().map(|(digest, short, size)| view! {
                            <li><code title=digest>{short}</code> " " {size}</li>
                        }).collect_view()}
                    </ol>
                    {(!image.history.is_empty()).then(|| view! {
                        <h3>"Image history"</h3>
                        <ol class="history">
                            {image.history.into_iter().map(|(command, layer)| view! {
                                <li class:empty-layer=!layer><code>{command}</code></li>
                            }).collect_view()}
                        </ol>
                    })}
                </section>
            }).collect_view()}
        </section>
    }
}
