//! The pages and files behind the URLs the sandbox hands out: the signing page (`/sign`), the
//! contract PDF and the payment page. A browser opens them, so no ApiKey: the SecurityHash is
//! the credential.

use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use uuid::Uuid;

use crate::catalogue;
use crate::error::{ApiError, ApiResult};
use crate::http::AppState;
use crate::http::extract::{PathParam, QueryMap, parse_uuid};
use crate::pdf::{self, ContractView};
use crate::security_hash::LinkPurpose;

const BAD_HASH: ApiError =
    ApiError::Forbidden("Forbidden - the SecurityHash is invalid or expired");

/// The contract behind a live link `hash` of `purpose` for `request_id`, in the tenant that
/// holds the request (found through the store's index: one tenant's lock, never a scan).
fn contract_for(
    state: &AppState,
    purpose: LinkPurpose,
    request_id: Uuid,
    hash: &str,
) -> ApiResult<ContractView> {
    if !crate::security_hash::is_well_formed(hash) {
        return Err(BAD_HASH);
    }
    let tenant = state.store.tenant_of_request(request_id).ok_or(BAD_HASH)?;
    tenant
        .with_state(|records, now| {
            let link = records.links.get(hash)?;
            if !link.opens(purpose, request_id, now) {
                return Some(Err(BAD_HASH));
            }
            let record = records.requests.get(&request_id)?;
            let product = catalogue::product(record.product_id);
            let owner = records.users.get(&record.owner);
            let fields = product
                .map(|p| {
                    p.fields
                        .iter()
                        .filter_map(|spec| {
                            let value = record
                                .values
                                .get(spec.key)
                                .cloned()
                                .or_else(|| spec.default.map(str::to_string))?;
                            Some((spec.display.to_string(), value))
                        })
                        .collect()
                })
                .unwrap_or_default();
            Some(Ok(ContractView {
                request_number: record.number.clone(),
                product: product
                    .map_or_else(|| record.product_id.to_string(), |p| p.name.to_string()),
                contract_type: product.map_or("", |p| p.contract_type_name).to_string(),
                status: super::views::status_name(record.status),
                customer: owner.map_or_else(String::new, |o| o.full_name()),
                created: record.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                fields,
            }))
        })
        .unwrap_or(Err(BAD_HASH))
}

fn hash_param(query: &QueryMap) -> ApiResult<String> {
    Ok(query.required("SecurityHash")?.trim().to_string())
}

/// Escapes text for HTML. Hand-written: five replacements, and no HTML-escaping crate is in
/// Cargo.lock (a new dependency for this is not worth it).
fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn page(title: &str, view: &ContractView, extra: &str) -> Html<String> {
    let rows: String = view
        .fields
        .iter()
        .map(|(label, value)| {
            format!(
                "<tr><th>{}</th><td>{}</td></tr>",
                html_escape(label),
                html_escape(value)
            )
        })
        .collect();
    Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head><body>\
         <h1>{title}</h1><p>{} &mdash; {}</p><p>Request {} &middot; {}</p><p>Customer: {}</p>\
         <table>{rows}</table>{extra}<p><small>vlens-sandbox</small></p></body></html>",
        html_escape(&view.product),
        html_escape(&view.contract_type),
        html_escape(&view.request_number),
        html_escape(&view.status),
        html_escape(&view.customer),
    ))
}

/// `GET /sign?RequestId=&SecurityHash=`: the signing page.
pub async fn signing_page(
    State(state): State<AppState>,
    query: QueryMap,
) -> ApiResult<Html<String>> {
    let request_id = query.required_uuid("RequestId")?;
    let hash = hash_param(&query)?;
    let view = contract_for(&state, LinkPurpose::Signing, request_id, &hash)?;
    let link = format!(
        "<p><a href=\"/__sandbox/contracts/{request_id}.pdf?SecurityHash={}\">Contract PDF</a></p>",
        html_escape(&hash)
    );
    Ok(page("Review and sign your contract", &view, &link))
}

