//! A challenge's location: an RFC 7946 geometry read with the `geojson` crate, then held to what a
//! map of needs can use — Point, LineString, Polygon or MultiPolygon; longitudes in [-180, 180] and
//! latitudes in [-90, 90]; linear rings closed, with at least 4 positions; at most 10,000 positions.
//! Rings are then turned to follow the right-hand rule (exterior counterclockwise, holes clockwise),
//! which RFC 7946 asks of what palabre writes back.

use geojson::{GeometryValue, Position};
use serde_json::Value;

/// At most this many positions in one location.
pub const MAX_POSITIONS: usize = 10_000;

/// A location that passed every check: the geometry as stored and served, and its bounding box.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    pub geometry: Value,
    /// `[minlon, minlat, maxlon, maxlat]`.
    pub bbox: [f64; 4],
}

struct Walk {
    positions: usize,
    bbox: [f64; 4],
}

impl Walk {
    fn new() -> Self {
        Walk {
            positions: 0,
            bbox: [
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            ],
        }
    }

    fn position(&mut self, p: &Position) -> Result<(), String> {
        let c = p.as_slice();
        if !(2..=3).contains(&c.len()) {
            return Err("A position is [longitude, latitude] (and an optional altitude).".into());
        }
        let (lon, lat) = (c[0], c[1]);
        if !c.iter().all(|v| v.is_finite()) {
            return Err("Coordinates are finite numbers.".into());
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err(format!("Longitude {lon} is outside [-180, 180]."));
        }
        if !(-90.0..=90.0).contains(&lat) {
            return Err(format!("Latitude {lat} is outside [-90, 90]."));
        }
        self.positions += 1;
        if self.positions > MAX_POSITIONS {
            return Err(format!("At most {MAX_POSITIONS} positions."));
        }
        self.bbox = [
            self.bbox[0].min(lon),
            self.bbox[1].min(lat),
            self.bbox[2].max(lon),
            self.bbox[3].max(lat),
        ];
        Ok(())
    }

    fn line(&mut self, line: &[Position]) -> Result<(), String> {
        if line.len() < 2 {
            return Err("A LineString has at least 2 positions.".into());
        }
        line.iter().try_for_each(|p| self.position(p))
    }

    fn polygon(&mut self, rings: &[Vec<Position>]) -> Result<(), String> {
        if rings.is_empty() {
            return Err("A Polygon has at least its exterior ring.".into());
        }
        for ring in rings {
            if ring.len() < 4 {
                return Err("A linear ring has at least 4 positions.".into());
            }
            if ring.first().map(Position::as_slice) != ring.last().map(Position::as_slice) {
                return Err("A linear ring is closed: its last position repeats its first.".into());
            }
            ring.iter().try_for_each(|p| self.position(p))?;
        }
        Ok(())
    }
}

/// Twice the signed area of a closed ring (shoelace): positive when counterclockwise.
fn signed_area(ring: &[Position]) -> f64 {
    ring.windows(2)
        .map(|w| {
            let (a, b) = (w[0].as_slice(), w[1].as_slice());
            a[0] * b[1] - b[0] * a[1]
        })
        .sum()
}

/// Exterior ring counterclockwise, holes clockwise (RFC 7946, section 3.1.6).
fn right_hand(rings: &mut [Vec<Position>]) {
    for (i, ring) in rings.iter_mut().enumerate() {
        let area = signed_area(ring);
        if (i == 0 && area < 0.0) || (i > 0 && area > 0.0) {
            ring.reverse();
        }
    }
}

/// Reads and checks a location; the message says what is wrong.
pub fn parse(value: &Value) -> Result<Location, String> {
    let mut geometry: geojson::Geometry = serde_json::from_value(value.clone())
        .map_err(|e| format!("Not a GeoJSON geometry: {e}."))?;
    let mut walk = Walk::new();
    match &geometry.value {
        GeometryValue::Point { coordinates } => walk.position(coordinates)?,
        GeometryValue::LineString { coordinates } => walk.line(coordinates)?,
        GeometryValue::Polygon { coordinates } => walk.polygon(coordinates)?,
        GeometryValue::MultiPolygon { coordinates } => {
            if coordinates.is_empty() {
                return Err("A MultiPolygon has at least one polygon.".into());
            }
            coordinates.iter().try_for_each(|p| walk.polygon(p))?
        }
        other => {
            return Err(format!(
                "{} is not accepted: use Point, LineString, Polygon or MultiPolygon.",
                other.type_name()
            ));
        }
    }
    match &mut geometry.value {
        GeometryValue::Polygon { coordinates } => right_hand(coordinates),
        GeometryValue::MultiPolygon { coordinates } => {
            coordinates.iter_mut().for_each(|p| right_hand(p))
        }
        _ => {}
    }
    // Stored as the geometry alone: no foreign members, no bbox of the client's.
    let geometry = serde_json::to_value(geojson::Geometry::new(geometry.value))
        .map_err(|e| format!("Not a GeoJSON geometry: {e}."))?;
    Ok(Location {
        geometry,
        bbox: walk.bbox,
    })
}

