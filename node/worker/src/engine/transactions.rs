//! What the worker sends for a replica: the acknowledgement or the decline, the receipt (sealed
//! for a replicated job), the reveal and the spot-check answers, each recorded in the local
//! store before it is sent and sent again only after [`RESEND_AFTER`] blocks.

use super::*;

/// Whether a transaction last sent at `sent` may be sent again at `now`. A mark far ahead of
/// `now` was left by another chain (a dev chain started afresh on an old store) and is stale.
pub(super) fn may_send(sent: Option<u32>, now: u32) -> bool {
	sent.is_none_or(|s| {
		now >= s.saturating_add(RESEND_AFTER) || s > now.saturating_add(RESEND_AFTER)
	})
}

pub(super) async fn acknowledge(
	worker: &Arc<Worker>,
	chain: &Chain,
	job: u64,
	replica: u32,
	number: u32,
) -> Result<(), chain::Error> {
	let mut actions = worker.store.load_actions(job, replica)?;
	if !may_send(actions.ack_sent_at, number) {
		return Ok(());
	}
	// Recorded before sending: a kill in between delays the acknowledgement by RESEND_AFTER
	// blocks instead of sending it twice.
	actions.ack_sent_at = Some(number);
	worker.store.save_actions(job, replica, &actions)?;
	let sent = chain.acknowledge(job, replica).await?;
	tracing::info!("job {job}/{replica}: acknowledged");
	// The acknowledgement sets the job's collateral aside from the provider's free stake; if
	// there is not enough, the replica is declined at the next block.
	track_then(worker, "acknowledge", sent, move |worker, outcome| {
		if outcome.refused_with("Jobs", "InsufficientCollateral") {
			if let Ok(mut refused) = worker.collateral_refused.lock() {
				refused.insert((job, replica));
			}
		}
	});
	Ok(())
}

/// Sends `jobs.decline` for a replica awaiting its acknowledgement, unless one was sent in the
/// last [`RESEND_AFTER`] blocks; `why` is `None` when it is sent again. `actions` is the
/// replica's record, as just loaded.
pub(super) async fn decline(
	worker: &Arc<Worker>,
	chain: &Chain,
	job: u64,
	replica: u32,
	number: u32,
	mut actions: Actions,
	why: Option<Refusal>,
) -> Result<(), chain::Error> {
	if !may_send(actions.declined_at, number) {
		return Ok(());
	}
	// Recorded before sending, as the acknowledgement is; from then on the replica is neither
	// acknowledged nor started.
	actions.declined_at = Some(number);
	worker.store.save_actions(job, replica, &actions)?;
	let sent = chain.decline(job, replica).await?;
	match why {
		Some(why) => {
			worker.metrics.declined.with_label_values(&[why.label()]).inc();
			tracing::info!("job {job}/{replica}: declined: {why}");
		},
		None => tracing::info!("job {job}/{replica}: decline sent again"),
	}
	track(worker, "decline", sent);
	Ok(())
}

/// One replica of a job, and the provider running it.
pub(super) struct Replica<'a> {
	pub(super) job: u64,
	pub(super) replica: u32,
	pub(super) provider: &'a AccountId32,
}

/// Sends the receipt of a computed replica. For a replicated job it carries a seal of the
/// output commitment under a random salt kept in the local store, which the worker reveals
/// once every replica has sealed ([`reveal`]), so that no other replica can copy it.
pub(super) async fn submit_receipt(
	worker: &Arc<Worker>,
	chain: &Chain,
	info: &ProviderView,
	record: &JobView,
	at: &Replica<'_>,
	prover: &Prover,
	number: u32,
) -> Result<(), chain::Error> {
	let (job, replica) = (at.job, at.replica);
	let mut actions = worker.store.load_actions(job, replica)?;
	if !may_send(actions.receipt_sent_at, number) {
		return Ok(());
	}
	let base = match &worker.config.public_url {
		Some(url) => url.clone(),
		None => String::from_utf8_lossy(&info.endpoint).into_owned(),
	};
	let uri = format!("{}/jobs/{job}/{replica}/output", base.trim_end_matches('/'));
	let output_commitment = match record.spec.verification {
		VerificationView::Replicated => {
			let salt = salt_of(&mut actions)?;
			let output = prover.output_commitment();
			sealed_output(job, replica, &at.provider.0, &output, &salt)
		},
		_ => prover.output_commitment(),
	};
	let receipt = Receipt {
		output_commitment,
		output_uri: uri.into_bytes().try_into().map_err(|_| "the output URL is too long")?,
		used_units: record.units,
		enclave_signature: None,
	};
	// Recorded before sending, as the acknowledgement is.
	actions.receipt_sent_at = Some(number);
	worker.store.save_actions(job, replica, &actions)?;
	let sent = chain.submit_receipt(job, replica, receipt).await?;
	worker.metrics.receipts.inc();
	tracing::info!("job {job}/{replica}: receipt sent");
	track(worker, "submit_receipt", sent);
	Ok(())
}

