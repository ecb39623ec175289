//! A file system for power-loss tests: it keeps everything in memory and, when
//! the test cuts the power, forgets whatever was not synced.
//!
//! Killing a process leaves the kernel's page cache alone, so a missing
//! `fsync` of a file or a directory goes unnoticed by a crash test. Mounted
//! with FUSE, [`TestFs`] sees every write and every sync and keeps two
//! states: what processes see, and what a disk would hold after a power cut.
//!
//! - `fsync`/`fdatasync` of a file makes its contents, size and attributes
//!   durable.
//! - `fsync` of a directory makes its entries durable, and with them the
//!   existence of the inodes they name: a file never synced survives empty, a
//!   directory never synced survives without entries.
//! - So a file written and synced, in a directory never synced, is gone after
//!   a cut; a renamed file keeps its old name until its old directory is
//!   synced (and has the new one too once the new directory is); an unlinked
//!   one comes back until its directory is synced.
//! - The root directory always exists; its entries are durable once synced
//!   like any other directory's.
//!
//! [`TestFs::cut_power`] unmounts (all processes using the mount must be
//! gone), keeps the durable state only, and mounts again: nothing of the old
//! state survives in the kernel's caches either. [`Faults`] turns the syncs of
//! files or directories below a path into no-ops, to show that a test notices
//! a missing sync.
//!
//! Linux only; needs `/dev/fuse` and root (the mount system call), or
//! `fusermount3`.

mod data;
mod durable;
mod fuse;
mod state;
mod tree;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use fuser::{BackgroundSession, Config, MountOption};

pub use durable::CutReport;
use fuse::Fs;
use state::State;
use tree::{Owner, Tree};

/// Syncs to ignore, to test that a missing sync is noticed. Paths are
/// relative to the mount point; a sync of a file with a name below
/// `ignore_file_fsync_under`, or of a directory that is or lies below
/// `ignore_dir_fsync_under`, succeeds without making anything durable.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    pub ignore_file_fsync_under: Option<PathBuf>,
    pub ignore_dir_fsync_under: Option<PathBuf>,
}

/// What the file system has seen since it was mounted first.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Syncs of files (`fsync`, `fdatasync`), ignored ones included.
    pub file_fsyncs: u64,
    /// Syncs of directories, ignored ones included.
    pub dir_fsyncs: u64,
    /// Syncs ignored as [`Faults`] asked.
    pub ignored_fsyncs: u64,
    /// Power cuts.
    pub cuts: u64,
    /// What the last cut took away.
    pub last_cut: CutReport,
}

fn check(faults: &Faults) -> io::Result<()> {
    for p in [
        &faults.ignore_file_fsync_under,
        &faults.ignore_dir_fsync_under,
    ]
    .into_iter()
    .flatten()
    {
        if durable::relative(p).is_none() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} is not a path relative to the mount point", p.display()),
            ));
        }
    }
    Ok(())
}

/// The mounted file system; unmounted when dropped.
pub struct TestFs {
    mountpoint: PathBuf,
    state: Arc<Mutex<State>>,
    session: Option<BackgroundSession>,
}

impl TestFs {
    /// Mounts an empty file system on the directory `mountpoint` (created
    /// if missing), served by a thread of this process.
    pub fn mount(mountpoint: impl AsRef<Path>) -> io::Result<Self> {
        Self::mount_with(mountpoint, Faults::default())
    }

    /// Like [`TestFs::mount`], ignoring the syncs that `faults` names.
    pub fn mount_with(mountpoint: impl AsRef<Path>, faults: Faults) -> io::Result<Self> {
        check(&faults)?;
        std::fs::create_dir_all(mountpoint.as_ref())?;
        let mountpoint = mountpoint.as_ref().canonicalize()?;
        let meta = std::fs::metadata(&mountpoint)?;
        let root = {
            use std::os::unix::fs::MetadataExt;
            Owner {
                perm: (meta.mode() & 0o7777) as u16,
                uid: meta.uid(),
                gid: meta.gid(),
            }
        };
        let state = Arc::new(Mutex::new(State::new(Tree::new(root), faults)));
        let mut fs = Self {
            mountpoint,
            state,
            session: None,
        };
        fs.session = Some(fs.spawn()?);
        Ok(fs)
    }

    fn spawn(&self) -> io::Result<BackgroundSession> {
        let mut config = Config::default();
        config.mount_options = vec![
            MountOption::FSName("akte-testfs".into()),
            MountOption::Subtype("akte-testfs".into()),
        ];
        let fs = Fs {
            state: Arc::clone(&self.state),
        };
        fuser::spawn_mount(fs, &self.mountpoint, &config).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "mounting the test file system (FUSE) on {}: {e}; it needs /dev/fuse and \
                     root, or fusermount3",
                    self.mountpoint.display()
                ),
            )
        })
    }

    /// The directory the file system is mounted on.
    pub fn path(&self) -> &Path {
        &self.mountpoint
    }

    /// From now on ignores the syncs that `faults` names (instead of those
    /// named so far): for faults in what a program does after it started.
    pub fn set_faults(&self, faults: Faults) -> io::Result<()> {
        check(&faults)?;
        self.lock().faults = faults;
        Ok(())
    }

    /// What the file system has seen so far.
    pub fn stats(&self) -> Stats {
        self.lock().stats.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Cuts the power: unmounts (every process using the file system must
    /// have ended; waits up to 10 s for the kernel to let go of it), drops
    /// everything not durable, and mounts again on the same directory.
    pub fn cut_power(&mut self) -> io::Result<CutReport> {
        self.unmount()?;
        let report = {
            let mut state = self.lock();
            let report = state.tree.cut();
            state.forget_handles();
            state.stats.cuts += 1;
            state.stats.last_cut = report.clone();
            report
        };
        self.session = Some(self.spawn()?);
        Ok(report)
    }

    fn unmount(&mut self) -> io::Result<()> {
        let Some(session) = self.session.take() else {
            return Ok(());
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match nix::mount::umount(&self.mountpoint) {
                Ok(()) => break,
                Err(nix::errno::Errno::EBUSY) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(e) => {
                    self.session = Some(session);
                    return Err(io::Error::other(format!(
                        "unmounting {}: {e} (still in use?)",
                        self.mountpoint.display()
                    )));
                }
            }
        }
        // Unmounted: the session's thread ends, its connection gone (ENODEV,
        // or ECONNABORTED when the kernel aborted it). Not
        // `umount_and_join`, which takes the ended connection for a mount.
        match session.join() {
            Err(e) if e.kind() != io::ErrorKind::ConnectionAborted => Err(e),
            _ => Ok(()),
        }
    }
}

impl Drop for TestFs {
    fn drop(&mut self) {
        if self.unmount().is_err() {
            // Still in use: detach it, so that the directory can go.
            let _ = nix::mount::umount2(&self.mountpoint, nix::mount::MntFlags::MNT_DETACH);
        }
    }
}
