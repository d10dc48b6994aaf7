//! Small, valid media files for auto mocks: a PNG image, a WAV sound and an animated GIF
//! (for video), built by hand so Pillow, ffmpeg and browsers open them.

/// A kind of media file a mock serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Media {
    Image,
    Audio,
    Video,
}

impl Media {
    /// Picks the kind from words in the model's name, the field name and descriptions.
    pub(crate) fn guess(hints: &str) -> Media {
        let hints = hints.to_ascii_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| hints.contains(w));
        if has(&["video", "mp4", "gif", "animation", "movie", "clip"]) {
            Media::Video
        } else if has(&[
            "audio", "speech", "music", "sound", "wav", "mp3", "voice", "tts", "song",
        ]) {
            Media::Audio
        } else {
            Media::Image
        }
    }

    /// File extension.
    pub(crate) fn extension(self) -> &'static str {
        match self {
            Media::Image => "png",
            Media::Audio => "wav",
            Media::Video => "gif",
        }
    }

    /// Content type.
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Media::Image => "image/png",
            Media::Audio => "audio/wav",
            Media::Video => "image/gif",
        }
    }

    /// The file's bytes.
    pub(crate) fn bytes(self) -> Vec<u8> {
        match self {
            Media::Image => png(16, 16),
            Media::Audio => wav(8000, 2000),
            Media::Video => gif(),
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
        assert_eq!(Media::guess("acme/tiny-video"), Media::Video);
        assert_eq!(Media::guess("text to speech"), Media::Audio);
        assert_eq!(Media::guess("acme/pixel-forge"), Media::Image);
    }
}
