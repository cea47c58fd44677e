//! Storage lifecycle over HTTP: tag rules by plain form (a bad pattern beside its field, typed
//! text escaped), an immutable tag refused by the registry with the spec's JSON, the retention
//! preview rendered without JavaScript and run, and storage limits on the administrators' page
//! refusing a push.

use crate::common::{
    self, get_html, location, post_form, reg::Reg, submit, web_session, TestServer,
};

#[tokio::test]
async fn tag_rules_retention_and_storage_limits_over_http() {
    let s = TestServer::shared();
    let alice = Reg::user("lcweb", true, false).await;
    let repo = format!("{}/app", alice.name());
    alice.push_image(&repo, "v0", b"old layer").await;
    alice.push_image(&repo, "v1", b"new layer").await;
    // v0 older by a minute (pushes in one second tie, and "newest" would fall to name order).
    sqlx::query(
        "UPDATE tags SET pushed_at = pushed_at - 60 WHERE name = 'v0'
         AND repository_id = (SELECT id FROM repositories WHERE full_name = $1)",
    )
    .bind(&repo)
    .execute(s.hub().db.pool())
    .await
    .unwrap();
    let (name, password) = alice.login.clone().unwrap();
    let c = web_session(s, &name, &password).await;
    let settings = format!("/r/{repo}?tab=settings&section=rules");

    // A pattern that is not a regular expression: a message beside the field, what was typed kept
    // (as text), nothing saved.
    let rules = |mode: &'static str, pattern: &'static str, keep: &'static str| {
        let repo = repo.clone();
        move || {
            vec![
                ("full_name".to_string(), repo.clone()),
                ("immutable_mode".into(), mode.into()),
                ("immutable_pattern".into(), pattern.into()),
                ("untagged_days".into(), String::new()),
                ("keep_last".into(), keep.into()),
                ("keep_pattern".into(), String::new()),
                ("unpulled_days".into(), String::new()),
            ]
        }
    };
    let form = rules("pattern", "<b>(", "1")();
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (_, html) = submit(s, &c, "/api/repositories/tag-rules", &settings, &pairs).await;
    assert!(html.contains("Not a regular expression"), "{html}");
    assert!(
        html.contains("value=\"&lt;b&gt;(\""),
        "typed text escaped and kept"
    );
    assert!(!html.contains("Tag rules saved."));

    let form = rules("pattern", "v[0-9]+", "1")();
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let res = post_form(s, &c, "/api/repositories/tag-rules", &settings, &pairs).await;
    assert!(location(&res).ends_with("?tab=settings&section=rules&saved=tag-rules#tag-rules"));

    // The registry refuses moving v1 (to v0's image), with the spec's JSON and the rule; and
    // deleting it.
    let res = alice
        .req(
            reqwest::Method::GET,
            &format!("/v2/{repo}/manifests/v0"),
            &repo,
        )
        .await
        .header("accept", common::reg::OCI_MANIFEST)
        .send()
        .await
        .unwrap();
    let v0_manifest = res.bytes().await.unwrap();
    let res = alice
        .req(
            reqwest::Method::PUT,
            &format!("/v2/{repo}/manifests/v1"),
            &repo,
        )
        .await
        .header("content-type", common::reg::OCI_MANIFEST)
        .body(v0_manifest.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "DENIED");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains(&format!(
                "tag v1 of {repo} is immutable (tags matching v[0-9]+ are immutable)"
            )),
        "{body}"
    );
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
    assert_eq!(res.status(), 403);

    // "Keep only the newest tag" deletes nothing while every tag is immutable.
    let (_, html) = get_html(s, &c, &format!("{settings}&preview=1")).await;
    assert!(
        html.contains("Nothing: every tag and image is kept."),
        "{html}"
    );
    // Without the immutable rule, the preview (rendered on the server) lists v0 and its image.
    let form = rules("none", "", "1")();
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    submit(s, &c, "/api/repositories/tag-rules", &settings, &pairs).await;
    let (_, html) = get_html(s, &c, &format!("{settings}&preview=1")).await;
    assert!(html.contains("2 to delete, freeing"), "{html}");
    assert!(html.contains(&format!("{repo}:v0")));
    let (to, html) = submit(
        s,
        &c,
        "/api/repositories/retention-run",
        &settings,
        &[("full_name", &repo)],
    )
    .await;
    assert!(to.contains("saved=retention"), "{to}");
    assert!(html.contains("keeps the newest 1"), "the log: {html}");
    let res = alice
        .req(
            reqwest::Method::GET,
            &format!("/v2/{repo}/manifests/v0"),
            &repo,
        )
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // Storage limits: the administrators' page only; a bad number beside its field; a limit
    // below what the namespace stores refuses a push that adds bytes, with the figures.
    let (code, _) = get_html(s, &c, "/admin/storage").await;
    assert_eq!(code, 404);
    let admin = Reg::user("lcadmin", true, true).await;
    let (an, ap) = admin.login.clone().unwrap();
    let a = web_session(s, &an, &ap).await;
    let (code, html) = get_html(s, &a, "/admin/storage").await;
    assert_eq!(code, 200);
    assert!(html.contains(&format!(">{name}<")), "{html}");
    let (_, html) = submit(
        s,
        &a,
        "/api/admin/storage-limit",
        "/admin/storage",
        &[("namespace", &name), ("limit_gb", "lots")],
    )
    .await;
    assert!(html.contains("A number of gigabytes"), "{html}");
    let (_, html) = submit(
        s,
        &a,
        "/api/admin/storage-limit",
        "/admin/storage",
        &[("namespace", &name), ("limit_gb", "0.000000001")],
    )
    .await;
    assert!(html.contains("Storage limit saved."), "{html}");
    let layer = alice
        .push_blob(&repo, b"one more layer, too many bytes")
        .await;
    let config = alice.push_blob(&repo, b"{}").await;
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": common::reg::OCI_MANIFEST,
        "config": {"mediaType":"application/vnd.oci.image.config.v1+json","digest":config,"size":2},
        "layers": [{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":layer,"size":30}]
    })
    .to_string();
    let res = alice
        .req(
            reqwest::Method::PUT,
            &format!("/v2/{repo}/manifests/v9"),
            &repo,
        )
        .await
        .header("content-type", common::reg::OCI_MANIFEST)
        .body(manifest)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains(&format!("storage limit reached: {name} may store 1 B")),
        "{body}"
    );
    // The owner sees the usage and the limit on the settings pages.
    let (_, html) = get_html(s, &c, "/settings").await;
    assert!(
        html.contains(&format!("{name} stores")) && html.contains("of its 1 B limit"),
        "{html}"
    );
}

