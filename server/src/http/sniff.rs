//! Watches the request bytes of one connection for the body framing hyper does not bound
//! up front: a chunked body whose declared chunk sizes add up to more than the body limit.
//! hyper only notices such a body as its bytes arrive (a client declaring a 4 GiB chunk and
//! then sending nothing would hold the request open); this watcher sees the size line itself
//! and tells the request handler at once, which answers 413.
//!
//! It follows HTTP/1.1 framing just far enough: request heads (for `Transfer-Encoding` and
//! `Content-Length`), chunk-size lines, chunk data and trailers. Anything it does not
//! understand stops the watching; hyper stays the parser that decides.

use std::{
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    task::{Context, Poll},
};

use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    sync::Notify,
};

/// Shared between the connection's reader and its request handlers.
#[derive(Debug, Default)]
pub struct BodyWatch {
    /// 1-based number of the request whose chunked body declared too much (0: none).
    oversized: AtomicU64,
    notify: Notify,
}

impl BodyWatch {
    /// Whether request number `seq` declared a body over the limit.
    pub fn is_oversized(&self, seq: u64) -> bool {
        self.oversized.load(Ordering::Acquire) == seq
    }

    /// Resolves when request number `seq` declares a body over the limit (never otherwise).
    pub async fn oversized(&self, seq: u64) {
        loop {
            let notified = self.notify.notified();
            if self.is_oversized(seq) {
                return;
            }
            notified.await;
        }
    }

    fn flag(&self, seq: u64) {
        self.oversized.store(seq, Ordering::Release);
        self.notify.notify_waiters();
    }
}

/// Where in the byte stream the watcher is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a request head, line by line.
    Head,
    /// Skipping a `Content-Length` body.
    Fixed(u64),
    /// Reading a chunk-size line.
    Size { value: u64, ext: bool },
    /// Skipping chunk data.
    Data(u64),
    /// Skipping the CRLF after chunk data.
    DataEnd,
    /// Reading trailer lines until an empty one.
    Trailer,
    /// Gave up: hyper decides.
    Off,
}

/// The framing tracker (separate from the I/O so it can be unit-tested).
#[derive(Debug)]
pub struct Framing {
    state: State,
    limit: u64,
    seq: u64,
    line: Vec<u8>,
    chunked: bool,
    length: Option<u64>,
    declared: u64,
}

/// Longest head line kept for inspection (longer ones are only counted).
const LINE_KEEP: usize = 256;

impl Framing {
    /// A tracker for bodies up to `limit` bytes.
    pub fn new(limit: u64) -> Self {
        Self {
            state: State::Head,
            limit,
            seq: 0,
            line: Vec::new(),
            chunked: false,
            length: None,
            declared: 0,
        }
    }

    /// Feeds bytes read from the client; returns the number of a request that declared too
    /// much, when these bytes revealed it.
    pub fn feed(&mut self, mut bytes: &[u8]) -> Option<u64> {
        let mut found = None;
        while !bytes.is_empty() {
            match self.state {
                State::Off => return found,
                State::Fixed(n) | State::Data(n) => {
                    let take = usize::try_from(n).unwrap_or(usize::MAX).min(bytes.len());
                    bytes = &bytes[take..];
                    let left = n - take as u64;
                    self.state = match (self.state, left) {
                        (State::Fixed(_), 0) => State::Head,
                        (State::Fixed(_), l) => State::Fixed(l),
                        (_, 0) => State::DataEnd,
                        (_, l) => State::Data(l),
                    };
                }
                State::Head | State::Trailer => {
                    // A line at a time: up to the next newline, kept up to `LINE_KEEP`.
                    let (segment, newline) = match memchr::memchr(b'\n', bytes) {
                        Some(i) => (&bytes[..i], true),
                        None => (bytes, false),
                    };
                    let room = LINE_KEEP.saturating_sub(self.line.len());
                    self.line
                        .extend_from_slice(&segment[..segment.len().min(room)]);
                    bytes = &bytes[segment.len() + usize::from(newline)..];
                    if newline {
                        self.end_of_line();
                    }
                }
                _ => {
                    let b = bytes[0];
                    bytes = &bytes[1..];
                    if self.byte(b) {
                        found = Some(self.seq);
                    }
                }
            }
        }
        found
    }

    /// A head or trailer line ended (the kept line is reused for the next).
    fn end_of_line(&mut self) {
        let mut kept = std::mem::take(&mut self.line);
        let line = kept.strip_suffix(b"\r").unwrap_or(&kept);
        if self.state == State::Trailer {
            if line.is_empty() {
                self.state = State::Head;
            }
        } else if !line.is_empty() {
            self.header(line);
        } else {
            self.end_of_head();
        }
        kept.clear();
        self.line = kept;
    }

