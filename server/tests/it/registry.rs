//! The registry API against a running server on 127.0.0.1: the OCI distribution-spec 1.1
//! conformance checks (push, pull, content discovery, content management, errors), replayed
//! request by request, plus Berth's ownership and visibility rules.

use crate::common;

use base64::Engine;
use common::{
    location,
    reg::{sha256, Reg, OCI_MANIFEST},
    unique, TestServer,
};
use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};
use sha2::Digest as _;

const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const PASSWORD: &str = common::reg::PASSWORD;

async fn error_code(res: reqwest::Response) -> String {
    let v: Value = res.json().await.unwrap();
    v["errors"][0]["code"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn base_endpoint_challenges_and_accepts_tokens() {
    let s = TestServer::shared();
    let anon = Reg::anonymous();
    let res = anon.http.get(s.url("/v2/")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.headers()["docker-distribution-api-version"],
        "registry/2.0"
    );
    let challenge = res.headers()["www-authenticate"].to_str().unwrap();
    assert_eq!(
        challenge,
        format!(
            "Bearer realm=\"{}/token\",service=\"{}\"",
            s.base,
            s.base.trim_start_matches("http://")
        )
    );
    assert_eq!(error_code(res).await, "UNAUTHORIZED");

    let alice = Reg::user("base", true, false).await;
    let token = alice.token(&[]).await;
    let res = alice
        .http
        .get(s.url("/v2/"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["docker-distribution-api-version"],
        "registry/2.0"
    );
    let forged = format!("{}x", &token[..token.len() - 1]);
    let res = alice
        .http
        .get(s.url("/v2/"))
        .bearer_auth(forged)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("invalid_token"));
}

#[tokio::test]
async fn token_endpoint_speaks_both_docker_get_and_oauth_post() {
    let s = TestServer::shared();
    let alice = Reg::user("tok", true, false).await;
    let http = &alice.http;
    let repo = format!("{}/app", alice.name());

    // Wrong password: 401 with a message docker prints.
    let res = http
        .get(s.url("/token?service=x&account=a"))
        .basic_auth(alice.name(), Some("wrong password!"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "UNAUTHORIZED");
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("incorrect"));

    // docker login: offline_token asks for a refresh token.
    let res = http
        .get(s.url(&format!(
            "/token?account={0}&client_id=docker&offline_token=true&service=x",
            alice.name()
        )))
        .basic_auth(alice.name(), Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token"], body["access_token"]);
    assert!(body["expires_in"].as_i64().unwrap() >= 60);
    let issued = body["issued_at"].as_str().unwrap();
    assert!(
        time::OffsetDateTime::parse(issued, &time::format_description::well_known::Rfc3339).is_ok()
    );
    let refresh = body["refresh_token"].as_str().unwrap().to_string();

    // Without offline_token there is no refresh token.
    let res = http
        .get(s.url("/token?service=x"))
        .basic_auth(alice.name(), Some(PASSWORD))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert!(body.get("refresh_token").is_none());

    // OAuth2 refresh grant, as docker uses after login; scope space-separated.
    let res = http
        .post(s.url("/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("service", "x"),
            ("client_id", "docker"),
            (
                "scope",
                &format!("repository:{repo}:push,pull registry:catalog:*"),
            ),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["scope"],
        format!("repository:{repo}:pull,push registry:catalog:*")
    );
    let token = body["access_token"].as_str().unwrap();
    let res = http
        .get(s.url("/v2/"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // Password grant; a forged refresh token is refused.
    let res = http
        .post(s.url("/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", alice.name()),
            ("password", PASSWORD),
            ("service", "x"),
            ("client_id", "containerd-client"),
            ("scope", &format!("repository:{repo}:pull")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = http
        .post(s.url("/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "forged"),
            ("service", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    // Anonymous callers get no push, whatever they ask.
    let res = http
        .get(s.url(&format!(
            "/token?service=x&scope=repository:{repo}:push,pull"
        )))
        .send()
        .await
        .unwrap();
    let token = res.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["sub"], "");
    assert_eq!(
        claims["access"],
        json!([]),
        "nothing to pull yet, nothing to push ever"
    );
}

#[tokio::test]
async fn blob_uploads_streamed_monolithic_and_chunked() {
    let alice = Reg::user("up", true, false).await;
    let repo = format!("{}/blobs", alice.name());
    let r = repo.as_str();

    // Streamed: POST, one PATCH without Content-Range, PUT ?digest= with no body.
    let blob = b"streamed blob body".to_vec();
    let digest = sha256(&blob);
    let res = alice
        .req(Method::POST, &format!("/v2/{r}/blobs/uploads/"), r)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    assert_eq!(res.headers()["range"], "0-0");
    let loc = location(&res);
    assert!(loc.starts_with(&format!("/v2/{r}/blobs/uploads/")), "{loc}");
    let res = alice
        .req(Method::PATCH, &loc, r)
        .await
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(blob.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    assert_eq!(res.headers()["range"], format!("0-{}", blob.len() - 1));
    let loc = location(&res);
    let res = alice
        .req(Method::PUT, &format!("{loc}?digest={digest}"), r)
        .await
        .header(header::CONTENT_LENGTH, "0")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(location(&res), format!("/v2/{r}/blobs/{digest}"));
    assert_eq!(res.headers()["docker-content-digest"], digest.as_str());

    // HEAD and GET, and a byte range.
    let res = alice
        .req(Method::HEAD, &format!("/v2/{r}/blobs/{digest}"), r)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-length"],
        blob.len().to_string().as_str()
    );
    assert_eq!(res.headers()["docker-content-digest"], digest.as_str());
    let res = alice
        .req(Method::GET, &format!("/v2/{r}/blobs/{digest}"), r)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.bytes().await.unwrap().to_vec(), blob);
    let res = alice
        .req(Method::GET, &format!("/v2/{r}/blobs/{digest}"), r)
        .await
        .header(header::RANGE, "bytes=9-12")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 206);
    assert_eq!(
        res.headers()["content-range"],
        format!("bytes 9-12/{}", blob.len()).as_str()
    );
    assert_eq!(res.bytes().await.unwrap().as_ref(), &blob[9..=12]);
    let res = alice
        .req(Method::GET, &format!("/v2/{r}/blobs/{digest}"), r)
        .await
        .header(header::RANGE, "bytes=500-")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 416);

    // Monolithic POST ?digest= answers 201, and the blob is there.
    let blob2 = b"monolithic in one POST".to_vec();
    let d2 = sha256(&blob2);
    let res = alice
        .req(
            Method::POST,
            &format!("/v2/{r}/blobs/uploads/?digest={d2}"),
            r,
        )
        .await
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(blob2.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = alice
        .req(Method::GET, &format!("/v2/{r}/blobs/{d2}"), r)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // POST then monolithic PUT (containerd's way).
    alice.push_blob(r, b"post then put").await;

    // Chunked with Content-Range, as the conformance suite does it.
    let chunk1 = vec![b'a'; 1000];
    let chunk2 = vec![b'b'; 500];
    let whole = [chunk1.clone(), chunk2.clone()].concat();
    let dw = sha256(&whole);
    let res = alice
        .req(Method::POST, &format!("/v2/{r}/blobs/uploads/"), r)
        .await
        .header(header::CONTENT_LENGTH, "0")
        .send()
        .await
        .unwrap();
    let loc = location(&res);
    let patch = |range: &'static str, body: Vec<u8>, loc: String| {
        let alice = &alice;
        async move {
            alice
                .req(Method::PATCH, &loc, r)
                .await
                .header(header::CONTENT_TYPE, "application/octet-stream")
                .header(header::CONTENT_RANGE, range)
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    let res = patch("1000-1499", chunk2.clone(), loc.clone()).await;
    assert_eq!(res.status(), 416, "chunk out of order");
    let res = patch("0-999", chunk1.clone(), loc.clone()).await;
    assert_eq!(res.status(), 202);
    assert_eq!(res.headers()["range"], "0-999");
    let loc = location(&res);
    let res = patch("0-999", chunk1.clone(), loc.clone()).await;
    assert_eq!(res.status(), 416, "the same chunk again");
    let res = alice.req(Method::GET, &loc, r).await.send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(res.headers()["range"], "0-999");
    assert!(!location(&res).is_empty());
    let res = patch("1000-1499", chunk2.clone(), loc.clone()).await;
    assert_eq!(res.status(), 202);
    let loc = location(&res);
    let res = alice
        .req(Method::PUT, &format!("{loc}?digest={dw}"), r)
        .await
        .header(header::CONTENT_LENGTH, "0")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = alice
        .req(Method::GET, &format!("/v2/{r}/blobs/{dw}"), r)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.bytes().await.unwrap().to_vec(), whole);

    // A retried commit of a finished upload answers as the first did.
    let res = alice
        .req(Method::PUT, &format!("{loc}?digest={dw}"), r)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    // Wrong digest: DIGEST_INVALID, nothing stored, the upload is gone.
    let res = alice
        .req(Method::POST, &format!("/v2/{r}/blobs/uploads/"), r)
        .await
        .send()
        .await
        .unwrap();
    let loc = location(&res);
    let liar = sha256(b"something else");
    let res = alice
        .req(Method::PUT, &format!("{loc}?digest={liar}"), r)
        .await
        .body(b"the real bytes".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "DIGEST_INVALID");
    let res = alice
        .req(Method::HEAD, &format!("/v2/{r}/blobs/{liar}"), r)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = alice.req(Method::GET, &loc, r).await.send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(error_code(res).await, "BLOB_UPLOAD_UNKNOWN");

    // sha512 digests are verified too.
    let b512 = b"sha512 content".to_vec();
    let d512 = format!("sha512:{}", hex::encode(sha2::Sha512::digest(&b512)));
    let res = alice
        .req(
            Method::POST,
            &format!("/v2/{r}/blobs/uploads/?digest={d512}"),
            r,
        )
        .await
        .body(b512.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    // Cancelling an upload.
    let res = alice
        .req(Method::POST, &format!("/v2/{r}/blobs/uploads/"), r)
        .await
        .send()
        .await
        .unwrap();
    let loc = location(&res);
    let res = alice
        .req(Method::DELETE, &loc, r)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = alice.req(Method::GET, &loc, r).await.send().await.unwrap();
    assert_eq!(res.status(), 404);

    // Unknown blobs and malformed digests.
    let res = alice
        .req(
            Method::GET,
            &format!("/v2/{r}/blobs/{}", sha256(b"never pushed")),
            r,
        )
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(error_code(res).await, "BLOB_UNKNOWN");
    let res = alice
        .req(Method::GET, &format!("/v2/{r}/blobs/sha256:nothex"), r)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "DIGEST_INVALID");
}

/// A pull counts once and for its tag however the client resolves it: docker and containerd
/// HEAD the tag and GET by digest; a multi-platform pull GETs the index and then one platform's
/// manifest, which is part of the same pull. Fails while only GETs by tag count for tags.
#[tokio::test]
async fn a_pull_counts_once_for_its_tag_however_the_client_resolves_it() {
    let s = TestServer::shared();
    let alice = Reg::user("counted", true, false).await;
    let repo = format!("{}/app", alice.name());
    let r = repo.as_str();
    let (amd_manifest, amd) = alice.push_image(r, "single", b"counted layer").await;
    let (arm_manifest, arm) = alice.push_image(r, "arm", b"counted arm layer").await;
    let index = json!({"schemaVersion":2,"mediaType":OCI_INDEX,"manifests":[
        {"mediaType":OCI_MANIFEST,"digest":amd,"size":amd_manifest.len(),"platform":{"os":"linux","architecture":"amd64"}},
        {"mediaType":OCI_MANIFEST,"digest":arm,"size":arm_manifest.len(),"platform":{"os":"linux","architecture":"arm64"}}
    ]})
    .to_string()
    .into_bytes();
    let index_digest = alice.put_manifest(r, "multi", OCI_INDEX, &index).await;
    let call = |method: Method, reference: String| {
        let alice = &alice;
        async move {
            let res = alice
                .req(method, &format!("/v2/{r}/manifests/{reference}"), r)
                .await
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
        }
    };
    // docker pull single: HEAD by tag, GET by digest.
    call(Method::HEAD, "single".into()).await;
    call(Method::GET, amd.clone()).await;
    // docker pull multi: HEAD by tag, GET the index by digest, GET one platform's manifest.
    call(Method::HEAD, "multi".into()).await;
    call(Method::GET, index_digest.clone()).await;
    call(Method::GET, amd.clone()).await;
    berth_core::registry::repos::flush_pulls(s.hub())
        .await
        .unwrap();
    let counts: Vec<(String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT t.name, t.pull_count, t.last_pulled_at FROM tags t
         JOIN repositories r ON r.id = t.repository_id WHERE r.full_name = $1 ORDER BY t.name",
    )
    .bind(r)
    .fetch_all(s.hub().db.pool())
    .await
    .unwrap();
    let of = |tag: &str| counts.iter().find(|c| c.0 == tag).cloned().unwrap();
    assert_eq!(of("single").1, 1, "{counts:?}");
    assert!(of("single").2.is_some());
    assert_eq!(of("multi").1, 1, "{counts:?}");
    assert_eq!(of("arm"), ("arm".to_string(), 0, None));
    let pulls: i64 = sqlx::query_scalar("SELECT pull_count FROM repositories WHERE full_name = $1")
        .bind(r)
        .fetch_one(s.hub().db.pool())
        .await
        .unwrap();
    assert_eq!(pulls, 2, "two pulls, not four manifest GETs");
}

#[tokio::test]
async fn manifests_push_pull_and_validation() {
    let s = TestServer::shared();
    let alice = Reg::user("man", true, false).await;
    let repo = format!("{}/app", alice.name());
    let r = repo.as_str();
    let (manifest, digest) = alice.push_image(r, "v1", b"layer one").await;

    for reference in ["v1", digest.as_str()] {
        let res = alice
            .req(Method::GET, &format!("/v2/{r}/manifests/{reference}"), r)
            .await
            .header(header::ACCEPT, OCI_MANIFEST)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], OCI_MANIFEST);
        assert_eq!(res.headers()["docker-content-digest"], digest.as_str());
        assert_eq!(res.bytes().await.unwrap().to_vec(), manifest, "exact bytes");
        let res = alice
            .req(Method::HEAD, &format!("/v2/{r}/manifests/{reference}"), r)
            .await
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.headers()["content-length"],
            manifest.len().to_string().as_str()
        );
        assert_eq!(res.headers()["docker-content-digest"], digest.as_str());
        assert_eq!(res.headers()["content-type"], OCI_MANIFEST);
    }

    // What the web pages will show was recorded at push time (pulls are written every second).
    berth_core::registry::repos::flush_pulls(s.hub())
        .await
        .unwrap();
    let (pulls, size, platforms): (i64, i64, String) = sqlx::query_as(
        "SELECT r.pull_count, m.total_size, m.platforms FROM repositories r
         JOIN tags t ON t.repository_id = r.id JOIN manifests m ON m.repository_id = r.id AND m.digest = t.manifest_digest
         WHERE r.full_name = $1 AND t.name = 'v1'",
    )
    .bind(r)
    .fetch_one(s.hub().db.pool())
    .await
    .unwrap();
    assert_eq!(pulls, 2, "two GETs counted, HEADs not");
    assert_eq!(size, "layer one".len() as i64);
    assert_eq!(platforms, r#"[{"os":"linux","architecture":"amd64"}]"#);

    // Errors: unknown tag, malformed digest, missing blob, schema 1, wrong digest, too large.
    let res = alice
        .req(Method::GET, &format!("/v2/{r}/manifests/nope"), r)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(error_code(res).await, "MANIFEST_UNKNOWN");
    let res = alice
        .req(
            Method::GET,
            &format!("/v2/{r}/manifests/sha256:totallywrong"),
            r,
        )
        .await
        .send()
        .await
        .unwrap();
    assert!(matches!(res.status().as_u16(), 400 | 404));
    let missing = sha256(b"missing layer");
    let bad = json!({"schemaVersion":2,"mediaType":OCI_MANIFEST,
        "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":missing,"size":3},"layers":[]}).to_string();
    let res = alice
        .req(Method::PUT, &format!("/v2/{r}/manifests/bad"), r)
        .await
        .header(header::CONTENT_TYPE, OCI_MANIFEST)
        .body(bad)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "MANIFEST_BLOB_UNKNOWN");
    assert_eq!(body["errors"][0]["detail"]["digest"], missing.as_str());
    let res = alice
        .req(Method::PUT, &format!("/v2/{r}/manifests/old"), r)
        .await
        .header(
            header::CONTENT_TYPE,
            "application/vnd.docker.distribution.manifest.v1+prettyjws",
        )
        .body(r#"{"schemaVersion":1,"name":"x","tag":"old","fsLayers":[]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "MANIFEST_INVALID");
    let res = alice
        .req(
            Method::PUT,
            &format!("/v2/{r}/manifests/{}", sha256(b"other")),
            r,
        )
        .await
        .header(header::CONTENT_TYPE, OCI_MANIFEST)
        .body(manifest.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "DIGEST_INVALID");
    let huge = vec![b' '; 4 * 1024 * 1024 + 1];
    let token = alice.token(&[format!("repository:{r}:push,pull")]).await;
    let res = reqwest::Client::new()
        .put(s.url(&format!("/v2/{r}/manifests/huge")))
        .bearer_auth(token)
        .header(header::CONTENT_TYPE, OCI_MANIFEST)
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let res = alice
        .req(Method::PUT, &format!("/v2/{r}/manifests/bad..tag!"), r)
        .await
        .header(header::CONTENT_TYPE, OCI_MANIFEST)
        .body(manifest.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "TAG_INVALID");

    // Push by digest, a manifest with no layers, and an index over it.
    alice
        .put_manifest(r, &digest, OCI_MANIFEST, &manifest)
        .await;
    let empty_config = b"{}".to_vec();
    let ec = alice.push_blob(r, &empty_config).await;
    let no_layers = json!({"schemaVersion":2,"mediaType":OCI_MANIFEST,
        "config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":ec,"size":2},"layers":[]}).to_string().into_bytes();
    alice
        .put_manifest(r, "empty", OCI_MANIFEST, &no_layers)
        .await;
    let index = json!({"schemaVersion":2,"mediaType":OCI_INDEX,"manifests":[
        {"mediaType":OCI_MANIFEST,"digest":digest,"size":manifest.len(),"platform":{"os":"linux","architecture":"arm64","variant":"v8"}}
    ]}).to_string().into_bytes();
    let id = alice.put_manifest(r, "multi", OCI_INDEX, &index).await;
    let res = alice
        .req(Method::GET, &format!("/v2/{r}/manifests/multi"), r)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], OCI_INDEX);
    assert_eq!(res.headers()["docker-content-digest"], id.as_str());
    let platforms: String = sqlx::query_scalar("SELECT platforms FROM manifests WHERE digest = $1")
        .bind(&id)
        .fetch_one(s.hub().db.pool())
        .await
        .unwrap();
    assert_eq!(
        platforms,
        r#"[{"os":"linux","architecture":"arm64","variant":"v8"}]"#
    );
    let missing_child = json!({"schemaVersion":2,"mediaType":OCI_INDEX,"manifests":[
        {"mediaType":OCI_MANIFEST,"digest":sha256(b"no such manifest"),"size":10}]})
    .to_string();
    let res = alice
        .req(Method::PUT, &format!("/v2/{r}/manifests/broken"), r)
        .await
        .header(header::CONTENT_TYPE, OCI_INDEX)
        .body(missing_child)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(res).await, "MANIFEST_BLOB_UNKNOWN");

    // Tag moves to a new manifest.
    let (_, d2) = alice.push_image(r, "v1", b"layer two").await;
    let res = alice
        .req(Method::HEAD, &format!("/v2/{r}/manifests/v1"), r)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["docker-content-digest"], d2.as_str());
}

