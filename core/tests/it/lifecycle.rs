//! Storage lifecycle on both backends: garbage collection (shared layers, dry runs, stray files,
//! pushes racing a collection), usage figures, storage limits, immutable tags, retention rules.

use berth_core::{
    access::Subject,
    accounts::User,
    activity::Origin,
    clock,
    lifecycle::{self, Policy},
    registry::{
        blobs, manifests,
        names::{Digest, Reference, RepoName},
        repos::{self, Repository},
        uploads, RegistryError,
    },
    repositories::RepoError,
    testing, Hub,
};

const CONFIG_TYPE: &str = "application/vnd.oci.image.config.v1+json";
const MANIFEST_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";

async fn repo(hub: &Hub, user: &User, name: &str) -> Repository {
    let name = RepoName::parse(name).unwrap();
    match repos::find(hub, &name).await.unwrap() {
        Some(r) => r,
        None => repos::create_for_push(hub, &Subject::User(user.clone()), &name)
            .await
            .unwrap(),
    }
}

async fn upload(hub: &Hub, repo: &Repository, user: &User, bytes: &[u8]) -> Digest {
    let digest = Digest::sha256(bytes);
    uploads::put_whole(hub, repo, user, &digest, &mut &bytes[..])
        .await
        .unwrap();
    digest
}

/// Pushes an image as docker does: each blob checked first and uploaded only if missing, then
/// the manifest. Returns the manifest's digest.
async fn push(
    hub: &Hub,
    repo: &Repository,
    user: &User,
    tag: &str,
    layers: &[&[u8]],
) -> Result<String, RegistryError> {
    let config = format!(r#"{{"architecture":"amd64","os":"linux","tag":"{tag}"}}"#);
    let mut descriptors = Vec::new();
    for (i, bytes) in std::iter::once(config.as_bytes())
        .chain(layers.iter().copied())
        .enumerate()
    {
        let digest = Digest::sha256(bytes);
        if blobs::size(hub, repo, &digest).await.is_err() {
            upload(hub, repo, user, bytes).await;
        }
        let media = if i == 0 {
            CONFIG_TYPE
        } else {
            "application/vnd.oci.image.layer.v1.tar"
        };
        descriptors.push(format!(
            r#"{{"mediaType":"{media}","digest":"{digest}","size":{}}}"#,
            bytes.len()
        ));
    }
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"{MANIFEST_TYPE}","config":{},"layers":[{}]}}"#,
        descriptors[0],
        descriptors[1..].join(",")
    );
    let pushed = manifests::put(
        hub,
        repo,
        &Reference::Tag(tag.into()),
        Some(MANIFEST_TYPE),
        manifest.as_bytes(),
        user,
        &Origin::default(),
    )
    .await?;
    Ok(pushed.digest.to_string())
}

async fn readable(hub: &Hub, repo: &Repository, bytes: &[u8]) -> bool {
    use tokio::io::AsyncReadExt;
    let digest = Digest::sha256(bytes);
    let Ok(size) = blobs::size(hub, repo, &digest).await else {
        return false;
    };
    let mut got = Vec::new();
    let Ok(mut reader) = blobs::open(hub, &digest, 0, size).await else {
        return false;
    };
    reader.read_to_end(&mut got).await.is_ok() && got == bytes
}

async fn delete(hub: &Hub, repo: &Repository, reference: Reference) -> Result<(), RegistryError> {
    manifests::delete(hub, repo, &reference, None, &Origin::default()).await
}

/// The stored bytes kept with each change equal those counted from the references.
async fn kept_is_counted(hub: &Hub, repo: &Repository) {
    assert_eq!(
        lifecycle::repository_bytes(hub, repo).await.unwrap(),
        testing::counted_repository_bytes(hub, repo.id).await,
        "{}",
        repo.full_name
    );
}

fn layer(seed: &str, len: usize) -> Vec<u8> {
    seed.bytes().cycle().take(len).collect()
}

