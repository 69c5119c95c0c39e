//! Great-circle distances on a spherical Earth.
//!
//! Hand-written rather than a crate: the haversine formula and its inverse are a dozen lines,
//! and the geo crates pull in far more than the two functions the 80 km rule needs.

/// The mean Earth radius (IUGG), in km.
const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Whether a distance is "more than 80 km" from the reference point. Compared in whole metres
/// (the spec's decision): a GPS fix is not finer, and it keeps a point placed at exactly 80 km
/// within range on every bearing, where the last bits of a floating-point computation would
/// otherwise put some 80 km points 6 picometres beyond.
pub fn beyond_activation_distance(distance_km: f64) -> bool {
    (distance_km * 1000.0).round() > crate::defaults::MAX_ACTIVATION_DISTANCE_KM * 1000.0
}

/// The great-circle (haversine) distance between two points, in km.
pub fn distance_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (phi1, phi2) = (lat1.to_radians(), lat2.to_radians());
    let d_phi = (lat2 - lat1).to_radians();
    let d_lambda = (lon2 - lon1).to_radians();
    let a = (d_phi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (d_lambda / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
}

/// The point `distance_km` away from (`lat`, `lon`) on the initial `bearing_deg` (0 = north),
/// as (latitude, longitude). Tests use it to place points at an exact distance.
pub fn destination_point(lat: f64, lon: f64, bearing_deg: f64, distance_km: f64) -> (f64, f64) {
    let delta = distance_km / EARTH_RADIUS_KM;
    let theta = bearing_deg.to_radians();
    let phi1 = lat.to_radians();
    let lambda1 = lon.to_radians();
    let phi2 = (phi1.sin() * delta.cos() + phi1.cos() * delta.sin() * theta.cos()).asin();
    let lambda2 = lambda1
        + (theta.sin() * delta.sin() * phi1.cos()).atan2(delta.cos() - phi1.sin() * phi2.sin());
    let lon2 = (lambda2.to_degrees() + 540.0) % 360.0 - 180.0;
    (phi2.to_degrees(), lon2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cairo_to_alexandria_is_about_180_km() {
        let d = distance_km(30.0444, 31.2357, 31.2001, 29.9187);
        assert!((175.0..185.0).contains(&d), "{d}");
    }

    #[test]
    fn destination_point_round_trips() {
        for bearing in [0.0, 45.0, 90.0, 200.0, 315.0] {
            let (lat, lon) = destination_point(30.0444, 31.2357, bearing, 79.0);
            let d = distance_km(30.0444, 31.2357, lat, lon);
            assert!((d - 79.0).abs() < 1e-6, "{bearing}: {d}");
        }
    }

    #[test]
    fn exactly_80_km_is_within_on_every_bearing_and_a_metre_more_is_not() {
        for bearing in 0..360 {
            let (lat, lon) = destination_point(30.0444, 31.2357, f64::from(bearing), 80.0);
            let d = distance_km(30.0444, 31.2357, lat, lon);
            assert!(!beyond_activation_distance(d), "{bearing}: {d}");
            let (lat, lon) = destination_point(30.0444, 31.2357, f64::from(bearing), 80.001);
            let d = distance_km(30.0444, 31.2357, lat, lon);
            assert!(beyond_activation_distance(d), "{bearing}: {d}");
        }
    }

    #[test]
    fn same_point_is_zero() {
        assert_eq!(distance_km(10.0, 20.0, 10.0, 20.0), 0.0);
    }
}
