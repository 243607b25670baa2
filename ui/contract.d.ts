// GENERATED from the Rust types by src-tauri/src/contract.rs: do not edit.
// `UPDATE_CONTRACT=1 cargo test -p kling-studio contract` writes it again.

export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]: JsonValue } | null;

export type ErrorCode = "invalid_request" | "bad_request" | "auth" | "forbidden" | "not_found" | "job_expired" | "method_not_allowed" | "insufficient_credits" | "invalid_content_type" | "model_retired" | "job_failed" | "rate_limited" | "server_error" | "transient" | "network" | "timeout" | "download_incomplete" | "keychain_unavailable" | "keychain" | "no_api_key" | "duplicate_submission" | "over_limit" | "busy" | "job_not_found" | "voice_not_found" | "io" | "library_not_writable" | "unexpected_response" | "not_a_video" | "link_expired" | "internal" | "other";

export type Reason = "job_stopped" | "no_longer_waiting" | "being_sent" | "downloading_paid" | "voice_being_made" | "nothing_to_fetch" | "not_ready" | "not_in_library" | "outside_library" | "still_not_kept" | "clip_gone" | "picture_gone" | "closed_while_sending" | "follow_deadline" | "no_video" | "unreadable_result" | "unusable_address" | "redirect_refused" | "upload" | "upload_picture" | "no_voice_id" | "voice_still_making" | "interrupted" | "certificate_refused" | "base_url_not_url" | "base_url_not_https" | "key_missing" | "below_estimate" | "record_job" | "delete_job" | "delete_video" | "record_voice" | "delete_voice" | "keep_clip" | "keep_picture" | "keep_still" | "write_video" | "save_video" | "save_video_as" | "remember_settings" | "open_folder" | "open_browser";

export type Rule = "prompt_required" | "too_long" | "duration_range" | "aspect_ratio_choice" | "cfg_scale_range" | "shot_type_choice" | "too_many_voices" | "voice_id_empty" | "voice_id_spaces" | "voices_need_sound" | "voice_reference" | "shots_required" | "too_many_shots" | "shot_prompt_required" | "shots_too_long" | "shots_too_short" | "takes_range" | "clip_not_audio" | "clip_damaged" | "clip_no_sound" | "clip_too_large" | "clip_too_short" | "clip_too_long" | "picture_not_a_picture" | "picture_heic" | "picture_damaged" | "picture_too_small" | "picture_shape" | "picture_name" | "end_frame_needs_start" | "end_frame_with_shots" | "name_required" | "name_taken";

export type KeptAsWritten<T> = T | string;

export type AppError = { code: ErrorCode, reason: KeptAsWritten<Reason> | null, params: { [key in string]: JsonValue }, serverMessage: string | null, detail: string | null, fields: Array<FieldError>, retryAtMs: number | null, mayBeBilled: boolean, billing: Billing, };

export type FieldError = { 
/**
 * A path into the request: `prompt`, `multi_prompt[2].prompt`, `voice_ids[0]`.
 */
field: string, rule: KeptAsWritten<Rule>, params: JsonValue, };

export type Billing = "not_billed" | "not_billed_failed" | "accepted" | "may_be_billed" | "unsaid";

export type GenerationRequest = { prompt: string, negative_prompt?: string | null, duration: string, aspect_ratio: string, cfg_scale: number, generate_audio: boolean, multi_prompt?: Array<Shot> | null, shot_type?: string | null, voice_ids?: Array<string> | null, 
/**
 * The first frame: a picture in the library, by name (`pictures::format_of`).
 * Not sent as it is: uploaded as the job is sent, it goes as `start_image_url`.
 */
start_image?: string | null, 
/**
 * The last frame, the same way (`end_image_url`).
 */
end_image?: string | null, 
/**
 * The job whose last frame this one's first frame is ("Continue from here"),
 * for the history; never sent.
 */
continues?: string | null, };

export type Shot = { prompt: string, duration: string, };

export type RecordStatus = "waiting" | "sending" | "unknown" | "queued" | "processing" | "downloading" | "ready" | "failed" | "expired" | "stopped" | "unrecognized";

export type Take = { set: string, n: number, of: number, };

export type Metrics = { cost: number | null, remaining_credits: number | null, inference_time: number | null, queue_time: number | null, total_time: number | null, };