#[tokio::test]
async fn tags_list_paginates_with_links() {
    let alice = Reg::user("tags", true, false).await;
    let repo = format!("{}/many", alice.name());
    let r = repo.as_str();
    let (manifest, _) = alice.push_image(r, "a", b"tagged layer").await;
    for tag in ["b", "C", "d", "e"] {
        alice.put_manifest(r, tag, OCI_MANIFEST, &manifest).await;
    }
    let list = |q: &'static str| {
        let alice = &alice;
        async move {
            alice
                .req(Method::GET, &format!("/v2/{r}/tags/list{q}"), r)
                .await
                .send()
                .await
                .unwrap()
        }
    };
    let res = list("").await;
    assert!(res.headers().get("link").is_none());
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["name"], r);
    assert_eq!(body["tags"], json!(["C", "a", "b", "d", "e"]), "byte order");
    let res = list("?n=2").await;
    assert_eq!(
        res.headers()["link"].to_str().unwrap(),
        format!("</v2/{r}/tags/list?n=2&last=a>; rel=\"next\"")
    );
    assert_eq!(
        res.json::<Value>().await.unwrap()["tags"],
        json!(["C", "a"])
    );
    let res = list("?n=2&last=a").await;
    assert_eq!(
        res.json::<Value>().await.unwrap()["tags"],
        json!(["b", "d"])
    );
    let res = list("?n=2&last=d").await;
    assert!(res.headers().get("link").is_none());
    assert_eq!(res.json::<Value>().await.unwrap()["tags"], json!(["e"]));
    let res = list("?n=0").await;
    assert!(res.headers().get("link").is_none());
    assert_eq!(res.json::<Value>().await.unwrap()["tags"], json!([]));
    let res = list("?n=-1").await;
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "PAGINATION_NUMBER_INVALID");
    let other = format!("{}/nothing-here", alice.name());
    let res = alice
        .req(Method::GET, &format!("/v2/{other}/tags/list"), &other)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(error_code(res).await, "NAME_UNKNOWN");
}

