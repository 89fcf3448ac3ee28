//! The counselor's own settings: profile and API tokens.

use axum::extract::State;
use kintsugi_core::access::api_tokens;
use kintsugi_core::audit::{self, Action, Actor};
use kintsugi_core::practice::Role;

use crate::app::AppState;
use crate::auth::Signed;
use crate::auth::csrf::SignedForm;
use crate::error::AppError;
use crate::request::ClientIp;
use crate::views::Chrome;
use crate::views::settings::SettingsPage;

fn page(signed: &Signed, new_token: Option<String>) -> SettingsPage {
    SettingsPage {
        chrome: Chrome::new(signed, "settings"),
        email: signed.counselor.email.to_string(),
        role: match signed.counselor.role {
            Role::Admin => "Practice admin",
            Role::Counselor => "Counselor",
        },
        timezone: signed.counselor.timezone.to_string(),
        new_token,
    }
}

pub async fn show(signed: Signed) -> SettingsPage {
    page(&signed, None)
}

pub async fn create_api_token(
    State(state): State<AppState>,
    ip: ClientIp,
    SignedForm { signed, .. }: SignedForm<serde::de::IgnoredAny>,
) -> Result<SettingsPage, AppError> {
    let token = api_tokens::create(
        &state.db,
        state.clock(),
        signed.counselor.id,
        "settings page",
    )
    .await?;
    let actor = Actor::counselor(signed.counselor.id, ip.to_audit());
    audit::record(
        &state.db,
        state.clock(),
        &actor,
        Action::ApiTokenCreated,
        None,
    )
    .await?;
    Ok(page(&signed, Some(token)))
}