    /// One byte outside data; true when it completed an oversized declaration.
    fn byte(&mut self, b: u8) -> bool {
        match self.state {
            State::Size { value, ext } => match b {
                b'\n' => {
                    self.declared = self.declared.saturating_add(value);
                    self.state = if value == 0 {
                        State::Trailer
                    } else {
                        State::Data(value)
                    };
                    self.declared > self.limit
                }
                b';' | b' ' | b'\t' => {
                    self.state = State::Size { value, ext: true };
                    false
                }
                b'\r' => false,
                _ if ext => false,
                _ => match (b as char).to_digit(16) {
                    Some(d) => {
                        let v = value.saturating_mul(16).saturating_add(u64::from(d));
                        self.state = State::Size { value: v, ext };
                        if v > self.limit {
                            // Said before the line ends: no need to wait for the rest.
                            self.state = State::Off;
                            return true;
                        }
                        false
                    }
                    None => {
                        self.state = State::Off;
                        false
                    }
                },
            },
            State::DataEnd => {
                if b == b'\n' {
                    self.state = State::Size {
                        value: 0,
                        ext: false,
                    };
                }
                false
            }
            State::Head | State::Trailer | State::Fixed(_) | State::Data(_) | State::Off => false,
        }
    }

    fn header(&mut self, line: &[u8]) {
        let Some(colon) = line.iter().position(|&c| c == b':') else {
            return; // the request line
        };
        let name = line[..colon].trim_ascii();
        let value = line[colon + 1..].trim_ascii();
        if name.eq_ignore_ascii_case(b"transfer-encoding") {
            self.chunked =
                value.len() >= 7 && value[value.len() - 7..].eq_ignore_ascii_case(b"chunked");
        } else if name.eq_ignore_ascii_case(b"content-length") {
            self.length = std::str::from_utf8(value).ok().and_then(|v| v.parse().ok());
        }
    }

    fn end_of_head(&mut self) {
        self.seq += 1;
        self.declared = 0;
        self.state = if self.chunked {
            State::Size {
                value: 0,
                ext: false,
            }
        } else {
            match self.length {
                Some(n) if n > 0 => State::Fixed(n),
                _ => State::Head,
            }
        };
        self.chunked = false;
        self.length = None;
    }
}

/// A connection's stream, with its incoming bytes watched.
pub struct Watched<S> {
    inner: S,
    framing: Framing,
    watch: Arc<BodyWatch>,
}

impl<S> Watched<S> {
    /// Wraps `inner`; `watch` is what the request handlers look at.
    pub fn new(inner: S, limit: u64, watch: Arc<BodyWatch>) -> Self {
        Self {
            inner,
            framing: Framing::new(limit),
            watch,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let res = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = res
            && let Some(seq) = this.framing.feed(&buf.filled()[before..])
        {
            this.watch.flag(seq);
        }
        res
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &[u8] = b"POST /mcp HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";

    #[test]
    fn small_chunked_bodies_pass_in_any_split() {
        let mut wire = HEAD.to_vec();
        wire.extend_from_slice(b"5;ext=1\r\nhello\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n");
        wire.extend_from_slice(b"GET /healthz HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi");
        wire.extend_from_slice(HEAD);
        wire.extend_from_slice(b"4\r\nabcd\r\n0\r\n\r\n");
        for split in 1..wire.len() {
            let mut f = Framing::new(10);
            let (a, b) = wire.split_at(split);
            assert_eq!(f.feed(a), None, "split {split}");
            assert_eq!(f.feed(b), None, "split {split}");
            assert_eq!(f.state, State::Head);
            assert_eq!(f.seq, 3);
        }
    }

    #[test]
    fn a_huge_declared_chunk_is_seen_before_its_data() {
        let mut f = Framing::new(4 * 1024 * 1024);
        assert_eq!(f.feed(HEAD), None);
        assert_eq!(f.feed(b"fffffffff"), Some(1));
        let mut f = Framing::new(4 * 1024 * 1024);
        f.feed(b"GET / HTTP/1.1\r\n\r\n");
        f.feed(HEAD);
        assert_eq!(f.feed(b"400000\r\nab"), None);
        let mut f = Framing::new(4 * 1024 * 1024);
        f.feed(b"GET / HTTP/1.1\r\n\r\n");
        f.feed(HEAD);
        assert_eq!(f.feed(b"400001\r\nab"), Some(2));
    }

    #[test]
    fn header_names_in_any_case_and_long_lines_read_alike_byte_by_byte() {
        let long = format!("X-Long: {}\r\n", "v".repeat(1000));
        let mut wire = b"POST /mcp HTTP/1.1\r\ncontent-LENGTH:  3 \r\n".to_vec();
        wire.extend_from_slice(long.as_bytes());
        wire.extend_from_slice(b"\r\nabc");
        wire.extend_from_slice(b"POST /mcp HTTP/1.1\r\nTRANSFER-encoding: gzip, Chunked\r\n");
        wire.extend_from_slice(long.as_bytes());
        wire.extend_from_slice(b"\r\nfffffffff");
        let mut whole = Framing::new(1024);
        assert_eq!(whole.feed(&wire), Some(2));
        let mut bytewise = Framing::new(1024);
        let found: Vec<u64> = wire.iter().filter_map(|b| bytewise.feed(&[*b])).collect();
        assert_eq!(found, [2]);
        assert_eq!((whole.state, whole.seq), (bytewise.state, bytewise.seq));
        assert_eq!(whole.state, State::Off);
    }

    #[test]
    fn many_chunks_adding_up_over_the_limit_are_seen() {
        let mut f = Framing::new(10);
        f.feed(HEAD);
        assert_eq!(f.feed(b"6\r\nabcdef\r\n"), None);
        assert_eq!(f.feed(b"6\r\n"), Some(1));
    }
}
