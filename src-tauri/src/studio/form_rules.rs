//! The numbers and choices the page builds its forms from, gathered from the
//! rooms that own each rule, so the UI never hard-codes one.

use serde::Serialize;

use crate::request::{
    GenerationRequest, ASPECT_RATIOS, MAX_DURATION_SECS, MAX_SHOTS, MAX_VOICES, MIN_DURATION_SECS,
    PROMPT_MAX_CHARS, SHOT_PROMPT_MAX_CHARS, SHOT_TYPES,
};
use crate::voices;
use crate::voices::clip;

/// The numbers and choices the form is built from, so the UI never hard-codes a rule.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct FormRules {
    pub durations: Vec<String>,
    pub aspect_ratios: Vec<&'static str>,
    pub shot_types: Vec<&'static str>,
    pub prompt_max_chars: usize,
    pub shot_prompt_max_chars: usize,
    pub max_shots: usize,
    pub max_voices: usize,
    /// Videos one Generate click may ask for.
    pub max_takes: u8,
    pub voice_making: VoiceMakingRules,
    pub defaults: GenerationRequest,
}

/// What the "New voice" dialog says and checks first (Rust checks again).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct VoiceMakingRules {
    pub name_max_chars: usize,
    pub clip_min_seconds: u32,
    pub clip_max_seconds: u32,
    pub clip_max_bytes: u64,
    pub cost_usd: f64,
}

pub fn form_rules() -> FormRules {
    FormRules {
        durations: (MIN_DURATION_SECS..=MAX_DURATION_SECS)
            .map(|s| s.to_string())
            .collect(),
        aspect_ratios: ASPECT_RATIOS.to_vec(),
        shot_types: SHOT_TYPES.to_vec(),
        prompt_max_chars: PROMPT_MAX_CHARS,
        shot_prompt_max_chars: SHOT_PROMPT_MAX_CHARS,
        max_shots: MAX_SHOTS,
        max_voices: MAX_VOICES,
        max_takes: super::MAX_TAKES,
        voice_making: VoiceMakingRules {
            name_max_chars: voices::MAX_NAME_CHARS,
            clip_min_seconds: clip::MIN_SECONDS,
            clip_max_seconds: clip::MAX_SECONDS,
            clip_max_bytes: clip::MAX_BYTES,
            cost_usd: voices::ESTIMATED_COST,
        },
        defaults: GenerationRequest::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_rules_list_every_duration() {
        let rules = form_rules();
        assert_eq!(rules.durations.len(), 13);
        assert_eq!(rules.durations.first().map(String::as_str), Some("3"));
        assert_eq!(rules.durations.last().map(String::as_str), Some("15"));
    }
}
