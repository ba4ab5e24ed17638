//! The worker's HTTP server: outputs for clients, metrics for Prometheus, health for operators.
//!
//! - `GET /jobs/<job>/<replica>/output`: C of a computed replica, little-endian int32,
//!   row-major (the `outputUri` of its receipt); 404 until it is computed.
//! - `GET /metrics`: Prometheus text.
//! - `GET /health`: JSON: connected, newest finalized and best blocks, provider, worker key,
//!   backend.

use crate::engine::Worker;
use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::{
	body::Frame, server::conn::http1, service::service_fn, Method, Request, Response, StatusCode,
};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::{convert::Infallible, io::Read, net::SocketAddr, sync::Arc, time::Duration};
use tokio::{net::TcpListener, sync::watch};

type Body = BoxBody<Bytes, std::io::Error>;

/// Bytes read from disk at a time when serving an output.
const READ_CHUNK: usize = 1 << 20;

/// Serves until `shutdown` turns true.
pub async fn serve(
	listener: TcpListener,
	worker: Arc<Worker>,
	mut shutdown: watch::Receiver<bool>,
) {
	loop {
		let (stream, peer) = tokio::select! {
			_ = shutdown.changed() => return,
			accepted = listener.accept() => match accepted {
				Ok(accepted) => accepted,
				Err(e) => {
					tracing::warn!("http: accept failed: {e}");
					continue;
				},
			},
		};
		let worker = worker.clone();
		tokio::spawn(async move {
			let service = service_fn(move |req| {
				let worker = worker.clone();
				async move { Ok::<_, Infallible>(route(&worker, req, peer)) }
			});
			// A client that never finishes its request headers does not hold a connection.
			let served = http1::Builder::new()
				.timer(TokioTimer::new())
				.header_read_timeout(Duration::from_secs(30))
				.serve_connection(TokioIo::new(stream), service)
				.await;
			if let Err(e) = served {
				tracing::debug!("http: connection from {peer}: {e}");
			}
		});
	}
}

fn full(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
	let mut response = Response::new(Full::new(body.into()).map_err(|e| match e {}).boxed());
	*response.status_mut() = status;
	if let Ok(value) = content_type.parse() {
		response.headers_mut().insert(hyper::header::CONTENT_TYPE, value);
	}
	response
}

fn route(worker: &Worker, req: Request<hyper::body::Incoming>, peer: SocketAddr) -> Response<Body> {
	if req.method() != Method::GET {
		return full(StatusCode::METHOD_NOT_ALLOWED, "text/plain", "GET only\n");
	}
	let parts: Vec<&str> = req.uri().path().trim_matches('/').split('/').collect();
	match parts.as_slice() {
		["metrics"] => full(StatusCode::OK, "text/plain; version=0.0.4", worker.metrics.render()),
		["health"] => {
			let health = worker.health.lock().map(|h| h.clone()).unwrap_or_default();
			full(
				StatusCode::OK,
				"application/json",
				serde_json::to_vec(&health).unwrap_or_default(),
			)
		},
		["jobs", job, replica, "output"] => match (job.parse(), replica.parse()) {
			(Ok(job), Ok(replica)) => output(worker, job, replica, peer),
			_ => full(StatusCode::BAD_REQUEST, "text/plain", "bad job or replica number\n"),
		},
		_ => full(StatusCode::NOT_FOUND, "text/plain", "not found\n"),
	}
}

/// Streams C of a computed replica from the store.
fn output(worker: &Worker, job: u64, replica: u32, peer: SocketAddr) -> Response<Body> {
	let computed = matches!(worker.store.load(job, replica), Ok(Some(meta)) if meta.output_commitment.is_some());
	let file = computed.then(|| std::fs::File::open(worker.store.output_path(job, replica)));
	let Some(Ok(file)) = file else {
		return full(StatusCode::NOT_FOUND, "text/plain", "no computed output for this replica\n");
	};
	let length = file.metadata().map(|m| m.len()).unwrap_or(0);
	tracing::info!("job {job}/{replica}: serving the output ({length} bytes) to {peer}");
	// One blocking read per chunk, none held while the client is slow to take it.
	let file = Arc::new(std::sync::Mutex::new(file));
	let chunks = futures::stream::unfold(Some(file), |file| async move {
		let file = file?;
		let reader = file.clone();
		let read = tokio::task::spawn_blocking(move || {
			let mut buf = vec![0u8; READ_CHUNK];
			let mut file = reader.lock().map_err(|_| std::io::Error::other("poisoned"))?;
			let n = file.read(&mut buf)?;
			buf.truncate(n);
			Ok::<_, std::io::Error>(buf)
		})
		.await
		.unwrap_or_else(|e| Err(std::io::Error::other(e)));
		match read {
			Ok(buf) if buf.is_empty() => None,
			Ok(buf) => Some((Ok(Frame::data(Bytes::from(buf))), Some(file))),
			Err(e) => Some((Err(e), None)),
		}
	});
	let mut response = Response::new(BodyExt::boxed(StreamBody::new(chunks)));
	let headers = response.headers_mut();
	if let Ok(value) = "application/octet-stream".parse() {
		headers.insert(hyper::header::CONTENT_TYPE, value);
	}
	if let Ok(value) = length.to_string().parse() {
		headers.insert(hyper::header::CONTENT_LENGTH, value);
	}
	response
}