#[tokio::test]
async fn collection_frees_only_what_nothing_references() {
    let dir = tempfile::tempdir().unwrap();
    let hub = testing::open_hub(dir.path(), &[]).await;
    let user = crate::account(&hub, "keeper", true, false).await;
    let app = repo(&hub, &user, "keeper/app").await;
    let web = repo(&hub, &user, "keeper/web").await;
    let (base, only_a, only_b) = (layer("base", 3000), layer("aaaa", 500), layer("bbbb", 700));
    let a = push(&hub, &app, &user, "a", &[&base, &only_a])
        .await
        .unwrap();
    push(&hub, &web, &user, "b", &[&base, &only_b])
        .await
        .unwrap();

    // Usage: distinct blobs; the shared layer counts once in the namespace.
    let cfg =
        |t: &str| format!(r#"{{"architecture":"amd64","os":"linux","tag":"{t}"}}"#).len() as i64;
    assert_eq!(
        lifecycle::repository_bytes(&hub, &app).await.unwrap(),
        3000 + 500 + cfg("a")
    );
    // A second image in the same repository adds only its own blobs; pushing it again nothing.
    let a2 = push(&hub, &app, &user, "a2", &[&base]).await.unwrap();
    push(&hub, &app, &user, "a2", &[&base]).await.unwrap();
    assert_eq!(
        lifecycle::repository_bytes(&hub, &app).await.unwrap(),
        3000 + 500 + cfg("a") + cfg("a2")
    );
    kept_is_counted(&hub, &app).await;
    delete(&hub, &app, Reference::Digest(a2.parse().unwrap()))
        .await
        .unwrap();
    kept_is_counted(&hub, &app).await;
    let (ns, limit) = lifecycle::namespace_usage(&hub, user.id).await.unwrap();
    assert_eq!(ns, 3000 + 500 + 700 + cfg("a") + cfg("b"));
    assert_eq!(limit, None);

    // A dry run on a fresh hub finds nothing and changes nothing.
    let dry = lifecycle::collect(&hub, true).await.unwrap();
    assert!(dry.blobs.is_empty() && dry.strays.is_empty(), "{dry:?}");

    delete(&hub, &app, Reference::Digest(a.parse().unwrap()))
        .await
        .unwrap();
    assert_eq!(lifecycle::repository_bytes(&hub, &app).await.unwrap(), 0);
    let dry = lifecycle::collect(&hub, true).await.unwrap();
    assert_eq!(dry.marked, 3, "a dry run says what it would mark: {dry:?}");
    kept_is_counted(&hub, &app).await;
    kept_is_counted(&hub, &web).await;
    // Found unreferenced: marked, not deleted (the grace period starts).
    let first = lifecycle::collect(&hub, false).await.unwrap();
    // Image a's own layer and configuration, and a2's configuration.
    assert_eq!(first.marked, 3, "{first:?}");
    assert!(first.blobs.is_empty());
    assert!(
        readable(&hub, &app, &only_a).await,
        "kept during the grace period"
    );

    testing::age_marks(&hub, clock::DAY + 1).await;
    let dry = lifecycle::collect(&hub, true).await.unwrap();
    assert_eq!(dry.blobs.len(), 3);
    assert_eq!(dry.bytes(), (500 + cfg("a") + cfg("a2")) as u64);
    // (Checked in the storage: reading a marked blob would restart its grace period.)
    let before = hub.registry.blobs.list_blobs().await.unwrap().len();
    assert_eq!(before, 6, "a dry run deletes nothing");

    let done = lifecycle::collect(&hub, false).await.unwrap();
    assert_eq!(
        done.bytes(),
        (500 + cfg("a") + cfg("a2")) as u64,
        "{done:?}"
    );
    let after = hub.registry.blobs.list_blobs().await.unwrap().len();
    assert_eq!(before - after, 3, "the bytes are gone from the storage");
    assert!(!readable(&hub, &app, &only_a).await);
    // The shared layer stays, readable through the repository that still uses it.
    assert!(readable(&hub, &web, &base).await);
    assert!(readable(&hub, &web, &only_b).await);
    let (ns, _) = lifecycle::namespace_usage(&hub, user.id).await.unwrap();
    assert_eq!(ns, 3000 + 700 + cfg("b"));

    // Pushing the deleted image again stores it again.
    push(&hub, &app, &user, "a", &[&base, &only_a])
        .await
        .unwrap();
    assert!(readable(&hub, &app, &only_a).await);
    kept_is_counted(&hub, &app).await;

    // Deleting a repository unreferences its blobs too; the other keeps the shared layer.
    berth_core::repositories::delete(&hub, &user, "keeper/app", "app", &Origin::default())
        .await
        .unwrap();
    lifecycle::collect(&hub, false).await.unwrap();
    testing::age_marks(&hub, clock::DAY + 1).await;
    let gone = lifecycle::collect(&hub, false).await.unwrap();
    assert_eq!(gone.blobs.len(), 2, "{gone:?}");
    assert!(readable(&hub, &web, &base).await);
}

#[tokio::test]
async fn stray_files_older_than_a_day_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let hub = testing::open_hub(dir.path(), &[]).await;
    let user = crate::account(&hub, "strayer", true, false).await;
    let app = repo(&hub, &user, "strayer/app").await;
    let kept = layer("kept", 100);
    push(&hub, &app, &user, "v1", &[&kept]).await.unwrap();
    // Bytes no row knows: written to the store directly, as a crash between storing and
    // recording would leave them.
    let stray = layer("stray", 321);
    let digest = Digest::sha256(&stray);
    hub.registry
        .blobs
        .start_upload("strayupload")
        .await
        .unwrap();
    hub.registry
        .blobs
        .append_upload("strayupload", 0, &mut &stray[..])
        .await
        .unwrap();
    hub.registry
        .blobs
        .commit_upload("strayupload", stray.len() as u64, &digest)
        .await
        .unwrap();
    // Young strays stay (an upload may be about to record them).
    let report = lifecycle::collect(&hub, false).await.unwrap();
    assert!(report.strays.is_empty(), "{report:?}");
    assert!(hub.registry.blobs.size(&digest).await.unwrap().is_some());
    // A day later they go; the recorded blobs stay.
    let report = lifecycle::collect_at(&hub, true, clock::now() + clock::DAY + 60)
        .await
        .unwrap();
    assert_eq!(
        report.strays,
        vec![(digest.to_string(), 321)],
        "dry run lists it"
    );
    assert!(hub.registry.blobs.size(&digest).await.unwrap().is_some());
    let report = lifecycle::collect_at(&hub, false, clock::now() + clock::DAY + 60)
        .await
        .unwrap();
    assert_eq!(report.strays, vec![(digest.to_string(), 321)]);
    assert!(hub.registry.blobs.size(&digest).await.unwrap().is_none());
    assert!(readable(&hub, &app, &kept).await);
}

