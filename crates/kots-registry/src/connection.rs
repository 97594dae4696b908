//! Serving connections, so that blob downloads cost the server little CPU.
//!
//! hyper writes every body through user space, chunk by chunk; it cannot hand a file to the
//! kernel (hyperium/hyper#3026). Go's server, Distribution's, sends files with `sendfile(2)`.
//! So the requests that carry no body (every pull: `GET` and `HEAD` of blobs, manifests, tags)
//! are read and answered here on plain HTTP/1.1, and a response whose body is a region of a
//! local file ([`FileBody`], what the file store gives for blob downloads, ranges too) goes from
//! the page cache to the socket without being copied. Any other request (one with a body, an
//! upload; HTTP/1.0; HTTP/2; an upgrade; anything malformed) is handed to hyper, with the bytes
//! read so far, for the rest of the connection: hyper's rules, limits and error answers apply
//! to it unchanged.
//!
//! Both servers (kots-registry and kots-vendor) serve their routers through [`serve`].

use std::fs::File;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::{Body, HttpBody as _};
use axum::extract::ConnectInfo;
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::http::{Method, Request, Response, StatusCode, Version};
use axum::serve::Listener;
use bytes::{Buf, Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::ServiceExt;

/// A request head longer than this is hyper's to judge (it answers 431 past its own limit).
const MAX_HEAD: usize = 64 * 1024;
/// As hyper's default.
const MAX_HEADERS: usize = 100;
/// A first body chunk this small goes out in the same write as the head.
const COALESCE: usize = 16 * 1024;

/// A response body that is `length` bytes of a local file from `offset`: put in a response's
/// extensions beside an ordinary body of the same bytes, it lets the connection send them with
/// `sendfile(2)`. The ordinary body is what hyper sends when the connection is hyper's.
#[derive(Clone)]
pub struct FileBody {
    file: Arc<File>,
    offset: u64,
    length: u64,
    sent: metrics::Counter,
}

impl FileBody {
    /// `sent` counts the bytes as they leave.
    pub fn new(file: File, offset: u64, length: u64, sent: metrics::Counter) -> FileBody {
        FileBody { file: Arc::new(file), offset, length, sent }
    }
}

/// Serves `router` on `listener` until `shutdown` completes; then stops accepting, lets every
/// connection finish the request it is answering, and returns once all are closed. Requests
/// carry the client's address as [`ConnectInfo`], as axum's `serve` gives it.
pub async fn serve(
    mut listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    // As axum's `serve`: the signal's receiver is dropped when shutdown starts, which every
    // connection sees as its sender's `closed()`; each connection holds a `close` receiver,
    // which the end waits for.
    let (signal, signalled) = watch::channel(());
    tokio::spawn(async move {
        shutdown.await;
        drop(signalled);
    });
    let (close, open) = watch::channel(());
    loop {
        let (stream, peer) = tokio::select! {
            accepted = Listener::accept(&mut listener) => accepted,
            () = signal.closed() => break,
        };
        // Small answers (manifests, tag lists, the last segment of a blob) leave at once
        // instead of waiting for the client's delayed acknowledgement.
        let _ = stream.set_nodelay(true);
        let connection = Connection { router: router.clone(), peer, signal: signal.clone() };
        let open = open.clone();
        tokio::spawn(async move {
            connection.run(stream).await;
            drop(open);
        });
    }
    drop(open);
    drop(listener);
    close.closed().await;
    Ok(())
}

struct Connection {
    router: Router,
    peer: SocketAddr,
    signal: watch::Sender<()>,
}

/// What the bytes read so far hold.
enum Head {
    /// Not yet a whole request head.
    Partial,
    /// A request for hyper.
    Other,
    /// A body-less HTTP/1.1 request of `length` bytes, to answer here.
    Simple { request: Box<Request<Body>>, length: usize, close: bool },
}

impl Connection {
    async fn run(self, mut stream: TcpStream) {
        let mut read = BytesMut::with_capacity(8 * 1024);
        loop {
            match parse_head(&read) {
                Head::Partial if read.len() <= MAX_HEAD => {
                    let idle = read.is_empty();
                    let received = tokio::select! {
                        received = stream.read_buf(&mut read) => received,
                        // Shutting down: an idle connection closes; one in the middle of a
                        // request head is answered first.
                        () = self.signal.closed(), if idle => return,
                    };
                    match received {
                        Ok(0) if read.is_empty() => return,
                        // Closed half-way through a head: hyper says what it makes of it.
                        Ok(0) => return self.hand_off(stream, read).await,
                        Ok(_) => {}
                        Err(_) => return,
                    }
                }
                Head::Partial | Head::Other => return self.hand_off(stream, read).await,
                Head::Simple { mut request, length, close } => {
                    read.advance(length);
                    request.extensions_mut().insert(ConnectInfo(self.peer));
                    let head_only = request.method() == Method::HEAD;
                    let response = match self.router.clone().oneshot(*request).await {
                        Ok(response) => response,
                        Err(never) => match never {},
                    };
                    match write_response(&mut stream, head_only, close, response).await {
                        Ok(true) => {}
                        Ok(false) => {
                            let _ = stream.shutdown().await;
                            return;
                        }
                        // The client went away, or the body failed half-way: the connection
                        // cannot carry another response (hyper does the same).
                        Err(_) => return,
                    }
                }
            }
        }
    }

    /// Serves the rest of the connection with hyper, starting with the bytes already read.
    async fn hand_off(self, stream: TcpStream, read: BytesMut) {
        let peer = self.peer;
        let service = self.router.map_request(move |request: Request<hyper::body::Incoming>| {
            let mut request = request.map(Body::new);
            request.extensions_mut().insert(ConnectInfo(peer));
            request
        });
        let io = TokioIo::new(Rewind { unread: read.freeze(), stream });
        let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
        let mut connection = pin!(builder.serve_connection_with_upgrades(io, TowerToHyperService::new(service)));
        let mut signalled = pin!(self.signal.closed());
        let mut shutting_down = false;
        loop {
            tokio::select! {
                _ = connection.as_mut() => return,
                () = &mut signalled, if !shutting_down => {
                    shutting_down = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// Reads a request head, if `read` starts with a whole one that this module answers.
fn parse_head(read: &[u8]) -> Head {
    if read.is_empty() {
        return Head::Partial;
    }
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut headers);
    let length = match parsed.parse(read) {
        Ok(httparse::Status::Complete(length)) => length,
        Ok(httparse::Status::Partial) => return Head::Partial,
        Err(_) => return Head::Other,
    };
    let (Some(method), Some(path), Some(1)) = (parsed.method, parsed.path, parsed.version) else {
        return Head::Other;
    };
    let Ok(method) = Method::from_bytes(method.as_bytes()) else { return Head::Other };
    if method == Method::CONNECT {
        return Head::Other;
    }
    let Ok(mut request) = Request::builder().method(method).uri(path).version(Version::HTTP_11).body(Body::empty())
    else {
        return Head::Other;
    };
    let mut close = false;
    for field in parsed.headers.iter() {
        let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(field.name.as_bytes()), HeaderValue::from_bytes(field.value))
        else {
            return Head::Other;
        };
        if name == header::TRANSFER_ENCODING
            || name == header::EXPECT
            || name == header::UPGRADE
            || (name == header::CONTENT_LENGTH && value != "0")
        {
            return Head::Other;
        }
        if name == header::CONNECTION {
            let Ok(text) = value.to_str() else { return Head::Other };
            for token in text.split(',').map(str::trim) {
                if token.eq_ignore_ascii_case("close") {
                    close = true;
                } else if token.eq_ignore_ascii_case("upgrade") {
                    return Head::Other;
                }
            }
        }
        request.headers_mut().append(name, value);
    }
    Head::Simple { request: Box::new(request), length, close }
}

/// Writes `response`; returns whether the connection may carry another request.
async fn write_response(
    stream: &mut TcpStream,
    head_only: bool,
    close: bool,
    response: Response<Body>,
) -> io::Result<bool> {
    let (mut parts, body) = response.into_parts();
    let status = parts.status;
    let bodiless = head_only
        || status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED;
    if status.is_informational() || status == StatusCode::NO_CONTENT {
        // Such a response has no body, nor a length of one (RFC 9110, 8.6); hyper drops them.
        parts.headers.remove(header::CONTENT_LENGTH);
        parts.headers.remove(header::TRANSFER_ENCODING);
    }
    let declared: Option<u64> =
        parts.headers.get(header::CONTENT_LENGTH).and_then(|value| value.to_str().ok()?.trim().parse().ok());
    // The body's length, as hyper finds it: declared, else known from the body, else chunked.
    let exact = body.size_hint().exact();
    let chunked =
        !bodiless && (parts.headers.contains_key(header::TRANSFER_ENCODING) || (declared.is_none() && exact.is_none()));
    let length = match (bodiless, chunked, declared, exact) {
        (false, false, None, Some(exact)) => {
            parts.headers.insert(header::CONTENT_LENGTH, HeaderValue::from(exact));
            Some(exact)
        }
        (false, false, declared, _) => declared,
        _ => None,
    };
    if chunked && !parts.headers.contains_key(header::TRANSFER_ENCODING) {
        parts.headers.insert(header::TRANSFER_ENCODING, HeaderValue::from_static("chunked"));
    }
    if !parts.headers.contains_key(header::DATE) {
        let now = httpdate::fmt_http_date(std::time::SystemTime::now());
        parts.headers.insert(header::DATE, HeaderValue::from_str(&now).expect("an HTTP date is a header value"));
    }
    let keep_alive = !close
        && !parts.headers.get(header::CONNECTION).is_some_and(|value| {
            value.to_str().is_ok_and(|text| text.split(',').any(|token| token.trim().eq_ignore_ascii_case("close")))
        });
    if !keep_alive && !parts.headers.contains_key(header::CONNECTION) {
        parts.headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }

    let mut head = Vec::with_capacity(256 + parts.headers.len() * 48);
    head.extend_from_slice(b"HTTP/1.1 ");
    head.extend_from_slice(status.as_str().as_bytes());
    head.push(b' ');
    head.extend_from_slice(status.canonical_reason().unwrap_or("").as_bytes());
    head.extend_from_slice(b"\r\n");
    for (name, value) in &parts.headers {
        head.extend_from_slice(name.as_str().as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");

    if bodiless {
        stream.write_all(&head).await?;
        return Ok(keep_alive);
    }
    // The file only if it is still what the headers describe (no layer changed the body).
    if let (Some(file), Some(length)) = (parts.extensions.get::<FileBody>(), length)
        && file.length == length
    {
        stream.write_all(&head).await?;
        send_file(stream, file).await?;
        return Ok(keep_alive);
    }
    write_body(stream, head, body, length).await?;
    Ok(keep_alive)
}

/// Writes the head, then the body's frames: exactly `length` bytes, or chunked without one.
async fn write_body(stream: &mut TcpStream, mut head: Vec<u8>, mut body: Body, length: Option<u64>) -> io::Result<()> {
    let mut written = 0u64;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(io::Error::other)?;
        let Ok(data) = frame.into_data() else { continue }; // trailers: not sent, as hyper
        if data.is_empty() {
            continue;
        }
        written += data.len() as u64;
        if length.is_some_and(|length| written > length) {
            return Err(io::Error::other("the body is longer than its Content-Length"));
        }
        let prefix = match length {
            Some(_) => Vec::new(),
            None => format!("{:x}\r\n", data.len()).into_bytes(),
        };
        if !head.is_empty() && data.len() <= COALESCE {
            head.extend_from_slice(&prefix);
            head.extend_from_slice(&data);
            if length.is_none() {
                head.extend_from_slice(b"\r\n");
            }
            stream.write_all(&std::mem::take(&mut head)).await?;
            continue;
        }
        if !head.is_empty() {
            stream.write_all(&std::mem::take(&mut head)).await?;
        }
        stream.write_all(&prefix).await?;
        stream.write_all(&data).await?;
        if length.is_none() {
            stream.write_all(b"\r\n").await?;
        }
    }
    if length.is_some_and(|length| written < length) {
        return Err(io::Error::other("the body ended before its Content-Length"));
    }
    if length.is_none() {
        head.extend_from_slice(b"0\r\n\r\n");
    }
    if !head.is_empty() {
        stream.write_all(&head).await?;
    }
    Ok(())
}

/// Sends the file region with `sendfile(2)`, waiting whenever the socket's buffer is full.
async fn send_file(stream: &TcpStream, body: &FileBody) -> io::Result<()> {
    let mut offset = body.offset;
    let end = body.offset + body.length;
    while offset < end {
        // At most 1 GiB per call; the kernel sends what the socket's buffer takes and says so.
        let count = (end - offset).min(1 << 30) as usize;
        stream.writable().await?;
        let sent = match stream.try_io(tokio::io::Interest::WRITABLE, || {
            rustix::fs::sendfile(stream, &*body.file, Some(&mut offset), count).map_err(io::Error::from)
        }) {
            Ok(sent) => sent,
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => continue,
            Err(error) => return Err(error),
        };
        if sent == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the blob's file is shorter than recorded"));
        }
        body.sent.increment(sent as u64);
    }
    Ok(())
}

/// The connection as hyper reads it: first what this module already read, then the socket.
struct Rewind {
    unread: Bytes,
    stream: TcpStream,
}

impl AsyncRead for Rewind {
    fn poll_read(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffer: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if !self.unread.is_empty() {
            let take = self.unread.len().min(buffer.remaining());
            buffer.put_slice(&self.unread.split_to(take));
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.stream).poll_read(context, buffer)
    }
}

impl AsyncWrite for Rewind {
    fn poll_write(mut self: Pin<&mut Self>, context: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(context, data)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        data: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(context, data)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(context)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(context)
    }
}

#[cfg(test)]
mod tests {
    //! Differential: the same bytes sent to a router served by axum's `serve` (hyper) and by
    //! [`serve`] give the same answers, header for header (but `Date`) and byte for byte.

    use std::io::Write as _;
    use std::sync::atomic::{AtomicU64, Ordering};

    use axum::routing::{get, post};
    use tokio::io::AsyncWriteExt;

    use super::*;

    const FILE_BYTES: usize = 3 * 1024 * 1024 + 17;

    fn content() -> Vec<u8> {
        (0..FILE_BYTES).map(|i| (i * 31 % 251) as u8).collect()
    }

    /// `length` bytes of the file from `offset`, as an ordinary body and as a [`FileBody`] of
    /// `file_length` bytes (the same, unless a test wants them to disagree).
    fn file_response(
        path: &std::path::Path,
        offset: u64,
        length: u64,
        file_length: u64,
        sent: &Arc<AtomicU64>,
    ) -> Response<Body> {
        let file = File::open(path).unwrap();
        let ordinary = crate::storage::file_stream(file.try_clone().unwrap(), offset, length);
        let mut response = Response::new(Body::from_stream(ordinary));
        response.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(length));
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
        let counter = metrics::Counter::from_arc(sent.clone());
        response.extensions_mut().insert(FileBody::new(file, offset, file_length, counter));
        response
    }

    fn test_router(path: std::path::PathBuf, sent: Arc<AtomicU64>) -> Router {
        let (whole_path, whole_sent) = (path.clone(), sent.clone());
        let (range_path, range_sent) = (path.clone(), sent.clone());
        let (other_path, other_sent) = (path.clone(), sent.clone());
        Router::new()
            .route("/fixed", get(|| async { "hello, world\n" }))
            .route(
                "/stream",
                get(|| async {
                    let chunks = ["one ", "two ", "three"].map(|chunk| Ok::<_, io::Error>(Bytes::from_static(chunk.as_bytes())));
                    Body::from_stream(futures_util::stream::iter(chunks))
                }),
            )
            .route("/file", get(move || async move { file_response(&whole_path, 0, FILE_BYTES as u64, FILE_BYTES as u64, &whole_sent) }))
            .route("/range", get(move || async move { file_response(&range_path, 1000, 4096, 4096, &range_sent) }))
            // A layer changed the body after the file was attached: the body is what goes.
            .route("/changed", get(move || async move { file_response(&other_path, 0, 4096, 100, &other_sent) }))
            .route(
                "/nothing",
                get(|| async { StatusCode::NO_CONTENT }),
            )
            .route(
                "/peer",
                get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.ip().to_string() }),
            )
            .route("/echo", post(|body: Bytes| async move { body }))
            .route(
                "/bye",
                get(|| async { ([(header::CONNECTION, "close")], "bye") }),
            )
    }

    struct Servers {
        hyper: SocketAddr,
        ours: SocketAddr,
        sent: Arc<AtomicU64>,
        _folder: tempfile::TempDir,
    }

    async fn servers() -> Servers {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("blob");
        std::fs::File::create(&path).unwrap().write_all(&content()).unwrap();
        let hyper_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let ours_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let (hyper, ours) = (hyper_listener.local_addr().unwrap(), ours_listener.local_addr().unwrap());
        let hyper_sent = Arc::new(AtomicU64::new(0));
        let sent = Arc::new(AtomicU64::new(0));
        let app = test_router(path.clone(), hyper_sent).into_make_service_with_connect_info::<SocketAddr>();
        tokio::spawn(async move { axum::serve(hyper_listener, app).await });
        let router = test_router(path, sent.clone());
        tokio::spawn(serve(ours_listener, router, std::future::pending()));
        Servers { hyper, ours, sent, _folder: folder }
    }

    /// Sends `writes` (each after the previous one is out, with a pause between them), then
    /// reads until the server closes the connection.
    async fn exchange(address: SocketAddr, writes: &[&[u8]]) -> Vec<u8> {
        let mut stream = TcpStream::connect(address).await.unwrap();
        for write in writes {
            stream.write_all(write).await.unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        }
        let mut answer = Vec::new();
        tokio::time::timeout(std::time::Duration::from_secs(10), stream.read_to_end(&mut answer))
            .await
            .expect("the server closes the connection")
            .unwrap();
        answer
    }

    /// One response as compared: status line, headers but `date` (sorted), body as sent.
    #[derive(PartialEq)]
    struct Answer {
        status: String,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    }

    impl std::fmt::Debug for Answer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            let shown = String::from_utf8_lossy(&self.body[..self.body.len().min(40)]).into_owned();
            write!(f, "{} {:?} body of {} bytes: {shown:?}", self.status, self.headers, self.body.len())
        }
    }

    /// Splits what a connection received into responses; `heads` says which requests were
    /// `HEAD` (their answers have no body).
    fn answers(mut bytes: &[u8], heads: &[bool]) -> Vec<Answer> {
        let mut found = Vec::new();
        for &head in heads {
            let end = bytes.windows(4).position(|window| window == b"\r\n\r\n").expect("a whole response head") + 4;
            let text = std::str::from_utf8(&bytes[..end]).unwrap();
            let mut lines = text.split("\r\n");
            let status = lines.next().unwrap().to_owned();
            let mut headers: Vec<(String, String)> = lines
                .filter(|line| !line.is_empty())
                .map(|line| line.split_once(": ").unwrap())
                .map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned()))
                .filter(|(name, _)| name != "date")
                .collect();
            headers.sort();
            bytes = &bytes[end..];
            let field = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
            let code: u16 = status[9..12].parse().unwrap();
            let body = if head || code == 204 || code == 304 {
                Vec::new()
            } else if let Some(length) = field("content-length") {
                let length: usize = length.parse().unwrap();
                let (body, rest) = bytes.split_at(length);
                bytes = rest;
                body.to_vec()
            } else if field("transfer-encoding").as_deref() == Some("chunked") {
                // Kept as sent, framing and all: both must chunk alike.
                let end = bytes.windows(5).position(|window| window == b"0\r\n\r\n").unwrap() + 5;
                let (body, rest) = bytes.split_at(end);
                bytes = rest;
                body.to_vec()
            } else {
                std::mem::take(&mut bytes).to_vec()
            };
            found.push(Answer { status, headers, body });
        }
        assert!(bytes.is_empty(), "{} bytes more than the responses expected", bytes.len());
        found
    }

    async fn both(servers: &Servers, writes: &[&[u8]], heads: &[bool]) -> Vec<Answer> {
        let reference = answers(&exchange(servers.hyper, writes).await, heads);
        let ours = answers(&exchange(servers.ours, writes).await, heads);
        for (index, (ours, reference)) in ours.iter().zip(&reference).enumerate() {
            assert_eq!(ours, reference, "answer {index}");
        }
        ours
    }

    const KEEP_ALIVE: &[&[u8]] = &[
        b"GET /fixed HTTP/1.1\r\nHost: x\r\n\r\n",
        b"HEAD /fixed HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /file HTTP/1.1\r\nHost: x\r\n\r\n",
        b"HEAD /file HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /range HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
        b"GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /changed HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /peer HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /missing HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /fixed HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    ];
    const KEEP_ALIVE_HEADS: &[bool] = &[false, true, false, false, true, false, false, false, false, false, false];

    #[tokio::test]
    async fn body_less_requests_are_answered_as_hyper_answers_them_and_files_go_by_sendfile() {
        let servers = servers().await;
        let answers = both(&servers, KEEP_ALIVE, KEEP_ALIVE_HEADS).await;
        assert_eq!(answers[3].body, content());
        assert_eq!(answers[5].body, content()[1000..5096]);
        assert_eq!(answers[7].body, content()[..4096]);
        assert_eq!(answers[8].body, b"127.0.0.1");
        assert_eq!(servers.sent.load(Ordering::Relaxed), (FILE_BYTES + 4096) as u64, "both files by sendfile");
        // The same requests in one write (pipelined) get the same answers.
        let pipelined = KEEP_ALIVE.concat();
        both(&servers, &[&pipelined], KEEP_ALIVE_HEADS).await;
    }

    #[tokio::test]
    async fn a_request_with_a_body_hands_the_connection_to_hyper_with_what_was_read() {
        let servers = servers().await;
        let writes: &[&[u8]] = &[
            b"GET /range HTTP/1.1\r\nHost: x\r\n\r\n",
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde",
            b"GET /range HTTP/1.1\r\nHost: x\r\n\r\n",
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\n",
            b"GET /bye HTTP/1.1\r\nHost: x\r\n\r\n",
        ];
        let answers = both(&servers, writes, &[false; 5]).await;
        assert_eq!(answers[1].body, b"abcde");
        assert_eq!(answers[3].body, b"xyz");
        assert_eq!(servers.sent.load(Ordering::Relaxed), 4096, "only the range before the hand-off");
        // A head split across writes, and one that ends with its body in the same write.
        let split: &[&[u8]] = &[
            b"GET /fixed HT",
            b"TP/1.1\r\nHost: x\r\n",
            b"\r\nPOST /echo HTTP/1.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
        ];
        let answers = both(&servers, split, &[false; 2]).await;
        assert_eq!(answers[1].body, b"ok");
    }

    #[tokio::test]
    async fn what_hyper_refuses_is_refused_in_its_words() {
        let servers = servers().await;
        for request in [
            &b"GARBAGE\r\n\r\n"[..],
            b"GET /fixed HTTP/1.0\r\n\r\n",
            b"GET /fixed HTTP/1.1\r\nHost: x\r\nbad header\r\n\r\n",
        ] {
            let reference = exchange(servers.hyper, &[request]).await;
            let ours = exchange(servers.ours, &[request]).await;
            let strip = |answer: &[u8]| -> Vec<String> {
                String::from_utf8_lossy(answer)
                    .split("\r\n")
                    .filter(|line| !line.starts_with("date:"))
                    .map(str::to_owned)
                    .collect()
            };
            assert_eq!(strip(&ours), strip(&reference), "{}", String::from_utf8_lossy(request));
            assert!(!ours.is_empty());
        }
    }

    #[tokio::test]
    async fn shutdown_closes_idle_connections_and_returns() {
        let folder = tempfile::tempdir().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let router = test_router(folder.path().join("none"), Arc::default());
        let server = tokio::spawn(serve(listener, router, async move {
            let _ = stopped.await;
        }));
        let mut idle = TcpStream::connect(address).await.unwrap();
        idle.write_all(b"GET /fixed HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
        let mut first = [0u8; 12];
        idle.read_exact(&mut first).await.unwrap();
        assert_eq!(&first, b"HTTP/1.1 200");
        stop.send(()).unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(5), server).await.expect("serve returns").unwrap().unwrap();
        let mut rest = Vec::new();
        idle.read_to_end(&mut rest).await.unwrap();
        assert!(String::from_utf8_lossy(&rest).ends_with("hello, world\n"));
        assert!(TcpStream::connect(address).await.is_err(), "no longer accepting");
    }
}
