//! A picture to start from, against the fake: each picture uploaded once (free),
//! one POST to the image-to-video model carrying the uploaded URLs; a failed
//! upload sends nothing and spends nothing, and "Try again" goes on.

mod common;

use common::*;
use fake_segmind::{Fault, Target};
use kling_studio::error::ErrorCode;
use kling_studio::jobs::library::RecordStatus;
use kling_studio::studio::Order;

const IMAGE_SUBMIT: &str = "/v2/kling-3-pro-image2video";
const UPLOAD: &str = "/upload-asset";

fn jpeg(w: u32, h: u32, shade: u8) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
        w,
        h,
        image::Rgb([shade, 90, 30]),
    ))
    .write_to(&mut out, image::ImageFormat::Jpeg)
    .unwrap();
    out.into_inner()
}

async fn start(
    s: &Setup,
    request: kling_studio::request::GenerationRequest,
    click: &str,
) -> String {
    let jobs = s
        .studio
        .start_takes(Order {
            request,
            submission_id: click.into(),
            takes: 1,
            past_limit_agreed: false,
        })
        .await
        .unwrap();
    jobs[0].record.id.clone()
}

#[tokio::test]
async fn a_first_and_last_frame_are_uploaded_once_each_and_sent_to_image_to_video() {
    let mut s = setup_with_key().await;
    let first = s
        .studio
        .stage_picture("start_image_url", &jpeg(1280, 720, 10))
        .unwrap();
    let last = s
        .studio
        .stage_picture("end_image_url", &jpeg(1280, 720, 200))
        .unwrap();
    assert_ne!(first.name, last.name);
    let id = start(
        &s,
        kling_studio::request::GenerationRequest {
            start_image: Some(first.name.clone()),
            end_image: Some(last.name.clone()),
            ..request("the boat sails from the first picture to the second")
        },
        "click-1",
    )
    .await;
    let done = until(&mut s.rx, &id, ended).await;
    assert_eq!(
        done.record.status,
        RecordStatus::Ready,
        "{:?}",
        done.record.error
    );
    assert_eq!(s.fake.count("POST", UPLOAD), 2, "one upload per picture");
    assert_eq!(s.fake.count("POST", IMAGE_SUBMIT), 1);
    assert_eq!(s.fake.count("POST", SUBMIT), 0, "not text to video");
    let post = s
        .fake
        .requests()
        .into_iter()
        .find(|r| r.path == IMAGE_SUBMIT)
        .unwrap();
    let body = post.json().unwrap();
    let start_url = body["start_image_url"].as_str().unwrap();
    let end_url = body["end_image_url"].as_str().unwrap();
    assert!(
        start_url.contains("/assets/") && end_url.contains("/assets/"),
        "{body}"
    );
    assert_ne!(start_url, end_url);
    for field in ["start_image", "end_image", "continues"] {
        assert!(
            body.get(field).is_none(),
            "{field} stays in the app: {body}"
        );
    }
    // The record keeps the pictures by name; the library has each once.
    assert_eq!(
        done.record.request.start_image.as_deref(),
        Some(first.name.as_str())
    );
    let kept = std::fs::read_dir(s.dir.path().join("data/library/pictures"))
        .unwrap()
        .count();
    assert_eq!(kept, 2);
    assert_key_only_to_segmind(&s.fake);
}

#[tokio::test]
async fn a_failed_upload_sends_nothing_spends_nothing_and_try_again_goes_on() {
    let mut s = setup_with_key().await;
    let first = s
        .studio
        .stage_picture("start_image_url", &jpeg(720, 720, 60))
        .unwrap();
    s.fake.push_fault(
        Target::Upload,
        Fault::Status {
            code: 500,
            body: r#"{"error":"Internal error"}"#.into(),
            content_type: "application/json",
        },
    );
    let credits = s.fake.credits();
    let id = start(
        &s,
        kling_studio::request::GenerationRequest {
            start_image: Some(first.name.clone()),
            aspect_ratio: "1:1".into(),
            ..request("a square lighthouse")
        },
        "click-2",
    )
    .await;
    let stuck = until(&mut s.rx, &id, |job| job.record.error.is_some()).await;
    let error = stuck.record.error.clone().unwrap();
    assert_eq!(error.reason_name(), Some("upload_picture"));
    assert!(!error.may_be_billed);
    assert_eq!(stuck.record.status, RecordStatus::Waiting, "never sent");
    assert!(stuck.record.is_resumable(), "Try again applies");
    assert_eq!(s.fake.count("POST", IMAGE_SUBMIT), 0, "nothing sent");
    assert_eq!(s.fake.credits(), credits, "nothing spent");

    s.studio.resume_job(&id).await.unwrap();
    let done = until(&mut s.rx, &id, ended).await;
    assert_eq!(
        done.record.status,
        RecordStatus::Ready,
        "{:?}",
        done.record.error
    );
    assert_eq!(s.fake.count("POST", IMAGE_SUBMIT), 1, "sent once");
    assert_eq!(
        s.fake.count("POST", UPLOAD),
        2,
        "the failed upload, then one more"
    );
}

#[tokio::test]
async fn the_fake_refuses_a_picture_it_did_not_hand_out() {
    // The fake's own rule, so a client that skipped the upload fails a test.
    let s = setup_with_key().await;
    let client = client(&s.fake);
    let request = kling_studio::request::GenerationRequest {
        start_image: Some(format!("{}.jpg", "a".repeat(64))),
        ..request("a heron")
    };
    let frames = kling_studio::request::FrameUrls {
        start: Some("https://elsewhere.example/heron.jpg".into()),
        end: None,
    };
    let err = client.submit_with(&request, &frames).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::BadRequest);
    assert_eq!(s.fake.count("POST", IMAGE_SUBMIT), 1);
}
