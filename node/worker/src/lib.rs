//! The Tessera provider's worker: it follows the chain, computes the jobs assigned to its
//! provider, submits receipts, answers spot-checks and serves outputs (`docs/provider-guide.md`).
//!
//! - [`gemm`]: the compute backends of `MatMulI8` jobs, C = A x B in int8 with wrapping int32
//!   accumulation: a multi-threaded CPU backend, always built, and a cuBLAS backend behind the
//!   `cuda` feature. Every backend's output is bit-identical to
//!   [`tessera_commitment::matmul_reference`], so the commitments agree whatever computed them.
//! - [`inputs`]: a job's matrices, derived from its seed or downloaded and checked;
//! - [`compute`]: the kernel run a chunk of rows at a time, resumable after a kill;
//! - [`store`]: the local store that survives restarts;
//! - [`chain`]: the subxt client, the storage it reads and the calls it sends;
//! - [`engine`]: the loop that follows the best blocks and acts on the chain's state;
//! - [`http`]: outputs, metrics and health over HTTP;
//! - [`metrics`], [`profile`]: the Prometheus metrics, and what the host offers.

pub mod chain;
pub mod compute;
pub mod engine;
pub mod gemm;
pub mod http;
pub mod inputs;
pub mod metrics;
pub mod profile;
pub mod store;
