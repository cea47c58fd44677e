//! Domain tests of account security on a fresh database per test (SQLite, or PostgreSQL in
//! `make test`'s second pass): access tokens and what each level and limit allows, revocation,
//! two-factor authentication, rate limits, password and email changes, deleting an account, and
//! the activity log.

use berth_core::{
    access::{self, Action, Refusal, Subject},
    accounts::{
        self,
        access_tokens::{self, NewToken},
        security::{self, LogIn},
        AccountError, NewAccount, User,
    },
    activity::{self, Kind, Origin},
    clock, rate,
    registry::{
        access::{self as reg_access, Credentials, Scope},
        names::RepoName,
        repos,
    },
    repositories::{self, NewRepo},
    Hub,
};

async fn hub() -> (Hub, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (berth_core::testing::open_hub(dir.path(), &[]).await, dir)
}

const PW: &str = "s3cret-pass";

async fn user(hub: &Hub, name: &str) -> User {
    accounts::register(
        hub,
        NewAccount {
            username: name,
            email: &format!("{name}@example.com"),
            password: PW,
        },
        true,
        false,
    )
    .await
    .unwrap()
}

fn at(ip: &str) -> Origin {
    Origin {
        ip: Some(ip.into()),
        agent: Some("docker/27.0 go/go1.22".into()),
    }
}

async fn token(
    hub: &Hub,
    u: &User,
    level: &str,
    limits: &str,
) -> (access_tokens::AccessToken, String) {
    access_tokens::create(
        hub,
        u,
        NewToken {
            description: "ci",
            level,
            expiry: "none",
            expiry_date: "",
            limits,
        },
        &at("10.0.0.1"),
    )
    .await
    .unwrap()
}

async fn repo(hub: &Hub, owner: &User, name: &str, private: bool) -> repos::Repository {
    repositories::create(
        hub,
        owner,
        NewRepo {
            namespace: &owner.username,
            name,
            description: "",
            private,
        },
    )
    .await
    .unwrap();
    repos::find(
        hub,
        &RepoName::parse(&format!("{}/{name}", owner.username)).unwrap(),
    )
    .await
    .unwrap()
    .unwrap()
}

fn field(err: AccountError, name: &str) -> String {
    match err {
        AccountError::Invalid(f) => f
            .get(name)
            .unwrap_or_else(|| panic!("no error for {name}: {f:?}"))
            .to_string(),
        other => panic!("expected field errors, got {other:?}"),
    }
}

/// The actions a token endpoint grants `credentials` on `repo`.
async fn granted(
    hub: &Hub,
    credentials: Credentials<'_>,
    repo: &str,
) -> Result<Vec<String>, String> {
    let scope = Scope {
        kind: "repository".into(),
        name: repo.into(),
        actions: vec!["pull".into(), "push".into(), "delete".into()],
    };
    reg_access::issue(hub, credentials, &[scope], false, &at("10.0.0.2"))
        .await
        .map(|i| {
            i.scope
                .rsplit(':')
                .next()
                .filter(|_| !i.scope.is_empty())
                .map(|a| a.split(',').map(str::to_string).collect())
                .unwrap_or_default()
        })
        .map_err(|e| e.to_string())
}

async fn exec(hub: &Hub, statement: &str) {
    sqlx::query(statement).execute(hub.db.pool()).await.unwrap();
}

