//! The Tessera provider's worker: it follows the chain, computes the jobs assigned to its
//! provider, commits to their outputs and submits receipts (see "The worker" in the design).
//!
//! - [`gemm`]: the compute backends of `MatMulI8` jobs, C = A x B in int8 with wrapping int32
//!   accumulation: a multi-threaded CPU backend, always built, and a cuBLAS backend behind the
//!   `cuda` feature. Every backend's output is bit-identical to
//!   [`tessera_commitment::matmul_reference`], so the commitments agree whatever computed them.

#![deny(missing_docs)]

pub mod gemm;
