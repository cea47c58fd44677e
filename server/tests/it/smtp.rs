//! Mail through a real SMTP server (aiosmtpd on loopback): delivered, and retried when the
//! server is down at sign-up time.

use crate::common;

use std::time::Duration;

use common::{process::free_port, smtp::SmtpServer, *};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirmation_mail_goes_through_a_real_smtp_server_even_if_it_was_down_at_signup() {
    let port = free_port();
    let maildir = tempfile::tempdir().unwrap();
    let s =
        TestServer::start_with(&[("BERTH_SMTP_URL", &format!("smtp://127.0.0.1:{port}"))]).await;
    let c = s.client();

    // The SMTP server is not up yet: the sign-up still succeeds, the mail waits in the queue.
    let res = post_form(
        &s,
        &c,
        "/api/signup",
        "/signup",
        &[
            ("username", "mallory"),
            ("email", "mallory@example.com"),
            ("password", "correct-horse-9"),
        ],
    )
    .await;
    assert_eq!(location(&res), "/welcome");
    let hub = s.running.as_ref().unwrap().hub.clone();
    let mut failed = false;
    for _ in 0..50 {
        let attempts: i64 = sqlx::query_scalar("SELECT attempts FROM jobs WHERE kind = 'mail'")
            .fetch_one(hub.db.pool())
            .await
            .unwrap();
        if attempts > 0 {
            failed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(failed, "the first delivery attempt failed");
    assert!(
        !s.outbox().exists(),
        "with SMTP configured nothing goes to the outbox"
    );

    // Now the server comes up; the retry delivers the mail.
    let mut smtp = SmtpServer::start(port, maildir.path()).await;
    let mail = wait_for_mail(&maildir.path().join("new"), "mallory@example.com", 1).await;
    assert!(mail.contains("Subject: Please confirm email for your Berth ID"));
    let confirm = link(&mail, "/confirm-email");
    let res = c.get(s.url(&confirm)).send().await.unwrap();
    assert_eq!(location(&res), "/?confirmed=1");
    assert_eq!(berth_core::jobs::pending(&hub, "mail").await.unwrap(), 0);
    smtp.child.kill().await.unwrap();
    s.stop().await;
}
