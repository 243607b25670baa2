//! The Segmind API key as a type that cannot leak by accident: it has no
//! `Serialize`, and `Debug`/`Display` never print it.

#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Trims what a paste adds around a key; `None` when nothing is left.
    pub fn parse(text: &str) -> Option<Self> {
        let key = text.trim();
        // Every key the app holds passes here: from now on no log line shows it.
        crate::logging::add_secret(key);
        (!key.is_empty()).then(|| Self(key.to_string()))
    }

    /// The only way to read the key: to put it in the `x-api-key` header or the keychain.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The last four characters, which settings show so a creator can tell keys apart.
    pub fn last4(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        chars[chars.len().saturating_sub(4)..].iter().collect()
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiKey(…{})", self.last4())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_only_the_last_four_characters() {
        let key = ApiKey::parse("  sk-secret-1234\n").unwrap();
        assert_eq!(key.expose(), "sk-secret-1234");
        assert_eq!(format!("{key:?}"), "ApiKey(…1234)");
        assert_eq!(key.last4(), "1234");
        assert_eq!(ApiKey::parse("ab").unwrap().last4(), "ab");
        assert!(ApiKey::parse("   ").is_none());
    }
}
