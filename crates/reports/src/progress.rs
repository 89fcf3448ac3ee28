//! The progress report as a PDF, for a date range: the stage timeline, gate overrides and
//! reopenings with their reasons, current marker ratings, homework completion per partner,
//! sessions attended, and charts of the check-in ratings. The timeline and charts are drawn
//! as vectors from the same models the couple page draws as SVG.

use chrono::{DateTime, Utc};

use crate::ReportError;
use crate::common::{
    generated_text, or_missing, partners_text, quiet, running_header, section, table_section,
    title_block,
};
use crate::pdf::layout::{TableLook, styles};
use crate::pdf::{Column, DocInfo, Document, Flow, Furniture, PageSetup, PaperSize, add_furniture};
use crate::visuals::{LineChart, Timeline};

pub use crate::common::PartnerLine;

/// A gate override or a reopening, with the counselor's reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageEventLine {
    /// Already formatted by the caller.
    pub date: String,
    /// What happened, e.g. "Stage 3 reopened".
    pub text: String,
    pub reason: Option<String>,
}

/// The latest rating of each marker of one stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageMarkers {
    pub stage: String,
    /// (marker, rating), both worded for people.
    pub markers: Vec<(String, String)>,
}

/// Homework of one partner in the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HomeworkLine {
    pub partner: String,
    pub assigned: u32,
    pub submitted: u32,
    pub reviewed: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SessionCounts {
    pub attended: u32,
    pub cancelled: u32,
    pub no_show: u32,
}

/// Everything printed on a progress report; plain, already-formatted data.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressDoc {
    pub practice_name: String,
    pub counselor_name: String,
    pub couple_label: String,
    pub partners: Vec<PartnerLine>,
    /// The period, formatted by the caller.
    pub period_from: String,
    pub period_to: String,
    pub timeline: Timeline,
    pub stage_events: Vec<StageEventLine>,
    pub current_markers: Vec<StageMarkers>,
    pub homework: Vec<HomeworkLine>,
    pub sessions: SessionCounts,
    pub charts: Vec<LineChart>,
    pub paper: PaperSize,
    /// The PDF's title (document information).
    pub title: String,
    pub generated_at: DateTime<Utc>,
}

/// The report as PDF bytes.
pub fn render(doc: &ProgressDoc) -> Result<Vec<u8>, ReportError> {
    crate::pdf::write(&layout(doc)?)
}

const MARKER_HEAD: [&str; 2] = ["MARKER", "RATING"];

/// Scene units per point for figures: 12-unit labels print at about 8.6 pt.
const FIGURE_SCALE: f64 = 0.72;

fn percent(part: u32, whole: u32) -> String {
    if whole == 0 {
        "–".into()
    } else {
        format!(
            "{}%",
            (f64::from(part) * 100.0 / f64::from(whole)).round() as i64
        )
    }
}

