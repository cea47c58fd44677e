//! The repository pages over HTTP, as a browser without JavaScript uses them (forms posted,
//! redirects followed by hand) and as the hydrated app's fetch calls do: create, the private
//! quota, the repository page's tabs, settings, collaborators, deletion, and private
//! repositories answering 404 to everyone else on every page that shows repositories.

use crate::common;

use common::{
    reg::{self, Reg},
    *,
};

const PW: &str = "repo pages password";

/// A confirmed account logged in with a fresh cookie jar.
async fn logged_in(s: &TestServer, name: &str) -> reqwest::Client {
    register(s.hub(), name, PW, true, false).await;
    web_session(s, name, PW).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_browse_and_manage_a_repository_with_plain_forms() {
    let s = TestServer::shared();
    let alice = unique("rpa");
    let c = logged_in(s, &alice).await;
    let host = s.base.trim_start_matches("http://");

    let (status, html) = get_html(s, &c, "/repositories/new").await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"name="name""#) && html.contains(r#"value="private""#));

    // Bad input comes back next to the fields, with what was typed.
    let (_, html) = submit(
        s,
        &c,
        "/api/repositories/create",
        "/repositories/new",
        &[
            ("namespace", &alice),
            ("name", "Bad Name"),
            ("description", &"d".repeat(101)),
            ("visibility", "public"),
        ],
    )
    .await;
    assert!(html.contains("Use lowercase letters and digits"), "{html}");
    assert!(
        html.contains("At most 100 characters (this has 101)."),
        "{html}"
    );
    assert!(html.contains(r#"value="Bad Name""#), "typed name kept");

    // Created: the page shows the name, description, pull and push commands.
    let (to, html) = submit(
        s,
        &c,
        "/api/repositories/create",
        "/repositories/new",
        &[
            ("namespace", &alice),
            ("name", "webapp"),
            ("description", "A small web app"),
            ("visibility", "public"),
        ],
    )
    .await;
    assert_eq!(to, format!("/r/{alice}/webapp?created=1"));
    assert!(html.contains("Repository created."), "{html}");
    assert!(html.contains("A small web app"));
    // Empty: no pull command (it could only fail), the push commands open instead.
    assert!(!html.contains("Pull this image"), "{html}");
    assert!(html.contains("This repository is empty: push an image"));
    assert!(html.contains(&format!("docker push {host}/{alice}/webapp:latest")));

    // The quota: one private repository, the second refused with the message.
    submit(
        s,
        &c,
        "/api/repositories/create",
        "/repositories/new",
        &[
            ("namespace", &alice),
            ("name", "secret"),
            ("description", ""),
            ("visibility", "private"),
        ],
    )
    .await;
    let (_, html) = submit(
        s,
        &c,
        "/api/repositories/create",
        "/repositories/new",
        &[
            ("namespace", &alice),
            ("name", "secret2"),
            ("description", ""),
            ("visibility", "private"),
        ],
    )
    .await;
    assert!(
        html.contains("Your plan allows 1 private repository and you have 1."),
        "{html}"
    );
    // The app's own client gets the same refusal as JSON with 422.
    let res = post_fetch(
        s,
        &c,
        "/api/repositories/create",
        &[
            ("namespace", &alice),
            ("name", "secret3"),
            ("description", ""),
            ("visibility", "private"),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Your plan allows 1 private repository"));

    // A pushed image appears in the tags tab with size and platform.
    let reg = Reg::new(&s.base, Some((&alice, PW)));
    let repo = format!("{alice}/webapp");
    reg.push_image(&repo, "v1.0", b"layer bytes of the web app")
        .await;
    let (_, html) = get_html(s, &c, &format!("/r/{repo}?tab=tags")).await;
    assert!(
        html.contains("v1.0") && html.contains("linux/amd64"),
        "{html}"
    );
    assert!(html.contains("26 B"), "compressed size: {html}");
    assert!(html.contains(&format!("docker pull {host}/{repo}:v1.0")));
    assert!(
        html.contains(&format!(" by <a href=\"/u/{alice}\">{alice}</a>")),
        "{html}"
    );
    // Without `latest`, the repository's pull command names the newest tag; with it, latest.
    let (_, html) = get_html(s, &c, &format!("/r/{repo}")).await;
    assert!(
        html.contains(&format!("docker pull {host}/{repo}:v1.0")),
        "{html}"
    );
    reg.push_image(&repo, "latest", b"layer bytes of the web app")
        .await;
    reg.push_image(&repo, "v1.1", b"another layer of the web app")
        .await;
    let (_, html) = get_html(s, &c, &format!("/r/{repo}")).await;
    assert!(
        html.contains(&format!("docker pull {host}/{repo}:latest")),
        "{html}"
    );
    assert!(html.contains("Tags (3)"));
    for tag in ["latest", "v1.1"] {
        let res = reg
            .req(
                reqwest::Method::DELETE,
                &format!("/v2/{repo}/manifests/{tag}"),
                &repo,
            )
            .await
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 202);
    }

    // The overview: Markdown rendered, every payload neutralised.
    let overview = "# Hello\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n<script>alert('x')</script>\n\n<img src=x onerror=alert(1)>\n\n[click](javascript:alert(1))\n\n<iframe src=\"https://evil.example\"></iframe>\n<p style=\"position:fixed\">overlay</p>";
    let (_, html) = submit(
        s,
        &c,
        "/api/repositories/descriptions",
        &format!("/r/{repo}?tab=settings"),
        &[
            ("full_name", &repo),
            ("description", "Still small"),
            ("overview", overview),
        ],
    )
    .await;
    assert!(html.contains("Descriptions saved."), "{html}");
    let (_, html) = get_html(s, &c, &format!("/r/{repo}")).await;
    let article = html
        .split("<article class=\"markdown\">")
        .nth(1)
        .and_then(|a| a.split("</article>").next())
        .unwrap_or_else(|| panic!("overview rendered: {html}"));
    assert!(
        article.contains("<h1>Hello</h1>") && article.contains("<td>1</td>"),
        "{article}"
    );
    for bad in [
        "<script",
        "onerror",
        "href=\"javascript:",
        "<iframe",
        "style=",
    ] {
        assert!(!article.contains(bad), "{bad} survived: {article}");
    }

    // Deleting a tag removes it from the page and the registry.
    let (_, html) = submit(
        s,
        &c,
        "/api/repositories/delete-tag",
        &format!("/r/{repo}?tab=tags"),
        &[("full_name", &repo), ("tag", "v1.0")],
    )
    .await;
    assert!(
        html.contains("Tag v1.0 deleted.") && html.contains("No tags yet"),
        "{html}"
    );
    let res = reg
        .req(
            reqwest::Method::GET,
            &format!("/v2/{repo}/manifests/v1.0"),
            &repo,
        )
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // Deleting the repository: the name must be typed.
    let (_, html) = submit(
        s,
        &c,
        "/api/repositories/delete",
        &format!("/r/{repo}?tab=settings&section=danger"),
        &[("full_name", &repo), ("confirm", "nope")],
    )
    .await;
    assert!(html.contains("Type webapp to confirm."), "{html}");
    let (to, html) = submit(
        s,
        &c,
        "/api/repositories/delete",
        &format!("/r/{repo}?tab=settings&section=danger"),
        &[("full_name", &repo), ("confirm", "webapp")],
    )
    .await;
    assert_eq!(to, format!("/?deleted={}", repo.replace('/', "%2F")));
    assert!(
        html.contains(&format!("Repository {repo} deleted.")),
        "{html}"
    );
    let (status, _) = get_html(s, &c, &format!("/r/{repo}")).await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_repositories_are_404_to_everyone_without_access() {
    let s = TestServer::shared();
    let alice = unique("rpo");
    let bob = unique("rpb");
    let a = logged_in(s, &alice).await;
    let b = logged_in(s, &bob).await;
    let anon = s.client();
    for (name, visibility) in [("hidden", "private"), ("shown", "public")] {
        submit(
            s,
            &a,
            "/api/repositories/create",
            "/repositories/new",
            &[
                ("namespace", &alice),
                ("name", name),
                ("description", &format!("{name} description")),
                ("visibility", visibility),
            ],
        )
        .await;
    }
    let hidden = format!("{alice}/hidden");
    let shown = format!("{alice}/shown");
    // The owner sees both, on the page, the dashboard and (public only) the profile.
    for tab in ["", "?tab=tags", "?tab=settings"] {
        let (status, _) = get_html(s, &a, &format!("/r/{hidden}{tab}")).await;
        assert_eq!(status, 200);
    }
    let (_, dash) = get_html(s, &a, "/").await;
    assert!(dash.contains(&hidden) && dash.contains(&shown), "{dash}");
    // Another user and a visitor: 404 everywhere, and never a trace of it in lists.
    for who in [&b, &anon] {
        for tab in ["", "?tab=tags", "?tab=settings"] {
            let (status, html) = get_html(s, who, &format!("/r/{hidden}{tab}")).await;
            assert_eq!(status, 404, "{tab}");
            assert!(!html.contains("hidden description"));
        }
        let (status, html) = get_html(s, who, &format!("/u/{alice}")).await;
        assert_eq!(status, 200);
        assert!(html.contains(&shown) && !html.contains(&hidden), "{html}");
        let (status, _) = get_html(s, who, &format!("/r/{shown}")).await;
        assert_eq!(status, 200);
    }
    let (_, dash) = get_html(s, &b, "/").await;
    assert!(!dash.contains(&hidden));
    // Settings actions by someone else fail the same way as for a missing repository.
    let res = post_fetch(
        s,
        &b,
        "/api/repositories/visibility",
        &[
            ("full_name", &hidden),
            ("visibility", "public"),
            ("confirm_name", "hidden"),
        ],
    )
    .await;
    assert_eq!(res.status(), 404);

    // A collaborator sees it and lists it, without the settings tab.
    let (_, html) = submit(
        s,
        &a,
        "/api/repositories/add-collaborator",
        &format!("/r/{hidden}?tab=settings&section=access"),
        &[("full_name", &hidden), ("username", &bob)],
    )
    .await;
    assert!(html.contains(&format!("/u/{bob}")), "{html}");
    let (status, html) = get_html(s, &b, &format!("/r/{hidden}")).await;
    assert_eq!(status, 200);
    assert!(
        !html.contains("?tab=settings"),
        "no settings tab for collaborators"
    );
    let (_, dash) = get_html(s, &b, "/").await;
    assert!(dash.contains(&hidden));
    let res = post_fetch(
        s,
        &b,
        "/api/repositories/delete",
        &[("full_name", &hidden), ("confirm", "hidden")],
    )
    .await;
    assert_eq!(res.status(), 422, "collaborators cannot delete");
    // Made public once its name is typed, everyone sees it.
    let (_, html) = submit(
        s,
        &a,
        "/api/repositories/visibility",
        &format!("/r/{hidden}?tab=settings"),
        &[
            ("full_name", &hidden),
            ("visibility", "public"),
            ("confirm_name", ""),
        ],
    )
    .await;
    assert!(html.contains("Type hidden to confirm."), "{html}");
    assert_eq!(get_html(s, &anon, &format!("/r/{hidden}")).await.0, 404);
    submit(
        s,
        &a,
        "/api/repositories/visibility",
        &format!("/r/{hidden}?tab=settings"),
        &[
            ("full_name", &hidden),
            ("visibility", "public"),
            ("confirm_name", "hidden"),
        ],
    )
    .await;
    let (status, _) = get_html(s, &anon, &format!("/r/{hidden}")).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tags_tab_pages_sorts_and_filters_ten_thousand_tags() {
    let s = TestServer::shared();
    let alice = unique("rpt");
    let c = logged_in(s, &alice).await;
    let reg = Reg::new(&s.base, Some((&alice, PW)));
    let repo = format!("{alice}/many");
    reg.push_image(&repo, "seed", b"one layer for many tags")
        .await;
    // 10,000 tags on the same manifest, written directly (pushing them would take minutes).
    let pool = s.hub().db.pool();
    let (id, digest): (i64, String) = sqlx::query_as(
        "SELECT r.id, t.manifest_digest FROM repositories r JOIN tags t ON t.repository_id = r.id WHERE r.full_name = $1",
    )
    .bind(&repo)
    .fetch_one(pool)
    .await
    .unwrap();
    let mut tx = pool.begin().await.unwrap();
    for i in 0..10_000 {
        sqlx::query("INSERT INTO tags (repository_id, name, manifest_digest, pushed_at, pushed_by) VALUES ($1, $2, $3, $4, NULL)")
            .bind(id)
            .bind(format!("build-{i:05}"))
            .bind(&digest)
            .bind(1_700_000_000 + i64::from(i))
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();

    let (status, html) = get_html(s, &c, &format!("/r/{repo}?tab=tags")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Tags (10001)"), "count in the tab");
    assert!(html.contains("Page 1 of 401"), "{html}");
    // The overview tab counts the tags for its label and lists none.
    let (_, overview) = get_html(s, &c, &format!("/r/{repo}")).await;
    assert!(overview.contains("Tags (10001)"), "count on every tab");
    assert!(!overview.contains("build-0"), "no tag rows loaded");
    // Newest first: the seed tag, pushed now, then build-09999.
    let first = html.find("build-09999").unwrap();
    assert!(html.find(">seed<").unwrap() < first);
    let (_, html) = get_html(s, &c, &format!("/r/{repo}?tab=tags&sort=name&page=2")).await;
    assert!(
        html.contains("build-00025") && !html.contains("build-00024"),
        "second page by name"
    );
    assert!(html.contains("Page 2 of 401"));
    let (_, html) = get_html(s, &c, &format!("/r/{repo}?tab=tags&q=BUILD-0999")).await;
    assert!(html.contains("build-09990") && html.contains("build-09999"));
    assert!(!html.contains("build-09989") && !html.contains(">seed<"));
    assert!(!html.contains("Page 1 of"), "ten matches fit one page");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tag_page_shows_platforms_layers_and_history() {
    let s = TestServer::shared();
    let alice = unique("rpg");
    let c = logged_in(s, &alice).await;
    let reg = Reg::new(&s.base, Some((&alice, PW)));
    let repo = format!("{alice}/multi");
    let mut children = Vec::new();
    for (arch, layer) in [
        ("amd64", &b"amd64 layer bytes"[..]),
        ("arm64", &b"arm64 layer"[..]),
    ] {
        let config = serde_json::json!({
            "architecture": arch, "os": "linux", "rootfs": {"type": "layers", "diff_ids": []},
            "history": [
                {"created_by": "/bin/sh -c #(nop) ADD file:abc in / "},
                {"created_by": "/bin/sh -c #(nop)  CMD [\"sh\"]", "empty_layer": true}
            ]
        })
        .to_string();
        let cd = reg.push_blob(&repo, config.as_bytes()).await;
        let ld = reg.push_blob(&repo, layer).await;
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": reg::OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": config.len()},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": ld, "size": layer.len()}]
        })
        .to_string();
        let d = reg
            .put_manifest(
                &repo,
                &reg::sha256(manifest.as_bytes()),
                reg::OCI_MANIFEST,
                manifest.as_bytes(),
            )
            .await;
        children.push(serde_json::json!({
            "mediaType": reg::OCI_MANIFEST, "digest": d, "size": manifest.len(),
            "platform": {"os": "linux", "architecture": arch}
        }));
    }
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": children
    })
    .to_string();
    let index_digest = reg
        .put_manifest(
            &repo,
            "v2",
            "application/vnd.oci.image.index.v1+json",
            index.as_bytes(),
        )
        .await;

    let (_, html) = get_html(s, &c, &format!("/r/{repo}?tab=tags")).await;
    assert!(html.contains("linux/amd64, linux/arm64"), "{html}");
    assert!(html.contains(&format!("href=\"/r/{repo}/tags/v2\"")));
    let (status, html) = get_html(s, &c, &format!("/r/{repo}/tags/v2")).await;
    assert_eq!(status, 200);
    assert!(html.contains(&index_digest), "index digest");
    // A platform switcher, the first platform shown: each build step beside its layer's size.
    assert!(
        html.contains(&format!(
            "href=\"/r/{repo}/tags/v2?platform=linux%2Farm64\""
        )),
        "{html}"
    );
    assert!(html.contains("<h2>linux/amd64</h2>"), "{html}");
    assert!(!html.contains("<h2>linux/arm64</h2>"));
    let steps = html
        .split("<ol class=\"steps\">")
        .nth(1)
        .and_then(|s| s.split("</ol>").next())
        .unwrap_or_else(|| panic!("build steps: {html}"));
    assert!(
        steps.contains("<code class=\"step-instruction\">ADD file:abc in /</code><span class=\"step-size\">17 B</span>"),
        "{steps}"
    );
    assert!(
        steps.contains("<li class=\"metadata\"><code class=\"step-instruction\">CMD [\"sh\"]</code><span class=\"step-size\">0 B</span>"),
        "{steps}"
    );
    assert!(!steps.contains("#(nop)") && !steps.contains("/bin/sh"));
    let (_, html) = get_html(s, &c, &format!("/r/{repo}/tags/v2?platform=linux%2Farm64")).await;
    assert!(
        html.contains("<h2>linux/arm64</h2>") && html.contains("11 B"),
        "{html}"
    );
    // A tag that does not exist, and the page of a private repository for a visitor: 404.
    let (status, _) = get_html(s, &c, &format!("/r/{repo}/tags/nope")).await;
    assert_eq!(status, 404);
    sqlx::query("UPDATE repositories SET is_private = 1 WHERE full_name = $1")
        .bind(&repo)
        .execute(s.hub().db.pool())
        .await
        .unwrap();
    let (status, html) = get_html(s, &s.client(), &format!("/r/{repo}/tags/v2")).await;
    assert_eq!(status, 404);
    assert!(!html.contains(&index_digest));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_settings_and_the_administrators_plans_page_with_plain_forms() {
    let s = TestServer::shared();
    let alice = unique("set");
    let c = logged_in(s, &alice).await;
    let stored = |name: String| async move {
        berth_core::accounts::user_by_name(s.hub(), &name)
            .await
            .unwrap()
            .unwrap()
    };

    // Settings: the plan as used, and the default visibility of pushed repositories.
    let (status, html) = get_html(s, &c, "/settings").await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!("{alice}@example.com")), "{html}");
    assert!(html.contains("0 of 1 private repository used."), "{html}");
    assert!(
        html.contains(r#"value="public" checked"#),
        "public preselected: {html}"
    );
    let (to, html) = submit(
        s,
        &c,
        "/api/settings/default-visibility",
        "/settings",
        &[("visibility", "both")],
    )
    .await;
    assert!(to.starts_with("/settings"), "{to}");
    assert!(html.contains("Choose public or private."), "{html}");
    assert!(!stored(alice.clone()).await.default_private);
    let (to, html) = submit(
        s,
        &c,
        "/api/settings/default-visibility",
        "/settings",
        &[("visibility", "private")],
    )
    .await;
    assert_eq!(to, "/settings?saved=1");
    assert!(html.contains("Saved."), "{html}");
    assert!(html.contains(r#"value="private" checked"#), "{html}");
    assert!(stored(alice.clone()).await.default_private);
    // The app's own fetch call gets a 422 for the same refusal.
    let res = post_fetch(
        s,
        &c,
        "/api/settings/default-visibility",
        &[("visibility", "")],
    )
    .await;
    assert_eq!(res.status(), 422);
    // Logged out there are no settings to show, and none can be changed.
    let anon = s.client();
    let (_, html) = get_html(s, &anon, "/settings").await;
    assert!(
        html.contains("Log in to see your account settings."),
        "{html}"
    );
    let res = post_fetch(
        s,
        &anon,
        "/api/settings/default-visibility",
        &[("visibility", "public")],
    )
    .await;
    assert_eq!(res.status(), 401);

    // The plans page exists for administrators only.
    let root = unique("adm");
    register(s.hub(), &root, PW, true, true).await;
    let admin = s.client();
    post_form(
        s,
        &admin,
        "/api/login",
        "/login",
        &[("login", &root), ("password", PW)],
    )
    .await;
    for client in [&c, &anon] {
        let (status, html) = get_html(s, client, "/admin/plans").await;
        assert_eq!(status, 404, "{html}");
        assert!(!html.contains("Private allowed"), "{html}");
    }
    let res = post_fetch(
        s,
        &c,
        "/api/admin/set-plan",
        &[
            ("username", &alice),
            ("private_repos", "99"),
            ("filter", ""),
        ],
    )
    .await;
    assert_eq!(res.status(), 404, "a user cannot raise their own plan");
    assert_eq!(stored(alice.clone()).await.private_repo_limit, 1);

    let (status, html) = get_html(s, &admin, &format!("/admin/plans?q={alice}")).await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!("{alice}@example.com")), "{html}");
    assert!(html.contains(">1 account<"), "only the match: {html}");
    assert!(
        html.contains("Plans (admin)"),
        "in the admin's menu: {html}"
    );
    let (to, html) = submit(
        s,
        &admin,
        "/api/admin/set-plan",
        &format!("/admin/plans?q={alice}"),
        &[
            ("username", &alice),
            ("private_repos", "lots"),
            ("filter", &alice),
        ],
    )
    .await;
    assert!(to.starts_with("/admin/plans"), "{to}");
    assert!(
        html.contains("Enter a whole number from 0 to 100000."),
        "{html}"
    );
    assert!(html.contains(r#"value="lots""#), "what was typed: {html}");
    assert_eq!(stored(alice.clone()).await.private_repo_limit, 1);
    let (to, html) = submit(
        s,
        &admin,
        "/api/admin/set-plan",
        &format!("/admin/plans?q={alice}"),
        &[
            ("username", &alice),
            ("private_repos", "5"),
            ("filter", &alice),
        ],
    )
    .await;
    assert_eq!(to, format!("/admin/plans?saved={alice}&q={alice}"));
    assert!(
        html.contains(&format!("Saved the plan of {alice}.")),
        "{html}"
    );
    assert_eq!(stored(alice.clone()).await.private_repo_limit, 5);
    let (_, html) = get_html(s, &c, "/settings").await;
    assert!(html.contains("0 of 5 private repositories used."), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn layers_are_measured_uncompressed_in_the_background() {
    use std::io::Write;
    let s = TestServer::shared();
    let alice = unique("rpm");
    let c = logged_in(s, &alice).await;
    let reg = Reg::new(&s.base, Some((&alice, PW)));
    let repo = format!("{alice}/sized");
    // A real gzip layer: 100,000 bytes of text that compress to a few hundred.
    let plain = "berth layer line\n".repeat(100_000 / 17 + 1)[..100_000].to_string();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(plain.as_bytes()).unwrap();
    let layer = gz.finish().unwrap();
    reg.push_image(&repo, "v1", &layer).await;
    // The push queued the measurement; wait for it (run here too, whoever leases it first).
    let digest = reg::sha256(&layer);
    let mut measured = None;
    for _ in 0..100 {
        berth_core::jobs::run_due(s.hub()).await.unwrap();
        measured = sqlx::query_scalar::<_, Option<i64>>(
            "SELECT uncompressed_size FROM blobs WHERE digest = $1",
        )
        .bind(&digest)
        .fetch_one(s.hub().db.pool())
        .await
        .unwrap();
        if measured.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(measured, Some(100_000));
    let (_, html) = get_html(s, &c, &format!("/r/{repo}/tags/v1")).await;
    assert!(
        html.contains("<dt>Uncompressed size</dt><dd>100 kB</dd>"),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_not_found_page_knows_who_is_logged_in() {
    let s = TestServer::shared();
    let alice = unique("nf");
    let c = logged_in(s, &alice).await;
    let (status, html) = get_html(s, &c, "/no/such/page").await;
    assert_eq!(status, 404);
    assert!(html.contains("Page not found"));
    assert!(
        html.contains(&format!("<span class=\"user-name\">{alice}</span>")),
        "the header shows the user on the 404 page too: {html}"
    );
}
