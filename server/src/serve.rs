//! The connection loop: accepts TCP connections and serves HTTP/1.1 on them, with every limit
//! explicit:
//!
//! - at most `max_connections` at once; beyond that new connections wait in the listen backlog,
//!   and a log line says so;
//! - a request's headers must arrive within `header_timeout` (this also closes idle keep-alive
//!   connections and ones that open and send nothing);
//! - a connection whose response the client stops reading for `idle_timeout` is closed, and a
//!   request body that stalls that long fails ([`stalled_body`]); a slow upload that keeps
//!   moving is never cut;
//! - on shutdown, requests in flight get `shutdown_grace` to finish, then connections close.

use std::{
    future::Future,
    io,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::{Duration, Instant},
};

use axum::{
    body::Body,
    extract::{ConnectInfo, Request},
    middleware::Next,
    response::Response,
    Router,
};
use bytes::Bytes;
use http_body::Frame;
use hyper::server::conn::http1;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
    service::TowerToHyperService,
};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::Semaphore,
    time::Sleep,
};
use tower::ServiceExt;

/// The limits of [`serve`], from the configuration.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_connections: usize,
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub shutdown_grace: Duration,
}

impl Limits {
    pub fn from_config(c: &berth_core::Config) -> Self {
        Limits {
            max_connections: c.max_connections,
            header_timeout: Duration::from_secs(c.header_timeout_secs),
            idle_timeout: Duration::from_secs(c.idle_timeout_secs),
            shutdown_grace: Duration::from_secs(c.shutdown_grace_secs),
        }
    }
}

/// Serves `app` on `listener` until `stopped` completes, then shuts down gracefully within
/// `limits.shutdown_grace`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    stopped: impl Future<Output = ()>,
) -> io::Result<()> {
    // HTTP/1.1 only: registry clients speak it over plain connections (HTTP/2 comes with TLS,
    // which a proxy in front terminates), and without protocol sniffing the header timeout
    // runs from a connection's first moment.
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut last_full_warning: Option<Instant> = None;
    tokio::pin!(stopped);
    loop {
        if slots.available_permits() == 0
            && last_full_warning.is_none_or(|t| t.elapsed() > Duration::from_secs(10))
        {
            tracing::warn!(
                max_connections = limits.max_connections,
                "connection limit reached: new connections wait until one closes (BERTH_MAX_CONNECTIONS)"
            );
            last_full_warning = Some(Instant::now());
        }
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = &mut stopped => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut stopped => break,
        };
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(WriteStall::new(stream, limits.idle_timeout));
        let svc = app.clone().map_request(move |mut req: Request<_>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            req
        });
        let conn = builder.serve_connection(io, TowerToHyperService::new(svc));
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(limits.shutdown_grace) => {
            tracing::warn!(grace_secs = limits.shutdown_grace.as_secs(), "requests still running after the shutdown grace period; closing their connections");
        }
    }
    Ok(())
}

/// A socket whose writes fail once the client has not read anything for `limit` (a client that
/// opens a download and stops reading would otherwise hold the connection forever).
struct WriteStall {
    inner: TcpStream,
    limit: Duration,
    waiting: Option<Pin<Box<Sleep>>>,
}

impl WriteStall {
    fn new(inner: TcpStream, limit: Duration) -> Self {
        WriteStall {
            inner,
            limit,
            waiting: None,
        }
    }

    /// Called when a write could not proceed: errors once it has been stuck for `limit`.
    fn stuck(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let limit = self.limit;
        let sleep = self
            .waiting
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client stopped reading the response",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for WriteStall {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for WriteStall {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write(cx, buf) {
            Poll::Pending => self.stuck(cx),
            ready => {
                self.waiting = None;
                ready
            }
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write_vectored(cx, bufs) {
            Poll::Pending => self.stuck(cx),
            ready => {
                self.waiting = None;
                ready
            }
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match Pin::new(&mut self.inner).poll_flush(cx) {
            Poll::Pending => self.stuck(cx).map_ok(|_| ()),
            ready => {
                self.waiting = None;
                ready
            }
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Middleware: a request body that sends nothing for `limit` fails with an error, which ends
/// the request (and its connection). Bodies that keep moving, however slowly, are untouched.
pub async fn stalled_body(limit: Duration, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let body = Body::new(StallBody {
        inner: body,
        limit,
        waiting: None,
    });
    next.run(Request::from_parts(parts, body)).await
}

struct StallBody {
    inner: Body,
    limit: Duration,
    waiting: Option<Pin<Box<Sleep>>>,
}

impl http_body::Body for StallBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Pending => {
                let limit = self.limit;
                let sleep = self
                    .waiting
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
                match sleep.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(axum::Error::new(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("the request body sent nothing for {} s", limit.as_secs()),
                    ))))),
                    Poll::Pending => Poll::Pending,
                }
            }
            ready => {
                self.waiting = None;
                ready
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