/// The report laid out on pages (before writing; tests inspect positions here).
pub fn layout(doc: &ProgressDoc) -> Result<Document, ReportError> {
    let setup = PageSetup::new(doc.paper);
    let mut flow = Flow::new(setup);
    let period = format!(
        "{} – {}",
        or_missing(&doc.period_from),
        or_missing(&doc.period_to)
    );
    title_block(
        &mut flow,
        &doc.practice_name,
        "Progress report",
        &doc.couple_label,
    )?;
    let s = doc.sessions;
    flow.pairs(
        &[
            ("Counselor".into(), or_missing(&doc.counselor_name)),
            ("Partners".into(), partners_text(&doc.partners)),
            ("Period".into(), period.clone()),
            (
                "Sessions".into(),
                format!(
                    "{} attended · {} cancelled · {} no-show",
                    s.attended, s.cancelled, s.no_show
                ),
            ),
        ],
        0.26,
    )?;
    flow.gap(6.0);
    flow.paragraph(&generated_text(doc.generated_at), &styles::SMALL)?;

    let (_, width) = flow.column();
    let figure_w = width / FIGURE_SCALE;

    let timeline = doc.timeline.scene(figure_w);
    section(&mut flow, "Stage timeline", timeline.height * FIGURE_SCALE)?;
    if doc.timeline.lanes.is_empty() {
        quiet(&mut flow, "No stage history in this period.")?;
    } else {
        flow.figure(&timeline, FIGURE_SCALE);
        flow.gap(4.0);
        flow.paragraph(
            &format!(
                "{} to {}. Bars show when a stage was worked on; the current stage is highlighted.",
                doc.timeline.start.format("%-d %b %Y"),
                doc.timeline.end.format("%-d %b %Y")
            ),
            &styles::SMALL,
        )?;
    }

    if doc.stage_events.is_empty() {
        section(
            &mut flow,
            "Gate overrides and reopenings",
            styles::BODY.leading,
        )?;
        quiet(&mut flow, "None in this period.")?;
    } else {
        let rows: Vec<Vec<String>> = doc
            .stage_events
            .iter()
            .map(|e| {
                vec![
                    e.date.clone(),
                    e.text.clone(),
                    e.reason
                        .clone()
                        .filter(|r| !r.trim().is_empty())
                        .unwrap_or_else(|| "No reason recorded".into()),
                ]
            })
            .collect();
        let columns = [
            Column::new(0.2, styles::BODY),
            Column::new(0.3, styles::BODY_BOLD),
            Column::new(0.5, styles::BODY),
        ];
        let head = ["DATE", "EVENT", "REASON"];
        table_section(
            &mut flow,
            "Gate overrides and reopenings",
            &columns,
            &head,
            &rows,
        )?;
    }

    let marker_columns = [
        Column::new(0.62, styles::BODY),
        Column::new(0.38, styles::BODY_BOLD),
    ];
    let stages: Vec<(&str, Vec<Vec<String>>)> = doc
        .current_markers
        .iter()
        .filter(|m| !m.markers.is_empty())
        .map(|m| {
            let rows = m
                .markers
                .iter()
                .map(|(k, r)| vec![k.clone(), r.clone()])
                .collect();
            (m.stage.as_str(), rows)
        })
        .collect();
    // Each stage's heading stays with (the start of) its table.
    let mut keeps = Vec::with_capacity(stages.len());
    for (_, rows) in &stages {
        keeps.push(flow.table_start_height(
            &marker_columns,
            Some(&MARKER_HEAD),
            rows,
            TableLook::GRID,
        )?);
    }
    section(
        &mut flow,
        "Current marker ratings",
        keeps
            .first()
            .map_or(styles::BODY.leading, |k| k + styles::H2.leading),
    )?;
    if stages.is_empty() {
        quiet(&mut flow, "No markers rated yet.")?;
    }
    for (i, ((stage, rows), keep)) in stages.iter().zip(keeps).enumerate() {
        if i > 0 {
            flow.gap(10.0);
        }
        flow.heading(stage, &styles::H2, keep)?;
        flow.table(&marker_columns, Some(&MARKER_HEAD), rows, TableLook::GRID)?;
    }

    if doc.homework.is_empty() {
        section(&mut flow, "Homework", styles::BODY.leading)?;
        quiet(&mut flow, "No homework in this period.")?;
    } else {
        let rows: Vec<Vec<String>> = doc
            .homework
            .iter()
            .map(|h| {
                vec![
                    h.partner.clone(),
                    h.assigned.to_string(),
                    h.submitted.to_string(),
                    h.reviewed.to_string(),
                    percent(h.submitted, h.assigned),
                ]
            })
            .collect();
        table_section(
            &mut flow,
            "Homework",
            &[
                Column::new(0.36, styles::BODY),
                Column::new(0.15, styles::BODY).right(),
                Column::new(0.15, styles::BODY).right(),
                Column::new(0.15, styles::BODY).right(),
                Column::new(0.19, styles::BODY_BOLD).right(),
            ],
            &["PARTNER", "ASSIGNED", "SUBMITTED", "REVIEWED", "COMPLETED"],
            &rows,
        )?;
    }

    let total = s.attended + s.cancelled + s.no_show;
    table_section(
        &mut flow,
        "Sessions",
        &[
            Column::new(0.25, styles::BODY).right(),
            Column::new(0.25, styles::BODY).right(),
            Column::new(0.25, styles::BODY).right(),
            Column::new(0.25, styles::BODY_BOLD).right(),
        ],
        &["ATTENDED", "CANCELLED", "NO-SHOW", "ATTENDANCE"],
        &[vec![
            s.attended.to_string(),
            s.cancelled.to_string(),
            s.no_show.to_string(),
            percent(s.attended, total),
        ]],
    )?;

    // Each chart stays together with its values in words when they fit on a page.
    let mut charts = Vec::with_capacity(doc.charts.len());
    for chart in &doc.charts {
        let scene = chart.scene(figure_w);
        let words = chart.text_alternative();
        let mut whole = scene.height * FIGURE_SCALE + 6.0;
        for line in &words {
            whole += flow.measure(line, &styles::SMALL)? + 2.0;
        }
        charts.push((scene, words, whole));
    }
    let first = charts
        .first()
        .map_or(styles::BODY.leading, |c| c.2.min(flow.page_room() * 0.8));
    section(&mut flow, "Check-in ratings", first)?;
    if charts.is_empty() {
        quiet(&mut flow, "No check-ins in this period.")?;
    }
    for (i, (scene, words, whole)) in charts.iter().enumerate() {
        if i > 0 {
            flow.gap(22.0);
        }
        if *whole <= flow.page_room() {
            flow.keep(*whole);
        }
        flow.figure(scene, FIGURE_SCALE);
        flow.gap(6.0);
        for line in words {
            flow.paragraph(line, &styles::SMALL)?;
            flow.gap(2.0);
        }
    }

    let mut pages = flow.finish()?;
    let header = running_header(&setup, &["Progress report", &doc.couple_label, &period]);
    add_furniture(
        &mut pages,
        &setup,
        &Furniture {
            footer: "Confidential".into(),
            footer_alert: None,
            running_header: header,
        },
    );
    Ok(Document {
        setup,
        pages,
        info: DocInfo {
            title: if doc.title.trim().is_empty() {
                "Progress report".into()
            } else {
                doc.title.clone()
            },
            author: doc.counselor_name.clone(),
            subject: "Progress report".into(),
            created: doc.generated_at,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples;
    use crate::test_support::{
        assert_no_orphan_headings, assert_within_margins, info, media_box, page_count, page_text,
        parse, pdftotext,
    };

    fn flat(text: &str) -> String {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// Path-painting and path-building operators on each page, from the content streams.
    fn path_ops(pdf: &lopdf::Document) -> Vec<usize> {
        pdf.get_pages()
            .values()
            .map(|id| {
                let content = pdf.get_and_decode_page_content(*id).expect("content");
                content
                    .operations
                    .iter()
                    .filter(|op| matches!(op.operator.as_str(), "m" | "l" | "c" | "re"))
                    .count()
            })
            .collect()
    }

    #[test]
    fn renders_the_sample_report_with_vector_timeline_and_charts() {
        let doc = samples::progress();
        let bytes = render(&doc).expect("pdf");
        let pdf = parse(&bytes);
        let pages = page_count(&pdf);
        assert_eq!(pages, 3);
        assert_eq!(info(&pdf, b"Title"), doc.title);
        assert!(info(&pdf, b"CreationDate").starts_with("D:2026"));
        let text = flat(&pdftotext(&bytes, None));
        for expected in [
            "Progress report",
            "Zoë Ñúñez-Łukasiewicz (involved partner)",
            "Renée O’Brien (hurt partner)",
            "5 January 2026 – 31 March 2026",
            "Stage timeline",
            "1 Admission",
            "4 Before the affair",
            "gate overridden",
            "Gate overridden for stage 4",
            "New disclosure: messages",
            "Pain reflected back, apology Emerging",
            "Zoë Ñúñez-Łukasiewicz 14 12 11 86%",
            "11 1 0 92%",
            "Trust (connection check-in)",
            "Trust ratings diverge by 4 or more points",
            "Feelings check-in (Renée, hurt partner)",
            "Anger: 12 check-ins",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in {text}");
        }
        for n in 1..=pages as u32 {
            let page = flat(&page_text(&pdf, n));
            assert!(
                page.contains(&format!("Page {n} of {pages}")) && page.contains("Confidential")
            );
        }
        // Drawn, not pasted: no images, and plenty of path operators where the pictures are.
        assert!(!bytes.windows(6).any(|w| w == b"/Image"));
        let ops = path_ops(&pdf);
        assert!(ops[0] > 100, "the timeline is vector paths: {ops:?}");
        assert!(ops[2] > 150, "the charts are vector paths: {ops:?}");
    }

    #[test]
    fn letter_paper_and_margins() {
        let mut doc = samples::progress();
        for paper in [PaperSize::A4, PaperSize::Letter] {
            doc.paper = paper;
            let laid_out = layout(&doc).expect("layout");
            assert_within_margins(&laid_out);
            assert_no_orphan_headings(&laid_out);
            let pdf = parse(&crate::pdf::write(&laid_out).expect("pdf"));
            let (w, h) = media_box(&pdf, 1);
            let (ew, eh) = paper.size_pt();
            assert!((w - ew).abs() < 0.05 && (h - eh).abs() < 0.05);
        }
    }

    #[test]
    fn empty_and_hostile_reports_render() {
        let long = "Ł".repeat(10_000);
        let mut doc = samples::progress();
        doc.timeline.lanes.clear();
        doc.stage_events.clear();
        doc.current_markers.clear();
        doc.homework.clear();
        doc.charts.clear();
        doc.sessions = SessionCounts::default();
        doc.partners.clear();
        doc.period_from = String::new();
        let text = flat(&pdftotext(&render(&doc).expect("pdf"), None));
        for expected in [
            "No stage history in this period.",
            "None in this period.",
            "No markers rated yet.",
            "No homework in this period.",
            "0 0 0 –",
            "No check-ins in this period.",
        ] {
            assert!(text.contains(expected), "{expected:?} in {text}");
        }

        let mut doc = samples::progress();
        doc.couple_label = format!("<script>{long}</script>");
        doc.timeline.lanes[0].label = long.clone();
        doc.charts[0].title = long.clone();
        doc.charts[0].series[0].name = long.clone();
        doc.charts[0].flag = Some(long.clone());
        doc.stage_events[0].reason = Some(long.clone());
        doc.current_markers[0].markers[0].0 = long.clone();
        doc.homework[0].partner = long.clone();
        doc.charts[1].series[0].points.push((
            chrono::NaiveDate::from_ymd_opt(2026, 2, 2).expect("date"),
            f64::INFINITY,
        ));
        let laid_out = layout(&doc).expect("layout");
        assert_within_margins(&laid_out);
        assert_no_orphan_headings(&laid_out);
        let bytes = crate::pdf::write(&laid_out).expect("pdf");
        assert!(pdftotext(&bytes, None).contains("<script>ŁŁŁ"));
    }
}