/// Pushes reuse a layer that a collection is about to delete, concurrently, many times: every
/// push succeeds and every blob it references stays readable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_racing_a_collection_never_lose_a_blob() {
    let dir = tempfile::tempdir().unwrap();
    let hub = testing::open_hub(dir.path(), &[]).await;
    let user = crate::account(&hub, "racer", true, false).await;
    let app = repo(&hub, &user, "racer/app").await;
    let rounds = if testing::on_postgres() { 12 } else { 25 };
    for round in 0..rounds {
        let shared = layer(&format!("shared-{round}"), 2000);
        let old = push(&hub, &app, &user, "old", &[&shared]).await.unwrap();
        delete(&hub, &app, Reference::Digest(old.parse().unwrap()))
            .await
            .unwrap();
        lifecycle::collect(&hub, false).await.unwrap();
        testing::age_marks(&hub, clock::DAY + 1).await;
        // The layer is now collectable; a push that reuses it races the collection, starting
        // a little earlier or later each round.
        let delay = round % 5;
        let pushing = {
            let (hub, app, user, shared) = (hub.clone(), app.clone(), user.clone(), shared.clone());
            tokio::spawn(async move {
                for _ in 0..delay {
                    tokio::task::yield_now().await;
                }
                let own = layer(&format!("own-{round}"), 100);
                push(&hub, &app, &user, "new", &[&shared, &own]).await
            })
        };
        let collecting = {
            let hub = hub.clone();
            tokio::spawn(async move { lifecycle::collect(&hub, false).await })
        };
        let pushed = pushing.await.unwrap();
        collecting.await.unwrap().unwrap();
        assert!(pushed.is_ok(), "round {round}: {pushed:?}");
        assert!(
            readable(&hub, &app, &shared).await,
            "round {round}: the layer was lost"
        );
        // And a later collection leaves it alone: it is referenced.
        testing::age_marks(&hub, clock::DAY + 1).await;
        lifecycle::collect(&hub, false).await.unwrap();
        assert!(readable(&hub, &app, &shared).await, "round {round}");
    }
}

