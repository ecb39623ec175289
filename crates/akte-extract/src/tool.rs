//! Running external programs (poppler-utils, tesseract) with a time limit.

use std::io::Read;
use std::process::{Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::Duration;

use wait_timeout::ChildExt;

/// At most this much of a tool's standard error is kept (the rest is read
/// and dropped).
const MAX_STDERR: usize = 64 * 1024;

/// What a finished tool left.
#[derive(Debug)]
pub(crate) struct ToolOutput {
    pub status: ExitStatus,
    /// Standard output, cut off after the `max_output` bytes asked for.
    pub stdout: Vec<u8>,
    /// Standard error (lossy UTF-8), cut off after 64 KiB.
    pub stderr: String,
}

impl ToolOutput {
    /// The first line of standard error that reports an error, else the
    /// first non-empty line, else `fallback`.
    pub fn error_line(&self, fallback: &str) -> String {
        self.stderr_line().unwrap_or(fallback).to_owned()
    }

    /// The first line of standard error that reports an error, else the
    /// first non-empty line, if there is one.
    pub fn stderr_line(&self) -> Option<&str> {
        let mut lines = self.stderr.lines().map(str::trim).filter(|l| !l.is_empty());
        let first = lines.clone().next();
        lines
            .find(|l| l.to_ascii_lowercase().contains("error"))
            .or(first)
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum ToolError {
    #[error("the program is not installed")]
    NotFound,
    #[error("the program did not finish within {0:?}")]
    TimedOut(Duration),
    #[error("running the program: {0}")]
    Io(#[from] std::io::Error),
}

/// Runs `cmd` (standard input closed), collects its output and waits at most
/// `timeout` for it to exit; a program still running then is killed. Output
/// beyond `max_output` bytes is read and dropped, so the program never blocks
/// on a full pipe.
pub(crate) fn run_tool(
    cmd: &mut Command,
    timeout: Duration,
    max_output: usize,
) -> Result<ToolOutput, ToolError> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(ToolError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let stdout = child.stdout.take().map(|s| drain(s, max_output));
    let stderr = child.stderr.take().map(|s| drain(s, MAX_STDERR));
    let waited = child.wait_timeout(timeout);
    let status = match waited {
        Ok(Some(status)) => status,
        Ok(None) | Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            // The pipes are closed now: the reader threads end.
            let _ = stdout.map(JoinHandle::join);
            let _ = stderr.map(JoinHandle::join);
            return match waited {
                Err(e) => Err(e.into()),
                _ => Err(ToolError::TimedOut(timeout)),
            };
        }
    };
    let stdout = join(stdout)?;
    let stderr = String::from_utf8_lossy(&join(stderr)?).into_owned();
    Ok(ToolOutput {
        status,
        stdout,
        stderr,
    })
}

/// Reads `pipe` to its end in a thread, keeping the first `max` bytes.
fn drain<R: Read + Send + 'static>(
    mut pipe: R,
    max: usize,
) -> JoinHandle<std::io::Result<Vec<u8>>> {
    std::thread::spawn(move || {
        let mut out = Vec::new();
        (&mut pipe)
            .take(u64::try_from(max).unwrap_or(u64::MAX))
            .read_to_end(&mut out)?;
        std::io::copy(&mut pipe, &mut std::io::sink())?;
        Ok(out)
    })
}

fn join(reader: Option<JoinHandle<std::io::Result<Vec<u8>>>>) -> Result<Vec<u8>, ToolError> {
    match reader {
        None => Ok(Vec::new()),
        Some(handle) => handle
            .join()
            .map_err(|_| std::io::Error::other("output reader thread failed"))?
            .map_err(ToolError::Io),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_output_and_status() {
        let out = run_tool(
            Command::new("sh").args(["-c", "echo hello; echo 'Error: bad' >&2; exit 3"]),
            Duration::from_secs(10),
            3,
        )
        .unwrap();
        assert_eq!(out.status.code(), Some(3));
        assert_eq!(out.stdout, b"hel");
        assert_eq!(out.error_line("x"), "Error: bad");
    }

    #[test]
    fn kills_on_timeout_and_reports_missing_programs() {
        let started = std::time::Instant::now();
        assert!(matches!(
            run_tool(
                Command::new("sleep").arg("10"),
                Duration::from_millis(50),
                10
            ),
            Err(ToolError::TimedOut(_))
        ));
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(matches!(
            run_tool(
                &mut Command::new("akte-no-such-program"),
                Duration::from_secs(1),
                10
            ),
            Err(ToolError::NotFound)
        ));
    }
}
