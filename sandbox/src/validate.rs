//! Checks the generated types cannot express (ranges, formats), each naming its field.

use vlens_client::types::{GeoLocation, SmsProvider};

use crate::error::{ApiError, ApiResult, FieldProblem};

/// `latitude` in [-90, 90] and `longitude` in [-180, 180], both finite.
pub fn geo(field: &str, location: &GeoLocation) -> Result<(), FieldProblem> {
    if !(location.latitude.is_finite() && (-90.0..=90.0).contains(&location.latitude)) {
        return Err(FieldProblem::new(
            format!("{field}.latitude"),
            "must be a number between -90 and 90",
        ));
    }
    if !(location.longitude.is_finite() && (-180.0..=180.0).contains(&location.longitude)) {
        return Err(FieldProblem::new(
            format!("{field}.longitude"),
            "must be a number between -180 and 180",
        ));
    }
    Ok(())
}

/// The `geoLocation` of a body, as a 400 when out of range.
pub fn location(location: &GeoLocation) -> ApiResult<()> {
    geo("geoLocation", location).map_err(|problem| ApiError::BadRequest(vec![problem]))
}

/// An E.164 phone number: `+`, then 8 to 15 digits, the first not 0.
pub fn phone(field: &str, value: &str) -> Result<(), FieldProblem> {
    let digits = value.strip_prefix('+').unwrap_or("");
    let ok = (8..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    if ok {
        Ok(())
    } else {
        Err(FieldProblem::new(
            field,
            "must be an E.164 phone number such as +201234567890",
        ))
    }
}

/// A plausible email address: one `@`, a non-empty local part, a dotted domain, no spaces.
/// (The JSON Schema `format: email` check; a full RFC 5322 parser would accept nothing more
/// that matters here.)
pub fn email(field: &str, value: &str) -> Result<(), FieldProblem> {
    let ok = match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !value.chars().any(char::is_whitespace)
        }
        None => false,
    };
    if ok {
        Ok(())
    } else {
        Err(FieldProblem::new(field, "must be an email address"))
    }
}

/// An SMS provider: 0 (the tenant's default) to 4.
pub fn sms_provider(field: &str, value: Option<&SmsProvider>) -> Result<(), FieldProblem> {
    match value {
        Some(provider) if !(0..=4).contains(&provider.0) => Err(FieldProblem::new(
            field,
            "must be 0 (default), 1 infobip, 2 vodafone, 3 Cequens or 4 victoryLink",
        )),
        _ => Ok(()),
    }
}

/// Collects field problems and fails with all of them at once.
#[derive(Default)]
pub struct Problems(Vec<FieldProblem>);

impl Problems {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn check(&mut self, result: Result<(), FieldProblem>) -> &mut Self {
        if let Err(problem) = result {
            self.0.push(problem);
        }
        self
    }

    pub fn push(&mut self, problem: FieldProblem) -> &mut Self {
        self.0.push(problem);
        self
    }

    pub fn finish(&mut self) -> ApiResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::BadRequest(std::mem::take(&mut self.0)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers() {
        assert!(phone("p", "+201234567890").is_ok());
        assert!(phone("p", "201234567890").is_err());
        assert!(phone("p", "+0123456789").is_err());
        assert!(phone("p", "+20abc").is_err());
    }

    #[test]
    fn emails() {
        assert!(email("e", "a@b.co").is_ok());
        assert!(email("e", "a@b").is_err());
        assert!(email("e", "a b@c.d").is_err());
        assert!(email("e", "@c.d").is_err());
    }

    #[test]
    fn geo_ranges_name_the_field() {
        let bad = GeoLocation {
            latitude: 91.0,
            longitude: 0.0,
        };
        assert_eq!(
            geo("geoLocation", &bad).err().map(|p| p.field),
            Some("geoLocation.latitude".into())
        );
    }
}
