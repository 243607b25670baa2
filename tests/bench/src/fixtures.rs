//! What the benchmarks measure with: the release builds, a library prepared on
//! disk (so no click is needed to reach a state), big files, a loopback server.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use kling_studio::jobs::library::{JobRecord, Library, RecordStatus};
use kling_studio::request::GenerationRequest;

pub fn workspace() -> PathBuf {
    e2e::workspace()
}

fn release(name: &str) -> PathBuf {
    let path = workspace().join("target/release").join(name);
    assert!(
        path.is_file(),
        "{} is missing: run `make bench` (it builds the release apps first)",
        path.display()
    );
    path
}

pub fn app() -> PathBuf {
    release("kling-studio")
}

pub fn hello() -> PathBuf {
    release("tauri-hello")
}

/// The newest .deb whose name starts with `prefix`.
pub fn deb(prefix: &str) -> PathBuf {
    let dir = workspace().join("target/release/bundle/deb");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}; run `make bundle`", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix) && n.ends_with(".deb"))
        })
        .collect();
    found.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    found
        .pop()
        .unwrap_or_else(|| panic!("no {prefix}*.deb in {}", dir.display()))
}

/// A HOME for one app run, with the XDG folders the app uses inside it.
pub struct Home {
    pub dir: tempfile::TempDir,
}

impl Home {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn envs(&self) -> Vec<(&'static str, PathBuf)> {
        let home = self.dir.path();
        vec![
            ("HOME", home.to_path_buf()),
            ("XDG_CONFIG_HOME", home.join(".config")),
            ("XDG_DATA_HOME", home.join(".local/share")),
            ("XDG_CACHE_HOME", home.join(".cache")),
        ]
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// The app's library under `home`.
pub fn library(home: &Path) -> Library {
    Library::open(&home.join(".local/share/app.klingstudio.desktop/library")).unwrap()
}

/// A finished job whose video is `video` (hard-linked when possible: no copy).
pub fn add_ready_video(home: &Path, id: &str, video: &Path) {
    let library = library(home);
    let target = library.video_path(id);
    if std::fs::hard_link(video, &target).is_err() {
        std::fs::copy(video, &target).unwrap();
    }
    let mut record = JobRecord::new(id.into(), request());
    record.status = RecordStatus::Ready;
    record.request_id = Some(format!("bench-{id}"));
    record.bytes = Some(std::fs::metadata(video).unwrap().len());
    library.put(record).unwrap();
}

/// A still of the small clip, as the app makes them (a 320 px JPEG), made once.
pub fn small_still() -> PathBuf {
    let path = assets().join("clip-still.jpg");
    if !path.is_file() {
        let status = Command::new("ffmpeg")
            .args(["-y", "-loglevel", "error", "-ss", "1", "-i"])
            .arg(small_video())
            .args(["-frames:v", "1", "-vf", "scale=320:-1", "-q:v", "5"])
            .arg(&path)
            .status()
            .expect("ffmpeg runs (make test-deps installs it)");
        assert!(status.success(), "ffmpeg could not make the still");
    }
    path
}

/// `count` finished jobs, all of them `video` (hard-linked), a minute apart; with
/// `still`, each has its still already, as after the app made them.
pub fn add_ready_videos(home: &Path, count: usize, video: &Path, still: Option<&Path>) {
    let library = library(home);
    let bytes = std::fs::metadata(video).unwrap().len();
    for n in 0..count {
        let id = format!("5ca1e000-0000-4000-8000-{n:012}");
        let target = library.video_path(&id);
        if std::fs::hard_link(video, &target).is_err() {
            std::fs::copy(video, &target).unwrap();
        }
        if let Some(still) = still {
            std::fs::hard_link(still, library.still_path(&id)).unwrap();
        }
        let mut record = JobRecord::new(
            id,
            GenerationRequest {
                prompt: format!("Scale benchmark video {n}: a tram crosses a bridge in the rain"),
                ..Default::default()
            },
        );
        record.created_at_ms -= n as i64 * 60_000;
        record.status = RecordStatus::Ready;
        record.request_id = Some(format!("bench-scale-{n}"));
        record.bytes = Some(bytes);
        library.put(record).unwrap();
    }
}

/// A job whose video is still to be downloaded from `url`: the app resumes it at start.
pub fn add_download(home: &Path, id: &str, url: &str) {
    let mut record = JobRecord::new(id.into(), request());
    record.status = RecordStatus::Downloading;
    record.request_id = Some(format!("bench-{id}"));
    record.output_url = Some(url.into());
    library(home).put(record).unwrap();
}

fn request() -> GenerationRequest {
    GenerationRequest {
        prompt: "A benchmark clip: colour bars over a quiet tone".into(),
        ..Default::default()
    }
}

fn assets() -> PathBuf {
    let dir = workspace().join("target/bench-assets");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// 1 GiB of varied bytes (no run of zeros a filesystem could skip).
pub fn gigabyte_file() -> PathBuf {
    varied_file("one-gibibyte.mp4", 1)
}

/// `gib` GiB of varied bytes, made once, opening with an MP4 `ftyp` box: the app
/// keeps only a download that starts like a video.
pub fn varied_file(name: &str, gib: u64) -> PathBuf {
    let path = assets().join(name);
    if std::fs::metadata(&path).map(|m| m.len()).ok() != Some(gib << 30) {
        let mut block = vec![0u8; 1 << 20];
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for byte in block.iter_mut() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *byte = state as u8;
        }
        block[..12].copy_from_slice(b"\0\0\0\x0cftypmp42");
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        for _ in 0..(gib << 10) {
            file.write_all(&block).unwrap();
        }
        file.flush().unwrap();
    }
    path
}

/// A real H.264/AAC MP4 of about 200 MB, made once with ffmpeg.
pub fn large_video() -> PathBuf {
    let path = assets().join("preview-200mb.mp4");
    if std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) < 150_000_000 {
        let status = Command::new("ffmpeg")
            .args([
                "-y",
                "-loglevel",
                "error",
                "-f",
                "lavfi",
                "-i",
                "testsrc2=size=1280x720:rate=30",
                "-f",
                "lavfi",
                "-i",
            ])
            .args([
                "sine=frequency=330:sample_rate=44100",
                "-t",
                "120",
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
            ])
            .args([
                "-b:v", "13M", "-maxrate", "13M", "-bufsize", "26M", "-pix_fmt", "yuv420p", "-c:a",
                "aac", "-b:a", "128k",
            ])
            .args(["-movflags", "+faststart"])
            .arg(&path)
            .status()
            .expect("ffmpeg runs (make test-deps installs it)");
        assert!(status.success(), "ffmpeg could not make the 200 MB video");
    }
    path
}

pub fn small_video() -> PathBuf {
    let path = assets().join("clip-50kb.mp4");
    std::fs::write(&path, fake_segmind::FakeSegmind::clip()).unwrap();
    path
}

/// Serves `dir` on 127.0.0.1 with Range support, on its own threads so that the
/// measured side never waits for it.
pub fn serve(dir: PathBuf) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
                .await
                .unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            let app =
                axum::Router::new().fallback_service(tower_http::services::ServeDir::new(dir));
            axum::serve(listener, app).await.unwrap();
        });
    });
    rx.recv().unwrap()
}
