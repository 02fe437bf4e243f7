//! The HTTP/1.1 listeners. actix-web's `HttpServer` answers what it cannot parse (a request target
//! over 64 KiB, a head over 128 KiB, a malformed request line, a head that never completes) from
//! inside actix-http, with a bare status and no body. palabre answers every error with problem+json
//! (API.md), so it serves its apps itself: the same actix-http HTTP/1 service `HttpServer` builds,
//! over a connection wrapper, [`Guarded`], that replaces those bare answers with problem documents
//! (414 for a request target too long).

use std::fmt;
use std::future::ready;
use std::io;
use std::net::TcpListener;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use actix_http::body::MessageBody;
use actix_http::{HttpService, KeepAlive, Request, Response};
use actix_server::ServerBuilder;
use actix_service::{
    IntoServiceFactory, ServiceFactory, ServiceFactoryExt, fn_service, map_config,
};
use actix_web::dev::AppConfig;
use actix_web::rt::net::TcpStream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::error::{PROBLEM_JSON, Problem, ProblemType};

/// The longest request target actix-http accepts (the limit of the `http` crate's `Uri`).
pub const MAX_REQUEST_TARGET: usize = u16::MAX as usize - 1;

/// Serves the app `factory` builds on `listener`, as `HttpServer::listen` does, with actix-http's
/// bare error answers replaced by problem documents.
pub fn listen<F, I, S, B>(
    builder: ServerBuilder,
    name: &str,
    listener: TcpListener,
    factory: F,
) -> io::Result<ServerBuilder>
where
    F: Fn() -> I + Send + Clone + 'static,
    I: IntoServiceFactory<S, Request>,
    S: ServiceFactory<Request, Config = AppConfig> + 'static,
    S::Error: Into<actix_web::Error> + 'static,
    S::InitError: fmt::Debug,
    S::Response: Into<Response<B>> + 'static,
    B: MessageBody + 'static,
{
    let addr = listener.local_addr()?;
    builder.listen(name, listener, move || {
        let app = factory()
            .into_factory()
            .map_err(|err| err.into().error_response());
        // The same settings as HttpServer's defaults. AppConfig's host and address only serve URL
        // generation without a Host header, which palabre never does.
        let h1 = HttpService::build()
            .keep_alive(KeepAlive::default())
            .client_request_timeout(Duration::from_secs(5))
            .client_disconnect_timeout(Duration::from_secs(1))
            .local_addr(addr)
            .h1(map_config(app, |_| AppConfig::default()));
        fn_service(|io: TcpStream| {
            let peer = io.peer_addr().ok();
            ready(Ok((Guarded::new(io), peer)))
        })
        .and_then(h1)
    })
}

/// A connection whose bare error answers from actix-http (no body, no content type: 400, 408, 431)
/// are replaced by problem+json. It follows the length of each request's first line, so that a
/// request target over [`MAX_REQUEST_TARGET`] gets 414 rather than 400. palabre's own answers
/// always carry a content type, so they are never touched.
pub struct Guarded<T> {
    io: T,
    /// The length of the current request's first line, as far as it was read.
    line: usize,
    /// The current request's first line was read whole.
    line_done: bool,
    /// A replacement answer still to write.
    pending: Vec<u8>,
}

impl<T> Guarded<T> {
    pub fn new(io: T) -> Self {
        Guarded {
            io,
            line: 0,
            line_done: false,
            pending: Vec::new(),
        }
    }
}

