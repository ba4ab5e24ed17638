//! `tessera-worker`: run the worker, or register and bond a provider from the command line.
//! See `docs/provider-guide.md`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::{
	net::SocketAddr,
	path::PathBuf,
	process::ExitCode,
	str::FromStr,
	sync::{atomic::Ordering, Arc},
	time::Duration,
};
use subxt::utils::{AccountId32, Static};
use subxt_signer::{sr25519::Keypair, SecretUri};
use tessera_primitives::market::{Capabilities, Region};
use tessera_worker::{
	chain::{
		self,
		types::{GpuSpecArg, HardwareProfileArg},
		Chain, Outcome,
	},
	engine::{self, Worker},
	gemm::{self, Backend, Cpu},
	http,
	metrics::Metrics,
	profile,
	store::Store,
};

#[derive(Parser)]
#[command(name = "tessera-worker", version, about = "The Tessera provider's worker")]
struct Cli {
	#[command(subcommand)]
	command: Command,
}

#[derive(Subcommand)]
enum Command {
	/// Follow the chain and compute the jobs assigned to this worker's provider.
	Run(RunArgs),
	/// Register a provider (`providers.register`, signed by the provider's key).
	Register(RegisterArgs),
	/// Bond stake for a provider (`stake.bond`, signed by the provider's key).
	Bond(BondArgs),
}

#[derive(Args)]
struct NodeArg {
	/// The node's WebSocket RPC endpoint.
	#[arg(long, default_value = "ws://127.0.0.1:9944")]
	node: String,
}

#[derive(Args)]
struct RunArgs {
	#[command(flatten)]
	node: NodeArg,
	/// The worker key: a secret URI (`//Alice`, a mnemonic, a 0x seed).
	#[arg(long, conflicts_with = "key_file", required_unless_present = "key_file")]
	key: Option<String>,
	/// A file holding the worker key's secret URI.
	#[arg(long)]
	key_file: Option<PathBuf>,
	/// Where the local store lives (inputs, outputs, progress).
	#[arg(long, default_value_os_t = default_base_path())]
	base_path: PathBuf,
	/// Address of the HTTP server: outputs, `/metrics`, `/health`.
	#[arg(long, default_value = "0.0.0.0:9955")]
	listen: SocketAddr,
	/// Base URL put in receipts for outputs; the provider's registered endpoint if unset.
	#[arg(long)]
	public_url: Option<String>,
	/// The compute backend.
	#[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
	backend: BackendChoice,
	/// CPU threads for the CPU backend and for deriving inputs (default: all).
	#[arg(long)]
	threads: Option<usize>,
	/// Longest an input download may take, in seconds.
	#[arg(long, default_value_t = 600)]
	fetch_timeout: u64,
	/// How long outputs of ended jobs stay downloadable, in hours.
	#[arg(long, default_value_t = 72)]
	keep_outputs_hours: u64,
}

#[derive(Clone, Copy, ValueEnum)]
enum BackendChoice {
	/// The fastest found: a CUDA device if built with `cuda` and present, else the CPU.
	Auto,
	Cpu,
	Cuda,
}

#[derive(Args)]
struct ProviderKey {
	#[command(flatten)]
	node: NodeArg,
	/// The provider's key (its cold account): a secret URI.
	#[arg(
		long,
		conflicts_with = "provider_key_file",
		required_unless_present = "provider_key_file"
	)]
	provider_key: Option<String>,
	/// A file holding the provider key's secret URI.
	#[arg(long)]
	provider_key_file: Option<PathBuf>,
}

