//! Runs the fake Segmind by hand or from a non-Rust test harness:
//! `fake-segmind --port 8787`, then point the app at http://127.0.0.1:8787.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use fake_segmind::{Config, FakeSegmind};

const DEFAULT_PORT: u16 = 8787;

const USAGE: &str = "\
Usage: fake-segmind [options]

A local stand-in for Segmind's Kling 3.0 Pro text-to-video API.
Admin API under /_fake/ (see the crate docs); a prompt containing [fail] fails its job.

Options:
  --port P              API port (default 8787; 0 picks a free one)
  --file-port Q         port of the origin serving output files (default P+1)
  --upload-port R       port of the asset store clips are uploaded to (default P+2)
  --api-key K           the accepted x-api-key (default sk-test)
  --credits N           starting balance (default 100)
  --cost N              price of a job (default 3)
  --queued-ms MS        time a job stays QUEUED (default 300)
  --processing-ms MS    time a job then stays PROCESSING (default 700)
  --record-ttl-ms MS    how long finished job records last (default 3600000)
  -h, --help            print this help";

#[tokio::main]
async fn main() -> ExitCode {
    let config = match parse(std::env::args().skip(1)) {
        Ok(Some(config)) => config,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("fake-segmind: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let api_key = config.api_key.clone();
    let fake = match FakeSegmind::start(config).await {
        Ok(fake) => fake,
        Err(e) => {
            eprintln!("fake-segmind: cannot listen: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Harnesses wait for this exact line before connecting.
    println!(
        "fake-segmind listening on {} (files on {}, uploads on {}, api key {api_key})",
        fake.base_url(),
        fake.file_base_url(),
        fake.upload_base_url()
    );
    let _ = std::io::stdout().flush();
    stopped().await;
    fake.shutdown();
    ExitCode::SUCCESS
}

/// Resolves on Ctrl-C, or SIGTERM where there is one (how harnesses stop children).
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// The config from the arguments, or `None` for `--help`. Accepts `--flag value` and `--flag=value`.
fn parse(mut args: impl Iterator<Item = String>) -> Result<Option<Config>, String> {
    let mut config = Config {
        port: DEFAULT_PORT,
        ..Config::default()
    };
    while let Some(arg) = args.next() {
        if arg == "-h" || arg == "--help" {
            return Ok(None);
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
            None => (arg, None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--port" => config.port = number(&flag, &value()?)?,
            "--file-port" => config.file_port = Some(number(&flag, &value()?)?),
            "--upload-port" => config.upload_port = Some(number(&flag, &value()?)?),
            "--api-key" => config.api_key = value()?,
            "--credits" => config.credits = number(&flag, &value()?)?,
            "--cost" => config.cost_per_job = number(&flag, &value()?)?,
            "--queued-ms" => config.queued = millis(&flag, &value()?)?,
            "--processing-ms" => config.processing = millis(&flag, &value()?)?,
            "--record-ttl-ms" => config.record_ttl = millis(&flag, &value()?)?,
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }
    Ok(Some(config))
}

fn number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{flag}: {value:?} is not a valid number"))
}

fn millis(flag: &str, value: &str) -> Result<Duration, String> {
    number(flag, value).map(Duration::from_millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> impl Iterator<Item = String> + '_ {
        s.split_whitespace().map(str::to_owned)
    }

    #[test]
    fn parses_flags() {
        let c = parse(args("--port 9000 --api-key=k --credits 2.5 --queued-ms 10"))
            .unwrap()
            .unwrap();
        assert_eq!((c.port, c.file_port, c.api_key.as_str()), (9000, None, "k"));
        assert_eq!((c.credits, c.queued), (2.5, Duration::from_millis(10)));
        assert!(parse(args("--help")).unwrap().is_none());
        assert!(parse(args("--port")).is_err());
        assert!(parse(args("--port x")).is_err());
        assert!(parse(args("--bogus 1")).is_err());
    }
}
