//! File contents as shared pages: a synced copy and the live file share every
//! page until one of them is written, so a sync costs no copy and a write
//! after a sync copies only the pages it touches.

use std::sync::Arc;

const PAGE: usize = 64 * 1024;

/// The bytes of a file. Page `i` holds bytes `i * PAGE ..`; every page but
/// the last is full.
#[derive(Clone, Debug, Default)]
pub(crate) struct Data {
    pages: Vec<Arc<Vec<u8>>>,
    len: u64,
}

fn page_of(pos: u64) -> (usize, usize) {
    ((pos / PAGE as u64) as usize, (pos % PAGE as u64) as usize)
}

impl Data {
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Truncates, or extends with zeros.
    pub(crate) fn set_len(&mut self, len: u64) {
        if len < self.len {
            let pages = len.div_ceil(PAGE as u64) as usize;
            self.pages.truncate(pages);
            if let Some(last) = self.pages.last_mut() {
                let keep = (len - (pages as u64 - 1) * PAGE as u64) as usize;
                if last.len() > keep {
                    Arc::make_mut(last).truncate(keep);
                }
            }
        } else {
            let mut at = self.len;
            while at < len {
                let (index, _) = page_of(at);
                if index == self.pages.len() {
                    self.pages.push(Arc::default());
                }
                let page_end = len.min((index as u64 + 1) * PAGE as u64);
                let page_len = (page_end - index as u64 * PAGE as u64) as usize;
                Arc::make_mut(&mut self.pages[index]).resize(page_len, 0);
                at = page_end;
            }
        }
        self.len = len;
    }

    pub(crate) fn write(&mut self, offset: u64, bytes: &[u8]) {
        let end = offset + bytes.len() as u64;
        if end > self.len {
            self.set_len(end);
        }
        let mut at = offset;
        let mut rest = bytes;
        while !rest.is_empty() {
            let (index, within) = page_of(at);
            let n = rest.len().min(PAGE - within);
            Arc::make_mut(&mut self.pages[index])[within..within + n].copy_from_slice(&rest[..n]);
            at += n as u64;
            rest = &rest[n..];
        }
    }

    pub(crate) fn read(&self, offset: u64, size: usize) -> Vec<u8> {
        let end = self.len.min(offset.saturating_add(size as u64));
        let mut out = Vec::with_capacity(end.saturating_sub(offset) as usize);
        let mut at = offset;
        while at < end {
            let (index, within) = page_of(at);
            let page = &self.pages[index];
            let n = page.len().min(within + (end - at) as usize) - within;
            out.extend_from_slice(&page[within..within + n]);
            at += n as u64;
        }
        out
    }

    /// Bytes of `self` that `other` does not hold at the same place (pages
    /// not shared with it; a page written with the same bytes counts too).
    pub(crate) fn bytes_not_in(&self, other: &Data) -> u64 {
        self.pages
            .iter()
            .enumerate()
            .filter(|(i, page)| other.pages.get(*i).is_none_or(|o| !Arc::ptr_eq(o, page)))
            .map(|(_, page)| page.len() as u64)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_reads_and_resizes_across_pages() {
        let mut d = Data::default();
        d.write(10, b"abc");
        assert_eq!(d.len(), 13);
        assert_eq!(d.read(0, 100), [&[0u8; 10][..], b"abc"].concat());
        let big: Vec<u8> = (0..3 * PAGE + 5).map(|i| (i % 251) as u8).collect();
        d.write(0, &big);
        assert_eq!(d.read(0, big.len() + 10), big);
        assert_eq!(d.read(PAGE as u64 - 2, 4), big[PAGE - 2..PAGE + 2]);
        d.set_len(PAGE as u64 + 1);
        assert_eq!(d.read(0, usize::MAX / 2), big[..PAGE + 1]);
        d.set_len(2 * PAGE as u64);
        assert_eq!(
            d.read(PAGE as u64, PAGE),
            [&big[PAGE..PAGE + 1], &vec![0; PAGE - 1]].concat()
        );
        d.set_len(0);
        assert!(d.read(0, 10).is_empty());
    }

    #[test]
    fn a_copy_shares_pages_until_written() {
        let mut d = Data::default();
        d.write(0, &vec![7; 2 * PAGE]);
        let synced = d.clone();
        assert_eq!(d.bytes_not_in(&synced), 0);
        d.write(PAGE as u64 + 3, b"x");
        assert_eq!(d.bytes_not_in(&synced), PAGE as u64);
        assert_eq!(synced.read(PAGE as u64 + 3, 1), [7]);
        d.write(3 * PAGE as u64, b"y");
        // The touched page, the zeros up to the new one, and its byte.
        assert_eq!(d.bytes_not_in(&synced), 2 * PAGE as u64 + 1);
    }
}
