//! Webhook settings and the log's bounds, on both backends (delivery to a real receiver is in
//! the server's tests).

use berth_core::{
    jobs,
    repositories::{self, NewRepo},
    webhooks::{self, Form, WebhookError},
};

fn form<'a>(name: &'a str, url: &'a str, events: &'a [String], secret: &'a str) -> Form<'a> {
    Form {
        name,
        url,
        events,
        secret,
        remove_secret: false,
        active: true,
    }
}

/// Creates `namespace/name` for `owner`.
async fn new_repo(
    hub: &berth_core::Hub,
    owner: &berth_core::accounts::User,
    namespace: &str,
    name: &str,
    private: bool,
) {
    repositories::create(
        hub,
        owner,
        NewRepo {
            namespace,
            name,
            description: "",
            private,
        },
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn settings_limits_and_the_kept_log() {
    let dir = tempfile::tempdir().unwrap();
    let hub = berth_core::testing::open_hub(dir.path(), &[]).await;
    let owner = crate::account(&hub, "hooker", true, false).await;
    let other = crate::account(&hub, "nothooker", true, false).await;
    new_repo(&hub, &owner, "hooker", "app", false).await;
    let pushed = vec!["tag_pushed".to_string()];
    // Field errors: no name, no events, an unknown event, a URL that is not one.
    let bad = webhooks::create(
        &hub,
        &owner,
        "hooker/app",
        form("", "not a url", &["nope".into()], ""),
    )
    .await
    .unwrap_err();
    let WebhookError::Invalid(f) = bad else {
        panic!("{bad:?}")
    };
    assert!(f.get("name").is_some() && f.get("url").is_some() && f.get("events").is_some());
    let none = webhooks::create(
        &hub,
        &owner,
        "hooker/app",
        form("ci", "https://ci.example.com/hook", &[], ""),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(none, WebhookError::Invalid(ref f) if f.get("events") == Some("Choose at least one event."))
    );
    // Only those who manage the repository.
    assert!(matches!(
        webhooks::create(
            &hub,
            &other,
            "hooker/app",
            form("ci", "https://ci.example.com/hook", &pushed, "")
        )
        .await,
        Err(WebhookError::Repo(_))
    ));

    let hook = webhooks::create(
        &hub,
        &owner,
        "hooker/app",
        form("ci", "https://ci.example.com/hook", &pushed, "s3cret"),
    )
    .await
    .unwrap();
    assert!(hook.has_secret && hook.active);
    // Editing: the secret is kept when left empty, removed when asked.
    let both = vec!["tag_pushed".to_string(), "visibility_changed".to_string()];
    webhooks::update(
        &hub,
        &owner,
        "hooker/app",
        hook.id,
        form("deploy", "https://ci.example.com/other", &both, ""),
    )
    .await
    .unwrap();
    let listed = webhooks::list(&hub, &owner, "hooker/app").await.unwrap();
    assert_eq!(
        (
            listed[0].name.as_str(),
            listed[0].has_secret,
            listed[0].events.len()
        ),
        ("deploy", true, 2)
    );
    // A test event queued while it was on, then turned off before it went.
    webhooks::send_test(&hub, &owner, "hooker/app", hook.id)
        .await
        .unwrap();
    webhooks::update(
        &hub,
        &owner,
        "hooker/app",
        hook.id,
        Form {
            remove_secret: true,
            active: false,
            ..form("deploy", "https://ci.example.com/other", &both, "")
        },
    )
    .await
    .unwrap();
    let listed = webhooks::list(&hub, &owner, "hooker/app").await.unwrap();
    assert!(!listed[0].has_secret && !listed[0].active);
    // Off, it is not offered a test event: that is said, not queued to be skipped.
    let refused = webhooks::send_test(&hub, &owner, "hooker/app", hook.id)
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("turned off"), "{refused}");

    // A disabled webhook records no events, and a pending delivery to it is skipped.
    repositories::set_visibility(&hub, &owner, "hooker/app", true, "app")
        .await
        .unwrap();
    let (_, log) = webhooks::log(&hub, &owner, "hooker/app", hook.id)
        .await
        .unwrap();
    assert_eq!(log.len(), 1, "disabled: only the test event queued before");
    jobs::run_due(&hub).await.unwrap();
    let (_, log) = webhooks::log(&hub, &owner, "hooker/app", hook.id)
        .await
        .unwrap();
    assert_eq!(log[0].state, "skipped");
    assert!(log[0].attempts.is_empty(), "nothing was sent");

    // The log keeps the newest 50 deliveries.
    webhooks::update(
        &hub,
        &owner,
        "hooker/app",
        hook.id,
        form("deploy", "https://ci.example.com/other", &both, ""),
    )
    .await
    .unwrap();
    for _ in 0..(webhooks::DELIVERIES_KEPT + 5) {
        webhooks::send_test(&hub, &owner, "hooker/app", hook.id)
            .await
            .unwrap();
    }
    let (_, log) = webhooks::log(&hub, &owner, "hooker/app", hook.id)
        .await
        .unwrap();
    assert_eq!(log.len() as i64, webhooks::DELIVERIES_KEPT);
    assert!(log.windows(2).all(|w| w[0].row > w[1].row), "newest first");

    // At most 20 webhooks per repository.
    for n in 1..webhooks::PER_REPOSITORY {
        webhooks::create(
            &hub,
            &owner,
            "hooker/app",
            form(&format!("h{n}"), "https://ci.example.com/h", &pushed, ""),
        )
        .await
        .unwrap();
    }
    let over = webhooks::create(
        &hub,
        &owner,
        "hooker/app",
        form("one more", "https://ci.example.com/h", &pushed, ""),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(over, WebhookError::Invalid(ref f) if f.get("name").is_some_and(|m| m.contains("20 webhooks")))
    );
    // Deleting a webhook deletes its log.
    webhooks::delete(&hub, &owner, "hooker/app", hook.id)
        .await
        .unwrap();
    assert!(matches!(
        webhooks::log(&hub, &owner, "hooker/app", hook.id).await,
        Err(WebhookError::NotFound)
    ));
}

/// A webhook set up by an editor stops when the editor leaves the organization: the next
/// delivery is skipped, the webhook is turned off and says why; a manager saving it takes it
/// over and it sends again. Fails while deliveries ignore who set the webhook up.
#[tokio::test]
async fn a_webhook_stops_when_its_creator_loses_access() {
    let dir = tempfile::tempdir().unwrap();
    let hub = berth_core::testing::open_hub(dir.path(), &[]).await;
    let boss = crate::account(&hub, "hookboss", true, false).await;
    let editor = crate::account(&hub, "hookeditor", true, false).await;
    berth_core::orgs::create(&hub, &boss, "hookorg", "", "ops@example.com")
        .await
        .unwrap();
    crate::orgs::join(&hub, &boss, "hookorg", &editor, "editor").await;
    new_repo(&hub, &boss, "hookorg", "secret", true).await;
    let pushed = vec!["tag_pushed".to_string()];
    let hook = webhooks::create(
        &hub,
        &editor,
        "hookorg/secret",
        form("mine", "https://receiver.example.com/hook", &pushed, ""),
    )
    .await
    .unwrap();
    berth_core::orgs::remove_member(&hub, &boss, "hookorg", "hookeditor")
        .await
        .unwrap();
    webhooks::send_test(&hub, &boss, "hookorg/secret", hook.id)
        .await
        .unwrap();
    jobs::run_due(&hub).await.unwrap();
    let (_, log) = webhooks::log(&hub, &boss, "hookorg/secret", hook.id)
        .await
        .unwrap();
    assert_eq!(log[0].state, "skipped", "{:?}", log[0]);
    assert!(
        log[0].attempts.is_empty(),
        "nothing went to the editor's receiver"
    );
    let listed = webhooks::list(&hub, &boss, "hookorg/secret").await.unwrap();
    assert!(!listed[0].active);
    let why = listed[0].disabled_reason.clone().unwrap_or_default();
    assert!(why.contains("hookeditor"), "{why}");
    // The owner saves it: it is theirs now, on again, the reason gone.
    webhooks::update(
        &hub,
        &boss,
        "hookorg/secret",
        hook.id,
        form("mine", "https://receiver.example.com/hook", &pushed, ""),
    )
    .await
    .unwrap();
    let listed = webhooks::list(&hub, &boss, "hookorg/secret").await.unwrap();
    assert!(listed[0].active && listed[0].disabled_reason.is_none());
}

/// Redelivering while the delivery is still retrying runs its scheduled retry now, once: it is
/// not queued a second time (which sent it twice).
#[tokio::test]
async fn a_redelivery_while_retrying_is_queued_once() {
    let dir = tempfile::tempdir().unwrap();
    let hub = berth_core::testing::open_hub(dir.path(), &[]).await;
    let owner = crate::account(&hub, "retrier", true, false).await;
    new_repo(&hub, &owner, "retrier", "app", false).await;
    let pushed = vec!["tag_pushed".to_string()];
    // A name that never resolves here: every attempt fails and is retried.
    let hook = webhooks::create(
        &hub,
        &owner,
        "retrier/app",
        form("ci", "https://unreachable.invalid/hook", &pushed, ""),
    )
    .await
    .unwrap();
    webhooks::send_test(&hub, &owner, "retrier/app", hook.id)
        .await
        .unwrap();
    jobs::run_due(&hub).await.unwrap();
    let (_, log) = webhooks::log(&hub, &owner, "retrier/app", hook.id)
        .await
        .unwrap();
    assert_eq!(log[0].state, "retrying", "{:?}", log[0]);
    webhooks::redeliver(&hub, &owner, "retrier/app", hook.id, log[0].row)
        .await
        .unwrap();
    let queued: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM jobs WHERE kind = 'webhook' AND finished_at IS NULL AND failed_at IS NULL",
    )
    .fetch_one(hub.db.pool())
    .await
    .unwrap();
    assert_eq!(queued, 1, "one job for the delivery, due now");
}
