//! 摄像头在线 — camera health: each camera's `stream_url` is probed on a
//! schedule (a bounded number at a time, each with a timeout); the cameras
//! whose answer changed are committed as one [`DomainEvent::CamerasProbed`],
//! applied to the engine and pushed to viewers as `camera_update`.
//!
//! On a cluster only the lease holder probes (serve/tasks.rs); the other
//! nodes apply its event.

use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream;
use serde_json::json;

use super::App;
use super::cluster::{Change, Shipment};
use crate::event::{CameraHealth, DomainEvent};
use crate::live::protocol::camera_json;
use crate::live::{Event, Reach};
use crate::net::probe;
use crate::store::StoreError;
use riskmap_engine::model::Camera;
use riskmap_wire::Layers;

/// How many streams are probed at once.
pub const PROBES_AT_ONCE: usize = 32;

/// How many probes in a row must fail before an online camera is marked
/// offline: one slow answer from a busy gateway is not an outage, and a
/// camera flapping on the wall every minute would teach operators to ignore
/// the grey. One answer is enough to bring it back.
pub const OFFLINE_AFTER_MISSES: u8 = 2;

/// More cameras changed at once than this is an outage: their viewers are
/// resynced rather than sent a `camera_update` each (the bench `outage`: a
/// hundred thousand weighed against 200 viewers held the hub's lock 0.84 s;
/// a thousand, about a hundredth of that).
pub const MASS_CHANGE: usize = 1_000;

/// How many cameras' flags are set under one hold of the engine's write lock
/// (a flip is a lookup: thousands take about a millisecond).
const FLIPS_PER_LOCK: usize = 4_096;

/// The layers whose viewers hear of a camera's health.
const CAMERA_LAYERS: Layers = Layers::CAMERAS.union(Layers::CAMERA_HEALTH);

/// The cameras whose state changes after a round of probes (`(id, was
/// online, answered)`), given each camera's misses in a row before it (kept
/// up to date here; a camera not probed this round is forgotten).
fn health_changes(
    found: Vec<(String, bool, bool)>,
    misses: &mut std::collections::HashMap<String, u8>,
) -> Vec<CameraHealth> {
    let probed: std::collections::HashSet<&str> =
        found.iter().map(|(id, _, _)| id.as_str()).collect();
    misses.retain(|id, _| probed.contains(id.as_str()));
    let mut changes = Vec::new();
    for (camera_id, was, answered) in found {
        if answered {
            misses.remove(&camera_id);
            if !was {
                changes.push(CameraHealth {
                    camera_id,
                    online: true,
                });
            }
            continue;
        }
        let n = misses.entry(camera_id.clone()).or_insert(0);
        *n = n.saturating_add(1);
        if was && *n >= OFFLINE_AFTER_MISSES {
            changes.push(CameraHealth {
                camera_id,
                online: false,
            });
        }
    }
    changes
}

/// Whether a stream URL is worth probing: a host under `.invalid` (RFC
/// 6761: never resolves) is a placeholder, as the demo city's are.
fn probeable(url: &str) -> bool {
    match probe::target(url) {
        Ok(probe::Target::Http { host, .. } | probe::Target::Tcp { host, .. }) => {
            let host = host.trim_end_matches('.').to_ascii_lowercase();
            host != "invalid" && !host.ends_with(".invalid")
        }
        Err(_) => false,
    }
}

impl App {
    /// Probes every camera with a stream URL and commits the changes;
    /// answers how many cameras changed.
    pub async fn probe_cameras(&self, timeout: Duration) -> Result<usize, StoreError> {
        let targets: Vec<(String, String, bool)> = {
            let engine = self.engine.read();
            engine
                .cameras()
                .iter()
                .filter_map(|(_, c)| {
                    let url = c.stream_url.as_deref().filter(|u| probeable(u))?;
                    Some((c.id.clone(), url.to_owned(), c.online))
                })
                .collect()
        };
        let found: Vec<(String, bool, bool)> = stream::iter(targets)
            .map(|(id, url, was)| async move { (id, was, probe::probe(&url, timeout).await) })
            .buffer_unordered(PROBES_AT_ONCE)
            .collect()
            .await;
        let mut changes = health_changes(found, &mut self.camera_misses.lock());
        if changes.is_empty() {
            return Ok(0);
        }
        changes.sort_by(|a, b| a.camera_id.cmp(&b.camera_id));
        let pairs: Vec<(String, bool)> = changes
            .iter()
            .map(|c| (c.camera_id.clone(), c.online))
            .collect();
        let event = DomainEvent::CamerasProbed { changes };
        let shipment = self.shipment(|| Change::Event(Box::new(event.clone())));
        let id = self
            .store
            .set_cameras_online_kept(&pairs, shipment.as_ref().map(Shipment::outgoing))
            .await?;
        self.shipped(id, shipment);
        self.apply(&event);
        Ok(pairs.len())
    }

