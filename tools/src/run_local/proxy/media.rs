//! Small, valid media files for auto mocks: PNG, WAV and animated GIF built by hand, and
//! tiny real JPEG, WebP, MP3, FLAC, Ogg, MP4 and WebM files made with ffmpeg (`media/`), so
//! Pillow, ffmpeg and browsers open them.

/// A media file a mock serves: one format each, real bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Media {
    Png,
    Jpg,
    Webp,
    Gif,
    Wav,
    Mp3,
    Flac,
    Ogg,
    Mp4,
    Webm,
}

/// Every format, with its extensions (the first is the file's).
const FORMATS: &[(Media, &[&str])] = &[
    (Media::Png, &["png"]),
    (Media::Jpg, &["jpg", "jpeg"]),
    (Media::Webp, &["webp"]),
    (Media::Gif, &["gif"]),
    (Media::Wav, &["wav", "wave"]),
    (Media::Mp3, &["mp3", "mpeg"]),
    (Media::Flac, &["flac"]),
    (Media::Ogg, &["ogg", "oga"]),
    (Media::Mp4, &["mp4", "m4v", "mov"]),
    (Media::Webm, &["webm"]),
];

impl Media {
    /// Picks the kind from words in the model's name, the field name and descriptions:
    /// an MP4 for video, a WAV for sound, else a PNG.
    pub(crate) fn guess(hints: &str) -> Media {
        let hints = hints.to_ascii_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| hints.contains(w));
        // Not "clip": CLIP is the image model in many image models' names
        // (kvfrans/clipdraw, clip-interrogator) and inputs (`clip_skip`).
        if has(&["video", "mp4", "animation", "movie"]) {
            Media::Mp4
        } else if has(&["gif"]) {
            Media::Gif
        } else if has(&[
            "audio", "speech", "music", "sound", "wav", "mp3", "voice", "tts", "song",
        ]) {
            Media::Wav
        } else {
            Media::Png
        }
    }

    /// The format of a file extension or format name (`"jpeg"`, `".mp4"`, `"WAV"`).
    pub(crate) fn from_extension(ext: &str) -> Option<Media> {
        let ext = ext.trim().trim_start_matches('.').to_ascii_lowercase();
        FORMATS
            .iter()
            .find(|(_, exts)| exts.contains(&ext.as_str()))
            .map(|(m, _)| *m)
    }

    /// The format of a URL's file extension.
    pub(crate) fn of_url(url: &str) -> Option<Media> {
        let path = url.split(['?', '#']).next().unwrap_or(url);
        let name = path.rsplit('/').next().unwrap_or(path);
        Media::from_extension(name.rsplit_once('.')?.1)
    }

    /// File extension.
    pub(crate) fn extension(self) -> &'static str {
        FORMATS
            .iter()
            .find(|(m, _)| *m == self)
            .and_then(|(_, exts)| exts.first())
            .copied()
            .unwrap_or("bin")
    }

    /// Content type.
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Media::Png => "image/png",
            Media::Jpg => "image/jpeg",
            Media::Webp => "image/webp",
            Media::Gif => "image/gif",
            Media::Wav => "audio/wav",
            Media::Mp3 => "audio/mpeg",
            Media::Flac => "audio/flac",
            Media::Ogg => "audio/ogg",
            Media::Mp4 => "video/mp4",
            Media::Webm => "video/webm",
        }
    }

    /// The file's bytes.
    pub(crate) fn bytes(self) -> Vec<u8> {
        match self {
            Media::Png => png(16, 16),
            Media::Wav => wav(8000, 2000),
            Media::Gif => gif(),
            Media::Jpg => include_bytes!("media/tiny.jpg").to_vec(),
            Media::Webp => include_bytes!("media/tiny.webp").to_vec(),
            Media::Mp3 => include_bytes!("media/tiny.mp3").to_vec(),
            Media::Flac => include_bytes!("media/tiny.flac").to_vec(),
            Media::Ogg => include_bytes!("media/tiny.ogg").to_vec(),
            Media::Mp4 => include_bytes!("media/tiny.mp4").to_vec(),
            Media::Webm => include_bytes!("media/tiny.webm").to_vec(),
        }
    }
}

