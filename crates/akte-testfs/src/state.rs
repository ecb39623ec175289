//! The state behind the mount: the tree, the counters, the faults to
//! inject, and the open directories' listings.

use std::collections::HashMap;
use std::ffi::OsString;
use std::time::SystemTime;

use fuser::{Errno, FileAttr, FileType, INodeNo, Request, TimeOrNow};

use crate::tree::{Body, Ino, Node, Owner, Tree};
use crate::{Faults, Stats};

pub(crate) struct State {
    pub(crate) tree: Tree,
    pub(crate) stats: Stats,
    pub(crate) faults: Faults,
    /// Listings of open directories, taken when opened, so that removing
    /// entries while reading a directory skips none.
    pub(crate) listings: HashMap<u64, Vec<(Ino, FileType, OsString)>>,
    next_fh: u64,
}

impl State {
    pub(crate) fn new(tree: Tree, faults: Faults) -> Self {
        Self {
            tree,
            stats: Stats::default(),
            faults,
            listings: HashMap::new(),
            next_fh: 1,
        }
    }

    /// Forgets open handles (the mount they belonged to is gone).
    pub(crate) fn forget_handles(&mut self) {
        self.listings.clear();
    }

    pub(crate) fn handle(&mut self) -> u64 {
        self.next_fh += 1;
        self.next_fh
    }

    /// Whether a sync of `ino` is to be ignored (see [`Faults`]).
    fn ignored(&self, ino: Ino, dir: bool) -> bool {
        let under = if dir {
            &self.faults.ignore_dir_fsync_under
        } else {
            &self.faults.ignore_file_fsync_under
        };
        let Some(top) = under.as_deref().and_then(|p| self.tree.resolve(p)) else {
            return false;
        };
        if dir {
            self.tree.dir_is_under(ino, top)
        } else {
            self.tree.file_is_under(ino, top)
        }
    }

    pub(crate) fn sync(&mut self, ino: Ino) -> Result<(), Errno> {
        let dir = self.tree.node(ino)?.is_dir();
        if dir {
            self.stats.dir_fsyncs += 1;
        } else {
            self.stats.file_fsyncs += 1;
        }
        if self.ignored(ino, dir) {
            self.stats.ignored_fsyncs += 1;
            return Ok(());
        }
        self.tree.sync(ino)
    }

    pub(crate) fn attr(&self, ino: Ino) -> Result<FileAttr, Errno> {
        Ok(attr(ino, self.tree.node(ino)?))
    }

    /// Opens the directory `ino`: a handle to its listing as it is now.
    pub(crate) fn open_dir(&mut self, ino: Ino) -> Result<u64, Errno> {
        let node = self.tree.node(ino)?;
        let Body::Dir(entries) = &node.body else {
            return Err(Errno::ENOTDIR);
        };
        let mut list = vec![
            (ino, FileType::Directory, OsString::from(".")),
            (node.parent, FileType::Directory, OsString::from("..")),
        ];
        list.extend(entries.iter().map(|(n, &c)| (c, self.kind(c), n.clone())));
        self.tree.opened(ino)?;
        let fh = self.handle();
        self.listings.insert(fh, list);
        Ok(fh)
    }

    fn kind(&self, ino: Ino) -> FileType {
        match self.tree.current.get(&ino) {
            Some(n) if n.is_dir() => FileType::Directory,
            _ => FileType::RegularFile,
        }
    }
}

pub(crate) fn attr(ino: Ino, n: &Node) -> FileAttr {
    let size = n.size();
    FileAttr {
        ino: INodeNo(ino),
        size,
        blocks: size.div_ceil(512),
        atime: n.atime,
        mtime: n.mtime,
        ctime: n.ctime,
        crtime: n.ctime,
        kind: if n.is_dir() {
            FileType::Directory
        } else {
            FileType::RegularFile
        },
        perm: n.perm,
        nlink: n.nlink,
        uid: n.uid,
        gid: n.gid,
        rdev: 0,
        blksize: 4096,
        flags: 0,
    }
}

pub(crate) fn owner(req: &Request, mode: u32, umask: u32) -> Owner {
    Owner {
        perm: (mode & !umask & 0o7777) as u16,
        uid: req.uid(),
        gid: req.gid(),
    }
}

pub(crate) fn time(t: TimeOrNow) -> SystemTime {
    match t {
        TimeOrNow::SpecificTime(t) => t,
        TimeOrNow::Now => SystemTime::now(),
    }
}