    /// Sets committed `online` flags and tells the viewers of the cameras.
    ///
    /// A few changes go out as `camera_update`s, each to the viewers whose
    /// area and box hold the camera. An outage (more than [`MASS_CHANGE`]:
    /// a gateway down) would be as many messages, each weighed against every
    /// viewer under the hub's lock (which every fix batch waits for) and
    /// overflowing every queue it reaches (16 messages) into a resync anyway:
    /// the viewers of the cameras are resynced at once instead, and their
    /// fresh snapshots carry the new states.
    pub(super) fn set_cameras_online(&self, changes: &[CameraHealth]) {
        let mass = changes.len() > MASS_CHANGE;
        for part in changes.chunks(FLIPS_PER_LOCK) {
            let pushes: Vec<(Camera, Reach)> = {
                let mut engine = self.engine.write();
                part.iter()
                    .filter_map(|c| {
                        let idx = engine.set_camera_online(&c.camera_id, c.online)?;
                        if mass {
                            return None;
                        }
                        // Its reach read under this same lock: the grid's
                        // index means something only in the tree it was
                        // read with.
                        let cameras = engine.cameras();
                        Some((
                            cameras.get(idx)?.clone(),
                            Reach::of(cameras.grid(idx), engine.areas()),
                        ))
                    })
                    .collect()
            };
            for (camera, reach) in pushes {
                let text =
                    json!({ "type": "camera_update", "camera": camera_json(&camera) }).to_string();
                self.hub.publish(Event {
                    text: text.into(),
                    layer: CAMERA_LAYERS,
                    reach,
                    at: Some(camera.location),
                });
            }
        }
        if mass {
            self.hub.resync_viewers_of(CAMERA_LAYERS);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offline_only_after_misses_in_a_row() {
        let mut misses = std::collections::HashMap::new();
        let round = |misses: &mut _, found: &[(&str, bool, bool)]| {
            health_changes(
                found
                    .iter()
                    .map(|&(id, was, ok)| (id.to_owned(), was, ok))
                    .collect(),
                misses,
            )
            .into_iter()
            .map(|c| (c.camera_id, c.online))
            .collect::<Vec<_>>()
        };
        // One miss: still online. A second in a row: offline.
        assert!(round(&mut misses, &[("C1", true, false)]).is_empty());
        assert_eq!(
            round(&mut misses, &[("C1", true, false)]),
            [("C1".to_owned(), false)]
        );
        // A miss, an answer, a miss: never two in a row, never offline.
        assert!(round(&mut misses, &[("C2", true, false)]).is_empty());
        assert!(round(&mut misses, &[("C2", true, true)]).is_empty());
        assert!(round(&mut misses, &[("C2", true, false)]).is_empty());
        // One answer brings an offline camera back.
        assert_eq!(
            round(&mut misses, &[("C1", false, true)]),
            [("C1".to_owned(), true)]
        );
        // A camera no longer probed is forgotten.
        assert!(round(&mut misses, &[("C3", true, true)]).is_empty());
        assert!(misses.is_empty(), "{misses:?}");
    }

    #[test]
    fn placeholders_are_not_probed() {
        assert!(!probeable("rtsp://video.invalid/C000001"));
        assert!(!probeable("http://INVALID./x.m3u8"));
        assert!(!probeable("file:///x"));
        assert!(probeable("http://gw.example/live/C1.m3u8"));
        assert!(probeable("rtsp://10.1.2.3/ch1"));
    }
}
