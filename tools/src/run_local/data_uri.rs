//! `data:` URIs: decoding cog's file outputs, encoding local files given as inputs.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// (media type, extension) pairs, the first extension of a type being its preferred one.
const TYPES: &[(&str, &str)] = &[
    ("text/plain", "txt"),
    ("application/json", "json"),
    ("image/png", "png"),
    ("image/jpeg", "jpg"),
    ("image/jpeg", "jpeg"),
    ("image/webp", "webp"),
    ("image/gif", "gif"),
    ("image/svg+xml", "svg"),
    ("audio/wav", "wav"),
    ("audio/x-wav", "wav"),
    ("audio/mpeg", "mp3"),
    ("audio/ogg", "ogg"),
    ("audio/flac", "flac"),
    ("video/mp4", "mp4"),
    ("video/webm", "webm"),
    ("application/zip", "zip"),
    ("application/pdf", "pdf"),
    ("text/csv", "csv"),
    ("text/html", "html"),
    ("application/octet-stream", "bin"),
];

/// The preferred file extension for a media type (`image/png` → `png`).
pub(crate) fn extension_for(media_type: &str) -> String {
    let base = media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if let Some((_, ext)) = TYPES.iter().find(|(t, _)| *t == base) {
        return (*ext).to_owned();
    }
    let subtype: String = base
        .rsplit('/')
        .next()
        .unwrap_or("")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(10)
        .collect();
    if subtype.is_empty() {
        "bin".to_owned()
    } else {
        subtype
    }
}

/// The media type for a file name's extension, `application/octet-stream` if unknown.
pub(crate) fn media_type_for(file_name: &str) -> &'static str {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    TYPES
        .iter()
        .find(|(_, e)| *e == ext)
        .map_or("application/octet-stream", |(t, _)| t)
}

/// A decoded `data:` URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DataUri {
    pub(crate) media_type: String,
    pub(crate) bytes: Vec<u8>,
}

/// Decodes `data:[<media type>][;base64],<data>`; `None` if `text` is not a data URI.
pub(crate) fn decode(text: &str) -> Option<DataUri> {
    let rest = text.strip_prefix("data:")?;
    let (meta, data) = rest.split_once(',')?;
    let (media_type, is_base64) = match meta.strip_suffix(";base64") {
        Some(media_type) => (media_type, true),
        None => (meta, false),
    };
    let bytes = if is_base64 {
        let compact: String = data.chars().filter(|c| !c.is_whitespace()).collect();
        STANDARD.decode(compact).ok()?
    } else {
        percent_decode(data)
    };
    let media_type = if media_type.is_empty() {
        "text/plain"
    } else {
        media_type
    };
    Some(DataUri {
        media_type: media_type.to_owned(),
        bytes,
    })
}

/// Encodes bytes as a base64 data URI.
pub(crate) fn encode(media_type: &str, bytes: &[u8]) -> String {
    format!("data:{media_type};base64,{}", STANDARD.encode(bytes))
}

fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(value) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(value);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_base64_and_percent_forms() {
        let uri = decode("data:text/plain;base64,YWJhYg==").unwrap();
        assert_eq!(uri.bytes, b"abab");
        assert_eq!(uri.media_type, "text/plain");
        assert_eq!(decode("data:,a%20b%2").unwrap().bytes, b"a b%2");
        assert_eq!(decode("https://example.com/x.png"), None);
        assert_eq!(decode("data:image/png;base64,!!"), None);
    }

    #[test]
    fn round_trips_and_names_extensions() {
        let uri = encode(media_type_for("photo.PNG"), b"\x89PNG");
        assert_eq!(decode(&uri).unwrap().bytes, b"\x89PNG");
        assert_eq!(extension_for("image/png"), "png");
        assert_eq!(extension_for("text/plain; charset=utf-8"), "txt");
        assert_eq!(extension_for("model/gltf-binary"), "gltfbinary");
        assert_eq!(extension_for(""), "bin");
    }
}
