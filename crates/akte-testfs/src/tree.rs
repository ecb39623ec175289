//! The file tree as processes see it (`current`), with the operations that
//! change it. What survives a power cut (`durable`) is kept beside it and
//! changed only by syncs (see `durable.rs`).

use std::collections::{BTreeMap, HashMap};
use std::ffi::{OsStr, OsString};
use std::time::SystemTime;

use fuser::Errno;

use crate::data::Data;

pub(crate) type Ino = u64;
pub(crate) const ROOT: Ino = 1;
const NAME_MAX: usize = 255;

#[derive(Clone, Debug)]
pub(crate) enum Body {
    File(Data),
    Dir(BTreeMap<OsString, Ino>),
}

#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub(crate) body: Body,
    pub(crate) perm: u16,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    pub(crate) atime: SystemTime,
    pub(crate) mtime: SystemTime,
    pub(crate) ctime: SystemTime,
    pub(crate) nlink: u32,
    /// For a directory, the directory that holds it (the root holds itself).
    pub(crate) parent: Ino,
}

impl Node {
    fn new(body: Body, perm: u16, uid: u32, gid: u32, parent: Ino) -> Self {
        let now = SystemTime::now();
        let nlink = if matches!(body, Body::Dir(_)) { 2 } else { 1 };
        Self {
            body,
            perm,
            uid,
            gid,
            atime: now,
            mtime: now,
            ctime: now,
            nlink,
            parent,
        }
    }

    pub(crate) fn is_dir(&self) -> bool {
        matches!(self.body, Body::Dir(_))
    }

    pub(crate) fn size(&self) -> u64 {
        match &self.body {
            Body::File(d) => d.len(),
            Body::Dir(e) => e.len() as u64,
        }
    }

    fn touch(&mut self) {
        let now = SystemTime::now();
        self.mtime = now;
        self.ctime = now;
    }
}

/// Who creates a file and with which permission bits.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Owner {
    pub(crate) perm: u16,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
}

#[derive(Debug)]
pub(crate) struct Tree {
    pub(crate) current: HashMap<Ino, Node>,
    pub(crate) durable: HashMap<Ino, Node>,
    /// Open handles per inode: an unlinked file lives on while open.
    pub(crate) open: HashMap<Ino, u32>,
    next_ino: Ino,
}

impl Tree {
    pub(crate) fn new(root: Owner) -> Self {
        let node = Node::new(
            Body::Dir(BTreeMap::new()),
            root.perm,
            root.uid,
            root.gid,
            ROOT,
        );
        Self {
            current: HashMap::from([(ROOT, node.clone())]),
            durable: HashMap::from([(ROOT, node)]),
            open: HashMap::new(),
            next_ino: ROOT + 1,
        }
    }

    pub(crate) fn node(&self, ino: Ino) -> Result<&Node, Errno> {
        self.current.get(&ino).ok_or(Errno::ENOENT)
    }

    pub(crate) fn node_mut(&mut self, ino: Ino) -> Result<&mut Node, Errno> {
        self.current.get_mut(&ino).ok_or(Errno::ENOENT)
    }

    pub(crate) fn entries(&self, dir: Ino) -> Result<&BTreeMap<OsString, Ino>, Errno> {
        match &self.node(dir)?.body {
            Body::Dir(e) => Ok(e),
            Body::File(_) => Err(Errno::ENOTDIR),
        }
    }

    fn entries_mut(&mut self, dir: Ino) -> Result<&mut BTreeMap<OsString, Ino>, Errno> {
        let node = self.node_mut(dir)?;
        node.touch();
        match &mut node.body {
            Body::Dir(e) => Ok(e),
            Body::File(_) => Err(Errno::ENOTDIR),
        }
    }

    fn data_mut(&mut self, ino: Ino) -> Result<&mut Data, Errno> {
        let node = self.node_mut(ino)?;
        node.touch();
        match &mut node.body {
            Body::File(d) => Ok(d),
            Body::Dir(_) => Err(Errno::EISDIR),
        }
    }

    pub(crate) fn lookup(&self, parent: Ino, name: &OsStr) -> Result<Ino, Errno> {
        self.entries(parent)?
            .get(name)
            .copied()
            .ok_or(Errno::ENOENT)
    }

    /// Creates an empty file (`dir` false) or directory in `parent`.
    pub(crate) fn create(
        &mut self,
        parent: Ino,
        name: &OsStr,
        dir: bool,
        owner: Owner,
    ) -> Result<Ino, Errno> {
        if name.len() > NAME_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        if self.entries(parent)?.contains_key(name) {
            return Err(Errno::EEXIST);
        }
        let ino = self.next_ino;
        self.next_ino += 1;
        let body = if dir {
            Body::Dir(BTreeMap::new())
        } else {
            Body::File(Data::default())
        };
        let node = Node::new(body, owner.perm, owner.uid, owner.gid, parent);
        self.current.insert(ino, node);
        self.entries_mut(parent)?.insert(name.to_owned(), ino);
        if dir {
            self.node_mut(parent)?.nlink += 1;
        }
        Ok(ino)
    }

    /// Drops an inode that has no name and no open handle.
    fn drop_if_unused(&mut self, ino: Ino) {
        let unused = self.current.get(&ino).is_some_and(|n| n.nlink == 0)
            && self.open.get(&ino).copied().unwrap_or(0) == 0;
        if unused {
            self.current.remove(&ino);
        }
    }

