//! A webhook receiver for the tests: a real HTTP server on loopback that records what it is
//! sent and answers with the statuses it is told to (failures first, then 200).

use std::sync::{Arc, Mutex};

use axum::{body::Bytes, extract::State, http::HeaderMap, routing::post, Router};
use sha2::{Digest, Sha256};
use tokio::sync::Notify;

/// One request as received.
#[derive(Clone, Debug)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: String,
    /// The status it was answered with.
    pub status: u16,
}

#[derive(Default)]
struct Inner {
    received: Mutex<Vec<Received>>,
    /// Statuses to answer before answering 200.
    failures: Mutex<Vec<u16>>,
    arrived: Notify,
}

#[derive(Clone)]
pub struct Receiver {
    inner: Arc<Inner>,
    pub url: String,
}

impl Receiver {
    /// Starts a receiver at `http://127.0.0.1:PORT/hook` answering `failures` first.
    pub async fn start(failures: &[u16]) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::serve(listener, failures)
    }

    /// Starts a receiver on a listener bound earlier (a port chosen before the receiver runs).
    pub fn serve(listener: tokio::net::TcpListener, failures: &[u16]) -> Receiver {
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let inner = Arc::new(Inner::default());
        *inner.failures.lock().unwrap() = failures.iter().rev().copied().collect();
        let app = Router::new()
            .route("/hook", post(receive))
            // What git asks an http remote first (the build test's private repository).
            .route("/private.git/info/refs", axum::routing::get(receive))
            .with_state(inner.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { inner, url }
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Received> {
        self.inner.received.lock().unwrap().clone()
    }

    /// Waits (up to 30 s) until `n` requests have arrived, and returns them.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let waited = tokio::time::timeout(std::time::Duration::from_secs(30), async {
            loop {
                let arrived = self.inner.arrived.notified();
                if self.received().len() >= n {
                    return;
                }
                arrived.await;
            }
        })
        .await;
        let got = self.received();
        assert!(
            waited.is_ok(),
            "{n} webhook requests expected, {} arrived",
            got.len()
        );
        got
    }
}

async fn receive(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    body: Bytes,
) -> (axum::http::StatusCode, &'static str) {
    let status = inner.failures.lock().unwrap().pop().unwrap_or(200);
    inner.received.lock().unwrap().push(Received {
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        status,
    });
    inner.arrived.notify_waiters();
    (
        axum::http::StatusCode::from_u16(status).unwrap(),
        if status == 200 { "thanks" } else { "not now" },
    )
}

/// HMAC-SHA256 written out from its definition (RFC 2104), to check Berth's signatures with
/// code that is not Berth's.
pub fn hmac_sha256_hex(key: &[u8], message: &[u8]) -> String {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    let outer = Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize();
    hex::encode(outer)
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap()
    }
}