#[tokio::test]
async fn a_token_is_shown_once_stored_as_a_hash_and_checked_as_typed() {
    let (hub, _dir) = hub().await;
    let alice = user(&hub, "alice").await;
    let bad = access_tokens::create(
        &hub,
        &alice,
        NewToken {
            description: " ",
            level: "root",
            expiry: "date",
            expiry_date: "2001-01-01",
            limits: "a/b/c",
        },
        &at("10.0.0.1"),
    )
    .await
    .unwrap_err();
    let AccountError::Invalid(f) = bad else {
        panic!()
    };
    assert!(f.get("description").is_some());
    assert!(f.get("level").is_some());
    assert_eq!(f.get("expiry"), Some("Choose a date in the future."));
    assert!(f.get("limits").unwrap().contains("neither a namespace"));
    let far = (time::OffsetDateTime::now_utc() + time::Duration::days(400)).date();
    let e = access_tokens::create(
        &hub,
        &alice,
        NewToken {
            description: "ci",
            level: "read",
            expiry: "date",
            expiry_date: &far.to_string(),
            limits: "",
        },
        &at("10.0.0.1"),
    )
    .await
    .unwrap_err();
    assert_eq!(field(e, "expiry"), "A token lives at most a year.");

    let (t, secret) = token(&hub, &alice, "read_write", "alice/app, Acme").await;
    assert!(secret.starts_with("berth_pat_") && secret.len() > 40);
    assert_eq!(t.limits, ["alice/app", "acme"]);
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM access_tokens")
        .fetch_all(hub.db.pool())
        .await
        .unwrap();
    assert_eq!(stored, [berth_core::tokens::hash(&secret)]);
    assert!(!stored[0].contains(&secret[10..]));

    // The token is the password of its own account only, by Berth ID or email.
    let (u, used) = security::registry_log_in(&hub, "ALICE@example.com", &secret, &at("10.9.9.9"))
        .await
        .unwrap();
    assert_eq!((u.id, used.map(|t| t.id)), (alice.id, Some(t.id)));
    let bob = user(&hub, "bobby").await;
    assert!(matches!(
        security::registry_log_in(&hub, &bob.username, &secret, &at("10.0.0.3")).await,
        Err(AccountError::BadCredentials)
    ));
    // Its last use is on the list: when, from where, with what.
    let listed = access_tokens::list(&hub, &alice).await.unwrap();
    assert_eq!(listed[0].last_used_ip.as_deref(), Some("10.9.9.9"));
    assert!(listed[0]
        .last_used_agent
        .as_deref()
        .unwrap()
        .starts_with("docker/"));
    assert!(listed[0].last_used_at.is_some());
}

#[tokio::test]
async fn deactivated_expired_and_deleted_tokens_stop_working() {
    let (hub, _dir) = hub().await;
    let alice = user(&hub, "alice").await;
    let (t, secret) = token(&hub, &alice, "read", "").await;
    let origin = at("10.0.0.1");
    let login = || security::registry_log_in(&hub, "alice", &secret, &origin);
    access_tokens::set_active(&hub, &alice, t.id, false, &at("10.0.0.1"))
        .await
        .unwrap();
    assert!(matches!(login().await, Err(AccountError::TokenInactive)));
    access_tokens::set_active(&hub, &alice, t.id, true, &at("10.0.0.1"))
        .await
        .unwrap();
    assert!(login().await.is_ok());
    exec(
        &hub,
        &format!(
            "UPDATE access_tokens SET expires_at = {} WHERE id = {}",
            clock::now() - 1,
            t.id
        ),
    )
    .await;
    assert!(matches!(login().await, Err(AccountError::TokenExpired)));
    // Someone else cannot touch it.
    let bob = user(&hub, "bobby").await;
    assert!(matches!(
        access_tokens::delete(&hub, &bob, t.id, &at("10.0.0.3")).await,
        Err(AccountError::NoSuchToken)
    ));
    access_tokens::delete(&hub, &alice, t.id, &at("10.0.0.1"))
        .await
        .unwrap();
    assert!(matches!(login().await, Err(AccountError::BadCredentials)));
    assert!(access_tokens::list(&hub, &alice).await.unwrap().is_empty());
}

#[tokio::test]
async fn an_account_holds_at_most_a_hundred_tokens() {
    let (hub, _dir) = hub().await;
    let alice = user(&hub, "alice").await;
    for _ in 0..access_tokens::TOKENS_MAX {
        token(&hub, &alice, "read", "").await;
    }
    let e = access_tokens::create(
        &hub,
        &alice,
        NewToken {
            description: "one more",
            level: "read",
            expiry: "30",
            expiry_date: "",
            limits: "",
        },
        &at("10.0.0.1"),
    )
    .await
    .unwrap_err();
    assert!(field(e, "description").contains("100 tokens"));
}

