//! The city on disk: one RFC 7946 FeatureCollection per layer (the names in
//! [`riskmap_engine::city::LAYER_FILES`]), written with riskmap's own feature
//! functions so that the server reads back exactly what was built. Plus the
//! summary printed at the end of a build.

use std::fmt::Write as _;
use std::io;
use std::path::Path;
use std::time::Duration;

use geojson::Feature;
use riskmap_engine::geojson::{
    area_feature, camera_feature, key_place_feature, risk_source_feature, staff_feature,
    write_collection,
};
use riskmap_engine::model::{AreaLevel, Role};

use crate::city::City;
use crate::progress;
use crate::tree::km2;

/// The layer files, in the order the server loads them.
pub const AREAS: &str = "areas.geojson";
/// Field staff.
pub const STAFF: &str = "staff.geojson";
/// Cameras.
pub const CAMERAS: &str = "cameras.geojson";
/// Risk sources.
pub const RISK_SOURCES: &str = "risk_sources.geojson";
/// Key places.
pub const KEY_PLACES: &str = "key_places.geojson";

/// Writes the five layer files into `dir` (created if missing). Staff, the
/// biggest layer, is written on its own thread beside the others.
pub fn write(city: &City, dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let layer = |file: &str, len: usize, features: &mut dyn Iterator<Item = Feature>| {
        let bar = progress::bar(len, &format!("write {}", file.trim_end_matches(".geojson")));
        let result = write_collection(&dir.join(file), features.inspect(|_| bar.inc(1)));
        bar.finish();
        result
    };
    std::thread::scope(|s| {
        let staff = s.spawn(|| {
            layer(
                STAFF,
                city.staff.len(),
                &mut city.staff.iter().map(staff_feature),
            )
        });
        layer(
            AREAS,
            city.areas.len(),
            &mut city.areas.iter().map(area_feature),
        )?;
        layer(
            CAMERAS,
            city.cameras.len(),
            &mut city.cameras.iter().map(camera_feature),
        )?;
        layer(
            RISK_SOURCES,
            city.risk_sources.len(),
            &mut city.risk_sources.iter().map(risk_source_feature),
        )?;
        layer(
            KEY_PLACES,
            city.key_places.len(),
            &mut city.key_places.iter().map(key_place_feature),
        )?;
        staff
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e))
    })
}

/// A one-screen summary: areas per level, grid sizes, the layers' counts.
#[must_use]
pub fn summary(city: &City, elapsed: Duration) -> String {
    let mut s = String::new();
    let count = |level: AreaLevel| city.areas.iter().filter(|a| a.level == level).count();
    let _ = writeln!(
        s,
        "areas      {} city, {} districts, {} streets, {} communities, {} grids",
        count(AreaLevel::City),
        count(AreaLevel::District),
        count(AreaLevel::Street),
        count(AreaLevel::Community),
        count(AreaLevel::Grid),
    );
    let mut sizes: Vec<f64> = city
        .areas
        .iter()
        .filter(|a| a.level == AreaLevel::Grid)
        .map(|a| km2(&a.geometry))
        .collect();
    sizes.sort_by(f64::total_cmp);
    if let (Some(min), Some(max)) = (sizes.first(), sizes.last()) {
        let median = sizes[sizes.len() / 2];
        let _ = writeln!(
            s,
            "grid size  min {min:.4} km², median {median:.3} km², max {max:.1} km²"
        );
    }
    let roles: Vec<String> = Role::ALL
        .iter()
        .map(|&r| {
            let n = city.staff.iter().filter(|x| x.role == r).count();
            format!("{} {n}", r.label_zh())
        })
        .collect();
    let _ = writeln!(s, "staff      {} ({})", city.staff.len(), roles.join(", "));
    let online = city.cameras.iter().filter(|c| c.online).count();
    let _ = writeln!(s, "cameras    {} ({online} online)", city.cameras.len());
    let _ = writeln!(s, "risks      {}", city.risk_sources.len());
    let _ = writeln!(s, "key places {}", city.key_places.len());
    let _ = writeln!(s, "built in   {:.1} s", elapsed.as_secs_f64());
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_file_names_are_the_servers() {
        assert_eq!(
            [
                super::AREAS,
                super::STAFF,
                super::CAMERAS,
                super::RISK_SOURCES,
                super::KEY_PLACES
            ],
            riskmap_engine::city::LAYER_FILES
        );
    }
}
