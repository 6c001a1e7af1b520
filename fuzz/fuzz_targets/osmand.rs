//! The OsmAnd decoder (as Traccar Client sends it): a query string or form
//! body, or Traccar's JSON, into a fix — then the fix's checks. It must
//! refuse with a reason, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use riskmap_wire::osmand::{parse_json, parse_params};
use riskmap_wire::to_fix;

fuzz_target!(|data: &[u8]| {
    let now = 1_767_225_600_000;
    if let Ok((_, fix)) = parse_json(data) {
        let _ = to_fix(&fix, now);
    }
    if let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(data)
        && let Ok((_, fix)) = parse_params(&pairs)
    {
        let _ = to_fix(&fix, now);
    }
});