/// Reveals the output commitment and salt under a replicated receipt's seal, once the chain
/// has opened the reveals (every replica sealed, or the deadline passed) and until `until`.
/// A valid reveal is free (`Pays::No`).
pub(super) async fn reveal(
	worker: &Arc<Worker>,
	chain: &Chain,
	job: u64,
	replica: u32,
	until: u32,
	prover: &Prover,
	number: u32,
) -> Result<(), chain::Error> {
	if number > until {
		return Ok(());
	}
	let mut actions = worker.store.load_actions(job, replica)?;
	if !may_send(actions.reveal_sent_at, number) {
		return Ok(());
	}
	let salt = actions
		.salt
		.as_deref()
		.and_then(parse_salt)
		.ok_or("the salt of this replica's seal is missing from the local store")?;
	actions.reveal_sent_at = Some(number);
	worker.store.save_actions(job, replica, &actions)?;
	let sent = chain.reveal(job, replica, prover.output_commitment(), salt).await?;
	tracing::info!("job {job}/{replica}: sealed output revealed");
	track(worker, "reveal", sent);
	Ok(())
}

/// The salt of a replica's (or re-execution's) seal: the one in `actions`, or a fresh one put
/// there (the caller saves `actions` before sending the seal).
pub(super) fn salt_of(actions: &mut Actions) -> Result<H256, chain::Error> {
	if let Some(salt) = actions.salt.as_deref().and_then(parse_salt) {
		return Ok(salt);
	}
	let salt = fresh_salt()?;
	actions.salt = Some(hex::encode(salt.as_bytes()));
	Ok(salt)
}

/// A new secret salt for a seal, from the operating system's random source.
pub(super) fn fresh_salt() -> Result<H256, chain::Error> {
	let mut salt = [0u8; 32];
	getrandom::getrandom(&mut salt).map_err(|e| format!("no random salt: {e}"))?;
	Ok(H256(salt))
}

/// A salt as the local store keeps it (hex).
pub(super) fn parse_salt(hex_salt: &str) -> Option<H256> {
	let bytes: [u8; 32] = hex::decode(hex_salt).ok()?.try_into().ok()?;
	Some(H256(bytes))
}

/// Opens the samples the chain drew and that are not answered yet. An answer that is right is
/// free (`Pays::No`), and the last one gets the replica paid in its block.
pub(super) async fn respond(
	worker: &Arc<Worker>,
	chain: &Chain,
	job: u64,
	replica: u32,
	check: &CheckView,
	prover: &Prover,
	number: u32,
) -> Result<(), chain::Error> {
	let StageView::Sampling { positions, answered, respond_by, audit } = &check.stage else {
		return Ok(());
	};
	if number > *respond_by {
		return Ok(());
	}
	let last = worker.responded.lock().ok().and_then(|r| r.get(&(job, replica)).copied());
	if !may_send(last, number) {
		return Ok(());
	}
	let mut openings = Vec::new();
	for (sample, position) in positions.iter().enumerate() {
		if answered & (1 << sample) == 0 {
			let opening = prover.open(*position).ok_or("a drawn position is outside C")?;
			openings.push((sample as u32, opening));
		}
	}
	if openings.is_empty() {
		return Ok(());
	}
	let count = openings.len();
	for batch in batches(openings) {
		let sent = chain.respond(job, replica, prover.roots(), batch).await?;
		track(worker, "respond", sent);
	}
	if let Ok(mut r) = worker.responded.lock() {
		r.insert((job, replica), number);
	}
	let what = if *audit { "audit" } else { "spot-check" };
	tracing::info!("job {job}/{replica}: opened {count} samples of the {what}");
	Ok(())
}

/// Most bytes of openings in one `proofs.respond`: well inside a block's length, so a job with a
/// long k (each opening of a content job carries a row of A and a column of B) is answered in
/// several calls, which the chain accepts, rather than in one it cannot include.
pub(super) const RESPONSE_BYTES: usize = 1 << 20;

/// Splits openings into consecutive batches of at most [`RESPONSE_BYTES`] (at least one opening
/// each).
pub(super) fn batches(openings: Vec<(u32, Opening)>) -> Vec<Vec<(u32, Opening)>> {
	let mut out: Vec<Vec<(u32, Opening)>> = Vec::new();
	let mut size = 0;
	for opening in openings {
		let bytes = opening.encoded_size();
		match out.last_mut() {
			Some(batch) if size + bytes <= RESPONSE_BYTES => batch.push(opening),
			_ => {
				out.push(vec![opening]);
				size = 0;
			},
		}
		size += bytes;
	}
	out
}

/// Logs and counts how a sent transaction ends, without holding up the loop.
pub(super) fn track(worker: &Arc<Worker>, call: &'static str, sent: chain::Sent) {
	track_then(worker, call, sent, |_, _| {});
}

/// [`track`], then `then` with the outcome.
pub(super) fn track_then(
	worker: &Arc<Worker>,
	call: &'static str,
	sent: chain::Sent,
	then: impl FnOnce(&Worker, &chain::Outcome) + Send + 'static,
) {
	let worker = worker.clone();
	tokio::spawn(async move {
		let outcome = sent.outcome().await;
		match &outcome {
			chain::Outcome::Success { block } => {
				worker.metrics.transactions.with_label_values(&[call, "ok"]).inc();
				tracing::debug!("{call} finalized in {block:?}");
			},
			chain::Outcome::Failed(e) => {
				worker.metrics.transactions.with_label_values(&[call, "failed"]).inc();
				tracing::warn!("{call} failed: {e}");
			},
		}
		then(&worker, &outcome);
	});
}
