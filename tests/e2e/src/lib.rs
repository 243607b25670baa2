//! The harness of the end-to-end tests (and of the benchmarks that need a window).
//! Drives the real app: the debug binary (UI embedded) started by tauri-driver and
//! WebKitWebDriver in the X server of `xvfb-run`, against a fake Segmind, with a
//! temporary HOME and the real Secret Service of the test session's D-Bus
//! (`tests/scripts/run-tests.sh` starts both).

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fake_segmind::{Config, FakeSegmind};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

/// A key long enough to be found anywhere it must not be.
pub const KEY: &str = "sk-e2e-live-key-7788";
pub const KEY_SERVICE: [&str; 4] = ["service", "kling-studio", "username", "segmind-api-key"];

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

pub fn artifacts() -> PathBuf {
    let dir = workspace().join("tests/artifacts/e2e");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The debug app, or the binary named by `KLING_STUDIO_BINARY` (the benchmarks
/// measure the release build).
pub fn app_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("KLING_STUDIO_BINARY") {
        return PathBuf::from(path);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"));
    let binary = target.join("debug/kling-studio");
    assert!(
        binary.is_file(),
        "build the app first (cargo build -p kling-studio): {} is missing",
        binary.display()
    );
    binary
}

pub fn tool(name: &str) -> PathBuf {
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var("HOME").unwrap()).join(".cargo"))
        .join("bin")
        .join(name);
    if cargo_bin.is_file() {
        return cargo_bin;
    }
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .output()
        .unwrap();
    assert!(
        found.status.success(),
        "{name} is not installed (make test-deps installs it)"
    );
    PathBuf::from(String::from_utf8(found.stdout).unwrap().trim())
}

/// Every process below `root`, from /proc's parent links.
pub fn descendants(root: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // The command name may hold spaces or parentheses: read after the last ')'.
            let ppid = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            Some((pid, ppid))
        })
        .collect();
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(
            parents
                .iter()
                .filter(|(_, ppid)| *ppid == parent)
                .map(|(pid, _)| *pid),
        );
        i += 1;
    }
    found.remove(0);
    found
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until `check` holds, trying every 100 ms; panics with `what` after `limit`.
pub async fn wait_until<F, Fut>(what: &str, limit: Duration, check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    assert!(
        holds_within(limit, check).await,
        "timed out after {limit:?} waiting for: {what}"
    );
}

/// Whether `check` comes to hold within `limit`, trying every 100 ms.
async fn holds_within<F, Fut>(limit: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        if started.elapsed() >= limit {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    true
}

/// The keychain as another client sees it (`secret-tool`, as a user would).
pub fn keychain_lookup() -> Option<String> {
    let out = Command::new("secret-tool")
        .arg("lookup")
        .args(KEY_SERVICE)
        .output()
        .expect("secret-tool runs");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).to_string())
}

