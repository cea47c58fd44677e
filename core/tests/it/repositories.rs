//! Domain tests of repositories on a fresh database per test (SQLite, or PostgreSQL in
//! `make test`'s second pass): creation rules, the private-repository quota (also under
//! simultaneous requests), roles and visibility, settings, collaborators, plans.

use berth_core::{
    accounts::{self, NewAccount, User},
    repositories::{self, NewRepo, RepoError, Role},
    Hub,
};

async fn hub() -> (Hub, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (berth_core::testing::open_hub(dir.path(), &[]).await, dir)
}

async fn user(hub: &Hub, name: &str, confirmed: bool) -> User {
    accounts::register(
        hub,
        NewAccount {
            username: name,
            email: &format!("{name}@example.com"),
            password: "s3cret-pass",
        },
        confirmed,
        false,
    )
    .await
    .unwrap()
}

fn repo<'a>(namespace: &'a str, name: &'a str, private: bool) -> NewRepo<'a> {
    NewRepo {
        namespace,
        name,
        description: "",
        private,
    }
}

fn field(err: RepoError, field: &str) -> String {
    match err {
        RepoError::Invalid(f) => f
            .get(field)
            .unwrap_or_else(|| panic!("no error for {field}: {f:?}"))
            .to_string(),
        other => panic!("expected a field error, got {other:?}"),
    }
}

#[tokio::test]
async fn names_descriptions_and_namespaces_are_checked() {
    let (hub, _dir) = hub().await;
    let alice = user(&hub, "alice", true).await;
    // Docker's 255 characters hold the whole HOST/NAMESPACE/NAME.
    let max = repositories::name_max(&hub.config.registry_host(), "alice");
    assert_eq!(max, 255 - "127.0.0.1:3000/alice/".len());
    for bad in [
        "a",
        "Upper",
        "-lead",
        "trail.",
        "two..dots",
        "sp ace",
        &"x".repeat(max + 1),
    ] {
        let err = repositories::create(&hub, &alice, repo("alice", bad, false))
            .await
            .unwrap_err();
        assert!(!field(err, "name").is_empty(), "{bad:?} refused");
    }
    for good in [
        "ab",
        "my-app",
        "my_app.v2",
        "a__b",
        "x--y",
        &"x".repeat(max),
    ] {
        repositories::create(&hub, &alice, repo("alice", good, false))
            .await
            .unwrap_or_else(|e| panic!("{good:?}: {e:?}"));
    }
    let long = "d".repeat(101);
    let err = repositories::create(
        &hub,
        &alice,
        NewRepo {
            description: &long,
            ..repo("alice", "described", false)
        },
    )
    .await
    .unwrap_err();
    assert_eq!(
        field(err, "description"),
        "At most 100 characters (this has 101)."
    );
    let err = repositories::create(&hub, &alice, repo("bobby", "theirs", false))
        .await
        .unwrap_err();
    assert_eq!(
        field(err, "namespace"),
        "You can create repositories only in alice and in organizations where you are an editor or owner."
    );
    let err = repositories::create(&hub, &alice, repo("alice", "ab", false))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, RepoError::NameTaken(n) if n == "alice/ab"),
        "{err:?}"
    );
    let newbie = user(&hub, "newbie", false).await;
    let err = repositories::create(&hub, &newbie, repo("newbie", "app", false))
        .await
        .unwrap_err();
    assert!(matches!(err, RepoError::Unconfirmed), "{err:?}");
}

