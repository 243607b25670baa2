//! Validation of a generation request body, following the contract's table. Every
//! message names the field, as the client shows it to the user.

use serde_json::{Map, Value};

/// Fields outside the contract are rejected, so a misspelt field in the client
/// (`aspectRatio`) fails a test instead of being silently ignored. Segmind itself may
/// well ignore them; set this to `false` to be lenient. (A `null` is always rejected as
/// the wrong type: the contract says fields left "not set" are omitted.)
const REJECT_UNKNOWN_FIELDS: bool = true;

const FIELDS: &[&str] = &[
    "prompt",
    "negative_prompt",
    "duration",
    "aspect_ratio",
    "cfg_scale",
    "generate_audio",
    "multi_prompt",
    "shot_type",
    "voice_ids",
];
/// The image-to-video model takes these too (the contract's "Image to video").
const PICTURE_FIELDS: &[&str] = &["start_image_url", "end_image_url"];
const MAX_PROMPT_CHARS: usize = 2500;
const MAX_SHOT_PROMPT_CHARS: usize = 512;
const DEFAULT_DURATION: u32 = 5;
const ASPECT_RATIOS: &[&str] = &["16:9", "9:16", "1:1"];
/// Kling's own API spells the second one "intelligence"; the contract keeps "intelligent".
const SHOT_TYPES: &[&str] = &["customize", "intelligent"];
const MAX_SHOTS: usize = 5;
const MAX_VOICES: usize = 2;

/// What the rest of the fake needs from a valid request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Accepted {
    /// The prompt and every shot prompt.
    pub prompts: Vec<String>,
    /// What Segmind bills by: seconds and the sound tier.
    pub seconds: u32,
    pub sound: bool,
    pub voices: usize,
    /// The image-to-video model's picture URLs: the first frame, and the last if any.
    pub pictures: Vec<String>,
}

/// Checks a parsed body, of the image-to-video model when `from_picture`;
/// `Err` is the 400 message.
pub(crate) fn generation_request(body: &Value, from_picture: bool) -> Result<Accepted, String> {
    let Value::Object(fields) = body else {
        return Err("The request body must be a JSON object.".into());
    };
    let known = |k: &str| FIELDS.contains(&k) || (from_picture && PICTURE_FIELDS.contains(&k));
    if REJECT_UNKNOWN_FIELDS {
        if let Some(name) = fields.keys().find(|k| !known(k)) {
            return Err(format!(
                "Unknown field {name:?}; accepted fields: {}.",
                FIELDS.join(", ")
            ));
        }
    }
    let mut pictures = Vec::new();
    if from_picture {
        match fields.get("start_image_url") {
            Some(Value::String(url)) if !url.is_empty() => pictures.push(url.clone()),
            _ => return Err("start_image_url is required.".into()),
        }
        match fields.get("end_image_url") {
            None => {}
            Some(Value::String(url)) if !url.is_empty() => {
                if fields.contains_key("multi_prompt") {
                    return Err("end_image_url cannot be used with multi_prompt.".into());
                }
                pictures.push(url.clone());
            }
            Some(_) => return Err("end_image_url must be a URL.".into()),
        }
    }

    let prompt = match fields.get("prompt") {
        None => return Err("prompt is required.".into()),
        Some(v) => text(v, "prompt", 1, MAX_PROMPT_CHARS)?,
    };
    if let Some(v) = fields.get("negative_prompt") {
        text(v, "negative_prompt", 0, MAX_PROMPT_CHARS)?;
    }
    let duration = match fields.get("duration") {
        None => DEFAULT_DURATION,
        Some(v) => seconds(v, "duration", 3)?,
    };
    if let Some(v) = fields.get("aspect_ratio") {
        one_of(v, "aspect_ratio", ASPECT_RATIOS)?;
    }
    if let Some(v) = fields.get("cfg_scale") {
        match v.as_f64() {
            Some(x) if (0.0..=1.0).contains(&x) => {}
            _ => return Err("cfg_scale must be a number from 0 to 1.".into()),
        }
    }
    let generate_audio = match fields.get("generate_audio") {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err("generate_audio must be true or false.".into()),
    };
    if let Some(v) = fields.get("shot_type") {
        one_of(v, "shot_type", SHOT_TYPES)?;
    }

    let mut prompts = vec![prompt];
    if let Some(v) = fields.get("multi_prompt") {
        prompts.extend(shots(v, duration)?);
    }
    let voices = match fields.get("voice_ids") {
        None => 0,
        Some(v) => voice_ids(v)?,
    };
    check_voice_references(&prompts, voices, generate_audio)?;
    Ok(Accepted {
        prompts,
        seconds: duration,
        sound: generate_audio,
        voices,
        pictures,
    })
}

