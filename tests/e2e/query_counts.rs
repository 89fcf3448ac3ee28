//! No query grows with the caseload. Two counselors of one practice, with 10 and with 200
//! couples from the large-practice generator, open the same pages: the dashboard, a couple
//! page, a partner's homework link and the couples API. Every statement the application's
//! connection runs is recorded; the counts must be equal for both caseloads (no query per
//! couple) and small. On PostgreSQL every list's filters and sorts are then explained with
//! sequential scans switched off: each reads a big table through an index that serves it.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, TimeZone as _, Utc};
use kintsugi_core::clock::FixedClock;
use kintsugi_core::demo::scale::{self, CaseloadSpec};
use kintsugi_core::entities::{couple, partner};
use kintsugi_core::homework::links;
use kintsugi_core::practice::Role;
use reqwest::StatusCode;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement, TransactionTrait,
};
use uuid::Uuid;

use crate::support::queries::QueryLog;
use crate::support::{Backend, Browser, PASSWORD, TestApp};

/// The generator's seed: both caseloads start with the same couples.
const SEED: u64 = 8;
/// Most statements any of these pages may run.
const MOST: usize = 30;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 18, 14, 30, 0)
        .single()
        .expect("time")
}

/// A counselor with a generated caseload, signed in on the web and the API, and a partner of
/// their first couple holding a homework link.
struct Caseload {
    couple_id: Uuid,
    session_id: Uuid,
    assignment_id: Uuid,
    browser: Browser,
    token: String,
    partner: Browser,
}

async fn caseload(app: &TestApp, number: usize, couples: usize, role: Role) -> Caseload {
    let email = format!("counselor{number}@practice.example");
    let counselor = app
        .counselor(&format!("Counselor {number}"), &email, role)
        .await;
    scale::write_caseloads(
        &app.db,
        now(),
        &[CaseloadSpec {
            counselor_id: counselor.id,
            counselor_number: number,
            time_zone: counselor.timezone,
            couples,
            seed: SEED,
        }],
        &|_| {},
    )
    .await
    .expect("generate the caseload");
    let written = couple::Entity::find()
        .filter(couple::Column::CounselorId.eq(counselor.id))
        .all(&app.db)
        .await
        .expect("couples");
    assert_eq!(written.len(), couples);

    // The caseload's first couple, found by its hurt partner's generated address.
    let hurt = partner::Entity::find()
        .filter(partner::Column::Email.eq(format!(
            "c{number:03}-00001-hurt@clients.scale.kintsugi.example"
        )))
        .one(&app.db)
        .await
        .expect("query")
        .expect("the first couple's hurt partner");
    let session_id = kintsugi_core::sessions::store::for_couple(&app.db, hurt.couple_id)
        .await
        .expect("sessions")
        .last()
        .expect("a session")
        .id;
    let record = kintsugi_core::couples::store::get(&app.db, counselor.id, hurt.couple_id)
        .await
        .expect("couple");
    let assignment_id = kintsugi_core::homework::assignments::for_couple(&app.db, &record)
        .await
        .expect("assignments")
        .last()
        .expect("an assignment")
        .assignment
        .id;

    let browser = Browser::new(app);
    browser.sign_in(&email, PASSWORD).await;
    let token = app.api_token(counselor.id).await;
    let secret = links::mint(
        &app.db,
        app.clock.as_ref(),
        hurt.id,
        chrono::Duration::days(90),
    )
    .await
    .expect("link");
    let partner = Browser::new(app);
    let opened = partner.get(&format!("/h/{}", secret.expose())).await;
    assert_eq!(opened.status(), StatusCode::SEE_OTHER);
    Caseload {
        couple_id: hurt.couple_id,
        session_id,
        assignment_id,
        browser,
        token,
        partner,
    }
}

/// Start on a fixed clock (no session touch falls between two counted requests) with every
/// statement recorded, and give two counselors caseloads of 10 and 200 couples.
async fn practice(backend: Backend) -> (TestApp, QueryLog, Caseload, Caseload) {
    let log = QueryLog::default();
    let clock = Arc::new(FixedClock::new(now()));
    let app = TestApp::spawn_logged(backend, clock, &log).await;
    let small = caseload(&app, 1, 10, Role::Counselor).await;
    let large = caseload(&app, 2, 200, Role::Admin).await;
    (app, log, small, large)
}

