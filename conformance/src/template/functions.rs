//! The generated values templates can ask for: ids, times, phone numbers, points at a distance,
//! images, the test identity's documents.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{SecondsFormat, Utc};
use rand::Rng as _;
use serde_json::{Value, json};

use crate::recipients::PhoneRange;
use crate::template::png::png;
use crate::template::product_fields::field_values;
use crate::template::url::{query_param, set_query_param, url_path};
use crate::template::{Arg, value_text};

/// The units a number may carry.
pub const UNITS: &[&str] = &["km", "deg", "ms", "s", "min", "h", "d", "b", "kb", "mb"];

/// The Earth's mean radius (IUGG), the radius of the great-circle formulas below.
const EARTH_RADIUS_KM: f64 = 6371.0088;

/// The most digits `digits(n)` makes (longer than any code or number a case needs).
pub const MAX_DIGITS: usize = 64;

/// The largest image `image(seed, size)` makes: 8 MB, above the sandbox's 500 KB image limit
/// (`ImageTooLarge`) and its 4 MiB body limit (`PayloadTooLarge`), and small enough that a
/// case cannot exhaust memory.
pub const MAX_IMAGE_BYTES: usize = 8_000_000;

/// What the values of `phone()`, `email()`, `id_front()`, `id_back()` and `face(n)` depend on:
/// the target. On a sandbox nobody receives anything and any image will do; on a shared target
/// numbers and addresses come from its test range and documents from its profile.
#[derive(Debug, Clone, Default)]
pub struct Generators {
    /// Where `phone()` draws from; `None`: any Egyptian mobile number.
    pub phones: Option<PhoneRange>,
    /// The domain of `email()`; `None`: `example.com`.
    pub email_domain: Option<String>,
    /// The test identity's documents.
    pub documents: Documents,
}

/// Where `id_front()`, `id_back()` and `face(n)` come from.
#[derive(Clone, Default)]
pub enum Documents {
    /// Distinct generated PNGs (a sandbox reads no document).
    #[default]
    Generated,
    /// Base64 images of a real test identity (a staging profile's `[identity]`).
    Given(Arc<IdentityDocuments>),
    /// None: a case that needs them cannot run.
    Missing,
}

impl std::fmt::Debug for Documents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Documents::Generated => "Generated",
            Documents::Given(_) => "Given",
            Documents::Missing => "Missing",
        })
    }
}

/// A test identity's documents, base64.
#[derive(Clone, PartialEq, Eq)]
pub struct IdentityDocuments {
    /// The national ID's front.
    pub front: String,
    /// Its back.
    pub back: String,
    /// Three liveness frames of the same face.
    pub faces: [String; 3],
}

/// The seeds of the generated documents: far from the small seeds cases pass to `image(n)`.
const GENERATED_FRONT: usize = 9_001;
const GENERATED_BACK: usize = 9_002;
const GENERATED_FACE: usize = 9_010;

impl Generators {
    /// A sandbox's: random Egyptian numbers, `example.com`, generated documents.
    pub fn sandbox() -> &'static Generators {
        static SANDBOX: LazyLock<Generators> = LazyLock::new(Generators::default);
        &SANDBOX
    }

    fn document(&self, which: &str, face: usize) -> Result<Value, String> {
        match &self.documents {
            Documents::Generated => {
                let seed = match which {
                    "id_front" => GENERATED_FRONT,
                    "id_back" => GENERATED_BACK,
                    _ => GENERATED_FACE + face,
                };
                Ok(json!(STANDARD.encode(png(seed, 0)?)))
            }
            Documents::Given(documents) => Ok(json!(match which {
                "id_front" => documents.front.clone(),
                "id_back" => documents.back.clone(),
                _ => documents.faces[face - 1].clone(),
            })),
            Documents::Missing => {
                Err("the target gives no identity documents (a profile's `[identity]`)".to_owned())
            }
        }
    }
}