export type JobView = { id: string, createdAtMs: number, updatedAtMs: number, request: GenerationRequest, status: RecordStatus, 
/**
 * One of several takes of the same request: which set, which one.
 */
take: Take | null, 
/**
 * The creator chose this take among its set ("Keep").
 */
kept: boolean, 
/**
 * Segmind billed quite another sum than the estimate (`JobRecord::estimate_miss`).
 */
estimateMiss: EstimateMiss | null, 
/**
 * What Segmind said it cost, once it said.
 */
metrics: Metrics | null, 
/**
 * The problem it stopped on.
 */
error: AppError | null, 
/**
 * Size of the finished video in the library, once it is there.
 */
bytes: number | null, 
/**
 * Where the app last saved a copy of it, by itself or by Save.
 */
savedTo: string | null, 
/**
 * Where the preview plays the video from, once it is in the library.
 */
videoUrl: string | null, 
/**
 * The video's still for the history's card, once one is made.
 */
stillUrl: string | null, 
/**
 * Where the picture it started from shows from (image to video).
 */
firstFrameUrl: string | null, 
/**
 * Download progress in bytes, while downloading.
 */
received: number | null, total: number | null, 
/**
 * Segmind asked us to slow down: submissions wait until then (Unix ms).
 */
waitingUntilMs: number | null, 
/**
 * Place in the line of jobs waiting for a free slot (1 = next).
 */
queuePosition: number | null, 
/**
 * A passing problem the app is riding out by itself (no click needed).
 */
trouble: AppError | null, 
/**
 * A paid job left with a problem is looked at again then, by itself (Unix ms).
 */
nextLookAtMs: number | null, 
/**
 * The app still has work to do for it (`RecordStatus::is_active`).
 */
active: boolean, 
/**
 * It stopped on a problem and "Try again" goes on where it was
 * (`JobRecord::is_resumable`).
 */
resumable: boolean, 
/**
 * "Stop following" applies (`JobRecord::is_stoppable`).
 */
stoppable: boolean, 
/**
 * "Fetch it after all" applies (`JobRecord::is_fetchable`). The page asks
 * these four, never the statuses, for what a job may do.
 */
fetchable: boolean, 
/**
 * What its problem means for the creator's money (`JobRecord::billing`).
 */
billing: Billing | null, };

export type StudioEvent = { "kind": "job", job: JobView, } | { "kind": "deleted", jobId: string, } | { "kind": "closeRequested", activeJobs: number, voicesBeingMade: number, } | { "kind": "voice", voice: VoiceView, } | { "kind": "voiceDeleted", id: string, } | { "kind": "settingsAsked" };

export type VoiceStatus = "sending" | "making" | "ready" | "failed" | "unrecognized";

export type VoiceView = { id: string, name: string, status: VoiceStatus, voiceId: string | null, clipName: string, clipMillis: number, createdAtMs: number, error: AppError | null, 
/**
 * What its problem means for the creator's money (a voice has no card:
 * the verdict of a paid call).
 */
billing: Billing | null, cost: number | null, 
/**
 * The clip on the app's loopback media server.
 */
listenUrl: string, };

export type StagedClip = { clipId: string, format: string, millis: number, bytes: number, };

export type VoiceProgress = { "phase": "uploading", sent: number, total: number, } | { "phase": "creating" };

export type DamagedEntry = { file: string, problem: string, };

export type FormRules = { durations: Array<string>, aspectRatios: Array<string>, shotTypes: Array<string>, promptMaxChars: number, shotPromptMaxChars: number, maxShots: number, maxVoices: number, 
/**
 * Videos one Generate click may ask for.
 */
maxTakes: number, voiceMaking: VoiceMakingRules, defaults: GenerationRequest, };

export type VoiceMakingRules = { nameMaxChars: number, clipMinSeconds: number, clipMaxSeconds: number, clipMaxBytes: number, costUsd: number, };

export type PriceView = { each: Estimate, 
/**
 * What the Sound switch changes in the price of one video, either way it
 * is set (the same rates, the switch the other way round).
 */
soundCosts: number, takes: number, total: number, 
/**
 * The balance Segmind last reported, if the app has asked.
 */
balance: number | null, shortOfBalance: boolean, 
/**
 * Spent this month, from the library.
 */
month: number, limit: number | null, overLimit: boolean, };

