//! The couple form (`POST /couples`, `POST /couples/{id}`): an urlencoded body read by
//! `forms::parse` into the page's `CoupleFormValues`, then parsed into a couple by
//! `CoupleInput::parse`, as the handlers do.
#![no_main]

use kintsugi_core::couples::{CoupleInput, PartnerInput};
use kintsugi_web::forms;
use kintsugi_web::views::couples::CoupleFormValues;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let _ = forms::field(body, "_csrf");
    let Ok(form) = forms::parse::<CoupleFormValues>(body) else {
        return;
    };
    let input = CoupleInput {
        label: form.label.clone(),
        open_agreement: forms::checked(&form.open_agreement),
        intake_date: form.intake_date.clone(),
        disclosure_date: form.disclosure_date.clone(),
        involved: PartnerInput {
            name: form.involved_name.clone(),
            email: form.involved_email.clone(),
            timezone: form.involved_timezone.clone(),
        },
        hurt: PartnerInput {
            name: form.hurt_name.clone(),
            email: form.hurt_email.clone(),
            timezone: form.hurt_timezone.clone(),
        },
    };
    let _ = input.parse();
});