#[derive(Args)]
struct RegisterArgs {
	#[command(flatten)]
	provider: ProviderKey,
	/// The worker key's account (SS58) or secret URI: it signs heartbeats and receipts.
	#[arg(long)]
	worker: String,
	/// Base URL where the worker serves outputs (its `--listen` address as clients reach it).
	#[arg(long)]
	endpoint: String,
	/// Asking price per unit of work, in TSR (a unit is a tera-operation of MatMulI8).
	#[arg(long)]
	price: String,
	/// Jobs run at once.
	#[arg(long, default_value_t = 1)]
	max_jobs: u32,
	/// Where the host is, as the runtime names it: `Europe`, `NorthAmerica`, `SouthAmerica`,
	/// `Africa`, `MiddleEast`, `Asia`, `Oceania` (any case).
	#[arg(long, value_parser = parse_region)]
	region: Region,
	/// GPU model; detected with `nvidia-smi` if not given.
	#[arg(long)]
	gpu_model: Option<String>,
	/// Memory per GPU in MiB; detected if not given.
	#[arg(long)]
	vram_mib: Option<u32>,
	/// Number of GPUs; detected if not given.
	#[arg(long)]
	gpus: Option<u32>,
	/// int8 TOPS per GPU; measured with the worker's backend if not given (rounded, at least 1).
	/// Matching offers only jobs that GPUs x TOPS can finish between the acknowledgement window
	/// and the deadline.
	#[arg(long)]
	int8_tops: Option<u32>,
	/// fp16 TFLOPS per GPU, from the GPU's specification: the worker runs no fp16 kernel to
	/// measure it, and the chain refuses 0.
	#[arg(long)]
	fp16_tflops: u32,
	/// CPU threads offered; detected if not given.
	#[arg(long)]
	cpu_cores: Option<u32>,
	/// Host memory in MiB; detected if not given. Matching offers only jobs whose data (inputs
	/// and C) fits in it.
	#[arg(long)]
	ram_mib: Option<u32>,
	/// Scratch disk in GiB.
	#[arg(long, default_value_t = 100)]
	disk_gib: u32,
	/// Network bandwidth in Mbit/s.
	#[arg(long, default_value_t = 100)]
	bandwidth_mbps: u32,
}

#[derive(Args)]
struct BondArgs {
	#[command(flatten)]
	provider: ProviderKey,
	/// Amount in TSR; the least the registered GPUs need if not given.
	#[arg(long)]
	amount: Option<String>,
}

/// What this worker runs, declared in every profile it registers: `MatMulI8` jobs, with their
/// spot-checks. It runs no opaque programs and has no enclave, so it declares neither, and
/// matching never offers it such jobs (those it is offered anyway, it declines). Fixed rather
/// than a flag: declaring more than the worker runs would only get jobs it must decline.
const CAPABILITIES: Capabilities = Capabilities { matmul_i8: true, opaque: false, enclave: false };

fn default_base_path() -> PathBuf {
	std::env::var_os("HOME")
		.map(PathBuf::from)
		.unwrap_or_else(std::env::temp_dir)
		.join(".local/share/tessera-worker")
}

type Error = Box<dyn std::error::Error + Send + Sync>;

fn main() -> ExitCode {
	tracing_subscriber::fmt()
		.with_env_filter(
			tracing_subscriber::EnvFilter::try_from_default_env()
				.unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
		)
		.with_writer(std::io::stderr)
		.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
		.init();
	let cli = Cli::parse();
	let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
		Ok(rt) => rt,
		Err(e) => {
			eprintln!("error: cannot start the async runtime: {e}");
			return ExitCode::FAILURE;
		},
	};
	let result = runtime.block_on(async move {
		match cli.command {
			Command::Run(args) => run(args).await,
			Command::Register(args) => register(args).await,
			Command::Bond(args) => bond(args).await,
		}
	});
	// Computations stop between chunks on shutdown; the chunk in flight (about 2^37
	// multiply-adds, under a second on a CPU) gets a minute to finish and be saved.
	runtime.shutdown_timeout(Duration::from_secs(60));
	match result {
		Ok(()) => ExitCode::SUCCESS,
		Err(e) => {
			eprintln!("error: {e}");
			ExitCode::FAILURE
		},
	}
}

/// A key from a secret URI, or from a file holding one.
fn load_key(uri: Option<&str>, file: Option<&PathBuf>) -> Result<Keypair, Error> {
	let text = match (uri, file) {
		(Some(uri), _) => uri.to_string(),
		(None, Some(file)) => std::fs::read_to_string(file)
			.map_err(|e| format!("cannot read {}: {e}", file.display()))?
			.trim()
			.to_string(),
		(None, None) => return Err("no key given".into()),
	};
	let uri = SecretUri::from_str(&text).map_err(|e| format!("bad secret URI: {e}"))?;
	Ok(Keypair::from_uri(&uri).map_err(|e| format!("bad key: {e}"))?)
}

/// A region by its runtime name, in any case.
fn parse_region(text: &str) -> Result<Region, String> {
	Region::ALL.into_iter().find(|r| format!("{r:?}").eq_ignore_ascii_case(text)).ok_or_else(|| {
		let names: Vec<String> = Region::ALL.iter().map(|r| format!("{r:?}")).collect();
		format!("unknown region {text}; one of {}", names.join(", "))
	})
}