/// Calls a template function. The template parser checks names and arities too, but every
/// function destructures its own arguments, so a wrong count is an error here, never a panic.
pub fn call(function: &str, args: &[Arg], generators: &Generators) -> Result<Value, String> {
    match (function, args) {
        ("uuid", []) => Ok(json!(uuid::Uuid::new_v4().to_string())),
        ("now", []) => now(0),
        ("now", [offset]) => now(signed_duration(offset)?),
        ("phone", []) => Ok(json!(match &generators.phones {
            Some(range) => range.draw(),
            None => egyptian_mobile(),
        })),
        ("email", []) => Ok(json!(format!(
            "conformance-{}@{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12],
            generators.email_domain.as_deref().unwrap_or("example.com")
        ))),
        ("id_front" | "id_back", []) => generators.document(function, 0),
        ("face", [n]) => match count_arg(n)? {
            face @ 1..=3 => generators.document("face", face),
            other => Err(format!("there are faces 1, 2 and 3, not {other}")),
        },
        ("digits", [count]) => {
            let count = count_arg(count)?;
            if count > MAX_DIGITS {
                return Err(format!("at most {MAX_DIGITS} digits, not {count}"));
            }
            Ok(json!(random_digits(count)))
        }
        ("point", [origin, distance, bearing]) => {
            let origin = point_arg(origin)?;
            let distance = distance_km(distance)?;
            let bearing = degrees(bearing)?;
            let (latitude, longitude) = destination(origin, distance, bearing);
            Ok(json!({ "latitude": latitude, "longitude": longitude }))
        }
        ("distance", [a, b]) => Ok(json!(great_circle_km(point_arg(a)?, point_arg(b)?))),
        ("image", [seed]) => Ok(json!(STANDARD.encode(png(count_arg(seed)?, 0)?))),
        ("image", [seed, size]) => Ok(json!(
            STANDARD.encode(png(count_arg(seed)?, byte_size(size)?)?)
        )),
        ("base64", [text]) => {
            let text = text_arg(text);
            if text.len() > MAX_IMAGE_BYTES {
                return Err(format!(
                    "base64 of {} bytes is over the limit of {MAX_IMAGE_BYTES}",
                    text.len()
                ));
            }
            Ok(json!(STANDARD.encode(text.as_bytes())))
        }
        ("wrong_code", [code]) => Ok(json!(wrong_code(&text_arg(code)))),
        ("tamper", [text]) => Ok(json!(tamper(&text_arg(text)))),
        ("query_param", [url, name]) => {
            let name = text_arg(name);
            query_param(&text_arg(url), &name)
                .map(Value::String)
                .ok_or_else(|| format!("the URL has no query parameter `{name}`"))
        }
        ("set_query_param", [url, name, value]) => Ok(json!(set_query_param(
            &text_arg(url),
            &text_arg(name),
            &text_arg(value)
        ))),
        ("field_values", [template]) => field_values(&value_arg(template)?, None),
        ("field_values", [template, variant]) => {
            field_values(&value_arg(template)?, Some(&text_arg(variant)))
        }
        ("url_path", [url]) => url_path(&text_arg(url))
            .map(|path| Value::String(path.to_owned()))
            .ok_or_else(|| "not an absolute http(s) URL".to_owned()),
        (known, args)
            if crate::template::FUNCTIONS
                .iter()
                .any(|(name, ..)| *name == known) =>
        {
            Err(format!("`{known}` does not take {} arguments", args.len()))
        }
        (other, _) => Err(format!("unknown function `{other}`")),
    }
}

/// The time now shifted by `offset_ms`, RFC 3339; a shift beyond chrono's range is an error.
fn now(offset_ms: i64) -> Result<Value, String> {
    let time = chrono::TimeDelta::try_milliseconds(offset_ms)
        .and_then(|offset| Utc::now().checked_add_signed(offset))
        .ok_or_else(|| "the shifted time is out of the range of dates".to_owned())?;
    Ok(json!(time.to_rfc3339_opts(SecondsFormat::Secs, true)))
}

fn value_arg(arg: &Arg) -> Result<Value, String> {
    match arg {
        Arg::Value(value) => Ok(value.clone()),
        Arg::Quantity(number, unit) => Err(format!("`{number}{unit}` is not a value")),
    }
}

/// An argument as an error message may show it: a number the case wrote as it is, any other
/// value by its kind only — it may come from a variable or the environment, and be a secret.
fn shown(arg: &Arg) -> String {
    match arg {
        Arg::Quantity(number, unit) => format!("`{number}{unit}`"),
        Arg::Value(Value::Number(number)) => format!("`{number}`"),
        Arg::Value(Value::String(_)) => "a string".to_owned(),
        Arg::Value(Value::Null) => "null".to_owned(),
        Arg::Value(Value::Bool(_)) => "a boolean".to_owned(),
        Arg::Value(Value::Array(_)) => "a list".to_owned(),
        Arg::Value(Value::Object(_)) => "an object".to_owned(),
    }
}