#[tokio::test]
async fn referrers_list_manifests_by_subject() {
    let alice = Reg::user("refs", true, false).await;
    let repo = format!("{}/signed", alice.name());
    let r = repo.as_str();
    let (subject_bytes, subject) = alice.push_image(r, "v1", b"signed layer").await;
    let ec = alice.push_blob(r, b"{}").await;
    let artifact = |kind: &str, note: &str, subject: &str, size: usize| {
        json!({"schemaVersion":2,"mediaType":OCI_MANIFEST,"artifactType":kind,
            "config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":ec,"size":2},"layers":[],
            "subject":{"mediaType":OCI_MANIFEST,"digest":subject,"size":size},
            "annotations":{"note":note}}).to_string().into_bytes()
    };
    for (kind, note) in [
        ("application/vnd.example.sig", "one"),
        ("application/vnd.example.sbom", "two"),
    ] {
        let body = artifact(kind, note, &subject, subject_bytes.len());
        let d = sha256(&body);
        let res = alice
            .req(Method::PUT, &format!("/v2/{r}/manifests/{d}"), r)
            .await
            .header(header::CONTENT_TYPE, OCI_MANIFEST)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        assert_eq!(res.headers()["oci-subject"], subject.as_str());
    }
    // A referrer of a subject that does not exist is accepted.
    let ghost = sha256(b"ghost subject");
    let body = artifact("application/vnd.example.sig", "ghost", &ghost, 10);
    alice
        .put_manifest(r, &sha256(&body), OCI_MANIFEST, &body)
        .await;

    let get = |path: String| {
        let alice = &alice;
        async move { alice.req(Method::GET, &path, r).await.send().await.unwrap() }
    };
    let res = get(format!("/v2/{r}/referrers/{subject}")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], OCI_INDEX);
    let body: Value = res.json().await.unwrap();
    let list = body["manifests"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    for m in list {
        assert!(m["artifactType"]
            .as_str()
            .unwrap()
            .starts_with("application/vnd.example."));
        assert_eq!(m["annotations"].as_object().unwrap().len(), 1);
        assert_eq!(m["mediaType"], OCI_MANIFEST);
    }
    let res = get(format!(
        "/v2/{r}/referrers/{subject}?artifactType=application/vnd.example.sbom"
    ))
    .await;
    assert_eq!(res.headers()["oci-filters-applied"], "artifactType");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["manifests"].as_array().unwrap().len(), 1);
    assert_eq!(body["manifests"][0]["annotations"]["note"], "two");
    let res = get(format!("/v2/{r}/referrers/{ghost}")).await;
    assert_eq!(
        res.json::<Value>().await.unwrap()["manifests"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let res = get(format!(
        "/v2/{r}/referrers/{}",
        sha256(b"nobody refers to this")
    ))
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["manifests"], json!([]));
    let res = get(format!("/v2/{r}/referrers/sha256:bad")).await;
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn content_management_deletes_tags_manifests_and_blobs() {
    let alice = Reg::user("del", true, false).await;
    let bob = Reg::user("deb", true, false).await;
    let repo = format!("{}/gone", alice.name());
    let r = repo.as_str();
    let (manifest, digest) = alice.push_image(r, "v1", b"doomed layer").await;
    alice.put_manifest(r, "v2", OCI_MANIFEST, &manifest).await;
    alice.put_manifest(r, "v3", OCI_MANIFEST, &manifest).await;
    let (_, other) = alice.push_image(r, "keep", b"kept layer").await;

    // Only the owner deletes.
    let res = bob
        .req(Method::DELETE, &format!("/v2/{r}/manifests/v3"), r)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(error_code(res).await, "DENIED");

    let res = alice
        .req(Method::DELETE, &format!("/v2/{r}/manifests/v3"), r)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let res = alice
        .req(Method::DELETE, &format!("/v2/{r}/manifests/v3"), r)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(error_code(res).await, "MANIFEST_UNKNOWN");
    async fn tags(alice: &Reg, r: &str) -> Value {
        alice
            .req(Method::GET, &format!("/v2/{r}/tags/list"), r)
            .await
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()["tags"]
            .clone()
    }
    assert_eq!(tags(&alice, r).await, json!(["keep", "v1", "v2"]));
    // Deleting by digest removes the manifest and every tag on it.
    let res = alice
        .req(Method::DELETE, &format!("/v2/{r}/manifests/{digest}"), r)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let res = alice
        .req(Method::GET, &format!("/v2/{r}/manifests/{digest}"), r)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(tags(&alice, r).await, json!(["keep"]));
    let res = alice
        .req(Method::GET, &format!("/v2/{r}/manifests/{other}"), r)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    let layer = sha256(b"doomed layer");
    let res = alice
        .req(Method::DELETE, &format!("/v2/{r}/blobs/{layer}"), r)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let res = alice
        .req(Method::GET, &format!("/v2/{r}/blobs/{layer}"), r)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn namespaces_visibility_and_mounts() {
    let s = TestServer::shared();
    let alice = Reg::user("own", true, false).await;
    let bob = Reg::user("oth", true, false).await;
    let newbie = Reg::user("unc", false, false).await;
    let anon = Reg::anonymous();
    let public = format!("{}/public", alice.name());
    let secret = format!("{}/secret", alice.name());
    let (_, pd) = alice.push_image(&public, "v1", b"public layer").await;
    alice.push_image(&secret, "v1", b"secret layer").await;
    sqlx::query("UPDATE repositories SET is_private = 1 WHERE full_name = $1")
        .bind(&secret)
        .execute(s.hub().db.pool())
        .await
        .unwrap();

    // Bob may not push into Alice's namespace, and is told where he may.
    let res = bob
        .req(
            Method::POST,
            &format!("/v2/{public}/blobs/uploads/"),
            &public,
        )
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "DENIED");
    let msg = body["errors"][0]["message"].as_str().unwrap();
    assert!(
        msg.starts_with("requested access to the resource is denied"),
        "{msg}"
    );
    assert!(msg.contains(&format!("{}/NAME", bob.name())), "{msg}");
    // Nor into library/ or a name without namespace; an admin may.
    let res = bob
        .req(Method::POST, "/v2/busybox/blobs/uploads/", "busybox")
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let admin = Reg::user("adm", true, true).await;
    let lib = unique("tool");
    admin.push_image(&lib, "latest", b"official layer").await;
    let res = anon
        .req(
            Method::GET,
            &format!("/v2/library/{lib}/manifests/latest"),
            &format!("library/{lib}"),
        )
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        200,
        "a single-component name lives in library/"
    );
    // Unconfirmed accounts can log in and pull but not push.
    let res = newbie
        .req(Method::GET, &format!("/v2/{public}/manifests/v1"), &public)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let mine = format!("{}/first", newbie.name());
    let res = newbie
        .req(Method::POST, &format!("/v2/{mine}/blobs/uploads/"), &mine)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("confirm your email"));

    // Anonymous: public pulls work; push is challenged; private looks like nothing.
    let res = anon
        .req(Method::GET, &format!("/v2/{public}/manifests/v1"), &public)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = anon
        .req(
            Method::POST,
            &format!("/v2/{public}/blobs/uploads/"),
            &public,
        )
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains(&format!("scope=\"repository:{public}:pull,push\"")));
    let res = anon
        .req(Method::GET, &format!("/v2/{secret}/manifests/v1"), &secret)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    for path in [
        format!("/v2/{secret}/manifests/v1"),
        format!("/v2/{secret}/tags/list"),
    ] {
        let res = bob
            .req(Method::GET, &path, &secret)
            .await
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{path}");
        assert_eq!(error_code(res).await, "NAME_UNKNOWN");
    }
    let res = alice
        .req(Method::GET, &format!("/v2/{secret}/manifests/v1"), &secret)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = admin
        .req(Method::GET, &format!("/v2/{secret}/tags/list"), &secret)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "admins see everything");

    // The catalog shows each caller what they may see.
    async fn catalog(who: &Reg) -> Vec<String> {
        let token = who.token(&["registry:catalog:*".to_string()]).await;
        let res = who
            .http
            .get(who.url("/v2/_catalog?n=10000"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        res.json::<Value>().await.unwrap()["repositories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    }
    let seen_by_bob = catalog(&bob).await;
    assert!(seen_by_bob.contains(&public) && !seen_by_bob.contains(&secret));
    let seen_by_anon = catalog(&anon).await;
    assert!(seen_by_anon.contains(&public) && !seen_by_anon.contains(&secret));
    let seen_by_alice = catalog(&alice).await;
    assert!(seen_by_alice.contains(&public) && seen_by_alice.contains(&secret));
    let res = anon.http.get(s.url("/v2/_catalog")).send().await.unwrap();
    assert_eq!(res.status(), 401);

    // Mounts: from a repository the caller may pull, 201; from one they may not see, a plain upload.
    let bobs = format!("{}/copy", bob.name());
    let layer = sha256(b"public layer");
    // Asked without a token, the challenge names the source's pull too (as Distribution's token
    // mode does), so a client that requests exactly the challenged scopes can mount.
    let res = bob
        .http
        .post(s.url(&format!(
            "/v2/{bobs}/blobs/uploads/?mount={layer}&from={public}"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let challenge = res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        challenge.contains(&format!(
            "scope=\"repository:{bobs}:pull,push repository:{public}:pull\""
        )),
        "{challenge}"
    );
    let token = bob
        .token(&[
            format!("repository:{bobs}:push,pull"),
            format!("repository:{public}:pull"),
        ])
        .await;
    let res = bob
        .http
        .post(s.url(&format!(
            "/v2/{bobs}/blobs/uploads/?mount={layer}&from={public}"
        )))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(location(&res), format!("/v2/{bobs}/blobs/{layer}"));
    let res = bob
        .http
        .head(s.url(&format!("/v2/{bobs}/blobs/{layer}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let hidden = sha256(b"secret layer");
    let token = bob
        .token(&[
            format!("repository:{bobs}:push,pull"),
            format!("repository:{secret}:pull"),
        ])
        .await;
    let res = bob
        .http
        .post(s.url(&format!(
            "/v2/{bobs}/blobs/uploads/?mount={hidden}&from={secret}"
        )))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        202,
        "no mount from a private repository of someone else"
    );
    assert!(location(&res).starts_with(&format!("/v2/{bobs}/blobs/uploads/")));
    let res = bob
        .http
        .head(s.url(&format!("/v2/{bobs}/blobs/{hidden}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    // Knowing a digest does not open it through another repository either.
    let res = bob
        .http
        .get(s.url(&format!("/v2/{bobs}/blobs/{hidden}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    // Mount of a digest that exists nowhere, without from: a plain upload.
    let res = bob
        .req(
            Method::POST,
            &format!("/v2/{bobs}/blobs/uploads/?mount={}", sha256(b"nowhere")),
            &bobs,
        )
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let _ = pd;
}

#[tokio::test]
async fn an_interrupted_chunk_is_not_kept_and_the_upload_continues() {
    let s = TestServer::shared();
    let alice = Reg::user("cut", true, false).await;
    let repo = format!("{}/resume", alice.name());
    let r = repo.as_str();
    let res = alice
        .req(Method::POST, &format!("/v2/{r}/blobs/uploads/"), r)
        .await
        .send()
        .await
        .unwrap();
    let loc = location(&res);
    let first = vec![7u8; 300_000];
    let res = alice
        .req(Method::PATCH, &loc, r)
        .await
        .body(first.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["range"], "0-299999");
    // A chunk whose body breaks off half-way: the client dies mid-request.
    let broken = futures_util::stream::iter(vec![
        Ok::<_, std::io::Error>(bytes::Bytes::from(vec![9u8; 200_000])),
        Err(std::io::Error::other("client died")),
    ]);
    let _ = alice
        .req(Method::PATCH, &loc, r)
        .await
        .body(reqwest::Body::wrap_stream(broken))
        .send()
        .await;
    let res = alice.req(Method::GET, &loc, r).await.send().await.unwrap();
    assert_eq!(
        res.headers()["range"],
        "0-299999",
        "the broken chunk is not acknowledged"
    );
    let rest = vec![8u8; 100_000];
    let whole = [first, rest.clone()].concat();
    let d = sha256(&whole);
    let res = alice
        .req(Method::PUT, &format!("{loc}?digest={d}"), r)
        .await
        .body(rest)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let res = alice
        .req(Method::GET, &format!("/v2/{r}/blobs/{d}"), r)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(sha256(&res.bytes().await.unwrap()), d);
    let _ = s;
}

#[tokio::test]
async fn uploads_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_string_lossy().to_string();
    // A fixed public URL: the second process binds another port but is the same hub.
    let backend = berth_core::testing::fresh_backend().await;
    let mut pairs = vec![
        ("BERTH_DATA_DIR", data.as_str()),
        ("BERTH_ADDR", "127.0.0.1:0"),
        ("BERTH_PUBLIC_URL", "http://hub.berth.test"),
    ];
    pairs.extend(backend.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let first = berth_server::start(berth_core::Config::from_pairs(&pairs).unwrap())
        .await
        .unwrap();
    berth_core::accounts::register(
        &first.hub,
        berth_core::accounts::NewAccount {
            username: "restart",
            email: "restart@example.com",
            password: PASSWORD,
        },
        true,
        false,
    )
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let token = |base: String| {
        let http = http.clone();
        async move {
            http.get(format!(
                "{base}/token?service=x&scope=repository:restart/app:push,pull"
            ))
            .basic_auth("restart", Some(PASSWORD))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()["token"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let base = format!("http://{}", first.addr);
    let t = token(base.clone()).await;
    let res = http
        .post(format!("{base}/v2/restart/app/blobs/uploads/"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    let loc = location(&res);
    let part1 = vec![1u8; 123_456];
    let res = http
        .patch(format!("{base}{loc}"))
        .bearer_auth(&t)
        .body(part1.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    first.shutdown().await.unwrap();

    let second = berth_server::start(berth_core::Config::from_pairs(&pairs).unwrap())
        .await
        .unwrap();
    let base = format!("http://{}", second.addr);
    let t2 = token(base.clone()).await;
    let res = http
        .get(format!("{base}{loc}"))
        .bearer_auth(&t2)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(res.headers()["range"], "0-123455");
    // The token from before the restart still verifies: the key is kept in the database.
    let res = http
        .get(format!("{base}/v2/"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let part2 = vec![2u8; 1000];
    let whole = [part1, part2.clone()].concat();
    let d = sha256(&whole);
    let res = http
        .put(format!("{base}{loc}?digest={d}"))
        .bearer_auth(&t2)
        .body(part2)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = http
        .get(format!("{base}/v2/restart/app/blobs/{d}"))
        .bearer_auth(&t2)
        .send()
        .await
        .unwrap();
    assert_eq!(sha256(&res.bytes().await.unwrap()), d);
    second.shutdown().await.unwrap();
}

#[tokio::test]
async fn unknown_endpoints_and_methods_answer_in_json() {
    let s = TestServer::shared();
    let anon = Reg::anonymous();
    let res = anon
        .http
        .get(s.url("/v2/a/b/whatever"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["content-type"], "application/json");
    let alice = Reg::user("meth", true, false).await;
    let repo = format!("{}/x1", alice.name());
    let res = alice
        .req(Method::POST, &format!("/v2/{repo}/tags/list"), &repo)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(error_code(res).await, "UNSUPPORTED");
    // A name Berth cannot hold: the registry says NAME_INVALID, and the token endpoint refuses
    // a scope for it with DENIED (which docker does not retry).
    let token = alice.token(&[format!("repository:{repo}:pull")]).await;
    let res = alice
        .http
        .get(alice.url("/v2/a/b/c/manifests/v1"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "NAME_INVALID");
    let res = alice
        .http
        .get(alice.url("/token?service=x&scope=repository:a/b/c:push,pull"))
        .basic_auth(alice.name(), Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["errors"][0]["code"], "DENIED");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("NAMESPACE/NAME"),
        "{v}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collaborators_push_and_the_private_quota_holds_on_push() {
    let s = TestServer::shared();
    let alice = Reg::user("quo", true, false).await;
    let bob = Reg::user("col", true, false).await;
    let carol = Reg::user("out", true, false).await;
    let owner = berth_core::accounts::user_by_name(s.hub(), alice.name())
        .await
        .unwrap()
        .unwrap();
    // Pushes create private repositories for alice; the free plan holds one.
    berth_core::repositories::set_default_private(s.hub(), &owner, true)
        .await
        .unwrap();
    let first = format!("{}/first", alice.name());
    alice.push_image(&first, "v1", b"private layer").await;
    let res = Reg::anonymous()
        .http
        .get(s.url(&format!("/v2/{first}/manifests/v1")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "created private");
    let second = format!("{}/second", alice.name());
    let res = alice
        .req(
            Method::POST,
            &format!("/v2/{second}/blobs/uploads/"),
            &second,
        )
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "DENIED");
    assert_eq!(
        body["errors"][0]["message"],
        "requested access to the resource is denied: Your plan allows 1 private repository and you have 1. \
         Make one of them public or delete it, or ask an administrator for a larger plan."
    );
    assert!(
        berth_core::registry::repos::find(
            s.hub(),
            &berth_core::registry::names::RepoName::parse(&second).unwrap()
        )
        .await
        .unwrap()
        .is_none(),
        "not created public instead"
    );

    // A collaborator pushes and pulls; someone else does not even see the repository.
    berth_core::repositories::add_collaborator(s.hub(), &owner, &first, bob.name())
        .await
        .unwrap();
    bob.push_image(&first, "from-bob", b"bob's layer").await;
    let res = bob
        .req(
            Method::GET,
            &format!("/v2/{first}/manifests/from-bob"),
            &first,
        )
        .await
        .header(header::ACCEPT, OCI_MANIFEST)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = bob
        .req(Method::DELETE, &format!("/v2/{first}/manifests/v1"), &first)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "collaborators do not delete"
    );
    for method in [Method::GET, Method::HEAD] {
        let res = carol
            .req(method, &format!("/v2/{first}/manifests/v1"), &first)
            .await
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404);
    }
    let res = carol
        .req(Method::POST, &format!("/v2/{first}/blobs/uploads/"), &first)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(res).await, "DENIED");
}