/// A string of `min..=max` characters (Unicode scalar values, not bytes); a required
/// text (`min` > 0) must also have something besides whitespace.
fn text(v: &Value, field: &str, min: usize, max: usize) -> Result<String, String> {
    let Value::String(s) = v else {
        return Err(format!("{field} must be a string."));
    };
    if min > 0 && s.trim().is_empty() {
        return Err(format!("{field} must not be empty."));
    }
    let chars = s.chars().count();
    if chars < min || chars > max {
        return Err(format!(
            "{field} must be {min} to {max} characters long (got {chars})."
        ));
    }
    Ok(s.clone())
}

/// A whole number of seconds sent as a string, `"min"` to `"15"`, written plainly
/// (no sign, no leading zero, no spaces): the contract says durations are strings.
fn seconds(v: &Value, field: &str, min: u32) -> Result<u32, String> {
    let wrong = || format!("{field} must be a string from \"{min}\" to \"15\".");
    let Value::String(s) = v else {
        return Err(wrong());
    };
    match s.parse::<u32>() {
        Ok(n) if (min..=15).contains(&n) && n.to_string() == *s => Ok(n),
        _ => Err(wrong()),
    }
}

fn one_of(v: &Value, field: &str, allowed: &[&str]) -> Result<(), String> {
    match v.as_str() {
        Some(s) if allowed.contains(&s) => Ok(()),
        _ => Err(format!("{field} must be one of {}.", allowed.join(", "))),
    }
}

/// The shots of a multi-shot video; their durations must add up to the video's.
fn shots(v: &Value, duration: u32) -> Result<Vec<String>, String> {
    let Value::Array(items) = v else {
        return Err("multi_prompt must be an array of {prompt, duration}.".into());
    };
    if items.is_empty() || items.len() > MAX_SHOTS {
        return Err(format!(
            "multi_prompt must have 1 to {MAX_SHOTS} items (got {}).",
            items.len()
        ));
    }
    let mut prompts = Vec::with_capacity(items.len());
    let mut total = 0;
    for (i, item) in items.iter().enumerate() {
        let Value::Object(shot) = item else {
            return Err(format!(
                "multi_prompt[{i}] must be an object {{prompt, duration}}."
            ));
        };
        let field = |name: &str| format!("multi_prompt[{i}].{name}");
        if let Some(name) = unknown_key(shot, &["prompt", "duration"]) {
            return Err(format!("{}: unknown field.", field(name)));
        }
        let prompt = shot
            .get("prompt")
            .ok_or_else(|| format!("{} is required.", field("prompt")))?;
        prompts.push(text(prompt, &field("prompt"), 1, MAX_SHOT_PROMPT_CHARS)?);
        let secs = shot
            .get("duration")
            .ok_or_else(|| format!("{} is required.", field("duration")))?;
        total += seconds(secs, &field("duration"), 1)?;
    }
    if total != duration {
        return Err(format!(
            "multi_prompt durations must add up to duration ({duration} s), got {total} s."
        ));
    }
    Ok(prompts)
}

fn unknown_key<'a>(object: &'a Map<String, Value>, known: &[&str]) -> Option<&'a str> {
    if !REJECT_UNKNOWN_FIELDS {
        return None;
    }
    object
        .keys()
        .map(String::as_str)
        .find(|k| !known.contains(k))
}

/// The number of voice ids: 1 or 2, none empty.
fn voice_ids(v: &Value) -> Result<usize, String> {
    let Value::Array(ids) = v else {
        return Err("voice_ids must be an array of strings.".into());
    };
    if ids.is_empty() || ids.len() > MAX_VOICES {
        return Err(format!(
            "voice_ids must have 1 to {MAX_VOICES} ids (got {}).",
            ids.len()
        ));
    }
    for (i, id) in ids.iter().enumerate() {
        match id.as_str() {
            Some(s) if !s.trim().is_empty() => {}
            _ => return Err(format!("voice_ids[{i}] must be a non-empty string.")),
        }
    }
    Ok(ids.len())
}

/// `<<<voice_N>>>` needs at least N voice ids, and voices need audio.
fn check_voice_references(prompts: &[String], voices: usize, audio: bool) -> Result<(), String> {
    let highest = prompts.iter().flat_map(|p| voice_references(p)).max();
    if let Some(n) = highest {
        if n > voices {
            return Err(format!(
                "prompt refers to <<<voice_{n}>>> but voice_ids has {voices} id(s)."
            ));
        }
    }
    if (voices > 0 || highest.is_some()) && !audio {
        return Err("voice_ids need generate_audio to be true.".into());
    }
    Ok(())
}

/// The N of every `<<<voice_N>>>` in `prompt`.
fn voice_references(prompt: &str) -> impl Iterator<Item = usize> + '_ {
    prompt.split("<<<voice_").skip(1).filter_map(|rest| {
        let (n, _) = rest.split_once(">>>")?;
        n.parse().ok()
    })
}

