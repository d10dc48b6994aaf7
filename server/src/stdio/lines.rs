//! Lines of at most a given size from a byte stream, in constant memory: a longer line is
//! skipped to its end, keeping only its first bytes (enough to read a message's id). Reading
//! is cancel-safe — a dropped `next_line` future loses no bytes — because nothing is consumed
//! from the stream without being recorded here in the same synchronous step.

use std::io;

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// How much of an oversized line is kept.
const PREFIX_KEPT: usize = 64 * 1024;

/// UTF-8 byte order mark, which a JSON reader may ignore (RFC 8259 §8.1).
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One read.
pub enum Line<'a> {
    /// A whole line, without its `\n` (or `\r\n`) and without a leading BOM.
    Complete(&'a [u8]),
    /// A line over the limit: its full length and its first bytes.
    Oversized { len: u64, prefix: &'a [u8] },
    /// The stream ended.
    Eof,
    /// The stream failed.
    Failed(io::Error),
}

/// Splits a stream into bounded lines.
pub struct LineReader<R> {
    read: R,
    buf: Vec<u8>,
    max: usize,
    /// The length so far of an oversized line being skipped.
    over: Option<u64>,
    /// `buf` holds the line returned last time.
    delivered: bool,
}

impl<R: AsyncBufRead + Unpin> LineReader<R> {
    /// Lines from `read` of at most `max` bytes.
    pub fn new(read: R, max: usize) -> Self {
        Self {
            read,
            buf: Vec::new(),
            max,
            over: None,
            delivered: false,
        }
    }

    /// The line limit in bytes.
    pub fn max(&self) -> usize {
        self.max
    }

    /// The next line. A last line without a final newline still counts as a line.
    pub async fn next_line(&mut self) -> Line<'_> {
        if self.delivered {
            self.buf.clear();
            self.over = None;
            self.delivered = false;
        }
        loop {
            let available = match self.read.fill_buf().await {
                Ok(a) => a,
                Err(e) => return Line::Failed(e),
            };
            if available.is_empty() {
                if self.buf.is_empty() && self.over.is_none() {
                    return Line::Eof;
                }
                self.delivered = true;
                return self.finish();
            }
            let newline = available.iter().position(|b| *b == b'\n');
            let chunk = &available[..newline.unwrap_or(available.len())];
            let over = match self.over {
                Some(len) => Some(len + chunk.len() as u64),
                None if self.buf.len() + chunk.len() > self.max => {
                    Some((self.buf.len() + chunk.len()) as u64)
                }
                None => None,
            };
            if over.is_some() {
                // Keep only the first bytes, enough to read the id from.
                let room = PREFIX_KEPT.saturating_sub(self.buf.len()).min(chunk.len());
                self.buf.extend_from_slice(&chunk[..room]);
                if self.over.is_none() {
                    self.buf.truncate(PREFIX_KEPT);
                    self.buf.shrink_to(PREFIX_KEPT);
                }
            } else {
                self.buf.extend_from_slice(chunk);
            }
            self.over = over;
            let consumed = newline.map_or(available.len(), |i| i + 1);
            self.read.consume(consumed);
            if newline.is_some() {
                self.delivered = true;
                return self.finish();
            }
        }
    }

    fn finish(&self) -> Line<'_> {
        match self.over {
            Some(len) => Line::Oversized {
                len,
                prefix: &self.buf,
            },
            None => {
                let line = self.buf.strip_suffix(b"\r").unwrap_or(&self.buf);
                Line::Complete(line.strip_prefix(BOM).unwrap_or(line))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    enum Got {
        Line(String),
        Over(u64, usize),
        Eof,
    }

    async fn all(input: &[u8], max: usize, cap: usize) -> Vec<Got> {
        let mut r = LineReader::new(tokio::io::BufReader::with_capacity(cap, input), max);
        let mut got = Vec::new();
        loop {
            match r.next_line().await {
                Line::Complete(l) => got.push(Got::Line(String::from_utf8_lossy(l).into())),
                Line::Oversized { len, prefix } => got.push(Got::Over(len, prefix.len())),
                Line::Eof => {
                    got.push(Got::Eof);
                    return got;
                }
                Line::Failed(e) => panic!("{e}"),
            }
        }
    }

    #[tokio::test]
    async fn lines_split_and_limits_hold_at_any_buffer_size() {
        let input = b"\xEF\xBB\xBFab\r\n\nabcdefghij\nxyz\nlast";
        for cap in [1, 2, 3, 7, 64] {
            assert_eq!(
                all(input, 6, cap).await,
                vec![
                    Got::Line("ab".into()),
                    Got::Line(String::new()),
                    Got::Over(10, 10),
                    Got::Line("xyz".into()),
                    Got::Line("last".into()),
                    Got::Eof,
                ],
                "buffer capacity {cap}"
            );
        }
    }

    #[tokio::test]
    async fn only_a_prefix_of_a_huge_line_is_kept() {
        let mut input = vec![b'x'; 3 * PREFIX_KEPT];
        input.extend_from_slice(b"\nok\n");
        assert_eq!(
            all(&input, 1000, 8192).await,
            vec![
                Got::Over(3 * PREFIX_KEPT as u64, PREFIX_KEPT),
                Got::Line("ok".into()),
                Got::Eof
            ]
        );
    }
}
