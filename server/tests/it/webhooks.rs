//! Webhooks with a real HTTP receiver on loopback: a push signed and described, tag deletion,
//! the test event and redelivery in the log, a failing receiver retried to exactly one success,
//! internal addresses refused without traffic (at save and at delivery), a delivery pending
//! across a restart, and the pages by plain form.

use crate::common;

use berth_core::webhooks::{self, Form};
use common::{
    receiver::{hmac_sha256_hex, Receiver},
    reg::Reg,
    *,
};

async fn user_of(s: &TestServer, reg: &Reg) -> berth_core::accounts::User {
    berth_core::accounts::user_by_name(s.hub(), reg.name())
        .await
        .unwrap()
        .unwrap()
}

fn form<'a>(url: &'a str, events: &'a [String], secret: &'a str) -> Form<'a> {
    Form {
        name: "ci",
        url,
        events,
        secret,
        remove_secret: false,
        active: true,
    }
}

/// The webhook's log once `ready` holds (the log records an answer just after the receiver
/// has it), waiting up to 10 s.
async fn log_when(
    hub: &berth_core::Hub,
    user: &berth_core::accounts::User,
    repo: &str,
    id: i64,
    ready: impl Fn(&[webhooks::Delivery]) -> bool,
) -> Vec<webhooks::Delivery> {
    for _ in 0..200 {
        let (_, log) = webhooks::log(hub, user, repo, id).await.unwrap();
        if ready(&log) {
            return log;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the webhook log of {repo} did not settle");
}

fn attempts(log: &[webhooks::Delivery]) -> usize {
    log.iter().map(|d| d.attempts.len()).sum()
}

fn all_events() -> Vec<String> {
    ["tag_pushed", "tag_deleted", "visibility_changed"]
        .map(String::from)
        .to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_is_delivered_signed_with_its_digest_and_logged() {
    let s = TestServer::shared();
    let alice = Reg::user("hook", true, false).await;
    let repo = format!("{}/app", alice.name());
    alice.push_image(&repo, "v0", b"before the webhook").await;
    let receiver = Receiver::start(&[]).await;
    let user = user_of(s, &alice).await;
    let secret = "It's a Secret to Everybody";
    let hook = webhooks::create(
        s.hub(),
        &user,
        &repo,
        form(&receiver.url, &all_events(), secret),
    )
    .await
    .unwrap();

    let (_, digest) = alice
        .push_image(&repo, "v1", b"the layer the webhook reports")
        .await;
    let got = receiver.wait_for(1).await;
    let r = &got[0];
    assert_eq!(r.header("x-berth-event"), "tag_pushed");
    assert_eq!(r.header("content-type"), "application/json");
    assert_eq!(
        r.header("x-berth-signature-256"),
        format!(
            "sha256={}",
            hmac_sha256_hex(secret.as_bytes(), r.body.as_bytes())
        ),
        "the signature is the HMAC of the exact body"
    );
    let p = r.json();
    assert_eq!(p["event"], "tag_pushed");
    assert_eq!(p["delivery_id"], r.header("x-berth-delivery"));
    assert_eq!(p["push_data"]["tag"], "v1");
    assert_eq!(p["push_data"]["pusher"], alice.name());
    assert_eq!(p["repository"]["repo_name"], repo.as_str());
    assert_eq!(p["repository"]["namespace"], alice.name());
    assert_eq!(p["repository"]["is_private"], false);
    assert_eq!(p["repository"]["status"], "Active");
    assert_eq!(p["digest"], digest.as_str());
    assert_eq!(
        p["media_type"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    assert_eq!(p["platforms"][0]["os"], "linux");

    // Deleting the tag through the registry is an event too, with the digest it had.
    let res = alice
        .req(
            reqwest::Method::DELETE,
            &format!("/v2/{repo}/manifests/v1"),
            &repo,
        )
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let got = receiver.wait_for(2).await;
    assert_eq!(got[1].json()["event"], "tag_deleted");
    assert_eq!(got[1].json()["digest"], digest.as_str());

    // The test event, then a redelivery of the push: the same body and delivery id again.
    webhooks::send_test(s.hub(), &user, &repo, hook.id)
        .await
        .unwrap();
    let got = receiver.wait_for(3).await;
    assert_eq!(got[2].header("x-berth-event"), "test");
    let (_, log) = webhooks::log(s.hub(), &user, &repo, hook.id).await.unwrap();
    let push = log.iter().find(|d| d.event == "tag_pushed").unwrap();
    webhooks::redeliver(s.hub(), &user, &repo, hook.id, push.row)
        .await
        .unwrap();
    let got = receiver.wait_for(4).await;
    assert_eq!(got[3].body, got[0].body);
    assert_eq!(
        got[3].header("x-berth-delivery"),
        got[0].header("x-berth-delivery")
    );
    // The log: newest first, each attempt with its headers, status and the response. Waited for
    // by the push's own second attempt (a total of four attempts can also be reached by another
    // delivery retried on a loaded machine).
    let log = log_when(s.hub(), &user, &repo, hook.id, |l| {
        l.iter()
            .any(|d| d.event == "tag_pushed" && d.attempts.len() >= 2)
    })
    .await;
    let events: Vec<&str> = log.iter().map(|d| d.event.as_str()).collect();
    assert_eq!(events, ["test", "tag_deleted", "tag_pushed"]);
    let push = &log[2];
    assert_eq!(push.state, "delivered");
    assert_eq!(push.attempts.len(), 2, "sent, then redelivered");
    assert!(push
        .attempts
        .iter()
        .all(|a| a.status == Some(200) && a.response_body == "thanks"));
    assert!(push.attempts[0]
        .request_headers
        .contains("X-Berth-Signature-256: sha256="));

    // Someone who does not manage the repository sees no webhooks.
    let bob = Reg::user("hookbob", true, false).await;
    let bob = user_of(s, &bob).await;
    assert!(webhooks::list(s.hub(), &bob, &repo).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_receiver_gets_exactly_one_successful_delivery() {
    let s = TestServer::shared();
    let alice = Reg::user("hookfail", true, false).await;
    let repo = format!("{}/app", alice.name());
    alice.push_image(&repo, "v0", b"first").await;
    let receiver = Receiver::start(&[500, 503]).await;
    let user = user_of(s, &alice).await;
    let hook = webhooks::create(
        s.hub(),
        &user,
        &repo,
        form(&receiver.url, &all_events(), ""),
    )
    .await
    .unwrap();
    webhooks::send_test(s.hub(), &user, &repo, hook.id)
        .await
        .unwrap();
    // Retried after 2 s, then 4 s.
    let got = receiver.wait_for(3).await;
    let statuses: Vec<u16> = got.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [500, 503, 200]);
    assert!(got
        .iter()
        .all(|r| r.header("x-berth-delivery") == got[0].header("x-berth-delivery")));
    assert!(r_has_no_signature(&got[0]), "no secret, no signature");
    let log = log_when(s.hub(), &user, &repo, hook.id, |l| attempts(l) == 3).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].state, "delivered");
    let attempts: Vec<Option<i64>> = log[0].attempts.iter().map(|a| a.status).collect();
    assert_eq!(attempts, [Some(500), Some(503), Some(200)]);
}

fn r_has_no_signature(r: &common::receiver::Received) -> bool {
    r.headers.get("x-berth-signature-256").is_none()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_addresses_are_refused_without_any_traffic() {
    let s = TestServer::shared();
    let alice = Reg::user("hookssrf", true, false).await;
    let repo = format!("{}/app", alice.name());
    alice.push_image(&repo, "v0", b"first").await;
    let user = user_of(s, &alice).await;
    for url in [
        "http://10.255.255.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:8080/",
        "http://[::ffff:192.168.1.1]/",
        "ftp://example.com/",
        "http://user:pass@example.com/",
    ] {
        let refused = webhooks::create(s.hub(), &user, &repo, form(url, &all_events(), ""))
            .await
            .unwrap_err();
        let webhooks::WebhookError::Invalid(f) = refused else {
            panic!("{url}: {refused:?}");
        };
        assert!(f.get("url").is_some(), "{url}: {f:?}");
    }
    // A name that pointed somewhere allowed at save time and points inside now: the attempt
    // checks the address it would connect to and sends nothing.
    let receiver = Receiver::start(&[]).await;
    let hook = webhooks::create(
        s.hub(),
        &user,
        &repo,
        form(&receiver.url, &all_events(), ""),
    )
    .await
    .unwrap();
    sqlx::query("UPDATE webhooks SET url = 'http://10.255.255.1:9/hook' WHERE id = $1")
        .bind(hook.id)
        .execute(s.hub().db.pool())
        .await
        .unwrap();
    webhooks::send_test(s.hub(), &user, &repo, hook.id)
        .await
        .unwrap();
    let log = log_when(s.hub(), &user, &repo, hook.id, |l| l[0].state != "pending").await;
    let delivery = &log[0];
    assert_eq!(
        delivery.state, "refused",
        "not retried: a policy, not a failure"
    );
    let attempt = &delivery.attempts[0];
    assert!(
        attempt
            .error
            .as_deref()
            .unwrap()
            .contains("nothing was sent"),
        "{attempt:?}"
    );
    assert_eq!(attempt.status, None);
    assert!(
        attempt.duration_ms < 1000,
        "no connection was tried: {} ms",
        attempt.duration_ms
    );
    assert!(receiver.received().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_pending_at_a_restart_is_delivered_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_string_lossy().to_string();
    let backend = berth_core::testing::fresh_backend().await;
    let mut pairs = vec![
        ("BERTH_DATA_DIR", data.as_str()),
        ("BERTH_ADDR", "127.0.0.1:0"),
        ("BERTH_WEBHOOK_ALLOW", "127.0.0.1"),
    ];
    pairs.extend(backend.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let config = || berth_core::Config::from_pairs(&pairs).unwrap();
    // The receiver's port is chosen now; nothing listens there until after the restart.
    let reserved = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = reserved.local_addr().unwrap().port();
    drop(reserved);
    let url = format!("http://127.0.0.1:{port}/hook");

    let first = berth_server::start(config()).await.unwrap();
    register(&first.hub, "restarthook", "restart password", true, false).await;
    let user = berth_core::accounts::user_by_name(&first.hub, "restarthook")
        .await
        .unwrap()
        .unwrap();
    berth_core::repositories::create(
        &first.hub,
        &user,
        berth_core::repositories::NewRepo {
            namespace: "restarthook",
            name: "app",
            description: "",
            private: false,
        },
    )
    .await
    .unwrap();
    let hook = webhooks::create(
        &first.hub,
        &user,
        "restarthook/app",
        form(&url, &all_events(), ""),
    )
    .await
    .unwrap();
    webhooks::send_test(&first.hub, &user, "restarthook/app", hook.id)
        .await
        .unwrap();
    // The first attempt fails (nothing listens) and the delivery waits for its retry.
    log_when(&first.hub, &user, "restarthook/app", hook.id, |l| {
        l[0].state == "retrying"
    })
    .await;
    first.shutdown().await.unwrap();

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let receiver = Receiver::serve(listener, &[]);
    let second = berth_server::start(config()).await.unwrap();
    let got = receiver.wait_for(1).await;
    assert_eq!(got[0].header("x-berth-event"), "test");
    // The log records the answer just after the receiver has it. The first server may have
    // retried once more before it stopped (a slow shutdown); every attempt before the last
    // failed, the last (the second server's) succeeded.
    let log = log_when(&second.hub, &user, "restarthook/app", hook.id, |l| {
        l[0].state == "delivered"
    })
    .await;
    let tries = &log[0].attempts;
    assert!(tries.len() >= 2, "{tries:?}");
    assert_eq!(tries.last().unwrap().status, Some(200));
    assert!(tries[..tries.len() - 1]
        .iter()
        .all(|a| a.status.is_none() && a.error.is_some()));
    assert_eq!(receiver.received().len(), 1, "delivered once");
    second.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_on_the_pages_with_plain_forms() {
    let s = TestServer::shared();
    let alice = Reg::user("hookweb", true, false).await;
    let repo = format!("{}/app", alice.name());
    alice.push_image(&repo, "v0", b"first").await;
    let (name, password) = alice.login.clone().unwrap();
    let c = web_session(s, &name, &password).await;
    let receiver = Receiver::start(&[]).await;
    let settings = format!("/r/{repo}?tab=settings&section=webhooks");

    // A refused address comes back beside the field, with what was typed.
    let res = post_form(
        s,
        &c,
        "/api/webhooks/create",
        &settings,
        &[
            ("full_name", &repo),
            ("name", "ci"),
            ("url", "http://169.254.169.254/"),
            ("secret", ""),
            ("tag_pushed", "on"),
        ],
    )
    .await;
    let back = location(&res);
    let (_, html) = get_html(s, &c, back.trim_start_matches(&s.base)).await;
    assert!(html.contains("which webhooks may not reach"), "{html}");
    assert!(html.contains("value=\"http://169.254.169.254/\""));

    let res = post_form(
        s,
        &c,
        "/api/webhooks/create",
        &settings,
        &[
            ("full_name", &repo),
            ("name", "ci <b>"),
            ("url", &receiver.url),
            ("secret", "s3"),
            ("tag_pushed", "on"),
        ],
    )
    .await;
    let page = location(&res);
    assert!(page.contains(&format!("/r/{repo}/webhooks/")), "{page}");
    let id = page
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let (_, html) = get_html(s, &c, &settings).await;
    assert!(html.contains("ci &lt;b&gt;"), "the name is text");
    let res = post_form(
        s,
        &c,
        "/api/webhooks/test",
        &page,
        &[("full_name", &repo), ("id", &id)],
    )
    .await;
    assert!(location(&res).ends_with("?saved=test"));
    receiver.wait_for(1).await;
    let hook_page = format!("/r/{repo}/webhooks/{id}");
    let html = loop {
        let (code, html) = get_html(s, &c, &hook_page).await;
        assert_eq!(code, 200);
        if html.contains(">delivered<") {
            break html;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(html.contains("X-Berth-Event: test"), "{html}");
    // Another user, and a visitor, find no such page.
    let other = Reg::user("hookother", true, false).await;
    let (on, op) = other.login.clone().unwrap();
    let oc = web_session(s, &on, &op).await;
    for client in [&oc, &s.client()] {
        let (code, html) = get_html(s, client, &hook_page).await;
        assert!(
            code >= 400,
            "a public repository's webhooks are its managers' alone: {code}"
        );
        assert!(!html.contains(&receiver.url) && !html.contains("X-Berth-Event"));
    }
}
