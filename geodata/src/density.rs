//! Where people live: a smooth density surface (people per unit area, in
//! arbitrary units) over a rural base, with Gaussian peaks at Wenzhou's urban
//! centres and at every district seat.
//!
//! The surface drives everything that should look like a real city: grids
//! are apportioned by population, so they come out small where it is high;
//! staff, cameras and places follow the grids' populations.

use geo::Coord;

/// Density of the countryside.
const RURAL: f64 = 0.12;

/// Above this mean density an area counts as urban (街道, 社区), below it as
/// rural (镇/乡, 村).
pub const URBAN: f64 = 1.0;

/// One urban peak.
#[derive(Debug, Clone, Copy)]
struct Peak {
    at: Coord<f64>,
    height: f64,
    /// Standard deviation, degrees of latitude.
    sigma: f64,
}

/// The density surface.
#[derive(Debug, Clone)]
pub struct Density {
    peaks: Vec<Peak>,
    /// Length of a degree of longitude over one of latitude at the city's
    /// latitude, so that peaks are round on the ground.
    lon_scale: f64,
}

impl Density {
    /// Wenzhou: the old city in 鹿城 strongest; then the new centre towards
    /// 瓯海 and 龙湾, 瑞安 and 乐清; a smaller peak at each district seat
    /// (the source's label points, `seats`).
    #[must_use]
    pub fn wenzhou(seats: &[Coord<f64>]) -> Self {
        let mut peaks = vec![
            peak(120.660, 28.012, 20.0, 0.035),
            peak(120.700, 27.995, 9.0, 0.030),
            peak(120.640, 27.970, 8.0, 0.030),
            peak(120.750, 27.930, 7.0, 0.030),
            peak(120.640, 27.780, 7.0, 0.030),
            peak(120.960, 28.120, 7.0, 0.030),
        ];
        peaks.extend(seats.iter().map(|s| peak(s.x, s.y, 2.5, 0.022)));
        Density {
            peaks,
            lon_scale: 0.883, // cos 28°
        }
    }

    /// Any other city, where all that is known is its district seats (a
    /// district's seat of government is its busiest place): a peak at each
    /// seat, strong and wide enough that the town around it comes out urban
    /// (街道, 社区) and the countryside rural (镇, 村), as in Wenzhou, whose
    /// main centres are about this high and wide.
    #[must_use]
    pub fn around_seats(seats: &[Coord<f64>]) -> Self {
        let mean_lat = seats.iter().map(|s| s.y).sum::<f64>() / seats.len().max(1) as f64;
        Density {
            peaks: seats.iter().map(|s| peak(s.x, s.y, 8.0, 0.03)).collect(),
            lon_scale: mean_lat.to_radians().cos(),
        }
    }

    /// The density at `p` (longitude, latitude).
    #[must_use]
    pub fn at(&self, p: Coord<f64>) -> f64 {
        RURAL
            + self
                .peaks
                .iter()
                .map(|k| {
                    let dx = (p.x - k.at.x) * self.lon_scale;
                    let dy = p.y - k.at.y;
                    let d2 = dx * dx + dy * dy;
                    // Skip the exponential far from the peak: it is zero.
                    if d2 > 50.0 * k.sigma * k.sigma {
                        0.0
                    } else {
                        k.height * (-d2 / (2.0 * k.sigma * k.sigma)).exp()
                    }
                })
                .sum::<f64>()
    }
}

fn peak(lon: f64, lat: f64, height: f64, sigma: f64) -> Peak {
    Peak {
        at: Coord { x: lon, y: lat },
        height,
        sigma,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_old_city_is_denser_than_the_mountains() {
        let d = Density::wenzhou(&[]);
        let core = d.at(Coord {
            x: 120.66,
            y: 28.01,
        });
        let hills = d.at(Coord { x: 119.8, y: 27.6 });
        assert!(core > URBAN && hills < URBAN);
        assert!(core > 100.0 * hills);
    }

    #[test]
    fn seats_are_urban_and_the_land_between_rural() {
        let seats = [
            Coord {
                x: 116.40,
                y: 39.90,
            },
            Coord {
                x: 116.70,
                y: 39.90,
            },
        ];
        let d = Density::around_seats(&seats);
        assert!(d.at(seats[0]) > URBAN && d.at(seats[1]) > URBAN);
        assert!(
            d.at(Coord {
                x: 116.55,
                y: 39.90
            }) < URBAN
        );
    }
}
