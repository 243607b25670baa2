//! The generation request exactly as it goes on the wire (`../shared/segmind-api.md`),
//! and the one set of rules that decides whether it may be sent.
//!
//! The form asks Rust for these problems live, and the client runs the same check
//! before every submit, so an invalid request is never sent and never billed.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::{FieldError, Rule};

pub const PROMPT_MAX_CHARS: usize = 2500;
pub const SHOT_PROMPT_MAX_CHARS: usize = 512;
pub const MIN_DURATION_SECS: u32 = 3;
pub const MAX_DURATION_SECS: u32 = 15;
pub const MIN_SHOT_SECS: u32 = 1;
pub const MAX_SHOTS: usize = 5;
pub const MAX_VOICES: usize = 2;
pub const ASPECT_RATIOS: [&str; 3] = ["16:9", "9:16", "1:1"];
pub const DEFAULT_NEGATIVE_PROMPT: &str = "blur, distort, and low quality";
/// Segmind's peer spells the automatic mode "intelligent", Kling's own docs
/// "intelligence"; the contract marks it as a reading, so it lives in one constant.
pub const SHOT_TYPE_INTELLIGENT: &str = "intelligent";
pub const SHOT_TYPE_CUSTOMIZE: &str = "customize";
pub const SHOT_TYPES: [&str; 2] = [SHOT_TYPE_CUSTOMIZE, SHOT_TYPE_INTELLIGENT];

/// The JSON body of `POST /v2/kling-3-pro-text2video`, and of
/// `kling-3-pro-image2video` with a first frame (`wire_body`).
/// Durations are strings on the wire; optional fields left unset are omitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct GenerationRequest {
    pub prompt: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub negative_prompt: Option<String>,
    #[serde(default = "default_duration")]
    pub duration: String,
    #[serde(default = "default_aspect_ratio")]
    pub aspect_ratio: String,
    #[serde(default = "default_cfg_scale")]
    pub cfg_scale: f64,
    #[serde(default = "default_generate_audio")]
    pub generate_audio: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multi_prompt: Option<Vec<Shot>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shot_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice_ids: Option<Vec<String>>,
    /// The first frame: a picture in the library, by name (`pictures::format_of`).
    /// Not sent as it is: uploaded as the job is sent, it goes as `start_image_url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_image: Option<String>,
    /// The last frame, the same way (`end_image_url`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_image: Option<String>,
    /// The job whose last frame this one's first frame is ("Continue from here"),
    /// for the history; never sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continues: Option<String>,
}

/// Fields of the request that stay in the app: the pictures go as the URLs
/// their upload answered, and what a video continues is the history's.
const NOT_SENT: [&str; 3] = ["start_image", "end_image", "continues"];

/// Where a request's pictures were uploaded to, as the image-to-video body names them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FrameUrls {
    pub start: Option<String>,
    pub end: Option<String>,
}

/// One shot of a multi-shot video.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Shot {
    pub prompt: String,
    pub duration: String,
}

fn default_duration() -> String {
    "5".into()
}
fn default_aspect_ratio() -> String {
    "16:9".into()
}
fn default_cfg_scale() -> f64 {
    0.5
}
fn default_generate_audio() -> bool {
    true
}

impl Default for GenerationRequest {
    /// The model page's defaults, with an empty prompt for the creator to fill.
    fn default() -> Self {
        Self {
            prompt: String::new(),
            negative_prompt: Some(DEFAULT_NEGATIVE_PROMPT.into()),
            duration: default_duration(),
            aspect_ratio: default_aspect_ratio(),
            cfg_scale: default_cfg_scale(),
            generate_audio: default_generate_audio(),
            multi_prompt: None,
            shot_type: None,
            voice_ids: None,
            start_image: None,
            end_image: None,
            continues: None,
        }
    }
}

/// Whole seconds from a duration string, if it is one ("05" and " 5" are not).
fn parse_secs(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) || text.starts_with('0') {
        return None;
    }
    text.parse().ok()
}

