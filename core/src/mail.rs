//! Mail delivery: to an SMTP server, or to `.eml` files in the outbox folder. Mails are sent by
//! the job queue ([`crate::jobs`]), queued in the transaction of the action that sends them, so a
//! mail server that is down loses nothing.

use std::{sync::Arc, time::Duration};

use lettre::{
    message::{Mailbox, MultiPart},
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use serde::{Deserialize, Serialize};

use crate::{config::Config, error::CoreError};

enum Transport {
    Outbox(AsyncFileTransport<Tokio1Executor>),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

/// A composed mail, as queued.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Clone)]
pub struct Mailer {
    transport: Arc<Transport>,
    from: Mailbox,
}

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
        })
    }

    pub fn is_outbox(&self) -> bool {
        matches!(*self.transport, Transport::Outbox(_))
    }

    fn build(&self, m: &Mail) -> Result<Message, String> {
        let to: Mailbox =
            m.to.parse()
                .map_err(|e| format!("recipient {:?}: {e}", m.to))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(m.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                m.text.clone(),
                m.html.clone(),
            ))
            .map_err(|e| e.to_string())
    }

    /// Sends one mail now; the error says why it could not be.
    pub async fn send(&self, m: &Mail) -> Result<(), String> {
        let message = self.build(m)?;
        match &*self.transport {
            Transport::Outbox(t) => t.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
            Transport::Smtp(t) => t.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
        }
    }
}
