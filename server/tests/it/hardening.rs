//! What a hostile client tried, each refused at its cause: user text escaped in raw-text
//! elements, redirects kept on Berth with errors out of the URL, oversized forms answered 413,
//! security headers, made-up upload ids, manifests that lie about sizes or list too much,
//! tokens not yet valid, and one name rule for the web and the registry.

use crate::common;

use common::{
    reg::{sha256, Reg, OCI_MANIFEST, PASSWORD},
    *,
};
use reqwest::{header, Method};
use serde_json::{json, Value};

const PAYLOAD: &str = "</textarea><script>window.__pwned=1</script><title>x</title>";

/// A confirmed account logged in with a fresh cookie jar.
async fn logged_in(s: &TestServer, name: &str) -> reqwest::Client {
    register(s.hub(), name, PASSWORD, true, false).await;
    web_session(s, name, PASSWORD).await
}

async fn error_code(res: reqwest::Response) -> String {
    let v: Value = res.json().await.unwrap();
    v["errors"][0]["code"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overview_source_stays_text_inside_the_editor() {
    let s = TestServer::shared();
    let owner = unique("xss");
    let c = logged_in(s, &owner).await;
    let full = format!("{owner}/app");
    let form = [
        ("namespace", owner.as_str()),
        ("name", "app"),
        ("description", ""),
        ("visibility", "public"),
    ];
    post_form(
        s,
        &c,
        "/api/repositories/create",
        "/repositories/new",
        &form,
    )
    .await;
    let res = post_form(
        s,
        &c,
        "/api/repositories/descriptions",
        &format!("/r/{full}?tab=settings"),
        &[
            ("full_name", &full),
            ("description", ""),
            ("overview", PAYLOAD),
        ],
    )
    .await;
    assert_eq!(res.status(), 302);
    for page in [
        format!("/r/{full}?tab=settings"),
        format!("/r/{full}?edit=overview"),
    ] {
        let (status, html) = get_html(s, &c, &page).await;
        assert_eq!(status, 200, "{page}");
        assert!(
            !html.contains("<script>window.__pwned"),
            "{page}: the source broke out of the textarea:\n{html}"
        );
        assert!(
            html.contains("&lt;/textarea&gt;&lt;script&gt;window.__pwned=1&lt;/script&gt;"),
            "{page}: the source is in the textarea as text"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_plain_form_returns_only_to_berth_and_its_error_is_shown_once() {
    let s = TestServer::shared();
    let c = s.client();
    let name = unique("redir");
    register(s.hub(), &name, PASSWORD, true, false).await;
    let wrong = [("login", name.as_str()), ("password", "not the password")];
    for referer in [
        "http://evil.example/phish".to_string(),
        "//evil.example/x".to_string(),
        format!("http://127.0.0.1.evil.example/{}", s.base),
    ] {
        let res = c
            .post(s.url("/api/login"))
            .header("accept", HTML)
            .header("referer", &referer)
            .header("origin", &s.base)
            .form(&wrong)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 302);
        assert_eq!(location(&res), "/", "refused off-site target {referer}");
    }
    // From Berth's own login page (with an old notice in its address): back there, with neither
    // the error nor the typed name in the URL, and without the stale notice.
    let res = post_form(s, &c, "/api/login", "/login?reset=1", &wrong).await;
    let back = location(&res);
    assert_eq!(back, "/login#refused", "back to the form itself");
    let (_, html) = get_html(s, &c, &back).await;
    assert!(
        html.contains("Incorrect Berth ID, email or password."),
        "{html}"
    );
    assert!(
        html.contains(&format!(r#"value="{name}""#)),
        "typed login kept"
    );
    assert!(
        !html.contains("Your password was changed"),
        "no stale notice"
    );
    // A reload shows the form afresh.
    let (_, html) = get_html(s, &c, &back).await;
    assert!(
        !html.contains("Incorrect Berth ID"),
        "the error is shown once"
    );
    // A crafted link with an error in the URL shows nothing.
    let fake = "/login?__path=/api/login&__err=eyJGb3JtIjp7Im1lc3NhZ2UiOiJDYWxsIDU1NS0wMTAwIiwiZmllbGRzIjpbXSwidmFsdWVzIjpbXX19";
    let (_, html) = get_html(s, &c, fake).await;
    assert!(
        !html.contains("Call 555-0100"),
        "errors come from the flash only"
    );

    // Forgot-password the same way: an off-site referer never leaves Berth.
    let res = c
        .post(s.url("/api/forgot-password"))
        .header("accept", HTML)
        .header("referer", "http://evil.example/")
        .header("origin", &s.base)
        .form(&[("email", "not-an-address")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_forms_are_answered_413_with_a_clear_message() {
    let s = TestServer::shared();
    let c = s.client();
    let big = "x".repeat(20 << 20);
    for path in [
        "/api/login",
        "/api/signup",
        "/api/forgot-password",
        "/api/repositories/descriptions",
    ] {
        let res = c
            .post(s.url(path))
            .header("accept", HTML)
            .header("origin", &s.base)
            .form(&[("overview", big.as_str()), ("login", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 413, "{path} as a plain form");
        let text = res.text().await.unwrap();
        assert!(text.contains("too large"), "{path}: {text}");
        let res = post_fetch(s, &c, path, &[("overview", big.as_str())]).await;
        assert_eq!(res.status(), 413, "{path} from the app");
        let v: Value = res.json().await.unwrap();
        assert!(
            v["Form"]["message"].as_str().unwrap().contains("too large"),
            "{path}: the app's error type: {v}"
        );
    }
    // A chunked body (no Content-Length) is cut at the limit as well.
    let stream = futures_util::stream::iter(
        (0..40).map(|_| Ok::<_, std::io::Error>(bytes::Bytes::from(vec![b'a'; 1 << 20]))),
    );
    let res = c
        .post(s.url("/api/login"))
        .header("accept", "application/json")
        .header("origin", &s.base)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let res = c
        .post(s.url("/token"))
        .form(&[("grant_type", "password"), ("password", big.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert_eq!(error_code(res).await, "SIZE_INVALID");
    // Normal forms still work.
    let res = post_form(
        s,
        &c,
        "/api/forgot-password",
        "/forgot-password",
        &[("email", "a@example.com")],
    )
    .await;
    assert_eq!(location(&res), "/forgot-password?sent=1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_security_headers_and_pages_a_nonce_policy() {
    let s = TestServer::shared();
    let c = s.client();
    for path in ["/", "/login", "/no/such/page", "/v2/", "/healthz"] {
        let res = c
            .get(s.url(path))
            .header("accept", HTML)
            .send()
            .await
            .unwrap();
        let h = res.headers().clone();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'"),
            "{path}"
        );
        assert!(h.get("strict-transport-security").is_none(), "plain http");
        if path == "/" || path == "/login" || path == "/no/such/page" {
            let csp = h["content-security-policy"].to_str().unwrap().to_string();
            let html = res.text().await.unwrap();
            let nonce = csp
                .split("'nonce-")
                .nth(1)
                .and_then(|r| r.split('\'').next())
                .unwrap_or_else(|| panic!("{path}: no nonce in {csp}"));
            assert!(
                html.contains(&format!(r#"nonce="{nonce}""#)),
                "{path}: the hydration script carries the header's nonce"
            );
            assert!(!csp.contains("unsafe-inline"), "{csp}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn made_up_upload_ids_touch_no_state() {
    let s = TestServer::shared();
    let alice = Reg::user("upid", true, false).await;
    let repo = format!("{}/app", alice.name());
    alice.push_blob(&repo, b"make the repository exist").await;
    let token = alice.token(&[format!("repository:{repo}:pull,push")]).await;
    let long = "a".repeat(60_000);
    let mut ids: Vec<String> = (0..200).map(|i| format!("{i:032x}")).collect();
    ids.push(long);
    ids.push("UPPERCASE0000000000000000000000X".into());
    for id in &ids {
        let res = alice
            .http
            .patch(alice.url(&format!("/v2/{repo}/blobs/uploads/{id}")))
            .bearer_auth(&token)
            .body(vec![1u8; 64])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{}", &id[..id.len().min(40)]);
        assert_eq!(error_code(res).await, "BLOB_UPLOAD_UNKNOWN");
    }
    // Other tests share the server and upload meanwhile, so ask about these ids only.
    for id in &ids {
        assert!(
            !s.hub().registry.uploads.holds(id),
            "no lock entry kept for the made-up upload {}",
            &id[..id.len().min(40)]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manifests_must_agree_with_the_blobs_and_stay_within_the_descriptor_cap() {
    let alice = Reg::user("mfst", true, false).await;
    let repo = format!("{}/app", alice.name());
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let cd = alice.push_blob(&repo, config).await;
    let layer = b"a layer of exactly thirty bytes".to_vec();
    let ld = alice.push_blob(&repo, &layer).await;
    let manifest = |layers: Vec<Value>| {
        json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType":"application/vnd.oci.image.config.v1+json","digest":cd,"size":config.len()},
            "layers": layers,
        })
        .to_string()
        .into_bytes()
    };
    let put = |body: Vec<u8>| {
        let alice = &alice;
        let repo = repo.clone();
        async move {
            alice
                .req(Method::PUT, &format!("/v2/{repo}/manifests/v1"), &repo)
                .await
                .header(header::CONTENT_TYPE, OCI_MANIFEST)
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    let layer_desc = |size: usize| json!({"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":ld,"size":size});
    // A size that disagrees with the stored blob.
    let res = put(manifest(vec![layer_desc(layer.len() + 1)])).await;
    assert_eq!(res.status(), 400);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["errors"][0]["code"], "MANIFEST_INVALID");
    assert!(
        v["errors"][0]["message"].as_str().unwrap().contains(&ld),
        "names the digest: {v}"
    );
    // More layers than the cap: refused before any lookup.
    let many: Vec<Value> = (0..20_000).map(|_| layer_desc(layer.len())).collect();
    let res = put(manifest(many)).await;
    assert_eq!(res.status(), 400);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["errors"][0]["code"], "MANIFEST_INVALID");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("at most 1000"),
        "{v}"
    );
    // Exactly the cap (one blob listed 999 times) is accepted.
    let most: Vec<Value> = (0..999).map(|_| layer_desc(layer.len())).collect();
    let body = manifest(most);
    let res = put(body.clone()).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    // An index whose child size disagrees.
    let child = manifest(vec![layer_desc(layer.len())]);
    let child_digest = alice
        .put_manifest(&repo, "child", OCI_MANIFEST, &child)
        .await;
    let index = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": OCI_MANIFEST, "digest": child_digest, "size": child.len() + 5}],
    });
    let res = alice
        .req(Method::PUT, &format!("/v2/{repo}/manifests/multi"), &repo)
        .await
        .header(
            header::CONTENT_TYPE,
            "application/vnd.oci.image.index.v1+json",
        )
        .body(index.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["errors"][0]["code"], "MANIFEST_INVALID");
    assert!(v["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains(&child_digest));
    assert_eq!(sha256(&body).len(), 71);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_not_yet_valid_or_issued_in_the_future_are_refused() {
    use jsonwebtoken::{encode, EncodingKey, Header};
    let s = TestServer::shared();
    let alice = Reg::user("nbf", true, false).await;
    let repo = format!("{}/app", alice.name());
    alice.push_blob(&repo, b"content").await;
    let secret: String =
        sqlx::query_scalar("SELECT value FROM settings WHERE key = 'registry_token_secret'")
            .fetch_one(s.hub().db.pool())
            .await
            .unwrap();
    let now = berth_core::clock::now();
    let service = s.hub().registry.keys.service.clone();
    let claims = |nbf: i64, iat: i64| {
        json!({
            "iss": "berth", "sub": alice.name(), "aud": service, "exp": now + 3000, "nbf": nbf,
            "iat": iat, "jti": "x",
            "access": [{"type": "repository", "name": repo, "actions": ["pull"]}],
        })
    };
    let sign = |c: Value| {
        encode(
            &Header::default(),
            &c,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    };
    let get = |token: String| {
        let url = alice.url(&format!("/v2/{repo}/tags/list"));
        let http = alice.http.clone();
        async move {
            http.get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(get(sign(claims(now - 1, now))).await, 200, "a valid token");
    assert_eq!(
        get(sign(claims(now + 600, now))).await,
        401,
        "nbf in the future"
    );
    assert_eq!(
        get(sign(claims(now - 1, now + 600))).await,
        401,
        "iat in the future"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_form_and_docker_push_share_one_name_rule() {
    let s = TestServer::shared();
    let owner = unique("nm");
    let c = logged_in(s, &owner).await;
    let host = s.base.trim_start_matches("http://");
    let max = 255 - host.len() - owner.len() - 2;
    let (_, html) = get_html(s, &c, "/repositories/new").await;
    assert!(
        html.contains(&format!("2 to {max} characters")),
        "the help text states the limit for this namespace"
    );
    // One character too many is refused by the form with the reason...
    let long = "a".repeat(max + 1);
    let form = [
        ("namespace", owner.as_str()),
        ("name", long.as_str()),
        ("description", ""),
        ("visibility", "public"),
    ];
    let res = post_fetch(s, &c, "/api/repositories/create", &form).await;
    assert_eq!(res.status(), 422);
    let v: Value = res.json().await.unwrap();
    assert!(
        v.to_string()
            .contains(&format!("Use 2 to {max} characters")),
        "{v}"
    );
    // ...and by a push, with the same words.
    let reg = Reg::new(&s.base, Some((&owner, PASSWORD)));
    let repo = format!("{owner}/{long}");
    let res = reg
        .req(Method::POST, &format!("/v2/{repo}/blobs/uploads/"), &repo)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["errors"][0]["code"], "NAME_INVALID");
    assert!(
        v.to_string()
            .contains(&format!("Use 2 to {max} characters")),
        "{v}"
    );
    // The longest name the form accepts can be pushed.
    let longest = "b".repeat(max);
    let form = [
        ("namespace", owner.as_str()),
        ("name", longest.as_str()),
        ("description", ""),
        ("visibility", "public"),
    ];
    let res = post_fetch(s, &c, "/api/repositories/create", &form).await;
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    reg.push_image(&format!("{owner}/{longest}"), "v1", b"layer")
        .await;
}