/// TSR as a decimal string (up to 12 decimals) to planck.
fn parse_tsr(text: &str) -> Result<u128, Error> {
	let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
	if frac.len() > 12 || (whole.is_empty() && frac.is_empty()) {
		return Err(format!("bad amount {text}: at most 12 decimals").into());
	}
	let whole: u128 = if whole.is_empty() {
		0
	} else {
		whole.parse().map_err(|_| format!("bad amount {text}"))?
	};
	let frac: u128 = if frac.is_empty() {
		0
	} else {
		format!("{frac:0<12}").parse().map_err(|_| format!("bad amount {text}"))?
	};
	whole
		.checked_mul(1_000_000_000_000)
		.and_then(|w| w.checked_add(frac))
		.ok_or_else(|| format!("amount {text} too large").into())
}

fn choose_backend(
	choice: BackendChoice,
	threads: Option<usize>,
) -> Result<Arc<dyn Backend>, Error> {
	let cpu = || {
		let cpu = Cpu::new();
		Arc::new(match threads {
			Some(t) => cpu.with_threads(t),
			None => cpu,
		}) as Arc<dyn Backend>
	};
	Ok(match choice {
		BackendChoice::Cpu => cpu(),
		BackendChoice::Auto => match gemm::detect().into_iter().next() {
			Some(b) if b.name() != "cpu" => Arc::from(b),
			_ => cpu(),
		},
		BackendChoice::Cuda => Arc::from(
			gemm::detect()
				.into_iter()
				.find(|b| b.name() == "cuda")
				.ok_or("no CUDA device (is the worker built with `--features cuda`?)")?,
		),
	})
}

async fn run(args: RunArgs) -> Result<(), Error> {
	let key = load_key(args.key.as_deref(), args.key_file.as_ref())?;
	let backend = choose_backend(args.backend, args.threads)?;
	let store = Store::open(&args.base_path)
		.map_err(|e| format!("cannot open the store at {}: {e}", args.base_path.display()))?;
	let gpus = profile::gpus();
	tracing::info!(
		"worker {} on {}; backend: {}; GPUs: {}",
		key.public_key().to_account_id(),
		args.node.node,
		backend.description(),
		if gpus.is_empty() {
			"none found".to_string()
		} else {
			gpus.iter()
				.map(|g| format!("{} ({} MiB)", g.model, g.vram_mib))
				.collect::<Vec<_>>()
				.join(", ")
		}
	);
	let config = engine::Config {
		node: args.node.node,
		public_url: args.public_url,
		threads: args.threads.unwrap_or_else(|| profile::cpu_cores() as usize),
		fetch_timeout: Duration::from_secs(args.fetch_timeout),
		keep_outputs: Duration::from_secs(args.keep_outputs_hours * 3600),
	};
	let worker = Worker::new(config, store, Metrics::new()?, backend, key);
	let listener = tokio::net::TcpListener::bind(args.listen)
		.await
		.map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
	tracing::info!("serving outputs, /metrics and /health on http://{}", args.listen);
	let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
	let server = tokio::spawn(http::serve(listener, worker.clone(), stop_rx.clone()));
	let engine = tokio::spawn(engine::run(worker.clone(), stop_rx));
	shutdown_signal().await;
	tracing::info!("shutting down");
	worker.stop.store(true, Ordering::Relaxed);
	let _ = stop_tx.send(true);
	let _ = engine.await;
	let _ = server.await;
	Ok(())
}

/// SIGINT or SIGTERM.
async fn shutdown_signal() {
	let terminate = async {
		match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
			Ok(mut s) => {
				s.recv().await;
			},
			Err(_) => std::future::pending::<()>().await,
		}
	};
	tokio::select! {
		_ = tokio::signal::ctrl_c() => {},
		_ = terminate => {},
	}
}

fn outcome(what: &str, outcome: Outcome) -> Result<(), Error> {
	match outcome {
		Outcome::Success { block } => {
			println!("{what}: finalized in block {block:?}");
			Ok(())
		},
		Outcome::Failed(e) => Err(format!("{what} failed: {e}").into()),
	}
}

