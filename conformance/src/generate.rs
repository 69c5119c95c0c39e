//! The generated values templates can ask for: ids, times, phone numbers, points at a distance,
//! images.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{SecondsFormat, Utc};
use rand::Rng as _;
use serde_json::{Value, json};

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

/// Calls a template function. The template parser checks names and arities too, but every
/// function destructures its own arguments, so a wrong count is an error here, never a panic.
pub fn call(function: &str, args: &[Arg]) -> Result<Value, String> {
    match (function, args) {
        ("uuid", []) => Ok(json!(uuid::Uuid::new_v4().to_string())),
        ("now", []) => now(0),
        ("now", [offset]) => now(signed_duration(offset)?),
        ("phone", []) => Ok(json!(egyptian_mobile())),
        ("email", []) => Ok(json!(format!(
            "conformance-{}@example.com",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        ))),
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
            Ok(json!({ "latitude": round6(latitude), "longitude": round6(longitude) }))
        }
        ("distance", [a, b]) => {
            let km = great_circle_km(point_arg(a)?, point_arg(b)?);
            Ok(json!(round6(km)))
        }
        ("image", [seed]) => Ok(json!(STANDARD.encode(png(count_arg(seed)?, 0)?))),
        ("image", [seed, size]) => Ok(json!(
            STANDARD.encode(png(count_arg(seed)?, byte_size(size)?)?)
        )),
        ("base64", [text]) => Ok(json!(STANDARD.encode(text_arg(text).as_bytes()))),
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
        other => Err(format!("`{other}` is not a count")),
    }
}

/// A signed duration in milliseconds (`-10min`, `+1h`, `300s`).
fn signed_duration(arg: &Arg) -> Result<i64, String> {
    let Arg::Quantity(number, unit) = arg else {
        return Err(format!("`{arg}` is not a duration such as -10min or 300s"));
    };
    let factor = match unit.as_str() {
        "ms" => 1.0,
        "s" => 1_000.0,
        "min" => 60_000.0,
        "h" => 3_600_000.0,
        "d" => 86_400_000.0,
        _ => return Err(format!("`{arg}` is not a duration (ms, s, min, h, d)")),
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
            "`{other}` is not a distance in km (write it as 81km)"
        )),
    }
}

fn degrees(arg: &Arg) -> Result<f64, String> {
    match arg {
        Arg::Quantity(number, unit) if unit.is_empty() || unit == "deg" => Ok(*number),
        Arg::Value(Value::Number(number)) => number
            .as_f64()
            .ok_or_else(|| "the bearing is not a number".to_owned()),
        other => Err(format!("`{other}` is not a bearing in degrees")),
    }
}

fn point_arg(arg: &Arg) -> Result<(f64, f64), String> {
    let Arg::Value(value) = arg else {
        return Err(format!("`{arg}` is not a point {{latitude, longitude}}"));
    };
    let coordinate = |key: &str| value.get(key).and_then(Value::as_f64);
    match (coordinate("latitude"), coordinate("longitude")) {
        (Some(latitude), Some(longitude)) => Ok((latitude, longitude)),
        _ => Err("not a point {latitude, longitude}".to_owned()),
    }
}

fn round6(value: f64) -> f64 {
    (value * 1e6).round() / 1e6
}

/// The point `distance_km` away from `origin` along the initial `bearing` (degrees clockwise
/// from north), on a sphere. Written here rather than taken from the sandbox so that the
/// harness checks the sandbox's distance rule with an independent computation.
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
        return Err(format!("`{arg}` is not a size such as 600kb"));
    };
    let factor = match unit.as_str() {
        "b" | "" => 1.0,
        "kb" => 1_000.0,
        "mb" => 1_000_000.0,
        _ => return Err(format!("`{arg}` is not a size (b, kb, mb)")),
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

/// The `name` parameter of a URL's query string, percent-decoded.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or(query);
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key == name).then(|| percent_decode(value))
    })
}

/// The URL with query parameter `name` set to `value` (replaced, or added).
pub fn set_query_param(url: &str, name: &str, value: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut pairs: Vec<String> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter(|pair| pair.split('=').next() != Some(name))
        .map(str::to_owned)
        .collect();
    pairs.push(format!("{name}={value}"));
    format!("{base}?{}", pairs.join("&"))
}

/// `/path?query` of an absolute URL.
pub fn url_path(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))?;
    Some(rest.find('/').map_or("/", |index| &rest[index..]))
}

/// Query-string decoding: `+` is a space, then `%XX` escapes.
fn percent_decode(text: &str) -> String {
    vlens_openapi::percent_decode(&text.replace('+', " "))
}

