//! Serves the app's own videos (and the clips voices were made from, and the
//! pictures videos start from) to its webview for inline preview.
//!
//! WebKitGTK's media player cannot load Tauri's custom URL schemes, and pushing
//! hundreds of MB through IPC is slow and memory-hungry. So the videos are served
//! over HTTP on 127.0.0.1, with `Range` (seeking in large files) handled by
//! tower-http. Other local processes cannot read them: every URL carries a random
//! per-run token, only files in the app's video folder with plain names are served,
//! and a Host other than our own address (DNS rebinding) is refused.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::{Path as UrlPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tower::ServiceExt as _;
use tower_http::services::ServeFile;

#[derive(Clone)]
struct Shared {
    token: String,
    videos: PathBuf,
    voices: PathBuf,
    pictures: PathBuf,
    host: String,
}

/// The folders served, each with the kinds of file the app puts there.
const VIDEO_KINDS: &[&str] = &["mp4", "jpg"];
const VOICE_KINDS: &[&str] = &["mp3", "wav", "mp4", "mov"];
const PICTURE_KINDS: &[&str] = &["jpg", "png"];

pub struct MediaServer {
    addr: SocketAddr,
    token: String,
    task: tokio::task::JoinHandle<()>,
}

/// The page's own origins: only they may read a video's pixels (to draw a still).
/// `tauri://localhost` on Linux and macOS, `http://tauri.localhost` on Windows.
const APP_ORIGINS: [&str; 2] = ["tauri://localhost", "http://tauri.localhost"];

/// Names the app gives its own files: `<uuid>.<kind>` (`.mp4` videos, `.jpg` stills,
/// a voice's `.wav` clip...).
fn is_plain_name(name: &str, kinds: &[&str]) -> bool {
    let stem = name
        .rsplit_once('.')
        .filter(|(_, kind)| kinds.contains(kind))
        .map(|(stem, _)| stem);
    stem.is_some_and(|stem| {
        !stem.is_empty()
            && stem.len() <= 64
            && stem.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    })
}

async fn serve_file(
    State(shared): State<Shared>,
    UrlPath((token, folder, name)): UrlPath<(String, String, String)>,
    request: Request,
) -> Response {
    let (dir, kinds) = match folder.as_str() {
        "videos" => (&shared.videos, VIDEO_KINDS),
        "voices" => (&shared.voices, VOICE_KINDS),
        "pictures" => (&shared.pictures, PICTURE_KINDS),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let host_ok = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        == Some(shared.host.as_str());
    if !host_ok || token != shared.token || !is_plain_name(&name, kinds) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .filter(|o| APP_ORIGINS.contains(o))
        .map(str::to_string);
    match ServeFile::new(dir.join(&name)).oneshot(request).await {
        Ok(response) => {
            let mut response = response.map(Body::new);
            // Previews are private: no caching outside this process.
            let headers = response.headers_mut();
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            // The page draws a still from a video with crossOrigin: only the app's
            // own origin may read the pixels, never `*`.
            if let Some(origin) = origin.and_then(|o| HeaderValue::from_str(&o).ok()) {
                headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            }
            headers.insert(header::VARY, HeaderValue::from_static("Origin"));
            response
        }
        Err(never) => match never {},
    }
}

impl MediaServer {
    /// Starts serving the folders on an ephemeral loopback port.
    pub async fn start(videos: &Path, voices: &Path, pictures: &Path) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let token = uuid::Uuid::new_v4().simple().to_string();
        let shared = Shared {
            token: token.clone(),
            videos: videos.to_path_buf(),
            voices: voices.to_path_buf(),
            pictures: pictures.to_path_buf(),
            host: addr.to_string(),
        };
        let app = Router::new()
            .route("/{token}/{folder}/{name}", get(serve_file))
            .with_state(shared);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { addr, token, task })
    }

    /// The URL the webview's `<video>` plays for a file of the video folder.
    pub fn url_for(&self, file_name: &str) -> String {
        format!("http://{}/{}/videos/{}", self.addr, self.token, file_name)
    }

    /// The URL the webview's `<audio>` plays for a voice's clip.
    pub fn voice_url_for(&self, file_name: &str) -> String {
        format!("http://{}/{}/voices/{}", self.addr, self.token, file_name)
    }

    /// The URL the webview shows a picture of the library from (a first frame).
    pub fn picture_url_for(&self, file_name: &str) -> String {
        format!("http://{}/{}/pictures/{}", self.addr, self.token, file_name)
    }
}

impl Drop for MediaServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_are_served() {
        assert!(is_plain_name(
            "0b6c4bb2-7f1e-4f83-9a57-0d7b1d3c4e11.mp4",
            VIDEO_KINDS
        ));
        assert!(is_plain_name("0b6c4bb2.wav", VOICE_KINDS));
        assert!(!is_plain_name("0b6c4bb2.wav", VIDEO_KINDS));
        for bad in [
            "../secret.mp4",
            ".mp4",
            "a/b.mp4",
            "clip.mov",
            "clip.mp4.part",
            "clip.jpg.part",
            ".jpg",
            "%2e%2e.mp4",
        ] {
            assert!(!is_plain_name(bad, VIDEO_KINDS), "{bad}");
        }
    }
}
