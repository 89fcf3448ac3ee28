//! Two-factor sign-in on the web side: the pending-login cookie between password and code,
//! the pages a counselor who must still enrol may reach, and the enrolment QR code drawn as
//! SVG on the server.

use axum::http::HeaderValue;

/// The enrolment page.
pub const ENROL_PATH: &str = "/settings/totp";

/// What a counselor who must enrol first may still reach (besides pages that need no session).
const ALLOWED_BEFORE_ENROLMENT: &[&str] = &[
    ENROL_PATH,
    "/settings/totp/setup",
    "/settings/totp/confirm",
    "/logout",
];

pub fn allowed_before_enrolment(path: &str) -> bool {
    ALLOWED_BEFORE_ENROLMENT.contains(&path)
}

/// The cookie that carries a pending sign-in (HttpOnly, SameSite=Lax, `__Host-` and Secure
/// with secure cookies on). The server ends it after five minutes or one use.
pub fn pending_cookie(secure: bool) -> &'static str {
    if secure {
        "__Host-kintsugi_pending"
    } else {
        "kintsugi_pending"
    }
}

pub fn set_pending(secret: &str, secure: bool) -> HeaderValue {
    super::cookies::set(pending_cookie(secure), secret, secure)
}

pub fn clear_pending(secure: bool) -> HeaderValue {
    super::cookies::clear(pending_cookie(secure), secure)
}

/// The QR code of an `otpauth://` URI as an inline `<svg>` element (no XML prologue), with a
/// text alternative. Drawn here: the secret never goes to another service.
pub fn qr_svg(uri: &str) -> Option<String> {
    let code =
        qrcode::QrCode::with_error_correction_level(uri.as_bytes(), qrcode::EcLevel::M).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build();
    let start = svg.find("<svg")?;
    let element = &svg[start..];
    Some(element.replacen(
        "<svg",
        "<svg class=\"qr\" role=\"img\" aria-label=\"QR code to scan with your authenticator app\"",
        1,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_code_is_an_inline_svg_element() {
        let svg = qr_svg("otpauth://totp/Kintsugi:a@x.org?secret=JBSWY3DPEHPK3PXP&issuer=Kintsugi")
            .expect("svg");
        assert!(svg.starts_with("<svg class=\"qr\""));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(!svg.contains("<?xml"));
        assert!(!svg.contains("<script"));
        assert!(!svg.contains("style="));
    }

    #[test]
    fn only_enrolment_and_sign_out_before_enrolment() {
        assert!(allowed_before_enrolment("/settings/totp"));
        assert!(allowed_before_enrolment("/logout"));
        assert!(!allowed_before_enrolment("/"));
        assert!(!allowed_before_enrolment("/settings/totp/disable"));
        assert!(!allowed_before_enrolment("/settings/api-tokens"));
    }
}