pub fn keychain_store(key: &str) {
    use std::io::Write;
    let mut child = Command::new("secret-tool")
        .args(["store", "--label=Kling Studio test key"])
        .args(KEY_SERVICE)
        .stdin(Stdio::piped())
        .spawn()
        .expect("secret-tool runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(key.as_bytes())
        .unwrap();
    assert!(
        child.wait().unwrap().success(),
        "secret-tool store failed: is the test Secret Service running?"
    );
}

pub fn keychain_clear() {
    let _ = Command::new("secret-tool")
        .arg("clear")
        .args(KEY_SERVICE)
        .status();
    assert_eq!(keychain_lookup(), None);
}

/// One fake Segmind, one HOME and one tauri-driver; apps are launched from it
/// (twice to test a restart: same HOME, same keychain).
pub struct Env {
    pub fake: FakeSegmind,
    pub home: tempfile::TempDir,
    driver: Child,
    port: u16,
    pub log: PathBuf,
}

/// The locale every test runs in unless it asks for another.
pub const ENGLISH: &str = "C.UTF-8";

impl Env {
    pub async fn start(name: &str) -> Env {
        Self::start_with(name, Config::default()).await
    }

    pub async fn start_with(name: &str, config: Config) -> Env {
        Self::start_full(name, config, ENGLISH).await
    }

    /// The app as it starts on a computer set to `locale` (e.g. "zh_CN.UTF-8").
    pub async fn start_in_locale(name: &str, locale: &str) -> Env {
        Self::start_full(name, Config::default(), locale).await
    }

    async fn start_full(name: &str, config: Config, locale: &str) -> Env {
        // Timings left at the fake's defaults become long enough that the app's
        // 3 s polls see each phase; timings a test set are kept.
        let config =
            config.phases_unless_set(Duration::from_millis(1000), Duration::from_millis(3500));
        let fake = FakeSegmind::start(Config {
            api_key: KEY.into(),
            ..config
        })
        .await
        .unwrap();
        let home = tempfile::tempdir().unwrap();
        let port = free_port();
        let log = artifacts().join(format!("{name}.app.log"));
        let log_file = std::fs::File::create(&log).unwrap();
        let driver = Command::new(tool("tauri-driver"))
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &free_port().to_string(),
            ])
            .arg("--native-driver")
            .arg(tool("WebKitWebDriver"))
            // The app inherits this environment through the drivers.
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join(".config"))
            .env("XDG_DATA_HOME", home.path().join(".local/share"))
            .env("XDG_CACHE_HOME", home.path().join(".cache"))
            .env("SEGMIND_BASE_URL", fake.base_url())
            .env("SEGMIND_UPLOAD_URL", fake.upload_base_url())
            // The system's language, whatever the machine running the tests says.
            .env("LC_ALL", locale)
            .env("LANG", locale)
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .expect("tauri-driver starts");
        let env = Env {
            fake,
            home,
            driver,
            port,
            log,
        };
        wait_until(
            "tauri-driver to listen",
            Duration::from_secs(20),
            || async { TcpStream::connect(("127.0.0.1", port)).is_ok() },
        )
        .await;
        env
    }

    /// Starts the app and waits until its form is ready.
    pub async fn launch(&self) -> App {
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("wry"));
        caps.insert(
            "tauri:options".into(),
            json!({ "application": app_binary() }),
        );
        // After a killed app the driver may still count its session for a moment;
        // a driver just started may accept a connection before it answers on it
        // (CI once failed the first request of a test 0.2 s in).
        let started = Instant::now();
        let client = loop {
            let attempt =
                ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                    .capabilities(caps.clone())
                    .connect(&format!("http://127.0.0.1:{}", self.port))
                    .await;
            match attempt {
                Ok(client) => break client,
                Err(e)
                    if started.elapsed() < Duration::from_secs(20)
                        && (e.to_string().contains("active sessions")
                            || e.to_string().contains("did not respond")) =>
                {
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Err(e) => panic!("a WebDriver session with the app: {e}"),
            }
        };
        let app = App { client };
        wait_until("the page to load", Duration::from_secs(30), || async {
            app.js("return document.readyState === 'complete' && document.body.classList.contains('ready')", vec![])
                .await
                .as_bool()
                == Some(true)
        })
        .await;
        app
    }

    /// A folder of the creator's own files (recordings to make voices from).
    pub fn files_dir(&self) -> PathBuf {
        let dir = self.home.path().join("Recordings");
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Every file the app wrote under HOME, for "the key is nowhere on disk".
    pub fn files_under_home(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.push(path);
                }
            }
        }
        let mut out = Vec::new();
        walk(self.home.path(), &mut out);
        out
    }

    /// The app's library folder under this HOME.
    pub fn library_videos(&self) -> Vec<PathBuf> {
        self.library_files("mp4")
    }

    /// Files of the library's video folder with this extension (`part`: downloads
    /// under way).
    pub fn library_files(&self, extension: &str) -> Vec<PathBuf> {
        let dir = self
            .home
            .path()
            .join(".local/share/app.klingstudio.desktop/library/videos");
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == extension))
            .collect();
        files.sort();
        files
    }

    /// Kills the app like a crash or a power cut would (SIGKILL): the app process
    /// that our own tauri-driver started, found by walking /proc from its PID.
    pub fn kill_app(&self) {
        let apps = self.app_pids();
        assert_eq!(apps.len(), 1, "exactly one app process to kill");
        let status = Command::new("kill")
            .args(["-KILL", &apps[0].to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// The app processes our own tauri-driver started.
    pub fn app_pids(&self) -> Vec<u32> {
        let app = app_binary();
        descendants(self.driver.id())
            .into_iter()
            .filter(|pid| {
                std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == app)
            })
            .collect()
    }

    /// Asks the app's window to close as the window's close button does (an
    /// X11 WM_DELETE_WINDOW, through tests/scripts/app-window.py).
    pub fn ask_window_to_close(&self) {
        self.app_window(&["close"]);
    }

    /// Presses keys in the app's window as a person does (X input focus, then
    /// XTEST key events, through tests/scripts/app-window.py): "ctrl+q" reaches the
    /// app menu's accelerator, which WebDriver's key actions never do.
    pub fn press_keys(&self, combo: &str) {
        self.app_window(&["press", combo]);
    }

    fn app_window(&self, args: &[&str]) {
        let pids: Vec<String> = self.app_pids().iter().map(u32::to_string).collect();
        assert!(!pids.is_empty(), "an app window for {args:?}");
        let out = Command::new("/usr/bin/python3")
            .arg(workspace().join("tests/scripts/app-window.py"))
            .args(args)
            .args(&pids)
            .output()
            .expect("python3 with python3-xlib (tests/scripts/install-deps.sh)");
        assert!(
            out.status.success(),
            "app-window.py {args:?} found no window of {pids:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn posts(&self) -> usize {
        self.fake.count("POST", "/v2/kling-3-pro-text2video")
    }

    /// The app's output (through the drivers) and every file it wrote (its log
    /// files included): no key in any, nor any part of it longer than the last 4
    /// characters Settings shows. (A part that is only hex digits and dashes, like
    /// the key's "-7788", could be a piece of any job's uuid: it is not counted.)
    pub fn assert_key_written_nowhere(&self) {
        let key: Vec<char> = KEY.chars().collect();
        let parts: Vec<String> = (0..=key.len() - 5)
            .map(|start| key[start..start + 5].iter().collect::<String>())
            .filter(|part| !part.chars().all(|c| c.is_ascii_hexdigit() || c == '-'))
            .collect();
        let check = |text: &str, place: &str| {
            for part in &parts {
                assert!(
                    !text.contains(part.as_str()),
                    "{part:?} of the key is in {place}"
                );
            }
        };
        check(
            &std::fs::read_to_string(&self.log).unwrap(),
            "the app's output",
        );
        for file in self.files_under_home() {
            let bytes = std::fs::read(&file).unwrap_or_default();
            check(
                &String::from_utf8_lossy(&bytes),
                &file.display().to_string(),
            );
        }
    }

    /// Every line of the app's log files (the OS's log folder for the app).
    pub fn log_lines(&self) -> Vec<String> {
        let dir = self
            .home
            .path()
            .join(".local/share/app.klingstudio.desktop/logs");
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "log"))
            .collect();
        files.sort();
        files
            .iter()
            .flat_map(|f| {
                std::fs::read_to_string(f)
                    .unwrap_or_default()
                    .lines()
                    .map(String::from)
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

impl Env {
    /// The app's library folder under this HOME.
    pub fn library_dir(&self) -> PathBuf {
        self.home
            .path()
            .join(".local/share/app.klingstudio.desktop/library")
    }

    /// A job of an earlier run, waiting its turn (never sent): written the way the
    /// app writes its records.
    pub fn add_waiting_job(&self, id: &str, prompt: &str) {
        let jobs = self.library_dir().join("jobs");
        std::fs::create_dir_all(&jobs).unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        let record = json!({
            "id": id, "createdAtMs": now, "updatedAtMs": now,
            "request": { "prompt": prompt }, "status": "waiting",
        });
        std::fs::write(
            jobs.join(format!("{id}.json")),
            serde_json::to_vec_pretty(&record).unwrap(),
        )
        .unwrap();
    }

    /// A finished video of an earlier run: its record and the fake's clip (hard-linked
    /// from one copy, as a long library on disk would be, cheaply). `age_ms` back in
    /// time, so the newest-first order is known.
    pub fn add_ready_video(&self, id: &str, prompt: &str, age_ms: i64) {
        let library = self.library_dir();
        let (jobs, videos) = (library.join("jobs"), library.join("videos"));
        std::fs::create_dir_all(&jobs).unwrap();
        std::fs::create_dir_all(&videos).unwrap();
        let original = library.join("clip-original.mp4");
        if !original.exists() {
            std::fs::write(&original, FakeSegmind::clip()).unwrap();
        }
        std::fs::hard_link(&original, videos.join(format!("{id}.mp4"))).unwrap();
        let at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64
            - age_ms;
        let record = json!({
            "id": id, "createdAtMs": at, "updatedAtMs": at,
            "request": { "prompt": prompt }, "status": "ready",
            "requestId": format!("earlier-{id}"), "bytes": FakeSegmind::clip().len(),
        });
        std::fs::write(
            jobs.join(format!("{id}.json")),
            serde_json::to_vec_pretty(&record).unwrap(),
        )
        .unwrap();
    }

    /// A job record's status as the app last wrote it.
    pub fn job_status(&self, id: &str) -> Option<String> {
        let text = std::fs::read(self.library_dir().join(format!("jobs/{id}.json"))).ok()?;
        let value: Value = serde_json::from_slice(&text).ok()?;
        value["status"].as_str().map(String::from)
    }

    /// Starts a copy of the app directly, as a double click on a launcher does (no
    /// WebDriver: tauri-driver holds one session at a time). Same HOME, keychain,
    /// display and fake Segmind as the copies `launch` starts.
    pub fn spawn_app(&self, name: &str) -> DirectApp {
        let log = std::fs::File::create(artifacts().join(format!("{name}.app.log"))).unwrap();
        let child = Command::new(app_binary())
            .env("HOME", self.home.path())
            .env("XDG_CONFIG_HOME", self.home.path().join(".config"))
            .env("XDG_DATA_HOME", self.home.path().join(".local/share"))
            .env("XDG_CACHE_HOME", self.home.path().join(".cache"))
            .env("SEGMIND_BASE_URL", self.fake.base_url())
            .env("SEGMIND_UPLOAD_URL", self.fake.upload_base_url())
            .env("LC_ALL", ENGLISH)
            .env("LANG", ENGLISH)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("the app starts");
        DirectApp { child }
    }
}

/// A copy of the app this test started itself; ended with its WebKit helpers
/// when dropped.
pub struct DirectApp {
    pub child: Child,
}

impl DirectApp {
    /// Whether the process has ended (on its own).
    pub fn has_exited(&mut self) -> bool {
        self.child.try_wait().ok().flatten().is_some()
    }
}

impl Drop for DirectApp {
    fn drop(&mut self) {
        let below = descendants(self.child.id());
        let _ = self.child.kill();
        let _ = self.child.wait();
        for pid in below {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
    }
}

impl Drop for Env {
    /// Stops tauri-driver and everything it started (WebKitWebDriver, the app,
    /// WebKit's helpers): killed alone, its children would outlive the test.
    fn drop(&mut self) {
        let below = descendants(self.driver.id());
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        for pid in below {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
        // A failed test shows what the app logged: a CI run's artifacts may be gone.
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            let lines: Vec<&str> = log.lines().collect();
            let tail = lines[lines.len().saturating_sub(40)..].join("\n");
            eprintln!("--- the last lines of {}:\n{tail}", self.log.display());
        }
    }
}

pub struct App {
    pub client: Client,
}

pub fn testid(id: &str) -> String {
    format!("[data-testid='{id}']")
}

impl App {
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .expect("script runs")
    }

    pub async fn el(&self, id: &str) -> Element {
        self.client
            .find(Locator::Css(&testid(id)))
            .await
            .unwrap_or_else(|e| panic!("no element {id}: {e}"))
    }

    /// A property of the element found by test id, as text ("" when it is absent).
    async fn property(&self, id: &str, property: &str) -> String {
        self.js(
            "const e = document.querySelector(arguments[0]); return e ? String(e[arguments[1]] ?? '') : null",
            vec![json!(testid(id)), json!(property)],
        )
        .await
        .as_str()
        .unwrap_or("")
        .to_string()
    }

    /// The element's text, whether or not it is on screen.
    pub async fn text(&self, id: &str) -> String {
        self.property(id, "textContent").await
    }

    /// Whether the element is drawn. `checkVisibility` also knows the content of
    /// a closed `<details>`, which WebKit still gives a box (`getClientRects`
    /// alone called a field in a closed disclosure visible).
    pub async fn visible(&self, id: &str) -> bool {
        self.js(
            "const e = document.querySelector(arguments[0]); return !!e && e.checkVisibility({visibilityProperty: true}) && e.getClientRects().length > 0",
            vec![json!(testid(id))],
        )
        .await
        .as_bool()
            == Some(true)
    }

    /// The shape the form's frames say is chosen ("16:9"), or "" when none is.
    pub async fn shape(&self) -> String {
        self.js(
            "const r = document.querySelector(\"[data-testid='aspect-ratio'] input:checked\"); return r ? r.value : ''",
            vec![],
        )
        .await
        .as_str()
        .unwrap_or("")
        .to_string()
    }

    pub async fn value(&self, id: &str) -> String {
        self.property(id, "value").await
    }

    pub async fn wait_visible(&self, id: &str) {
        wait_until(&format!("{id} to show"), Duration::from_secs(20), || {
            self.visible(id)
        })
        .await;
    }

    pub async fn wait_text(&self, id: &str, needle: &str, limit: Duration) {
        let started = Instant::now();
        loop {
            let last = self.text(id).await;
            if last.contains(needle) {
                return;
            }
            assert!(
                started.elapsed() < limit,
                "{id} never said {needle:?}; it says {last:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn status(&self) -> String {
        self.js(
            "const e = document.querySelector(\"[data-testid='job-status']\"); return e ? e.getAttribute('data-status') : null",
            vec![],
        )
        .await
        .as_str()
        .unwrap_or("")
        .to_string()
    }

    /// A script's answer as a list of strings (nulls left out).
    async fn strings(&self, script: &str) -> Vec<String> {
        let value = self.js(script, vec![]).await;
        value
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect()
    }

    pub async fn field_errors(&self) -> Vec<String> {
        self.strings(
            "return [...document.querySelectorAll(\"[data-testid='field-error']\")].filter(e => e.textContent.trim() && e.getClientRects().length).map(e => e.getAttribute('data-field'))",
        )
        .await
    }

    /// Replaces a text field's content the way a person would: select all, type.
    pub async fn type_into(&self, id: &str, text: &str) {
        // The Generate bar is sticky at the bottom of the form: centre the field so
        // it is not under the bar, as a person would scroll it.
        self.js(
            "document.querySelector(arguments[0]).scrollIntoView({block: 'center'})",
            vec![json!(testid(id))],
        )
        .await;
        self.on_element(id, "clear", |el| async move { el.clear().await })
            .await;
        if !text.is_empty() {
            self.on_element(
                id,
                "type into",
                |el| async move { el.send_keys(text).await },
            )
            .await;
        }
        // WebDriver's clear() fires no input event in every engine; make sure the form hears it.
        self.js(
            "document.querySelector(arguments[0]).dispatchEvent(new Event('input', {bubbles: true}))",
            vec![json!(testid(id))],
        )
        .await;
    }

    /// Clicks an element, as a person would (see `on_element`).
    /// Chooses a file in the `<input type="file">` with this test id, as the
    /// system's file panel would.
    pub async fn choose_file(&self, id: &str, path: &std::path::Path) {
        self.el(id)
            .await
            .send_keys(path.to_str().unwrap())
            .await
            .unwrap();
    }

    /// Each history card's facts line ("Take 1 of 2 · 5 s · 16:9 · $3.00"), in order.
    pub async fn card_facts(&self) -> Vec<String> {
        self.strings("return [...document.querySelectorAll('.h-facts')].map(e => e.textContent)")
            .await
    }

    pub async fn click(&self, id: &str) {
        // As a person would: an element under the form's sticky footer (or
        // scrolled away) is scrolled to the middle first; WebDriver's own
        // scrolling stops once it is in the viewport, even if it is covered.
        self.js(
            "const e = document.querySelector(arguments[0]); if (!e) return; \
             const r = e.getBoundingClientRect(); \
             const top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2); \
             if (!top || !(e === top || e.contains(top))) e.scrollIntoView({ block: 'center', inline: 'nearest' });",
            vec![json!(testid(id))],
        )
        .await;
        self.on_element(
            id,
            "click",
            |el| async move { el.click().await.map(|_| ()) },
        )
        .await;
    }

    /// Runs a WebDriver action on the element with test id `id`, as a person
    /// would: once the page is still. A click is a press and a release at one
    /// point, and a message that arrives between them (a form check, a new price)
    /// moves what lies under that point, so the click is lost; seen in CI. So the
    /// action waits until no region is `aria-busy` and the element has not moved
    /// for a frame.
    ///
    /// WebKit also refuses an action when the element's centre does not hit-test
    /// to it. Then the action is tried again for up to 10 s; the first refusal
    /// prints where the element was and what lay on its centre (and saves a
    /// screenshot), so a cause is on record. An element that stays covered
    /// still fails, saying so.
    async fn on_element<T, F, Fut>(&self, id: &str, action: &str, mut act: F) -> T
    where
        F: FnMut(Element) -> Fut,
        Fut: std::future::Future<Output = Result<T, fantoccini::error::CmdError>>,
    {
        self.wait_still(id, action).await;
        let started = Instant::now();
        let mut refusals = 0;
        loop {
            let error = match act(self.el(id).await).await {
                Ok(done) => {
                    if refusals > 0 {
                        eprintln!("WARNING: {action} {id} succeeded after {refusals} refusal(s)");
                    }
                    return done;
                }
                Err(error) => error,
            };
            let refused = matches!(
                &error,
                fantoccini::error::CmdError::Standard(e)
                    if e.error == fantoccini::error::ErrorStatus::ElementNotInteractable
            );
            if !refused || started.elapsed() >= Duration::from_secs(10) {
                panic!(
                    "{action} {id} failed: {error:?}\n--- where it was: {}",
                    self.layout_of(id).await
                );
            }
            if refusals == 0 {
                eprintln!(
                    "WARNING: WebKit found {id} not interactable for {action}; trying again. Where it was: {}",
                    self.layout_of(id).await
                );
                self.screenshot(&format!("NOT-INTERACTABLE-{id}")).await;
            }
            refusals += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until no region of the page is `aria-busy` and the element's box is
    /// the same two frames apart. A page still busy after 10 s fails the test:
    /// a check or a price that never ends is a bug, not something to click past.
    async fn wait_still(&self, id: &str, action: &str) {
        let still = holds_within(Duration::from_secs(10), || async {
            self.client
                .execute_async(
                    "const [selector, done] = arguments; \
                     const box = () => { const e = document.querySelector(selector); \
                       if (!e) return ''; const r = e.getBoundingClientRect(); \
                       return [r.left, r.top, r.width, r.height].join(); }; \
                     const before = box(); \
                     requestAnimationFrame(() => requestAnimationFrame(() => \
                       done(!document.querySelector('[aria-busy=\"true\"]') && box() === before)))",
                    vec![json!(testid(id))],
                )
                .await
                .expect("a frame is painted")
                .as_bool()
                == Some(true)
        })
        .await;
        if !still {
            let busy = self
                .strings(
                    "return [...document.querySelectorAll('[aria-busy=\"true\"]')].map(e => e.id)",
                )
                .await;
            panic!("the page was not still for 10 s before {action} {id}; busy: {busy:?}");
        }
    }

    /// Where an element is and what lies on its centre: what WebKit's "not
    /// interactable" rests on, for a failure seen only on another machine.
    async fn layout_of(&self, id: &str) -> String {
        self.js(
            "const e = document.querySelector(arguments[0]); if (!e) return 'absent'; \
             const r = e.getBoundingClientRect(); \
             const name = (n) => n.tagName.toLowerCase() + (n.id ? '#' + n.id : '') + (n.dataset && n.dataset.testid ? '[' + n.dataset.testid + ']' : ''); \
             const hit = document.elementsFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2).slice(0, 5).map(name); \
             const details = [...document.querySelectorAll('details')].map(d => (d.id || '?') + '=' + (d.open ? 'open' : 'closed')); \
             return `box ${Math.round(r.left)},${Math.round(r.top)} ${Math.round(r.width)}x${Math.round(r.height)}, ${e.getClientRects().length} rect(s); \
             window ${innerWidth}x${innerHeight}, scrolled ${scrollX},${scrollY}; on its centre: [${hit.join(', ')}]; \
             details: ${details.join(' ')}; dialogs open: ${document.querySelectorAll('dialog[open]').length}; \
             focus: ${document.activeElement ? name(document.activeElement) : 'none'}; disabled: ${!!e.disabled}`",
            vec![json!(testid(id))],
        )
        .await
        .as_str()
        .unwrap_or("?")
        .to_string()
    }

    /// Chooses an option. WebKitWebDriver cannot click into GTK's native select
    /// popup, so the choice is made as the popup would: set the value, fire change.
    pub async fn select(&self, id: &str, value: &str) {
        let chosen = self
            .js(
                "const e = document.querySelector(arguments[0]); \
                 if (![...e.options].some(o => o.value === arguments[1])) return false; \
                 e.value = arguments[1]; e.dispatchEvent(new Event('input', {bubbles: true})); \
                 e.dispatchEvent(new Event('change', {bubbles: true})); return true",
                vec![json!(testid(id)), json!(value)],
            )
            .await;
        assert_eq!(chosen.as_bool(), Some(true), "{id} has no option {value}");
    }

    /// Waits until the page has painted its latest change (and run what it
    /// scheduled for the next frame, such as the history placing its cards).
    pub async fn next_frame(&self) {
        self.client
            .execute_async("const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done()))", vec![])
            .await
            .expect("a frame is painted");
    }

    pub async fn screenshot(&self, name: &str) {
        // A WebDriver screenshot is the last painted frame: let the latest change paint.
        self.next_frame().await;
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(artifacts().join(format!("{name}.png")), png).unwrap();
    }

    /// The whole page, for "the key is not here".
    pub async fn page_state(&self) -> String {
        self.js(
            "return document.documentElement.outerHTML + JSON.stringify(Object.assign({}, localStorage)) + JSON.stringify(Object.assign({}, sessionStorage)) + [...document.querySelectorAll('input,textarea')].map(e => e.value).join('|')",
            vec![],
        )
        .await
        .as_str()
        .unwrap_or("")
        .to_string()
    }

    pub async fn quit(self) {
        self.client.close().await.expect("the app closes");
    }

    /// Ends a session whose app was killed: the driver is told, so that it frees
    /// its one session slot; the app is already gone, so errors are expected.
    pub async fn abandon(self) {
        let _ = self.client.close().await;
    }

    /// Types a prompt and presses Generate once, as a creator does.
    pub async fn generate(&self, prompt: &str) {
        self.type_into("prompt", prompt).await;
        wait_until("the form to be valid", Duration::from_secs(10), || async {
            self.el("generate").await.is_enabled().await.unwrap()
        })
        .await;
        self.click("generate").await;
    }

    /// Waits until the stage's job shows `status` (its `data-status`).
    pub async fn wait_status(&self, status: &str, limit: Duration) {
        self.wait_for(&format!("the job to be {status}"), limit, || async {
            self.status().await == status
        })
        .await;
    }

    /// `wait_until`, and on a time-out the window as it was: a screenshot and the
    /// page's text in the artifacts (`FAILED-<what>.png/.txt`), for a failure
    /// seen only on another machine.
    pub async fn wait_for<F, Fut>(&self, what: &str, limit: Duration, check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        if holds_within(limit, check).await {
            return;
        }
        let name = format!(
            "FAILED-{}",
            what.replace(|c: char| !c.is_alphanumeric(), "-")
        );
        self.screenshot(&name).await;
        let text = self
            .js(
                "return document.body.innerText + '\\n---\\n' + document.title",
                vec![],
            )
            .await;
        let text = text.as_str().unwrap_or_default();
        let _ = std::fs::write(artifacts().join(format!("{name}.txt")), text);
        // The page's words in the failure itself: a CI run's artifacts may be gone.
        let shown: String = text.chars().take(2000).collect();
        panic!("timed out after {limit:?} waiting for: {what}\n--- the page said:\n{shown}");
    }

    /// Statuses of the history's cards, newest first.
    pub async fn history(&self) -> Vec<String> {
        self.strings("return [...document.querySelectorAll(\"[data-testid='history-item']\")].map(e => e.getAttribute('data-status'))")
            .await
    }
}