/// A valid 1×1 PNG whose colour follows `seed`, padded with a private ancillary chunk to at
/// least `size` bytes (at most [`MAX_IMAGE_BYTES`]). Hand-made (a few chunks and a CRC) rather
/// than pulling an image crate into the harness for test fixtures.
pub fn png(seed: usize, size: usize) -> Result<Vec<u8>, String> {
    if size > MAX_IMAGE_BYTES {
        return Err(format!(
            "an image of {size} bytes is over the limit of {MAX_IMAGE_BYTES}"
        ));
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    // IHDR: 1×1, 8-bit RGB.
    chunk(&mut out, b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0])?;
    // Reduced first, so that no seed overflows (the same colours as `seed * k % 256`).
    let low = seed % 256;
    let rgb = [
        (low * 67 % 256) as u8,
        (low * 131 % 256) as u8,
        (low * 199 % 256) as u8,
    ];
    // One scanline (filter byte 0, then RGB) in a zlib stream with one stored block.
    let raw = [0, rgb[0], rgb[1], rgb[2]];
    let mut zlib = vec![
        0x78,
        0x01,
        0x01,
        raw.len() as u8,
        0,
        !(raw.len() as u8),
        0xFF,
    ];
    zlib.extend_from_slice(&raw);
    zlib.extend_from_slice(&adler32(&raw).to_be_bytes());
    chunk(&mut out, b"IDAT", &zlib)?;
    // `seED` keeps images of the same colour distinct; `paDd` brings the size up.
    chunk(&mut out, b"seED", &(seed as u64).to_be_bytes())?;
    let fixed = out.len() + 12 + 12;
    if size > fixed {
        chunk(&mut out, b"paDd", &vec![0u8; size - fixed])?;
    }
    chunk(&mut out, b"IEND", &[])?;
    Ok(out)
}

/// Appends one PNG chunk: length, kind, data, CRC. PNG lengths are 32-bit.
fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) -> Result<(), String> {
    let length = u32::try_from(data.len())
        .map_err(|_| format!("a PNG chunk of {} bytes is over 4 GiB", data.len()))?;
    out.extend_from_slice(&length.to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
    Ok(())
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in bytes {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAIRO: (f64, f64) = (30.0444, 31.2357);

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
    fn codes_hashes_and_urls() {
        assert_eq!(wrong_code("123456"), "678901");
        assert_ne!(tamper("abc0"), "abc0");
        let url = "https://h/sign?RequestId=a%2Db&SecurityHash=ff00";
        assert_eq!(query_param(url, "SecurityHash").as_deref(), Some("ff00"));
        assert_eq!(query_param(url, "RequestId").as_deref(), Some("a-b"));
        assert_eq!(query_param(url, "nope"), None);
        assert_eq!(
            url_path(url),
            Some("/sign?RequestId=a%2Db&SecurityHash=ff00")
        );
        assert_eq!(parse_duration("150ms"), Ok(Duration::from_millis(150)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert!(parse_duration("2 parsecs").is_err());
    }

    #[test]
    fn now_accepts_offsets() {
        let later = call("now", &[Arg::Quantity(1.0, "h".into())]).unwrap();
        let now = call("now", &[]).unwrap();
        assert!(later.as_str() > now.as_str());
        assert!(call("now", &[Arg::Quantity(1.0, "km".into())]).is_err());
    }

    #[test]
    fn times_beyond_chronos_range_are_errors() {
        for offset in [1e8, -1e8, 1e300] {
            let result = call("now", &[Arg::Quantity(offset, "d".into())]);
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
        let digits = |n: f64| call("digits", &[Arg::Quantity(n, String::new())]);
        assert_eq!(
            digits(MAX_DIGITS as f64)
                .ok()
                .and_then(|v| v.as_str().map(str::len)),
            Some(MAX_DIGITS)
        );
        assert!(digits(MAX_DIGITS as f64 + 1.0).is_err());
        assert!(digits(1e12).is_err_and(|e| e.contains("at most 64")));
        let image = |size: f64, unit: &str| {
            call(
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
        assert!(png(1, MAX_IMAGE_BYTES + 1).is_err());
        // A huge seed is only a colour: no overflow.
        let seed = call("image", &[Arg::Quantity(1e300, String::new())]);
        assert!(seed.is_ok(), "{seed:?}");
        let mut out = Vec::new();
        assert!(chunk(&mut out, b"teST", &[1, 2, 3]).is_ok());
        assert_eq!(&out[..4], &[0, 0, 0, 3]);
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
            let result = call(function, args);
            assert!(
                result.as_ref().is_err_and(|e| e.contains("does not take")),
                "{function}: {result:?}"
            );
        }
        assert!(call("nope", &[]).is_err_and(|e| e.contains("unknown function")));
    }
}
