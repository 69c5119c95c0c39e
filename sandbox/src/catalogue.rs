//! The product catalogue every tenant offers, and the validation of field values against it.
//!
//! Three products: 414 "Personal Loan" (approved automatically on creation, no payment check),
//! 415 "Commercial Lease Agreement" (Pending Approval until approved through the control API,
//! payment check) and 416 "Device Instalment Plan" (approved on creation, payment check: the
//! one product whose activation needs no approval step and still goes through payment). A field with a `defaultValue` may be left out (the default applies); every
//! other text, dropdown and date field is required. Table fields are the provider's (an
//! instalment plan, a rent schedule) and are not set by the customer.

use std::collections::BTreeMap;

use vlens_client::types::{AvailableValueItem, RequestField, RequestType, RequestTypeTemplate};

use crate::defaults::{COMMERCIAL_LEASE_TYPE_ID, DEVICE_INSTALMENT_TYPE_ID, PERSONAL_LOAN_TYPE_ID};
use crate::error::FieldProblem;

/// What kind of input a field takes.
#[derive(Debug, Clone, Copy)]
pub enum FieldKind {
    Text,
    /// One of these values.
    Dropdown(&'static [&'static str]),
    /// `YYYY-MM-DD`.
    Date,
    /// Read-only rows, the first a header.
    Table(&'static [&'static [&'static str]]),
}

/// One template field.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    pub key: &'static str,
    pub display: &'static str,
    pub display_ar: &'static str,
    pub kind: FieldKind,
    pub default: Option<&'static str>,
    pub group: &'static str,
    pub group_ar: &'static str,
}

impl FieldSpec {
    /// Whether a value must be sent on Create.
    pub fn is_required(&self) -> bool {
        self.default.is_none() && !matches!(self.kind, FieldKind::Table(_))
    }

    fn type_name(&self) -> &'static str {
        match self.kind {
            FieldKind::Text => "text",
            FieldKind::Dropdown(_) => "dropdown",
            FieldKind::Date => "date",
            FieldKind::Table(_) => "table",
        }
    }
}

/// One product (request type).
#[derive(Debug, Clone, Copy)]
pub struct Product {
    pub id: i32,
    pub name: &'static str,
    pub category: i32,
    pub category_name: &'static str,
    pub contract_type_id: i32,
    pub contract_type_name: &'static str,
    /// Approved (2) on creation instead of Pending Approval (1).
    pub auto_approve: bool,
    /// `hasPaymentCheckPerRequestFeature`.
    pub payment_check: bool,
    pub fields: &'static [FieldSpec],
}

const LOAN_PURPOSES: &[&str] = &["Car", "Home", "Education", "Other"];
const LOAN_TERMS: &[&str] = &["12", "24", "36"];
const INSTALMENT_PLAN: &[&[&str]] = &[
    &["Instalment", "Due date", "Amount (EGP)"],
    &["1", "2026-01-01", "4500"],
    &["2", "2026-02-01", "4500"],
    &["3", "2026-03-01", "4500"],
];
const ACTIVITIES: &[&str] = &["IT Services", "Consulting", "Retail", "Manufacturing"];
const LEASE_TERMS: &[&str] = &["12 months", "24 months", "36 months"];
const RENT_SCHEDULE: &[&[&str]] = &[
    &["Period", "Rent (EGP)"],
    &["Year 1", "120000"],
    &["Year 2", "132000"],
];
const DEVICE_CATEGORIES: &[&str] = &["Smartphone", "Laptop", "Tablet", "Home Appliance"];
const DEVICE_TERMS: &[&str] = &["6", "12", "18", "24"];
const PAYMENT_SCHEDULE: &[&[&str]] = &[
    &["Instalment", "Due date", "Amount (EGP)"],
    &["1", "2026-01-01", "2500"],
    &["2", "2026-02-01", "2500"],
    &["3", "2026-03-01", "2500"],
];

