//! Finds what an answer means, whatever its shape: a video's address, a voice id,
//! an uploaded file's address. Segmind's own sources disagree on the shapes (the
//! contract's "What the real Segmind may answer"): `output` may be a URL, an
//! object, a list, or a string holding a JSON document (the SDK's "stringified
//! copy of the provider JSON"), and the upload answers `file_urls` or `urls`. So
//! each reader walks the whole answer, opening such strings, breadth first (the
//! shallowest match wins), and skips what the answer only echoes back (inputs) or
//! where Segmind's own addresses live (status and response URLs).

use std::collections::VecDeque;

use serde_json::Value;

/// Deeper than any answer seen; bounds the walk over a hostile document.
const MAX_DEPTH: usize = 16;
/// Keys whose subtree is the request echoed back, not the result: an input
/// picture's or a voice clip's address is never the video.
const ECHOES: &[&str] = &[
    "input",
    "inputs",
    "request",
    "params",
    "parameters",
    "arguments",
];
/// Keys that hold Segmind's own addresses for following a job.
const JOB_ADDRESSES: &[&str] = &["status_url", "response_url", "poll_url", "cancel_url"];
const VIDEO_EXTENSIONS: &[&str] = &[".mp4", ".mov", ".m4v", ".webm"];
/// A thumbnail, a poster or a sound is not the video.
const NOT_VIDEO_EXTENSIONS: &[&str] = &[
    ".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".mp3", ".wav", ".aac", ".m4a", ".json",
];

/// A string that holds a JSON document, opened; `None` for anything else.
fn opened(value: &Value) -> Option<Value> {
    let text = value.as_str()?.trim();
    // A document quoted once more (`"\"{…}\""`) opens to its string, opened in turn.
    if !(text.starts_with('{') || text.starts_with('[') || text.starts_with('"')) {
        return None;
    }
    serde_json::from_str(text).ok()
}

/// Calls `visit` with every string and number in `answer` (strings holding JSON
/// opened and walked instead), shallowest first, with the keys above it.
fn walk(answer: &Value, mut visit: impl FnMut(&Value, &[String])) {
    // Opened documents are owned by the walk: kept here so what they hold can be borrowed.
    let mut queue: VecDeque<(Value, Vec<String>, usize)> = VecDeque::new();
    queue.push_back((answer.clone(), Vec::new(), 0));
    while let Some((value, path, depth)) = queue.pop_front() {
        if depth > MAX_DEPTH {
            continue;
        }
        if let Some(inner) = opened(&value) {
            queue.push_back((inner, path, depth + 1));
            continue;
        }
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    let key = key.to_ascii_lowercase();
                    if ECHOES.contains(&key.as_str()) || JOB_ADDRESSES.contains(&key.as_str()) {
                        continue;
                    }
                    let mut child_path = path.clone();
                    child_path.push(key);
                    queue.push_back((child, child_path, depth + 1));
                }
            }
            Value::Array(items) => {
                for item in items {
                    queue.push_back((item, path.clone(), depth + 1));
                }
            }
            other => visit(&other, &path),
        }
    }
}

fn is_web_address(text: &str) -> bool {
    let lower = text.trim().to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")) && lower.len() > 8
}

/// The address's path, lower case, without query or fragment.
fn address_path(url: &str) -> String {
    let lower = url.to_ascii_lowercase();
    let end = lower.find(['?', '#']).unwrap_or(lower.len());
    lower[..end].to_string()
}

/// Every web address in an answer, shallowest first.
pub fn web_addresses(answer: &Value) -> Vec<String> {
    let mut found = Vec::new();
    walk(answer, |value, _| {
        if let Some(text) = value.as_str().map(str::trim).filter(|t| is_web_address(t)) {
            if !found.iter().any(|f: &String| f == text) {
                found.push(text.to_string());
            }
        }
    });
    found
}

