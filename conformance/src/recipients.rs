//! Who may receive a message on a target: the test range of phone numbers and the email domain
//! a staging profile gives. `phone()` and `email()` draw from it, the plan checks every
//! recipient a case can name against it, and the runner refuses any other before sending.

use std::fmt;

use rand::Rng as _;

/// A range of phone numbers written as a prefix and `#` for each free digit
/// (`+20155500####`: ten thousand numbers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneRange {
    prefix: String,
    free_digits: usize,
}

impl PhoneRange {
    /// Parses `+20155500####`: a `+`, digits, then at least one `#`, all at the end.
    pub fn parse(pattern: &str) -> Result<PhoneRange, String> {
        let prefix = pattern.trim_end_matches('#');
        let free_digits = pattern.len() - prefix.len();
        let digits = prefix.strip_prefix('+').unwrap_or("");
        if free_digits == 0 || digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "`{pattern}` is not a phone range: write `+`, the fixed digits, then one `#` \
                 per free digit (`+20155500####`)"
            ));
        }
        if prefix.len() + free_digits > 16 {
            return Err(format!(
                "`{pattern}` is longer than an E.164 number (15 digits)"
            ));
        }
        Ok(PhoneRange {
            prefix: prefix.to_owned(),
            free_digits,
        })
    }

    /// Whether `phone` is in the range.
    pub fn contains(&self, phone: &str) -> bool {
        phone.len() == self.prefix.len() + self.free_digits
            && phone.starts_with(&self.prefix)
            && phone[self.prefix.len()..]
                .bytes()
                .all(|b| b.is_ascii_digit())
    }

    /// A random number of the range.
    pub fn draw(&self) -> String {
        let mut rng = rand::rng();
        let mut phone = self.prefix.clone();
        for _ in 0..self.free_digits {
            phone.push(char::from(b'0' + rng.random_range(0..10u8)));
        }
        phone
    }
}

impl fmt::Display for PhoneRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.prefix, "#".repeat(self.free_digits))
    }
}

/// The people a run may message: phone numbers of a range, addresses of a domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestRange {
    /// Phone numbers that may receive SMS.
    pub phones: Option<PhoneRange>,
    /// The domain whose addresses may receive email (`qa.example.com`).
    pub email_domain: Option<String>,
}

impl TestRange {
    /// Whether an SMS to `phone` stays inside the range.
    pub fn allows_phone(&self, phone: &str) -> bool {
        self.phones
            .as_ref()
            .is_some_and(|range| range.contains(phone))
    }

    /// Whether an email to `address` stays inside the domain (case-insensitive).
    pub fn allows_email(&self, address: &str) -> bool {
        let Some(domain) = &self.email_domain else {
            return false;
        };
        address
            .rsplit_once('@')
            .is_some_and(|(local, at)| !local.is_empty() && at.eq_ignore_ascii_case(domain))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_draw_and_contain() {
        let range = PhoneRange::parse("+20155500####").unwrap();
        for _ in 0..20 {
            let phone = range.draw();
            assert!(range.contains(&phone), "{phone}");
            assert_eq!(phone.len(), 13);
        }
        assert!(!range.contains("+201555001234567"));
        assert!(!range.contains("+20155501####"));
        assert!(!range.contains("+20100000000"));
        assert_eq!(range.to_string(), "+20155500####");
        for bad in ["+2015", "2015####", "+20a5##", "+#", "+1234567890123456#"] {
            assert!(PhoneRange::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails_must_be_of_the_domain() {
        let range = TestRange {
            phones: None,
            email_domain: Some("qa.example.com".to_owned()),
        };
        assert!(range.allows_email("a@QA.example.com"));
        assert!(!range.allows_email("a@qa.example.com.evil"));
        assert!(!range.allows_email("@qa.example.com"));
        assert!(!range.allows_email("a@example.com"));
        assert!(
            !range.allows_phone("+201000000000"),
            "no phone range: nobody"
        );
    }
}
