//! The facade in headless Chromium (`WASM_BINDGEN_USE_BROWSER=1 wasm-pack test --headless --chrome tests/wasm -- --test browser`).

mod common;

use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn the_conformance_vectors_decide_alike_in_wasm() {
    common::the_conformance_vectors_decide_alike_in_wasm();
}

#[wasm_bindgen_test]
fn timestamps_outside_safe_integers_are_call_errors_not_traps() {
    common::timestamps_outside_safe_integers_are_call_errors_not_traps();
}

#[wasm_bindgen_test]
fn errors_cross_as_objects_with_a_kind_and_located_problems() {
    common::errors_cross_as_objects_with_a_kind_and_located_problems();
}

#[wasm_bindgen_test]
fn arguments_are_decided_or_refused_with_their_place() {
    common::arguments_are_decided_or_refused_with_their_place();
}

#[wasm_bindgen_test]
fn state_and_simulation_round_trip_through_json() {
    common::state_and_simulation_round_trip_through_json();
}

#[wasm_bindgen_test]
fn validation_filtering_and_version_work_in_wasm() {
    common::validation_filtering_and_version_work_in_wasm();
}