/// `berth gc` as operators run it, on a data folder: a dry run lists a two-day-old file no row
/// knows and leaves it; the real run removes it; both print the bytes.
#[test]
fn berth_gc_lists_then_removes_stray_files() {
    use sha2::Digest as _;
    let dir = tempfile::tempdir().unwrap();
    let bytes = b"stray bytes";
    let hex = hex::encode(sha2::Sha256::digest(bytes));
    let shard = dir.path().join("blobs/sha256").join(&hex[..2]);
    std::fs::create_dir_all(&shard).unwrap();
    let file = shard.join(&hex);
    std::fs::write(&file, bytes).unwrap();
    let gc = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_berth"))
            .arg("gc")
            .args(args)
            .env("BERTH_DATA_DIR", dir.path())
            .env("BERTH_LOG", "warn")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    // Young: an upload may be about to record it.
    let young = gc(&["--dry-run"]);
    assert!(
        young.contains("Would remove 0 blobs and 0 stray files"),
        "{young}"
    );
    let aged = std::process::Command::new("touch")
        .args(["-d", "2 days ago"])
        .arg(&file)
        .status()
        .unwrap();
    assert!(aged.success());
    let dry = gc(&["--dry-run"]);
    assert!(
        dry.contains(&format!("would remove stray file sha256:{hex} (11 bytes"))
            && dry.contains("Would remove 0 blobs and 1 stray files, 11 bytes would be reclaimed"),
        "{dry}"
    );
    assert!(file.exists(), "a dry run removes nothing");
    let real = gc(&[]);
    assert!(
        real.contains("Removed 0 blobs and 1 stray files, 11 bytes reclaimed"),
        "{real}"
    );
    assert!(!file.exists());
}