/// `<<<voice_N>>>` references in a prompt, as the numbers N.
fn voice_references(text: &str) -> Vec<usize> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("<<<voice_") {
        let after = &rest[start + "<<<voice_".len()..];
        let digits: String = after.chars().take_while(|c| c.is_ascii_digit()).collect();
        if !digits.is_empty() && after[digits.len()..].starts_with(">>>") {
            if let Ok(n) = digits.parse() {
                found.push(n);
            }
        }
        rest = after;
    }
    found
}

impl GenerationRequest {
    /// Whether Kling makes it from a picture (`kling-3-pro-image2video`).
    pub fn from_picture(&self) -> bool {
        self.start_image.is_some()
    }

    /// The body as Segmind reads it: the request without what stays in the app,
    /// and the pictures' URLs under the image-to-video names.
    pub fn wire_body(&self, frames: &FrameUrls) -> serde_json::Value {
        let mut body = serde_json::to_value(self).unwrap_or_else(|_| json!({}));
        if let Some(fields) = body.as_object_mut() {
            for field in NOT_SENT {
                fields.remove(field);
            }
            if let Some(url) = &frames.start {
                fields.insert("start_image_url".into(), json!(url));
            }
            if let Some(url) = &frames.end {
                fields.insert("end_image_url".into(), json!(url));
            }
        }
        body
    }

    /// Every problem at once, so the form can show them all beside their fields.
    /// Lengths count characters, not bytes: Chinese prompts are supported.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut push = |field: String, rule: Rule, params: serde_json::Value| {
            errors.push(FieldError::new(field, rule, params))
        };

        let prompt_chars = self.prompt.chars().count();
        if self.prompt.trim().is_empty() {
            push("prompt".into(), Rule::PromptRequired, json!({}));
        } else if prompt_chars > PROMPT_MAX_CHARS {
            push(
                "prompt".into(),
                Rule::TooLong,
                json!({"max": PROMPT_MAX_CHARS, "count": prompt_chars}),
            );
        }

        if let Some(negative) = &self.negative_prompt {
            let chars = negative.chars().count();
            if chars > PROMPT_MAX_CHARS {
                push(
                    "negative_prompt".into(),
                    Rule::TooLong,
                    json!({"max": PROMPT_MAX_CHARS, "count": chars}),
                );
            }
        }

        let duration = parse_secs(&self.duration)
            .filter(|s| (MIN_DURATION_SECS..=MAX_DURATION_SECS).contains(s));
        if duration.is_none() {
            push(
                "duration".into(),
                Rule::DurationRange,
                json!({"min": MIN_DURATION_SECS, "max": MAX_DURATION_SECS}),
            );
        }

        if !ASPECT_RATIOS.contains(&self.aspect_ratio.as_str()) {
            push("aspect_ratio".into(), Rule::AspectRatioChoice, json!({}));
        }

        // NaN fails both comparisons, infinities fail one: all are rejected here.
        if !(self.cfg_scale >= 0.0 && self.cfg_scale <= 1.0) {
            push(
                "cfg_scale".into(),
                Rule::CfgScaleRange,
                json!({"min": 0, "max": 1}),
            );
        }

        if let Some(shots) = &self.multi_prompt {
            validate_shots(shots, duration, &mut push);
        }

        if let Some(shot_type) = &self.shot_type {
            if !SHOT_TYPES.contains(&shot_type.as_str()) {
                push("shot_type".into(), Rule::ShotTypeChoice, json!({}));
            }
        }

        let voice_count = self.voice_ids.as_ref().map_or(0, Vec::len);
        if let Some(voices) = &self.voice_ids {
            if voices.len() > MAX_VOICES {
                push(
                    "voice_ids".into(),
                    Rule::TooManyVoices,
                    json!({"max": MAX_VOICES, "count": voices.len()}),
                );
            }
            for (i, id) in voices.iter().enumerate() {
                if id.trim().is_empty() {
                    push(
                        format!("voice_ids[{i}]"),
                        Rule::VoiceIdEmpty,
                        json!({"n": i + 1}),
                    );
                } else if id.trim() != id {
                    push(
                        format!("voice_ids[{i}]"),
                        Rule::VoiceIdSpaces,
                        json!({"n": i + 1}),
                    );
                }
            }
            if !voices.is_empty() && !self.generate_audio {
                push("generate_audio".into(), Rule::VoicesNeedSound, json!({}));
            }
        }

        for (field, name) in [
            ("start_image_url", &self.start_image),
            ("end_image_url", &self.end_image),
        ] {
            if name
                .as_deref()
                .is_some_and(|n| crate::pictures::format_of(n).is_none())
            {
                push(field.into(), Rule::PictureName, json!({}));
            }
        }
        if self.end_image.is_some() {
            if self.start_image.is_none() {
                push("end_image_url".into(), Rule::EndFrameNeedsStart, json!({}));
            } else if self.multi_prompt.is_some() {
                // Kling's API refuses the pair (segmind-api.md, "Image to video").
                push("end_image_url".into(), Rule::EndFrameWithShots, json!({}));
            }
        }

        // A reference to voice N needs at least N voice ids.
        let mut texts: Vec<(String, &str)> = vec![("prompt".into(), self.prompt.as_str())];
        if let Some(shots) = &self.multi_prompt {
            texts.extend(
                shots
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (format!("multi_prompt[{i}].prompt"), s.prompt.as_str())),
            );
        }
        for (field, text) in texts {
            if let Some(&highest) = voice_references(text).iter().max() {
                if highest > voice_count {
                    push(
                        field,
                        Rule::VoiceReference,
                        json!({"n": highest, "count": voice_count}),
                    );
                }
            }
        }

        errors
    }
}

