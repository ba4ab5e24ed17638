//! The mock itself: constants, block hashes and the registry stand-in.

use super::*;

#[test]
fn the_constants_pass_the_integrity_test() {
	ExtBuilder::default().build_and_execute(|| {
		<Proofs as Hooks<BlockNumber>>::integrity_test();
	});
}

#[test]
fn every_block_has_its_own_hash() {
	ExtBuilder::default().build_and_execute(|| {
		run_to_block(6);
		for b in 1..6 {
			assert_eq!(System::block_hash(b), block_hash_of(b));
		}
		assert_ne!(block_hash_of(2), block_hash_of(3));
		assert_eq!(sampling::randomness::<Test>(5), randomness(5));
	});
}

#[test]
fn the_benchmark_externalities_register_no_provider() {
	new_test_ext().execute_with(|| {
		assert_eq!(MockRegistry::get(ALICE), None);
		assert_eq!(free(CLIENT), INITIAL);
		assert_eq!(System::block_number(), 1);
	});
}

#[test]
fn the_registry_mock_picks_the_cheapest_and_books_slots() {
	ExtBuilder::default().build_and_execute(|| {
		let picked = |count, max, exclude: &[AccountId]| {
			<MockRegistry as tessera_primitives::market::ProviderRegistry<_, _, _>>::cheapest(
				&tessera_primitives::market::Needs::default(),
				max,
				count,
				exclude,
			)
			.into_iter()
			.map(|c| c.provider)
			.collect::<Vec<_>>()
		};
		assert_eq!(picked(3, MAX_PRICE, &[ALICE, CLIENT]), vec![BOB, CHARLIE, DAVE]);
		assert_eq!(picked(9, BOB_PRICE, &[]), vec![ALICE, BOB]);
		MockRegistry::remove(BOB);
		MockRegistry::insert(
			NOBODY,
			MockProvider {
				worker: worker_of(NOBODY),
				price: 1,
				free_slots: 0,
				busy: 0,
				registered_at: 0,
			},
		);
		assert_eq!(picked(2, MAX_PRICE, &[]), vec![NOBODY, ALICE]);
		use tessera_primitives::market::ProviderRegistry;
		assert!(MockRegistry::job_assigned(&NOBODY).is_err());
		assert!(MockRegistry::job_released(&NOBODY).is_err());
		assert_eq!(MockRegistry::worker_of(&ALICE), Some(worker_of(ALICE)));
		assert_eq!(MockRegistry::cheapest_weight(), CHEAPEST_WEIGHT);
		MockRegistry::remove(NOBODY);
	});
}
