//! Checks a creator's audio clip before it is uploaded to make a voice, which costs money.
//! The clip's own bytes (never its file name) decide the format (mp3, wav, mp4, mov), the length
//! (5 to 30 s) and whether there is any audio at all, so a doomed upload is refused up front with
//! a reason the UI can show. Standard library only, and total: every input gets an answer, no panic.

pub const MIN_SECONDS: u32 = 5;
pub const MAX_SECONDS: u32 = 30;
/// The largest clip the app uploads (the data URL is base64, about 4/3 of this). [inferred: Segmind states no limit]
pub const MAX_BYTES: u64 = 20 * 1024 * 1024;

/// A container the voice service accepts, as recognised from the clip's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClipFormat {
    Mp3,
    Wav,
    /// Also .m4a: it is the same container.
    Mp4,
    Mov,
}

impl ClipFormat {
    pub fn mime(self) -> &'static str {
        match self {
            Self::Mp3 => "audio/mpeg",
            Self::Wav => "audio/wav",
            Self::Mp4 => "video/mp4",
            Self::Mov => "video/quicktime",
        }
    }

    /// The file extension a kept copy is saved under; the same word as [`Self::name`].
    pub fn extension(self) -> &'static str {
        self.name()
    }

    /// Stable identifier sent to the front end as a JSON value; do not rename.
    pub fn name(self) -> &'static str {
        match self {
            Self::Mp3 => "mp3",
            Self::Wav => "wav",
            Self::Mp4 => "mp4",
            Self::Mov => "mov",
        }
    }
}

/// A clip that may be uploaded: its format, its length in whole milliseconds and its size.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipInfo {
    pub format: ClipFormat,
    pub millis: u64,
    pub bytes: u64,
}

/// Why a clip is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClipProblem {
    /// Not mp3, wav, mp4 or mov by content (text, images, random bytes, empty).
    NotAudio,
    /// A known container whose length cannot be read (truncated header, zero length, no data...).
    Damaged,
    /// A wav with zero channels, or an mp4/mov without a sound ('soun') track.
    NoAudioTrack,
    TooShort {
        millis: u64,
    },
    TooLong {
        millis: u64,
    },
    TooLarge {
        bytes: u64,
    },
}

/// Names the clip's format and length, or says why it must not be uploaded.
pub fn inspect(bytes: &[u8]) -> Result<ClipInfo, ClipProblem> {
    let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if size > MAX_BYTES {
        return Err(ClipProblem::TooLarge { bytes: size });
    }
    // Strongest signatures first: MP3 has no magic number, only frame sync bits, so it goes last.
    let (format, millis) = if let Some(length) = wav_millis(bytes) {
        (ClipFormat::Wav, length?)
    } else if let Some((format, length)) = iso_millis(bytes) {
        (format, length?)
    } else if let Some(millis) = mp3_millis(bytes) {
        (ClipFormat::Mp3, millis)
    } else {
        return Err(ClipProblem::NotAudio);
    };
    if millis < u64::from(MIN_SECONDS) * 1000 {
        return Err(ClipProblem::TooShort { millis });
    }
    // Encoders pad a clip trimmed to exactly 30 s (MP3 and AAC priming: 30.067 s
    // measured for ffmpeg's mp3): lengths are judged to a tenth of a second, so
    // 30.099 s passes and 30.1 s does not.
    if millis >= u64::from(MAX_SECONDS) * 1000 + 100 {
        return Err(ClipProblem::TooLong { millis });
    }
    Ok(ClipInfo {
        format,
        millis,
        bytes: size,
    })
}

/// `amount / per_second` seconds in milliseconds, rounded to nearest; 0 when the rate is 0.
fn round_millis(amount: u64, per_second: u64) -> u64 {
    if per_second == 0 {
        return 0;
    }
    let (amount, per_second) = (u128::from(amount), u128::from(per_second));
    u64::try_from((amount * 1000 + per_second / 2) / per_second).unwrap_or(u64::MAX)
}

/// `N` bytes at `at`, or `None` past the end: all multi-byte reads go through here.
fn array<const N: usize>(b: &[u8], at: usize) -> Option<[u8; N]> {
    b.get(at..at.checked_add(N)?)?.try_into().ok()
}

// ---------------------------------------------------------------- WAV

/// `None` when this is not a RIFF/WAVE file at all.
fn wav_millis(b: &[u8]) -> Option<Result<u64, ClipProblem>> {
    if b.get(0..4)? != b"RIFF" || b.get(8..12)? != b"WAVE" {
        return None;
    }
    Some(wav_length(b))
}

