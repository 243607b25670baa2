//! The rules a field can break. Each name is a key in the catalogues
//! (`field.rule.<name>`) and in form.js's `RULES`; the catalogue test and tsc
//! check both against `Rule::ALL` and the generated contract.

use super::KeptAsWritten;

wire_names! {
    /// Which rule a field breaks.
    Rule;
    // The form (request.rs).
    PromptRequired = "prompt_required",
    TooLong = "too_long",
    DurationRange = "duration_range",
    AspectRatioChoice = "aspect_ratio_choice",
    CfgScaleRange = "cfg_scale_range",
    ShotTypeChoice = "shot_type_choice",
    TooManyVoices = "too_many_voices",
    VoiceIdEmpty = "voice_id_empty",
    VoiceIdSpaces = "voice_id_spaces",
    VoicesNeedSound = "voices_need_sound",
    VoiceReference = "voice_reference",
    ShotsRequired = "shots_required",
    TooManyShots = "too_many_shots",
    ShotPromptRequired = "shot_prompt_required",
    ShotsTooLong = "shots_too_long",
    ShotsTooShort = "shots_too_short",
    TakesRange = "takes_range",
    // A voice's clip and name (voices/).
    ClipNotAudio = "clip_not_audio",
    ClipDamaged = "clip_damaged",
    ClipNoSound = "clip_no_sound",
    ClipTooLarge = "clip_too_large",
    ClipTooShort = "clip_too_short",
    ClipTooLong = "clip_too_long",
    // A picture to start from (pictures/), and the frames in a request.
    PictureNotAPicture = "picture_not_a_picture",
    PictureHeic = "picture_heic",
    PictureDamaged = "picture_damaged",
    PictureTooSmall = "picture_too_small",
    PictureShape = "picture_shape",
    PictureName = "picture_name",
    EndFrameNeedsStart = "end_frame_needs_start",
    EndFrameWithShots = "end_frame_with_shots",
    NameRequired = "name_required",
    NameTaken = "name_taken",
}

/// A rule as an error holds it: one this version knows, or one a newer version
/// wrote into a record, kept as it was.
pub type FieldRule = KeptAsWritten<Rule>;
