//! Retries with exponential backoff for idempotent GETs.
//!
//! Runs inside progenitor's `exec` hook, so it sees each attempt's raw response. POSTs are
//! never retried: a StepRequestOtp or StepValidatePayment that reached the server must not be
//! sent twice.

use std::time::Duration;

use reqwest::{Method, Request, Response, StatusCode};

/// How GET requests are retried on connection errors, timeouts, 429, 502, 503 and 504.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 disables retrying).
    pub max_retries: u32,
    /// The wait before the first retry; doubled before each further one.
    pub initial_backoff: Duration,
    /// The longest wait, also the cap on a server's `Retry-After`.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    /// 3 retries, waiting 200 ms, 400 ms, 800 ms (at most 5 s each).
    fn default() -> Self {
        Self {
            max_retries: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// The wait before retry number `retry` (0-based), honouring a `Retry-After` in seconds.
    pub fn backoff(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let exponential = self
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(retry));
        exponential
            .max(retry_after.unwrap_or_default())
            .min(self.max_backoff)
    }
}

/// Whether a status is worth retrying: rate limiting and gateway trouble.
pub fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 502 | 503 | 504)
}

fn is_retryable_error(error: &reqwest::Error) -> bool {
    error.is_connect() || error.is_timeout()
}

fn retry_after(response: &Response) -> Option<Duration> {
    let seconds = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()?;
    Some(Duration::from_secs(seconds))
}

/// Sends `request`, retrying it per `policy` when it is a GET.
pub async fn execute(
    client: &reqwest::Client,
    policy: &RetryPolicy,
    request: Request,
    operation_id: &str,
) -> reqwest::Result<Response> {
    if request.method() != Method::GET || policy.max_retries == 0 {
        return client.execute(request).await;
    }
    let mut retry = 0;
    loop {
        // A GET has no streaming body, so it always clones; the fallback sends it once.
        let Some(attempt) = request.try_clone() else {
            return client.execute(request).await;
        };
        let result = client.execute(attempt).await;
        let wait = match &result {
            Ok(response) if is_retryable_status(response.status()) => {
                policy.backoff(retry, retry_after(response))
            }
            Err(error) if is_retryable_error(error) => policy.backoff(retry, None),
            _ => return result,
        };
        if retry >= policy.max_retries {
            return result;
        }
        tracing::debug!(operation_id, retry = retry + 1, ?wait, "retrying GET");
        tokio::time::sleep(wait).await;
        retry += 1;
    }
}