/// One page of a caseload, by the client that opens it.
#[derive(Clone, Copy)]
enum Client {
    Web,
    Api,
    Partner,
}

async fn open(app: &TestApp, who: &Caseload, client: Client, path: &str) -> StatusCode {
    match client {
        Client::Web => who.browser.get(path).await.status(),
        Client::Api => app.api(&who.token).get(path).await.status(),
        Client::Partner => who.partner.get(path).await.status(),
    }
}

/// The statements one request ran.
async fn statements(
    app: &TestApp,
    log: &QueryLog,
    who: &Caseload,
    client: Client,
    path: &str,
) -> Vec<Statement> {
    // Earlier requests' view events are written before counting starts.
    app.flush_audit().await;
    log.clear();
    let status = open(app, who, client, path).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    // The page's view event is written by the batching writer: counted with its page.
    app.flush_audit().await;
    log.take()
}

fn sql(statements: &[Statement]) -> String {
    statements
        .iter()
        .map(|s| format!("  {}", s.sql))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A page by name, the client that opens it, and its path for a caseload.
type Page = (&'static str, Client, fn(&Caseload) -> String);

async fn no_query_grows_with_the_caseload(backend: Backend) {
    let (app, log, small, large) = practice(backend).await;
    let pages: [Page; 5] = [
        ("dashboard", Client::Web, |_| "/".to_owned()),
        ("couple page", Client::Web, |c| {
            format!("/couples/{}", c.couple_id)
        }),
        ("session page", Client::Web, |c| {
            format!("/sessions/{}", c.session_id)
        }),
        ("homework link page", Client::Partner, |_| "/h".to_owned()),
        ("couples API", Client::Api, |_| "/api/v1/couples".to_owned()),
    ];
    let mut report = Vec::new();
    for (name, client, path) in pages {
        // Once to warm up (first-visit work such as the practice row), then counted.
        open(&app, &small, client, &path(&small)).await;
        open(&app, &large, client, &path(&large)).await;
        let of_small = statements(&app, &log, &small, client, &path(&small)).await;
        let of_large = statements(&app, &log, &large, client, &path(&large)).await;
        assert_eq!(
            of_small.len(),
            of_large.len(),
            "{name}: {} statements for 10 couples, {} for 200\n10 couples:\n{}\n200 couples:\n{}",
            of_small.len(),
            of_large.len(),
            sql(&of_small),
            sql(&of_large)
        );
        assert!(
            of_large.len() <= MOST,
            "{name}: {} statements\n{}",
            of_large.len(),
            sql(&of_large)
        );
        report.push(format!("{name}: {}", of_large.len()));
    }
    eprintln!("statements per page ({backend:?}): {}", report.join(", "));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    no_query_grows_with_the_caseload(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    if postgres_configured() {
        no_query_grows_with_the_caseload(Backend::Postgres).await;
    } else {
        eprintln!("skipped: KINTSUGI_TEST_POSTGRES_URL is not set");
    }
}

fn postgres_configured() -> bool {
    std::env::var("KINTSUGI_TEST_POSTGRES_URL").is_ok_and(|v| !v.is_empty())
}

/// Tables that grow with the practice: no statement may read one of them whole.
const BIG_TABLES: [&str; 14] = [
    "couple",
    "partner",
    "stage_progress",
    "stage_event",
    "marker_rating",
    "counseling_session",
    "note",
    "note_addendum",
    "assignment",
    "response",
    "audit_event",
    "outbox_message",
    "homework_link",
    "open_homework",
];

/// The lists whose filters and sorts the pages offer: the table, the column that scopes it to
/// the signed-in counselor (if any), and the columns its filters use.
const LISTS: [(&str, Option<&str>, &[&str]); 2] = [
    ("couple", Some("counselor_id"), &["status", "current_stage"]),
    (
        "audit_event",
        None,
        &["actor_id", "action", "record_kind", "record_id", "at"],
    ),
];

fn children(node: &serde_json::Value) -> impl Iterator<Item = &serde_json::Value> {
    node["Plans"].as_array().into_iter().flatten()
}

/// Big tables the plan reads with a sequential scan.
fn sequential_scans(node: &serde_json::Value, out: &mut Vec<String>) {
    let table = node["Relation Name"].as_str().unwrap_or_default();
    if node["Node Type"].as_str() == Some("Seq Scan") && BIG_TABLES.contains(&table) {
        out.push(format!("a Seq Scan on {table}"));
    }
    for child in children(node) {
        sequential_scans(child, out);
    }
}

/// Whether a plan sorts rows itself instead of reading them in order from an index.
fn sorts(node: &serde_json::Value) -> bool {
    node["Node Type"].as_str() == Some("Sort") || children(node).any(sorts)
}

/// Every index condition of a plan, as one text.
fn index_conditions(node: &serde_json::Value) -> String {
    let own = node["Index Cond"].as_str().unwrap_or_default().to_owned();
    children(node).fold(own, |all, child| all + " " + &index_conditions(child))
}

/// What is wrong with the plan of a list (a page of it, or its total). Its filtering starts
/// from an index condition. A page comes in order from an index that serves the sort; only
/// when every filter is an index condition (or a search, which no index serves, narrows it) may
/// the few rows left be sorted: never everything in the list.
fn list_problems(sql: &str, plan: &serde_json::Value) -> Vec<String> {
    let from = sql.split(" WHERE ").next().unwrap_or_default();
    let Some((table, scope, columns)) = LISTS
        .iter()
        .find(|(t, _, _)| from.ends_with(&format!("FROM \"{t}\"")))
    else {
        return Vec::new();
    };
    let filter = sql
        .split(" ORDER BY ")
        .next()
        .and_then(|s| s.split(" WHERE ").nth(1))
        .unwrap_or_default();
    // Rows looked up by id are not a list.
    if !sql.starts_with("SELECT") || filter.contains(&format!("\"{table}\".\"id\"")) {
        return Vec::new();
    }
    let conditions = index_conditions(plan);
    let used = |c: &&str| filter.contains(&format!("\"{c}\""));
    let filters: Vec<&str> = columns.iter().copied().filter(used).collect();
    let served: Vec<&str> = scope
        .iter()
        .chain(columns.iter())
        .copied()
        .filter(used)
        .filter(|c| conditions.contains(c))
        .collect();
    let mut out = Vec::new();
    if !filter.is_empty() && served.is_empty() {
        out.push(format!(
            "no filter of the {table} list is an index condition"
        ));
    }
    let page = sql.contains(" LIMIT ") && sql.contains(" ORDER BY ");
    let narrowed = filter.contains(" LIKE ")
        || (!filters.is_empty() && filters.iter().all(|c| served.contains(c)));
    if page && sorts(plan) && !narrowed {
        out.push(format!("a Sort of the whole {table} list"));
    }
    out
}

/// PostgreSQL's plan of a recorded statement.
async fn explain(app: &TestApp, statement: &Statement) -> serde_json::Value {
    let tx = app.db.begin().await.expect("begin");
    // Sequential scans and explicit sorts made as dear as the planner allows: whatever it
    // still reads whole or sorts has no index to do it with, however small the test tables.
    for setting in ["enable_seqscan", "enable_sort"] {
        tx.execute_unprepared(&format!("SET LOCAL {setting} = off"))
            .await
            .expect("set");
    }
    let explained = Statement {
        sql: format!("EXPLAIN (FORMAT JSON) {}", statement.sql),
        ..statement.clone()
    };
    let row = tx
        .query_one_raw(explained)
        .await
        .expect("explain")
        .expect("a plan");
    let plan: serde_json::Value = row.try_get_by_index(0).expect("plan json");
    tx.rollback().await.expect("rollback");
    plan[0]["Plan"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_filter_and_sort_reads_by_an_index() {
    if !postgres_configured() {
        eprintln!("skipped: KINTSUGI_TEST_POSTGRES_URL is not set");
        return;
    }
    // A practice where one caseload is a small part of the whole, as in a real practice: a
    // plan that reads every row of a table is then the planner's choice only when no index
    // serves the query.
    let log = QueryLog::default();
    let app =
        TestApp::spawn_logged(Backend::Postgres, Arc::new(FixedClock::new(now())), &log).await;
    let mut others = Vec::new();
    for number in 11..=14 {
        let c = app
            .counselor(
                &format!("Colleague {number}"),
                &format!("colleague{number}@practice.example"),
                Role::Counselor,
            )
            .await;
        others.push(CaseloadSpec {
            counselor_id: c.id,
            counselor_number: number,
            time_zone: c.timezone,
            couples: 250,
            seed: SEED + number as u64,
        });
    }
    scale::write_caseloads(&app.db, now(), &others, &|_| {})
        .await
        .expect("the colleagues' caseloads");
    let large = caseload(&app, 2, 100, Role::Admin).await;
    app.db.execute_unprepared("ANALYZE").await.expect("analyze");
    let (c, s, a) = (large.couple_id, large.session_id, large.assignment_id);
    let counselor = others[0].counselor_id;
    let web = [
        "/".to_owned(),
        "/?sort=updated".to_owned(),
        "/?sort=intake".to_owned(),
        "/?status=paused".to_owned(),
        "/?stage=openness".to_owned(),
        "/?stage=complete".to_owned(),
        "/?q=ana".to_owned(),
        "/?status=active&sort=intake&page=3".to_owned(),
        format!("/couples/{c}"),
        format!("/sessions/{s}"),
        format!("/assignments/{a}"),
        "/library?stage=validation&recipient=hurt".to_owned(),
        "/outbox".to_owned(),
        "/admin/audit".to_owned(),
        format!("/admin/audit?counselor={counselor}"),
        "/admin/audit?action=couple_viewed".to_owned(),
        "/admin/audit?kind=couple".to_owned(),
        format!("/admin/audit?record={c}"),
        "/admin/audit?from=2026-11-01&to=2026-11-30".to_owned(),
    ];
    let api = [
        "/api/v1/couples".to_owned(),
        "/api/v1/couples?sort=updated".to_owned(),
        "/api/v1/couples?sort=intake&page=2&per_page=20".to_owned(),
        "/api/v1/couples?status=closed".to_owned(),
        "/api/v1/couples?stage=validation".to_owned(),
        "/api/v1/couples?q=ma".to_owned(),
        format!("/api/v1/couples/{c}"),
        format!("/api/v1/couples/{c}/progress"),
        format!("/api/v1/couples/{c}/sessions"),
        format!("/api/v1/couples/{c}/assignments"),
        format!("/api/v1/assignments/{a}"),
        "/api/v1/exercises?stage=openness&recipient=both".to_owned(),
        "/api/v1/outbox".to_owned(),
    ];
    let mut recorded: BTreeMap<String, Vec<Statement>> = BTreeMap::new();
    for path in &web {
        recorded.insert(
            path.clone(),
            statements(&app, &log, &large, Client::Web, path).await,
        );
    }
    for path in &api {
        recorded.insert(
            path.clone(),
            statements(&app, &log, &large, Client::Api, path).await,
        );
    }
    recorded.insert(
        "/h".to_owned(),
        statements(&app, &log, &large, Client::Partner, "/h").await,
    );

    let mut problems = Vec::new();
    let mut explained = 0;
    for (path, statements) in &recorded {
        for statement in statements {
            let sql = statement.sql.trim_start();
            let is_read = sql.starts_with("SELECT") || sql.starts_with("WITH");
            let touches_big = BIG_TABLES
                .iter()
                .any(|t| statement.sql.contains(&format!("\"{t}\"")));
            if !is_read || !touches_big {
                continue;
            }
            let plan = explain(&app, statement).await;
            explained += 1;
            let mut scans = Vec::new();
            sequential_scans(&plan, &mut scans);
            scans.extend(list_problems(sql, &plan));
            if !scans.is_empty() {
                problems.push(format!(
                    "{path}: {}\n    {}\n    plan: {plan}",
                    scans.join(", "),
                    statement.sql
                ));
            }
        }
    }
    assert!(explained > 50, "only {explained} statements explained");
    assert!(
        problems.is_empty(),
        "{} statements read a big table without an index:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
