//! The catalogues (`ui/locales/*.json`) against each other and against the code:
//! every language has every key with the same placeholders; every key the code
//! uses exists; every key exists because the code uses it; every error code,
//! reason and validation rule Rust sends has words; each idea has one word in each
//! language (`ui/locales/glossary.md`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use kling_studio::error::{ErrorCode, Reason, Rule, WireName};
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn catalogues() -> BTreeMap<String, serde_json::Map<String, Value>> {
    let dir = root().join("ui/locales");
    let mut found = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).expect("ui/locales") {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let lang = path.file_stem().unwrap().to_string_lossy().to_string();
            let text = std::fs::read_to_string(&path).unwrap();
            let words: serde_json::Map<String, Value> = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{lang}.json is not valid JSON: {e}"));
            found.insert(lang, words);
        }
    }
    assert!(
        found.contains_key("en") && found.contains_key("zh-CN"),
        "{:?}",
        found.keys()
    );
    found
}

fn english() -> serde_json::Map<String, Value> {
    catalogues().remove("en").unwrap()
}

fn sources(dir: &str, ext: &str) -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, ext: &str, out: &mut Vec<(PathBuf, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, ext, out);
            } else if path.extension().is_some_and(|e| e == ext) {
                let text = std::fs::read_to_string(&path).unwrap();
                out.push((path, text));
            }
        }
    }
    let mut out = Vec::new();
    walk(&root().join(dir), ext, &mut out);
    out
}

/// The code that shows words: the page's modules and HTML, and Rust.
fn code() -> Vec<(PathBuf, String)> {
    let mut all = sources("ui", "js");
    all.extend(sources("ui", "html"));
    all.extend(sources("src-tauri/src", "rs"));
    all
}

/// Every quoted literal ('…', "…", `…`) in a source text.
fn literals(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\'' || c == '"' || c == '`' {
            let mut lit = String::new();
            let mut escaped = false;
            for d in chars.by_ref() {
                if escaped {
                    escaped = false;
                } else if d == '\\' {
                    escaped = true;
                } else if d == c || d == '\n' {
                    break;
                }
                lit.push(d);
            }
            out.push(lit);
        }
    }
    out
}