/// A WAV clip's length in milliseconds from its header (`fmt ` byte rate, `data`
/// size); `None` for anything that is not a readable WAV.
pub(crate) fn wav_millis(bytes: &[u8]) -> Option<u64> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return None;
    }
    let u32_at = |at: usize| {
        bytes
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let (mut at, mut byte_rate, mut data) = (12, None, None);
    while let (Some(id), Some(size)) = (bytes.get(at..at + 4), u32_at(at + 4)) {
        match id {
            b"fmt " => byte_rate = u32_at(at + 16),
            b"data" => data = Some(size.min((bytes.len() - at - 8) as u32)),
            _ => {}
        }
        at += 8 + size as usize + (size as usize & 1);
    }
    let rate = u64::from(byte_rate.filter(|r| *r > 0)?);
    Some(u64::from(data?) * 1000 / rate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(body: Value) -> Result<Accepted, String> {
        generation_request(&body, false)
    }

    fn rejects(body: Value, field: &str) {
        match check(body.clone()) {
            Ok(_) => panic!("accepted {body}"),
            Err(msg) => assert!(msg.contains(field), "{msg:?} does not name {field:?}"),
        }
    }

    #[test]
    fn accepts_a_minimal_and_a_full_request() {
        assert!(check(json!({"prompt": "a cat"})).is_ok());
        let full = json!({
            "prompt": "two people talk, <<<voice_1>>> then <<<voice_2>>>",
            "negative_prompt": "",
            "duration": "10",
            "aspect_ratio": "9:16",
            "cfg_scale": 1,
            "generate_audio": true,
            "multi_prompt": [{"prompt": "shot one", "duration": "4"}, {"prompt": "shot two", "duration": "6"}],
            "shot_type": "intelligent",
            "voice_ids": ["v1", "v2"],
        });
        assert_eq!(check(full).unwrap().prompts.len(), 3);
    }

    #[test]
    fn prompt_rules() {
        rejects(json!({}), "prompt");
        rejects(json!({"prompt": "   "}), "prompt");
        rejects(json!({"prompt": 5}), "prompt");
        // Counted in characters: 2500 three-byte characters are fine, 2501 are not.
        assert!(check(json!({"prompt": "é".repeat(2500)})).is_ok());
        rejects(json!({"prompt": "é".repeat(2501)}), "prompt");
        rejects(
            json!({"prompt": "a", "negative_prompt": "x".repeat(2501)}),
            "negative_prompt",
        );
    }

    #[test]
    fn duration_is_a_string_from_3_to_15() {
        assert!(check(json!({"prompt": "a", "duration": "3"})).is_ok());
        assert!(check(json!({"prompt": "a", "duration": "15"})).is_ok());
        for bad in [
            json!(5),
            json!("2"),
            json!("16"),
            json!("05"),
            json!(" 5"),
            json!(null),
        ] {
            rejects(json!({"prompt": "a", "duration": bad}), "duration");
        }
    }

    #[test]
    fn enumerations_and_ranges() {
        rejects(
            json!({"prompt": "a", "aspect_ratio": "4:3"}),
            "aspect_ratio",
        );
        rejects(json!({"prompt": "a", "cfg_scale": 1.01}), "cfg_scale");
        rejects(json!({"prompt": "a", "cfg_scale": "0.5"}), "cfg_scale");
        rejects(
            json!({"prompt": "a", "generate_audio": "true"}),
            "generate_audio",
        );
        rejects(
            json!({"prompt": "a", "shot_type": "intelligence"}),
            "shot_type",
        );
        rejects(json!({"prompt": "a", "aspectRatio": "16:9"}), "aspectRatio");
    }

    #[test]
    fn multi_prompt_rules() {
        let shot = |d: &str| json!({"prompt": "s", "duration": d});
        assert!(check(json!({"prompt": "a", "multi_prompt": [shot("2"), shot("3")]})).is_ok());
        rejects(
            json!({"prompt": "a", "multi_prompt": [shot("2"), shot("2")]}),
            "add up",
        );
        rejects(json!({"prompt": "a", "multi_prompt": []}), "multi_prompt");
        let six = vec![shot("1"); 6];
        rejects(
            json!({"prompt": "a", "duration": "6", "multi_prompt": six}),
            "multi_prompt",
        );
        rejects(
            json!({"prompt": "a", "multi_prompt": [{"prompt": "x".repeat(513), "duration": "5"}]}),
            "multi_prompt[0].prompt",
        );
        rejects(
            json!({"prompt": "a", "multi_prompt": [{"prompt": "x", "duration": 5}]}),
            "multi_prompt[0].duration",
        );
    }

    #[test]
    fn voice_rules() {
        rejects(json!({"prompt": "a", "voice_ids": []}), "voice_ids");
        rejects(
            json!({"prompt": "a", "voice_ids": ["a", "b", "c"]}),
            "voice_ids",
        );
        rejects(json!({"prompt": "a", "voice_ids": [""]}), "voice_ids");
        rejects(
            json!({"prompt": "<<<voice_2>>>", "voice_ids": ["a"]}),
            "voice_ids",
        );
        rejects(
            json!({"prompt": "a", "voice_ids": ["a"], "generate_audio": false}),
            "generate_audio",
        );
        assert!(check(json!({"prompt": "<<<voice_1>>> hi", "voice_ids": ["a"]})).is_ok());
    }
}
