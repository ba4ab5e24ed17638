//! Leaf and node hashes, the binary Merkle tree and path verification.
//!
//! A tree over L leaves is the complete binary tree over the leaves padded with
//! `H256::zero()` up to the next power of two; an internal node is [`node_hash`] of its
//! children, and the root of a one-leaf tree is that leaf. Every leaf hash starts with a tag
//! byte naming its matrix and internal nodes with another, so that no hash can stand for one of
//! a different kind (an A row for a B column, a leaf for a node).

use crate::{hash_parts, H256};
use alloc::vec::Vec;

/// Which matrix a leaf belongs to. The tag byte is the first byte of the leaf's preimage.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Domain {
	/// A row of A (tag `b'A'`).
	A,
	/// A column of B (tag `b'B'`).
	B,
	/// A chunk of a row of C (tag `b'C'`).
	C,
	/// A row of an inference tensor: an input batch or a layer's activations (tag `b'X'`).
	X,
	/// A column of a layer's weights with its bias (tag `b'W'`).
	W,
}

impl Domain {
	/// The tag byte that starts the leaf's preimage.
	pub fn tag(self) -> u8 {
		match self {
			Domain::A => b'A',
			Domain::B => b'B',
			Domain::C => b'C',
			Domain::X => b'X',
			Domain::W => b'W',
		}
	}
}

/// Tag byte of internal nodes: distinct from every leaf tag, so that a node (64 bytes of child
/// hashes) cannot be presented as a leaf whose payload happens to be those bytes.
pub const NODE_TAG: u8 = b'N';

/// Hash of a leaf: `blake2_256(tag || index as u64 LE || payload)`. The index binds the leaf to
/// its position, so that a valid row cannot be replayed at another position.
pub fn leaf_hash(domain: Domain, index: u64, payload: &[u8]) -> H256 {
	hash_parts(&[&[domain.tag()], &index.to_le_bytes(), payload])
}

/// Leaf hash of a row of A or a column of B, with each `i8` taken as its two's complement
/// byte; the same as [`leaf_hash`] of those bytes, without a second copy of the row.
pub(crate) fn leaf_hash_i8(domain: Domain, index: u64, payload: &[i8]) -> H256 {
	let mut preimage = Vec::with_capacity(9 + payload.len());
	preimage.push(domain.tag());
	preimage.extend_from_slice(&index.to_le_bytes());
	preimage.extend(payload.iter().map(|x| *x as u8));
	H256(sp_io::hashing::blake2_256(&preimage))
}

/// Hash of an internal node: `blake2_256(b'N' || left || right)`.
pub fn node_hash(left: &H256, right: &H256) -> H256 {
	hash_parts(&[&[NODE_TAG], left.as_bytes(), right.as_bytes()])
}

/// Depth of a tree over `leaf_count` leaves: `ceil(log2(leaf_count))`, the length of every
/// path. `depth(1) == 0`; `depth(0)` is 0 too (there is no such tree).
pub fn depth(leaf_count: u64) -> u32 {
	if leaf_count <= 1 {
		0
	} else {
		u64::BITS - (leaf_count - 1).leading_zeros()
	}
}

/// Checks that `leaf` is the leaf at `index` of the tree over `leaf_count` leaves with root
/// `root`. `path[0]` is the sibling at the leaf level, the last entry a child of the root.
///
/// `false` when `leaf_count == 0`, `index >= leaf_count` or `path.len() != depth(leaf_count)`:
/// fixing the length to the depth stops a path of a smaller tree from proving a subtree root
/// as a leaf.
pub fn verify_path(leaf: &H256, index: u64, leaf_count: u64, path: &[H256], root: &H256) -> bool {
	if leaf_count == 0 || index >= leaf_count || path.len() as u64 != u64::from(depth(leaf_count)) {
		return false;
	}
	let mut node = *leaf;
	let mut at = index;
	for sibling in path {
		node = if at & 1 == 0 { node_hash(&node, sibling) } else { node_hash(sibling, &node) };
		at >>= 1;
	}
	node == *root
}

/// A Merkle tree with all its levels, for the worker to answer openings.
///
/// The padding is implicit: a level of odd length is completed by the hash of an all-zero
/// subtree of that height, which gives the same root as padding the leaves with zero hashes
/// without storing up to twice as many nodes.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct MerkleTree {
	/// `levels[0]` the leaves, each next level half as long (rounded up), the last one the root.
	levels: Vec<Vec<H256>>,
	/// `pads[h]`: the root of an all-zero subtree of height `h`, the sibling of a node whose
	/// partner lies in the padding.
	pads: Vec<H256>,
}

impl MerkleTree {
	/// Builds the tree over `leaves`; `None` if there are none.
	pub fn new(leaves: Vec<H256>) -> Option<Self> {
		if leaves.is_empty() {
			return None;
		}
		let mut levels = Vec::with_capacity(depth(leaves.len() as u64) as usize + 1);
		let mut pads = Vec::new();
		let mut pad = H256::zero();
		levels.push(leaves);
		while let Some(level) = levels.last().filter(|level| level.len() > 1) {
			let next = level
				.chunks(2)
				.map(|pair| match pair {
					[left, right] => node_hash(left, right),
					[left] => node_hash(left, &pad),
					_ => pad,
				})
				.collect();
			pads.push(pad);
			pad = node_hash(&pad, &pad);
			levels.push(next);
		}
		Some(Self { levels, pads })
	}

	/// The root: the single node of the last level.
	pub fn root(&self) -> H256 {
		self.levels.last().and_then(|level| level.first()).copied().unwrap_or_default()
	}

	/// The number of leaves (without padding).
	pub fn leaf_count(&self) -> u64 {
		self.levels.first().map_or(0, |leaves| leaves.len() as u64)
	}

	/// The path of the leaf at `index`, leaf level first, as [`verify_path`] takes it; `None`
	/// if there is no such leaf.
	pub fn path(&self, index: u64) -> Option<Vec<H256>> {
		if index >= self.leaf_count() {
			return None;
		}
		let height = self.levels.len().saturating_sub(1);
		let mut path = Vec::with_capacity(height);
		let mut at = usize::try_from(index).ok()?;
		for (level, pad) in self.levels.iter().zip(&self.pads) {
			path.push(level.get(at ^ 1).copied().unwrap_or(*pad));
			at >>= 1;
		}
		Some(path)
	}
}