/// The finished video's address in a result, wherever it is: `video.url`,
/// `video`, `output` as a URL, an object, a list or a JSON document in a string.
/// Preferred: an address that ends like a video, then one under a `video` key,
/// then one under `output`; never a picture or a sound, nor an address with no
/// sign of being the video.
pub fn video_url(answer: &Value) -> Option<String> {
    let mut found: Vec<(String, Vec<String>)> = Vec::new();
    walk(answer, |value, path| {
        if let Some(text) = value.as_str().map(str::trim).filter(|t| is_web_address(t)) {
            found.push((text.to_string(), path.to_vec()));
        }
    });
    // Ranked by the signs of being the video; an address with none (a link to
    // docs or a log elsewhere in the answer) is not taken for it, nor a picture or
    // a sound: the answer is kept instead.
    found
        .into_iter()
        .filter_map(|(url, path)| {
            let file = address_path(&url);
            if NOT_VIDEO_EXTENSIONS.iter().any(|e| file.ends_with(e)) {
                return None;
            }
            let under = |name: &str| path.iter().any(|k| k.contains(name));
            let ends_like_video = VIDEO_EXTENSIONS.iter().any(|e| file.ends_with(e));
            let rank = (!ends_like_video, !under("video"), !under("output"));
            (rank != (true, true, true)).then_some((rank, url))
        })
        .min_by_key(|(rank, _)| *rank)
        .map(|(_, url)| url)
}