fn text_arg(arg: &Arg) -> String {
    match arg {
        Arg::Value(value) => value_text(value),
        Arg::Quantity(number, unit) => format!("{number}{unit}"),
    }
}

fn count_arg(arg: &Arg) -> Result<usize, String> {
    match arg {
        Arg::Quantity(number, unit)
            if unit.is_empty() && *number >= 0.0 && number.fract() == 0.0 =>
        {
            Ok(*number as usize)
        }
        Arg::Value(Value::Number(number)) => number
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| format!("`{number}` is not a count")),
        other => Err(format!("{} is not a count", shown(other))),
    }
}

/// A signed duration in milliseconds (`-10min`, `+1h`, `300s`).
fn signed_duration(arg: &Arg) -> Result<i64, String> {
    let Arg::Quantity(number, unit) = arg else {
        return Err(format!(
            "{} is not a duration such as -10min or 300s",
            shown(arg)
        ));
    };
    let factor = match unit.as_str() {
        "ms" => 1.0,
        "s" => 1_000.0,
        "min" => 60_000.0,
        "h" => 3_600_000.0,
        "d" => 86_400_000.0,
        _ => {
            return Err(format!(
                "{} is not a duration (ms, s, min, h, d)",
                shown(arg)
            ));
        }
    };
    Ok((number * factor).round() as i64)
}

/// A duration for `retry.interval` (`100ms`, `1s`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let number: f64 = text[..split]
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as 100ms or 2s"))?;
    let millis = signed_duration(&Arg::Quantity(number, text[split..].to_owned()))?;
    u64::try_from(millis)
        .map(Duration::from_millis)
        .map_err(|_| format!("`{text}` is negative"))
}

fn distance_km(arg: &Arg) -> Result<f64, String> {
    match arg {
        Arg::Quantity(number, unit) if unit == "km" => Ok(*number),
        other => Err(format!(
            "{} is not a distance in km (write it as 81km)",
            shown(other)
        )),
    }
}

fn degrees(arg: &Arg) -> Result<f64, String> {
    match arg {
        Arg::Quantity(number, unit) if unit.is_empty() || unit == "deg" => Ok(*number),
        Arg::Value(Value::Number(number)) => number
            .as_f64()
            .ok_or_else(|| "the bearing is not a number".to_owned()),
        other => Err(format!("{} is not a bearing in degrees", shown(other))),
    }
}

fn point_arg(arg: &Arg) -> Result<(f64, f64), String> {
    let Arg::Value(value) = arg else {
        return Err(format!(
            "{} is not a point {{latitude, longitude}}",
            shown(arg)
        ));
    };
    let coordinate = |key: &str| value.get(key).and_then(Value::as_f64);
    match (coordinate("latitude"), coordinate("longitude")) {
        (Some(latitude), Some(longitude)) => Ok((latitude, longitude)),
        _ => Err("not a point {latitude, longitude}".to_owned()),
    }
}

/// The point `distance_km` away from `origin` along the initial `bearing` (degrees clockwise
/// from north), on a sphere of the IUGG mean radius, at full double precision: no rounding,
/// so its haversine distance from `origin` is the asked distance within a micrometre on every
/// bearing (a rounding to 6 decimals, about 11 cm, once put "exactly 80 km" outside 80 km).
/// Written here rather than taken from the sandbox so that the harness checks the sandbox's
/// distance rule with an independent computation.
pub fn destination(origin: (f64, f64), distance_km: f64, bearing_degrees: f64) -> (f64, f64) {
    let (lat1, lon1) = (origin.0.to_radians(), origin.1.to_radians());
    let angular = distance_km / EARTH_RADIUS_KM;
    let bearing = bearing_degrees.to_radians();
    let lat2 = (lat1.sin() * angular.cos() + lat1.cos() * angular.sin() * bearing.cos()).asin();
    let lon2 = lon1
        + (bearing.sin() * angular.sin() * lat1.cos())
            .atan2(angular.cos() - lat1.sin() * lat2.sin());
    let longitude = (lon2.to_degrees() + 540.0) % 360.0 - 180.0;
    (lat2.to_degrees(), longitude)
}

/// The haversine distance in km.
pub fn great_circle_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lat2) = (a.0.to_radians(), b.0.to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b.1 - a.1).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().asin()
}

