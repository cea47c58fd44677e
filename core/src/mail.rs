//! Mail delivery. Mails are queued in the database (in the transaction of the action that sends
//! them) and delivered by a worker that retries with backoff, so a mail server that is down loses
//! nothing. Delivery goes to an SMTP server, or to `.eml` files in the outbox folder.

use std::{future::Future, sync::Arc, time::Duration};

use lettre::{
    message::{Mailbox, MultiPart},
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use tokio::sync::Notify;

use crate::{clock, config::Config, db::Db, error::CoreError, store};

enum Transport {
    Outbox(AsyncFileTransport<Tokio1Executor>),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

#[derive(Clone)]
pub struct Mailer {
    transport: Arc<Transport>,
    from: Mailbox,
    wake: Arc<Notify>,
}

/// How long one worker may hold a mail before another may retry it.
const LEASE_SECS: i64 = 120;
const BATCH: i64 = 20;
const POLL: Duration = Duration::from_secs(2);

impl Mailer {
    pub fn new(config: &Config) -> Result<Self, CoreError> {
        let from: Mailbox = config.mail_from.parse().map_err(|e| {
            CoreError::Config(format!("BERTH_MAIL_FROM {:?}: {e}", config.mail_from))
        })?;
        let transport = match &config.smtp_url {
            Some(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| CoreError::Config(format!("BERTH_SMTP_URL: {e}")))?
                    .timeout(Some(Duration::from_secs(20)))
                    .build(),
            ),
            None => {
                let dir = config.outbox_dir();
                std::fs::create_dir_all(&dir).map_err(|e| CoreError::io(&dir, e))?;
                Transport::Outbox(AsyncFileTransport::new(dir))
            }
        };
        Ok(Mailer {
            transport: Arc::new(transport),
            from,
            wake: Arc::new(Notify::new()),
        })
    }

    pub fn is_outbox(&self) -> bool {
        matches!(*self.transport, Transport::Outbox(_))
    }

    /// Asks the worker to look at the queue now rather than at its next poll.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    fn build(&self, m: &store::mail::QueuedMail) -> Result<Message, String> {
        let to: Mailbox = m
            .recipient
            .parse()
            .map_err(|e| format!("recipient {:?}: {e}", m.recipient))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(m.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                m.body_text.clone(),
                m.body_html.clone(),
            ))
            .map_err(|e| e.to_string())
    }

    async fn send(&self, m: &store::mail::QueuedMail) -> Result<(), String> {
        let message = self.build(m)?;
        match &*self.transport {
            Transport::Outbox(t) => t.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
            Transport::Smtp(t) => t.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
        }
    }

    /// One pass over the queue: sends what is due; returns how many mails went out.
    pub async fn deliver_due(&self, db: &Db) -> Result<usize, CoreError> {
        let now = clock::now();
        let mut sent = 0;
        for id in store::mail::due_ids(db.pool(), now, BATCH).await? {
            if !store::mail::lease(db.pool(), id, now, now + LEASE_SECS).await? {
                continue;
            }
            let Some(mail) = store::mail::get(db.pool(), id).await? else {
                continue;
            };
            match self.send(&mail).await {
                Ok(()) => {
                    store::mail::mark_sent(db.pool(), id, clock::now()).await?;
                    tracing::info!(mail = id, to = %mail.recipient, subject = %mail.subject, "mail sent");
                    sent += 1;
                }
                Err(error) => {
                    let next = clock::now() + retry_delay(mail.attempts + 1);
                    store::mail::mark_failed(db.pool(), id, &error, next).await?;
                    tracing::warn!(mail = id, attempt = mail.attempts + 1, %error, "mail not sent; will retry");
                }
            }
        }
        Ok(sent)
    }

    /// Delivers queued mail until `shutdown` completes.
    pub async fn run(self, db: Db, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            if let Err(e) = self.deliver_due(&db).await {
                tracing::error!(error = %e, "mail queue pass failed");
            }
            tokio::select! {
                _ = &mut shutdown => return,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(POLL) => {}
            }
        }
    }
}

/// Seconds to wait after the n-th failed attempt: 2, 4, 8, … capped at 30 minutes.
pub fn retry_delay(attempt: i64) -> i64 {
    let exp = attempt.clamp(1, 20) as u32;
    2i64.saturating_pow(exp).min(30 * 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_grow_and_are_capped() {
        assert_eq!(retry_delay(1), 2);
        assert_eq!(retry_delay(2), 4);
        assert_eq!(retry_delay(5), 32);
        assert_eq!(retry_delay(50), 1800);
    }
}
