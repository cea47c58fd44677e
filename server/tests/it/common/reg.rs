//! A registry client speaking the distribution API over HTTP, as one account or anonymously.

use reqwest::{header, Method};

use super::location;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// The password of accounts made by [`Reg::user`].
pub const PASSWORD: &str = "correct horse battery";

pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// A registry client acting as one account (or anonymously).
pub struct Reg {
    pub base: String,
    pub http: reqwest::Client,
    pub login: Option<(String, String)>,
}

/// Accounts and anonymous clients on the shared server.
impl Reg {
    pub fn anonymous() -> Self {
        Reg::new(&super::TestServer::shared().base, None)
    }

    /// A new account on the shared server (`PREFIX` and digits), confirmed unless told otherwise.
    pub async fn user(prefix: &str, confirmed: bool, admin: bool) -> Self {
        let s = super::TestServer::shared();
        let name = super::unique(prefix);
        super::register(s.hub(), &name, PASSWORD, confirmed, admin).await;
        Reg::new(&s.base, Some((&name, PASSWORD)))
    }

    /// A client of the registry at `base`, logged in as `login` (name, password) if given.
    pub fn new(base: &str, login: Option<(&str, &str)>) -> Reg {
        Reg {
            base: base.trim_end_matches('/').to_string(),
            http: reqwest::Client::builder()
                .default_headers(
                    [(
                        reqwest::header::HeaderName::from_static("x-forwarded-for"),
                        super::client_address().parse().unwrap(),
                    )]
                    .into_iter()
                    .collect(),
                )
                .redirect(reqwest::redirect::Policy::none())
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .unwrap(),
            login: login.map(|(u, p)| (u.to_string(), p.to_string())),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn name(&self) -> &str {
        &self.login.as_ref().unwrap().0
    }

    pub async fn token(&self, scopes: &[String]) -> String {
        let mut url = reqwest::Url::parse(&self.url("/token")).unwrap();
        url.query_pairs_mut().append_pair("service", "berth");
        for sc in scopes {
            url.query_pairs_mut().append_pair("scope", sc);
        }
        let mut req = self.http.get(url);
        if let Some((u, p)) = &self.login {
            req = req.basic_auth(u, Some(p));
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        if status != 200 {
            panic!("token endpoint: {status} {}", res.text().await.unwrap());
        }
        res.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// A request to `/v2/...` with a token for `repo` (pull,push,delete asked for).
    pub async fn req(&self, method: Method, path: &str, repo: &str) -> reqwest::RequestBuilder {
        let token = self
            .token(&[format!("repository:{repo}:pull,push,delete")])
            .await;
        self.http.request(method, self.url(path)).bearer_auth(token)
    }

    /// Pushes a blob with POST + PUT and returns its digest.
    pub async fn push_blob(&self, repo: &str, bytes: &[u8]) -> String {
        let digest = sha256(bytes);
        let res = self
            .req(Method::POST, &format!("/v2/{repo}/blobs/uploads/"), repo)
            .await
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 202);
        let loc = location(&res);
        let res = self
            .req(Method::PUT, &format!("{loc}?digest={digest}"), repo)
            .await
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .body(bytes.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        digest
    }

    /// Pushes a config and one layer and a manifest naming them; returns (manifest bytes, digest).
    pub async fn push_image(&self, repo: &str, tag: &str, layer: &[u8]) -> (Vec<u8>, String) {
        let config =
            json!({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})
                .to_string()
                .into_bytes();
        let cd = self.push_blob(repo, &config).await;
        let ld = self.push_blob(repo, layer).await;
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType":"application/vnd.oci.image.config.v1+json","digest":cd,"size":config.len()},
            "layers": [{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":ld,"size":layer.len()}]
        })
        .to_string()
        .into_bytes();
        let d = self.put_manifest(repo, tag, OCI_MANIFEST, &manifest).await;
        (manifest, d)
    }

    pub async fn put_manifest(
        &self,
        repo: &str,
        reference: &str,
        media_type: &str,
        body: &[u8],
    ) -> String {
        let res = self
            .req(
                Method::PUT,
                &format!("/v2/{repo}/manifests/{reference}"),
                repo,
            )
            .await
            .header(header::CONTENT_TYPE, media_type)
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        let d = res.headers()["docker-content-digest"]
            .to_str()
            .unwrap()
            .to_string();
        assert_eq!(d, sha256(body));
        assert_eq!(location(&res), format!("/v2/{repo}/manifests/{d}"));
        d
    }
}
