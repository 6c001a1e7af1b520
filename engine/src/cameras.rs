//! Which cameras can see a point: within range and inside the field of view.

use super::error::Result;
use super::layer::{FeatureIdx, Layer};
use super::model::Camera;
use super::sphere::{self, LonLat};

/// Whether `camera` sees `target`, and at what distance.
#[must_use]
pub fn sees(camera: &Camera, target: LonLat) -> Option<f64> {
    let d = sphere::distance_m(camera.location, target);
    if d > camera.range_m {
        return None;
    }
    match (camera.heading_deg, camera.fov_deg) {
        // A dome, or a camera whose direction is unknown: all around.
        (None, _) | (_, None) => Some(d),
        (Some(_), Some(fov)) if fov >= 360.0 => Some(d),
        // The camera's own spot is in view whatever it faces.
        _ if d == 0.0 => Some(d),
        (Some(heading), Some(fov)) => {
            let gap =
                sphere::bearing_gap_deg(sphere::bearing_deg(camera.location, target), heading);
            (gap <= fov / 2.0).then_some(d)
        }
    }
}

/// Cameras that can see `target`, nearest first. `max_range_m` is the largest
/// range of any camera in the layer: candidates come from that radius.
pub fn seeing(
    layer: &Layer<Camera>,
    target: LonLat,
    max_range_m: f64,
) -> Result<Vec<(FeatureIdx, f64)>> {
    let mut out: Vec<(FeatureIdx, f64)> = layer
        .within(target, max_range_m)?
        .into_iter()
        .filter_map(|(i, _)| Some((i, sees(layer.get(i)?, target)?)))
        .collect();
    out.sort_unstable_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn camera(heading: Option<f64>, fov: Option<f64>) -> Camera {
        Camera {
            id: "C1".into(),
            name: "c".into(),
            heading_deg: heading,
            fov_deg: fov,
            range_m: 100.0,
            stream_url: None,
            online: true,
            owner: String::new(),
            location: LonLat::new(120.0, 28.0).unwrap(),
        }
    }

    #[test]
    fn field_of_view_and_range() {
        let north_50m = LonLat::new(120.0, 28.0 + 50.0 / 111_195.0).unwrap();
        let south_50m = LonLat::new(120.0, 28.0 - 50.0 / 111_195.0).unwrap();
        let north_150m = LonLat::new(120.0, 28.0 + 150.0 / 111_195.0).unwrap();
        let facing_north = camera(Some(0.0), Some(90.0));
        assert!(sees(&facing_north, north_50m).is_some());
        assert!(sees(&facing_north, south_50m).is_none());
        assert!(sees(&facing_north, north_150m).is_none());
        let dome = camera(None, None);
        assert!(sees(&dome, south_50m).is_some());
        let wraps = camera(Some(350.0), Some(40.0));
        assert!(sees(&wraps, north_50m).is_some());
    }
}