impl<T: AsyncWrite + Unpin> Guarded<T> {
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.pending.is_empty() {
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, &self.pending))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.pending.drain(..n);
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Guarded<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        let read = Pin::new(&mut this.io).poll_read(cx, buf);
        if matches!(read, Poll::Ready(Ok(()))) && !this.line_done {
            let new = &buf.filled()[before..];
            match new.iter().position(|b| *b == b'\n') {
                Some(i) => {
                    this.line += i;
                    this.line_done = true;
                }
                None => this.line += new.len(),
            }
        }
        read
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Guarded<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        ready!(this.poll_pending(cx))?;
        if let Some(status) = bare_error(buf) {
            // The bare answer is taken whole; its replacement is written now or on the next flush
            // (actix-http closes the connection after it).
            this.pending = replacement(status, this.line);
            this.line = 0;
            this.line_done = false;
            if let Poll::Ready(Err(e)) = this.poll_pending(cx) {
                return Poll::Ready(Err(e));
            }
            return Poll::Ready(Ok(buf.len()));
        }
        let n = ready!(Pin::new(&mut this.io).poll_write(cx, buf))?;
        // An answer goes out: the next bytes read begin the next request.
        this.line = 0;
        this.line_done = false;
        Poll::Ready(Ok(n))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}

/// The status of an answer actix-http made up itself: 400, 408 or 431 with an empty body and no
/// content type (every answer of palabre's carries one).
fn bare_error(buf: &[u8]) -> Option<u16> {
    if buf.len() < 12 || !buf.starts_with(b"HTTP/1.") {
        return None;
    }
    let status = match &buf[9..12] {
        b"400" => 400,
        b"408" => 408,
        b"431" => 431,
        _ => return None,
    };
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = buf[..end].to_ascii_lowercase();
    let has = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
    (has(b"\r\ncontent-length: 0") && !has(b"\r\ncontent-type:")).then_some(status)
}

/// The problem+json answer that replaces a bare `status`, given the length of the request's first
/// line.
fn replacement(status: u16, first_line: usize) -> Vec<u8> {
    let (status, reason, slug, title, detail) = if first_line > MAX_REQUEST_TARGET {
        (
            414,
            "URI Too Long",
            ProblemType::UriTooLong,
            "Request target too long",
            "The request target (path and query) is limited to 64 KiB.",
        )
    } else {
        match status {
            431 => (
                431,
                "Request Header Fields Too Large",
                ProblemType::HeaderFieldsTooLarge,
                "Request head too large",
                "The request line and headers are limited to 128 KiB.",
            ),
            408 => (
                408,
                "Request Timeout",
                ProblemType::RequestTimeout,
                "Request timeout",
                "The request head did not arrive in time.",
            ),
            _ => (
                400,
                "Bad Request",
                ProblemType::BadRequest,
                "Malformed request",
                "The request is not valid HTTP/1.1.",
            ),
        }
    };
    let body = serde_json::to_vec(&Problem {
        kind: slug,
        title: title.into(),
        status,
        detail: Some(detail.into()),
        errors: Vec::new(),
    })
    .unwrap_or_default();
    // Refused before routing, so before the request middleware: its request id is made here, as
    // every answer carries one (the OpenAPI document says so).
    let mut out = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: {PROBLEM_JSON}\r\ncontent-length: {}\r\nx-request-id: {}\r\nconnection: close\r\n\r\n",
        body.len(),
        uuid::Uuid::now_v7()
    )
    .into_bytes();
    out.extend_from_slice(&body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bare_answers_are_replaced() {
        let bare = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\ndate: Sat, 05 Dec 2026 10:00:00 GMT\r\n\r\n";
        assert_eq!(bare_error(bare), Some(400));
        let ours = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 80\r\ncontent-type: application/problem+json\r\n\r\n{}";
        assert_eq!(bare_error(ours), None);
        assert_eq!(
            bare_error(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"),
            None
        );
        assert_eq!(
            bare_error(
                b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\r\n"
            ),
            Some(431)
        );
    }

    #[test]
    fn a_long_first_line_is_a_414() {
        let out = String::from_utf8(replacement(400, MAX_REQUEST_TARGET + 10)).unwrap();
        assert!(out.starts_with("HTTP/1.1 414 URI Too Long\r\n"), "{out}");
        assert!(out.contains("application/problem+json"));
        let (_, body) = out.split_once("\r\n\r\n").unwrap();
        let doc: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(doc["status"], 414);
        let out = String::from_utf8(replacement(400, 20)).unwrap();
        assert!(out.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{out}");
    }
}
