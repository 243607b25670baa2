//! What may go into a log line. Logs are for a creator to send with a support
//! request, so they must explain what happened and hold no secret: the key never
//! (it is also scrubbed from every line, in case a server echoes it), no query
//! string of a URL (download URLs may be signed), no prompt beyond a short preview.
//! The domain modules write through the `log` crate; the desktop shell decides
//! where lines go (`tauri-plugin-log`: a rotating file in the OS's log folder).

use std::borrow::Cow;
use std::sync::RwLock;

use crate::error::AppError;

/// Secrets this run knows of (the API key, once read or saved): scrubbed from
/// every line written, whatever wrote it.
static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// The part of a secret a line may show: the same 4 characters Settings shows.
const VISIBLE_TAIL: usize = 4;

/// From now on, `secret` is written as `[key …abcd]` wherever it appears.
pub fn add_secret(secret: &str) {
    if secret.chars().count() <= VISIBLE_TAIL {
        return;
    }
    let mut secrets = SECRETS.write().unwrap_or_else(|e| e.into_inner());
    if !secrets.iter().any(|s| s == secret) {
        secrets.push(secret.to_string());
        // Longest first: a cut-off key pasted earlier must not mask the start of
        // the whole key and leave the rest of it readable.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }
}

/// `line` with every known secret replaced.
pub fn redact(line: &str) -> Cow<'_, str> {
    let secrets = SECRETS.read().unwrap_or_else(|e| e.into_inner());
    let mut line = Cow::Borrowed(line);
    for secret in secrets.iter() {
        if line.contains(secret.as_str()) {
            let tail: String = secret
                .chars()
                .rev()
                .take(VISIBLE_TAIL)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            line = Cow::Owned(line.replace(secret.as_str(), &format!("[key …{tail}]")));
        }
    }
    line
}

/// A URL without its query string or fragment (signed download links carry
/// their signature there).
pub fn url(text: &str) -> String {
    match url::Url::parse(text) {
        Ok(mut url) => {
            url.set_query(None);
            url.set_fragment(None);
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.to_string()
        }
        Err(_) => text
            .split(['?', '#'])
            .next()
            .unwrap_or_default()
            .chars()
            .take(200)
            .collect(),
    }
}

/// Free text (an OS or HTTP error) with the query string of every URL in it cut:
/// reqwest's errors name the URL they were fetching, signature included.
pub fn url_free(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = [rest.find("http://"), rest.find("https://")]
        .into_iter()
        .flatten()
        .min()
    {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        // The URL runs to the next blank; from its `?` or `#` on, nothing is kept
        // but a closing bracket or quote that the text itself put after it.
        let end = tail.find(char::is_whitespace).unwrap_or(tail.len());
        let word = &tail[..end];
        match word.find(['?', '#']) {
            Some(cut) => {
                out.push_str(&word[..cut]);
                let closing: String = word[cut..]
                    .chars()
                    .rev()
                    .take_while(|c| matches!(c, ')' | ']' | '"' | '\'' | '>' | ',' | '.'))
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                out.push_str(&closing);
            }
            None => out.push_str(word),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// A URL's host alone, for a line about where a file comes from.
pub fn host(text: &str) -> String {
    url::Url::parse(text)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "an unreadable address".into())
}

/// A whole log line as written: no secret, no URL query, and every line break
/// indented, so that text from a server or the page can never pose as a line
/// of its own.
pub fn clean_line(line: &str) -> String {
    redact(&url_free(line))
        .replace('\n', "\n    | ")
        .replace('\r', "")
}

/// An error as one log line: code, reason, whether it may be billed, the detail.
pub fn error_line(error: &AppError) -> String {
    let code = serde_json::to_value(error.code)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let mut line = code;
    if let Some(reason) = &error.reason {
        line.push_str(&format!("/{reason}"));
    }
    if error.may_be_billed {
        line.push_str(" (may be billed)");
    }
    if let Some(detail) = &error.detail {
        // A server's words may quote the prompt: enough to tell what it said.
        let detail: String = detail.chars().take(160).collect();
        line.push_str(&format!(": {}", url_free(&detail)));
    }
    line
}

/// The first few words of a prompt, enough to recognise a job by.
pub fn preview(text: &str) -> String {
    const CHARS: usize = 32;
    let mut preview: String = text.chars().take(CHARS).collect();
    if text.chars().count() > CHARS {
        preview.push('…');
    }
    format!("{preview:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_scrubbed_to_its_last_four_characters() {
        add_secret("sk-logging-test-secret-9911");
        let line = "sent x-api-key: sk-logging-test-secret-9911 to Segmind";
        assert_eq!(redact(line), "sent x-api-key: [key …9911] to Segmind");
        assert!(matches!(redact("nothing to hide"), Cow::Borrowed(_)));
        // A cut-off paste first, then the whole key: the whole key is masked whole.
        add_secret("sk-order-test");
        add_secret("sk-order-test-full-5566");
        assert_eq!(redact("x sk-order-test-full-5566 y"), "x [key …5566] y");
        // Too short to be a key: never turns every "abc" into a mask.
        add_secret("abc");
        assert_eq!(redact("abc"), "abc");
    }

    #[test]
    fn urls_lose_their_query_and_prompts_are_previewed() {
        assert_eq!(
            url("https://files.example/v/1.mp4?X-Amz-Signature=abc#t=1"),
            "https://files.example/v/1.mp4"
        );
        assert_eq!(url("not a url?token=1"), "not a url");
        assert_eq!(
            url_free("error sending request for url (https://cdn.x/v.mp4?sig=SECRET) then http://a/b?c=d"),
            "error sending request for url (https://cdn.x/v.mp4) then http://a/b"
        );
        // Brackets in the path do not end the URL early.
        assert_eq!(
            url_free("for url (https://cdn/x/v(1).mp4?sig=S)"),
            "for url (https://cdn/x/v(1).mp4)"
        );
        assert_eq!(host("https://cdn.example/v.mp4?sig=1"), "cdn.example");
        assert_eq!(
            clean_line("a\n2026-01-01 INFO fake line"),
            "a\n    | 2026-01-01 INFO fake line"
        );
        assert_eq!(preview("short"), "\"short\"");
        let long = "A very long prompt about a lighthouse at dusk, waves crashing below";
        assert_eq!(preview(long), "\"A very long prompt about a light…\"");
    }
}
