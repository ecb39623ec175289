//! Support for the end-to-end tests: start the real `akte` binary on a free
//! loopback port with its own data directory, and connect to it over gRPC.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context};
use tonic::transport::Channel;

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
    pub data_dir: PathBuf,
    config: Option<PathBuf>,
}

impl Server {
    /// Starts a server on `data_dir`, with an optional configuration file text.
    pub fn start(data_dir: &Path, config: Option<&str>) -> anyhow::Result<Self> {
        let config_path = match config {
            Some(text) => {
                let p = data_dir.with_extension("toml");
                std::fs::write(&p, text)?;
                Some(p)
            }
            None => None,
        };
        Self::spawn(data_dir, config_path)
    }

    fn spawn(data_dir: &Path, config: Option<PathBuf>) -> anyhow::Result<Self> {
        let mut cmd = Command::new(akte_bin());
        cmd.arg("serve")
            .arg("--listen")
            .arg("127.0.0.1:0")
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
        BufReader::new(stdout).read_line(&mut line)?;
        let Some(addr) = line.trim().strip_prefix("akte listening on ") else {
            let _ = child.kill();
            bail!("akte serve did not start: {line:?}");
        };
        Ok(Self {
            addr: format!("http://{addr}"),
            child,
            data_dir: data_dir.to_path_buf(),
            config,
        })
    }

    pub async fn channel(&self) -> anyhow::Result<Channel> {
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
        Self::spawn(&self.data_dir.clone(), self.config.take())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}
