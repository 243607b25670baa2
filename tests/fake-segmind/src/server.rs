//! Serving a router on a listener until the fake shuts down, connections included.
//!
//! `axum::serve` spawns a task per connection that the caller cannot reach, and a
//! graceful shutdown waits for in-flight answers, which a `Hang` fault never gives.
//! So every accepted socket is wrapped: once shutdown is signalled, any further read
//! or write on it fails, hyper drops the connection and the socket closes. Tests
//! that drop a `FakeSegmind` therefore leave no server, connection or task behind.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The receiving side of the shutdown signal, cheap to clone into handlers.
#[derive(Debug, Clone)]
pub(crate) struct Shutdown(watch::Receiver<bool>);

/// A shutdown signal: fire it with `send_replace(true)` (or drop it).
pub(crate) fn shutdown_channel() -> (watch::Sender<bool>, Shutdown) {
    let (tx, rx) = watch::channel(false);
    (tx, Shutdown(rx))
}

impl Shutdown {
    /// Resolves once the fake is shutting down.
    pub(crate) async fn wait(&self) {
        let mut rx = self.0.clone();
        // An error means the sender was dropped, which only happens on teardown too.
        let _ = rx.wait_for(|stopped| *stopped).await;
    }
}

/// Serves `router` on `listener` in a new task until `shutdown` fires.
pub(crate) fn spawn(listener: TcpListener, router: Router, shutdown: Shutdown) -> JoinHandle<()> {
    let listener = GuardedListener {
        inner: listener,
        shutdown: shutdown.clone(),
    };
    tokio::spawn(async move {
        // axum's serve never returns an error for TCP listeners: nothing to report.
        let _ = axum::serve(listener, router)
            .with_graceful_shutdown(async move { shutdown.wait().await })
            .await;
    })
}

/// As `spawn`, speaking TLS: each accepted socket is handed to a TLS handshake
/// in its own task, so a client that refuses the certificate (and hangs up)
/// holds up no one; the fake then simply never sees a request from it. Two
/// tasks: the one accepting and the one serving.
pub(crate) fn spawn_tls(
    listener: TcpListener,
    router: Router,
    shutdown: Shutdown,
    tls: Arc<rustls::ServerConfig>,
) -> [JoinHandle<()>; 2] {
    let (handshaken, ready) = tokio::sync::mpsc::channel(16);
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    let mut sockets = GuardedListener {
        inner: listener,
        shutdown: shutdown.clone(),
    };
    let local_addr = sockets.inner.local_addr();
    let stopping = shutdown.clone();
    let accepting = tokio::spawn(async move {
        loop {
            // At shutdown the listening socket closes with this task.
            let (stream, addr) = tokio::select! {
                accepted = axum::serve::Listener::accept(&mut sockets) => accepted,
                () = stopping.wait() => return,
            };
            let acceptor = acceptor.clone();
            let handshaken = handshaken.clone();
            tokio::spawn(async move {
                let handshake =
                    tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream));
                if let Ok(Ok(tls)) = handshake.await {
                    let _ = handshaken.send((tls, addr)).await;
                }
            });
        }
    });
    let listener = TlsListener { ready, local_addr };
    let serving = tokio::spawn(async move {
        let _ = axum::serve(listener, router)
            .with_graceful_shutdown(async move { shutdown.wait().await })
            .await;
    });
    [accepting, serving]
}

/// Connections whose TLS handshake is done.
struct TlsListener {
    ready:
        tokio::sync::mpsc::Receiver<(tokio_rustls::server::TlsStream<GuardedStream>, SocketAddr)>,
    local_addr: io::Result<SocketAddr>,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<GuardedStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            // The accepting task has ended (shutdown): nothing more comes.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        match &self.local_addr {
            Ok(addr) => Ok(*addr),
            Err(e) => Err(io::Error::new(e.kind(), e.to_string())),
        }
    }
}

struct GuardedListener {
    inner: TcpListener,
    shutdown: Shutdown,
}

impl axum::serve::Listener for GuardedListener {
    type Io = GuardedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, addr)) => {
                    // Small JSON answers should not wait on Nagle; failure only costs latency.
                    let _ = stream.set_nodelay(true);
                    return (GuardedStream::new(stream, self.shutdown.clone()), addr);
                }
                // Accept errors are transient (e.g. out of file descriptors): back off
                // and keep serving, as axum's own TcpListener does.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A TCP stream whose reads and writes fail once the fake is shutting down.
struct GuardedStream {
    inner: TcpStream,
    /// Resolves at shutdown; `None` once it has, since a finished future must not be polled again.
    stopping: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
}

impl GuardedStream {
    fn new(inner: TcpStream, shutdown: Shutdown) -> Self {
        GuardedStream {
            inner,
            stopping: Some(Box::pin(async move { shutdown.wait().await })),
        }
    }

    /// Fails once shutdown has fired; otherwise registers the task to be woken when it does,
    /// so an idle keep-alive connection closes too.
    fn check(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        if let Some(stopping) = self.stopping.as_mut() {
            if stopping.as_mut().poll(cx).is_pending() {
                return Ok(());
            }
            self.stopping = None;
        }
        Err(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "fake-segmind is shutting down",
        ))
    }
}

impl AsyncRead for GuardedStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Err(e) = this.check(cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for GuardedStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if let Err(e) = this.check(cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if let Err(e) = this.check(cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Err(e) = this.check(cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Closing must always be allowed, shutdown or not.
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
