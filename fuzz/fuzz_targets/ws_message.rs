//! The `/ws` message decoder: any text a client sends is read as a message
//! and every field it carries is checked the way a connection checks it. It
//! must refuse with an error, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use riskmap_wire::query::{NearbyParams, NearestParams, PointParams};
use riskmap_wire::{ClientMessage, Layers, to_fix};

fuzz_target!(|data: &[u8]| {
    let Ok(msg) = serde_json::from_slice::<ClientMessage>(data) else {
        return;
    };
    match msg {
        ClientMessage::Subscribe { bbox, layers, .. } => {
            if let Some(names) = layers {
                let _ = Layers::parse(&names);
            }
            if let Some(b) = bbox {
                let _ = riskmap_engine::check_bbox(b);
            }
        }
        ClientMessage::Fix { fix, .. } => {
            let _ = to_fix(&fix, 1_767_225_600_000);
        }
        ClientMessage::Fixes { fixes, .. } => {
            for f in &fixes {
                let _ = to_fix(f, 1_767_225_600_000);
            }
        }
        ClientMessage::Query { params, .. } => {
            let v = serde_json::Value::Object(params);
            let _ = serde_json::from_value::<NearestParams>(v.clone());
            let _ = serde_json::from_value::<NearbyParams>(v.clone());
            let _ = serde_json::from_value::<PointParams>(v);
        }
        ClientMessage::Report { incident, .. } => {
            let _ = riskmap_engine::sphere::LonLat::new(incident.lon, incident.lat);
        }
        ClientMessage::Sos { note, .. } | ClientMessage::SosCancel { note, .. } => {
            let _ = note.map(|n| n.chars().count());
        }
        ClientMessage::Unsubscribe | ClientMessage::Ping { .. } => {}
    }
});