/// A `width`×`height` RGB PNG with a gradient, zlib-compressed with stored blocks.
pub(crate) fn png(width: u32, height: u32) -> Vec<u8> {
    let mut raw = Vec::new();
    for y in 0..height {
        raw.push(0); // filter: none
        for x in 0..width {
            let r = u8::try_from(x * 255 / width.max(1)).unwrap_or(0);
            let g = u8::try_from(y * 255 / height.max(1)).unwrap_or(0);
            raw.extend_from_slice(&[r, g, 128]);
        }
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &zlib_stored(&raw));
    chunk(&mut out, b"IEND", &[]);
    out
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = data.chunks(65_535).collect();
    if blocks.is_empty() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    for (i, block) in blocks.iter().enumerate() {
        out.push(u8::from(i + 1 == blocks.len()));
        let len = u16::try_from(block.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xedb8_8320 & mask);
        }
    }
    !crc
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

/// A mono 16-bit PCM WAV: a 440 Hz tone of `samples` samples at `rate` Hz.
pub(crate) fn wav(rate: u32, samples: u32) -> Vec<u8> {
    let data_len = samples * 2;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..samples {
        let t = f64::from(i) / f64::from(rate);
        let sample = (t * 440.0 * std::f64::consts::TAU).sin() * 8000.0;
        #[allow(clippy::cast_possible_truncation)]
        let sample = sample as i16;
        out.extend_from_slice(&sample.to_le_bytes());
    }
    out
}

/// A 1×1 GIF89a with two frames (black, then white) looping: a tiny "video".
pub(crate) fn gif() -> Vec<u8> {
    let mut out = b"GIF89a".to_vec();
    out.extend_from_slice(&[1, 0, 1, 0, 0x80, 0, 0]); // 1×1, global table of 2 colours
    out.extend_from_slice(&[0, 0, 0, 255, 255, 255]);
    // Loop forever.
    out.extend_from_slice(b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00");
    for colour in [0u8, 1u8] {
        out.extend_from_slice(&[0x21, 0xf9, 4, 0, 10, 0, 0, 0]); // 100 ms per frame
        out.extend_from_slice(&[0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0]);
        // LZW, min code size 2: clear, the pixel, end (codes of 3 bits).
        let codes = [4u16, u16::from(colour), 5];
        let mut bits: u32 = 0;
        let mut count = 0;
        let mut data = Vec::new();
        for code in codes {
            bits |= u32::from(code) << count;
            count += 3;
            while count >= 8 {
                data.push((bits & 0xff) as u8);
                bits >>= 8;
                count -= 8;
            }
        }
        if count > 0 {
            data.push((bits & 0xff) as u8);
        }
        out.push(2);
        out.push(u8::try_from(data.len()).unwrap_or(0));
        out.extend_from_slice(&data);
        out.push(0);
    }
    out.push(0x3b);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_and_adler_match_known_values() {
        assert_eq!(crc32(b"IEND"), 0xae42_6082);
        assert_eq!(adler32(b"Wikipedia"), 0x11e6_0398);
    }

    #[test]
    fn files_start_with_their_magic_bytes() {
        assert!(png(4, 4).starts_with(b"\x89PNG"));
        assert!(wav(8000, 10).starts_with(b"RIFF"));
        assert_eq!(wav(8000, 10).len(), 64);
        assert!(gif().starts_with(b"GIF89a") && gif().ends_with(b";"));
        assert_eq!(Media::guess("acme/tiny-video"), Media::Mp4);
        assert_eq!(Media::guess("text to speech"), Media::Wav);
        assert_eq!(Media::guess("acme/pixel-forge"), Media::Png);
        assert_eq!(Media::guess("kvfrans/clipdraw Cog"), Media::Png);
        assert_eq!(Media::from_extension("JPEG"), Some(Media::Jpg));
        assert_eq!(
            Media::of_url("https://x/y/out-0.webp?x=1"),
            Some(Media::Webp)
        );
        assert_eq!(Media::from_extension("txt"), None);
    }

    #[test]
    fn every_format_sniffs_as_itself() {
        for (media, _) in FORMATS {
            let bytes = media.bytes();
            let sniffed = crate::run_local::magic::media_type(&bytes);
            let expected = match media {
                // `infer` names WAV `audio/x-wav` and FLAC `audio/x-flac`.
                Media::Wav => "audio/x-wav",
                Media::Flac => "audio/x-flac",
                other => other.content_type(),
            };
            assert_eq!(sniffed, Some(expected), "{media:?}");
        }
    }
}