fn request_id_of_file(file: &str, suffix: &str) -> ApiResult<Uuid> {
    let stem = file
        .strip_suffix(suffix)
        .ok_or_else(|| ApiError::field("file", format!("must be <requestId>{suffix}")))?;
    parse_uuid("file", stem)
}

/// `GET /__sandbox/contracts/{requestId}.pdf?SecurityHash=`: the contract as a PDF.
pub async fn contract_pdf(
    State(state): State<AppState>,
    PathParam(file): PathParam,
    query: QueryMap,
) -> ApiResult<Response> {
    let request_id = request_id_of_file(&file, ".pdf")?;
    let hash = hash_param(&query)?;
    // The PDF ViewContractPdf points at is opened with the signing link's hash.
    let view = contract_for(&state, LinkPurpose::Signing, request_id, &hash)?;
    Ok((
        [(http::header::CONTENT_TYPE, "application/pdf")],
        pdf::render(&view),
    )
        .into_response())
}

/// `GET /__sandbox/payments/{requestId}?SecurityHash=`: the payment page StepValidateOtp links
/// to for paid products. The sandbox charges nothing.
pub async fn payment_page(
    State(state): State<AppState>,
    PathParam(raw_id): PathParam,
    query: QueryMap,
) -> ApiResult<Html<String>> {
    let request_id = parse_uuid("requestId", &raw_id)?;
    let hash = hash_param(&query)?;
    let view = contract_for(&state, LinkPurpose::Payment, request_id, &hash)?;
    Ok(page(
        "Payment (sandbox: nothing is charged)",
        &view,
        "<p>Call StepValidatePayment with a paymentGateway to complete the activation.</p>",
    ))
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, mpsc};
    use std::thread;
    use std::time::Duration;

    use super::*;
    use crate::defaults;
    use crate::store::{BusinessRequestRecord, Store};

    /// Issue 8: hosted pages scanned every tenant under its lock. A link of the Other tenant
    /// must open while the Default tenant's lock is held elsewhere (a scan in id order would
    /// wait for it), and a bogus one must be refused without waiting either.
    #[test]
    fn a_hosted_page_finds_its_tenant_without_taking_another_tenants_lock() {
        let settings = Arc::new(crate::SandboxConfig::default().settings());
        let store = Arc::new(Store::new(defaults::DEFAULT_API_KEY, Some(1), settings));
        let other = store
            .tenant_by_key(defaults::OTHER_API_KEY)
            .expect("the Other tenant");
        let (request_id, hash) = other.with_state(|records, now| {
            let id = records.new_uuid();
            records
                .add_request(BusinessRequestRecord::approved_loan(id, now))
                .expect("room");
            let hash = records.issue_link(&other.keys.link_key, LinkPurpose::Signing, id, now);
            (id, hash)
        });
        let state = AppState {
            store: Arc::clone(&store),
            observer: None,
            links: crate::http::extract::LinkBase::Fixed("http://127.0.0.1:1".to_string()),
            body_read_timeout: std::time::Duration::from_secs(1),
        };

        let default = store
            .tenant_by_key(defaults::DEFAULT_API_KEY)
            .expect("the Default tenant");
        let (held, is_held) = mpsc::channel();
        let (release, released) = mpsc::channel::<()>();
        let holder = thread::spawn(move || {
            default.with_state(|_, _| {
                let _ = held.send(());
                let _ = released.recv();
            });
        });
        is_held.recv().expect("the lock is held");
        let (done, answer) = mpsc::channel();
        thread::spawn(move || {
            let opened = contract_for(&state, LinkPurpose::Signing, request_id, &hash).is_ok();
            let bogus = contract_for(&state, LinkPurpose::Signing, Uuid::from_u128(7), &hash);
            let _ = done.send((opened, bogus.is_err()));
        });
        let outcome = answer.recv_timeout(Duration::from_secs(10));
        let _ = release.send(());
        holder.join().expect("the holder ends");
        assert_eq!(
            outcome,
            Ok((true, true)),
            "the hosted lookup waited for another tenant's lock"
        );
    }
}
