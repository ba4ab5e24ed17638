//! Tests of [`crate::merkle`].

use crate::merkle::*;
use crate::*;

/// The tree by the definition: pad the leaves with zero hashes to a power of two and hash
/// pairs up to the root.
fn naive_root(leaves: &[H256]) -> H256 {
	let mut level = leaves.to_vec();
	level.resize(level.len().next_power_of_two(), H256::zero());
	while level.len() > 1 {
		level = level.chunks(2).map(|p| node_hash(&p[0], &p[1])).collect();
	}
	level[0]
}

fn leaves(count: u64) -> Vec<H256> {
	(0..count).map(|i| leaf_hash(Domain::C, i, &i.to_be_bytes())).collect()
}

#[test]
fn depth_is_ceil_log2() {
	let expected = [(0, 0), (1, 0), (2, 1), (3, 2), (4, 2), (5, 3), (8, 3), (9, 4)];
	for (count, d) in expected {
		assert_eq!(depth(count), d, "depth({count})");
	}
	assert_eq!(depth(1 << 34), 34);
	assert_eq!(depth((1 << 34) + 1), 35);
	assert_eq!(depth(u64::MAX), 64);
}

#[test]
fn empty_tree_is_none() {
	assert!(MerkleTree::new(Vec::new()).is_none());
}

#[test]
fn single_leaf_root_is_the_leaf() {
	let leaf = leaf_hash(Domain::A, 0, b"row");
	let tree = MerkleTree::new(vec![leaf]).unwrap();
	assert_eq!(tree.root(), leaf);
	assert_eq!(tree.path(0).unwrap(), Vec::<H256>::new());
	assert!(verify_path(&leaf, 0, 1, &[], &leaf));
	assert!(tree.path(1).is_none());
}

#[test]
fn roots_match_the_padded_definition_and_every_path_verifies() {
	for count in 1..=33u64 {
		let leaves = leaves(count);
		let tree = MerkleTree::new(leaves.clone()).unwrap();
		let root = tree.root();
		assert_eq!(root, naive_root(&leaves), "root over {count} leaves");
		assert_eq!(tree.leaf_count(), count);
		for (index, leaf) in leaves.iter().enumerate() {
			let index = index as u64;
			let path = tree.path(index).unwrap();
			assert_eq!(path.len() as u32, depth(count));
			assert!(verify_path(leaf, index, count, &path, &root));
			// Bound to its index and its tree size.
			assert!(!verify_path(leaf, index ^ 1, count, &path, &root) || count == 1);
			assert!(!verify_path(leaf, index, count, &path[..path.len() / 2], &root) || count == 1);
		}
		assert!(tree.path(count).is_none());
		assert!(!verify_path(&leaves[0], count, count, &tree.path(0).unwrap(), &root));
	}
}

#[test]
fn verify_path_rejects_bad_shapes() {
	let leaves = leaves(5);
	let tree = MerkleTree::new(leaves.clone()).unwrap();
	let root = tree.root();
	let mut path = tree.path(4).unwrap();
	assert!(verify_path(&leaves[4], 4, 5, &path, &root));
	assert!(!verify_path(&leaves[4], 4, 0, &path, &root));
	assert!(!verify_path(&leaves[4], 5, 5, &path, &root));
	// A claimed leaf count with another depth.
	assert!(!verify_path(&leaves[4], 4, 9, &path, &root));
	path.push(H256::zero());
	assert!(!verify_path(&leaves[4], 4, 5, &path, &root));
	path.truncate(2);
	assert!(!verify_path(&leaves[4], 4, 5, &path, &root));
	let mut wrong = tree.path(4).unwrap();
	wrong[1] = H256::repeat_byte(7);
	assert!(!verify_path(&leaves[4], 4, 5, &wrong, &root));
}

#[test]
fn an_internal_node_is_not_a_leaf() {
	// node_hash(l0, l1) with the one-entry path [node_hash(l2, l3)] reaches the root of the
	// 4-leaf tree, as if it were a leaf of a 2-leaf tree. The verifier takes the leaf count
	// from the job's dimensions and fixes the path length to its depth, so it fails.
	let leaves = leaves(4);
	let tree = MerkleTree::new(leaves.clone()).unwrap();
	let inner = node_hash(&leaves[0], &leaves[1]);
	let path = vec![node_hash(&leaves[2], &leaves[3])];
	assert!(!verify_path(&inner, 0, 4, &path, &tree.root()));
	// And a node's preimage cannot be a leaf's: the tags differ.
	let mut payload = Vec::new();
	payload.extend_from_slice(leaves[0].as_bytes());
	payload.extend_from_slice(leaves[1].as_bytes());
	for domain in [Domain::A, Domain::B, Domain::C] {
		assert_ne!(leaf_hash(domain, 0, &payload), inner);
	}
}

#[test]
fn leaf_hash_i8_matches_leaf_hash() {
	let row: Vec<i8> = vec![-128, -1, 0, 1, 127];
	let bytes: Vec<u8> = vec![0x80, 0xff, 0, 1, 0x7f];
	assert_eq!(leaf_hash_i8(Domain::B, 3, &row), leaf_hash(Domain::B, 3, &bytes));
}