/// A collection killed at each of its steps (an injected failure of the blob store stands for
/// a kill -9 there: before the bytes go, and after they went but before the next step) never
/// leaves a row without bytes: a docker-like push of the same image afterwards uploads what is
/// missing, and the image pulls byte-exact. Fails if a blob's row outlives its bytes.
#[tokio::test]
async fn a_collection_killed_at_any_step_corrupts_no_image() {
    use testing::{FaultyStore, StoreOp, Strike};
    let dir = tempfile::tempdir().unwrap();
    let hub = testing::open_hub(dir.path(), &[]).await;
    let user = crate::account(&hub, "crasher", true, false).await;
    let app = repo(&hub, &user, "crasher/app").await;
    let (faulty, faults) = FaultyStore::wrap(&hub);
    for (round, strike) in [Strike::Before, Strike::After].into_iter().enumerate() {
        let own = layer(&format!("crash-{round}"), 4000);
        let old = push(&hub, &app, &user, "v", &[&own]).await.unwrap();
        delete(&hub, &app, Reference::Digest(old.parse().unwrap()))
            .await
            .unwrap();
        lifecycle::collect(&hub, false).await.unwrap();
        testing::age_marks(&hub, clock::DAY + 1).await;
        // The first byte deletion of the collection fails, and the collection goes on.
        faults.fail(StoreOp::Delete, 0, strike);
        lifecycle::collect(&faulty, false).await.unwrap();
        assert_eq!(
            testing::rows_without_bytes(&hub).await,
            Vec::<String>::new(),
            "round {round} ({strike:?}): a row outlived its bytes"
        );
        // Restarted a while later: the same image pushed as docker does, then pulled.
        testing::age_deletions(&hub, lifecycle::DELETION_STALE + 1).await;
        push(&hub, &app, &user, "v", &[&own]).await.unwrap();
        assert!(
            readable(&hub, &app, &own).await,
            "round {round} ({strike:?}): the pushed layer does not pull"
        );
        // The next collection finishes what was interrupted and keeps the pushed image.
        lifecycle::collect(&hub, false).await.unwrap();
        assert!(readable(&hub, &app, &own).await, "round {round}");
        assert!(testing::rows_without_bytes(&hub).await.is_empty());
    }
    // An interrupted deletion nobody pushes again is finished by the next collection.
    let lone = layer("lone", 1234);
    let old = push(&hub, &app, &user, "lone", &[&lone]).await.unwrap();
    delete(&hub, &app, Reference::Digest(old.parse().unwrap()))
        .await
        .unwrap();
    lifecycle::collect(&hub, false).await.unwrap();
    testing::age_marks(&hub, clock::DAY + 1).await;
    // (Its configuration and its layer: both deletions fail.)
    faults.fail(StoreOp::Delete, 0, Strike::Before);
    faults.fail(StoreOp::Delete, 0, Strike::Before);
    lifecycle::collect(&faulty, false).await.unwrap();
    let digest = Digest::sha256(&lone);
    assert!(hub.registry.blobs.size(&digest).await.unwrap().is_some());
    assert!(
        !readable(&hub, &app, &lone).await,
        "deleted as far as anyone sees"
    );
    testing::age_deletions(&hub, lifecycle::DELETION_STALE + 1).await;
    lifecycle::collect(&hub, false).await.unwrap();
    assert!(hub.registry.blobs.size(&digest).await.unwrap().is_none());
}

/// A row left without bytes by an older Berth's interrupted collection (marked for collection,
/// bytes gone) is answered as unknown, so docker uploads the layer again and the image heals.
#[tokio::test]
async fn a_marked_row_without_bytes_is_unknown_and_heals_on_push() {
    let dir = tempfile::tempdir().unwrap();
    let hub = testing::open_hub(dir.path(), &[]).await;
    let user = crate::account(&hub, "healer", true, false).await;
    let app = repo(&hub, &user, "healer/app").await;
    let other = repo(&hub, &user, "healer/other").await;
    let own = layer("heal", 2500);
    let old = push(&hub, &app, &user, "v", &[&own]).await.unwrap();
    delete(&hub, &app, Reference::Digest(old.parse().unwrap()))
        .await
        .unwrap();
    lifecycle::collect(&hub, false).await.unwrap();
    let digest = Digest::sha256(&own);
    hub.registry.blobs.delete(&digest).await.unwrap();
    assert!(
        blobs::size(&hub, &app, &digest).await.is_err(),
        "HEAD says unknown"
    );
    assert!(
        !blobs::mount(&hub, &app, &other, &digest).await.unwrap(),
        "nothing to mount"
    );
    push(&hub, &app, &user, "v", &[&own]).await.unwrap();
    assert!(readable(&hub, &app, &own).await);
    assert!(testing::rows_without_bytes(&hub).await.is_empty());
}

