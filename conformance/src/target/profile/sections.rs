//! The sections of a profile that take more than reading: the test range, the identity
//! documents (files read and encoded), the pool (each user checked against the range).

use std::collections::BTreeSet;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use toml::Spanned;

use super::{
    MAX_DOCUMENT_BYTES, MAX_POOL_USERS, PoolTenant, PoolUserSpec, ProfileError, Raw, RawIdentity,
    RawMessages, RawPoint, SecretOf, Source,
};
use crate::recipients::{PhoneRange, TestRange};
use crate::template::functions::IdentityDocuments;

pub(super) fn recipients(
    raw: Option<&RawMessages>,
    source: &Source<'_>,
) -> Result<TestRange, ProfileError> {
    let phones = raw
        .and_then(|m| m.phones.as_ref())
        .map(|phones| {
            PhoneRange::parse(phones.get_ref())
                .map_err(|message| source.error(Some(phones.span()), message))
        })
        .transpose()?;
    let email_domain = match raw.and_then(|m| m.email_domain.as_ref()) {
        Some(domain) => {
            let text = domain
                .get_ref()
                .trim_start_matches('@')
                .to_ascii_lowercase();
            let valid = text.contains('.')
                && text
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
            if !valid {
                return Err(source.error(
                    Some(domain.span()),
                    format!("`{}` is not an email domain", domain.get_ref()),
                ));
            }
            Some(text)
        }
        None => None,
    };
    Ok(TestRange {
        phones,
        email_domain,
    })
}

pub(super) fn documents(
    raw: &RawIdentity,
    source: &Source<'_>,
    dir: &Path,
) -> Result<IdentityDocuments, ProfileError> {
    let read = |path: &Spanned<String>| -> Result<String, ProfileError> {
        let full = dir.join(path.get_ref());
        let fail = |message: String| source.error(Some(path.span()), message);
        let size = std::fs::metadata(&full)
            .map_err(|error| fail(format!("cannot read `{}`: {error}", full.display())))?
            .len();
        if size > MAX_DOCUMENT_BYTES {
            return Err(fail(format!(
                "`{}` is {size} bytes, over the limit of {MAX_DOCUMENT_BYTES}",
                full.display()
            )));
        }
        let bytes = std::fs::read(&full)
            .map_err(|error| fail(format!("cannot read `{}`: {error}", full.display())))?;
        Ok(STANDARD.encode(bytes))
    };
    let faces = raw.faces.get_ref();
    let [one, two, three] = faces.as_slice() else {
        return Err(source.error(
            Some(raw.faces.span()),
            format!("`faces` lists three frames, not {}", faces.len()),
        ));
    };
    let face = |path: &String| read(&Spanned::new(raw.faces.span(), path.clone()));
    Ok(IdentityDocuments {
        front: read(&raw.id_front)?,
        back: read(&raw.id_back)?,
        faces: [face(one)?, face(two)?, face(three)?],
    })
}

pub(super) fn users(
    raw: &Raw,
    source: &Source<'_>,
    recipients: &TestRange,
    (has_other_tenant, has_email_tenant): (bool, bool),
    secret: &SecretOf<'_>,
) -> Result<Vec<PoolUserSpec>, ProfileError> {
    let Some(list) = &raw.users else {
        return Err(source.error(
            None,
            "the pool is empty: add at least one `[[users]]` table (a pre-verified test user)",
        ));
    };
    if list.get_ref().is_empty() {
        return Err(source.error(
            Some(list.span()),
            "the pool is empty: add at least one `[[users]]` table (a pre-verified test user)",
        ));
    }
    if list.get_ref().len() > MAX_POOL_USERS {
        return Err(source.error(
            Some(list.span()),
            format!("a pool has at most {MAX_POOL_USERS} users"),
        ));
    }
    let mut phones = BTreeSet::new();
    let mut users = Vec::new();
    for user in list.get_ref() {
        let phone = user.phone.get_ref().clone();
        let at = Some(user.phone.span());
        if recipients.phones.is_none() {
            return Err(source.error(
                at,
                "pool users receive SMS: give the test range in `[messages] phones`",
            ));
        }
        if !recipients.allows_phone(&phone) {
            return Err(source.error(
                at,
                format!("pool user `{phone}` is outside the test range `[messages] phones`"),
            ));
        }
        if !phones.insert(phone.clone()) {
            return Err(source.error(at, format!("pool user `{phone}` is listed twice")));
        }
        if let Some(email) = &user.email
            && !recipients.allows_email(email)
        {
            return Err(source.error(
                at,
                format!("pool user `{phone}`: `{email}` is outside `[messages] email_domain`"),
            ));
        }
        let RawPoint {
            latitude,
            longitude,
        } = user.home;
        if !((-90.0..=90.0).contains(&latitude) && (-180.0..=180.0).contains(&longitude)) {
            return Err(source.error(at, format!("pool user `{phone}`: `home` is not a point")));
        }
        let tenant = match user.tenant.as_ref().map(|t| (t, t.get_ref().as_str())) {
            None | Some((_, "main")) => PoolTenant::Main,
            Some((_, "other")) if has_other_tenant => PoolTenant::Other,
            Some((_, "email")) if has_email_tenant => PoolTenant::EmailRequired,
            Some((tenant, name @ ("other" | "email"))) => {
                return Err(source.error(
                    Some(tenant.span()),
                    format!("a user of `{name}` needs an `[{name}_tenant]` table"),
                ));
            }
            Some((tenant, other)) => {
                return Err(source.error(
                    Some(tenant.span()),
                    format!("`tenant` is `main`, `other` or `email`, not `{other}`"),
                ));
            }
        };
        users.push(PoolUserSpec {
            phone,
            password: secret(&user.password_env, "users.password_env")?,
            device: user.device.clone(),
            transaction_id: user.transaction_id.clone(),
            home: (latitude, longitude),
            email: user.email.clone(),
            email_confirmed: user.email_confirmed.unwrap_or(true),
            tenant,
        });
    }
    Ok(users)
}
