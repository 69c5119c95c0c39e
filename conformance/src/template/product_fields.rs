//! Values for the fields of a product's request template, so that a case (or a fixture)
//! creates a request of whatever product the target has.

use serde_json::{Map, Value, json};

/// The value of every date field of a generated request: fixed and far ahead, like the dates
/// the cases write, so that a snapshot of a request does not change with the day it runs on.
pub const FIXTURE_DATE: &str = "2030-01-01";

/// Values for a product's template: the first choice of each dropdown, [`FIXTURE_DATE`], a
/// plausible text; tables (the provider's) and fields with a default are left out.
pub fn generated_field_values(template: &Value) -> Map<String, Value> {
    let mut values = Map::new();
    let fields = template
        .get("requestsFields")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for field in fields {
        let Some(key) = field.get("key").and_then(Value::as_str) else {
            continue;
        };
        let kind = field.get("type").and_then(Value::as_str).unwrap_or("text");
        let has_default = field.get("defaultValue").and_then(Value::as_str).is_some();
        if kind == "table" || has_default {
            continue;
        }
        let value = match kind {
            "dropdown" => field
                .pointer("/availableValues/0")
                .and_then(Value::as_str)
                .or_else(|| {
                    field
                        .pointer("/availableValuesItems/0/name")
                        .and_then(Value::as_str)
                })
                .unwrap_or("1")
                .to_owned(),
            "date" => FIXTURE_DATE.to_owned(),
            _ => {
                let lower = key.to_ascii_lowercase();
                if lower.contains("name") {
                    "Conformance Test".to_owned()
                } else if ["amount", "income", "value", "price"]
                    .iter()
                    .any(|w| lower.contains(w))
                {
                    "10000".to_owned()
                } else {
                    "conformance".to_owned()
                }
            }
        };
        values.insert(key.to_owned(), json!(value));
    }
    values
}
/// `field_values(template)`: values for every field of a product's template (the `data` of
/// GetBusinessRequestTypeTemplateFields), so that a case creates a request of whatever product
/// the target has; `field_values(template, 'bad-dropdown')` puts a value outside its list in
/// the first dropdown, `'unknown-key'` adds a key the template does not have.
pub(crate) fn field_values(template: &Value, variant: Option<&str>) -> Result<Value, String> {
    if template
        .get("requestsFields")
        .and_then(Value::as_array)
        .is_none()
    {
        return Err("not a product template (it has no `requestsFields` list)".to_owned());
    }
    let mut values = generated_field_values(template);
    match variant {
        None => {}
        Some("unknown-key") => {
            values.insert("conformanceUnknownKey".to_owned(), json!("x"));
        }
        Some("bad-dropdown") => {
            let dropdown = template
                .get("requestsFields")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .find(|field| field.get("type").and_then(Value::as_str) == Some("dropdown"))
                .and_then(|field| field.get("key").and_then(Value::as_str))
                .ok_or("the template has no dropdown field")?;
            values.insert(dropdown.to_owned(), json!("Conformance-Not-A-Choice"));
        }
        Some(other) => {
            return Err(format!(
                "`{other}` is not a variant (`bad-dropdown`, `unknown-key`)"
            ));
        }
    }
    Ok(Value::Object(values))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_values_skip_tables_and_defaults() {
        let template = json!({"requestsFields": [
            {"key": "fullName", "type": "text"},
            {"key": "loanAmount", "type": "text"},
            {"key": "purpose", "type": "dropdown", "availableValues": ["Car", "Home"]},
            {"key": "start", "type": "date"},
            {"key": "term", "type": "dropdown", "availableValues": ["12"], "defaultValue": "12"},
            {"key": "plan", "type": "table"}
        ]});
        let values = generated_field_values(&template);
        assert_eq!(values["fullName"], "Conformance Test");
        assert_eq!(values["loanAmount"], "10000");
        assert_eq!(values["purpose"], "Car");
        // The same on every day the suite runs (snapshots record it), and a real date.
        assert_eq!(values["start"], FIXTURE_DATE);
        assert!(chrono::NaiveDate::parse_from_str(FIXTURE_DATE, "%Y-%m-%d").is_ok());
        assert!(!values.contains_key("term"));
        assert!(!values.contains_key("plan"));
        let bad = field_values(&template, Some("bad-dropdown")).unwrap();
        assert_eq!(bad["purpose"], "Conformance-Not-A-Choice");
        let unknown = field_values(&template, Some("unknown-key")).unwrap();
        assert!(unknown.get("conformanceUnknownKey").is_some());
        assert!(field_values(&json!({"x": 1}), None).is_err());
        assert!(field_values(&template, Some("nope")).is_err());
    }
}
