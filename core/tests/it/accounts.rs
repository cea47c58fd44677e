//! Domain tests on a fresh database per test (SQLite, or PostgreSQL in `make test`'s second pass): the account rules end to end, below HTTP.

use berth_core::{
    accounts::{self, AccountError, NewAccount},
    jobs, Hub,
};

struct TestHub {
    hub: Hub,
    dir: tempfile::TempDir,
}

async fn hub_with(extra: &[(&str, &str)]) -> TestHub {
    let dir = tempfile::tempdir().unwrap();
    TestHub {
        hub: berth_core::testing::open_hub(dir.path(), extra).await,
        dir,
    }
}

async fn hub() -> TestHub {
    hub_with(&[]).await
}

/// A client as the web layer would describe it: loopback, a browser.
fn origin() -> berth_core::activity::Origin {
    berth_core::activity::Origin {
        ip: Some("127.0.0.1".into()),
        agent: Some("test".into()),
    }
}

fn acct<'a>(u: &'a str, e: &'a str) -> NewAccount<'a> {
    NewAccount {
        username: u,
        email: e,
        password: "s3cret-pass",
    }
}

/// The newest queued mail (not yet sent).
pub(crate) async fn newest_mail(h: &Hub) -> berth_core::mail::Mail {
    let payload: String =
        sqlx::query_scalar("SELECT payload FROM jobs WHERE kind = 'mail' ORDER BY id DESC LIMIT 1")
            .fetch_one(h.db.pool())
            .await
            .unwrap();
    match serde_json::from_str::<jobs::Job>(&payload).unwrap() {
        jobs::Job::Mail(m) => m,
        other => panic!("not a mail: {other:?}"),
    }
}

/// How many mails are queued, sent or not.
async fn mails_queued(h: &Hub) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE kind = 'mail'")
        .fetch_one(h.db.pool())
        .await
        .unwrap()
}

/// The token of the newest queued mail's link, read back the way a user would: from the mail.
async fn newest_link_token(h: &Hub, path: &str) -> String {
    let body = newest_mail(h).await.text;
    let marker = format!("{path}?token=");
    let start = body.find(&marker).expect("link in mail") + marker.len();
    body[start..].split_whitespace().next().unwrap().to_string()
}

/// Runs one statement directly, to stand in for time passing (older tokens, expired links).
async fn exec(h: &Hub, statement: &str) {
    sqlx::query(statement).execute(h.db.pool()).await.unwrap();
}

/// Signs up through the web's function, and returns the account it made.
async fn signed_up(h: &Hub, who: NewAccount<'_>) -> berth_core::accounts::User {
    let name = who.username.to_string();
    accounts::signup(h, who, &origin()).await.unwrap();
    accounts::user_by_name(h, &name).await.unwrap().unwrap()
}

fn field_error(err: AccountError, field: &str) -> String {
    match err {
        AccountError::Invalid(f) => f
            .get(field)
            .unwrap_or_else(|| panic!("no error for {field}: {f:?}"))
            .to_string(),
        other => panic!("expected field errors, got {other:?}"),
    }
}

#[tokio::test]
async fn signup_creates_an_unconfirmed_account_and_queues_a_confirmation_mail() {
    let t = hub().await;
    let u = signed_up(&t.hub, acct("alice", "Alice@Example.com")).await;
    assert_eq!(u.username, "alice");
    assert_eq!(u.email, "Alice@Example.com");
    assert!(!u.confirmed);
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(u.id)
        .fetch_one(t.hub.db.pool())
        .await
        .unwrap();
    assert!(hash.starts_with("$argon2id$"));
    assert_eq!(mails_queued(&t.hub).await, 1);
    assert_eq!(
        newest_mail(&t.hub).await.subject,
        "Please confirm email for your Berth ID"
    );
    // The stored token is a hash, never the secret in the link.
    let token = newest_link_token(&t.hub, "/confirm-email").await;
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM user_tokens")
        .fetch_all(t.hub.db.pool())
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token);
    assert_eq!(stored[0], berth_core::tokens::hash(&token));
}

#[tokio::test]
async fn signup_reports_every_bad_field_at_once() {
    let t = hub().await;
    let err = accounts::signup(
        &t.hub,
        NewAccount {
            username: "Bad Name",
            email: "nope",
            password: "short",
        },
        &origin(),
    )
    .await
    .unwrap_err();
    let AccountError::Invalid(f) = err else {
        panic!()
    };
    assert!(f.get("username").unwrap().contains("lowercase"));
    assert!(f.get("email").unwrap().contains("valid email"));
    assert!(f.get("password").unwrap().contains("at least 9"));
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(t.hub.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 0);
}

