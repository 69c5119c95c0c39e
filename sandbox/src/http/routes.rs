//! The router: every operation of `openapi/vlens.yaml` and `openapi/sandbox-control.yaml`.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use tower_http::catch_panic::CatchPanicLayer;

use super::AppState;
use super::{faults, middleware};
use crate::defaults::MAX_BODY_BYTES;
use crate::handlers::{
    activation, admin_auth, business_requests, control, hosted, identity, iframe, registration,
    signing, user_login,
};

/// The whole application.
pub fn router(state: AppState) -> Router {
    let br = "/api/BusinessRequest";
    let di = "/api/DigitalIdentity";
    Router::new()
        // Business requests (BR1-BR8).
        .route(
            &format!("{br}/GetAllRequestTypes"),
            get(business_requests::all_types),
        )
        .route(
            &format!("{br}/GetBusinessRequestTypeTemplateFields"),
            get(business_requests::template_fields),
        )
        .route(
            &format!("{br}/CheckEligibility"),
            get(business_requests::check_eligibility),
        )
        .route(
            &format!("{br}/Create/{{typeId}}"),
            post(business_requests::create),
        )
        .route(&format!("{br}/Current"), get(business_requests::current))
        .route(
            &format!("{br}/CurrentList"),
            get(business_requests::current_list),
        )
        .route(
            &format!("{br}/CurrentListIds"),
            get(business_requests::current_list_ids),
        )
        .route(
            &format!("{br}/GetBusinessRequestById/{{id}}"),
            get(business_requests::by_id),
        )
        // Activation (BR9-BR12).
        .route(
            &format!("{br}/CustomerSign/StepRequestOtp"),
            post(activation::request_otp),
        )
        .route(
            &format!("{br}/CustomerSign/StepReValidateLiveness"),
            post(activation::revalidate_liveness),
        )
        .route(
            &format!("{br}/CustomerSign/StepValidateOtp"),
            post(activation::validate_otp),
        )
        .route(
            &format!("{br}/CustomerSign/StepValidatePayment"),
            post(activation::validate_payment),
        )
        // Signing (BR13, BR14).
        .route(
            &format!("{br}/GenerateSignContractLink"),
            post(signing::generate_sign_contract_link),
        )
        .route(
            &format!("{br}/ViewContractPdf"),
            get(signing::view_contract_pdf),
        )
        // Admin authentication (AU1, AU2).
        .route("/api/credentials/Login", post(admin_auth::login))
        .route("/api/credentials/RefreshToken", post(admin_auth::refresh))
        // Registration (RG1-RG6).
        .route(
            &format!("{di}/CheckExistenceOfEmailOrPhone"),
            post(registration::check_existence),
        )
        .route(
            &format!("{di}/Register/StepVerifyPhone"),
            post(registration::verify_phone),
        )
        .route(
            &format!("{di}/Register/StepVerifyEmail"),
            post(registration::verify_email),
        )
        .route(&format!("{di}/Register"), post(registration::register))
        .route(
            &format!("{di}/Register/StepVerifyOAuthToken"),
            post(registration::verify_oauth_token),
        )
        .route(
            &format!("{di}/VerifyOAuthToken"),
            post(registration::verify_oauth_token),
        )
        // End-user login (UL1, UL2).
        .route(&format!("{di}/Login"), post(user_login::login))
        .route(&format!("{di}/RefreshToken"), post(user_login::refresh))
        // Identity verification (DI1-DI6).
        .route(&format!("{di}/verify/id/front"), post(identity::id_front))
        .route(&format!("{di}/verify/id/back"), post(identity::id_back))
        .route(
            &format!("{di}/verify/liveness/multi"),
            post(identity::liveness),
        )
        .route(
            &format!("{di}/GetUserDigitalIdentityImages"),
            get(identity::user_images),
        )
        .route(&format!("{di}/GetStepImage"), get(identity::step_image))
        .route(
            &format!("{di}/LinkUserWithExistingTransaction"),
            post(identity::link_transaction),
        )
        // Iframe sessions (IS1, IS2).
        .route(
            "/api/IdentityUserSession/CreateAuthSession",
            post(iframe::create_auth_session),
        )
        .route(
            "/api/IdentityUserSession/CreateInvitation",
            post(iframe::create_invitation),
        )
        // Faults armed through `/__sandbox/faults` answer before the handlers above run; a route
        // layer, so that it sees the matched route (and leaves 404 and 405 alone), added here
        // so that it covers the Vlens operations only.
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            faults::inject,
        ))
        // Control API.
        .route("/__sandbox/health", get(control::health))
        .route("/__sandbox/tenants", post(control::create_tenant))
        .route("/__sandbox/users", post(control::create_user))
        .route("/__sandbox/otp", get(control::last_otp))
        .route(
            "/__sandbox/requests/{id}/status",
            post(control::set_request_status),
        )
        .route("/__sandbox/clock", post(control::advance_clock))
        .route("/__sandbox/reset", post(control::reset))
        .route("/__sandbox/faults", post(control::inject_fault))
        .route("/__sandbox/rate-limits", post(control::set_rate_limits))
        .route("/__sandbox/oauth/id-token", post(control::mint_id_token))
        // Hosted pages.
        .route("/sign", get(hosted::signing_page))
        .route("/__sandbox/contracts/{file}", get(hosted::contract_pdf))
        .route("/__sandbox/payments/{requestId}", get(hosted::payment_page))
        .fallback(middleware::not_found)
        .method_not_allowed_fallback(middleware::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(CatchPanicLayer::custom(middleware::panic_to_envelope))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::log_and_observe,
        ))
        .with_state(state)
}
