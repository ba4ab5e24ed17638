//! The executor draw: its roll follows tracking, and it is uniform among the providers that fit,
//! whatever their price, so that holding the cheapest places does not capture a re-execution.

use super::*;
use crate::{DrawRoll, DrawRollLen, DrawRollPosition};
use std::collections::BTreeMap;

/// Whether `who` is on the roll.
fn on_roll(who: AccountId) -> bool {
	DrawRollPosition::<Test>::get(who).is_some_and(|p| DrawRoll::<Test>::get(p) == Some(who))
}

fn seed(s: u32) -> [u8; 32] {
	let mut seed = [0u8; 32];
	seed[..4].copy_from_slice(&s.to_le_bytes());
	seed
}

/// Draws `count` executors for a job asking for `requirements` at `max_price`, looking at up
/// to `tries` providers, without `exclude`, registered before `before`.
fn draw(
	requirements: &Requirements,
	max_price: Balance,
	count: u32,
	tries: u32,
	exclude: &[AccountId],
	before: u64,
	s: u32,
) -> Vec<AccountId> {
	Providers::draw(&needs(requirements), max_price, count, tries, exclude, before, &seed(s))
		.into_iter()
		.map(|c| c.provider)
		.collect()
}

#[test]
fn the_roll_is_the_providers_that_are_online_and_bonded() {
	ExtBuilder::default()
		.bond(ALICE, bond_for(1))
		.bond(BOB, bond_for(1))
		.bond(CHARLIE, bond_for(1))
		.build_and_execute(|| {
			// Unbonded: registered but not on the roll.
			register(DAVE, 1);
			assert!(!on_roll(DAVE));
			for who in [ALICE, BOB, CHARLIE] {
				register(who, 1);
				assert!(on_roll(who));
			}
			assert_eq!(DrawRollLen::<Test>::get(), 3);
			// Leaving from the front moves the last into its place.
			assert_ok!(Providers::go_offline(RuntimeOrigin::signed(ALICE)));
			assert!(!on_roll(ALICE));
			assert_eq!(DrawRollPosition::<Test>::get(CHARLIE), Some(0));
			assert_eq!(DrawRollLen::<Test>::get(), 2);
			// A bond below the minimum takes a provider off; bonding again puts it back.
			MockStake::set_bond(BOB, 0);
			Providers::stake_changed(&BOB);
			assert!(!on_roll(BOB));
			MockStake::set_bond(BOB, bond_for(1));
			Providers::stake_changed(&BOB);
			assert!(on_roll(BOB));
			assert_ok!(Providers::go_online(RuntimeOrigin::signed(ALICE)));
			assert!(on_roll(ALICE));
			assert_eq!(DrawRollLen::<Test>::get(), 3);
			// Deregistering, and going silent, take it off.
			assert_ok!(Providers::deregister(RuntimeOrigin::signed(CHARLIE)));
			assert!(!on_roll(CHARLIE));
			run_to_block(1 + HEARTBEAT_TIMEOUT);
			assert!(!on_roll(ALICE) && !on_roll(BOB), "taken offline for missed heartbeats");
			assert_eq!(DrawRollLen::<Test>::get(), 0);
		});
}

#[test]
fn try_state_catches_a_roll_that_lost_a_tracked_provider() {
	ExtBuilder::default().bond(ALICE, bond_for(1)).build().execute_with(|| {
		register(ALICE, 1);
		assert_ok!(Providers::do_try_state());
		crate::draw::leave::<Test>(&ALICE);
		assert!(Providers::do_try_state().is_err());
	});
}

/// Providers 10..26: the four cheapest (10..14, one attacker's) at price 1, the twelve others
/// (honest) at 50. All fit a job that pays up to 100.
fn sixteen_providers() -> ExtBuilder {
	(10..26).fold(ExtBuilder::default(), |ext, who| ext.bond(who, bond_for(1)))
}

const ATTACKER: [AccountId; 4] = [10, 11, 12, 13];

fn register_sixteen() {
	for who in 10..26 {
		register(who, if ATTACKER.contains(&who) { 1 } else { 50 });
	}
}

#[test]
fn holding_the_cheapest_places_does_not_capture_the_draw() {
	sixteen_providers().build_and_execute(|| {
		register_sixteen();
		// 1,200 draws of 3: each of the 16 about 3 / 16 of them, 225 times, whatever its price.
		let mut hits: BTreeMap<AccountId, u32> = BTreeMap::new();
		let mut captured = 0;
		for s in 0..1_200 {
			let drawn = draw(&any(), 100, 3, 64, &[], 2, s);
			assert_eq!(drawn.len(), 3);
			for who in &drawn {
				*hits.entry(*who).or_default() += 1;
			}
			if drawn.iter().filter(|who| ATTACKER.contains(who)).count() >= 2 {
				captured += 1;
			}
		}
		assert!(hits.values().all(|h| (160..=290).contains(h)), "{hits:?}");
		// A majority of 2 of 3 for the holder of 4 of 16: (C(4,2)*12 + C(4,3)) / C(16,3)
		// = 76 / 560, 13.6%, about 163 of 1,200 draws: its share of who fits, not of who is
		// cheapest.
		assert!((110..=220).contains(&captured), "{captured}");
	});
}

#[test]
fn the_draw_keeps_to_the_job_and_skips_who_it_must() {
	sixteen_providers().build_and_execute(|| {
		register_sixteen();
		// Registered later: at block 5, after a receipt of block 3.
		run_to_block(5);
		for who in [100, 101] {
			MockStake::set_bond(who, bond_for(1));
			register(who, 1);
		}
		let excluded = [14, 15, 16];
		for s in 0..200 {
			// The price cap leaves only the attacker's four; the exclusions, the late
			// registrations and the cap are kept in every draw.
			let cheap = draw(&any(), 10, 3, 64, &excluded, 3, s);
			assert_eq!(cheap.len(), 3);
			assert!(cheap.iter().all(|who| ATTACKER.contains(who)), "{cheap:?}");
			let drawn = draw(&any(), 100, 3, 64, &excluded, 3, s);
			assert!(drawn.iter().all(|who| !excluded.contains(who) && *who < 100), "{drawn:?}");
			// A requirement no one meets finds no one.
			let big = Requirements { min_vram_mib: 80 * 1024, ..any() };
			assert!(draw(&big, 100, 3, 64, &[], 3, s).is_empty());
			// A region is kept to.
			assert!(draw(&Requirements { region: Some(Asia), ..any() }, 100, 3, 64, &[], 3, s)
				.is_empty());
		}
		// A provider without free stake for the duty's collateral is skipped.
		for who in 10..26 {
			MockStake::set_free_stake(who, 0);
		}
		let with_collateral = Needs { collateral: 1, ..needs(&any()) };
		assert!(Providers::draw(&with_collateral, 100, 3, 64, &[], 3, &seed(1)).is_empty());
	});
}

#[test]
fn a_draw_looks_at_no_more_providers_than_its_tries() {
	sixteen_providers().build_and_execute(|| {
		register_sixteen();
		// With 4 tries of 16, at most 4 are looked at: asked for 16, it finds 4.
		assert_eq!(draw(&any(), 100, 16, 4, &[], 2, 1).len(), 4);
		// With as many tries as the roll is long, every fitting provider is found.
		assert_eq!(draw(&any(), 100, 16, 16, &[], 2, 1).len(), 16);
	});
}