#[tokio::test]
async fn the_free_plan_allows_one_private_repository() {
    let (hub, _dir) = hub().await;
    let alice = user(&hub, "alice", true).await;
    repositories::create(&hub, &alice, repo("alice", "secret", true))
        .await
        .unwrap();
    let err = repositories::create(&hub, &alice, repo("alice", "second", true))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Your plan allows 1 private repository and you have 1. Make one of them public or delete it, or ask an administrator for a larger plan."
    );
    // Public ones are unlimited; making one private is held to the same limit.
    repositories::create(&hub, &alice, repo("alice", "open", false))
        .await
        .unwrap();
    let err = repositories::set_visibility(&hub, &alice, "alice/open", true, "open")
        .await
        .unwrap_err();
    assert!(
        matches!(err, RepoError::QuotaExceeded { limit: 1, used: 1 }),
        "{err:?}"
    );
    // Without its name typed, nothing changes.
    let err = repositories::set_visibility(&hub, &alice, "alice/secret", false, "open")
        .await
        .unwrap_err();
    assert_eq!(field(err, "confirm"), "Type secret to confirm.");
    // Freeing the slot lets the other one go private.
    repositories::set_visibility(&hub, &alice, "alice/secret", false, "alice/secret")
        .await
        .unwrap();
    repositories::set_visibility(&hub, &alice, "alice/open", true, " open ")
        .await
        .unwrap();
    assert_eq!(
        repositories::private_usage(&hub, &alice).await.unwrap(),
        (1, 1)
    );
    // A larger plan.
    repositories::set_plan(&hub, "alice", 3).await.unwrap();
    let alice = accounts::user_by_name(&hub, "alice")
        .await
        .unwrap()
        .unwrap();
    repositories::create(&hub, &alice, repo("alice", "second", true))
        .await
        .unwrap();
    assert_eq!(
        repositories::private_usage(&hub, &alice).await.unwrap(),
        (2, 3)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_creations_never_exceed_the_quota() {
    let (hub, _dir) = hub().await;
    user(&hub, "alice", true).await;
    repositories::set_plan(&hub, "alice", 2).await.unwrap();
    let alice = accounts::user_by_name(&hub, "alice")
        .await
        .unwrap()
        .unwrap();
    // Spawned all at once (collected before any is awaited).
    let attempts: Vec<_> = (0..12)
        .map(|i| {
            let hub = hub.clone();
            let alice = alice.clone();
            tokio::spawn(async move {
                let name = format!("private{i}");
                repositories::create(&hub, &alice, repo("alice", &name, true)).await
            })
        })
        .collect();
    let mut created = 0;
    for a in attempts {
        match a.await.unwrap() {
            Ok(_) => created += 1,
            Err(RepoError::QuotaExceeded { limit: 2, .. }) => {}
            Err(e) => panic!("unexpected: {e:?}"),
        }
    }
    assert_eq!(created, 2);
    assert_eq!(
        repositories::private_usage(&hub, &alice).await.unwrap(),
        (2, 2)
    );
}

#[tokio::test]
async fn private_repositories_exist_only_for_owner_collaborators_and_admins() {
    let (hub, _dir) = hub().await;
    let alice = user(&hub, "alice", true).await;
    let bob = user(&hub, "bobby", true).await;
    let admin = accounts::register(
        &hub,
        NewAccount {
            username: "boss",
            email: "boss@example.com",
            password: "s3cret-pass",
        },
        true,
        true,
    )
    .await
    .unwrap();
    repositories::create(&hub, &alice, repo("alice", "secret", true))
        .await
        .unwrap();
    repositories::create(&hub, &alice, repo("alice", "open", false))
        .await
        .unwrap();
    let open = |u: Option<&User>| {
        let hub = hub.clone();
        let u = u.cloned();
        async move {
            repositories::open(&hub, u.as_ref(), "alice", "secret")
                .await
                .map(|(_, role)| role)
        }
    };
    assert_eq!(open(Some(&alice)).await.unwrap(), Role::Owner);
    assert_eq!(open(Some(&admin)).await.unwrap(), Role::Admin);
    assert!(matches!(open(Some(&bob)).await, Err(RepoError::NotFound)));
    assert!(matches!(open(None).await, Err(RepoError::NotFound)));
    let (_, role) = repositories::open(&hub, None, "alice", "open")
        .await
        .unwrap();
    assert_eq!(role, Role::Reader);

    // Lists: the dashboard shows one's own; a profile shows public ones only.
    let mine: Vec<String> = repositories::of_member(&hub, &alice)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.full_name)
        .collect();
    assert_eq!(mine.len(), 2);
    let public: Vec<String> = repositories::public_of(&hub, &alice)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.full_name)
        .collect();
    assert_eq!(public, ["alice/open"]);
    assert!(repositories::of_member(&hub, &bob)
        .await
        .unwrap()
        .is_empty());

    // A collaborator sees it, can push, cannot manage.
    repositories::add_collaborator(&hub, &alice, "alice/secret", "bobby")
        .await
        .unwrap();
    let role = open(Some(&bob)).await.unwrap();
    assert_eq!(role, Role::Collaborator);
    assert!(role.may_push() && !role.may_manage());
    assert_eq!(repositories::of_member(&hub, &bob).await.unwrap().len(), 1);
    let err = repositories::set_visibility(&hub, &bob, "alice/secret", false, "secret")
        .await
        .unwrap_err();
    assert!(matches!(err, RepoError::NotOwner), "{err:?}");
    let err = repositories::add_collaborator(&hub, &bob, "alice/secret", "boss")
        .await
        .unwrap_err();
    assert!(matches!(err, RepoError::NotOwner), "{err:?}");
    let err = repositories::delete(&hub, &bob, "alice/secret", "secret", &Default::default())
        .await
        .unwrap_err();
    assert!(matches!(err, RepoError::NotOwner), "{err:?}");
    // Removed, it is gone for them again.
    repositories::remove_collaborator(&hub, &alice, "alice/secret", "bobby")
        .await
        .unwrap();
    assert!(matches!(open(Some(&bob)).await, Err(RepoError::NotFound)));
    // Someone who cannot see it cannot manage it either, and learns nothing.
    let err = repositories::set_descriptions(&hub, &bob, "alice/secret", "x", "")
        .await
        .unwrap_err();
    assert!(matches!(err, RepoError::NotFound), "{err:?}");
}

