//! Merkle trees as Certificate Transparency defines them (RFC 6962, §2.1;
//! the proofs' verification as in RFC 9162, §2.1.3–2.1.4): leaves hashed
//! as SHA-256(0x00 ‖ data), interior nodes as SHA-256(0x01 ‖ left ‖ right),
//! so that no leaf can pass for a node.
//!
//! The tree lives in storage, not in memory: the functions here take the
//! hash of a complete, aligned subtree — the `2^level` leaves from
//! `index · 2^level` on — from a lookup, and build roots and proofs from
//! `O(log² n)` of them.
//!
//! Written here rather than taken from a crate: the maintained RFC 6962
//! crates keep the whole tree in memory, which does not fit a log of tens
//! of millions of records in a key-value store.

use sha2::{Digest, Sha256};

/// A node or leaf hash.
pub type Hash = [u8; 32];

/// SHA-256(0x00 ‖ data).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree: SHA-256 of nothing.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The largest power of two smaller than `n` (n ≥ 2).
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// The hash of leaves `[start, start + n)` (n ≥ 1), from the complete
/// subtrees `node(level, index)` covers.
pub fn range_hash<E>(
    start: u64,
    n: u64,
    node: &mut impl FnMut(u32, u64) -> Result<Hash, E>,
) -> Result<Hash, E> {
    if n.is_power_of_two() && start.is_multiple_of(n) {
        return node(n.trailing_zeros(), start >> n.trailing_zeros());
    }
    let k = split(n);
    let left = range_hash(start, k, node)?;
    let right = range_hash(start + k, n - k, node)?;
    Ok(node_hash(&left, &right))
}

/// The root of the tree of the first `size` leaves.
pub fn root<E>(size: u64, node: &mut impl FnMut(u32, u64) -> Result<Hash, E>) -> Result<Hash, E> {
    if size == 0 {
        return Ok(empty_root());
    }
    range_hash(0, size, node)
}

/// The audit path of leaf `index` in the tree of `size` leaves (RFC 6962
/// PATH), nearest sibling first.
pub fn inclusion_proof<E>(
    index: u64,
    size: u64,
    node: &mut impl FnMut(u32, u64) -> Result<Hash, E>,
) -> Result<Vec<Hash>, E> {
    fn path<E>(
        m: u64,
        start: u64,
        n: u64,
        node: &mut impl FnMut(u32, u64) -> Result<Hash, E>,
        out: &mut Vec<Hash>,
    ) -> Result<(), E> {
        if n <= 1 {
            return Ok(());
        }
        let k = split(n);
        if m < k {
            path(m, start, k, node, out)?;
            out.push(range_hash(start + k, n - k, node)?);
        } else {
            path(m - k, start + k, n - k, node, out)?;
            out.push(range_hash(start, k, node)?);
        }
        Ok(())
    }
    let mut out = Vec::new();
    if index < size {
        path(index, 0, size, node, &mut out)?;
    }
    Ok(out)
}

/// The proof that the tree of `first` leaves is a prefix of the tree of
/// `second` leaves (RFC 6962 PROOF), 0 < first ≤ second.
pub fn consistency_proof<E>(
    first: u64,
    second: u64,
    node: &mut impl FnMut(u32, u64) -> Result<Hash, E>,
) -> Result<Vec<Hash>, E> {
    fn subproof<E>(
        m: u64,
        start: u64,
        n: u64,
        whole: bool,
        node: &mut impl FnMut(u32, u64) -> Result<Hash, E>,
        out: &mut Vec<Hash>,
    ) -> Result<(), E> {
        if m == n {
            if !whole {
                out.push(range_hash(start, n, node)?);
            }
            return Ok(());
        }
        let k = split(n);
        if m <= k {
            subproof(m, start, k, whole, node, out)?;
            out.push(range_hash(start + k, n - k, node)?);
        } else {
            subproof(m - k, start + k, n - k, false, node, out)?;
            out.push(range_hash(start, k, node)?);
        }
        Ok(())
    }
    let mut out = Vec::new();
    if 0 < first && first <= second {
        subproof(first, 0, second, true, node, &mut out)?;
    }
    Ok(out)
}

/// Whether `proof` shows leaf `index` (with hash `leaf`) in the tree of
/// `size` leaves with root `root` (RFC 9162, §2.1.3.2).
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut f_n, mut s_n) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s_n == 0 {
            return false;
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    s_n == 0 && &r == root
}