const fn field(
    key: &'static str,
    display: &'static str,
    display_ar: &'static str,
    kind: FieldKind,
    default: Option<&'static str>,
    group: (&'static str, &'static str),
) -> FieldSpec {
    FieldSpec {
        key,
        display,
        display_ar,
        kind,
        default,
        group: group.0,
        group_ar: group.1,
    }
}

const APPLICANT: (&str, &str) = ("Applicant", "مقدم الطلب");
const LOAN: (&str, &str) = ("Loan Details", "تفاصيل القرض");
const BUSINESS: (&str, &str) = ("Business Details", "تفاصيل النشاط");
const LEASE: (&str, &str) = ("Lease Terms", "شروط الإيجار");
const DEVICE: (&str, &str) = ("Device", "الجهاز");
const INSTALMENTS: (&str, &str) = ("Instalment Plan", "خطة التقسيط");

/// The catalogue, in display order.
pub static PRODUCTS: [Product; 3] = [
    Product {
        id: PERSONAL_LOAN_TYPE_ID,
        name: "Personal Loan",
        category: 1,
        category_name: "Loan Application",
        contract_type_id: 5,
        contract_type_name: "Personal Loan Contract",
        auto_approve: true,
        payment_check: false,
        fields: &[
            field(
                "fullName",
                "Full name",
                "الاسم بالكامل",
                FieldKind::Text,
                None,
                APPLICANT,
            ),
            field(
                "monthlyIncome",
                "Monthly income (EGP)",
                "الدخل الشهري",
                FieldKind::Text,
                None,
                APPLICANT,
            ),
            field(
                "loanAmount",
                "Loan amount (EGP)",
                "مبلغ القرض",
                FieldKind::Text,
                None,
                LOAN,
            ),
            field(
                "loanPurpose",
                "Purpose",
                "الغرض",
                FieldKind::Dropdown(LOAN_PURPOSES),
                None,
                LOAN,
            ),
            field(
                "loanTermMonths",
                "Term (months)",
                "المدة بالشهور",
                FieldKind::Dropdown(LOAN_TERMS),
                Some("12"),
                LOAN,
            ),
            field(
                "firstInstallmentDate",
                "First instalment date",
                "تاريخ أول قسط",
                FieldKind::Date,
                None,
                LOAN,
            ),
            field("notes", "Notes", "ملاحظات", FieldKind::Text, Some(""), LOAN),
            field(
                "installmentPlan",
                "Instalment plan",
                "جدول الأقساط",
                FieldKind::Table(INSTALMENT_PLAN),
                None,
                LOAN,
            ),
        ],
    },
    Product {
        id: COMMERCIAL_LEASE_TYPE_ID,
        name: "Commercial Lease Agreement",
        category: 2,
        category_name: "Lease",
        contract_type_id: 7,
        contract_type_name: "Lease Contract",
        auto_approve: false,
        payment_check: true,
        fields: &[
            field(
                "business_name",
                "Business name",
                "اسم النشاط",
                FieldKind::Text,
                None,
                BUSINESS,
            ),
            field(
                "business_activity",
                "Activity",
                "النشاط",
                FieldKind::Dropdown(ACTIVITIES),
                None,
                BUSINESS,
            ),
            field(
                "lease_start_date",
                "Lease start date",
                "تاريخ بدء الإيجار",
                FieldKind::Date,
                None,
                LEASE,
            ),
            field(
                "lease_term",
                "Lease term",
                "مدة الإيجار",
                FieldKind::Dropdown(LEASE_TERMS),
                Some("12 months"),
                LEASE,
            ),
            field(
                "rent_schedule",
                "Rent schedule",
                "جدول الإيجار",
                FieldKind::Table(RENT_SCHEDULE),
                None,
                LEASE,
            ),
        ],
    },
    Product {
        id: DEVICE_INSTALMENT_TYPE_ID,
        name: "Device Instalment Plan",
        category: 3,
        category_name: "Consumer Finance",
        contract_type_id: 9,
        contract_type_name: "Instalment Sale Contract",
        auto_approve: true,
        payment_check: true,
        fields: &[
            field(
                "fullName",
                "Full name",
                "الاسم بالكامل",
                FieldKind::Text,
                None,
                APPLICANT,
            ),
            field(
                "deviceCategory",
                "Device category",
                "فئة الجهاز",
                FieldKind::Dropdown(DEVICE_CATEGORIES),
                None,
                DEVICE,
            ),
            field(
                "deviceModel",
                "Device model",
                "طراز الجهاز",
                FieldKind::Text,
                None,
                DEVICE,
            ),
            field(
                "devicePrice",
                "Device price (EGP)",
                "سعر الجهاز",
                FieldKind::Text,
                None,
                DEVICE,
            ),
            field(
                "downPayment",
                "Down payment (EGP)",
                "المقدم",
                FieldKind::Text,
                Some("0"),
                INSTALMENTS,
            ),
            field(
                "installmentMonths",
                "Instalments (months)",
                "عدد الأقساط بالشهور",
                FieldKind::Dropdown(DEVICE_TERMS),
                Some("12"),
                INSTALMENTS,
            ),
            field(
                "firstInstallmentDate",
                "First instalment date",
                "تاريخ أول قسط",
                FieldKind::Date,
                None,
                INSTALMENTS,
            ),
            field(
                "paymentSchedule",
                "Payment schedule",
                "جدول السداد",
                FieldKind::Table(PAYMENT_SCHEDULE),
                None,
                INSTALMENTS,
            ),
        ],
    },
];