#[tokio::test]
async fn names_and_addresses_are_unique_and_emails_case_insensitive() {
    let t = hub().await;
    signed_up(&t.hub, acct("alice", "alice@example.com")).await;
    let e = accounts::signup(&t.hub, acct("alice", "other@example.com"), &origin())
        .await
        .unwrap_err();
    assert!(field_error(e, "username").contains("already taken"));
    // An address with an account is answered as a new one (the form tells nobody it has an
    // account): no account is made, and the owner is mailed instead.
    let mails = mails_queued(&t.hub).await;
    let same = accounts::signup(&t.hub, acct("alice2", "ALICE@example.COM"), &origin())
        .await
        .unwrap();
    assert_eq!(same.username, "alice2");
    assert!(accounts::user_by_name(&t.hub, "alice2")
        .await
        .unwrap()
        .is_none());
    assert_eq!(mails_queued(&t.hub).await, mails + 1);
    let told = newest_mail(&t.hub).await;
    assert_eq!(told.to, "alice@example.com");
    assert_eq!(
        told.subject,
        "Someone tried to sign up for Berth with your address"
    );
    // Registering it directly (the operator's command) is still refused, with the reason.
    let e = accounts::register(&t.hub, acct("alice3", "ALICE@example.COM"), false, false)
        .await
        .unwrap_err();
    assert!(field_error(e, "email").contains("already exists"));
    let e = accounts::signup(&t.hub, acct("library", "lib@example.com"), &origin())
        .await
        .unwrap_err();
    assert!(field_error(e, "username").contains("reserved"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_simultaneous_signups_for_one_name_exactly_one_wins() {
    let t = hub().await;
    for round in 0..5 {
        let name = format!("racer{round}");
        // Two tasks on the multi-threaded runtime: a real race between check and insert.
        let spawn = |email: String| {
            let (hub, name) = (t.hub.clone(), name.clone());
            tokio::spawn(
                async move { accounts::signup(&hub, acct(&name, &email), &origin()).await },
            )
        };
        let (a, b) = (
            spawn(format!("a{round}@example.com")),
            spawn(format!("b{round}@example.com")),
        );
        let (a, b) = (a.await.unwrap(), b.await.unwrap());
        let wins = [a.is_ok(), b.is_ok()].iter().filter(|x| **x).count();
        assert_eq!(wins, 1, "round {round}");
        let loser = if a.is_ok() { b } else { a };
        assert!(field_error(loser.unwrap_err(), "username").contains("already taken"));
    }
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(t.hub.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 5);
}

#[tokio::test]
async fn confirmation_link_works_once() {
    let t = hub().await;
    let u = signed_up(&t.hub, acct("alice", "alice@example.com")).await;
    let token = newest_link_token(&t.hub, "/confirm-email").await;
    assert!(matches!(
        accounts::confirm_email(&t.hub, "not-a-token", &origin()).await,
        Err(AccountError::LinkInvalid)
    ));
    let confirmed = accounts::confirm_email(&t.hub, &token, &origin())
        .await
        .unwrap();
    assert_eq!(confirmed.id, u.id);
    assert!(confirmed.confirmed);
    assert!(matches!(
        accounts::confirm_email(&t.hub, &token, &origin()).await,
        Err(AccountError::LinkUsed)
    ));
    assert!(matches!(
        accounts::resend_confirmation(&t.hub, u.id, &origin()).await,
        Err(AccountError::AlreadyConfirmed)
    ));
}

#[tokio::test]
async fn expired_confirmation_links_are_refused_and_resend_is_rate_limited() {
    let t = hub().await;
    let u = signed_up(&t.hub, acct("alice", "alice@example.com")).await;
    let first = newest_link_token(&t.hub, "/confirm-email").await;
    // Resending right away is refused; an hour later it works and the old link still expires.
    assert!(matches!(
        accounts::resend_confirmation(&t.hub, u.id, &origin()).await,
        Err(AccountError::TooSoon)
    ));
    exec(
        &t.hub,
        "UPDATE user_tokens SET created_at = created_at - 90000, expires_at = expires_at - 90000",
    )
    .await;
    assert!(matches!(
        accounts::confirm_email(&t.hub, &first, &origin()).await,
        Err(AccountError::LinkExpired)
    ));
    accounts::resend_confirmation(&t.hub, u.id, &origin())
        .await
        .unwrap();
    let second = newest_link_token(&t.hub, "/confirm-email").await;
    assert_ne!(first, second);
    assert!(
        accounts::confirm_email(&t.hub, &second, &origin())
            .await
            .unwrap()
            .confirmed
    );
}

#[tokio::test]
async fn confirming_ends_the_other_outstanding_links() {
    let t = hub().await;
    let u = signed_up(&t.hub, acct("alice", "alice@example.com")).await;
    let first = newest_link_token(&t.hub, "/confirm-email").await;
    exec(
        &t.hub,
        "UPDATE user_tokens SET created_at = created_at - 120",
    )
    .await;
    accounts::resend_confirmation(&t.hub, u.id, &origin())
        .await
        .unwrap();
    let second = newest_link_token(&t.hub, "/confirm-email").await;
    accounts::confirm_email(&t.hub, &second, &origin())
        .await
        .unwrap();
    assert!(matches!(
        accounts::confirm_email(&t.hub, &first, &origin()).await,
        Err(AccountError::LinkUsed)
    ));
}

#[tokio::test]
async fn login_by_name_or_email_with_one_generic_error() {
    let t = hub().await;
    signed_up(&t.hub, acct("alice", "alice@example.com")).await;
    assert_eq!(
        accounts::authenticate(&t.hub, "alice", "s3cret-pass")
            .await
            .unwrap()
            .username,
        "alice"
    );
    assert_eq!(
        accounts::authenticate(&t.hub, " ALICE@example.com ", "s3cret-pass")
            .await
            .unwrap()
            .username,
        "alice"
    );
    let wrong = accounts::authenticate(&t.hub, "alice", "wrong-pass!")
        .await
        .unwrap_err();
    let unknown = accounts::authenticate(&t.hub, "nobody", "s3cret-pass")
        .await
        .unwrap_err();
    assert!(matches!(wrong, AccountError::BadCredentials));
    assert_eq!(wrong.to_string(), unknown.to_string());
}

#[tokio::test]
async fn password_reset_changes_the_password_once_and_ends_sessions() {
    let t = hub().await;
    let u = signed_up(&t.hub, acct("alice", "alice@example.com")).await;
    assert!(accounts::session_user(&t.hub, u.id, u.session_generation)
        .await
        .unwrap()
        .is_some());
    // Unknown addresses are answered the same way and send nothing.
    accounts::request_password_reset(&t.hub, "nobody@example.com", &origin())
        .await
        .unwrap();
    jobs::run_due(&t.hub).await.unwrap();
    assert_eq!(mails_queued(&t.hub).await, 1, "only the confirmation mail");
    assert!(matches!(
        accounts::request_password_reset(&t.hub, "not an address", &origin()).await,
        Err(AccountError::Invalid(_))
    ));
    accounts::request_password_reset(&t.hub, "ALICE@example.com", &origin())
        .await
        .unwrap();
    jobs::run_due(&t.hub).await.unwrap();
    let token = newest_link_token(&t.hub, "/reset-password").await;
    accounts::check_reset_token(&t.hub, &token).await.unwrap();
    let e = accounts::reset_password(&t.hub, &token, "short")
        .await
        .unwrap_err();
    assert!(field_error(e, "password").contains("at least 9"));
    let after = accounts::reset_password(&t.hub, &token, "a-new-password")
        .await
        .unwrap();
    assert!(after.confirmed, "a reset link proves the mailbox");
    assert!(accounts::session_user(&t.hub, u.id, u.session_generation)
        .await
        .unwrap()
        .is_none());
    assert!(accounts::authenticate(&t.hub, "alice", "s3cret-pass")
        .await
        .is_err());
    assert!(accounts::authenticate(&t.hub, "alice", "a-new-password")
        .await
        .is_ok());
    assert!(matches!(
        accounts::reset_password(&t.hub, &token, "another-password").await,
        Err(AccountError::LinkUsed)
    ));
}

#[tokio::test]
async fn reset_links_expire_after_an_hour() {
    let t = hub().await;
    signed_up(&t.hub, acct("alice", "alice@example.com")).await;
    accounts::request_password_reset(&t.hub, "alice@example.com", &origin())
        .await
        .unwrap();
    jobs::run_due(&t.hub).await.unwrap();
    let token = newest_link_token(&t.hub, "/reset-password").await;
    exec(
        &t.hub,
        "UPDATE user_tokens SET expires_at = expires_at - 3601 WHERE purpose = 'password_reset'",
    )
    .await;
    assert!(matches!(
        accounts::reset_password(&t.hub, &token, "a-new-password").await,
        Err(AccountError::LinkExpired)
    ));
}

#[tokio::test]
async fn queued_mail_is_written_to_the_outbox() {
    let t = hub().await;
    signed_up(&t.hub, acct("alice", "alice@example.com")).await;
    assert_eq!(jobs::run_due(&t.hub).await.unwrap(), 1);
    let files: Vec<_> = std::fs::read_dir(t.dir.path().join("outbox"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    assert_eq!(files.len(), 1);
    let eml = std::fs::read_to_string(&files[0]).unwrap();
    assert!(eml.contains("Subject: Please confirm email for your Berth ID"));
    assert!(eml.contains("To: alice@example.com"));
    let token = newest_link_token(&t.hub, "/confirm-email").await;
    assert!(
        // Quoted-printable: joined soft line breaks and a decoded `=` give the link back.
        eml.replace("=\r\n", "")
            .replace("=3D", "=")
            .contains(&format!("/confirm-email?token={token}")),
        "the link, as a mail client shows it"
    );
    assert_eq!(jobs::pending(&t.hub, "mail").await.unwrap(), 0);
}

#[tokio::test]
async fn mail_that_cannot_be_sent_stays_queued_and_the_signup_stands() {
    // Nothing listens on this port: delivery fails, the account exists, the mail waits for a retry.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let t = hub_with(&[("BERTH_SMTP_URL", &format!("smtp://127.0.0.1:{port}"))]).await;
    let u = signed_up(&t.hub, acct("alice", "alice@example.com")).await;
    assert_eq!(jobs::run_due(&t.hub).await.unwrap(), 0);
    assert_eq!(jobs::pending(&t.hub, "mail").await.unwrap(), 1);
    let (attempts, err, failed): (i64, Option<String>, Option<i64>) =
        sqlx::query_as("SELECT attempts, last_error, failed_at FROM jobs")
            .fetch_one(t.hub.db.pool())
            .await
            .unwrap();
    assert_eq!(attempts, 1);
    assert!(err.is_some());
    assert_eq!(failed, None, "retried later, not given up");
    assert!(accounts::user_by_id(&t.hub, u.id).await.unwrap().is_some());
    // A day of failures later, the job is given up and says why.
    exec(
        &t.hub,
        "UPDATE jobs SET created_at = created_at - 90000, run_at = 0",
    )
    .await;
    assert_eq!(jobs::run_due(&t.hub).await.unwrap(), 0);
    let (attempts, failed): (i64, Option<i64>) =
        sqlx::query_as("SELECT attempts, failed_at FROM jobs")
            .fetch_one(t.hub.db.pool())
            .await
            .unwrap();
    assert_eq!(attempts, 2);
    assert!(failed.is_some(), "given up after a day");
    assert_eq!(jobs::pending(&t.hub, "mail").await.unwrap(), 0);
}

#[tokio::test]
async fn only_the_newest_reset_link_works() {
    let t = hub().await;
    signed_up(&t.hub, acct("alice", "alice@example.com")).await;
    accounts::request_password_reset(&t.hub, "alice@example.com", &origin())
        .await
        .unwrap();
    jobs::run_due(&t.hub).await.unwrap();
    let first = newest_link_token(&t.hub, "/reset-password").await;
    // A minute later (links are sent at most once a minute), a second request.
    exec(
        &t.hub,
        "UPDATE user_tokens SET created_at = created_at - 120 WHERE purpose = 'password_reset'",
    )
    .await;
    accounts::request_password_reset(&t.hub, "alice@example.com", &origin())
        .await
        .unwrap();
    jobs::run_due(&t.hub).await.unwrap();
    let second = newest_link_token(&t.hub, "/reset-password").await;
    assert_ne!(first, second);
    assert!(matches!(
        accounts::reset_password(&t.hub, &first, "a-new-password").await,
        Err(AccountError::LinkUsed)
    ));
    accounts::reset_password(&t.hub, &second, "a-new-password")
        .await
        .unwrap();
}

#[tokio::test]
async fn a_reset_request_does_the_same_work_whether_or_not_the_account_exists() {
    let t = hub().await;
    signed_up(&t.hub, acct("alice", "alice@example.com")).await;
    let jobs_now = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM jobs WHERE kind = 'password_reset'")
            .fetch_one(t.hub.db.pool())
            .await
            .unwrap()
    };
    accounts::request_password_reset(&t.hub, "alice@example.com", &origin())
        .await
        .unwrap();
    assert_eq!(jobs_now().await, 1);
    accounts::request_password_reset(&t.hub, "nobody@example.com", &origin())
        .await
        .unwrap();
    assert_eq!(jobs_now().await, 2, "one queued job each, nothing else");
    let tokens: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM user_tokens WHERE purpose = 'password_reset'")
            .fetch_one(t.hub.db.pool())
            .await
            .unwrap();
    assert_eq!(
        tokens, 0,
        "the link is made by the job, not on the request path"
    );
}