#[tokio::test]
async fn each_level_and_limit_grants_what_it_says_and_never_more_than_the_owner_has() {
    let (hub, _dir) = hub().await;
    let alice = user(&hub, "alice").await;
    let bob = user(&hub, "bobby").await;
    repo(&hub, &alice, "app", true).await;
    repo(&hub, &alice, "web", false).await;
    repo(&hub, &bob, "tool", false).await;
    let cases = [
        ("public_read", "", "alice/app", vec![]),
        ("public_read", "", "alice/web", vec!["pull"]),
        ("read", "", "alice/app", vec!["pull"]),
        ("read_write", "", "alice/app", vec!["pull", "push"]),
        (
            "read_write_delete",
            "",
            "alice/app",
            vec!["pull", "push", "delete"],
        ),
        // Bob's public repository: the owner may only pull, so may every token.
        ("read_write_delete", "", "bobby/tool", vec!["pull"]),
        // Limited to one repository: nothing elsewhere, not even public pulls.
        ("read_write", "alice/app", "alice/app", vec!["pull", "push"]),
        ("read_write", "alice/app", "alice/web", vec![]),
        ("read_write", "alice/app", "bobby/tool", vec![]),
        // Limited to a namespace: its repositories, and new ones pushed there.
        ("read_write", "alice", "alice/web", vec!["pull", "push"]),
        ("read_write", "alice", "alice/new", vec!["pull", "push"]),
        ("read", "alice", "alice/new", vec![]),
    ];
    for (level, limits, target, want) in cases {
        let (_, secret) = token(&hub, &alice, level, limits).await;
        let got = granted(
            &hub,
            Credentials::Password {
                login: "alice",
                password: &secret,
            },
            target,
        )
        .await
        .unwrap();
        assert_eq!(got, want, "{level} limited to {limits:?} on {target}");
    }
    // The refusal says why, for the registry to pass on.
    let (_, secret) = token(&hub, &alice, "read", "").await;
    let (u, t) = security::registry_log_in(&hub, "alice", &secret, &at("10.0.0.1"))
        .await
        .unwrap();
    let subject = Subject::Token(u.clone(), t.unwrap());
    let app = repos::find(&hub, &RepoName::parse("alice/app").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        access::decide(&hub, &subject, &app, Action::Push)
            .await
            .unwrap(),
        Err(Refusal::Denied("this token is read-only".into()))
    );
    let (_, secret) = token(&hub, &alice, "read_write", "alice/web").await;
    let (u, t) = security::registry_log_in(&hub, "alice", &secret, &at("10.0.0.1"))
        .await
        .unwrap();
    assert_eq!(
        access::decide(&hub, &Subject::Token(u, t.unwrap()), &app, Action::Pull)
            .await
            .unwrap(),
        Err(Refusal::Denied("this token is limited to alice/web".into()))
    );
}

#[tokio::test]
async fn a_bearer_token_is_checked_again_on_every_request() {
    let (hub, _dir) = hub().await;
    let alice = user(&hub, "alice").await;
    let (t, secret) = token(&hub, &alice, "read_write", "").await;
    let issue = |password: &'static str| {
        let hub = hub.clone();
        async move {
            let issued = reg_access::issue(
                &hub,
                Credentials::Password {
                    login: "alice",
                    password,
                },
                &[],
                false,
                &at("10.0.0.1"),
            )
            .await
            .unwrap();
            hub.registry.keys.verify(&issued.token).unwrap()
        }
    };
    let secret: &'static str = Box::leak(secret.into_boxed_str());
    let with_token = issue(secret).await;
    let with_password = issue(PW).await;
    assert!(reg_access::subject_of(&hub, &with_token).await.is_ok());
    access_tokens::set_active(&hub, &alice, t.id, false, &at("10.0.0.1"))
        .await
        .unwrap();
    let e = reg_access::subject_of(&hub, &with_token).await.unwrap_err();
    assert!(e.to_string().contains("deactivated"), "{e}");
    access_tokens::delete(&hub, &alice, t.id, &at("10.0.0.1"))
        .await
        .unwrap();
    let e = reg_access::subject_of(&hub, &with_token).await.unwrap_err();
    assert!(e.to_string().contains("deleted"), "{e}");

    // A password change (or reset) ends bearer tokens issued with the password.
    assert!(reg_access::subject_of(&hub, &with_password).await.is_ok());
    security::change_password(&hub, &alice, PW, "another-pass-1", &at("10.0.0.1"))
        .await
        .unwrap();
    let e = reg_access::subject_of(&hub, &with_password)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("password"), "{e}");
}

