//! A hub whose public URL is https: cookies are Secure and mail links use the public URL.

use crate::common;

use common::*;

const PW: &str = "correct-horse-9";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secure_cookies_when_the_public_url_is_https() {
    let s = TestServer::start_with(&[("BERTH_PUBLIC_URL", "https://hub.example.com")]).await;
    let c = s.client();
    let res = c
        .post(s.url("/api/signup"))
        .header("accept", HTML)
        .header("referer", s.url("/signup"))
        .header("origin", "https://hub.example.com")
        .form(&[
            ("username", "judy"),
            ("email", "judy@example.com"),
            ("password", PW),
        ])
        .send()
        .await
        .unwrap();
    let cookie = res
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.contains("Secure"), "{cookie}");
    let mail = s.mail_to("judy@example.com", 1).await;
    assert!(
        mail.contains("https://hub.example.com/confirm-email?token="),
        "links use the public URL"
    );
    s.stop().await;
}
