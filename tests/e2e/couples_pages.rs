//! Couple pages: add, view, edit, pause, close, and the dashboard's search, filter and paging.

use reqwest::StatusCode;

use crate::db_tests;
use crate::support::{TestApp, couple_form};

db_tests!(
    add_a_couple_and_see_it,
    edit_a_couple,
    pause_close_and_resume,
    dashboard_search_filter_sort_and_pages,
);

/// Create a couple through the page; returns its id.
async fn add(b: &crate::support::Browser, label: &str) -> String {
    b.add_couple(label).await.1.to_string()
}

async fn add_a_couple_and_see_it(app: TestApp) {
    let (_, b) = app.signed_in_counselor("A", "a@practice.example").await;
    let id = add(&b, "Zoë & Renée").await;
    let (status, html) = b.get_html(&format!("/couples/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    for expected in [
        "Zoë &#38; Renée",
        "Zoë Ñúñez-Łukasiewicz",
        "Renée O’Brien",
        "Europe/Warsaw",
        "America/New_York",
        "2 Mar 2026",
    ] {
        assert!(html.contains(expected), "{expected} missing");
    }
    assert!(html.contains("Current stage: <strong>1 · Admission and remorse</strong>"));
    let (_, dashboard) = b.get_html("/").await;
    assert!(dashboard.contains(&format!("/couples/{id}")));
    assert!(dashboard.contains("1 · Admission and remorse"));
}

async fn edit_a_couple(app: TestApp) {
    let (_, b) = app.signed_in_counselor("A", "a@practice.example").await;
    let id = add(&b, "Alex & Sam").await;
    let (_, form) = b.get_html(&format!("/couples/{id}/edit")).await;
    assert!(
        form.contains("value=\"Alex &#38; Sam\""),
        "the form is filled in"
    );
    assert!(form.contains("name=\"version\" value=\"1\""));
    let mut fields: Vec<(&str, String)> = couple_form("Alex & Samira")
        .into_iter()
        .filter(|(k, _)| *k != "disclosure_date")
        .collect();
    fields.push(("version", "1".into()));
    fields.push(("open_agreement", "on".into()));
    fields.push(("disclosure_date", "2026-02-20".into()));
    let r = b
        .submit(
            &format!("/couples/{id}/edit"),
            &format!("/couples/{id}"),
            &fields,
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = b.get_html(&format!("/couples/{id}")).await;
    assert!(html.contains("Alex &#38; Samira"));
    assert!(html.contains("open-relationship agreement"));
    assert!(html.contains("disclosure 20 Feb 2026"));
}

async fn pause_close_and_resume(app: TestApp) {
    let (_, b) = app.signed_in_counselor("A", "a@practice.example").await;
    let id = add(&b, "Kwame & Inès").await;
    let page = format!("/couples/{id}");
    for (status, shown) in [
        ("paused", "Paused"),
        ("closed", "Closed"),
        ("active", "Active"),
    ] {
        let r = b
            .submit(
                &page,
                &format!("/couples/{id}/status"),
                &[("status", status.into())],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, html) = b.get_html(&page).await;
        assert!(
            html.contains(&format!("status-{status}\">{shown}")),
            "{status}"
        );
    }
    let r = b
        .submit(
            &page,
            &format!("/couples/{id}/status"),
            &[("status", "deleted".into())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

async fn dashboard_search_filter_sort_and_pages(app: TestApp) {
    let (_, b) = app.signed_in_counselor("A", "a@practice.example").await;
    let mut ids = Vec::new();
    for i in 0..27 {
        ids.push(add(&b, &format!("Couple {i:02}")).await);
    }
    add(&b, "100% Ünïcode_Pair").await;
    let (_, page1) = b.get_html("/").await;
    assert!(page1.contains("28 couples"));
    assert!(page1.contains("Page 1 of 2"));
    assert!(
        page1.contains("Couple 00") && !page1.contains("Couple 26"),
        "sorted by name, 25 a page"
    );
    let (_, page2) = b.get_html("/?page=2").await;
    assert!(page2.contains("Couple 26") && page2.contains("Page 2 of 2"));
    // Search is case-insensitive and treats % and _ literally.
    let (_, found) = b.get_html("/?q=%C3%BCn%C3%AFcode_").await;
    assert!(
        found.contains("100% Ünïcode_Pair") && found.contains("1 couple<"),
        "{found}"
    );
    let (_, none) = b.get_html("/?q=%25%25%25").await;
    assert!(none.contains("No couples match"));
    // Filter by status.
    let r = b
        .submit(
            "/",
            &format!("/couples/{}/status", ids[3]),
            &[("status", "paused".into())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, paused) = b.get_html("/?status=paused").await;
    assert!(paused.contains("Couple 03") && paused.contains("1 couple<"));
    // Unknown sort and status values fall back to defaults instead of failing.
    let (status, _) = b.get_html("/?sort=password&status=%27;drop&page=-4").await;
    assert_eq!(status, StatusCode::OK);
    let (_, updated) = b.get_html("/?sort=updated").await;
    let first_row = updated.split("<tbody>").nth(1).expect("rows");
    assert!(
        first_row.find("Couple 03").expect("paused couple listed")
            < first_row.find("Couple 26").expect("26"),
        "most recently changed first"
    );
}