fn byte_size(arg: &Arg) -> Result<usize, String> {
    let Arg::Quantity(number, unit) = arg else {
        return Err(format!("{} is not a size such as 600kb", shown(arg)));
    };
    let factor = match unit.as_str() {
        "b" | "" => 1.0,
        "kb" => 1_000.0,
        "mb" => 1_000_000.0,
        _ => return Err(format!("{} is not a size (b, kb, mb)", shown(arg))),
    };
    let bytes = (number * factor).round();
    if !(0.0..=MAX_IMAGE_BYTES as f64).contains(&bytes) {
        return Err(format!(
            "`{arg}` is not a size from 0 to {MAX_IMAGE_BYTES} bytes (8mb)"
        ));
    }
    // In range, so the conversion is exact.
    Ok(bytes as usize)
}

/// An Egyptian mobile number: +20, a mobile prefix (10, 11, 12, 15) and 8 digits.
fn egyptian_mobile() -> String {
    let prefixes = ["10", "11", "12", "15"];
    let prefix = prefixes[rand::rng().random_range(0..prefixes.len())];
    format!("+20{prefix}{}", random_digits(8))
}

fn random_digits(count: usize) -> String {
    let mut rng = rand::rng();
    (0..count)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

fn wrong_code(code: &str) -> String {
    code.chars()
        .map(|c| match c.to_digit(10) {
            Some(digit) => char::from(b'0' + ((digit + 5) % 10) as u8),
            None => {
                if c == 'x' {
                    'y'
                } else {
                    'x'
                }
            }
        })
        .collect()
}

fn tamper(text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    match chars.last_mut() {
        Some(last) => *last = if *last == '0' { '1' } else { '0' },
        None => chars.push('0'),
    }
    chars.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAIRO: (f64, f64) = (30.0444, 31.2357);

    fn sandbox_call(function: &str, args: &[Arg]) -> Result<Value, String> {
        call(function, args, Generators::sandbox())
    }

    #[test]
    fn point_keeps_full_precision_on_every_bearing() {
        // "Exactly 80 km" must not land outside 80 km: 1 µm of slack on every whole bearing.
        for bearing in 0..360 {
            let args = [
                Arg::Value(json!({"latitude": CAIRO.0, "longitude": CAIRO.1})),
                Arg::Quantity(80.0, "km".into()),
                Arg::Quantity(f64::from(bearing), String::new()),
            ];
            let point = sandbox_call("point", &args).unwrap();
            let (lat, lon) = (
                point["latitude"].as_f64().unwrap(),
                point["longitude"].as_f64().unwrap(),
            );
            let km = great_circle_km(CAIRO, (lat, lon));
            assert!((km - 80.0).abs() < 1e-9, "bearing {bearing}: {km}");
        }
    }

    #[test]
    fn phones_and_emails_come_from_the_test_range_when_there_is_one() {
        let generators = Generators {
            phones: Some(PhoneRange::parse("+20155500###").unwrap()),
            email_domain: Some("qa.example.com".to_owned()),
            documents: Documents::Missing,
        };
        let phone = call("phone", &[], &generators).unwrap();
        assert!(
            phone
                .as_str()
                .is_some_and(|p| p.starts_with("+20155500") && p.len() == 12),
            "{phone}"
        );
        let email = call("email", &[], &generators).unwrap();
        assert!(
            email
                .as_str()
                .is_some_and(|e| e.ends_with("@qa.example.com")),
            "{email}"
        );
        let missing = call("id_front", &[], &generators).unwrap_err();
        assert!(missing.contains("[identity]"), "{missing}");
    }

    #[test]
    fn documents_are_generated_distinct_or_given() {
        let one = Arg::Quantity(1.0, String::new());
        let faces: Vec<Value> = (1..=3)
            .map(|n| sandbox_call("face", &[Arg::Quantity(f64::from(n), String::new())]).unwrap())
            .collect();
        assert!(faces[0] != faces[1] && faces[1] != faces[2]);
        assert_ne!(
            sandbox_call("id_front", &[]).unwrap(),
            sandbox_call("id_back", &[]).unwrap()
        );
        assert!(sandbox_call("face", &[Arg::Quantity(4.0, String::new())]).is_err());
        let given = Generators {
            documents: Documents::Given(Arc::new(IdentityDocuments {
                front: "F".into(),
                back: "B".into(),
                faces: ["1".into(), "2".into(), "3".into()],
            })),
            ..Generators::default()
        };
        assert_eq!(call("face", &[one], &given).unwrap(), json!("1"));
        assert_eq!(call("id_back", &[], &given).unwrap(), json!("B"));
    }

    #[test]
    fn destination_is_at_the_asked_distance() {
        for (km, bearing) in [(79.0, 0.0), (81.0, 90.0), (0.5, 225.0), (500.0, 300.0)] {
            let point = destination(CAIRO, km, bearing);
            let measured = great_circle_km(CAIRO, point);
            assert!(
                (measured - km).abs() < 1e-6,
                "{km} km at {bearing}: {measured}"
            );
        }
        // Alexandria is about 180 km from Cairo.
        let alexandria = (31.2001, 29.9187);
        assert!((great_circle_km(CAIRO, alexandria) - 180.0).abs() < 5.0);
    }

    #[test]
    fn phones_are_egyptian_mobiles() {
        let phone = egyptian_mobile();
        assert_eq!(phone.len(), 13, "{phone}");
        assert!(phone.starts_with("+201"), "{phone}");
        assert!(phone[1..].bytes().all(|b| b.is_ascii_digit()));
    }

    #[test]
    fn images_are_distinct_pngs_of_the_asked_size() {
        let png = |seed, size| png(seed, size).unwrap();
        let one = png(1, 0);
        assert!(one.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert_ne!(one, png(2, 0));
        assert_ne!(png(1, 0), png(257, 0), "same colour, different seed");
        let large = png(3, 600_000);
        assert!(
            large.len() >= 600_000 && large.len() < 600_100,
            "{}",
            large.len()
        );
        // The CRC of IEND is the well-known AE426082.
        assert!(one.ends_with(&[0xAE, 0x42, 0x60, 0x82]));
    }

    #[test]
    fn codes_hashes_and_durations() {
        assert_eq!(wrong_code("123456"), "678901");
        assert_ne!(tamper("abc0"), "abc0");
        assert_eq!(parse_duration("150ms"), Ok(Duration::from_millis(150)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert!(parse_duration("2 parsecs").is_err());
    }

    #[test]
    fn now_accepts_offsets() {
        let later = sandbox_call("now", &[Arg::Quantity(1.0, "h".into())]).unwrap();
        let now = sandbox_call("now", &[]).unwrap();
        assert!(later.as_str() > now.as_str());
        assert!(sandbox_call("now", &[Arg::Quantity(1.0, "km".into())]).is_err());
    }

    #[test]
    fn times_beyond_chronos_range_are_errors() {
        for offset in [1e8, -1e8, 1e300] {
            let result = sandbox_call("now", &[Arg::Quantity(offset, "d".into())]);
            assert!(
                result
                    .as_ref()
                    .is_err_and(|e| e.contains("out of the range")),
                "{offset}: {result:?}"
            );
        }
    }

    #[test]
    fn counts_and_sizes_are_capped() {
        let digits = |n: f64| sandbox_call("digits", &[Arg::Quantity(n, String::new())]);
        assert_eq!(
            digits(MAX_DIGITS as f64)
                .ok()
                .and_then(|v| v.as_str().map(str::len)),
            Some(MAX_DIGITS)
        );
        assert!(digits(MAX_DIGITS as f64 + 1.0).is_err());
        assert!(digits(1e12).is_err_and(|e| e.contains("at most 64")));
        let image = |size: f64, unit: &str| {
            sandbox_call(
                "image",
                &[
                    Arg::Quantity(1.0, String::new()),
                    Arg::Quantity(size, unit.into()),
                ],
            )
        };
        // Still big enough for ImageTooLarge (500 KB) and PayloadTooLarge (4 MiB) cases.
        assert!(image(5.0, "mb").is_ok());
        assert!(image(1e12, "b").is_err_and(|e| e.contains("8mb")));
        assert!(image(-1.0, "kb").is_err());
        // A huge seed is only a colour: no overflow.
        let seed = sandbox_call("image", &[Arg::Quantity(1e300, String::new())]);
        assert!(seed.is_ok(), "{seed:?}");
    }

    #[test]
    fn wrong_argument_counts_are_errors_not_panics() {
        let one = [Arg::Quantity(1.0, String::new())];
        for (function, args) in [
            ("digits", &[][..]),
            ("point", &one[..]),
            ("distance", &one[..]),
            ("image", &[][..]),
            ("base64", &[][..]),
            ("query_param", &one[..]),
            ("set_query_param", &one[..]),
            ("uuid", &one[..]),
        ] {
            let result = sandbox_call(function, args);
            assert!(
                result.as_ref().is_err_and(|e| e.contains("does not take")),
                "{function}: {result:?}"
            );
        }
        assert!(sandbox_call("nope", &[]).is_err_and(|e| e.contains("unknown function")));
    }
}