#[tokio::test]
async fn collaborators_descriptions_and_deletion() {
    let (hub, _dir) = hub().await;
    let alice = user(&hub, "alice", true).await;
    user(&hub, "bobby", true).await;
    repositories::create(&hub, &alice, repo("alice", "app", false))
        .await
        .unwrap();
    for (who, message) in [
        ("nobody", "No account has the Berth ID \"nobody\"."),
        ("alice", "alice owns this repository."),
    ] {
        let err = repositories::add_collaborator(&hub, &alice, "alice/app", who)
            .await
            .unwrap_err();
        assert_eq!(field(err, "username"), message);
    }
    repositories::add_collaborator(&hub, &alice, "alice/app", "bobby")
        .await
        .unwrap();
    let err = repositories::add_collaborator(&hub, &alice, "alice/app", "bobby")
        .await
        .unwrap_err();
    assert_eq!(field(err, "username"), "bobby is already a collaborator.");
    let (repo, role) = repositories::open(&hub, Some(&alice), "alice", "app")
        .await
        .unwrap();
    let list = repositories::collaborators(&hub, &repo, role)
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].0, "bobby");

    let err = repositories::set_descriptions(&hub, &alice, "alice/app", "ok", &"m".repeat(25_001))
        .await
        .unwrap_err();
    assert_eq!(
        field(err, "overview"),
        "At most 25000 characters (this has 25001)."
    );
    repositories::set_descriptions(&hub, &alice, "alice/app", " A tool ", "# Hello")
        .await
        .unwrap();
    let (r, _) = repositories::open(&hub, None, "alice", "app")
        .await
        .unwrap();
    assert_eq!(
        (r.description.as_str(), r.overview.as_str()),
        ("A tool", "# Hello")
    );

    let err = repositories::delete(&hub, &alice, "alice/app", "wrong", &Default::default())
        .await
        .unwrap_err();
    assert_eq!(field(err, "confirm"), "Type app to confirm.");
    repositories::delete(&hub, &alice, "alice/app", "app", &Default::default())
        .await
        .unwrap();
    assert!(matches!(
        repositories::open(&hub, Some(&alice), "alice", "app").await,
        Err(RepoError::NotFound)
    ));
    assert!(repositories::of_member(&hub, &alice)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn deleting_a_repository_cancels_its_uploads_and_only_managers_list_collaborators() {
    use berth_core::registry::uploads;
    let dir = tempfile::tempdir().unwrap();
    let hub = berth_core::testing::open_hub(dir.path(), &[]).await;
    let alice = user(&hub, "alice", true).await;
    let bob = user(&hub, "bobby", true).await;
    repositories::create(&hub, &alice, repo("alice", "app", false))
        .await
        .unwrap();
    let (r, role) = repositories::open(&hub, Some(&alice), "alice", "app")
        .await
        .unwrap();
    let upload = uploads::start(&hub, &r, &alice).await.unwrap();
    let mut data: &[u8] = b"half an upload";
    uploads::append(&hub, &r, &upload.id, None, &mut data)
        .await
        .unwrap();
    // Only managers list collaborators.
    repositories::add_collaborator(&hub, &alice, "alice/app", "bobby")
        .await
        .unwrap();
    let (_, bob_role) = repositories::open(&hub, Some(&bob), "alice", "app")
        .await
        .unwrap();
    assert!(matches!(
        repositories::collaborators(&hub, &r, bob_role).await,
        Err(RepoError::NotOwner)
    ));
    assert_eq!(
        repositories::collaborators(&hub, &r, role)
            .await
            .unwrap()
            .len(),
        1
    );

    repositories::delete(&hub, &alice, "alice/app", "app", &Default::default())
        .await
        .unwrap();
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM uploads")
        .fetch_one(hub.db.pool())
        .await
        .unwrap();
    assert_eq!(left, 0);
    // The upload's bytes are gone from the store as well.
    assert!(
        uploads::status(&hub, &r, &upload.id).await.is_err(),
        "upload forgotten"
    );
    if hub.config.storage_url.is_none() {
        let files: Vec<_> = std::fs::read_dir(dir.path().join("uploads"))
            .map(|d| d.flatten().collect())
            .unwrap_or_default();
        assert!(files.is_empty(), "upload bytes removed: {files:?}");
    }
}

#[tokio::test]
async fn administrators_list_accounts_with_plans_and_change_them() {
    let (hub, _dir) = hub().await;
    let root = accounts::register(
        &hub,
        NewAccount {
            username: "rootadmin",
            email: "root@example.com",
            password: "s3cret-pass",
        },
        true,
        true,
    )
    .await
    .unwrap();
    let alice = user(&hub, "alice", true).await;
    user(&hub, "bobby", false).await;
    repositories::create(&hub, &alice, repo("alice", "secret", true))
        .await
        .unwrap();

    // To anyone else the page does not exist, and nothing changes.
    assert!(matches!(
        repositories::plans_page(&hub, &alice, "", 1).await,
        Err(RepoError::NotFound)
    ));
    assert!(matches!(
        repositories::set_plan_as_admin(&hub, &alice, "alice", "50").await,
        Err(RepoError::NotFound)
    ));

    let all = repositories::plans_page(&hub, &root, "", 9).await.unwrap();
    assert_eq!((all.total, all.page, all.pages), (3, 1, 1));
    let names: Vec<_> = all.accounts.iter().map(|a| a.username.as_str()).collect();
    assert_eq!(names, ["alice", "bobby", "rootadmin"]);
    let a = &all.accounts[0];
    assert_eq!((a.private_used, a.private_repo_limit), (1, 1));
    // The filter matches Berth IDs and emails, case-insensitively, wildcards literally.
    let found = repositories::plans_page(&hub, &root, "BOBBY@EXAMPLE", 1)
        .await
        .unwrap();
    assert_eq!(found.accounts.len(), 1);
    assert_eq!(found.accounts[0].username, "bobby");
    assert_eq!(
        repositories::plans_page(&hub, &root, "%", 1)
            .await
            .unwrap()
            .total,
        0
    );

    for bad in ["", "two", "-1", "1.5", "100001"] {
        let err = repositories::set_plan_as_admin(&hub, &root, "alice", bad)
            .await
            .unwrap_err();
        assert!(
            field(err, "private_repos").contains("from 0 to 100000"),
            "{bad:?}"
        );
    }
    let err = repositories::set_plan_as_admin(&hub, &root, "nobody", "3")
        .await
        .unwrap_err();
    assert_eq!(field(err, "username"), "No account \"nobody\".");

    repositories::set_plan_as_admin(&hub, &root, "alice", " 3 ")
        .await
        .unwrap();
    let alice = accounts::user_by_name(&hub, "alice")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        repositories::private_usage(&hub, &alice).await.unwrap(),
        (1, 3)
    );
    // Lowering the limit below what is used keeps the repositories and stops new ones.
    repositories::set_plan_as_admin(&hub, &root, "alice", "0")
        .await
        .unwrap();
    let alice = accounts::user_by_name(&hub, "alice")
        .await
        .unwrap()
        .unwrap();
    assert!(repositories::open(&hub, Some(&alice), "alice", "secret")
        .await
        .is_ok());
    assert!(matches!(
        repositories::create(&hub, &alice, repo("alice", "more", true)).await,
        Err(RepoError::QuotaExceeded { limit: 0, used: 1 })
    ));
}
