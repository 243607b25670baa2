//! A picture to start from, in the real window: a picture chosen in the form
//! shows as a thumbnail with its size, the video is made from it (one upload,
//! one POST to image-to-video) and is ready, and Fill the form puts the picture
//! back; a 200×200 picture is refused under its frame, naming the rule, with
//! nothing sent. "Continue from here" starts the next video on the last frame of
//! the file, compared pixel by pixel with ffmpeg's decoding of it.

use std::time::Duration;

use e2e::*;

const JOB_LIMIT: Duration = Duration::from_secs(90);
const IMAGE_SUBMIT: &str = "/v2/kling-3-pro-image2video";

fn picture(env: &Env, name: &str, w: u32, h: u32) -> std::path::PathBuf {
    let path = env.files_dir().join(name);
    image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 140])
    })
    .save(&path)
    .unwrap();
    path
}

#[tokio::test]
async fn a_video_starts_from_a_chosen_picture_and_a_small_one_is_refused_for_free() {
    keychain_store(KEY);
    let env = Env::start("pictures").await;
    let app = env.launch().await;
    app.type_into("prompt", "The paper boat drifts out of the picture")
        .await;

    // Too small: refused under its frame, nothing sent, Generate held back.
    app.choose_file("start-image-file", &picture(&env, "tiny.png", 200, 200))
        .await;
    wait_until("the picture's problem", Duration::from_secs(10), || async {
        app.field_errors()
            .await
            .contains(&"start_image_url".to_string())
    })
    .await;
    let words = app
        .js(
            "return document.querySelector(\"[data-testid='field-error'][data-field='start_image_url']\").textContent",
            vec![],
        )
        .await;
    let words = words.as_str().unwrap_or_default().to_string();
    assert!(
        words.contains("200 × 200") && words.contains("300"),
        "{words}"
    );
    assert!(!app.visible("start-image").await);
    app.screenshot("picture-01-too-small").await;
    assert!(
        !app.el("generate").await.is_enabled().await.unwrap(),
        "a refused picture holds Generate back"
    );

    // A good one: a thumbnail with its size; the tall picture offers its shape.
    app.choose_file("start-image-file", &picture(&env, "boat.png", 720, 1280))
        .await;
    app.wait_visible("start-image").await;
    app.wait_text("start-image-size", "720 × 1280", Duration::from_secs(10))
        .await;
    assert!(
        app.field_errors().await.is_empty(),
        "the problem went with the picture"
    );
    app.wait_visible("use-picture-shape").await;
    app.click("use-picture-shape").await;
    wait_until("the video to be tall", Duration::from_secs(5), || async {
        app.shape().await == "9:16"
    })
    .await;
    app.screenshot("picture-02-chosen").await;

    wait_until("the form to be valid", Duration::from_secs(10), || async {
        app.el("generate").await.is_enabled().await.unwrap()
    })
    .await;
    app.click("generate").await;
    app.wait_for("the video to be ready", JOB_LIMIT, || async {
        app.history().await == ["ready"]
    })
    .await;
    assert_eq!(env.fake.count("POST", "/upload-asset"), 1, "one upload");
    assert_eq!(
        env.fake.count("POST", IMAGE_SUBMIT),
        1,
        "one POST, from the picture"
    );
    assert_eq!(env.posts(), 0, "none to text-to-video");
    let post = env
        .fake
        .requests()
        .into_iter()
        .find(|r| r.path == IMAGE_SUBMIT)
        .unwrap();
    let body = post.json().unwrap();
    assert_eq!(body["aspect_ratio"], "9:16");
    assert!(
        body["start_image_url"]
            .as_str()
            .unwrap()
            .contains("/assets/"),
        "{body}"
    );
    // The library keeps the picture, byte for byte (a PNG within the limits).
    let kept: Vec<_> = std::fs::read_dir(env.library_dir().join("pictures"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(
        std::fs::read(&kept[0]).unwrap(),
        std::fs::read(env.files_dir().join("boat.png")).unwrap()
    );
    app.screenshot("picture-03-ready").await;

    // Removed, the form is back to text alone; Fill the form puts it back.
    app.click("remove-start-image").await;
    wait_until("the picture to go", Duration::from_secs(5), || async {
        !app.visible("start-image").await
    })
    .await;
    app.js(
        "document.querySelector(\"[data-testid='history-rerun']\").scrollIntoView({block: 'center'})",
        vec![],
    )
    .await;
    app.next_frame().await;
    app.click("history-rerun").await;
    app.wait_visible("start-image").await;
    app.wait_text("start-image-size", "720 × 1280", Duration::from_secs(10))
        .await;
    assert_eq!(
        env.fake.count("POST", IMAGE_SUBMIT),
        1,
        "filling the form sends nothing"
    );
    app.quit().await;
}

/// A frame of `video` decoded by ffmpeg, independently of the web view.
fn ffmpeg_frame(video: &std::path::Path, last: bool, out: &std::path::Path) -> image::RgbImage {
    let mut command = std::process::Command::new("ffmpeg");
    command.args(["-v", "error", "-y"]);
    if last {
        // Decodes the last half second and keeps writing over one file: the last frame stays.
        command
            .args(["-sseof", "-0.5", "-i"])
            .arg(video)
            .args(["-update", "1"]);
    } else {
        command.arg("-i").arg(video).args(["-frames:v", "1"]);
    }
    let status = command
        .arg(out)
        .status()
        .expect("ffmpeg runs (make test-deps installs it)");
    assert!(status.success(), "ffmpeg decoded {video:?}");
    image::open(out).unwrap().to_rgb8()
}

/// The mean difference of two pictures of one size, per channel, 0-255.
fn mean_difference(a: &image::RgbImage, b: &image::RgbImage) -> f64 {
    assert_eq!(
        a.dimensions(),
        b.dimensions(),
        "the frame keeps the video's size"
    );
    let total: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    total as f64 / a.as_raw().len() as f64
}

#[tokio::test]
async fn continue_from_here_starts_the_next_video_on_the_last_frame_of_the_file() {
    keychain_store(KEY);
    let env = Env::start("continue").await;
    let app = env.launch().await;
    app.generate("A paper boat reaches the end of the street")
        .await;
    app.wait_for("the first video", JOB_LIMIT, || async {
        app.history().await == ["ready"]
    })
    .await;

    app.click("continue-from-here").await;
    app.wait_visible("start-image").await;
    let focused = app
        .js("return document.activeElement.dataset.testid", vec![])
        .await;
    assert_eq!(focused, "prompt", "the cursor waits in the prompt");

    // The picture is the file's last frame: compared with ffmpeg's decoding of
    // the same file, it is far closer to its last frame than to its first.
    let kept: Vec<_> = std::fs::read_dir(env.library_dir().join("pictures"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    let taken = image::open(&kept[0]).unwrap().to_rgb8();
    let video = &env.library_videos()[0];
    let last = ffmpeg_frame(video, true, &env.files_dir().join("last.png"));
    let first = ffmpeg_frame(video, false, &env.files_dir().join("first.png"));
    let (to_last, to_first) = (
        mean_difference(&taken, &last),
        mean_difference(&taken, &first),
    );
    assert!(
        to_last < 4.0 && to_first > 2.0 * to_last,
        "to the last frame {to_last:.2}, to the first {to_first:.2}"
    );
    app.screenshot("picture-04-continue").await;

    app.type_into("prompt", "It sails on into the harbour")
        .await;
    app.click("generate").await;
    app.wait_for("the next video", JOB_LIMIT, || async {
        app.history().await == ["ready", "ready"]
    })
    .await;
    assert_eq!(
        env.fake.count("POST", IMAGE_SUBMIT),
        1,
        "the next one from the picture"
    );
    assert_eq!(env.posts(), 1, "the first one from text");
    let facts = app.card_facts().await.join(" | ");
    assert!(facts.contains("continues “A paper boat"), "{facts}");
    app.screenshot("picture-05-continued").await;
    app.quit().await;
}