fn placeholders(value: &Value) -> BTreeSet<String> {
    let texts: Vec<&str> = match value {
        Value::String(s) => vec![s.as_str()],
        Value::Object(forms) => forms.values().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let mut names = BTreeSet::new();
    for text in texts {
        let mut rest = text;
        while let Some(start) = rest.find('{') {
            let after = &rest[start + 1..];
            match after.find('}') {
                Some(end)
                    if after[..end]
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_') =>
                {
                    names.insert(after[..end].to_string());
                    rest = &after[end..];
                }
                _ => rest = after,
            }
        }
    }
    names
}

#[test]
fn every_language_has_every_key_with_the_same_placeholders() {
    let all = catalogues();
    let en = &all["en"];
    for (lang, words) in &all {
        let missing: Vec<_> = en.keys().filter(|k| !words.contains_key(*k)).collect();
        let extra: Vec<_> = words.keys().filter(|k| !en.contains_key(*k)).collect();
        assert!(missing.is_empty(), "{lang}.json lacks {missing:?}");
        assert!(
            extra.is_empty(),
            "{lang}.json has keys English does not: {extra:?}"
        );
        for (key, value) in words {
            match value {
                // A separator may be a space, or nothing (Chinese sentences need no gap).
                Value::String(s) => assert!(
                    key.ends_with("_separator") || !s.trim().is_empty(),
                    "{lang}: {key} is empty"
                ),
                Value::Object(forms) => assert!(
                    forms.get("other").and_then(Value::as_str).is_some(),
                    "{lang}: {key} has no \"other\" form"
                ),
                _ => panic!("{lang}: {key} is neither words nor plural forms"),
            }
            assert_eq!(
                placeholders(value),
                placeholders(&en[key]),
                "{lang}: {key} has other placeholders than English"
            );
        }
    }
}

/// Keys look like `area.words`; a literal is taken for a key when its first part
/// is one of the catalogue's areas.
fn key_like(lit: &str, areas: &BTreeSet<&str>) -> bool {
    const FILES: [&str; 7] = ["json", "js", "rs", "html", "damaged", "jpg", "mp4"];
    let first = lit.split('.').next().unwrap_or_default();
    let last = lit.rsplit('.').next().unwrap_or_default();
    areas.contains(first)
        && !FILES.contains(&last)
        && lit.contains('.')
        && lit
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
}

#[test]
fn every_key_the_code_uses_exists() {
    let en = english();
    let areas: BTreeSet<&str> = en.keys().filter_map(|k| k.split('.').next()).collect();
    let mut unknown = Vec::new();
    for (path, text) in code() {
        for lit in literals(&text) {
            if key_like(&lit, &areas) && !en.contains_key(&lit) {
                unknown.push(format!("{}: {lit}", path.display()));
            }
        }
    }
    assert!(unknown.is_empty(), "keys with no words: {unknown:#?}");
}

#[test]
fn every_key_is_used_by_the_code() {
    let en = english();
    let used: BTreeSet<String> = code().iter().flat_map(|(_, text)| literals(text)).collect();
    // Keys built from a value at run time, and where.
    let dynamic = ["place."]; // i18n.js formatPlace: an ordinal plural category
    let unused: Vec<_> = en
        .keys()
        .filter(|k| !used.contains(*k) && !dynamic.iter().any(|d| k.starts_with(d)))
        .collect();
    assert!(unused.is_empty(), "keys no code uses: {unused:#?}");
}

#[test]
fn every_error_code_and_reason_rust_sends_has_words() {
    let en = english();
    let errors_js = std::fs::read_to_string(root().join("ui/errors.js")).unwrap();
    for code in ErrorCode::ALL {
        let name = serde_json::to_value(code).unwrap();
        let name = name.as_str().unwrap();
        assert!(
            errors_js.contains(&format!("  {name}: {{ headline: 'error.{name}.headline'")),
            "errors.js has no words for {name}"
        );
    }
    for reason in Reason::ALL {
        let reason = reason.name();
        assert!(
            en.contains_key(&format!("reason.{reason}")),
            "no words for reason {reason}"
        );
        assert!(
            errors_js.contains(&format!("  {reason}: {{ headline: 'reason.{reason}'")),
            "errors.js does not know reason {reason}"
        );
    }
}

#[test]
fn every_validation_rule_has_words() {
    let en = english();
    let form_js = std::fs::read_to_string(root().join("ui/form.js")).unwrap();
    for rule in Rule::ALL {
        let rule = rule.name();
        let key = format!("field.rule.{rule}");
        assert!(en.contains_key(&key), "no words for rule {rule}");
        assert!(
            form_js.contains(&format!("  {rule}: '{key}',")),
            "form.js does not map rule {rule}"
        );
    }
}

/// One row of `ui/locales/glossary.md`: the words each language must not use for
/// its idea, and the keys where they may appear anyway.
struct GlossaryRow {
    idea: String,
    not_in: BTreeMap<&'static str, Vec<String>>,
    except: Vec<String>,
}

fn glossary() -> Vec<GlossaryRow> {
    let text = std::fs::read_to_string(root().join("ui/locales/glossary.md")).unwrap();
    let list = |cell: &str| -> Vec<String> {
        cell.split(['、', ','])
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .map(String::from)
            .collect()
    };
    text.lines()
        .filter(|line| line.starts_with('|') && !line.starts_with("|---"))
        .skip(1) // the header
        .map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
            assert_eq!(cells.len(), 6, "a glossary row has six cells: {line}");
            GlossaryRow {
                idea: cells[0].to_string(),
                not_in: BTreeMap::from([("en", list(cells[3])), ("zh-CN", list(cells[4]))]),
                except: list(cells[5]),
            }
        })
        .collect()
}

/// Every (key, word) where a catalogue uses a word it should not (any case).
fn competing_words(
    words: &serde_json::Map<String, Value>,
    not: &[String],
    except: &[String],
) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (key, value) in words.iter().filter(|(k, _)| !except.contains(k)) {
        let text = value.to_string().to_lowercase();
        for word in not {
            if text.contains(&word.to_lowercase()) {
                found.push((key.clone(), word.clone()));
            }
        }
    }
    found
}

#[test]
fn each_idea_has_one_word_in_each_language() {
    let all = catalogues();
    let rows = glossary();
    assert!(rows.len() >= 5, "the glossary table was not read");
    for row in &rows {
        for (lang, not) in &row.not_in {
            let found = competing_words(&all[*lang], not, &row.except);
            assert!(
                found.is_empty(),
                "{lang}: {} is said one way (ui/locales/glossary.md); these keys say it another: {found:?}",
                row.idea
            );
        }
    }
    // The check itself finds a competing word, whatever its case, outside the exceptions.
    let sample =
        serde_json::json!({"a.b": "Top up your Credits", "settings.money.unit": "one credit"});
    let sample = sample.as_object().unwrap();
    assert_eq!(
        competing_words(sample, &["credit".into()], &["settings.money.unit".into()]),
        vec![("a.b".to_string(), "credit".to_string())]
    );
}
