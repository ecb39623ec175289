//! The web interface's connections: plain TCP, or TLS with the gRPC port's
//! settings (certificate, key, reloading, cipher suites), and the client's
//! address for each request.

use std::net::SocketAddr;
use std::pin::Pin;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use futures::{Stream, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::server::TlsStream;

/// The client's address, as a request's `ConnectInfo`.
#[derive(Clone, Copy, Debug)]
pub struct Peer(pub SocketAddr);

impl Connected<IncomingStream<'_, TcpListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, TcpListener>) -> Self {
        Peer(*stream.remote_addr())
    }
}

impl Connected<IncomingStream<'_, TlsListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, TlsListener>) -> Self {
        Peer(*stream.remote_addr())
    }
}

type Handshaken = Pin<Box<dyn Stream<Item = std::io::Result<TlsStream<TcpStream>>> + Send>>;

/// Connections whose TLS handshake is done.
pub struct TlsListener {
    incoming: Handshaken,
    local: SocketAddr,
}

impl TlsListener {
    pub fn new(tls: &akte_server::tls::Tls, listener: TcpListener) -> std::io::Result<Self> {
        let local = listener.local_addr()?;
        Ok(Self {
            incoming: Box::pin(tls.incoming(listener)),
            local,
        })
    }
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.incoming.next().await {
                Some(Ok(stream)) => {
                    let peer = stream
                        .get_ref()
                        .0
                        .peer_addr()
                        .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
                    return (stream, peer);
                }
                Some(Err(e)) => tracing::debug!(error = %e, "a web connection failed"),
                // The acceptor ended: no more connections, ever.
                None => std::future::pending::<()>().await,
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}