fn wav_length(b: &[u8]) -> Result<u64, ClipProblem> {
    let mut fmt = None; // (channels, byte rate)
    let mut data = None; // bytes of sample data actually present
    let mut pos = 12usize;
    while let Some(header) = b.get(pos..).and_then(|rest| rest.get(..8)) {
        let &[c0, c1, c2, c3, s0, s1, s2, s3] = header else {
            break;
        };
        let size = u32::from_le_bytes([s0, s1, s2, s3]);
        let declared = usize::try_from(size).unwrap_or(usize::MAX);
        let body = pos + 8; // the 8 header bytes exist, so this is within the buffer
        match &[c0, c1, c2, c3] {
            // Only the byte rate matters, so WAVE_FORMAT_EXTENSIBLE needs no special case.
            b"fmt " => {
                let channels = array(b, body + 2).map(u16::from_le_bytes);
                fmt = channels.zip(array(b, body + 8).map(u32::from_le_bytes));
            }
            b"data" => {
                // Streaming writers leave 0xFFFFFFFF, and a cut-off file claims more than it has.
                let present = b.len().saturating_sub(body);
                data = Some(if size == u32::MAX {
                    present
                } else {
                    declared.min(present)
                });
            }
            _ => {}
        }
        if fmt.is_some() && data.is_some() {
            break;
        }
        // Chunks are padded to an even length.
        pos = body.saturating_add(declared).saturating_add(declared & 1);
    }
    let (channels, byte_rate) = fmt.ok_or(ClipProblem::Damaged)?;
    let data = data.ok_or(ClipProblem::Damaged)?;
    if channels == 0 {
        return Err(ClipProblem::NoAudioTrack);
    }
    if byte_rate == 0 || data == 0 {
        return Err(ClipProblem::Damaged);
    }
    Ok(round_millis(
        u64::try_from(data).unwrap_or(u64::MAX),
        u64::from(byte_rate),
    ))
}

// ---------------------------------------------------------------- MP3

/// Bitrates in kbps for indexes 1..=14 (0 is "free format", 15 is invalid).
const BITRATES: [[u32; 14]; 5] = [
    [
        32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448,
    ], // MPEG-1 layer I
    [
        32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384,
    ], // MPEG-1 layer II
    [
        32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
    ], // MPEG-1 layer III
    [
        32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256,
    ], // MPEG-2/2.5 layer I
    [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160], // MPEG-2/2.5 II, III
];

/// The least common multiple of all nine MPEG sample rates: every frame lasts a whole number of
/// these ticks, so the length is summed exactly, with no floating point.
const TICKS_PER_SECOND: u64 = 14_112_000;

/// What one MPEG audio frame header says.
struct Frame {
    len: usize,
    samples: u32,
    rate: u32,
    /// Version, layer and sample rate bits: they must not change within one stream.
    kind: (u8, u8, u8),
}

fn mp3_frame(b: &[u8], at: usize) -> Option<Frame> {
    let &[sync, b1, b2, _] = b.get(at..)?.get(..4)? else {
        return None;
    };
    if sync != 0xFF || b1 & 0xE0 != 0xE0 {
        return None;
    }
    let version = (b1 >> 3) & 3; // 0 = MPEG 2.5, 1 = reserved, 2 = MPEG 2, 3 = MPEG 1
    let layer = (b1 >> 1) & 3; // 0 = reserved, 1 = III, 2 = II, 3 = I
    let rate_index = (b2 >> 2) & 3;
    if version == 1 || layer == 0 {
        return None;
    }
    let mpeg1 = version == 3;
    let row = match (mpeg1, layer) {
        (true, _) => usize::from(3 - layer),
        (false, 3) => 3,
        (false, _) => 4,
    };
    // Free format (index 0) has no length in its header, so the walk cannot go on.
    let kbps = *BITRATES[row].get(usize::from(b2 >> 4).checked_sub(1)?)?;
    let base_rate = *[44_100u32, 48_000, 32_000].get(usize::from(rate_index))?;
    let rate = match version {
        3 => base_rate,
        2 => base_rate / 2,
        _ => base_rate / 4,
    };
    let samples = match layer {
        3 => 384,
        1 if !mpeg1 => 576,
        _ => 1152,
    };
    let padding = u32::from((b2 >> 1) & 1);
    let bits = kbps * 1000;
    let len = if layer == 3 {
        (12 * bits / rate + padding) * 4 // layer I counts in 4-byte slots
    } else {
        samples / 8 * bits / rate + padding
    };
    let len = usize::try_from(len).ok().filter(|&len| len > 4)?; // always true; guards the walk
    Some(Frame {
        len,
        samples,
        rate,
        kind: (version, layer, rate_index),
    })
}