/// Whether `proof` shows the tree of `first` leaves with root `first_root`
/// to be a prefix of the tree of `second` leaves with root `second_root`
/// (RFC 9162, §2.1.4.2).
pub fn verify_consistency(
    first: u64,
    second: u64,
    proof: &[Hash],
    first_root: &Hash,
    second_root: &Hash,
) -> bool {
    if first == 0 || first > second {
        return false;
    }
    if first == second {
        return proof.is_empty() && first_root == second_root;
    }
    let mut proof = proof.to_vec();
    // A first tree that is a complete subtree is not in the proof.
    if first.is_power_of_two() {
        proof.insert(0, *first_root);
    }
    let Some((start, rest)) = proof.split_first() else {
        return false;
    };
    let (mut f_n, mut s_n) = (first - 1, second - 1);
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let (mut f_r, mut s_r) = (*start, *start);
    for c in rest {
        if s_n == 0 {
            return false;
        }
        if f_n & 1 == 1 || f_n == s_n {
            f_r = node_hash(c, &f_r);
            s_r = node_hash(c, &s_r);
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            s_r = node_hash(&s_r, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    s_n == 0 && &f_r == first_root && &s_r == second_root
}

/// Builds roots leaf by leaf, as a reader of the whole log does: the
/// complete subtrees on the right edge of the tree so far.
#[derive(Clone, Debug, Default)]
pub struct Frontier {
    /// (number of leaves, hash), largest first.
    stack: Vec<(u64, Hash)>,
    size: u64,
}

impl Frontier {
    pub fn push(&mut self, leaf: Hash) {
        let mut entry = (1u64, leaf);
        while let Some(&(n, h)) = self.stack.last() {
            if n != entry.0 {
                break;
            }
            self.stack.pop();
            entry = (n * 2, node_hash(&h, &entry.1));
        }
        self.stack.push(entry);
        self.size += 1;
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The root of the leaves pushed so far.
    pub fn root(&self) -> Hash {
        let mut iter = self.stack.iter().rev();
        let Some(&(_, mut acc)) = iter.next() else {
            return empty_root();
        };
        for (_, h) in iter {
            acc = node_hash(h, &acc);
        }
        acc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Hash {
        hex::decode(s).unwrap().try_into().unwrap()
    }

    /// The leaves and roots of the Certificate Transparency reference tests.
    fn leaves() -> Vec<Hash> {
        [
            "",
            "00",
            "10",
            "2021",
            "3031",
            "40414243",
            "5051525354555657",
            "606162636465666768696a6b6c6d6e6f",
        ]
        .iter()
        .map(|d| leaf_hash(&hex::decode(d).unwrap()))
        .collect()
    }

    const ROOTS: [&str; 9] = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    /// Complete subtrees of `leaves`, as storage would hold them.
    fn lookup(leaves: &[Hash]) -> impl FnMut(u32, u64) -> Result<Hash, ()> + '_ {
        move |level, index| {
            let n = 1u64 << level;
            let start = index * n;
            let mut f = Frontier::default();
            for l in &leaves[start as usize..(start + n) as usize] {
                f.push(*l);
            }
            Ok(f.root())
        }
    }

    #[test]
    fn roots_match_the_reference() {
        let leaves = leaves();
        let mut frontier = Frontier::default();
        assert_eq!(frontier.root(), h(ROOTS[0]));
        for n in 1..=8 {
            frontier.push(leaves[n - 1]);
            assert_eq!(frontier.root(), h(ROOTS[n]), "frontier, size {n}");
            let stored = root(n as u64, &mut lookup(&leaves)).unwrap();
            assert_eq!(stored, h(ROOTS[n]), "stored subtrees, size {n}");
        }
    }

    #[test]
    fn proofs_match_the_reference() {
        let leaves = leaves();
        let mut node = lookup(&leaves);
        let inclusion: [(u64, u64, &[&str]); 3] = [
            (
                0,
                8,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                5,
                8,
                &[
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
            (
                1,
                5,
                &[
                    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ],
            ),
        ];
        for (index, size, expected) in inclusion {
            let proof = inclusion_proof(index, size, &mut node).unwrap();
            let expected: Vec<Hash> = expected.iter().map(|s| h(s)).collect();
            assert_eq!(proof, expected, "inclusion {index} in {size}");
            let r = h(ROOTS[size as usize]);
            assert!(verify_inclusion(
                index,
                size,
                &leaves[index as usize],
                &proof,
                &r
            ));
            assert!(!verify_inclusion(
                index,
                size,
                &leaves[(index as usize + 1) % 8],
                &proof,
                &r
            ));
        }
        let consistency: [(u64, u64, &[&str]); 4] = [
            (1, 1, &[]),
            (
                1,
                8,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                6,
                8,
                &[
                    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
            (
                2,
                5,
                &[
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ],
            ),
        ];
        for (first, second, expected) in consistency {
            let proof = consistency_proof(first, second, &mut node).unwrap();
            let expected: Vec<Hash> = expected.iter().map(|s| h(s)).collect();
            assert_eq!(proof, expected, "consistency {first} → {second}");
            let (a, b) = (h(ROOTS[first as usize]), h(ROOTS[second as usize]));
            assert!(verify_consistency(first, second, &proof, &a, &b));
            if first != second {
                assert!(!verify_consistency(first, second, &proof, &b, &a));
            }
        }
    }

    #[test]
    fn every_proof_of_trees_up_to_40_leaves_verifies_and_a_changed_one_does_not() {
        let leaves: Vec<Hash> = (0..40u8).map(|i| leaf_hash(&[i, i ^ 0x5a])).collect();
        let mut node = lookup(&leaves);
        let roots: Vec<Hash> = (0..=40).map(|n| root(n, &mut node).unwrap()).collect();
        for size in 1..=40u64 {
            for index in 0..size {
                let proof = inclusion_proof(index, size, &mut node).unwrap();
                let r = &roots[size as usize];
                assert!(verify_inclusion(
                    index,
                    size,
                    &leaves[index as usize],
                    &proof,
                    r
                ));
                assert!(!verify_inclusion(index, size, &leaf_hash(b"x"), &proof, r));
            }
            for first in 1..=size {
                let proof = consistency_proof(first, size, &mut node).unwrap();
                let (a, b) = (&roots[first as usize], &roots[size as usize]);
                assert!(
                    verify_consistency(first, size, &proof, a, b),
                    "{first} → {size}"
                );
                if first < size {
                    let other = leaf_hash(b"fork");
                    assert!(!verify_consistency(first, size, &proof, &other, b));
                }
            }
        }
    }
}