/// A `bbox` query parameter: `minlon,minlat,maxlon,maxlat`.
pub fn parse_bbox(value: &str) -> Result<[f64; 4], String> {
    let parts: Vec<f64> = value
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| "Four numbers: minlon,minlat,maxlon,maxlat.".to_string())?;
    let [minlon, minlat, maxlon, maxlat] = parts[..] else {
        return Err("Four numbers: minlon,minlat,maxlon,maxlat.".into());
    };
    let lon = -180.0..=180.0;
    let lat = -90.0..=90.0;
    if !(lon.contains(&minlon)
        && lon.contains(&maxlon)
        && lat.contains(&minlat)
        && lat.contains(&maxlat))
    {
        return Err("Longitudes in [-180, 180], latitudes in [-90, 90].".into());
    }
    if minlon > maxlon || minlat > maxlat {
        return Err("The minimums come first: minlon ≤ maxlon and minlat ≤ maxlat.".into());
    }
    Ok([minlon, minlat, maxlon, maxlat])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn accepts_the_four_kinds_and_computes_the_box() {
        let p = parse(&json!({"type": "Point", "coordinates": [-4.49, 48.39]})).unwrap();
        assert_eq!(p.bbox, [-4.49, 48.39, -4.49, 48.39]);
        let ring = json!([
            [-4.6, 48.3],
            [-4.4, 48.3],
            [-4.4, 48.5],
            [-4.6, 48.5],
            [-4.6, 48.3]
        ]);
        let poly = parse(&json!({"type": "Polygon", "coordinates": [ring]})).unwrap();
        assert_eq!(poly.bbox, [-4.6, 48.3, -4.4, 48.5]);
        assert!(parse(&json!({"type": "MultiPolygon", "coordinates": [[ring]]})).is_ok());
        assert!(
            parse(&json!({"type": "LineString", "coordinates": [[2.35, 48.85], [2.36, 48.86]]}))
                .is_ok()
        );
        // Foreign members are dropped.
        let p =
            parse(&json!({"type": "Point", "coordinates": [1, 2], "evil": "<script>"})).unwrap();
        assert_eq!(
            p.geometry,
            json!({"type": "Point", "coordinates": [1.0, 2.0]})
        );
    }

    #[test]
    fn refuses_what_a_map_cannot_use() {
        for bad in [
            json!({"type": "Point", "coordinates": [200, 48]}),
            json!({"type": "Point", "coordinates": [2, 91]}),
            json!({"type": "Point", "coordinates": [2]}),
            json!({"type": "MultiPoint", "coordinates": [[2, 48]]}),
            json!({"type": "LineString", "coordinates": [[2, 48]]}),
            json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}),
            json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}),
            json!({"type": "Polygon", "coordinates": []}),
            json!({"type": "Feature", "geometry": null, "properties": {}}),
            json!({"type": "Circle", "coordinates": [0, 0]}),
            json!("POINT(2 48)"),
        ] {
            assert!(parse(&bad).is_err(), "{bad}");
        }
        let many: Vec<_> = (0..10_001).map(|i| json!([i as f64 / 1e4, 45.0])).collect();
        assert!(parse(&json!({"type": "LineString", "coordinates": many})).is_err());
    }

    #[test]
    fn rings_follow_the_right_hand_rule() {
        // A clockwise exterior ring (and a counterclockwise hole) come back turned.
        let cw = json!([[0, 0], [0, 1], [1, 1], [1, 0], [0, 0]]);
        let hole_ccw = json!([[0.2, 0.2], [0.8, 0.2], [0.8, 0.8], [0.2, 0.8], [0.2, 0.2]]);
        let p = parse(&json!({"type": "Polygon", "coordinates": [cw, hole_ccw]})).unwrap();
        let rings = &p.geometry["coordinates"];
        assert_eq!(
            rings[0][1],
            json!([1.0, 0.0]),
            "exterior now counterclockwise"
        );
        assert_eq!(rings[1][1], json!([0.2, 0.8]), "hole now clockwise");
        let ccw = json!([[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]);
        let q = parse(&json!({"type": "MultiPolygon", "coordinates": [[ccw]]})).unwrap();
        assert_eq!(
            q.geometry["coordinates"][0][0][1],
            json!([1.0, 0.0]),
            "kept as it was"
        );
    }

    #[test]
    fn bounding_boxes() {
        assert_eq!(
            parse_bbox("-5.2,47.6,-3.3,48.9").unwrap(),
            [-5.2, 47.6, -3.3, 48.9]
        );
        for bad in ["", "1,2,3", "a,b,c,d", "1,2,3,4,5", "10,0,5,1", "0,-95,1,1"] {
            assert!(parse_bbox(bad).is_err(), "{bad}");
        }
    }
}
