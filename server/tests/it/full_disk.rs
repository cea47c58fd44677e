//! A full disk under the blob store, for real: a small tmpfs holds the blobs (the database stays
//! where it is). An upload that meets the full disk gets the spec's JSON with 507 and says why,
//! nothing half-written becomes visible, what was stored before still pulls, and once space is
//! freed the same upload goes through.

use std::process::Command;

use reqwest::{Method, StatusCode};

use crate::common::{self, reg::Reg, TestServer};

const PASSWORD: &str = "full disk test password";

/// A tmpfs mounted for the test, unmounted when dropped.
struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    fn mount(megabytes: u32) -> Tmpfs {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(dir.path())
            .output()
            .expect("mount (the tests run as root, as make test does)");
        assert!(
            out.status.success(),
            "mounting a tmpfs: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Tmpfs(dir)
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0.path()).status();
    }
}

async fn upload(reg: &Reg, repo: &str, bytes: &[u8]) -> reqwest::Response {
    reg.req(
        Method::POST,
        &format!(
            "/v2/{repo}/blobs/uploads/?digest={}",
            common::reg::sha256(bytes)
        ),
        repo,
    )
    .await
    .body(bytes.to_vec())
    .send()
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_named_loses_nothing_and_passes() {
    let disk = Tmpfs::mount(8);
    let store = format!("file://{}", disk.0.path().display());
    let s = TestServer::start_with(&[("BERTH_STORAGE_URL", store.as_str())]).await;
    common::register(s.hub(), "fuller", PASSWORD, true, false).await;
    let reg = Reg::new(&s.base, Some(("fuller", PASSWORD)));
    let repo = "fuller/app";
    let kept: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    assert_eq!(upload(&reg, repo, &kept).await.status(), 201);
    // Fill the disk but for a megabyte or so.
    let filler = disk.0.path().join("filler");
    let _ = Command::new("dd")
        .args(["if=/dev/zero", "bs=1M", "count=6"])
        .arg(format!("of={}", filler.display()))
        .output();
    // A little more than the room left (most of it is written before the disk is full, so the
    // answer meets a client that has sent its body).
    let big: Vec<u8> = (0..1_400_000u32).map(|i| (i % 241) as u8).collect();
    let res = upload(&reg, repo, &big).await;
    assert_eq!(res.status(), StatusCode::INSUFFICIENT_STORAGE);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "DENIED", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("no space left on the storage"),
        "{body}"
    );
    // Nothing of it is visible; what was there still pulls byte for byte.
    let head = |bytes: &[u8]| {
        let path = format!("/v2/{repo}/blobs/{}", common::reg::sha256(bytes));
        let reg = &reg;
        async move {
            reg.req(Method::HEAD, &path, repo)
                .await
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(head(&big).await, 404);
    let got = reg
        .req(
            Method::GET,
            &format!("/v2/{repo}/blobs/{}", common::reg::sha256(&kept)),
            repo,
        )
        .await
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(got.to_vec(), kept);
    // Space freed: the same upload goes through.
    std::fs::remove_file(&filler).unwrap();
    assert_eq!(upload(&reg, repo, &big).await.status(), 201);
    assert_eq!(head(&big).await, 200);
    s.stop().await;
}
