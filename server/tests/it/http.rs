//! The running server over HTTP: account flows as a browser without JavaScript sends them
//! (forms, `Accept: text/html`, redirects) and as the hydrated app sends them (fetch, JSON).

use crate::common;

use common::*;

const PW: &str = "correct-horse-9";

async fn sign_up(s: &TestServer, c: &reqwest::Client, name: &str) -> reqwest::Response {
    let email = format!("{name}@example.com");
    post_form(
        s,
        c,
        "/api/signup",
        "/signup",
        &[("username", name), ("email", &email), ("password", PW)],
    )
    .await
}

/// Signs up, then logs in with the password (a sign-up alone logs nobody in: the mailed link
/// does, or the password).
async fn sign_up_and_log_in(s: &TestServer, c: &reqwest::Client, name: &str) {
    sign_up(s, c, name).await;
    let res = post_form(
        s,
        c,
        "/api/login",
        "/login",
        &[("login", name), ("password", PW)],
    )
    .await;
    assert_eq!(location(&res), "/");
}

/// Changes a user's tokens directly, to stand in for time passing.
async fn age_tokens(s: &TestServer, username: &str, set: &str) {
    let statement = format!(
        "UPDATE user_tokens SET {set} WHERE user_id = (SELECT id FROM users WHERE username = $1)"
    );
    sqlx::query(&statement)
        .bind(username)
        .execute(s.hub().db.pool())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_render_on_the_server_with_titles() {
    let s = TestServer::shared();
    let c = s.client();
    let (status, html) = get_html(s, &c, "/").await;
    assert_eq!(status, 200);
    assert!(html.contains("Your own container hub"));
    assert!(html.contains("<title>Berth</title>"), "{html}");
    assert!(
        html.contains("/pkg/berth.js"),
        "hydration script referenced"
    );
    let (status, html) = get_html(s, &c, "/signup").await;
    assert_eq!(status, 200);
    assert!(html.contains("<title>Sign up · Berth</title>"));
    assert!(
        html.contains(r#"action="/api/signup""#),
        "plain form post target: {html}"
    );
    let (status, _) = get_html(s, &c, "/login").await;
    assert_eq!(status, 200);
    let (status, html) = get_html(s, &c, "/no/such/page").await;
    assert_eq!(status, 404);
    assert!(html.contains("Page not found"));
    let (status, _) = get_html(s, &c, "/u/nobody").await;
    assert_eq!(status, 404);
    assert_eq!(
        c.get(s.url("/healthz"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "ok"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signup_without_javascript_redirects_sets_a_safe_cookie_and_mails_a_link() {
    let s = TestServer::shared();
    let c = s.client();
    let res = sign_up(s, &c, "alice").await;
    assert_eq!(res.status(), 302);
    assert_eq!(location(&res), "/welcome");
    let cookie = res
        .headers()
        .get("set-cookie")
        .expect("session cookie")
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("berth_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain-http public URL: no Secure flag: {cookie}"
    );
    let (status, html) = get_html(s, &c, "/welcome").await;
    assert_eq!(status, 200);
    assert!(html.contains("Welcome to Berth, alice!"), "{html}");
    assert!(html.contains("a•••@example.com"));
    let mail = s.mail_to("alice@example.com", 1).await;
    assert!(mail.contains("Subject: Please confirm email for your Berth ID"));
    assert!(mail.contains("Content-Type: text/plain") && mail.contains("Content-Type: text/html"));
    assert!(mail.contains("Confirm your email"));
    assert!(link(&mail, "/confirm-email").len() > 50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signup_errors_come_back_next_to_the_fields_with_the_input_kept() {
    let s = TestServer::shared();
    let c = s.client();
    let res = post_form(
        s,
        &c,
        "/api/signup",
        "/signup",
        &[
            ("username", "Bad Name"),
            ("email", "nope"),
            ("password", "short"),
        ],
    )
    .await;
    assert_eq!(res.status(), 302);
    // Back to the form; the errors and what was typed wait in the session, not in the URL.
    let back = location(&res);
    assert_eq!(back, "/signup#refused");
    let (status, html) = get_html(s, &c, &back).await;
    assert_eq!(status, 200);
    assert!(html.contains("only lowercase letters"), "{html}");
    assert!(html.contains("Enter a valid email address"));
    assert!(html.contains("at least 9 characters"));
    assert!(html.contains(r#"value="Bad Name""#), "typed name kept");
    assert!(html.contains(r#"value="nope""#), "typed email kept");
    assert!(html.contains(r#"aria-invalid="true""#));

    // The same through the app's fetch client: a JSON error, no redirect.
    let res = post_fetch(
        s,
        &c,
        "/api/signup",
        &[
            ("username", "ab"),
            ("email", "x@example.com"),
            ("password", PW),
        ],
    )
    .await;
    assert!(
        res.status().is_server_error() || res.status().is_client_error(),
        "{}",
        res.status()
    );
    let body: serde_json::Value = res.json().await.unwrap();
    let fields = &body["Form"]["fields"];
    assert_eq!(fields[0][0], "username", "{body}");
    assert!(fields[0][1].as_str().unwrap().contains("4 to 30"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signup_through_fetch_answers_with_a_client_side_redirect() {
    let s = TestServer::shared();
    let c = s.client();
    let res = post_fetch(
        s,
        &c,
        "/api/signup",
        &[
            ("username", "bobby"),
            ("email", "bobby@example.com"),
            ("password", PW),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(location(&res), "/welcome");
    assert!(res.headers().contains_key("serverfnredirect"));
    let (_, welcome) = get_html(s, &c, "/welcome").await;
    assert!(welcome.contains("Welcome to Berth, bobby!"), "{welcome}");
    // Nobody is logged in by a sign-up: the mailed link (or the password) does that.
    let (_, html) = get_html(s, &c, "/").await;
    assert!(html.contains("Your own container hub"), "{html}");
    // The same address again, under a free name: answered exactly as a new address (nothing
    // tells that bobby@example.com has an account), no account made, and its owner told.
    let c3 = s.client();
    let res = post_fetch(
        s,
        &c3,
        "/api/signup",
        &[
            ("username", "bobby2"),
            ("email", "bobby@example.com"),
            ("password", PW),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(location(&res), "/welcome");
    let (_, again) = get_html(s, &c3, "/welcome").await;
    assert_eq!(
        again.replace("bobby2", "bobby").len(),
        welcome.len(),
        "the same page: {again}"
    );
    assert!(
        berth_core::accounts::user_by_name(s.hub(), "bobby2")
            .await
            .unwrap()
            .is_none(),
        "no account"
    );
    let told = s.mail_to("bobby@example.com", 2).await;
    assert!(
        told.contains("Subject: Someone tried to sign up for Berth with your address"),
        "{told}"
    );
    // The same name again is refused with the message for that field.
    let c2 = s.client();
    let res = post_fetch(
        s,
        &c2,
        "/api/signup",
        &[
            ("username", "bobby"),
            ("email", "other@example.com"),
            ("password", PW),
        ],
    )
    .await;
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(
        body["Form"]["fields"][0][1]
            .as_str()
            .unwrap()
            .contains("already taken"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirmation_link_logs_in_once_and_then_explains_itself() {
    let s = TestServer::shared();
    let signup_client = s.client();
    sign_up(s, &signup_client, "carol").await;
    let mail = s.mail_to("carol@example.com", 1).await;
    let confirm = link(&mail, "/confirm-email");

    // Opened in another browser: it logs carol in there, under a new session.
    let c = s.client();
    let res = c
        .get(s.url(&confirm))
        .header("accept", HTML)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/?confirmed=1");
    assert!(res.headers().get("set-cookie").is_some());
    let (_, html) = get_html(s, &c, "/?confirmed=1").await;
    assert!(html.contains("Your email address is confirmed"), "{html}");
    assert!(html.contains("carol"));

    let res = c.get(s.url(&confirm)).send().await.unwrap();
    assert_eq!(location(&res), "/confirm-email/failed?reason=used");
    let (status, html) = get_html(s, &c, "/confirm-email/failed?reason=used").await;
    assert_eq!(status, 410);
    assert!(html.contains("already been used"));

    let res = c
        .get(s.url("/confirm-email?token=forged"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/confirm-email/failed?reason=invalid");
    let (status, _) = get_html(s, &c, "/confirm-email/failed?reason=invalid").await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_confirmation_links_are_refused() {
    let s = TestServer::shared();
    let c = s.client();
    sign_up_and_log_in(s, &c, "dave").await;
    let confirm = link(&s.mail_to("dave@example.com", 1).await, "/confirm-email");
    age_tokens(s, "dave", "expires_at = 0").await;
    let res = c.get(s.url(&confirm)).send().await.unwrap();
    assert_eq!(location(&res), "/confirm-email/failed?reason=expired");
    let (status, html) = get_html(s, &c, "/confirm-email/failed?reason=expired").await;
    assert_eq!(status, 410);
    assert!(html.contains("has expired"));
    assert!(
        html.contains("Resend confirmation email"),
        "dave is logged in: offer a new link"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resend_sends_a_new_link_and_is_rate_limited() {
    let s = TestServer::shared();
    let c = s.client();
    sign_up_and_log_in(s, &c, "erin").await;
    s.mail_to("erin@example.com", 1).await;
    let res = post_form(s, &c, "/api/resend-confirmation", "/welcome", &[]).await;
    let back = location(&res);
    assert_eq!(back, "/welcome#refused", "too soon: back to the form");
    let (_, html) = get_html(s, &c, &back).await;
    assert!(html.contains("less than a minute ago"), "{html}");
    age_tokens(s, "erin", "created_at = created_at - 120").await;
    let res = post_form(s, &c, "/api/resend-confirmation", "/welcome", &[]).await;
    assert_eq!(location(&res), "/welcome?resent=1");
    let second = s.mail_to("erin@example.com", 2).await;
    assert_ne!(
        link(&second, "/confirm-email"),
        link(&s.mail_to("erin@example.com", 1).await, "/confirm-email")
    );
    // Logged out, there is nobody to resend to.
    let res = post_fetch(s, &s.client(), "/api/resend-confirmation", &[]).await;
    assert_eq!(res.status(), 401);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body, serde_json::json!("LoginRequired"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_logout_with_name_or_email_and_one_generic_error() {
    let s = TestServer::shared();
    sign_up(s, &s.client(), "frank").await;
    let c = s.client();
    for (login, pw) in [("frank", "wrong-password"), ("nobody", PW)] {
        let res = post_form(
            s,
            &c,
            "/api/login",
            "/login",
            &[("login", login), ("password", pw)],
        )
        .await;
        let back = location(&res);
        let (_, html) = get_html(s, &c, back.trim_start_matches(&s.base)).await;
        assert!(
            html.contains("Incorrect Berth ID, email or password."),
            "{login}: {html}"
        );
        assert!(html.contains(&format!(r#"value="{login}""#)), "login kept");
    }
    let res = post_form(
        s,
        &c,
        "/api/login",
        "/login",
        &[("login", "FRANK@example.com"), ("password", PW)],
    )
    .await;
    assert_eq!(location(&res), "/");
    let (_, html) = get_html(s, &c, "/").await;
    assert!(
        html.contains("Repositories") && html.contains("frank"),
        "{html}"
    );
    let res = post_form(s, &c, "/api/logout", "/", &[]).await;
    assert_eq!(location(&res), "/");
    let (_, html) = get_html(s, &c, "/").await;
    assert!(html.contains("Your own container hub"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_id_changes_at_login() {
    let s = TestServer::shared();
    sign_up(s, &s.client(), "grace").await;
    let c = s.client();
    // Any session the visitor had before logging in is replaced.
    let res = post_form(
        s,
        &c,
        "/api/login",
        "/login",
        &[("login", "grace"), ("password", "bad-password")],
    )
    .await;
    let before = res
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().to_string());
    let res = post_form(
        s,
        &c,
        "/api/login",
        "/login",
        &[("login", "grace"), ("password", PW)],
    )
    .await;
    let after = res
        .headers()
        .get("set-cookie")
        .expect("new session cookie")
        .to_str()
        .unwrap()
        .to_string();
    assert_ne!(before, Some(after));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_reset_by_mail_ends_every_session() {
    let s = TestServer::shared();
    let other_device = s.client();
    sign_up_and_log_in(s, &other_device, "heidi").await;
    let (_, html) = get_html(s, &other_device, "/").await;
    assert!(html.contains("heidi"));

    let c = s.client();
    let res = post_form(
        s,
        &c,
        "/api/forgot-password",
        "/forgot-password",
        &[("email", "nobody@example.com")],
    )
    .await;
    assert_eq!(
        location(&res),
        "/forgot-password?sent=1",
        "same answer for unknown addresses"
    );
    let res = post_form(
        s,
        &c,
        "/api/forgot-password",
        "/forgot-password",
        &[("email", "heidi@example.com")],
    )
    .await;
    assert_eq!(location(&res), "/forgot-password?sent=1");
    let (_, html) = get_html(s, &c, "/forgot-password?sent=1").await;
    assert!(
        html.contains("we&#x27;ve sent it a link") || html.contains("we've sent it a link"),
        "{html}"
    );

    let mail = s.mail_to("heidi@example.com", 2).await;
    assert!(mail.contains("Subject: Reset the password of your Berth ID"));
    let reset = link(&mail, "/reset-password");
    let token = reset.split("token=").nth(1).unwrap().to_string();
    let (status, html) = get_html(s, &c, &reset).await;
    assert_eq!(status, 200);
    assert!(html.contains("Choose a new password"));

    let res = post_form(
        s,
        &c,
        "/api/reset-password",
        &reset,
        &[("token", &token), ("password", "short")],
    )
    .await;
    let (_, html) = get_html(s, &c, location(&res).trim_start_matches(&s.base)).await;
    assert!(html.contains("at least 9 characters"), "{html}");

    let res = post_form(
        s,
        &c,
        "/api/reset-password",
        &reset,
        &[("token", &token), ("password", "brand-new-pass")],
    )
    .await;
    assert_eq!(location(&res), "/login?reset=1");
    // The other device's session is over.
    let (_, html) = get_html(s, &other_device, "/").await;
    assert!(
        html.contains("Your own container hub"),
        "logged out everywhere"
    );
    let res = post_form(
        s,
        &c,
        "/api/login",
        "/login",
        &[("login", "heidi"), ("password", PW)],
    )
    .await;
    assert_ne!(location(&res), "/", "old password refused");
    let res = post_form(
        s,
        &c,
        "/api/login",
        "/login",
        &[("login", "heidi"), ("password", "brand-new-pass")],
    )
    .await;
    assert_eq!(location(&res), "/");
    // The link is spent.
    let (status, html) = get_html(s, &c, &reset).await;
    assert_eq!(status, 410);
    assert!(html.contains("already been used"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_site_form_posts_are_refused() {
    let s = TestServer::shared();
    sign_up(s, &s.client(), "ivan").await;
    let c = s.client();
    let res = c
        .post(s.url("/api/login"))
        .header("accept", HTML)
        .header("origin", "http://evil.example")
        .form(&[("login", "ivan"), ("password", PW)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = c
        .post(s.url("/api/logout"))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}
