//! Discovery over HTTP: `/v1/search` as docker calls it (anonymous, Basic, bearer), the search
//! and explore pages (escaping, highlighting, private repositories), stars with plain forms and
//! with the page's fetch, pull statistics per tag and per day, Docker Hub's URL shapes, and the
//! limit on searches running at once.

use crate::common;

use common::{
    reg::{Reg, PASSWORD},
    *,
};
use reqwest::Method;
use serde_json::Value;

async fn user(name: &str) -> berth_core::accounts::User {
    berth_core::accounts::user_by_name(TestServer::shared().hub(), name)
        .await
        .unwrap()
        .unwrap()
}

async fn create(owner: &str, ns: &str, name: &str, description: &str, private: bool) {
    berth_core::repositories::create(
        TestServer::shared().hub(),
        &user(owner).await,
        berth_core::repositories::NewRepo {
            namespace: ns,
            name,
            description,
            private,
        },
    )
    .await
    .unwrap();
}

async fn v1_search(reg: &Reg, query: &str, auth: Option<(&str, &str)>) -> (u16, Value) {
    let mut req = reg.http.get(reg.url(&format!("/v1/search?{query}")));
    if let Some((u, p)) = auth {
        req = req.basic_auth(u, Some(p));
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn result_names(body: &Value) -> Vec<String> {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v1_search_answers_as_docker_expects_and_shows_private_ones_only_with_credentials() {
    let s = TestServer::shared();
    let alice = Reg::user("v1alice", true, false).await;
    let bob = Reg::user("v1bob", true, false).await;
    let admin = Reg::user("v1admin", true, true).await;
    let word = unique("zq");
    let (a, b) = (alice.name().to_string(), bob.name().to_string());
    create(&a, &a, &format!("{word}-api"), "The API server", false).await;
    create(&a, &a, &format!("{word}-secret"), "", true).await;
    create(admin.name(), "library", &word, "Official build", false).await;
    berth_core::discover::set_star(s.hub(), &user(&b).await, "library", &word, true)
        .await
        .unwrap();

    let anyone = Reg::anonymous();
    let (status, body) = v1_search(&anyone, &format!("q={word}"), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["query"], word.as_str());
    assert_eq!(body["num_results"], 2);
    assert_eq!(
        (body["page"].as_i64(), body["page_size"].as_i64()),
        (Some(1), Some(25))
    );
    assert_eq!(body["num_pages"], 1);
    // The official image by its short name, first, with its star.
    let first = &body["results"][0];
    assert_eq!(first["name"], word.as_str());
    assert_eq!(first["is_official"], true);
    assert_eq!(first["is_automated"], false);
    assert_eq!(first["star_count"], 1);
    assert_eq!(first["description"], "Official build");
    assert!(first["pull_count"].is_i64());
    assert_eq!(result_names(&body)[1], format!("{a}/{word}-api"));

    // Credentials as docker sends them: Basic with the password, or a bearer token.
    let (_, body) = v1_search(&alice, &format!("q={word}"), Some((&a, PASSWORD))).await;
    assert!(
        result_names(&body).contains(&format!("{a}/{word}-secret")),
        "{body}"
    );
    let (_, body) = v1_search(&bob, &format!("q={word}"), Some((&b, PASSWORD))).await;
    assert_eq!(body["num_results"], 2, "{body}");
    let token = alice.token(&["registry:catalog:search".into()]).await;
    let res = alice
        .http
        .get(alice.url(&format!("/v1/search?q={word}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["num_results"], 3, "{body}");
    let (status, _) = v1_search(&alice, &format!("q={word}"), Some((&a, "wrong"))).await;
    assert_eq!(status, 401);

    // Paging and its limits: a bad n is a clear 400.
    let (_, body) = v1_search(&anyone, &format!("q={word}&n=1&page=2"), None).await;
    assert_eq!(
        (body["num_pages"].as_i64(), body["page"].as_i64()),
        (Some(2), Some(2))
    );
    assert_eq!(result_names(&body), [format!("{a}/{word}-api")]);
    // An absurd page is the last one.
    let (status, body) = v1_search(
        &anyone,
        &format!("q={word}&n=1&page=9223372036854775807"),
        None,
    )
    .await;
    assert_eq!((status, body["page"].as_i64()), (200, Some(2)), "{body}");
    for bad in ["n=0", "n=101", "n=ten", "page=0"] {
        let (status, body) = v1_search(&anyone, &format!("q={word}&{bad}"), None).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(
            body["message"].as_str().unwrap().contains("whole number"),
            "{body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_page_escapes_highlights_and_hides_private_repositories() {
    let s = TestServer::shared();
    let owner = Reg::user("spown", true, false).await;
    let o = owner.name().to_string();
    let word = unique("qx");
    create(
        &o,
        &o,
        &format!("{word}-web"),
        "Serves <b>bold</b> pages",
        false,
    )
    .await;
    create(&o, &o, &format!("{word}-hidden"), "", true).await;
    let c = s.client();
    let (status, html) = get_html(
        s,
        &c,
        &format!("/search?q={word}+%3Cscript%3Ealert(1)%3C/script%3E"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(!html.contains("<script>alert(1)"), "the term is text");
    assert!(html.contains("&lt;script&gt;alert(1)"), "{html}");
    let (_, html) = get_html(s, &c, &format!("/search?q={word}")).await;
    assert!(html.contains(&format!("<mark>{word}</mark>")), "{html}");
    assert!(
        html.contains("&lt;b&gt;bold&lt;/b&gt;"),
        "descriptions are text"
    );
    assert!(!html.contains(&format!("{word}-hidden")));
    assert!(html.contains("1 repository"), "{html}");
    // Filters and orders are plain query parameters; the form shows them chosen.
    let (status, html) = get_html(s, &c, &format!("/search?q={word}&official=1&sort=stars")).await;
    assert_eq!(status, 200);
    assert!(html.contains("No repositories match"), "{html}");
    assert!(
        html.contains(r#"value="stars" selected"#) || html.contains(r#"selected value="stars""#),
        "{html}"
    );
    // Explore lists public repositories only.
    let (status, html) = get_html(s, &c, "/explore?sort=updated").await;
    assert_eq!(status, 200);
    assert!(
        !html.contains(&format!("{word}-hidden")),
        "no private repository on explore"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stars_with_a_plain_form_and_with_fetch_and_the_starred_tab() {
    let s = TestServer::shared();
    let owner = unique("stown");
    let fan = unique("stfan");
    register(s.hub(), &owner, PASSWORD, true, false).await;
    register(s.hub(), &fan, PASSWORD, true, false).await;
    create(&owner, &owner, "shiny", "", false).await;
    create(&owner, &owner, "private-one", "", true).await;
    let c = s.client();
    let res = post_form(
        s,
        &c,
        "/api/login",
        "/login",
        &[("login", &fan), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(location(&res), "/");
    let page = format!("/r/{owner}/shiny");

    let res = post_form(
        s,
        &c,
        "/api/repositories/star",
        &page,
        &[("namespace", &owner), ("name", "shiny"), ("star", "1")],
    )
    .await;
    assert_eq!(location(&res).trim_start_matches(&s.base), page);
    let (_, html) = get_html(s, &c, &page).await;
    assert!(
        html.contains(r#"aria-pressed="true""#) && html.contains("Starred"),
        "{html}"
    );
    // The page's script posts the same form and reads the new state.
    let res = post_fetch(
        s,
        &c,
        "/api/repositories/star",
        &[
            ("namespace", &owner),
            ("name", "shiny"),
            ("star", "0"),
            ("js", "1"),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    let state: Value = res.json().await.unwrap();
    assert_eq!(
        (state["starred"].as_bool(), state["count"].as_i64()),
        (Some(false), Some(0))
    );
    post_fetch(
        s,
        &c,
        "/api/repositories/star",
        &[
            ("namespace", &owner),
            ("name", "shiny"),
            ("star", "1"),
            ("js", "1"),
        ],
    )
    .await;
    // Someone else's private repository does not exist for the fan.
    let res = post_fetch(
        s,
        &c,
        "/api/repositories/star",
        &[
            ("namespace", &owner),
            ("name", "private-one"),
            ("star", "1"),
            ("js", "1"),
        ],
    )
    .await;
    let status = res.status();
    let text = res.text().await.unwrap();
    assert!(
        status == 404 && text.contains("NotFound"),
        "{status} {text}"
    );

    let (_, html) = get_html(s, &c, &format!("/u/{fan}?tab=starred")).await;
    assert!(html.contains(&format!("{owner}/shiny")), "{html}");
    assert!(html.contains("Starred (1)"), "{html}");
    // Anonymous visitors see the count and why they cannot star.
    let (_, html) = get_html(s, &s.client(), &page).await;
    assert!(
        html.contains("1 star") && html.contains("Log in to star"),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pulls_are_counted_per_tag_and_day_and_shown_on_the_pages() {
    let s = TestServer::shared();
    let alice = Reg::user("pullst", true, false).await;
    let repo = format!("{}/counted", alice.name());
    let (_, digest) = alice.push_image(&repo, "v1", b"layer for pull stats").await;
    alice
        .push_image(&repo, "v2", b"another layer for pull stats")
        .await;
    for (method, reference) in [
        (Method::GET, "v1"),
        (Method::GET, "v1"),
        (Method::HEAD, "v1"),
        (Method::GET, digest.as_str()),
    ] {
        let res = alice
            .req(method, &format!("/v2/{repo}/manifests/{reference}"), &repo)
            .await
            .header("accept", reg::OCI_MANIFEST)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    berth_core::registry::repos::flush_pulls(s.hub())
        .await
        .unwrap();
    let c = s.client();
    let (_, html) = get_html(s, &c, &format!("/r/{repo}")).await;
    // GETs count, HEAD does not; by tag and by digest alike for the repository.
    assert!(html.contains("3 pulls in the last 30 days"), "{html}");
    assert!(
        html.contains("<svg") && html.contains(r#"role="img""#),
        "{html}"
    );
    let (_, html) = get_html(s, &c, &format!("/r/{repo}?tab=tags&sort=name")).await;
    let v1 = html.find(">v1<").unwrap();
    let v2 = html.find(">v2<").unwrap();
    // Two GETs by tag, and the GET by digest after a HEAD of v1 (as docker pulls): three.
    assert!(html[v1..v2].contains("3 pulls"), "{}", &html[v1..v2]);
    assert!(
        html[v2..].contains("0 pulls") && html[v2..].contains("Never"),
        "{}",
        &html[v2..]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docker_hub_addresses_lead_to_berths_pages() {
    let s = TestServer::shared();
    let c = s.client();
    for (from, to) in [
        ("/_/alpine", "/r/library/alpine"),
        ("/r/_/alpine", "/r/library/alpine"),
        ("/r/acme/api/tags", "/r/acme/api?tab=tags"),
        (
            "/r/_/alpine/tags?page=2&name=3.2",
            "/r/library/alpine?tab=tags&page=2&q=3.2",
        ),
    ] {
        let res = c.get(s.url(from)).send().await.unwrap();
        assert_eq!(res.status(), 308, "{from}");
        assert_eq!(location(&res), to, "{from}");
    }
    for unknown in ["/_/alpine/extra", "/_/", "/r/_/a/b/c/d"] {
        let (status, html) = get_html(s, &c, unknown).await;
        assert_eq!(status, 404, "{unknown}");
        assert!(html.contains("Page not found"), "{unknown}");
    }
}

/// With every search turn taken (a flood of searches), the next one waits its bounded time and
/// is turned away: 429 with `Retry-After` for docker, 503 for the page; pulls and pages keep
/// their database connections meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_searches_is_turned_away_not_queued_without_end() {
    let s = TestServer::start().await;
    let hub = s.hub();
    let mut held = Vec::new();
    for _ in 0..berth_core::discover::searches_at_once(hub.db.kind()) {
        held.push(hub.searches.turn().await.unwrap());
    }
    let c = s.client();
    let res = c.get(s.url("/v1/search?q=anything")).send().await.unwrap();
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["retry-after"], "1");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "TOOMANYREQUESTS", "{body}");
    let (status, _) = get_html(&s, &c, "/search?q=anything").await;
    assert_eq!(status, 503);
    // Other pages do not wait for search turns.
    let (status, _) = get_html(&s, &c, "/explore?x=1").await;
    assert_eq!(status, 503, "explore is a search too");
    let (status, _) = get_html(&s, &c, "/login").await;
    assert_eq!(status, 200);
    drop(held);
    let res = c.get(s.url("/v1/search?q=anything")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    s.stop().await;
}
