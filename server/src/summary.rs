//! `riskmap summary`: load a city and show what the engine makes of it.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use riskmap_engine::city::{self, CityDirError};
use riskmap_engine::model::AreaLevel;
use riskmap_engine::sphere::LonLat;
use riskmap_engine::{BuildTimes, Engine, EngineConfig, NearestQuery, StaffFilter};

/// Loads `dir` and renders a report.
pub fn run(dir: &Path, config: EngineConfig) -> Result<String, CityDirError> {
    let t0 = Instant::now();
    let layers = city::read(dir)?;
    let read_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let (engine, times) = Engine::build(config, layers)?;
    let build_s = t1.elapsed().as_secs_f64();
    Ok(report(&engine, dir, read_s, build_s, &times))
}

fn report(engine: &Engine, dir: &Path, read_s: f64, build_s: f64, times: &BuildTimes) -> String {
    let mut out = String::new();
    let areas = engine.areas();
    let _ = writeln!(out, "city directory   {}", dir.display());
    for level in AreaLevel::ALL {
        let n = areas.iter().filter(|(_, a)| a.level == level).count();
        let _ = writeln!(out, "  {:<14} {n}", level.label_zh());
    }
    let _ = writeln!(out, "  staff          {}", engine.staff().len());
    let _ = writeln!(out, "  cameras        {}", engine.cameras().len());
    let _ = writeln!(out, "  risk sources   {}", engine.risk_sources().len());
    let _ = writeln!(out, "  key places     {}", engine.key_places().len());
    let (cells, interior) = areas.locator().cell_counts();
    let _ = writeln!(
        out,
        "H3 locator       {cells} cells ({interior} interior) at resolution {}",
        u8::from(areas.locator().resolution())
    );
    let _ = writeln!(out, "read {read_s:.2} s, indexes built in {build_s:.2} s");
    let _ = writeln!(
        out,
        "  side by side: areas and locator {:.2} s, staff {:.2} s, layers {:.2} s; \
         then placing features in grids {:.2} s",
        times.areas.as_secs_f64(),
        times.staff.as_secs_f64(),
        times.layers.as_secs_f64(),
        times.placing.as_secs_f64()
    );

    // The city's first district's label point stands in for "the centre".
    let Some(centre) = areas
        .iter()
        .find(|(_, a)| a.level == AreaLevel::Grid)
        .and_then(|(_, a)| {
            use geo::InteriorPoint;
            let p = a.geometry.interior_point()?;
            LonLat::new(p.x(), p.y()).ok()
        })
    else {
        return out;
    };
    let _ = writeln!(out, "\nat {:.5}, {:.5}:", centre.lon, centre.lat);
    if let Ok(Some(chain)) = engine.locate(centre) {
        let names: Vec<&str> = chain
            .iter()
            .rev()
            .map(|&i| areas.get(i).name.as_str())
            .collect();
        let _ = writeln!(out, "  grid chain     {}", names.join(" → "));
    }
    let query = NearestQuery {
        point: centre,
        k: 5,
        filter: StaffFilter {
            available_only: true,
            ..StaffFilter::default()
        },
        max_m: None,
        same_grid_first: true,
        fixed_since: None,
    };
    if let Ok(found) = engine.nearest_staff(&query) {
        for c in found {
            if let Some(m) = engine.staff().get(c.idx) {
                let _ = writeln!(
                    out,
                    "  staff          {} {} {} {:.0} m{}",
                    m.id,
                    m.name,
                    m.role.label_zh(),
                    c.distance_m,
                    if c.same_grid { " (本网格)" } else { "" }
                );
            }
        }
    }
    if let Ok(seen) = engine.cameras_seeing(centre) {
        let _ = writeln!(out, "  cameras seeing {}", seen.len());
    }
    out
}
