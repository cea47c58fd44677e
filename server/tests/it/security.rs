//! Access tokens and account security over HTTP: each token level and limit on the registry,
//! revocation felt by the very next request, two-factor authentication on the web and the
//! registry, rate limits (429 with `Retry-After`), and the Security page's forms without
//! JavaScript.

use reqwest::{header, StatusCode};
use serde_json::Value;

use crate::common::{reg::Reg, *};
use berth_core::{
    accounts::{
        self,
        access_tokens::{self, NewToken},
        security,
    },
    activity::Origin,
    clock,
};

const PW: &str = "correct-horse-battery";

async fn user_named(hub: &berth_core::Hub, name: &str) -> accounts::User {
    accounts::user_by_name(hub, name).await.unwrap().unwrap()
}

/// A token of `owner` made through the domain; its secret.
async fn new_token(s: &TestServer, owner: &str, level: &str, limits: &str) -> (i64, String) {
    let u = user_named(s.hub(), owner).await;
    let (t, secret) = access_tokens::create(
        s.hub(),
        &u,
        NewToken {
            description: "ci",
            level,
            expiry: "30",
            expiry_date: "",
            limits,
        },
        &Origin::default(),
    )
    .await
    .unwrap();
    (t.id, secret)
}

async fn registry_error(res: reqwest::Response) -> (u16, String, String) {
    let status = res.status().as_u16();
    let v: Value = res.json().await.unwrap();
    (
        status,
        v["errors"][0]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        v["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

/// A bearer token from `/token` for `repo` (pull, push, delete asked for), as `login` if given.
async fn bearer(s: &TestServer, login: Option<(&str, &str)>, repo: &str) -> String {
    Reg::new(&s.base, login)
        .token(&[format!("repository:{repo}:pull,push,delete")])
        .await
}

async fn get_manifest(s: &TestServer, bearer: &str, repo: &str, tag: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(s.url(&format!("/v2/{repo}/manifests/{tag}")))
        .header(header::ACCEPT, "application/vnd.oci.image.manifest.v1+json")
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap()
}

async fn start_upload(s: &TestServer, bearer: &str, repo: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(s.url(&format!("/v2/{repo}/blobs/uploads/")))
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap()
}

async fn enable_two_factor(s: &TestServer, name: &str) -> (String, Vec<String>) {
    let u = user_named(s.hub(), name).await;
    let setup = security::begin_two_factor(s.hub(), &u).await.unwrap();
    let code = security::totp_code(&setup.secret, clock::now()).unwrap();
    let codes = security::enable_two_factor(s.hub(), &u, &code, &Origin::default())
        .await
        .unwrap();
    (setup.secret, codes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_token_level_and_limit_holds_on_the_registry_and_says_why() {
    let s = TestServer::shared();
    let alice = Reg::user("tokalice", true, false).await;
    let me = alice.name().to_string();
    let owner = user_named(s.hub(), &me).await;
    berth_core::repositories::set_default_private(s.hub(), &owner, true)
        .await
        .unwrap();
    let app = format!("{me}/app");
    alice.push_image(&app, "v1", b"app layer").await;
    // The free plan holds one private repository; the next ones are public.
    berth_core::repositories::set_default_private(s.hub(), &owner, false)
        .await
        .unwrap();

    // Read & write: push and pull.
    let (_, rw) = new_token(s, &me, "read_write", "").await;
    let with_rw = Reg::new(&s.base, Some((&me, &rw)));
    with_rw.push_image(&app, "v2", b"pushed with a token").await;
    let t = bearer(s, Some((&me, &rw)), &app).await;
    assert_eq!(get_manifest(s, &t, &app, "v2").await.status(), 200);
    // ... but not delete.
    let res = reqwest::Client::new()
        .delete(s.url(&format!("/v2/{app}/manifests/v2")))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    let (status, code, message) = registry_error(res).await;
    assert_eq!((status, code.as_str()), (403, "DENIED"));
    assert!(message.contains("not delete"), "{message}");

    // Read-only: pulls; a push is refused with the reason.
    let (_, ro) = new_token(s, &me, "read", "").await;
    let t = bearer(s, Some((&me, &ro)), &app).await;
    assert_eq!(get_manifest(s, &t, &app, "v1").await.status(), 200);
    let (status, code, message) = registry_error(start_upload(s, &t, &app).await).await;
    assert_eq!((status, code.as_str()), (403, "DENIED"));
    assert!(message.contains("this token is read-only"), "{message}");

    // Public read-only: sees what an anonymous caller sees, so the owner's private repository
    // does not exist for it, in the catalog either.
    let (_, public) = new_token(s, &me, "public_read", "").await;
    let t = bearer(s, Some((&me, &public)), &app).await;
    let (status, code, _) = registry_error(get_manifest(s, &t, &app, "v1").await).await;
    assert_eq!((status, code.as_str()), (404, "NAME_UNKNOWN"));
    let t = Reg::new(&s.base, Some((&me, &public)))
        .token(&["registry:catalog:*".to_string()])
        .await;
    let listed: Value = reqwest::Client::new()
        .get(s.url("/v2/_catalog?n=10000"))
        .bearer_auth(t)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        !listed["repositories"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n == app.as_str()),
        "a public-only token lists a private repository: {listed}"
    );

    // Limited to another repository: refused here, with the limit named.
    let other = format!("{me}/other");
    let (_, limited) = new_token(s, &me, "read_write_delete", &other).await;
    let t = bearer(s, Some((&me, &limited)), &app).await;
    let (status, code, message) = registry_error(get_manifest(s, &t, &app, "v1").await).await;
    assert_eq!((status, code.as_str()), (403, "DENIED"));
    assert_eq!(
        message,
        format!("requested access to the resource is denied: this token is limited to {other}")
    );
    // ... and the catalog shows only what it may reach.
    Reg::new(&s.base, Some((&me, &limited)))
        .push_image(&other, "v1", b"other layer")
        .await;
    let t = Reg::new(&s.base, Some((&me, &limited)))
        .token(&["registry:catalog:*".to_string()])
        .await;
    let catalog: Value = reqwest::Client::new()
        .get(s.url("/v2/_catalog?n=1000"))
        .bearer_auth(t)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = catalog["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .filter(|n| n.starts_with(&format!("{me}/")))
        .collect();
    assert_eq!(names, [other.as_str()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_revocation_is_felt_by_the_next_request() {
    let s = TestServer::shared();
    let alice = Reg::user("revalice", true, false).await;
    let bob = Reg::user("revbob", true, false).await;
    let me = alice.name().to_string();
    let owner = user_named(s.hub(), &me).await;
    let shared = format!("{me}/shared");
    alice.push_image(&shared, "v1", b"shared layer").await;

    // A deactivated token: the bearer token issued a moment ago stops working.
    let (id, secret) = new_token(s, &me, "read", "").await;
    let t = bearer(s, Some((&me, &secret)), &shared).await;
    assert_eq!(get_manifest(s, &t, &shared, "v1").await.status(), 200);
    access_tokens::set_active(s.hub(), &owner, id, false, &Origin::default())
        .await
        .unwrap();
    let (status, code, message) = registry_error(get_manifest(s, &t, &shared, "v1").await).await;
    assert_eq!((status, code.as_str()), (401, "UNAUTHORIZED"));
    assert!(message.contains("deactivated"), "{message}");
    // docker login with it is refused too, and saying so.
    let res = reqwest::Client::new()
        .get(s.url("/token?service=berth"))
        .basic_auth(&me, Some(&secret))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("deactivated"));

    // A removed collaborator.
    berth_core::repositories::set_visibility(s.hub(), &owner, &shared, true, &shared)
        .await
        .unwrap();
    berth_core::repositories::add_collaborator(s.hub(), &owner, &shared, bob.name())
        .await
        .unwrap();
    let t = bearer(s, Some((bob.name(), reg::PASSWORD)), &shared).await;
    assert_eq!(get_manifest(s, &t, &shared, "v1").await.status(), 200);
    assert_eq!(start_upload(s, &t, &shared).await.status(), 202);
    berth_core::repositories::remove_collaborator(s.hub(), &owner, &shared, bob.name())
        .await
        .unwrap();
    let (status, code, _) = registry_error(get_manifest(s, &t, &shared, "v1").await).await;
    assert_eq!((status, code.as_str()), (404, "NAME_UNKNOWN"));
    let (status, code, _) = registry_error(start_upload(s, &t, &shared).await).await;
    assert_eq!((status, code.as_str()), (403, "DENIED"));

    // A repository made private: an anonymous puller's token stops working.
    let carol = Reg::user("revcarol", true, false).await;
    let owner = user_named(s.hub(), carol.name()).await;
    let public = format!("{}/public", carol.name());
    carol.push_image(&public, "v1", b"public layer").await;
    let t = bearer(s, None, &public).await;
    assert_eq!(get_manifest(s, &t, &public, "v1").await.status(), 200);
    berth_core::repositories::set_visibility(s.hub(), &owner, &public, true, &public)
        .await
        .unwrap();
    assert_eq!(get_manifest(s, &t, &public, "v1").await.status(), 401);

    // A password reset: tokens issued with the old password end.
    let t = bearer(
        s,
        Some((bob.name(), reg::PASSWORD)),
        &format!("{}/xy", bob.name()),
    )
    .await;
    let bob_user = user_named(s.hub(), bob.name()).await;
    accounts::send_reset_link(s.hub(), &bob_user.email)
        .await
        .unwrap();
    let mail = s.mail_to(&bob_user.email, 1).await;
    let reset = link(&mail, "/reset-password");
    let token = reset.split("token=").nth(1).unwrap();
    accounts::reset_password(s.hub(), token, "a-brand-new-pass")
        .await
        .unwrap();
    let res = reqwest::Client::new()
        .get(s.url(&format!("/v2/{}/xy/tags/list", bob.name())))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    let (status, _, message) = registry_error(res).await;
    assert_eq!(status, 401);
    assert!(message.contains("password"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_two_factor_on_the_registry_wants_a_token_and_says_so() {
    let s = TestServer::shared();
    let alice = Reg::user("tfareg", true, false).await;
    let me = alice.name().to_string();
    enable_two_factor(s, &me).await;
    let res = reqwest::Client::new()
        .get(s.url("/token?service=berth"))
        .basic_auth(&me, Some(reg::PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("use a personal access token as the password"),
        "{body}"
    );
    let (_, secret) = new_token(s, &me, "read_write", "").await;
    Reg::new(&s.base, Some((&me, &secret)))
        .push_image(&format!("{me}/app"), "v1", b"2fa layer")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_get_429_with_retry_after_and_the_owner_elsewhere_is_not_slowed() {
    let s = TestServer::shared();
    let name = unique("ratealice");
    register(s.hub(), &name, PW, true, false).await;
    let attacker = s.client();
    // Ten wrong passwords for one account from one address...
    for _ in 0..10 {
        let res = post_fetch(
            s,
            &attacker,
            "/api/login",
            &[("login", &name), ("password", "wrong-wrong")],
        )
        .await;
        assert_eq!(res.status(), 422);
    }
    // ... and that address is refused for the account, even with the right password.
    let res = post_fetch(
        s,
        &attacker,
        "/api/login",
        &[("login", &name), ("password", PW)],
    )
    .await;
    assert_eq!(res.status(), 429);
    let wait: i64 = res.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&wait), "{wait}");
    assert!(res.text().await.unwrap().contains("Too many attempts"));
    // Without JavaScript, the log-in page says so.
    let res = post_form(
        s,
        &attacker,
        "/api/login",
        "/login",
        &[("login", &name), ("password", PW)],
    )
    .await;
    let (_, html) = get_html(s, &attacker, &location(&res)).await;
    assert!(html.contains("Too many attempts. Try again in"), "{html}");
    // The owner, from another address, logs in at once.
    let owner = s.client();
    let res = post_fetch(
        s,
        &owner,
        "/api/login",
        &[("login", &name), ("password", PW)],
    )
    .await;
    assert!(
        res.status().is_success() || res.status().is_redirection(),
        "{}",
        res.status()
    );
    let (_, html) = get_html(s, &owner, "/").await;
    assert!(html.contains(&name));

    // One address trying many accounts on the registry: 429 TOOMANYREQUESTS after twenty.
    let address = client_address();
    let registry = s.client_at(&address);
    for i in 0..20 {
        let res = registry
            .get(s.url("/token?service=berth"))
            .basic_auth(format!("nobody{i}"), Some("guess-guess"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
    }
    let res = registry
        .get(s.url("/token?service=berth"))
        .basic_auth(&name, Some(PW))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key(header::RETRY_AFTER));
    let (_, code, message) = registry_error(res).await;
    assert_eq!(code, "TOOMANYREQUESTS");
    assert!(message.contains("too many failed logins"), "{message}");

    // Once the window has passed (moved back here), the right password works again.
    sqlx::query("UPDATE rate_counts SET window_start = window_start - 3600 WHERE bucket LIKE $1")
        .bind(format!("%{address}%"))
        .execute(s.hub().db.pool())
        .await
        .unwrap();
    let res = registry
        .get(s.url("/token?service=berth"))
        .basic_auth(&name, Some(PW))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

/// An IPv6 client counts by its /64, not by its address (a subscriber holds 2^64 of them):
/// wrong log-ins from 21 addresses of one /64 are limited as from one address. And wrong
/// passwords for one account from many unrelated addresses are slowed past the account's
/// ceiling to one guess a minute, while the owner, from an address they logged in from before,
/// still gets in at once. Both fail while limits count single addresses only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_networks_and_many_addresses_are_limited_without_locking_the_owner_out() {
    let s = TestServer::shared();
    // A /64 of the documentation range no other test uses.
    let v4: std::net::Ipv4Addr = client_address().parse().unwrap();
    let [_, a, b, c] = v4.octets();
    let net = format!("2001:db8:{a:x}{b:02x}:{c:x}");
    let token = |client: &reqwest::Client, login: String, password: &'static str| {
        client
            .get(s.url("/token?service=berth"))
            .basic_auth(login, Some(password))
            .send()
    };
    for i in 0..20 {
        let res = token(
            &s.client_at(&format!("{net}::{:x}", i + 1)),
            format!("nobody6x{i}"),
            "guess-guess",
        )
        .await
        .unwrap();
        assert_eq!(res.status(), 401, "attempt {i}");
    }
    let res = token(
        &s.client_at(&format!("{net}:ffff::1")),
        "nobody6y".into(),
        "guess-guess",
    )
    .await
    .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the /64 is one client"
    );
    // Another /64 is another client.
    let res = token(
        &s.client_at(&format!("{net}1::1")),
        "nobody6z".into(),
        "guess-guess",
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 401);

    // The owner logs in once from their address.
    let name = unique("ceilalice");
    register(s.hub(), &name, PW, true, false).await;
    let home = client_address();
    let owner = s.client_at(&home);
    let res = post_fetch(
        s,
        &owner,
        "/api/login",
        &[("login", &name), ("password", PW)],
    )
    .await;
    assert!(
        res.status().is_success() || res.status().is_redirection(),
        "{}",
        res.status()
    );
    // Twenty wrong passwords from twenty addresses are evaluated; past the ceiling, one more
    // guess a minute from a new address, and then 429.
    for i in 0..20 {
        let res = token(&s.client_at(&client_address()), name.clone(), "wrong-wrong")
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "guess {i}");
    }
    let res = token(&s.client_at(&client_address()), name.clone(), "wrong-wrong")
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "one guess a minute past the ceiling");
    let res = token(&s.client_at(&client_address()), name.clone(), PW)
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "slowed");
    let res = token(&owner, name.clone(), PW).await.unwrap();
    assert_eq!(res.status(), 200, "the owner's own address is not slowed");
}

/// Logs `c` in as `name` without JavaScript; returns where the log-in sent it.
async fn web_log_in(s: &TestServer, c: &reqwest::Client, name: &str, password: &str) -> String {
    let res = post_form(
        s,
        c,
        "/api/login",
        "/login",
        &[("login", name), ("password", password)],
    )
    .await;
    location(&res)
}

/// The text of the first `<code class="CLASS">` on the page.
fn code_text(html: &str, class: &str) -> Option<String> {
    let start = html.find(&format!(r#"<code class="{class}">"#))?;
    let rest = &html[start..];
    let open = rest.find('>')? + 1;
    let close = rest.find("</code>")?;
    Some(rest[open..close].to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_security_page_makes_shows_once_and_deactivates_tokens_without_javascript() {
    let s = TestServer::shared();
    let name = unique("pagealice");
    register(s.hub(), &name, PW, true, false).await;
    let c = s.client();
    let (_, html) = get_html(s, &c, "/settings/security").await;
    assert!(html.contains("Log in to manage your account"));
    assert_eq!(web_log_in(s, &c, &name, PW).await, "/");

    // A refused form comes back with the message beside the field and what was typed.
    let res = post_form(
        s,
        &c,
        "/api/security/tokens/create",
        "/settings/security",
        &[
            ("description", ""),
            ("level", "read"),
            ("expiry", "date"),
            ("expiry_date", "1999-01-01"),
            ("limits", "</textarea><b>x"),
        ],
    )
    .await;
    let (_, html) = get_html(s, &c, &location(&res)).await;
    assert!(html.contains("Describe what the token is for"), "{html}");
    assert!(html.contains("Choose a date in the future."));
    assert!(html.contains("neither a namespace"));
    assert!(!html.contains("<b>x"), "typed text is escaped");

    let res = post_form(
        s,
        &c,
        "/api/security/tokens/create",
        "/settings/security",
        &[
            ("description", "laptop <script>"),
            ("level", "read_write"),
            ("expiry", "90"),
            ("limits", ""),
        ],
    )
    .await;
    assert_eq!(location(&res), "/settings/security#new-token");
    let (_, html) = get_html(s, &c, "/settings/security").await;
    let start = html.find("berth_pat_").expect("the new token, shown once");
    let secret: String = html[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    assert!(
        html.contains(&format!(
            "docker login 127.0.0.1:{} -u {name} --password-stdin",
            s.base.rsplit(':').next().unwrap()
        )),
        "{html}"
    );
    assert!(html.contains("laptop &lt;script&gt;") && !html.contains("laptop <script>"));
    assert!(html.contains("Read &amp; write"));
    let (_, again) = get_html(s, &c, "/settings/security").await;
    assert!(!again.contains("berth_pat_"), "shown once only");

    // It works as the registry password, and its use is listed.
    let res = reqwest::Client::new()
        .get(s.url("/token?service=berth"))
        .basic_auth(&name, Some(&secret))
        .header(header::USER_AGENT, "docker/27.5.1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (_, html) = get_html(s, &c, "/settings/security").await;
    assert!(
        html.contains("with docker 27.5.1"),
        "last used: the client, not its whole User-Agent"
    );
    assert!(html.contains("Access token used"), "activity");

    // Deactivate it from the page.
    let id = access_tokens::list(s.hub(), &user_named(s.hub(), &name).await)
        .await
        .unwrap()[0]
        .id
        .to_string();
    let res = post_form(
        s,
        &c,
        "/api/security/tokens/change",
        "/settings/security",
        &[("id", &id), ("change", "deactivate")],
    )
    .await;
    assert_eq!(location(&res), "/settings/security?saved=tokens#tokens");
    let (_, html) = get_html(s, &c, "/settings/security?saved=tokens").await;
    assert!(html.contains("Token updated.") && html.contains("Inactive"));
    assert!(html.contains("Access token deactivated"));
    let res = reqwest::Client::new()
        .get(s.url("/token?service=berth"))
        .basic_auth(&name, Some(&secret))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // Nobody else can touch it.
    let other = unique("pagemallory");
    register(s.hub(), &other, PW, true, false).await;
    let m = s.client();
    web_log_in(s, &m, &other, PW).await;
    let res = post_fetch(
        s,
        &m,
        "/api/security/tokens/change",
        &[("id", &id), ("change", "delete")],
    )
    .await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        access_tokens::list(s.hub(), &user_named(s.hub(), &name).await)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_factor_on_the_web_with_codes_and_recovery_codes() {
    let s = TestServer::shared();
    let name = unique("webtfa");
    register(s.hub(), &name, PW, true, false).await;
    let c = s.client();
    web_log_in(s, &c, &name, PW).await;
    let res = post_form(s, &c, "/api/security/2fa/begin", "/settings/security", &[]).await;
    assert_eq!(location(&res), "/settings/security#two-factor");
    let (_, html) = get_html(s, &c, "/settings/security").await;
    assert!(html.contains("<svg"), "QR code drawn on the page");
    let secret = code_text(&html, "setup-secret").expect("the key to type");
    let res = post_form(
        s,
        &c,
        "/api/security/2fa/enable",
        "/settings/security",
        &[("code", "000000")],
    )
    .await;
    let (_, html) = get_html(s, &c, &location(&res)).await;
    assert!(html.contains("That code does not match"));
    let code = security::totp_code(&secret, clock::now()).unwrap();
    post_form(
        s,
        &c,
        "/api/security/2fa/enable",
        "/settings/security",
        &[("code", &code)],
    )
    .await;
    let (_, html) = get_html(s, &c, "/settings/security?saved=2fa").await;
    assert!(html.contains("Two-factor authentication is on."));
    let recovery: Vec<String> = html
        .split("<li><code>")
        .skip(1)
        .map(|p| p[..p.find("</code>").unwrap()].to_string())
        .collect();
    assert_eq!(recovery.len(), 10, "{html}");
    let (_, again) = get_html(s, &c, "/settings/security").await;
    assert!(!again.contains(&recovery[0]), "recovery codes shown once");

    // The password alone leads to the code page; the right code logs in.
    let b = s.client();
    assert_eq!(web_log_in(s, &b, &name, PW).await, "/login/code");
    let (_, html) = get_html(s, &b, "/").await;
    assert!(!html.contains(&name), "not logged in yet");
    let res = post_form(
        s,
        &b,
        "/api/login-code",
        "/login/code",
        &[("code", "111111")],
    )
    .await;
    let (_, html) = get_html(s, &b, &location(&res)).await;
    assert!(html.contains("That code is not right"), "{html}");
    let next = security::totp_code(&secret, clock::now() + 30).unwrap();
    let res = post_form(s, &b, "/api/login-code", "/login/code", &[("code", &next)]).await;
    assert_eq!(location(&res), "/");
    let (_, html) = get_html(s, &b, "/").await;
    assert!(html.contains(&name));

    // A recovery code works once.
    for (attempt, expect_in) in [(0, true), (1, false)] {
        let d = s.client();
        web_log_in(s, &d, &name, PW).await;
        let res = post_form(
            s,
            &d,
            "/api/login-code",
            "/login/code",
            &[("code", &recovery[0])],
        )
        .await;
        // In, to the dashboard that says how many are left; or refused, back to the form.
        assert_eq!(
            location(&res) == "/?recovery_left=9",
            expect_in,
            "attempt {attempt}: {}",
            location(&res)
        );
        if expect_in {
            let (_, html) = get_html(s, &d, "/?recovery_left=9").await;
            assert!(
                html.contains("You logged in with a recovery code: 9 of 10 left."),
                "{html}"
            );
        }
    }
    // A code page visited without a password first sends back to log in.
    let (_, html) = get_html(s, &s.client(), "/login/code").await;
    assert!(html.contains("Log in with your password first."));

    let (_, html) = get_html(s, &c, "/settings/security").await;
    for line in [
        "Logged in with a two-factor code",
        "Logged in with a recovery code",
        "Two-factor authentication turned on",
        "Failed login",
    ] {
        assert!(html.contains(line), "{line} in the activity log");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_and_email_changes_and_account_deletion_on_the_page() {
    let s = TestServer::shared();
    let name = unique("chgalice");
    register(s.hub(), &name, PW, true, false).await;
    let here = s.client();
    let there = s.client();
    web_log_in(s, &here, &name, PW).await;
    web_log_in(s, &there, &name, PW).await;
    let res = post_form(
        s,
        &here,
        "/api/security/password",
        "/settings/security",
        &[
            ("current_password", "not-it-at-all"),
            ("new_password", "another-good-pass"),
        ],
    )
    .await;
    let (_, html) = get_html(s, &here, &location(&res)).await;
    assert!(html.contains("That is not your current password."));
    let res = post_form(
        s,
        &here,
        "/api/security/password",
        "/settings/security",
        &[
            ("current_password", PW),
            ("new_password", "another-good-pass"),
        ],
    )
    .await;
    assert_eq!(location(&res), "/settings/security?saved=password#password");
    let (_, html) = get_html(s, &here, "/settings/security?saved=password").await;
    assert!(html.contains("Password changed."), "this session goes on");
    let (_, html) = get_html(s, &there, "/settings/security").await;
    assert!(
        html.contains("Log in to manage your account"),
        "the other session ended"
    );

    // Email: the new address confirms; the old one is told.
    let new_email = format!("{name}-new@example.com");
    post_form(
        s,
        &here,
        "/api/security/email",
        "/settings/security",
        &[("email", &new_email)],
    )
    .await;
    let notice = s.mail_to(&format!("{name}@example.com"), 1).await;
    assert!(notice.contains(&new_email) && !notice.contains("token="));
    let mail = s.mail_to(&new_email, 1).await;
    let confirm = link(&mail, "/confirm-email-change");
    assert_eq!(
        user_named(s.hub(), &name).await.email,
        format!("{name}@example.com")
    );
    let (status, html) = get_html(s, &here, &confirm).await;
    assert!(status == 200 || status == 303, "{status} {html}");
    assert_eq!(user_named(s.hub(), &name).await.email, new_email);

    // Deleting: the Berth ID must be typed; afterwards the name is never free again.
    let res = post_form(
        s,
        &here,
        "/api/security/delete-account",
        "/settings/security",
        &[("confirm", "nope")],
    )
    .await;
    let (_, html) = get_html(s, &here, &location(&res)).await;
    assert!(html.contains(&format!("Type {name} to confirm.")));
    let res = post_form(
        s,
        &here,
        "/api/security/delete-account",
        "/settings/security",
        &[("confirm", &name)],
    )
    .await;
    assert_eq!(location(&res), "/?account_deleted=1");
    assert!(accounts::user_by_name(s.hub(), &name)
        .await
        .unwrap()
        .is_none());
    let res = post_fetch(
        s,
        &s.client(),
        "/api/signup",
        &[
            ("username", &name),
            ("email", "fresh@example.com"),
            ("password", PW),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
}