#[tokio::test]
async fn immutable_tags_and_storage_limits() {
    let dir = tempfile::tempdir().unwrap();
    let hub = testing::open_hub(dir.path(), &[]).await;
    let user = crate::account(&hub, "fixer", true, false).await;
    let admin = crate::account(&hub, "rootadmin", true, true).await;
    let app = repo(&hub, &user, "fixer/app").await;
    push(&hub, &app, &user, "v1", &[&layer("one", 10)])
        .await
        .unwrap();
    push(&hub, &app, &user, "latest", &[&layer("one", 10)])
        .await
        .unwrap();

    // A bad pattern is a field error and nothing is saved.
    let bad = lifecycle::set_policy(
        &hub,
        &user,
        "fixer/app",
        Policy {
            immutable_tags: "v[".into(),
            keep_last: -1,
            ..Policy::default()
        },
    )
    .await
    .unwrap_err();
    let RepoError::Invalid(fields) = bad else {
        panic!("{bad:?}")
    };
    assert!(fields.get("immutable_tags").is_some() && fields.get("keep_last").is_some());
    lifecycle::set_policy(
        &hub,
        &user,
        "fixer/app",
        Policy {
            immutable_tags: "v[0-9]+".into(),
            ..Policy::default()
        },
    )
    .await
    .unwrap();
    // Moving v1 is refused, naming the rule; pushing the same image again is fine; latest moves.
    let moved = push(&hub, &app, &user, "v1", &[&layer("two", 10)])
        .await
        .unwrap_err();
    assert!(
        moved
            .to_string()
            .contains("tag v1 of fixer/app is immutable (tags matching v[0-9]+ are immutable)"),
        "{moved}"
    );
    push(&hub, &app, &user, "v1", &[&layer("one", 10)])
        .await
        .unwrap();
    push(&hub, &app, &user, "latest", &[&layer("two", 10)])
        .await
        .unwrap();
    // Deleting it is refused, by tag, by digest, and from the web.
    let del = delete(&hub, &app, Reference::Tag("v1".into()))
        .await
        .unwrap_err();
    assert!(matches!(del, RegistryError::Denied(_)), "{del:?}");
    let v1 = manifests::get(&hub, &app, &Reference::Tag("v1".into()))
        .await
        .unwrap();
    let del = delete(&hub, &app, Reference::Digest(v1.digest.parse().unwrap()))
        .await
        .unwrap_err();
    assert!(del.to_string().contains("cannot be deleted"), "{del}");
    let web =
        berth_core::repositories::delete_tag(&hub, &user, "fixer/app", "v1", &Origin::default())
            .await
            .unwrap_err();
    assert!(
        web.to_string()
            .starts_with("Tag v1 of fixer/app is immutable"),
        "{web}"
    );
    delete(&hub, &app, Reference::Tag("latest".into()))
        .await
        .unwrap();

    // Storage limit: only administrators set it; a push past it is refused with the figures,
    // one adding nothing new still goes through.
    assert!(lifecycle::set_storage_limit(&hub, &user, "fixer", Some(1))
        .await
        .is_err());
    let (used, _) = lifecycle::namespace_usage(&hub, user.id).await.unwrap();
    lifecycle::set_storage_limit(&hub, &admin, "fixer", Some(used + 50))
        .await
        .unwrap();
    let big = push(&hub, &app, &user, "big", &[&layer("big", 5000)])
        .await
        .unwrap_err();
    assert!(
        big.to_string()
            .contains("storage limit reached: fixer may store"),
        "{big}"
    );
    push(&hub, &app, &user, "v1", &[&layer("one", 10)])
        .await
        .unwrap();
    // The administrators' list, largest first or by name.
    let other = crate::account(&hub, "afewbytes", true, false).await;
    let small = repo(&hub, &other, "afewbytes/app").await;
    push(&hub, &small, &other, "v1", &[&layer("s", 5)])
        .await
        .unwrap();
    let overview = lifecycle::usage_overview(&hub, &admin, false, 10)
        .await
        .unwrap()
        .unwrap();
    let names: Vec<&str> = overview.0.iter().map(|u| u.namespace.as_str()).collect();
    // Namespaces storing nothing yet are listed too, so a limit can be set in advance.
    assert_eq!(names, ["fixer", "afewbytes", "rootadmin"]);
    assert_eq!(overview.0[2].bytes, 0);
    assert_eq!(overview.0[0].limit, Some(used + 50));
    let by_name = lifecycle::usage_overview(&hub, &admin, true, 10)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_name.0[0].namespace, "afewbytes");
    assert!(lifecycle::usage_overview(&hub, &user, false, 10)
        .await
        .unwrap()
        .is_none());
}

