//! Support for the end-to-end tests: start the real `akte` binary on a free
//! loopback port with its own data directory, and connect to it over gRPC;
//! drive its web UI in a real browser ([`browser`]).

pub mod browser;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context};
use tonic::metadata::AsciiMetadataValue;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// Sends a bearer token with every call.
#[derive(Clone)]
pub struct Bearer(pub Option<AsciiMetadataValue>);

impl tonic::service::Interceptor for Bearer {
    fn call(&mut self, mut req: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(v) = &self.0 {
            req.metadata_mut().insert("authorization", v.clone());
        }
        Ok(req)
    }
}

/// A connection whose calls carry a token.
pub type Conn = InterceptedService<Channel, Bearer>;

/// `channel` with `token` on every call (none: no credentials).
pub fn with_token(channel: Channel, token: Option<&str>) -> Conn {
    let value = token.map(|t| {
        AsciiMetadataValue::try_from(format!("Bearer {}", t.trim())).expect("token is ASCII")
    });
    InterceptedService::new(channel, Bearer(value))
}

/// The `akte` binary of the same build as the running test or benchmark
/// (built with `cargo build --bin akte`); `AKTE_BIN` overrides.
pub fn akte_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("AKTE_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("executable path");
    // target/<profile>/deps/<test> or target/<profile>/<bench> -> target/<profile>/akte
    let candidates: Vec<PathBuf> = exe
        .ancestors()
        .skip(1)
        .take(2)
        .map(|d| d.join("akte"))
        .collect();
    let bin = candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "{} is missing: build it first with `cargo build --bin akte`",
                candidates
                    .last()
                    .map_or_else(String::new, |p| p.display().to_string())
            )
        });
    bin
}

/// A running `akte serve`; killed when dropped.
pub struct Server {
    child: Child,
    pub addr: String,
    /// Lines the server printed after the first two (the web interface's
    /// address and login link), read as they come so the pipe stays open.
    printed: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    pub data_dir: PathBuf,
    config: Option<PathBuf>,
    /// `--web-listen`: where the web interface listens.
    web_listen: String,
}

impl Server {
    /// Starts a server on `data_dir`, with an optional configuration file text.
    pub fn start(data_dir: &Path, config: Option<&str>) -> anyhow::Result<Self> {
        Self::start_with_web_listen(data_dir, config, "127.0.0.1:0")
    }

    /// Like [`Server::start`], with the web interface on `web_listen` (e.g.
    /// `127.0.0.1:41234`, for a redirect URI registered at an identity
    /// provider beforehand) rather than on a free port of its choosing.
    pub fn start_with_web_listen(
        data_dir: &Path,
        config: Option<&str>,
        web_listen: &str,
    ) -> anyhow::Result<Self> {
        let config_path = match config {
            Some(text) => {
                let p = data_dir.with_extension("toml");
                std::fs::write(&p, text)?;
                Some(p)
            }
            None => None,
        };
        Self::spawn(data_dir, config_path, web_listen.to_owned())
    }

    fn spawn(data_dir: &Path, config: Option<PathBuf>, web_listen: String) -> anyhow::Result<Self> {
        let mut cmd = Command::new(akte_bin());
        cmd.arg("serve")
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--web-listen")
            .arg(&web_listen)
            .arg("--data-dir")
            .arg(data_dir)
            .env(
                "RUST_LOG",
                std::env::var("AKTE_E2E_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .env_remove("AKTE_CONFIG")
            .env_remove("AKTE_STORAGE_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some(c) = &config {
            cmd.arg("--config").arg(c);
        }
        let mut child = cmd.spawn().context("starting akte serve")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut line = String::new();
        let mut stdout = BufReader::new(stdout);
        stdout.read_line(&mut line)?;
        // The next line names the admin token file; reading it means the
        // token is there.
        let mut token_line = String::new();
        stdout.read_line(&mut token_line)?;
        let Some(addr) = line.trim().strip_prefix("akte listening on ") else {
            let _ = child.kill();
            bail!("akte serve did not start: {line:?}");
        };
        let printed = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        {
            let printed = std::sync::Arc::clone(&printed);
            std::thread::spawn(move || {
                for line in stdout.lines() {
                    let Ok(line) = line else { break };
                    if let Ok(mut p) = printed.lock() {
                        p.push(line);
                    }
                }
            });
        }
        Ok(Self {
            addr: format!("http://{addr}"),
            printed,
            child,
            data_dir: data_dir.to_path_buf(),
            config,
            web_listen,
        })
    }

    /// A connection that calls as the server's administrator (the admin
    /// token it writes at start).
    pub async fn channel(&self) -> anyhow::Result<Conn> {
        let token =
            std::fs::read_to_string(self.admin_token_file()).context("reading the admin token")?;
        Ok(with_token(self.raw_channel().await?, Some(&token)))
    }

    /// A connection that calls with `token`.
    pub async fn channel_as(&self, token: &str) -> anyhow::Result<Conn> {
        Ok(with_token(self.raw_channel().await?, Some(token)))
    }

    /// Where the server keeps the admin token.
    pub fn admin_token_file(&self) -> PathBuf {
        self.data_dir.join("admin.token")
    }

    /// Mints a token with the server's key: `akte token issue` with `args`
    /// (e.g. `["--sub", "anna", "--role", "caseworker", "--site", "Nord"]`).
    pub fn token(&self, args: &[&str]) -> anyhow::Result<String> {
        let out = Command::new(akte_bin())
            .args(["token", "issue", "--data-dir"])
            .arg(&self.data_dir)
            .args(args)
            .env_remove("AKTE_CONFIG")
            .output()?;
        if !out.status.success() {
            bail!("akte token issue: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(String::from_utf8(out.stdout)?.trim().to_owned())
    }

    /// A connection without credentials.
    pub async fn raw_channel(&self) -> anyhow::Result<Channel> {
        let mut last = None;
        for _ in 0..50 {
            match Channel::from_shared(self.addr.clone())?.connect().await {
                Ok(c) => return Ok(c),
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(last.map_or_else(|| anyhow::anyhow!("no connection"), Into::into))
    }

    /// The first line the server printed that starts with `prefix`, without
    /// it; waits up to 30 s for it.
    pub fn printed(&self, prefix: &str) -> anyhow::Result<String> {
        let until = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(found) = self.printed.lock().ok().and_then(|p| {
                p.iter()
                    .find_map(|l| l.strip_prefix(prefix).map(|s| s.trim().to_owned()))
            }) {
                return Ok(found);
            }
            if std::time::Instant::now() > until {
                bail!("akte serve did not print {prefix:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Address of the web interface (e.g. `http://127.0.0.1:41234`).
    pub fn web_url(&self) -> anyhow::Result<String> {
        self.printed("web interface on ")
    }

    /// The one-time login link for the local admin that the server printed.
    pub fn login_link(&self) -> anyhow::Result<String> {
        self.printed("log in once as the local admin (valid 10 minutes): ")
    }

    /// Process id of the server.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory of the server process, in bytes (Linux).
    pub fn rss_bytes(&self) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))?;
        let kb: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .context("no VmRSS in /proc/PID/status")?;
        Ok(kb * 1024)
    }

    /// Kills the process with SIGKILL (no shutdown work at all).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Kills the server and starts it again on the same data directory.
    pub fn restart(mut self) -> anyhow::Result<Self> {
        self.kill();
        Self::spawn(
            &self.data_dir.clone(),
            self.config.take(),
            std::mem::take(&mut self.web_listen),
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}