/// The product with this id.
pub fn product(id: i32) -> Option<&'static Product> {
    PRODUCTS.iter().find(|product| product.id == id)
}

impl Product {
    /// BR1's item.
    pub fn request_type(&self) -> RequestType {
        RequestType {
            id: self.id,
            name: self.name.to_string(),
            type_: Some(self.category),
            type_name: Some(self.category_name.to_string()),
        }
    }

    /// BR2's template (`isLocalized` puts the Arabic labels in `displayText`).
    pub fn template(&self, localized: bool) -> RequestTypeTemplate {
        RequestTypeTemplate {
            id: self.id,
            name: self.name.to_string(),
            requests_fields: self
                .fields
                .iter()
                .enumerate()
                .map(|(order, spec)| render_field(spec, order, None, localized))
                .collect(),
        }
    }

    /// The fields with their values filled (a business request's `requestFields`).
    pub fn filled_fields(&self, values: &BTreeMap<String, String>) -> Vec<RequestField> {
        self.fields
            .iter()
            .enumerate()
            .map(|(order, spec)| {
                let value = values
                    .get(spec.key)
                    .cloned()
                    .or_else(|| spec.default.map(str::to_string));
                render_field(spec, order, value, false)
            })
            .collect()
    }

    /// Checks Create's `requestFieldsValues`: every required key present and non-empty, no
    /// unknown key, no value for a table, dropdown values from the list, dates as YYYY-MM-DD.
    pub fn validate_values(&self, values: &BTreeMap<String, String>) -> Vec<FieldProblem> {
        let mut problems = self.validate_known_values(values, "");
        for spec in self.fields.iter().filter(|spec| spec.is_required()) {
            if values.get(spec.key).is_none_or(|v| v.trim().is_empty()) {
                problems.push(FieldProblem::new(spec.key, "is required"));
            }
        }
        problems
    }