#[tokio::test]
async fn a_password_change_needs_the_current_one_and_ends_saved_logins() {
    let (hub, _dir) = hub().await;
    let alice = user(&hub, "alice").await;
    let e = security::change_password(&hub, &alice, "wrong-one", "short", &at("10.0.0.1"))
        .await
        .unwrap_err();
    let AccountError::Invalid(f) = e else {
        panic!()
    };
    assert_eq!(
        f.get("current_password"),
        Some("That is not your current password.")
    );
    assert!(f.get("new_password").is_some());
    let saved = reg_access::issue(
        &hub,
        Credentials::Password {
            login: "alice",
            password: PW,
        },
        &[],
        true,
        &at("10.0.0.1"),
    )
    .await
    .unwrap()
    .refresh_token
    .unwrap();
    let after = security::change_password(&hub, &alice, PW, "another-pass-1", &at("10.0.0.1"))
        .await
        .unwrap();
    assert!(
        after.session_generation > alice.session_generation,
        "other sessions end"
    );
    assert!(
        reg_access::issue(
            &hub,
            Credentials::Refresh(&saved),
            &[],
            false,
            &at("10.0.0.1")
        )
        .await
        .is_err(),
        "the saved docker login ends"
    );
    assert!(accounts::authenticate(&hub, "alice", "another-pass-1")
        .await
        .is_ok());
    assert!(accounts::authenticate(&hub, "alice", PW).await.is_err());
}

#[tokio::test]
async fn two_factor_codes_are_required_work_once_and_recovery_codes_once_each() {
    let (hub, _dir) = hub().await;
    let alice = user(&hub, "alice").await;
    let setup = security::begin_two_factor(&hub, &alice).await.unwrap();
    assert!(setup.qr_svg.starts_with("<?xml") || setup.qr_svg.contains("<svg"));
    assert!(setup
        .otpauth_url
        .starts_with("otpauth://totp/Berth%3Aalice?secret="));
    // Asking again shows the same setup until it is finished.
    assert_eq!(
        security::begin_two_factor(&hub, &alice)
            .await
            .unwrap()
            .secret,
        setup.secret
    );
    let e = security::enable_two_factor(&hub, &alice, "000000", &at("10.0.0.1"))
        .await
        .unwrap_err();
    assert!(field(e, "code").contains("does not match"));
    let now = clock::now();
    let code = security::totp_code(&setup.secret, now).unwrap();
    let recovery = security::enable_two_factor(&hub, &alice, &code, &at("10.0.0.1"))
        .await
        .unwrap();
    assert_eq!(recovery.len(), 10);

    // The password alone no longer logs in.
    let LogIn::SecondFactor(u) = security::log_in(&hub, "alice", PW, &at("10.0.0.1"))
        .await
        .unwrap()
    else {
        panic!("a code must be asked for")
    };
    let second = |code: String| {
        let hub = hub.clone();
        let (id, generation) = (u.id, u.session_generation);
        async move {
            security::second_factor(&hub, id, generation, clock::now(), &code, &at("10.0.0.1"))
                .await
        }
    };
    // The code used to turn it on was spent; the next one works, once.
    assert!(matches!(second(code).await, Err(AccountError::CodeInvalid)));
    let next = security::totp_code(&setup.secret, now + 30).unwrap();
    assert!(second(next.clone()).await.is_ok());
    assert!(matches!(second(next).await, Err(AccountError::CodeInvalid)));
    // Recovery codes, typed loosely, once each.
    assert!(second(recovery[0].to_uppercase()).await.is_ok());
    assert!(matches!(
        second(recovery[0].clone()).await,
        Err(AccountError::RecoveryCodeUsed)
    ));
    assert_eq!(
        security::recovery_codes_left(&hub, &alice).await.unwrap(),
        9
    );
    // The step must follow the password within five minutes.
    assert!(matches!(
        security::second_factor(
            &hub,
            u.id,
            u.session_generation,
            clock::now() - 301,
            &recovery[1],
            &at("10.0.0.1")
        )
        .await,
        Err(AccountError::SecondFactorExpired)
    ));

    // The registry takes tokens only.
    assert!(matches!(
        security::registry_log_in(&hub, "alice", PW, &at("10.0.0.1")).await,
        Err(AccountError::TokenRequired)
    ));
    let (_, secret) = token(&hub, &alice, "read", "").await;
    assert!(
        security::registry_log_in(&hub, "alice", &secret, &at("10.0.0.1"))
            .await
            .is_ok()
    );

    // Wrong codes are limited per account and client: two authenticator codes were wrong
    // above; after three more, even a right one waits there...
    for _ in 0..3 {
        assert!(matches!(
            second("123456".into()).await,
            Err(AccountError::CodeInvalid)
        ));
    }
    assert!(matches!(
        second("654321".into()).await,
        Err(AccountError::TooManyAttempts { .. })
    ));
    // ... but not from the owner's other address (the code is looked at there), and a recovery
    // code still works here.
    assert!(matches!(
        security::second_factor(
            &hub,
            u.id,
            u.session_generation,
            clock::now(),
            "654321",
            &at("10.0.0.2")
        )
        .await,
        Err(AccountError::CodeInvalid)
    ));
    assert!(second(recovery[2].clone()).await.is_ok());

    // New recovery codes: the password is needed, the old codes stop, the new ones work.
    let e = security::renew_recovery_codes(&hub, &alice, "nope", &at("10.0.0.1"))
        .await
        .unwrap_err();
    assert_eq!(field(e, "password"), "That is not your password.");
    let renewed = security::renew_recovery_codes(&hub, &alice, PW, &at("10.0.0.1"))
        .await
        .unwrap();
    assert_eq!(renewed.len(), 10);
    assert_eq!(
        security::recovery_codes_left(&hub, &alice).await.unwrap(),
        10
    );
    assert!(matches!(
        second(recovery[5].clone()).await,
        Err(AccountError::CodeInvalid)
    ));
    assert!(second(renewed[0].clone()).await.is_ok());

    // Turning it off needs the password.
    let e = security::disable_two_factor(&hub, &alice, "nope", &at("10.0.0.1"))
        .await
        .unwrap_err();
    assert_eq!(field(e, "password"), "That is not your password.");
    security::disable_two_factor(&hub, &alice, PW, &at("10.0.0.1"))
        .await
        .unwrap();
    assert!(matches!(
        security::log_in(&hub, "alice", PW, &at("10.0.0.1")).await,
        Ok(LogIn::Done(_))
    ));
    assert_eq!(
        security::recovery_codes_left(&hub, &alice).await.unwrap(),
        0
    );
}