/// A voice id anywhere in a create-voice result, under `field` (`voice_id`) or its
/// camelCase twin (`voiceId`), as a string or a number.
pub fn voice_id(answer: &Value, field: &str) -> Option<String> {
    let camel = field.replace('_', "");
    let mut id = None;
    walk(answer, |value, path| {
        if id.is_some() {
            return;
        }
        let named = path.last().is_some_and(|k| *k == field || *k == camel);
        if !named {
            return;
        }
        id = match value {
            Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
    });
    id
}

/// The address of an uploaded file: the first of `file_urls` (Segmind's SDK) or
/// `urls` (Segmind's storage docs), else any web address in the answer.
pub fn uploaded_url(answer: &Value) -> Option<String> {
    let listed = ["file_urls", "urls", "file_url", "url"]
        .iter()
        .filter_map(|key| answer.get(*key))
        .find_map(|list| web_addresses(list).into_iter().next());
    listed.or_else(|| web_addresses(answer).into_iter().next())
}

/// The shape of an answer for the log: its keys and the kinds of its values,
/// never a value (a URL's query can be a signature).
pub fn shape(answer: &Value) -> String {
    fn describe(value: &Value, depth: usize, out: &mut String) {
        if depth > MAX_DEPTH {
            out.push('…');
            return;
        }
        match value {
            Value::Null => out.push_str("null"),
            Value::Bool(_) => out.push_str("bool"),
            Value::Number(_) => out.push_str("number"),
            Value::String(s) => match opened(value) {
                Some(inner) => {
                    out.push_str("json(");
                    describe(&inner, depth + 1, out);
                    out.push(')');
                }
                None if is_web_address(s) => out.push_str("url"),
                None => out.push_str("text"),
            },
            Value::Array(items) => {
                out.push('[');
                if let Some(first) = items.first() {
                    describe(first, depth + 1, out);
                }
                if items.len() > 1 {
                    out.push_str(&format!(" ×{}", items.len()));
                }
                out.push(']');
            }
            Value::Object(map) => {
                out.push('{');
                for (i, (key, child)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(key);
                    out.push(':');
                    describe(child, depth + 1, out);
                }
                out.push('}');
            }
        }
    }
    let mut out = String::new();
    describe(answer, 0, &mut out);
    out.chars().take(2000).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn the_video_is_found_in_every_shape_segmind_may_send() {
        let cases = [
            // The contract's own: video.url preferred, output as a URL.
            (
                r#"{"status":"COMPLETED","output":"https://f/o.mp4","video":{"url":"https://f/v.mp4"}}"#,
                "https://f/v.mp4",
            ),
            (r#"{"output":"https://f/o.mp4"}"#, "https://f/o.mp4"),
            (r#"{"video":"https://f/v"}"#, "https://f/v"),
            // output as an object, a list, a list of objects.
            (
                r#"{"output":{"video":{"url":"https://f/a"}}}"#,
                "https://f/a",
            ),
            (
                r#"{"output":["https://f/1.mp4","https://f/2.mp4"]}"#,
                "https://f/1.mp4",
            ),
            (r#"{"output":[{"url":"https://f/l"}]}"#, "https://f/l"),
            // The SDK's stringified provider JSON, once or twice over.
            (
                r#"{"status":"COMPLETED","output":"{\"video\":{\"url\":\"https://f/s.mp4\"}}"}"#,
                "https://f/s.mp4",
            ),
            (
                r#"{"output":"\"{\\\"video_url\\\":\\\"https://f/d\\\"}\""}"#,
                "https://f/d",
            ),
            (
                r#"{"output":"[{\"url\":\"https://f/x.mov?sig=1\"}]"}"#,
                "https://f/x.mov?sig=1",
            ),
            // A thumbnail beside the video: the video, wherever the thumbnail is.
            (
                r#"{"output":{"thumbnail":"https://f/t.jpg","result":"https://f/r"}}"#,
                "https://f/r",
            ),
            (
                r#"{"poster":"https://f/p.png","output":{"data":"https://f/v.webm"}}"#,
                "https://f/v.webm",
            ),
            // Kling's own shape, as the provider JSON inside a string.
            (
                r#"{"output":"{\"data\":{\"task_result\":{\"videos\":[{\"url\":\"https://f/k\"}]}}}"}"#,
                "https://f/k",
            ),
            (
                r#"{"result":{"file":"https://f/clip.MP4?x=1"}}"#,
                "https://f/clip.MP4?x=1",
            ),
        ];
        for (answer, url) in cases {
            assert_eq!(video_url(&json(answer)).as_deref(), Some(url), "{answer}");
        }
    }

    #[test]
    fn what_is_not_the_video_is_never_taken_for_it() {
        for answer in [
            r#"{"status":"COMPLETED","output":null,"error":null}"#,
            r#"{"output":"s3://bucket/key.mp4"}"#,
            r#"{"output":"{\"artifact\":\"k-123\"}"}"#,
            r#"{"output":"{not json"}"#,
            // Echoed inputs and Segmind's own job addresses.
            r#"{"input":{"start_image_url":"https://f/in"},"status_url":"https://api/s"}"#,
            r#"{"output":{"thumbnail":"https://f/t.jpg"}}"#,
            r#"{"output":"data:video/mp4;base64,AA"}"#,
            // An address with no sign of being the video.
            r#"{"status":"COMPLETED","docs":"https://segmind.com/docs/errors","result":{"id":"https://f/x"}}"#,
        ] {
            assert_eq!(video_url(&json(answer)), None, "{answer}");
        }
    }

    #[test]
    fn a_document_nested_without_end_stops_at_a_depth() {
        let mut answer = json(r#"{"url":"https://f/deep.mp4"}"#);
        for _ in 0..20 {
            answer = serde_json::json!({ "output": answer.to_string() });
        }
        assert_eq!(video_url(&answer), None);
        assert!(shape(&answer).len() <= 2000);
    }

    #[test]
    fn the_voice_id_is_found_wherever_it_is() {
        for (answer, id) in [
            (r#"{"voice_id":"8298"}"#, Some("8298")),
            (r#"{"output":{"voice_id":8298}}"#, Some("8298")),
            (r#"{"output":[{"voice_id":" 77 "}]}"#, Some("77")),
            (
                r#"{"output":"{\"voice_id\":\"829877809978941442\"}"}"#,
                Some("829877809978941442"),
            ),
            (r#"{"output":"{\"data\":{\"voiceId\":5}}"}"#, Some("5")),
            (r#"{"status":"PROCESSING","output":null}"#, None),
            (r#"{"output":{"voice_id":""}}"#, None),
        ] {
            assert_eq!(
                voice_id(&json(answer), "voice_id").as_deref(),
                id,
                "{answer}"
            );
        }
    }

    #[test]
    fn the_upload_answer_is_read_in_either_documented_shape() {
        for answer in [
            r#"{"file_urls":["https://a/c.wav"],"message":"ok"}"#,
            r#"{"urls":["https://a/c.wav"]}"#,
            r#"{"urls":[{"url":"https://a/c.wav"}]}"#,
            r#"{"message":"uploaded","data":{"location":"https://a/c.wav"}}"#,
        ] {
            assert_eq!(
                uploaded_url(&json(answer)).as_deref(),
                Some("https://a/c.wav"),
                "{answer}"
            );
        }
        assert_eq!(uploaded_url(&json(r#"{"message":"no"}"#)), None);
    }

    #[test]
    fn the_shape_names_keys_and_kinds_never_values() {
        let answer = json(
            r#"{"status":"COMPLETED","output":"{\"video\":{\"url\":\"https://f/v?sig=SECRET\"}}","n":[1,2]}"#,
        );
        let shape = shape(&answer);
        assert_eq!(
            shape,
            "{n:[number ×2],output:json({video:{url:url}}),status:text}"
        );
        assert!(!shape.contains("SECRET"));
    }
}