/// Length of the ID3v2 tag at the start, or 0 when there is none.
fn id3v2_len(b: &[u8]) -> usize {
    let Some(&[b'I', b'D', b'3', _, _, flags, s0, s1, s2, s3]) = b.get(..10) else {
        return 0;
    };
    if (s0 | s1 | s2 | s3) & 0x80 != 0 {
        return 0; // not a syncsafe size, so not a tag
    }
    let size = (u32::from(s0) << 21) | (u32::from(s1) << 14) | (u32::from(s2) << 7) | u32::from(s3);
    let footer = if flags & 0x10 != 0 { 10 } else { 0 };
    usize::try_from(size).map_or(usize::MAX, |size| size.saturating_add(10 + footer))
}

/// `None` unless at least 3 consecutive frames open the stream: a lone 0xFF byte pair is common
/// in arbitrary data, three chained frame headers are not.
fn mp3_millis(b: &[u8]) -> Option<u64> {
    let mut pos = id3v2_len(b);
    let first = mp3_frame(b, pos)?.kind;
    let (mut frames, mut ticks) = (0usize, 0u64);
    // Stops at the first thing that is not a whole frame of the same stream (e.g. an ID3v1 "TAG").
    while let Some(frame) = mp3_frame(b, pos) {
        let end = pos.saturating_add(frame.len);
        if frame.kind != first || end > b.len() {
            break;
        }
        frames += 1;
        ticks += u64::from(frame.samples) * (TICKS_PER_SECOND / u64::from(frame.rate));
        pos = end;
    }
    (frames >= 3).then(|| round_millis(ticks, TICKS_PER_SECOND))
}

// ---------------------------------------------------------------- MP4 / MOV

/// The boxes (atoms) laid end to end in `rest`, as (type, payload). A box claiming more than is
/// left is cut to what is there (a truncated file); size 0 means "to the end", as the spec says.
struct Boxes<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Boxes<'a> {
    type Item = ([u8; 4], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let &[s0, s1, s2, s3, t0, t1, t2, t3] = self.rest.get(..8)? else {
            return None;
        };
        let (header, size) = match u32::from_be_bytes([s0, s1, s2, s3]) {
            0 => (8, self.rest.len()),
            1 => (
                16,
                u64::from_be_bytes(array(self.rest, 8)?).try_into().ok()?,
            ),
            n => (8, usize::try_from(n).ok()?),
        };
        if size < header {
            self.rest = &[];
            return None;
        }
        let end = size.min(self.rest.len());
        let payload = self.rest.get(header..end)?;
        self.rest = self.rest.get(end..).unwrap_or(&[]);
        Some(([t0, t1, t2, t3], payload))
    }
}

fn find_box<'a>(b: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    Boxes { rest: b }
        .find(|(k, _)| k == kind)
        .map(|(_, payload)| payload)
}

/// `None` when this is not an ISO BMFF / QuickTime file at all.
fn iso_millis(b: &[u8]) -> Option<(ClipFormat, Result<u64, ClipProblem>)> {
    let size = u32::from_be_bytes(array(b, 0)?);
    let format = match b.get(4..8)? {
        b"ftyp" if b.get(8..12) == Some(&b"qt  "[..]) => ClipFormat::Mov,
        b"ftyp" => ClipFormat::Mp4,
        // Old QuickTime files have no ftyp; the size check keeps stray text from matching.
        b"moov" | b"mdat" | b"wide" | b"free" | b"skip" | b"pnot" if size <= 1 || size >= 8 => {
            ClipFormat::Mov
        }
        _ => return None,
    };
    Some((format, iso_length(b)))
}

