//! `berth migrate-data`: a running single-machine hub (SQLite, blobs in its data folder) copied
//! into PostgreSQL and an S3 bucket; the hub started on the copies serves the same accounts,
//! images and counts. Needs the servers of `make test`'s second pass (ignored by plain `cargo test`;
//! scripts/test-scale.sh runs it with `--ignored`).

use crate::common;

use std::process::{Command, Output};

use berth_core::Config;
use common::reg::{sha256, Reg};

const PASSWORD: &str = "migrate test password";

fn migrate(args: &[&str], data: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_berth"))
        .arg("migrate-data")
        .args(args)
        .env("BERTH_DATA_DIR", data)
        .env_remove("BERTH_DATABASE_URL")
        .env_remove("BERTH_STORAGE_URL")
        .output()
        .unwrap()
}

async fn get_manifest(alice: &Reg) -> reqwest::Response {
    alice
        .req(
            reqwest::Method::GET,
            "/v2/movealice/app/manifests/v1",
            "movealice/app",
        )
        .await
        .header("accept", common::reg::OCI_MANIFEST)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the PostgreSQL and S3 servers of make test's second pass (scripts/test-scale.sh runs it)"]
async fn a_sqlite_hub_moves_to_postgres_and_s3() {
    assert!(
        berth_core::testing::on_postgres(),
        "migrate-data is tested against PostgreSQL and S3: run it with `make test`"
    );
    // The single-machine hub, on the embedded default.
    let old_dir = tempfile::tempdir().unwrap();
    let data = old_dir.path().to_string_lossy().to_string();
    let config =
        Config::from_pairs(&[("BERTH_DATA_DIR", &data), ("BERTH_ADDR", "127.0.0.1:0")]).unwrap();
    let old = berth_server::start(config).await.unwrap();
    let old_base = format!("http://{}", old.addr);
    for name in ["movealice", "movebob"] {
        common::register(&old.hub, name, PASSWORD, true, false).await;
    }
    let alice = Reg::new(&old_base, Some(("movealice", PASSWORD)));
    let (manifest, digest) = alice
        .push_image("movealice/app", "v1", b"a layer worth keeping")
        .await;
    alice
        .push_image("movealice/other", "latest", b"another layer")
        .await;
    assert_eq!(get_manifest(&alice).await.status(), 200);
    let bob = berth_core::accounts::user_by_name(&old.hub, "movebob")
        .await
        .unwrap()
        .unwrap();
    berth_core::discover::set_star(&old.hub, &bob, "movealice", "app", true)
        .await
        .unwrap();
    // An organization with a team and a pending invitation.
    berth_core::orgs::create(&old.hub, &bob, "moveacme", "", "ops@example.com")
        .await
        .unwrap();
    berth_core::orgs::create_team(&old.hub, &bob, "moveacme", "devs", "")
        .await
        .unwrap();
    berth_core::orgs::add_team_member(&old.hub, &bob, "moveacme", "devs", "movebob")
        .await
        .unwrap();
    berth_core::orgs::invite(&old.hub, &bob, "moveacme", "new@example.com", "member")
        .await
        .unwrap();
    berth_core::registry::repos::flush_pulls(&old.hub)
        .await
        .unwrap();

    // Copied while the old hub still runs.
    let target = berth_core::testing::fresh_backend().await;
    let pg = &target
        .iter()
        .find(|(k, _)| k == "BERTH_DATABASE_URL")
        .unwrap()
        .1;
    let s3 = &target
        .iter()
        .find(|(k, _)| k == "BERTH_STORAGE_URL")
        .unwrap()
        .1;
    let from = format!("sqlite://{data}/berth.db");
    let out = migrate(
        &["--from", &from, "--to", pg, "--to-storage", s3],
        old_dir.path(),
    );
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in [
        "blobs: 3 copied",
        "users: 3 rows copied, counts match",
        "org_members: 1 rows copied, counts match",
        "org_invitations: 1 rows copied, counts match",
        "teams: 1 rows copied, counts match",
        "team_members: 1 rows copied, counts match",
        "repositories: 2 rows copied, counts match",
        "manifests: 2 rows copied, counts match",
        "tags: 2 rows copied, counts match",
    ] {
        assert!(text.contains(line), "{line:?} in:\n{text}");
    }
    // How many settings and blob references there are depends on what the server did meanwhile
    // (the signing key; the backfill mark; the next daily run): each is copied, counts checked.
    for table in ["settings", "manifest_blobs"] {
        assert!(
            text.lines().any(|l| l.starts_with(&format!("{table}: "))
                && l.ends_with("rows copied, counts match")),
            "{table} in:\n{text}"
        );
    }
    // A second run refuses to copy into a hub that has data, and changes nothing.
    let again = migrate(&["--from", &from, "--to", pg], old_dir.path());
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already holds 3 accounts"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    old.shutdown().await.unwrap();

    // The hub on PostgreSQL and S3 serves what the old one held.
    let new_dir = tempfile::tempdir().unwrap();
    let new_data = new_dir.path().to_string_lossy().to_string();
    let mut pairs = vec![
        ("BERTH_DATA_DIR", new_data.as_str()),
        ("BERTH_ADDR", "127.0.0.1:0"),
    ];
    pairs.extend(target.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let new = berth_server::start(Config::from_pairs(&pairs).unwrap())
        .await
        .unwrap();
    let counts: (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT pull_count, tag_count, star_count,
                (SELECT CAST(SUM(pulls) AS BIGINT) FROM pull_days WHERE repository_id = r.id)
         FROM repositories r WHERE full_name = 'movealice/app'",
    )
    .fetch_one(new.hub.db.pool())
    .await
    .unwrap();
    // The counts triggers keep are not counted twice (copied, then the copied rows again).
    assert_eq!(
        counts,
        (1, 1, 1, 1),
        "pulls, tags, stars and daily pulls came along"
    );
    let alice = Reg::new(
        &format!("http://{}", new.addr),
        Some(("movealice", PASSWORD)),
    );
    let res = get_manifest(&alice).await;
    assert_eq!(res.status(), 200, "password, repository and tag came along");
    assert_eq!(res.headers()["docker-content-digest"], digest.as_str());
    assert_eq!(res.bytes().await.unwrap().to_vec(), manifest);
    let layer = sha256(b"a layer worth keeping");
    let res = alice
        .req(
            reqwest::Method::GET,
            &format!("/v2/movealice/app/blobs/{layer}"),
            "movealice/app",
        )
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.bytes().await.unwrap().as_ref(),
        b"a layer worth keeping"
    );
    // Ids continue after the copied ones: a new repository and account can be made.
    alice
        .push_image("movealice/third", "v1", b"pushed after the move")
        .await;
    common::register(&new.hub, "movecarol", PASSWORD, true, false).await;
    // The organization came along, and its ids continue too.
    let bob = berth_core::accounts::user_by_name(&new.hub, "movebob")
        .await
        .unwrap()
        .unwrap();
    let org = berth_core::orgs::open(&new.hub, Some(&bob), "moveacme")
        .await
        .unwrap();
    assert_eq!(org.role, Some(berth_core::access::OrgRole::Owner));
    let team = berth_core::orgs::team(&new.hub, &bob, &org, "devs")
        .await
        .unwrap();
    assert_eq!(team.members, ["movebob"]);
    assert_eq!(
        berth_core::orgs::invitations(&new.hub, &org)
            .await
            .unwrap()
            .len(),
        1
    );
    berth_core::orgs::create_team(&new.hub, &bob, "moveacme", "ops", "")
        .await
        .unwrap();
    berth_core::orgs::invite(&new.hub, &bob, "moveacme", "other@example.com", "member")
        .await
        .unwrap();
    new.shutdown().await.unwrap();
}
