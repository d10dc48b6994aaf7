//! The extension an output file gets: the one of its real content, sniffed from its magic
//! bytes (a model that says `image/png` may well send WebP), else the one of its media type.

use super::data_uri;

/// The file extension for `bytes` announced as `media_type`.
pub(crate) fn extension(bytes: &[u8], media_type: &str) -> String {
    match infer::get(bytes) {
        // `infer` says `jpg`, `png`, `webp`, `mp4`, `wav`, …: the content wins.
        Some(kind) => kind.extension().to_owned(),
        None => data_uri::extension_for(media_type),
    }
}

/// The media type of `bytes`, when their magic bytes say it.
pub(crate) fn media_type(bytes: &[u8]) -> Option<&'static str> {
    infer::get(bytes).map(|kind| kind.mime_type())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first bytes of a real WebP file (RIFF container, `WEBPVP8 `).
    const WEBP: &[u8] = b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00\x30\x01\x00\x9d\x01\x2a";
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR";

    #[test]
    fn content_wins_over_the_announced_type() {
        assert_eq!(extension(WEBP, "image/png"), "webp");
        assert_eq!(extension(PNG, "application/octet-stream"), "png");
        assert_eq!(media_type(WEBP), Some("image/webp"));
    }

    #[test]
    fn unknown_content_keeps_the_media_type_extension() {
        assert_eq!(extension(b"hello", "text/plain"), "txt");
        assert_eq!(extension(b"{}", "application/json"), "json");
        assert_eq!(media_type(b"hello"), None);
    }
}