fn iso_length(b: &[u8]) -> Result<u64, ClipProblem> {
    // moov may come before or after mdat (before is "fast start"); search the whole top level.
    let moov = find_box(b, b"moov").ok_or(ClipProblem::Damaged)?;
    let mut longest_sound = None;
    for (_, trak) in (Boxes { rest: moov }).filter(|(k, _)| k == b"trak") {
        let Some(mdia) = find_box(trak, b"mdia") else {
            continue;
        };
        // hdlr is a full box: version/flags (4), pre_defined (4), then the handler type.
        if !matches!(
            find_box(mdia, b"hdlr").and_then(|h| h.get(8..12)),
            Some(b"soun")
        ) {
            continue;
        }
        let millis = find_box(mdia, b"mdhd").and_then(header_millis).unwrap_or(0);
        longest_sound = Some(longest_sound.map_or(millis, |m: u64| m.max(millis)));
    }
    match longest_sound.ok_or(ClipProblem::NoAudioTrack)? {
        0 => match find_box(moov, b"mvhd").and_then(header_millis) {
            Some(millis) if millis > 0 => Ok(millis),
            _ => Err(ClipProblem::Damaged),
        },
        millis => Ok(millis),
    }
}

/// Length of an `mdhd` or `mvhd` payload (both start version, flags, times, timescale, duration;
/// version 1 widens the times and duration to 64 bits). All ones means "unknown", read as 0.
fn header_millis(p: &[u8]) -> Option<u64> {
    let (timescale, duration) = match p.first()? {
        0 => (array(p, 12)?, u32::from_be_bytes(array(p, 16)?).into()),
        1 => (array(p, 20)?, u64::from_be_bytes(array(p, 24)?)),
        _ => return None,
    };
    let duration = if matches!(duration, 0xFFFF_FFFF | u64::MAX) {
        0
    } else {
        duration
    };
    Some(round_millis(duration, u32::from_be_bytes(timescale).into()))
}

#[cfg(test)]
mod tests {
    use super::ClipFormat::{Mov, Mp3, Mp4, Wav};
    use super::ClipProblem::{Damaged, NoAudioTrack, NotAudio, TooLarge, TooLong, TooShort};
    use super::*;

    /// 16-bit mono PCM sine, with an odd-sized LIST chunk before `data` to exercise padding.
    fn wav(millis: u64, rate: u32) -> Vec<u8> {
        let samples = u64::from(rate) * millis / 1000;
        let data: Vec<u8> = (0..samples)
            .flat_map(|i| {
                let phase = i as f64 * 440.0 * std::f64::consts::TAU / f64::from(rate);
                ((phase.sin() * 8000.0) as i16).to_le_bytes()
            })
            .collect();
        let mut out = b"RIFF".to_vec();
        out.extend((4 + 24 + 14 + 8 + data.len() as u32).to_le_bytes());
        out.extend(b"WAVEfmt \x10\0\0\0\x01\0\x01\0"); // PCM, 1 channel
        out.extend(rate.to_le_bytes());
        out.extend((rate * 2).to_le_bytes()); // byte rate
        out.extend(b"\x02\0\x10\0LIST\x05\0\0\0abcde\0data"); // block align 2, 16 bits
        out.extend((data.len() as u32).to_le_bytes());
        out.extend(data);
        out
    }

    /// MPEG-1 Layer III, 128 kbps, 44.1 kHz, mono: 417 bytes a frame, 418 when padded.
    fn mp3(frames: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for i in 0..frames {
            let padded = i % 2 == 1;
            out.extend([0xFF, 0xFB, if padded { 0x92 } else { 0x90 }, 0xC4]);
            out.resize(out.len() + if padded { 414 } else { 413 }, 0);
        }
        out
    }

    fn id3(body: usize) -> Vec<u8> {
        let mut out = b"ID3\x04\0\0".to_vec();
        out.extend([21, 14, 7, 0].map(|shift| (body >> shift) as u8 & 0x7F)); // syncsafe
        out.resize(10 + body, 0);
        out
    }

    fn bx(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        [&(payload.len() as u32 + 8).to_be_bytes(), kind, payload].concat()
    }

    fn bx64(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let size = (payload.len() as u64 + 16).to_be_bytes();
        [&1u32.to_be_bytes()[..], kind, &size, payload].concat()
    }

    /// mdhd / mvhd payload; version 1 when the duration needs 64 bits.
    fn times(timescale: u32, duration: u64) -> Vec<u8> {
        let scale = timescale.to_be_bytes();
        match u32::try_from(duration) {
            Ok(short) => [&[0; 12][..], &scale, &short.to_be_bytes(), &[0; 4]].concat(),
            Err(_) => [
                &[1; 1][..],
                &[0; 19],
                &scale,
                &duration.to_be_bytes(),
                &[0; 4],
            ]
            .concat(),
        }
    }