export type SpendView = { balance: number | null, limit: number | null, 
/**
 * Since Monday 00:00, local time.
 */
week: number, 
/**
 * Since the 1st of the month 00:00, local time.
 */
month: number, total: number, 
/**
 * Jobs counted at their estimate (Segmind did not report what they cost),
 * in all and in each period: a sum holding one is "about".
 */
estimated: number, estimatedWeek: number, estimatedMonth: number, };

export type SavedKey = { status: KeyStatus, credits: number, };

export type LoadedSettings = { request: GenerationRequest, outputDir: string, 
/**
 * Always within 1..=`max_running_jobs_limit`, whatever the file says.
 */
maxRunningJobs: number, 
/**
 * The largest choice the settings offer.
 */
maxRunningJobsLimit: number, 
/**
 * Each finished video is saved into `output_dir` by itself (on unless the
 * creator turned it off).
 */
saveFinishedVideos: boolean, };

export type LibrarySnapshot = { jobs: Array<JobView>, 
/**
 * Records that could not be read, set aside; every other job is kept.
 */
damaged: Array<DamagedEntry>, 
/**
 * The creator's voices, newest first.
 */
voices: Array<VoiceView>, };

export type Order = { request: GenerationRequest, submissionId: string, takes: number, 
/**
 * The creator answered "make it anyway" to the monthly limit's question.
 */
pastLimitAgreed: boolean, };

export type AnotherTake = { jobId: string, submissionId: string, pastLimitAgreed: boolean, };

export type PictureView = { 
/**
 * Its name in the library: what `start_image` and `end_image` hold.
 */
name: string, width: number, height: number, bytes: number, 
/**
 * Re-encoded here (another format, turned upright, too large).
 */
converted: boolean, 
/**
 * The shape the form offers that is closest to the picture's.
 */
shape: string, 
/**
 * Where the thumbnail shows it from.
 */
url: string, };

export type Estimate = { 
/**
 * For one video.
 */
usd: number, seconds: number, tier: Tier, perSecond: number, basis: Basis, };

export type Spend = { 
/**
 * Since Monday 00:00, local time.
 */
week: number, 
/**
 * Since the 1st of the month 00:00, local time.
 */
month: number, total: number, 
/**
 * Jobs counted at their estimate (Segmind did not report what they cost),
 * in all and in each period: a sum holding one is "about".
 */
estimated: number, estimatedWeek: number, estimatedMonth: number, };

export type Tier = "silent" | "sound" | "voice";

export type Basis = { "kind": "table", checked: string, } | { "kind": "learned", videos: number, };

export type EstimateMiss = { estimated: number, billed: number, 
/**
 * Estimates follow the creator's own bills from this many videos of a kind.
 */
learnsAfter: number, };

export type KeyState = "missing" | "keychain" | "session";

export type KeyStatus = { state: KeyState, last4: string | null, 
/**
 * Why the keychain cannot be used (`keychain_unavailable` or `keychain`),
 * worded by the UI.
 */
keychainProblem: ErrorCode | null, };

export type PageWords = { lang: string, words: { [key in string]: JsonValue }, languages: Array<Language>, };

export type Language = { code: string, name: string, };

export type PageFacts = { userAgent: string, 
/**
 * Whether H.264 in MP4 plays: "probably", "maybe" or "" (canPlayType's words).
 */
h264: string, };

export type PageKey = { key: string, action: MenuAction, };

export type MenuAction = "quit" | "settings" | "openLogs";

export type HelpLink = "api_keys" | "top_up";

export type SavedFile = { path: string, };

/** Every command the page may `invoke`. */
export type Command = "form_rules" | "validate_request" | "key_status" | "save_api_key" | "remove_api_key" | "get_credits" | "load_settings" | "remember_request" | "set_max_running_jobs" | "watch_jobs" | "start_job" | "another_take" | "keep_take" | "stop_following" | "resume_job" | "delete_job" | "quit_app" | "run_in_background" | "save_video" | "save_still" | "save_video_as" | "choose_output_folder" | "show_video_file" | "set_save_finished_videos" | "open_help_link" | "words" | "set_language" | "estimate_price" | "spend_summary" | "set_monthly_limit" | "stage_voice_clip" | "stage_picture" | "picture" | "make_voice" | "rename_voice" | "delete_voice" | "open_logs_folder" | "support_details" | "menu_keys" | "choose_menu_item" | "page_shown";
