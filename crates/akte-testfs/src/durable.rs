//! What survives a power cut. A file's sync makes its data, size and
//! attributes durable; a directory's sync makes its entries durable, and with
//! them the existence of the inodes they name (a file never synced survives
//! empty, a directory never synced survives without entries). The root
//! directory always exists. A cut keeps what is durable and reachable from
//! the root, and nothing else.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use fuser::Errno;

use crate::data::Data;
use crate::tree::{Body, Ino, Node, Tree, ROOT};

/// What a power cut took away, compared with what processes saw before it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CutReport {
    /// Bytes of files whose name survived with other contents, or whose name
    /// did not survive at all.
    pub lost_bytes: u64,
    /// Those files, relative to the mount point.
    pub lost_files: Vec<PathBuf>,
}

impl Tree {
    /// Makes `ino` durable: a file's contents, or a directory's entries.
    pub(crate) fn sync(&mut self, ino: Ino) -> Result<(), Errno> {
        let node = self.node(ino)?.clone();
        if let Body::Dir(entries) = &node.body {
            for child in entries.values() {
                if self.durable.contains_key(child) {
                    continue;
                }
                let mut placeholder = self.node(*child)?.clone();
                placeholder.body = match placeholder.body {
                    Body::File(_) => Body::File(Data::default()),
                    Body::Dir(_) => Body::Dir(BTreeMap::new()),
                };
                self.durable.insert(*child, placeholder);
            }
        }
        self.durable.insert(ino, node);
        Ok(())
    }

    /// Whether the directory `ino` is `top` or lies below it.
    pub(crate) fn dir_is_under(&self, mut ino: Ino, top: Ino) -> bool {
        loop {
            if ino == top {
                return true;
            }
            match self.current.get(&ino) {
                Some(n) if ino != ROOT => ino = n.parent,
                _ => return false,
            }
        }
    }

    /// Whether some name of the file `ino` lies below the directory `top`.
    pub(crate) fn file_is_under(&self, ino: Ino, top: Ino) -> bool {
        let mut stack = vec![top];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = self.entries(dir) else {
                continue;
            };
            for &child in entries.values() {
                if child == ino {
                    return true;
                }
                if self.current.get(&child).is_some_and(Node::is_dir) {
                    stack.push(child);
                }
            }
        }
        false
    }

    /// Cuts the power: the durable tree becomes the current one.
    pub(crate) fn cut(&mut self) -> CutReport {
        let survived = self.survivors();
        let mut report = CutReport::default();
        self.compare(
            ROOT,
            Some(ROOT),
            &survived,
            &mut PathBuf::new(),
            &mut report,
        );
        self.current = survived.clone();
        self.durable = survived;
        self.open.clear();
        report
    }

    /// The durable inodes reachable from the root, with their link counts;
    /// a directory with two durable names (moved, and only one of its
    /// directories synced) keeps the first one found.
    fn survivors(&self) -> HashMap<Ino, Node> {
        let mut out: HashMap<Ino, Node> = HashMap::new();
        let mut root = self.durable[&ROOT].clone();
        root.nlink = 2;
        root.parent = ROOT;
        out.insert(ROOT, root);
        let mut stack = vec![ROOT];
        while let Some(dir) = stack.pop() {
            let Body::Dir(entries) = &self.durable[&dir].body else {
                continue;
            };
            let mut kept = BTreeMap::new();
            let mut subdirs = 0;
            for (name, &child) in entries {
                let Some(node) = self.durable.get(&child) else {
                    continue;
                };
                if node.is_dir() {
                    if out.contains_key(&child) {
                        continue;
                    }
                    let mut n = node.clone();
                    n.parent = dir;
                    n.nlink = 2;
                    out.insert(child, n);
                    stack.push(child);
                    subdirs += 1;
                } else {
                    out.entry(child)
                        .or_insert_with(|| Node {
                            nlink: 0,
                            ..node.clone()
                        })
                        .nlink += 1;
                }
                kept.insert(name.clone(), child);
            }
            if let Some(d) = out.get_mut(&dir) {
                d.body = Body::Dir(kept);
                d.nlink += subdirs;
            }
        }
        out
    }

    /// Adds to `report` each file below the current directory `dir` that
    /// is not found with the same contents at the same path in `survived`.
    fn compare(
        &self,
        dir: Ino,
        survived_dir: Option<Ino>,
        survived: &HashMap<Ino, Node>,
        path: &mut PathBuf,
        report: &mut CutReport,
    ) {
        let Ok(entries) = self.entries(dir) else {
            return;
        };
        for (name, &child) in entries {
            let Some(node) = self.current.get(&child) else {
                continue;
            };
            let after = survived_dir
                .and_then(|d| match &survived.get(&d)?.body {
                    Body::Dir(e) => e.get(name).copied(),
                    Body::File(_) => None,
                })
                .and_then(|ino| Some((ino, survived.get(&ino)?)));
            path.push(name);
            match (&node.body, after) {
                (Body::Dir(_), after) => {
                    let d = after.filter(|(_, n)| n.is_dir()).map(|(ino, _)| ino);
                    self.compare(child, d, survived, path, report);
                }
                (Body::File(data), after) => {
                    let (lost, changed) = match after {
                        Some((
                            _,
                            Node {
                                body: Body::File(kept),
                                ..
                            },
                        )) => {
                            let lost = data.bytes_not_in(kept);
                            (lost, lost > 0 || data.len() != kept.len())
                        }
                        _ => (data.len(), true),
                    };
                    if changed {
                        report.lost_bytes += lost;
                        report.lost_files.push(path.clone());
                    }
                }
            }
            path.pop();
        }
    }
}

/// Where a path given relative to the mount point starts: absolute paths and
/// `..` are refused.
pub(crate) fn relative(path: &Path) -> Option<&Path> {
    let ok = path.components().all(|c| {
        matches!(
            c,
            std::path::Component::Normal(_) | std::path::Component::CurDir
        )
    });
    ok.then_some(path)
}
