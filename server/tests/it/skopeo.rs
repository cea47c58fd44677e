//! skopeo (a second real client, no daemon) copies an OCI layout with several layers into Berth
//! and back out, and every byte survives the round trip.

use crate::common;

use std::{path::Path, process::Command};

use common::TestServer;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

const PASSWORD: &str = "skopeo test password";

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Writes a blob into an OCI layout and returns its descriptor fields.
fn put_blob(layout: &Path, bytes: &[u8]) -> (String, usize) {
    let hex = sha256_hex(bytes);
    std::fs::write(layout.join("blobs/sha256").join(&hex), bytes).unwrap();
    (format!("sha256:{hex}"), bytes.len())
}

/// A gzipped tar holding one file, made with the system tar.
fn layer(work: &Path, n: usize) -> Vec<u8> {
    let dir = work.join(format!("layer{n}"));
    std::fs::create_dir_all(&dir).unwrap();
    // Different sizes and contents per layer, some of it incompressible.
    let mut content = format!("layer {n}\n").into_bytes();
    content.extend((0..(n * 70_000)).map(|i| ((i * 7919 + n * 31) % 251) as u8));
    std::fs::write(dir.join(format!("file{n}")), content).unwrap();
    let out = work.join(format!("layer{n}.tar.gz"));
    let status = Command::new("tar")
        .arg("-C")
        .arg(&dir)
        .arg("-czf")
        .arg(&out)
        .arg(".")
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::read(out).unwrap()
}

fn skopeo(args: &[&str]) -> String {
    let out = Command::new("skopeo")
        .args(args)
        .output()
        .expect("skopeo (Debian package) must be installed; `make test` installs it");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "skopeo {args:?} failed:\n{text}");
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skopeo_copies_an_oci_layout_in_and_out_byte_for_byte() {
    let s = TestServer::shared();
    berth_core::accounts::register(
        s.hub(),
        berth_core::accounts::NewAccount {
            username: "skopeouser",
            email: "skopeo@example.com",
            password: PASSWORD,
        },
        true,
        false,
    )
    .await
    .unwrap();
    let host = s.base.trim_start_matches("http://").to_string();
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    std::fs::create_dir_all(src.join("blobs/sha256")).unwrap();
    std::fs::write(src.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();

    let layers: Vec<(String, usize)> = (1..=3)
        .map(|n| put_blob(&src, &layer(work.path(), n)))
        .collect();
    let config = json!({
        "architecture": "arm64", "variant": "v8", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": []},
        "history": [{"created_by": "made by the skopeo test"}]
    })
    .to_string();
    let (config_digest, config_size) = put_blob(&src, config.as_bytes());
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config_size},
        "layers": layers.iter().map(|(d, size)| json!({
            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": size
        })).collect::<Vec<_>>()
    })
    .to_string();
    let (manifest_digest, manifest_size) = put_blob(&src, manifest.as_bytes());
    std::fs::write(
        src.join("index.json"),
        json!({"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest, "size": manifest_size,
            "annotations": {"org.opencontainers.image.ref.name": "v1"}
        }]})
        .to_string(),
    )
    .unwrap();

    let creds = format!("skopeouser:{PASSWORD}");
    let remote = format!("docker://{host}/skopeouser/layers:v1");
    let src_ref = format!("oci:{}:v1", src.display());
    let out = work.path().join("out");
    let out_ref = format!("oci:{}:v1", out.display());
    let (creds2, remote2) = (creds.clone(), remote.clone());
    tokio::task::spawn_blocking(move || {
        skopeo(&[
            "copy",
            "--dest-tls-verify=false",
            "--dest-creds",
            &creds2,
            &src_ref,
            &remote2,
        ]);
        // A second copy finds every blob already there.
        skopeo(&[
            "copy",
            "--dest-tls-verify=false",
            "--dest-creds",
            &creds2,
            &src_ref,
            &remote2,
        ]);
        let tags = skopeo(&[
            "list-tags",
            "--tls-verify=false",
            "--creds",
            &creds2,
            &remote2.replace(":v1", ""),
        ]);
        assert!(tags.contains("\"v1\""), "{tags}");
        skopeo(&[
            "copy",
            "--src-tls-verify=false",
            "--src-creds",
            &creds2,
            &remote2,
            &out_ref,
        ]);
    })
    .await
    .unwrap();

    // The manifest comes back byte for byte (same digest), and so does every blob.
    let index: Value =
        serde_json::from_slice(&std::fs::read(out.join("index.json")).unwrap()).unwrap();
    assert_eq!(index["manifests"][0]["digest"], manifest_digest.as_str());
    for (digest, _) in layers
        .iter()
        .chain([&(config_digest.clone(), 0), &(manifest_digest.clone(), 0)])
    {
        let hex = digest.trim_start_matches("sha256:");
        let original = std::fs::read(src.join("blobs/sha256").join(hex)).unwrap();
        let copied = std::fs::read(out.join("blobs/sha256").join(hex))
            .unwrap_or_else(|e| panic!("{digest} missing after the round trip: {e}"));
        assert_eq!(sha256_hex(&copied), hex);
        assert_eq!(original, copied, "{digest}");
    }

    // Recorded for the web pages: platform with variant, compressed size of the three layers.
    let (platforms, size): (String, i64) = sqlx::query_as(
        "SELECT m.platforms, m.total_size FROM manifests m JOIN repositories r ON r.id = m.repository_id
         WHERE r.full_name = 'skopeouser/layers' AND m.digest = $1",
    )
    .bind(&manifest_digest)
    .fetch_one(s.hub().db.pool())
    .await
    .unwrap();
    assert_eq!(
        platforms,
        r#"[{"os":"linux","architecture":"arm64","variant":"v8"}]"#
    );
    assert_eq!(size, layers.iter().map(|(_, s)| *s as i64).sum::<i64>());
    // skopeo's copy out of Berth is a pull of the tag it names, counted for the tag.
    berth_core::registry::repos::flush_pulls(s.hub())
        .await
        .unwrap();
    let (tag_pulls, last_pulled): (i64, Option<i64>) = sqlx::query_as(
        "SELECT t.pull_count, t.last_pulled_at FROM tags t JOIN repositories r ON r.id = t.repository_id
         WHERE r.full_name = 'skopeouser/layers' AND t.name = 'v1'",
    )
    .fetch_one(s.hub().db.pool())
    .await
    .unwrap();
    assert!(
        tag_pulls >= 1 && last_pulled.is_some(),
        "{tag_pulls} {last_pulled:?}"
    );
    let _ = (creds, remote);
}
