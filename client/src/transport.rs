//! What happens to every request between the hooks and the wire: retries, URLs kept out of
//! errors, replies from another origin refused, and a cap on the reply's size.
//!
//! These run in progenitor's `exec` hook, whose result must be a `reqwest::Result`. A refusal
//! that arises after the headers arrived (too large, wrong origin) therefore travels as the error
//! of the reply's body: progenitor reads the body of every reply it decodes, gets a
//! `reqwest::Error` whose `source()` is [`ReplyTooLarge`] or [`RedirectRefused`], and
//! [`crate::VlensError`] finds it there and names it.

use std::time::Duration;

use futures_util::StreamExt as _;
use reqwest::header::{CONTENT_LOCATION, LOCATION, SET_COOKIE};
use reqwest::{Request, Response};

use crate::http::{RedirectRefused, RefusalReason, origin};
use crate::retry::{self, RetryPolicy};

/// The default cap on a reply's body: contract PDFs and replies carrying ID and liveness images
/// (base64, ~1.5 MB per upload) stay well below it.
pub const DEFAULT_MAX_REPLY_BYTES: u64 = 16 * 1024 * 1024;

/// A reply whose body is larger than the client's cap (see
/// [`crate::ClientBuilder::max_reply_bytes`]). It is refused as soon as its `Content-Length` says
/// so, or when the bytes read pass the cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the reply is larger than the limit of {limit} bytes")]
pub struct ReplyTooLarge {
    /// The cap, in bytes.
    pub limit: u64,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Per-client transport settings, carried in the client's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Transport {
    pub retry: RetryPolicy,
    pub max_reply_bytes: u64,
    /// A timeout for each call of this client (see `Client::with_timeout`), replacing the HTTP
    /// client's own.
    pub call_timeout: Option<Duration>,
}

/// Sends `request` (with retries), then guards the reply.
pub(crate) async fn send(
    client: &reqwest::Client,
    transport: &Transport,
    request: Request,
    operation_id: &str,
) -> reqwest::Result<Response> {
    let request_url = request.url().clone();
    let response = retry::execute(client, &transport.retry, request, operation_id)
        .await
        // reqwest's messages include the URL, whose query may hold a SecurityHash; this also
        // cleans the raw `vlens_client::Error` that the generated methods return.
        .map_err(reqwest::Error::without_url)?;

    // This client's own redirect policy never lets this happen; a client handed in with
    // `ClientBuilder::http_client` may have followed a redirect elsewhere.
    let refused = (response.url().origin() != request_url.origin()).then(|| RedirectRefused {
        from: origin(&request_url),
        to: origin(response.url()),
        reason: if request_url.scheme() == "https" && response.url().scheme() == "http" {
            RefusalReason::Downgrade
        } else {
            RefusalReason::OtherOrigin
        },
    });
    Ok(guard(response, transport.max_reply_bytes, refused))
}

/// The reply with its body capped at `limit` bytes, or failing at once with `refused`.
///
/// The rebuilt reply has no URL (reqwest shows a placeholder): its `Debug`, which progenitor's
/// `UnexpectedResponse` error prints, then cannot show a query either.
fn guard(response: Response, limit: u64, refused: Option<RedirectRefused>) -> Response {
    let mut builder = http::Response::builder()
        .status(response.status())
        .version(response.version());
    if let Some(headers) = builder.headers_mut() {
        headers.extend(response.headers().clone());
        // Headers that carry a URL (a redirect's target, with its SecurityHash) or a session
        // are marked sensitive: they still work, but the `Debug` that progenitor's error
        // messages print shows `Sensitive` instead of their value.
        for name in [LOCATION, CONTENT_LOCATION, SET_COOKIE] {
            if let http::header::Entry::Occupied(mut entry) = headers.entry(name) {
                for value in entry.iter_mut() {
                    value.set_sensitive(true);
                }
            }
        }
    }
    let early: Option<BoxError> = match refused {
        Some(refused) => Some(refused.into()),
        None => response
            .content_length()
            .filter(|&declared| declared > limit)
            .map(|_| ReplyTooLarge { limit }.into()),
    };
    let body = match early {
        Some(error) => reqwest::Body::wrap_stream(futures_util::stream::once(async move {
            Err::<Vec<u8>, BoxError>(error)
        })),
        None => {
            let mut seen: u64 = 0;
            reqwest::Body::wrap_stream(response.bytes_stream().map(move |chunk| {
                let chunk = chunk?;
                seen = seen.saturating_add(chunk.len() as u64);
                if seen > limit {
                    Err(BoxError::from(ReplyTooLarge { limit }))
                } else {
                    Ok(chunk)
                }
            }))
        }
    };
    match builder.body(body) {
        Ok(rebuilt) => Response::from(rebuilt),
        // Unreachable: status and version come from a valid reply. Should it happen, an empty
        // reply of the same status is still a reply, never a panic.
        Err(_) => Response::from(http::Response::new(reqwest::Body::from(Vec::new()))),
    }
}

/// The first refusal of this module in an error's `source()` chain.
pub(crate) fn refusal_in(
    error: &(dyn std::error::Error + 'static),
) -> Option<Result<RedirectRefused, ReplyTooLarge>> {
    let mut next = Some(error);
    while let Some(current) = next {
        if let Some(refused) = current.downcast_ref::<RedirectRefused>() {
            return Some(Ok(refused.clone()));
        }
        if let Some(too_large) = current.downcast_ref::<ReplyTooLarge>() {
            return Some(Err(*too_large));
        }
        next = current.source();
    }
    None
}