/// Forty half-logged-in sessions sending wrong codes at once from one address: exactly five are
/// evaluated (each takes its slot before its code is checked), the rest wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_codes_sent_at_once_are_limited_exactly() {
    let (hub, _dir) = hub().await;
    let bob = user(&hub, "bobby").await;
    let setup = security::begin_two_factor(&hub, &bob).await.unwrap();
    let code = security::totp_code(&setup.secret, clock::now()).unwrap();
    security::enable_two_factor(&hub, &bob, &code, &at("10.0.0.1"))
        .await
        .unwrap();
    let bob = berth_core::accounts::user_by_id(&hub, bob.id)
        .await
        .unwrap()
        .unwrap();
    let attempts: Vec<_> = (0..40)
        .map(|_| {
            let (hub, bob) = (hub.clone(), bob.clone());
            tokio::spawn(async move {
                security::second_factor(
                    &hub,
                    bob.id,
                    bob.session_generation,
                    clock::now(),
                    "000000",
                    &at("10.9.9.9"),
                )
                .await
            })
        })
        .collect();
    let mut evaluated = 0;
    for a in attempts {
        match a.await.unwrap() {
            Err(AccountError::CodeInvalid) => evaluated += 1,
            Err(AccountError::TooManyAttempts { .. }) => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(evaluated, 5);
}

#[tokio::test]
async fn failed_logins_are_limited_per_address_and_per_account_without_locking_out_the_owner() {
    let (hub, _dir) = hub().await;
    user(&hub, "alice").await;
    // One address guessing many accounts: stopped after 20 failures, right password or not.
    for i in 0..rate::FAILED_LOGINS_PER_ADDRESS.max {
        let who = format!("nobody{i}");
        assert!(matches!(
            security::log_in(&hub, &who, "guess-guess", &at("10.6.6.6")).await,
            Err(AccountError::BadCredentials)
        ));
    }
    let Err(AccountError::TooManyAttempts { retry_after }) =
        security::log_in(&hub, "alice", PW, &at("10.6.6.6")).await
    else {
        panic!("the address is over its limit")
    };
    assert!(retry_after > 0 && retry_after <= rate::FAILED_LOGINS_PER_ADDRESS.window);
    // The registry's log-in shares the count.
    assert!(matches!(
        security::registry_log_in(&hub, "alice", PW, &at("10.6.6.6")).await,
        Err(AccountError::TooManyAttempts { .. })
    ));
    // Alice, elsewhere, is not slowed.
    assert!(matches!(
        security::log_in(&hub, "alice", PW, &at("10.1.1.1")).await,
        Ok(LogIn::Done(_))
    ));

    // Many addresses guessing one account: each that failed is refused once the account's
    // count is reached; an address that never failed still logs in.
    for i in 0..rate::FAILED_LOGINS_PER_ACCOUNT.max {
        let _ = security::log_in(&hub, "alice", "wrong-wrong", &at(&format!("10.7.0.{i}"))).await;
    }
    assert!(matches!(
        security::log_in(&hub, "alice", PW, &at("10.7.0.1")).await,
        Err(AccountError::TooManyAttempts { .. })
    ));
    assert!(matches!(
        security::log_in(&hub, "Alice", PW, &at("10.8.8.8")).await,
        Ok(LogIn::Done(_))
    ));

    // Once the window has passed (moved back here), the address logs in again.
    exec(
        &hub,
        "UPDATE rate_counts SET window_start = window_start - 3600",
    )
    .await;
    assert!(matches!(
        security::log_in(&hub, "alice", PW, &at("10.6.6.6")).await,
        Ok(LogIn::Done(_))
    ));
}

#[tokio::test]
async fn signups_resets_and_resends_are_limited_per_address() {
    let (hub, _dir) = hub().await;
    let origin = at("10.5.5.5");
    for i in 0..rate::SIGNUPS_PER_ADDRESS.max {
        let name = format!("user{i}");
        accounts::signup(
            &hub,
            NewAccount {
                username: &name,
                email: &format!("{name}@example.com"),
                password: PW,
            },
            &origin,
        )
        .await
        .unwrap();
    }
    let over = accounts::signup(
        &hub,
        NewAccount {
            username: "onemore",
            email: "onemore@example.com",
            password: PW,
        },
        &origin,
    )
    .await;
    assert!(
        matches!(over, Err(AccountError::TooManyAttempts { .. })),
        "{over:?}"
    );
    assert!(accounts::user_by_name(&hub, "onemore")
        .await
        .unwrap()
        .is_none());
    for _ in 0..rate::RESETS_PER_ADDRESS.max {
        accounts::request_password_reset(&hub, "user0@example.com", &origin)
            .await
            .unwrap();
    }
    assert!(matches!(
        accounts::request_password_reset(&hub, "user0@example.com", &origin).await,
        Err(AccountError::TooManyAttempts { .. })
    ));
    // Another address is unaffected.
    accounts::request_password_reset(&hub, "user0@example.com", &at("10.5.5.6"))
        .await
        .unwrap();
}

#[tokio::test]
async fn an_email_change_waits_for_the_new_address_to_confirm() {
    let (hub, _dir) = hub().await;
    let alice = user(&hub, "alice").await;
    user(&hub, "bobby").await;
    let e = security::request_email_change(&hub, &alice, "BOBBY@example.com", &at("10.0.0.1"))
        .await
        .unwrap_err();
    assert_eq!(field(e, "email"), "Another account uses this address.");
    let e = security::request_email_change(&hub, &alice, "alice@example.com", &at("10.0.0.1"))
        .await
        .unwrap_err();
    assert_eq!(field(e, "email"), "That is already your address.");
    security::request_email_change(&hub, &alice, "new@example.com", &at("10.0.0.1"))
        .await
        .unwrap();
    let mails: Vec<String> =
        sqlx::query_scalar("SELECT payload FROM jobs WHERE kind = 'mail' ORDER BY id")
            .fetch_all(hub.db.pool())
            .await
            .unwrap();
    let confirm = mails
        .iter()
        .find(|m| m.contains("new@example.com") && m.contains("confirm-email-change?token="))
        .expect("link to the new address");
    assert!(
        mails
            .iter()
            .any(|m| m.contains("\"alice@example.com\"") && !m.contains("token=")),
        "notice to the old address"
    );
    // Until the link is opened, the old address stays.
    assert_eq!(
        accounts::user_by_id(&hub, alice.id)
            .await
            .unwrap()
            .unwrap()
            .email,
        "alice@example.com"
    );
    let start = confirm.find("token=").unwrap() + 6;
    let link: String = confirm[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    let changed = security::confirm_email_change(&hub, &link).await.unwrap();
    assert_eq!(changed.email, "new@example.com");
    assert!(matches!(
        security::confirm_email_change(&hub, &link).await,
        Err(AccountError::LinkUsed)
    ));
    assert!(accounts::authenticate(&hub, "new@example.com", PW)
        .await
        .is_ok());
}

#[tokio::test]
async fn a_deleted_account_takes_its_repositories_and_tokens_and_its_name_is_retired() {
    let (hub, _dir) = hub().await;
    let alice = user(&hub, "alice").await;
    repo(&hub, &alice, "app", false).await;
    let (_, secret) = token(&hub, &alice, "read", "").await;
    let e = security::delete_account(&hub, &alice, "alic")
        .await
        .unwrap_err();
    assert_eq!(field(e, "confirm"), "Type alice to confirm.");
    security::delete_account(&hub, &alice, "alice")
        .await
        .unwrap();
    assert!(accounts::user_by_id(&hub, alice.id)
        .await
        .unwrap()
        .is_none());
    assert!(repos::find(&hub, &RepoName::parse("alice/app").unwrap())
        .await
        .unwrap()
        .is_none());
    assert!(
        security::registry_log_in(&hub, "alice", &secret, &at("10.0.0.1"))
            .await
            .is_err()
    );
    for table in ["access_tokens", "activity", "user_tokens"] {
        let n: i64 =
            sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE user_id = $1"))
                .bind(alice.id)
                .fetch_one(hub.db.pool())
                .await
                .unwrap();
        assert_eq!(n, 0, "{table}");
    }
    let again = accounts::signup(
        &hub,
        NewAccount {
            username: "alice",
            email: "other@example.com",
            password: PW,
        },
        &at("10.0.0.9"),
    )
    .await
    .unwrap_err();
    assert!(field(again, "username").contains("taken"));
}

#[tokio::test]
async fn the_activity_log_records_each_kind_and_keeps_ninety_days() {
    let (hub, _dir) = hub().await;
    let alice = user(&hub, "alice").await;
    let _ = security::log_in(&hub, "alice", "wrong-wrong", &at("10.0.0.7")).await;
    security::log_in(&hub, "alice", PW, &at("10.0.0.8"))
        .await
        .unwrap();
    let (t, _) = token(&hub, &alice, "read", "").await;
    access_tokens::set_active(&hub, &alice, t.id, false, &at("10.0.0.8"))
        .await
        .unwrap();
    security::change_password(&hub, &alice, PW, "another-pass-1", &at("10.0.0.8"))
        .await
        .unwrap();
    let kinds: Vec<Kind> = activity::recent(&hub, alice.id)
        .await
        .unwrap()
        .iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            Kind::PasswordChanged,
            Kind::TokenDeactivated,
            Kind::TokenCreated,
            Kind::Login,
            Kind::LoginFailed
        ]
    );
    let log = activity::recent(&hub, alice.id).await.unwrap();
    assert_eq!(log.last().unwrap().ip.as_deref(), Some("10.0.0.7"));
    exec(
        &hub,
        &format!(
            "UPDATE activity SET at = {} WHERE kind = 'login_failed'",
            clock::now() - 91 * clock::DAY
        ),
    )
    .await;
    assert_eq!(activity::prune(&hub).await.unwrap(), 1);
    assert_eq!(activity::recent(&hub, alice.id).await.unwrap().len(), 4);
}