/// Two pushes at once into a namespace with room for one: the limit is checked under the
/// namespace's lock in each push's transaction, so never both (the check used to run before the
/// transaction, and concurrent pushes could exceed the limit).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_pushes_never_exceed_a_storage_limit() {
    let dir = tempfile::tempdir().unwrap();
    let hub = testing::open_hub(dir.path(), &[]).await;
    let user = crate::account(&hub, "crowded", true, false).await;
    let admin = crate::account(&hub, "limitadmin", true, true).await;
    let app = repo(&hub, &user, "crowded/app").await;
    push(&hub, &app, &user, "base", &[&layer("base", 100)])
        .await
        .unwrap();
    let rounds = if testing::on_postgres() { 3 } else { 6 };
    for round in 0..rounds {
        let (used, _) = lifecycle::namespace_usage(&hub, user.id).await.unwrap();
        // Room for one more 1,000-byte image (and its configuration), not two.
        lifecycle::set_storage_limit(&hub, &admin, "crowded", Some(used + 1_500))
            .await
            .unwrap();
        let pushes: Vec<_> = ["a", "b"]
            .into_iter()
            .map(|side| {
                let (hub, app, user) = (hub.clone(), app.clone(), user.clone());
                tokio::spawn(async move {
                    let own = layer(&format!("{side}{round}"), 1_000);
                    push(&hub, &app, &user, &format!("{side}{round}"), &[&own]).await
                })
            })
            .collect();
        let mut ok = 0;
        for p in pushes {
            match p.await.unwrap() {
                Ok(_) => ok += 1,
                Err(RegistryError::Denied(why)) => assert!(why.contains("storage limit"), "{why}"),
                Err(e) => panic!("round {round}: {e:?}"),
            }
        }
        assert_eq!(ok, 1, "round {round}: exactly one fits");
        let (after, limit) = lifecycle::namespace_usage(&hub, user.id).await.unwrap();
        assert!(
            after <= limit.unwrap(),
            "round {round}: {after} over {limit:?}"
        );
    }
}

