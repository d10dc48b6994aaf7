//! A response body of a few buffers, written as they are: a kept answer goes out as its
//! envelope's head, the kept bytes (shared, not copied) and the closing brace, with its
//! exact length known (so `Content-Length`, not chunked framing).

use std::{
    collections::VecDeque,
    convert::Infallible,
    pin::Pin,
    task::{Context, Poll},
};

use axum::body::Bytes;
use hyper::body::{Body, Frame, SizeHint};

/// The buffers, in order.
#[derive(Debug, Default)]
pub struct Chunks {
    parts: VecDeque<Bytes>,
    remaining: u64,
}

impl Chunks {
    pub fn new(parts: impl IntoIterator<Item = Bytes>) -> Self {
        let parts: VecDeque<Bytes> = parts.into_iter().filter(|b| !b.is_empty()).collect();
        let remaining = parts.iter().map(|b| b.len() as u64).sum();
        Self { parts, remaining }
    }

    /// The buffers, in order.
    pub fn parts(&self) -> impl Iterator<Item = &Bytes> {
        self.parts.iter()
    }
}

impl From<Chunks> for axum::body::Body {
    fn from(chunks: Chunks) -> Self {
        axum::body::Body::new(chunks)
    }
}

impl Body for Chunks {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        Poll::Ready(this.parts.pop_front().map(|part| {
            this.remaining -= part.len() as u64;
            Ok(Frame::data(part))
        }))
    }

    fn is_end_stream(&self) -> bool {
        self.parts.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt as _;

    use super::*;

    #[tokio::test]
    async fn the_parts_arrive_in_order_with_their_exact_length() {
        let body = Chunks::new([
            Bytes::from_static(b"{\"a\":"),
            Bytes::new(),
            Bytes::from(vec![b'1'; 3000]),
            Bytes::from_static(b"}"),
        ]);
        assert_eq!(body.size_hint().exact(), Some(3006));
        assert_eq!(body.parts().count(), 3, "empty parts are left out");
        let all = body.collect().await.unwrap().to_bytes();
        assert_eq!(all.len(), 3006);
        assert!(all.starts_with(b"{\"a\":111") && all.ends_with(b"1}"));
    }
}