fn validate_shots(
    shots: &[Shot],
    video_secs: Option<u32>,
    push: &mut impl FnMut(String, Rule, serde_json::Value),
) {
    if shots.is_empty() {
        push("multi_prompt".into(), Rule::ShotsRequired, json!({}));
        return;
    }
    if shots.len() > MAX_SHOTS {
        push(
            "multi_prompt".into(),
            Rule::TooManyShots,
            json!({"max": MAX_SHOTS, "count": shots.len()}),
        );
    }
    let mut total = Some(0u32);
    for (i, shot) in shots.iter().enumerate() {
        let n = i + 1;
        let chars = shot.prompt.chars().count();
        if shot.prompt.trim().is_empty() {
            push(
                format!("multi_prompt[{i}].prompt"),
                Rule::ShotPromptRequired,
                json!({"n": n}),
            );
        } else if chars > SHOT_PROMPT_MAX_CHARS {
            push(
                format!("multi_prompt[{i}].prompt"),
                Rule::TooLong,
                json!({"max": SHOT_PROMPT_MAX_CHARS, "count": chars}),
            );
        }
        match parse_secs(&shot.duration).filter(|s| (MIN_SHOT_SECS..=MAX_DURATION_SECS).contains(s))
        {
            Some(secs) => total = total.map(|t| t + secs),
            None => {
                total = None;
                push(
                    format!("multi_prompt[{i}].duration"),
                    Rule::DurationRange,
                    json!({"min": MIN_SHOT_SECS, "max": MAX_DURATION_SECS}),
                );
            }
        }
    }
    if let (Some(total), Some(video)) = (total, video_secs) {
        if total != video {
            let rule = if total > video {
                Rule::ShotsTooLong
            } else {
                Rule::ShotsTooShort
            };
            push(
                "multi_prompt".into(),
                rule,
                json!({"total": total, "video": video, "count": total.abs_diff(video)}),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> GenerationRequest {
        GenerationRequest {
            prompt: "A fox runs through snow".into(),
            ..Default::default()
        }
    }

    fn fields(req: &GenerationRequest) -> Vec<String> {
        req.validate().into_iter().map(|e| e.field).collect()
    }

    fn shots(durations: &[&str]) -> Vec<Shot> {
        durations
            .iter()
            .map(|d| Shot {
                prompt: "a shot".into(),
                duration: (*d).into(),
            })
            .collect()
    }

    #[test]
    fn defaults_are_the_model_pages_and_valid_once_a_prompt_is_given() {
        let req = valid();
        assert_eq!(req.duration, "5");
        assert_eq!(req.aspect_ratio, "16:9");
        assert_eq!(req.cfg_scale, 0.5);
        assert!(req.generate_audio);
        assert_eq!(
            req.negative_prompt.as_deref(),
            Some("blur, distort, and low quality")
        );
        assert!(req.validate().is_empty());
    }

    #[test]
    fn wire_format_has_string_durations_and_omits_unset_fields() {
        let json = serde_json::to_value(valid()).unwrap();
        assert_eq!(json["duration"], "5");
        let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 6, "{keys:?}");
        for absent in ["multi_prompt", "shot_type", "voice_ids"] {
            assert!(
                json.get(absent).is_none(),
                "{absent} must be omitted, not null"
            );
        }
        let mut multi = valid();
        multi.multi_prompt = Some(shots(&["2", "3"]));
        let json = serde_json::to_value(multi).unwrap();
        assert_eq!(json["multi_prompt"][1]["duration"], "3");
    }

    #[test]
    fn missing_fields_take_the_defaults_when_read() {
        let req: GenerationRequest = serde_json::from_str(r#"{"prompt":"x"}"#).unwrap();
        assert_eq!(req.duration, "5");
        assert_eq!(req.cfg_scale, 0.5);
        assert!(req.generate_audio);
    }

    #[test]
    fn prompt_is_required_after_trim() {
        for prompt in ["", "   ", "\n\t"] {
            let req = GenerationRequest {
                prompt: prompt.into(),
                ..valid()
            };
            assert_eq!(fields(&req), ["prompt"]);
        }
    }

    #[test]
    fn prompt_length_counts_characters_not_bytes() {
        let at_limit = GenerationRequest {
            prompt: "雪".repeat(2500),
            ..valid()
        };
        assert!(
            at_limit.validate().is_empty(),
            "2500 Chinese characters are 7500 bytes but allowed"
        );
        let over = GenerationRequest {
            prompt: "雪".repeat(2501),
            ..valid()
        };
        let errors = over.validate();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].rule, "too_long");
        assert_eq!(errors[0].params, json!({"max": 2500, "count": 2501}));
    }

    #[test]
    fn negative_prompt_limit_and_may_be_empty_or_absent() {
        let req = GenerationRequest {
            negative_prompt: Some("n".repeat(2500)),
            ..valid()
        };
        assert!(req.validate().is_empty());
        let req = GenerationRequest {
            negative_prompt: Some("n".repeat(2501)),
            ..valid()
        };
        assert_eq!(fields(&req), ["negative_prompt"]);
        let req = GenerationRequest {
            negative_prompt: None,
            ..valid()
        };
        assert!(req.validate().is_empty());
    }

    #[test]
    fn duration_accepts_exactly_3_to_15() {
        for secs in 3..=15 {
            let req = GenerationRequest {
                duration: secs.to_string(),
                ..valid()
            };
            assert!(req.validate().is_empty(), "{secs}");
        }
        for bad in [
            "2",
            "16",
            "0",
            "",
            "5.0",
            "05",
            " 5",
            "-5",
            "five",
            "99999999999999999999",
        ] {
            let req = GenerationRequest {
                duration: bad.into(),
                ..valid()
            };
            assert_eq!(fields(&req), ["duration"], "{bad:?}");
        }
    }

    #[test]
    fn aspect_ratio_is_one_of_three() {
        for ok in ASPECT_RATIOS {
            assert!(GenerationRequest {
                aspect_ratio: ok.into(),
                ..valid()
            }
            .validate()
            .is_empty());
        }
        for bad in ["4:3", "16:10", "", "16/9"] {
            assert_eq!(
                fields(&GenerationRequest {
                    aspect_ratio: bad.into(),
                    ..valid()
                }),
                ["aspect_ratio"]
            );
        }
    }

    #[test]
    fn cfg_scale_is_between_0_and_1_and_finite() {
        for ok in [0.0, 1.0, 0.5, 1e-9] {
            assert!(
                GenerationRequest {
                    cfg_scale: ok,
                    ..valid()
                }
                .validate()
                .is_empty(),
                "{ok}"
            );
        }
        for bad in [-0.0001, 1.0001, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(
                fields(&GenerationRequest {
                    cfg_scale: bad,
                    ..valid()
                }),
                ["cfg_scale"],
                "{bad}"
            );
        }
    }

    #[test]
    fn shots_must_add_up_to_the_video_length() {
        let ok = GenerationRequest {
            duration: "5".into(),
            multi_prompt: Some(shots(&["2", "3"])),
            ..valid()
        };
        assert!(ok.validate().is_empty());
        let short = GenerationRequest {
            duration: "5".into(),
            multi_prompt: Some(shots(&["2", "2"])),
            ..valid()
        };
        let errors = short.validate();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "multi_prompt");
        assert_eq!(errors[0].rule, "shots_too_short");
        assert_eq!(
            errors[0].params,
            json!({"total": 4, "video": 5, "count": 1})
        );
        let long = GenerationRequest {
            duration: "3".into(),
            multi_prompt: Some(shots(&["2", "3"])),
            ..valid()
        };
        let errors = long.validate();
        assert_eq!(errors[0].rule, "shots_too_long");
        assert_eq!(errors[0].params["count"], 2);
    }

    #[test]
    fn one_to_five_shots() {
        let five = GenerationRequest {
            duration: "5".into(),
            multi_prompt: Some(shots(&["1"; 5])),
            ..valid()
        };
        assert!(five.validate().is_empty());
        let six = GenerationRequest {
            duration: "6".into(),
            multi_prompt: Some(shots(&["1"; 6])),
            ..valid()
        };
        assert_eq!(fields(&six), ["multi_prompt"]);
        let none = GenerationRequest {
            multi_prompt: Some(vec![]),
            ..valid()
        };
        assert_eq!(fields(&none), ["multi_prompt"]);
    }

    #[test]
    fn shot_prompt_limits_name_the_shot_and_count_characters() {
        let mut list = shots(&["2", "2", "1"]);
        list[2].prompt = "é".repeat(540);
        list[0].prompt = "  ".into();
        let req = GenerationRequest {
            duration: "5".into(),
            multi_prompt: Some(list),
            ..valid()
        };
        let errors = req.validate();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(errors[0].field, "multi_prompt[0].prompt");
        assert_eq!(errors[1].field, "multi_prompt[2].prompt");
        assert_eq!(errors[1].rule, "too_long");
        assert_eq!(errors[1].params, json!({"max": 512, "count": 540}));
        let mut list = shots(&["5"]);
        list[0].prompt = "雪".repeat(512);
        assert!(GenerationRequest {
            multi_prompt: Some(list),
            ..valid()
        }
        .validate()
        .is_empty());
    }

    #[test]
    fn shot_durations_are_1_to_15_seconds() {
        let req = GenerationRequest {
            duration: "15".into(),
            multi_prompt: Some(shots(&["15"])),
            ..valid()
        };
        assert!(req.validate().is_empty());
        for bad in ["0", "16", "", "1.5"] {
            let req = GenerationRequest {
                duration: "5".into(),
                multi_prompt: Some(shots(&[bad, "4"])),
                ..valid()
            };
            // The sum is not checked when a shot's length is itself wrong: one message, not two.
            assert_eq!(fields(&req), ["multi_prompt[0].duration"], "{bad:?}");
        }
    }

    #[test]
    fn shot_type_values() {
        for ok in SHOT_TYPES {
            assert!(GenerationRequest {
                shot_type: Some(ok.into()),
                ..valid()
            }
            .validate()
            .is_empty());
        }
        assert_eq!(
            fields(&GenerationRequest {
                shot_type: Some("auto".into()),
                ..valid()
            }),
            ["shot_type"]
        );
    }

    #[test]
    fn at_most_two_non_empty_voice_ids_and_they_need_sound() {
        let two = GenerationRequest {
            voice_ids: Some(vec!["a".into(), "b".into()]),
            ..valid()
        };
        assert!(two.validate().is_empty());
        let three = GenerationRequest {
            voice_ids: Some(vec!["a".into(), "b".into(), "c".into()]),
            ..valid()
        };
        assert_eq!(fields(&three), ["voice_ids"]);
        let blank = GenerationRequest {
            voice_ids: Some(vec!["a".into(), " ".into()]),
            ..valid()
        };
        assert_eq!(fields(&blank), ["voice_ids[1]"]);
        let silent = GenerationRequest {
            voice_ids: Some(vec!["a".into()]),
            generate_audio: false,
            ..valid()
        };
        assert_eq!(fields(&silent), ["generate_audio"]);
    }

    #[test]
    fn voice_references_need_enough_voice_ids() {
        let req = GenerationRequest {
            prompt: "<<<voice_1>>> says hello to <<<voice_2>>>".into(),
            voice_ids: Some(vec!["v1".into()]),
            ..valid()
        };
        let errors = req.validate();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "prompt");
        assert_eq!(errors[0].rule, "voice_reference");
        assert_eq!(errors[0].params, json!({"n": 2, "count": 1}));

        let mut list = shots(&["5"]);
        list[0].prompt = "<<<voice_1>>> whispers".into();
        let req = GenerationRequest {
            multi_prompt: Some(list),
            ..valid()
        };
        assert_eq!(fields(&req), ["multi_prompt[0].prompt"]);

        let ok = GenerationRequest {
            prompt: "<<<voice_2>>> and <<<voice_1>>>".into(),
            voice_ids: Some(vec!["v1".into(), "v2".into()]),
            ..valid()
        };
        assert!(ok.validate().is_empty());
        // Text that only looks like a reference is not one.
        let lookalike = GenerationRequest {
            prompt: "<<<voice_>>> <<<voice_3>> <<<voice_x>>>".into(),
            ..valid()
        };
        assert!(lookalike.validate().is_empty());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let req = GenerationRequest {
            prompt: String::new(),
            duration: "20".into(),
            aspect_ratio: "4:3".into(),
            cfg_scale: f64::NAN,
            ..valid()
        };
        assert_eq!(
            fields(&req),
            ["prompt", "duration", "aspect_ratio", "cfg_scale"]
        );
    }

    const PICTURE: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.jpg";

    #[test]
    fn the_body_carries_the_pictures_as_urls_and_keeps_the_rest_in_the_app() {
        let text = valid();
        let body = text.wire_body(&FrameUrls::default());
        assert_eq!(
            body,
            serde_json::to_value(&text).unwrap(),
            "text to video: as it is"
        );
        assert!(!text.from_picture());

        let picture = GenerationRequest {
            start_image: Some(PICTURE.into()),
            end_image: Some(PICTURE.replace(".jpg", ".png")),
            continues: Some("job-1".into()),
            ..valid()
        };
        assert!(picture.from_picture());
        let body = picture.wire_body(&FrameUrls {
            start: Some("https://files.example/a.jpg".into()),
            end: Some("https://files.example/b.png".into()),
        });
        assert_eq!(body["start_image_url"], "https://files.example/a.jpg");
        assert_eq!(body["end_image_url"], "https://files.example/b.png");
        for field in ["start_image", "end_image", "continues"] {
            assert!(body.get(field).is_none(), "{field} stays in the app");
        }
        assert_eq!(body["prompt"], picture.prompt);
    }

    #[test]
    fn a_last_frame_needs_a_first_and_no_storyboard() {
        use crate::error::WireName;
        let rules = |r: GenerationRequest| -> Vec<(String, String)> {
            r.validate()
                .into_iter()
                .map(|e| (e.field.clone(), e.rule.name().to_string()))
                .collect()
        };
        let named = |field: &str, rule: Rule| vec![(field.to_string(), rule.name().to_string())];
        let end_only = GenerationRequest {
            end_image: Some(PICTURE.into()),
            ..valid()
        };
        assert_eq!(
            rules(end_only),
            named("end_image_url", Rule::EndFrameNeedsStart)
        );
        let both = GenerationRequest {
            start_image: Some(PICTURE.into()),
            end_image: Some(PICTURE.into()),
            ..valid()
        };
        assert!(rules(both.clone()).is_empty());
        let with_shots = GenerationRequest {
            multi_prompt: Some(vec![Shot {
                prompt: "a".into(),
                duration: "5".into(),
            }]),
            shot_type: Some(SHOT_TYPE_CUSTOMIZE.into()),
            ..both
        };
        assert_eq!(
            rules(with_shots.clone()),
            named("end_image_url", Rule::EndFrameWithShots)
        );
        let start_and_shots = GenerationRequest {
            end_image: None,
            ..with_shots
        };
        assert!(
            rules(start_and_shots).is_empty(),
            "a first frame with shots is fine"
        );
        let not_ours = GenerationRequest {
            start_image: Some("../../etc/passwd".into()),
            ..valid()
        };
        assert_eq!(rules(not_ours), named("start_image_url", Rule::PictureName));
    }
}