#[tokio::test]
async fn retention_rules_preview_then_delete_exactly_that() {
    let dir = tempfile::tempdir().unwrap();
    let hub = testing::open_hub(dir.path(), &[]).await;
    let user = crate::account(&hub, "pruner", true, false).await;
    let other = crate::account(&hub, "outsider", true, false).await;
    let app = repo(&hub, &user, "pruner/app").await;
    for i in 1..=4 {
        push(
            &hub,
            &app,
            &user,
            &format!("build-{i}"),
            &[&layer(&format!("b{i}"), 100)],
        )
        .await
        .unwrap();
        testing::age_tags(&hub, 10).await;
    }
    push(&hub, &app, &user, "stable", &[&layer("s", 100)])
        .await
        .unwrap();
    lifecycle::set_policy(
        &hub,
        &user,
        "pruner/app",
        Policy {
            keep_last: 2,
            keep_pattern: "build-.*".into(),
            ..Policy::default()
        },
    )
    .await
    .unwrap();
    assert!(lifecycle::preview(&hub, &other, "pruner/app")
        .await
        .is_err());
    let plan = lifecycle::preview(&hub, &user, "pruner/app").await.unwrap();
    let what: Vec<&str> = plan.items.iter().map(|i| i.what.as_str()).collect();
    assert_eq!(what.len(), 4, "{what:?}");
    assert!(what.contains(&"pruner/app:build-1") && what.contains(&"pruner/app:build-2"));
    assert_eq!(
        what.iter().filter(|w| w.contains('@')).count(),
        2,
        "their manifests too"
    );
    // Each build's layer and config are its own: that is what goes.
    let cfg =
        |t: &str| format!(r#"{{"architecture":"amd64","os":"linux","tag":"{t}"}}"#).len() as i64;
    assert_eq!(plan.bytes, 200 + cfg("build-1") + cfg("build-2"));
    let ran = lifecycle::run_retention(&hub, &user, "pruner/app")
        .await
        .unwrap();
    assert_eq!(ran.items, plan.items);
    kept_is_counted(&hub, &app).await;
    let log = lifecycle::retention_log(&hub, &app).await.unwrap();
    assert_eq!(log.len(), 4);
    // The log frees what the preview said (it once read the figure after the deletion: 0 B).
    assert_eq!(log.iter().map(|l| l.bytes).sum::<i64>(), plan.bytes);
    assert!(log
        .iter()
        .any(|l| l.what == "pruner/app:build-1" && l.rule == "keeps the newest 2"));
    for tag in ["build-3", "build-4", "stable"] {
        assert!(
            manifests::get(&hub, &app, &Reference::Tag(tag.into()))
                .await
                .is_ok(),
            "{tag}"
        );
    }
    assert!(
        manifests::get(&hub, &app, &Reference::Tag("build-1".into()))
            .await
            .is_err()
    );
    // Nothing more to do now.
    assert!(lifecycle::preview(&hub, &user, "pruner/app")
        .await
        .unwrap()
        .items
        .is_empty());

    // Untagged manifests older than the rule's days go; younger ones stay.
    delete(&hub, &app, Reference::Tag("build-3".into()))
        .await
        .unwrap();
    lifecycle::set_policy(
        &hub,
        &user,
        "pruner/app",
        Policy {
            untagged_days: 1,
            ..Policy::default()
        },
    )
    .await
    .unwrap();
    assert!(lifecycle::preview(&hub, &user, "pruner/app")
        .await
        .unwrap()
        .items
        .is_empty());
    testing::age_tags(&hub, clock::DAY * 2).await;
    let plan = lifecycle::preview(&hub, &user, "pruner/app").await.unwrap();
    assert_eq!(plan.items.len(), 1, "{plan:?}");
    assert!(plan.items[0].rule.contains("untagged for more than 1 days"));

    // Tags not pulled for N days: a pulled tag stays.
    lifecycle::set_policy(
        &hub,
        &user,
        "pruner/app",
        Policy {
            unpulled_days: 1,
            ..Policy::default()
        },
    )
    .await
    .unwrap();
    repos::count_pull(&hub, &app, Some("stable"));
    repos::flush_pulls(&hub).await.unwrap();
    let plan = lifecycle::preview(&hub, &user, "pruner/app").await.unwrap();
    let tags: Vec<_> = plan.items.iter().filter_map(|i| i.tag.clone()).collect();
    assert_eq!(tags, vec!["build-4".to_string()], "{plan:?}");
}

/// Tags pushed within one second (`docker push --all-tags`, CI pushing two tags) keep their
/// push order: "keep the newest 1" keeps the one pushed last, whatever the names, and the Tags
/// tab lists it first. Fails while ties in the push time go to the alphabetically first name.
#[tokio::test]
async fn tags_pushed_in_the_same_second_keep_their_order() {
    let dir = tempfile::tempdir().unwrap();
    let hub = testing::open_hub(dir.path(), &[]).await;
    let user = crate::account(&hub, "sameseconder", true, false).await;
    let app = repo(&hub, &user, "sameseconder/app").await;
    for tag in ["dev1", "dev2", "a-last"] {
        push(&hub, &app, &user, tag, &[&layer(tag, 100)])
            .await
            .unwrap();
    }
    // Make the three pushes one second for sure.
    sqlx::query("UPDATE tags SET pushed_at = 1000000000 WHERE repository_id = $1")
        .bind(app.id)
        .execute(hub.db.pool())
        .await
        .unwrap();
    lifecycle::set_policy(
        &hub,
        &user,
        "sameseconder/app",
        Policy {
            keep_last: 1,
            ..Policy::default()
        },
    )
    .await
    .unwrap();
    let plan = lifecycle::preview(&hub, &user, "sameseconder/app")
        .await
        .unwrap();
    let tags: Vec<_> = plan.items.iter().filter_map(|i| i.tag.clone()).collect();
    assert_eq!(tags, ["dev2", "dev1"], "{plan:?}");
    let app = repo(&hub, &user, "sameseconder/app").await;
    let listed = berth_core::repositories::tag_page(
        &hub,
        &app,
        "",
        berth_core::repositories::TagOrder::Newest,
        1,
    )
    .await
    .unwrap();
    let names: Vec<&str> = listed.tags.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["a-last", "dev2", "dev1"]);

    // Across repositories too: explore's "recently updated" and the dashboard list the one
    // pushed last first, although both were pushed in the same second.
    let first = repo(&hub, &user, "sameseconder/aa-first").await;
    let second = repo(&hub, &user, "sameseconder/bb-second").await;
    push(&hub, &first, &user, "v", &[&layer("first", 10)])
        .await
        .unwrap();
    push(&hub, &second, &user, "v", &[&layer("second", 10)])
        .await
        .unwrap();
    sqlx::query("UPDATE repositories SET last_pushed_at = 2000000000 WHERE owner_id = $1")
        .bind(user.id)
        .execute(hub.db.pool())
        .await
        .unwrap();
    let explore = berth_core::discover::explore(&hub, berth_core::discover::Sort::Updated, 1)
        .await
        .unwrap();
    let order: Vec<&str> = explore
        .repositories
        .iter()
        .map(|r| r.full_name.as_str())
        .filter(|n| n.starts_with("sameseconder/"))
        .collect();
    assert_eq!(
        order,
        [
            "sameseconder/bb-second",
            "sameseconder/aa-first",
            "sameseconder/app"
        ]
    );
    let dash = berth_core::repositories::dashboard(&hub, &user, None, false)
        .await
        .unwrap();
    assert_eq!(dash.repositories[0].full_name, "sameseconder/bb-second");
}

