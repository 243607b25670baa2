//! Which language the app speaks, and the catalogues of words (`ui/locales/*.json`,
//! built in by `build.rs`: adding a language is adding one file). The page gets
//! the whole catalogue of its language; Rust looks up the few words it shows
//! itself (a notification, the "already open" dialog).

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Serialize;

include!(concat!(env!("OUT_DIR"), "/locales.rs"));

/// The language of every word that has no better match.
pub const FALLBACK: &str = "en";

type Words = serde_json::Map<String, serde_json::Value>;

fn catalogues() -> &'static HashMap<&'static str, Words> {
    static PARSED: OnceLock<HashMap<&'static str, Words>> = OnceLock::new();
    PARSED.get_or_init(|| {
        CATALOGUES
            .iter()
            .map(|(code, text)| {
                let words = serde_json::from_str(text)
                    .unwrap_or_else(|e| panic!("ui/locales/{code}.json is not valid JSON: {e}"));
                (*code, words)
            })
            .collect()
    })
}

/// A language the app can speak, named in its own words ("简体中文").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Language {
    pub code: &'static str,
    pub name: String,
}

pub fn languages() -> Vec<Language> {
    CATALOGUES
        .iter()
        .map(|(code, _)| Language {
            code,
            name: lookup(code, "language.name").unwrap_or(code).to_string(),
        })
        .collect()
}

pub fn is_known(code: &str) -> bool {
    catalogues().contains_key(code)
}

/// The system's language as a BCP 47 tag ("zh-CN", "en-US"), if the OS says.
pub fn system_locale() -> Option<String> {
    sys_locale::get_locale()
}

/// The creator's choice if the app has it; else the system's language when the app
/// speaks it (any Chinese → 简体中文, "en-GB" → "en"); else English.
pub fn pick(chosen: Option<&str>, system: Option<&str>) -> &'static str {
    let known = |code: &str| CATALOGUES.iter().map(|(c, _)| *c).find(|c| *c == code);
    if let Some(code) = chosen.and_then(known) {
        return code;
    }
    // "zh_CN.UTF-8" (a POSIX locale) and "zh-Hans-CN" (BCP 47) alike.
    let system = system
        .unwrap_or_default()
        .split(['.', '@'])
        .next()
        .unwrap_or_default()
        .replace('_', "-");
    let base = system
        .split('-')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if base == "zh" {
        if let Some(code) = known("zh-CN") {
            return code;
        }
    }
    known(&system)
        .or_else(|| {
            CATALOGUES
                .iter()
                .map(|(c, _)| *c)
                .find(|c| c.eq_ignore_ascii_case(&base))
        })
        .unwrap_or(FALLBACK)
}

fn lookup(lang: &str, key: &str) -> Option<&'static str> {
    catalogues().get(lang)?.get(key)?.as_str()
}

/// The words for `key` in `lang` (English where that catalogue has none), with
/// `{name}` placeholders filled from `params`.
pub fn tr(lang: &str, key: &str, params: &[(&str, &str)]) -> String {
    let text = lookup(lang, key)
        .or_else(|| lookup(FALLBACK, key))
        .unwrap_or(key);
    params.iter().fold(text.to_string(), |text, (name, value)| {
        text.replace(&format!("{{{name}}}"), value)
    })
}

/// What the page needs to speak `lang`: its catalogue and the languages to offer.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct PageWords {
    pub lang: &'static str,
    pub words: &'static Words,
    pub languages: Vec<Language>,
}

pub fn page_words(lang: &str) -> PageWords {
    let lang = pick(Some(lang), None);
    PageWords {
        lang,
        words: &catalogues()[lang],
        languages: languages(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_language_is_used_when_the_app_speaks_it() {
        assert_eq!(pick(None, Some("zh-CN")), "zh-CN");
        assert_eq!(pick(None, Some("zh_TW.UTF-8")), "zh-CN");
        assert_eq!(pick(None, Some("zh-Hans-CN")), "zh-CN");
        assert_eq!(pick(None, Some("en-GB")), "en");
        assert_eq!(pick(None, Some("de_DE.UTF-8")), "en");
        assert_eq!(pick(None, Some("C")), "en");
        assert_eq!(pick(None, None), "en");
    }

    #[test]
    fn the_creators_choice_wins_over_the_system() {
        assert_eq!(pick(Some("en"), Some("zh-CN")), "en");
        assert_eq!(pick(Some("zh-CN"), Some("en-US")), "zh-CN");
        // A language this version does not have (a newer version's setting).
        assert_eq!(pick(Some("fr"), Some("zh-CN")), "zh-CN");
    }

    #[test]
    fn rust_words_come_from_the_catalogues_with_their_placeholders() {
        assert_eq!(tr("en", "app.title", &[]), "Kling Studio");
        assert!(!tr("zh-CN", "notify.ready.title", &[]).is_empty());
        assert_eq!(tr("en", "no.such.key", &[]), "no.such.key");
    }

    #[test]
    fn every_language_names_itself() {
        let names: Vec<String> = languages().into_iter().map(|l| l.name).collect();
        assert!(names.contains(&"English".to_string()), "{names:?}");
        assert!(names.contains(&"简体中文".to_string()), "{names:?}");
    }
}