    /// Removes the entry `name` of `parent`, which names `ino`.
    fn remove_entry(&mut self, parent: Ino, name: &OsStr, ino: Ino) -> Result<(), Errno> {
        self.entries_mut(parent)?.remove(name);
        let node = self.node_mut(ino)?;
        node.ctime = SystemTime::now();
        if node.is_dir() {
            node.nlink = 0;
            self.node_mut(parent)?.nlink -= 1;
        } else {
            node.nlink -= 1;
        }
        self.drop_if_unused(ino);
        Ok(())
    }

    pub(crate) fn unlink(&mut self, parent: Ino, name: &OsStr) -> Result<(), Errno> {
        let ino = self.lookup(parent, name)?;
        if self.node(ino)?.is_dir() {
            return Err(Errno::EISDIR);
        }
        self.remove_entry(parent, name, ino)
    }

    pub(crate) fn rmdir(&mut self, parent: Ino, name: &OsStr) -> Result<(), Errno> {
        let ino = self.lookup(parent, name)?;
        if !self.entries(ino)?.is_empty() {
            return Err(Errno::ENOTEMPTY);
        }
        self.remove_entry(parent, name, ino)
    }

    /// A hard link `newname` in `newparent` to the file `ino`.
    pub(crate) fn link(&mut self, ino: Ino, newparent: Ino, newname: &OsStr) -> Result<(), Errno> {
        if self.node(ino)?.is_dir() {
            return Err(Errno::EPERM);
        }
        if newname.len() > NAME_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        if self.entries(newparent)?.contains_key(newname) {
            return Err(Errno::EEXIST);
        }
        self.entries_mut(newparent)?.insert(newname.to_owned(), ino);
        let node = self.node_mut(ino)?;
        node.nlink += 1;
        node.ctime = SystemTime::now();
        Ok(())
    }

    pub(crate) fn rename(
        &mut self,
        parent: Ino,
        name: &OsStr,
        newparent: Ino,
        newname: &OsStr,
        noreplace: bool,
    ) -> Result<(), Errno> {
        let ino = self.lookup(parent, name)?;
        self.entries(newparent)?;
        if newname.len() > NAME_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        let is_dir = self.node(ino)?.is_dir();
        if is_dir {
            // Not into itself or below.
            let mut p = newparent;
            loop {
                if p == ino {
                    return Err(Errno::EINVAL);
                }
                if p == ROOT {
                    break;
                }
                p = self.node(p)?.parent;
            }
        }
        if let Ok(target) = self.lookup(newparent, newname) {
            if noreplace {
                return Err(Errno::EEXIST);
            }
            if target == ino {
                return Ok(());
            }
            match (&self.node(target)?.body, is_dir) {
                (Body::Dir(e), true) if !e.is_empty() => return Err(Errno::ENOTEMPTY),
                (Body::File(_), true) => return Err(Errno::ENOTDIR),
                (Body::Dir(_), false) => return Err(Errno::EISDIR),
                _ => {}
            }
            self.remove_entry(newparent, newname, target)?;
        }
        self.entries_mut(parent)?.remove(name);
        self.entries_mut(newparent)?.insert(newname.to_owned(), ino);
        let node = self.node_mut(ino)?;
        node.ctime = SystemTime::now();
        if is_dir {
            node.parent = newparent;
            if parent != newparent {
                self.node_mut(parent)?.nlink -= 1;
                self.node_mut(newparent)?.nlink += 1;
            }
        }
        Ok(())
    }

    pub(crate) fn opened(&mut self, ino: Ino) -> Result<(), Errno> {
        self.node(ino)?;
        *self.open.entry(ino).or_default() += 1;
        Ok(())
    }

    pub(crate) fn closed(&mut self, ino: Ino) {
        if let Some(n) = self.open.get_mut(&ino) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.open.remove(&ino);
            }
        }
        self.drop_if_unused(ino);
    }

    pub(crate) fn write(&mut self, ino: Ino, offset: u64, bytes: &[u8]) -> Result<(), Errno> {
        self.data_mut(ino)?.write(offset, bytes);
        Ok(())
    }

    pub(crate) fn read(&self, ino: Ino, offset: u64, size: usize) -> Result<Vec<u8>, Errno> {
        match &self.node(ino)?.body {
            Body::File(d) => Ok(d.read(offset, size)),
            Body::Dir(_) => Err(Errno::EISDIR),
        }
    }

    pub(crate) fn set_size(&mut self, ino: Ino, size: u64) -> Result<(), Errno> {
        self.data_mut(ino)?.set_len(size);
        Ok(())
    }

    /// Reserves space: only the size can change (`keep_size` false), since
    /// nothing is allocated here.
    pub(crate) fn fallocate(&mut self, ino: Ino, end: u64, keep_size: bool) -> Result<(), Errno> {
        let data = self.data_mut(ino)?;
        if !keep_size && end > data.len() {
            data.set_len(end);
        }
        Ok(())
    }

    /// The inode at `path` (relative to the root), if any.
    pub(crate) fn resolve(&self, path: &std::path::Path) -> Option<Ino> {
        let mut ino = ROOT;
        for part in path.components() {
            match part {
                std::path::Component::Normal(name) => ino = self.lookup(ino, name).ok()?,
                std::path::Component::CurDir | std::path::Component::RootDir => {}
                _ => return None,
            }
        }
        Some(ino)
    }
}