#[tokio::test]
async fn the_daily_job_is_queued_once_however_many_replicas_ask() {
    let dir = tempfile::tempdir().unwrap();
    let hub = testing::open_hub(dir.path(), &[]).await;
    // Replicas ask at the same moment: one wins the compare-and-set.
    let (a, b, c) = tokio::join!(
        lifecycle::schedule(&hub),
        lifecycle::schedule(&hub),
        lifecycle::schedule(&hub)
    );
    let won = [a.unwrap(), b.unwrap(), c.unwrap()];
    assert_eq!(won.iter().filter(|w| **w).count(), 1, "{won:?}");
    assert_eq!(
        berth_core::jobs::pending(&hub, "lifecycle").await.unwrap(),
        1
    );
    // Not again before a day has passed; the job runs retention and collection.
    assert!(!lifecycle::schedule(&hub).await.unwrap());
    assert_eq!(berth_core::jobs::run_due(&hub).await.unwrap(), 1);
    assert_eq!(
        berth_core::jobs::pending(&hub, "lifecycle").await.unwrap(),
        0
    );
}

/// Deleting a manifest by digest, and a retention run, are `tag_deleted` events for every tag
/// that goes (a receiver hears of each tag, not only of tags deleted by name).
#[tokio::test]
async fn tags_deleted_with_their_manifest_are_webhook_events() {
    use berth_core::webhooks::{self, Form};
    let dir = tempfile::tempdir().unwrap();
    let hub = testing::open_hub(dir.path(), &[]).await;
    let user = crate::account(&hub, "hooked", true, false).await;
    let app = repo(&hub, &user, "hooked/app").await;
    let one = layer("one", 10);
    let digest = push(&hub, &app, &user, "v1", &[&one]).await.unwrap();
    // The same manifest under a second tag (same configuration: the helper keys it by tag).
    let m = manifests::get(&hub, &app, &Reference::Tag("v1".into()))
        .await
        .unwrap();
    manifests::put(
        &hub,
        &app,
        &Reference::Tag("also".into()),
        Some(MANIFEST_TYPE),
        &m.content,
        &user,
        &Origin::default(),
    )
    .await
    .unwrap();
    push(&hub, &app, &user, "old", &[&layer("old", 10)])
        .await
        .unwrap();
    let hook = webhooks::create(
        &hub,
        &user,
        "hooked/app",
        Form {
            name: "ci",
            url: "https://ci.example.com/hook",
            events: &["tag_deleted".to_string()],
            secret: "",
            remove_secret: false,
            active: true,
        },
    )
    .await
    .unwrap();
    delete(&hub, &app, Reference::Digest(digest.parse().unwrap()))
        .await
        .unwrap();
    let tags_in_log = || async {
        let (_, log) = webhooks::log(&hub, &user, "hooked/app", hook.id)
            .await
            .unwrap();
        let mut tags: Vec<String> = log
            .iter()
            .map(|d| {
                assert_eq!(d.event, "tag_deleted");
                let body: serde_json::Value = serde_json::from_str(&d.body).unwrap();
                body["push_data"]["tag"].as_str().unwrap().to_string()
            })
            .collect();
        tags.sort();
        tags
    };
    assert_eq!(tags_in_log().await, ["also", "v1"]);
    lifecycle::set_policy(
        &hub,
        &user,
        "hooked/app",
        Policy {
            unpulled_days: 1,
            ..Policy::default()
        },
    )
    .await
    .unwrap();
    testing::age_tags(&hub, 2 * clock::DAY).await;
    lifecycle::run_retention(&hub, &user, "hooked/app")
        .await
        .unwrap();
    assert_eq!(tags_in_log().await, ["also", "old", "v1"]);
}