    /// The checks of [`Product::validate_values`] except "required" (an invitation may prefill
    /// only some fields). `prefix` goes before each key in the problems.
    pub fn validate_known_values(
        &self,
        values: &BTreeMap<String, String>,
        prefix: &str,
    ) -> Vec<FieldProblem> {
        let mut problems = Vec::new();
        for (key, value) in values {
            let name = format!("{prefix}{key}");
            let Some(spec) = self.fields.iter().find(|spec| spec.key == key) else {
                problems.push(FieldProblem::new(
                    name,
                    format!("is not a field of request type {}", self.id),
                ));
                continue;
            };
            match spec.kind {
                FieldKind::Dropdown(allowed) if !allowed.contains(&value.as_str()) => {
                    problems.push(FieldProblem::new(
                        name,
                        format!("must be one of: {}", allowed.join(", ")),
                    ));
                }
                FieldKind::Date
                    if chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").is_err() =>
                {
                    problems.push(FieldProblem::new(name, "must be a date as YYYY-MM-DD"));
                }
                FieldKind::Table(_) => {
                    problems.push(FieldProblem::new(
                        name,
                        "is a table filled by the provider and cannot be set",
                    ));
                }
                _ => {}
            }
        }
        problems
    }
}

fn render_field(
    spec: &FieldSpec,
    order: usize,
    value: Option<String>,
    localized: bool,
) -> RequestField {
    let (available_values, available_values_items) = match spec.kind {
        FieldKind::Dropdown(values) => (
            Some(values.iter().map(|v| v.to_string()).collect()),
            Some(
                values
                    .iter()
                    .zip(1..)
                    .map(|(name, id)| AvailableValueItem {
                        id,
                        name: name.to_string(),
                        related_questions: None,
                    })
                    .collect(),
            ),
        ),
        _ => (None, None),
    };
    let tabular_data = match spec.kind {
        FieldKind::Table(rows) => Some(
            rows.iter()
                .map(|row| row.iter().map(|cell| cell.to_string()).collect())
                .collect(),
        ),
        _ => None,
    };
    RequestField {
        available_values,
        available_values_items,
        convert_numbers_to_arabic: Some(false),
        default_ar_value: spec.default.map(str::to_string),
        default_value: spec.default.map(str::to_string),
        display_ar_text: Some(spec.display_ar.to_string()),
        display_text: Some(
            if localized {
                spec.display_ar
            } else {
                spec.display
            }
            .to_string(),
        ),
        first_row_header: Some(matches!(spec.kind, FieldKind::Table(_))),
        group_ar_title: Some(spec.group_ar.to_string()),
        group_title: Some(if localized { spec.group_ar } else { spec.group }.to_string()),
        key: spec.key.to_string(),
        multi_values: None,
        order: i32::try_from(order + 1).ok(),
        parent_question_key: None,
        parent_question_value: None,
        related_questions: None,
        tabular_data,
        type_: spec.type_name().to_string(),
        value,
        visible_to_user: Some(true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn catalogue_has_each_kind_of_product() {
        let kind = |id| product(id).map(|p| (p.auto_approve, p.payment_check));
        assert_eq!(kind(PERSONAL_LOAN_TYPE_ID), Some((true, false)));
        assert_eq!(kind(COMMERCIAL_LEASE_TYPE_ID), Some((false, true)));
        assert_eq!(kind(DEVICE_INSTALMENT_TYPE_ID), Some((true, true)));
        // Ids are unique.
        for (i, a) in PRODUCTS.iter().enumerate() {
            assert!(PRODUCTS[i + 1..].iter().all(|b| b.id != a.id));
        }
    }

    #[test]
    fn validation_names_each_key() {
        let loan = product(PERSONAL_LOAN_TYPE_ID)
            .map(|p| p.validate_values(&values(&[("loanPurpose", "Yacht"), ("bogus", "1")])));
        let fields: Vec<String> = loan
            .unwrap_or_default()
            .into_iter()
            .map(|p| p.field)
            .collect();
        for key in [
            "loanPurpose",
            "bogus",
            "fullName",
            "monthlyIncome",
            "loanAmount",
            "firstInstallmentDate",
        ] {
            assert!(
                fields.iter().any(|f| f == key),
                "{key} missing from {fields:?}"
            );
        }
        assert!(!fields.iter().any(|f| f == "notes" || f == "loanTermMonths"));
    }
}