async fn register(args: RegisterArgs) -> Result<(), Error> {
	let key =
		load_key(args.provider.provider_key.as_deref(), args.provider.provider_key_file.as_ref())?;
	let worker = match AccountId32::from_str(&args.worker) {
		Ok(account) => account,
		Err(_) => load_key(Some(&args.worker), None)?.public_key().to_account_id(),
	};
	let detected = profile::gpus();
	let first = detected.first();
	let gpu_model = args
		.gpu_model
		.or_else(|| first.map(|g| g.model.clone()))
		.ok_or("no GPU detected: give --gpu-model, --vram-mib and --gpus")?;
	let vram_mib =
		args.vram_mib.or(first.map(|g| g.vram_mib)).ok_or("no GPU detected: give --vram-mib")?;
	let count = args.gpus.unwrap_or(detected.len() as u32).max(1);
	let int8_tops = match args.int8_tops {
		Some(t) => t,
		None => {
			let backend = choose_backend(BackendChoice::Auto, None)?;
			let tops =
				tokio::task::spawn_blocking(move || profile::measure_int8_tops(backend.as_ref()))
					.await?;
			// Whole TOPS on chain, which refuses 0: a CPU's fraction of a TOPS counts as 1.
			let declared = (tops.round() as u32).max(u32::from(tops > 0.0));
			println!("measured int8 throughput: {tops:.2} TOPS; declaring {declared}");
			declared
		},
	};
	let profile = HardwareProfileArg {
		gpu: GpuSpecArg {
			model: gpu_model.into_bytes(),
			vram_mib,
			count,
			fp16_tflops: args.fp16_tflops,
			int8_tops,
		},
		cpu_cores: args.cpu_cores.unwrap_or_else(profile::cpu_cores),
		ram_mib: args.ram_mib.or_else(profile::ram_mib).unwrap_or(0),
		disk_gib: args.disk_gib,
		bandwidth_mbps: args.bandwidth_mbps,
		region: Static(args.region),
		capabilities: Static(CAPABILITIES),
	};
	println!(
		"registering {}: {} x {} ({} MiB, {} int8 TOPS, {} fp16 TFLOPS each), {} cores, {} MiB RAM, \
		 {} GiB disk, {} Mbit/s, {:?}, runs {:?}",
		key.public_key().to_account_id(),
		count,
		String::from_utf8_lossy(&profile.gpu.model),
		vram_mib,
		int8_tops,
		profile.gpu.fp16_tflops,
		profile.cpu_cores,
		profile.ram_mib,
		profile.disk_gib,
		profile.bandwidth_mbps,
		profile.region.0,
		profile.capabilities.0
	);
	let chain = Chain::connect(&args.provider.node.node, key).await?;
	let price = parse_tsr(&args.price)?;
	outcome(
		"providers.register",
		chain.register(profile, price, args.max_jobs, &args.endpoint, worker).await?,
	)
}

async fn bond(args: BondArgs) -> Result<(), Error> {
	let key =
		load_key(args.provider.provider_key.as_deref(), args.provider.provider_key_file.as_ref())?;
	let chain = Chain::connect(&args.provider.node.node, key).await?;
	let amount = match args.amount {
		Some(amount) => parse_tsr(&amount)?,
		None => {
			let at = chain.client().at_current_block().await?;
			let info = chain::provider(&at, &chain.account())
				.await?
				.ok_or("register the provider first")?;
			let per_gpu = chain::stake_parameters(&at).await?.min_bond_per_gpu;
			per_gpu.checked_mul(u128::from(info.profile.gpu.count)).ok_or("bond overflows")?.max(1)
		},
	};
	println!("bonding {amount} planck");
	outcome("stake.bond", chain.bond(amount).await?)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn regions_parse_by_their_runtime_names_in_any_case() {
		assert_eq!(parse_region("Europe"), Ok(Region::Europe));
		assert_eq!(parse_region("northamerica"), Ok(Region::NorthAmerica));
		assert_eq!(parse_region("MIDDLEEAST"), Ok(Region::MiddleEast));
		assert!(parse_region("Mars").unwrap_err().contains("Oceania"));
	}

	#[test]
	fn tsr_amounts_parse_to_planck() {
		assert_eq!(parse_tsr("1").unwrap(), 1_000_000_000_000);
		assert_eq!(parse_tsr("0.05").unwrap(), 50_000_000_000);
		assert_eq!(parse_tsr(".5").unwrap(), 500_000_000_000);
		assert_eq!(parse_tsr("12.000000000001").unwrap(), 12_000_000_000_001);
		assert!(parse_tsr("0.0000000000001").is_err());
		assert!(parse_tsr("1e3").is_err());
		assert!(parse_tsr("").is_err());
		assert!(parse_tsr("-1").is_err());
	}
}