    type Track<'a> = (&'a [u8; 4], u32, u64);

    /// moov whose mvhd always says 12 s, so a fallback to it is visible.
    fn moov(tracks: &[Track]) -> Vec<u8> {
        let mut body = bx(b"mvhd", &times(600, 600 * 12));
        for &(handler, timescale, duration) in tracks {
            let hdlr = [&[0u8; 8][..], handler, &[0u8; 13]].concat();
            let mdia = [bx(b"mdhd", &times(timescale, duration)), bx(b"hdlr", &hdlr)].concat();
            body.extend(bx(b"trak", &bx(b"mdia", &mdia)));
        }
        bx(b"moov", &body)
    }

    fn ftyp(brand: &[u8; 4]) -> Vec<u8> {
        bx(b"ftyp", &[&brand[..], b"\0\0\0\0isom"].concat())
    }

    fn iso(brand: Option<&[u8; 4]>, tracks: &[Track], moov_last: bool) -> Vec<u8> {
        let (moov, mdat) = (moov(tracks), bx(b"mdat", &[0x55; 1000]));
        let body = if moov_last {
            [mdat, moov]
        } else {
            [moov, mdat]
        };
        [brand.map(ftyp).unwrap_or_default(), body.concat()].concat()
    }

    fn check(bytes: &[u8]) -> Result<(ClipFormat, u64), ClipProblem> {
        inspect(bytes).map(|info| (info.format, info.millis))
    }

    #[test]
    fn wav_length_boundaries() {
        assert_eq!(check(&wav(4900, 8000)), Err(TooShort { millis: 4900 }));
        assert_eq!(check(&wav(5000, 44_100)), Ok((Wav, 5000)));
        assert_eq!(check(&wav(30_000, 8000)), Ok((Wav, 30_000)));
        // An encoder's padding on a clip trimmed to 30 s.
        assert_eq!(check(&wav(30_099, 8000)), Ok((Wav, 30_099)));
        assert_eq!(check(&wav(30_100, 8000)), Err(TooLong { millis: 30_100 }));
    }

    #[test]
    fn mp4_length_boundaries() {
        let clip = |ms: u64| iso(Some(b"isom"), &[(b"soun", 48_000, ms * 48)], false);
        assert_eq!(check(&clip(4900)), Err(TooShort { millis: 4900 }));
        assert_eq!(check(&clip(5000)), Ok((Mp4, 5000)));
        assert_eq!(check(&clip(30_000)), Ok((Mp4, 30_000)));
        assert_eq!(check(&clip(30_100)), Err(TooLong { millis: 30_100 }));
    }

    #[test]
    fn format_comes_from_the_bytes() {
        assert_eq!(check(&mp3(200)), Ok((Mp3, 5224)));
        assert_eq!(check(&wav(6000, 8000)), Ok((Wav, 6000)));
        let text = b"hello, this is not audio, just a text file renamed to clip.mp3\n";
        assert_eq!(check(text), Err(NotAudio));
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0";
        assert_eq!(check(png), Err(NotAudio));
        assert_eq!(check(b""), Err(NotAudio));
        assert_eq!(check(&mp3(2)), Err(NotAudio)); // two frames could be chance
    }

    #[test]
    fn wav_edge_cases() {
        let mut streamed = wav(6000, 8000);
        streamed[54..58].fill(0xFF); // data size "unknown"
        assert_eq!(check(&streamed), Ok((Wav, 6000)));
        assert_eq!(check(&wav(12_000, 8000)[..58 + 96_000]), Ok((Wav, 6000)));
        let mut silent = wav(6000, 8000);
        silent[22] = 0; // channels
        assert_eq!(check(&silent), Err(NoAudioTrack));
        let mut no_rate = wav(6000, 8000);
        no_rate[28..32].fill(0);
        assert_eq!(check(&no_rate), Err(Damaged));
        assert_eq!(check(&wav(6000, 8000)[..50]), Err(Damaged)); // no data chunk
    }

    #[test]
    fn mp3_with_id3v2_and_id3v1_tags() {
        // 200 frames of 1152 samples at 44.1 kHz: 5224.49 ms.
        let tagged = [id3(300), mp3(200), b"TAG".to_vec(), vec![b' '; 125]].concat();
        assert_eq!(check(&tagged), Ok((Mp3, 5224)));
    }

    #[test]
    fn mp4_tracks() {
        let video = iso(Some(b"isom"), &[(b"vide", 600, 4800)], false);
        assert_eq!(check(&video), Err(NoAudioTrack));
        let both: &[Track] = &[(b"vide", 600, 4800), (b"soun", 44_100, 44_100 * 7)];
        assert_eq!(check(&iso(Some(b"mp42"), both, false)), Ok((Mp4, 7000)));
        let unknown = iso(Some(b"isom"), &[(b"soun", 1000, 0)], false);
        assert_eq!(check(&unknown), Ok((Mp4, 12_000))); // falls back to mvhd
        let v1: &[Track] = &[(b"soun", 1_000_000_000, 10_000_000_000)];
        assert_eq!(check(&iso(Some(b"isom"), v1, false)), Ok((Mp4, 10_000)));
        let no_moov = [ftyp(b"isom"), bx(b"mdat", &[0; 64])].concat();
        assert_eq!(check(&no_moov), Err(Damaged));
    }

    #[test]
    fn mp4_and_mov_brands_and_layouts() {
        let sound: &[Track] = &[(b"soun", 1000, 8000)];
        assert_eq!(check(&iso(Some(b"qt  "), sound, false)), Ok((Mov, 8000)));
        assert_eq!(check(&iso(Some(b"M4A "), sound, false)), Ok((Mp4, 8000)));
        assert_eq!(check(&iso(None, sound, false)), Ok((Mov, 8000)));
        assert_eq!(check(&iso(Some(b"isom"), sound, true)), Ok((Mp4, 8000)));
        let large = [ftyp(b"isom"), bx64(b"mdat", &[7; 100]), moov(sound)].concat();
        assert_eq!(check(&large), Ok((Mp4, 8000)));
        let to_end = [
            ftyp(b"isom"),
            moov(sound),
            b"\0\0\0\0mdat".to_vec(),
            vec![9; 50],
        ];
        assert_eq!(check(&to_end.concat()), Ok((Mp4, 8000)));
    }

    #[test]
    fn too_large_is_checked_first() {
        let big = vec![0u8; usize::try_from(MAX_BYTES + 1).expect("fits")];
        assert_eq!(
            check(&big),
            Err(TooLarge {
                bytes: MAX_BYTES + 1
            })
        );
    }

    #[test]
    fn names_are_stable() {
        let expected = [
            (Mp3, "mp3", "audio/mpeg"),
            (Wav, "wav", "audio/wav"),
            (Mp4, "mp4", "video/mp4"),
            (Mov, "mov", "video/quicktime"),
        ];
        for (format, name, mime) in expected {
            assert_eq!(
                (format.name(), format.extension(), format.mime()),
                (name, name, mime)
            );
        }
    }

    #[test]
    fn never_panics_on_truncated_or_garbled_input() {
        let sound: &[Track] = &[(b"vide", 600, 4800), (b"soun", 48_000, 288_000)];
        let fixtures = [
            wav(6000, 8000),
            mp3(40),
            [id3(20), mp3(10)].concat(),
            iso(Some(b"isom"), sound, true),
            iso(None, &[(b"soun", 1_000_000_000, 10_000_000_000)], false),
            [ftyp(b"qt  "), bx64(b"mdat", &[7; 100]), moov(sound)].concat(),
        ];
        let mut seed = 0x2545_F491_4F6C_DD1Du64; // xorshift: repeatable "random" bytes
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for fixture in &fixtures {
            let step = (fixture.len() / 400).max(1);
            for cut in (0..fixture.len().min(300)).chain((0..=fixture.len()).step_by(step)) {
                let _ = inspect(&fixture[..cut]);
            }
            for _ in 0..300 {
                let mut garbled = fixture.clone();
                for _ in 0..4 {
                    let at = next() as usize % garbled.len();
                    garbled[at] = next() as u8;
                }
                let _ = inspect(&garbled);
            }
        }
        let prefixes: [&[u8]; 6] = [
            b"",
            b"RIFF\xff\xff\xff\xffWAVE",
            b"RIFF\0\0\0\0WAVEfmt \xff\xff\xff\xff",
            b"\0\0\0\x01ftyp",
            b"\xff\xfb\x90\xc4",
            b"ID3\x04\0\0\x7f\x7f\x7f\x7f",
        ];
        for prefix in prefixes {
            for len in 0..300 {
                let tail: Vec<u8> = (0..len).map(|_| next() as u8).collect();
                let _ = inspect(&[prefix, &tail].concat());
            }
        }
    }
}
