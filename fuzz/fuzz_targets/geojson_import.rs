//! GeoJSON import: a FeatureCollection as an import body, each feature read
//! as every layer's model, with the validation an import applies. It must
//! refuse with a reason, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use riskmap_engine::geojson::{
    parse_area, parse_camera, parse_key_place, parse_risk_source, parse_staff, read_collection,
};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(features) = read_collection(text) else {
        return;
    };
    for f in &features {
        let _ = parse_area(f);
        let _ = parse_staff(f);
        let _ = parse_camera(f);
        let _ = parse_risk_source(f);
        let _ = parse_key_place(f);
    }
});
