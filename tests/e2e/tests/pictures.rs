//! A picture to start from, in the real window: a picture chosen in the form
//! shows as a thumbnail with its size, the video is made from it (one upload,
//! one POST to image-to-video) and is ready; a 200×200 picture is refused under
//! its frame, naming the rule, with nothing sent.

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

async fn choose(app: &App, testid: &str, path: &std::path::Path) {
    app.el(testid)
        .await
        .send_keys(path.to_str().unwrap())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_video_starts_from_a_chosen_picture_and_a_small_one_is_refused_for_free() {
    keychain_store(KEY);
    let env = Env::start("pictures").await;
    let app = env.launch().await;
    app.type_into("prompt", "The paper boat drifts out of the picture")
        .await;

    // Too small: refused under its frame, nothing sent, Generate held back.
    choose(
        &app,
        "start-image-file",
        &picture(&env, "tiny.png", 200, 200),
    )
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
    choose(
        &app,
        "start-image-file",
        &picture(&env, "boat.png", 720, 1280),
    )
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

    // Removed, the form is back to text alone.
    app.click("remove-start-image").await;
    wait_until("the picture to go", Duration::from_secs(5), || async {
        !app.visible("start-image").await
    })
    .await;
    app.quit().await;
}
