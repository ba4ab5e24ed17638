//! The executor role: when a challenge of another provider's receipt draws this worker's
//! provider as a re-executor (`proofs.duties`), the worker recomputes the job, reports a seal
//! of its output commitment under a secret salt (`proofs.reportReexecution`) and, once every
//! executor has sealed, reveals it (`proofs.revealReexecution`). Both calls are free when
//! taken; an executor that stays silent, or reveals a result against the majority, loses the
//! collateral the draw set aside from its bond.
//!
//! The computation is the replica pipeline's ([`super::ensure_started`]), keyed by the
//! challenged `(job, replica)`: a provider is never drawn for its own replica, so the key is
//! free in its store.

use super::*;

/// Does what the provider's duty for replica `replica` of `job` asks for at block `number`.
pub(super) async fn on_duty(
	worker: &Arc<Worker>,
	chain: &Chain,
	at: &chain::AtBlock,
	provider: &AccountId32,
	job: u64,
	replica: u32,
	number: u32,
) -> Result<(), chain::Error> {
	let Some(check) = chain::check(at, job, replica).await? else { return Ok(()) };
	let StageView::Reexecution { executors, until, revealing } = check.stage else {
		return Ok(());
	};
	let Some(me) = executors.iter().find(|e| e.provider == *provider) else { return Ok(()) };
	let record = chain::job(at, job).await?;
	let d = match runnable(&record) {
		Ok(d) => d,
		Err(why) => {
			worker.say_once(format!("re-execution of job {job}/{replica}: {why}; not run"));
			return Ok(());
		},
	};
	ensure_started(worker, job, replica, d, &record.spec.inputs);
	let Some(Stage::Done(prover)) = worker.stage((job, replica)) else { return Ok(()) };
	let output = prover.output_commitment();
	let mut actions = worker.store.load_actions(job, replica)?;
	match (revealing, me.sealed.is_some(), me.result.is_some()) {
		(false, false, _) if number < until && may_send(actions.receipt_sent_at, number) => {
			let salt = salt_of(&mut actions)?;
			let seal = sealed_output(job, replica, &provider.0, &output, &salt);
			// Recorded before sending, with the salt, as a receipt is.
			actions.receipt_sent_at = Some(number);
			worker.store.save_actions(job, replica, &actions)?;
			let sent = chain.report_reexecution(job, replica, seal).await?;
			tracing::info!("job {job}/{replica}: re-executed, seal reported");
			track(worker, "report_reexecution", sent);
		},
		(true, true, false) if number <= until && may_send(actions.reveal_sent_at, number) => {
			let salt =
				actions.salt.as_deref().and_then(parse_salt).ok_or(
					"the salt of this re-execution's seal is missing from the local store",
				)?;
			actions.reveal_sent_at = Some(number);
			worker.store.save_actions(job, replica, &actions)?;
			let sent = chain.reveal_reexecution(job, replica, output, salt).await?;
			tracing::info!("job {job}/{replica}: re-execution revealed");
			track(worker, "reveal_reexecution", sent);
		},
		_ => {},
	}
	Ok(())
}
