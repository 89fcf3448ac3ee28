//! The exercise library pages: the list with its filters, the preview as a client will see an
//! exercise, and the editor for a counselor's own exercises.

use askama::Template;
use askama_web::WebTemplate;
use kintsugi_core::homework::Recipient;
use kintsugi_core::homework::library::Exercise;
use kintsugi_core::homework::prompts::{Prompt, PromptKind};
use kintsugi_core::stages::Stage;

use super::{Chrome, Errors};

/// One choice of a select, with whether it is chosen.
#[derive(Debug, Clone)]
pub struct Opt {
    pub key: &'static str,
    pub label: String,
    pub selected: bool,
}

pub fn stage_label(stage: Stage) -> String {
    format!("{} · {}", stage.number(), stage.name())
}

pub fn stage_options(selected: &str) -> Vec<Opt> {
    Stage::ALL
        .iter()
        .map(|s| Opt {
            key: s.key(),
            label: stage_label(*s),
            selected: s.key() == selected,
        })
        .collect()
}

pub fn recipient_options(selected: &str) -> Vec<Opt> {
    Recipient::ALL
        .iter()
        .map(|r| Opt {
            key: r.key(),
            label: r.label().to_owned(),
            selected: r.key() == selected,
        })
        .collect()
}

/// The kinds of prompt, in the order the editor offers them.
pub const KINDS: [(&str, &str); 5] = [
    ("long_text", "Long answer"),
    ("short_text", "Short answer"),
    ("scale", "Scale from 0 to 10"),
    ("single_choice", "One choice"),
    ("checklist", "Checklist (several choices)"),
];

pub fn kind_label(key: &str) -> &'static str {
    KINDS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, l)| *l)
        .unwrap_or("Answer")
}

#[derive(Debug, Clone)]
pub struct ExerciseRow {
    pub id: String,
    pub title: String,
    pub stage_number: u8,
    pub stage_name: &'static str,
    pub recipient_label: &'static str,
    pub builtin: bool,
    pub prompt_count: usize,
}

impl ExerciseRow {
    pub fn from_exercise(e: &Exercise) -> Self {
        ExerciseRow {
            id: e.model.id.to_string(),
            title: e.model.title.clone(),
            stage_number: e.model.stage.number(),
            stage_name: e.model.stage.name(),
            recipient_label: e.model.recipient.label(),
            builtin: e.is_builtin(),
            prompt_count: e.prompts.len(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "library/index.html")]
pub struct LibraryPage {
    pub chrome: Chrome,
    pub stages: Vec<Opt>,
    pub recipients: Vec<Opt>,
    pub rows: Vec<ExerciseRow>,
    pub filtered: bool,
}

/// A prompt as the client's form will show it (disabled in the preview).
#[derive(Debug, Clone)]
pub struct PromptView {
    pub number: usize,
    pub key: String,
    pub label: String,
    /// `long_text`, `short_text`, `scale`, `single_choice`, `checklist`.
    pub kind: &'static str,
    pub kind_label: &'static str,
    pub required: bool,
    pub options: Vec<String>,
    pub low: String,
    pub high: String,
}

impl PromptView {
    pub fn from_prompt(number: usize, p: &Prompt) -> Self {
        let (options, low, high) = match &p.kind {
            PromptKind::SingleChoice { options } | PromptKind::Checklist { options } => {
                (options.clone(), String::new(), String::new())
            }
            PromptKind::Scale {
                low_label,
                high_label,
            } => (Vec::new(), low_label.clone(), high_label.clone()),
            PromptKind::LongText | PromptKind::ShortText => {
                (Vec::new(), String::new(), String::new())
            }
        };
        PromptView {
            number,
            key: p.key.clone(),
            label: p.label.clone(),
            kind: p.kind.key(),
            kind_label: kind_label(p.kind.key()),
            required: p.required,
            options,
            low,
            high,
        }
    }

    /// The points of a 0-10 scale.
    pub fn scale_points(&self) -> std::ops::RangeInclusive<u8> {
        0..=10
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "library/preview.html")]
pub struct PreviewPage {
    pub chrome: Chrome,
    pub id: String,
    pub title: String,
    pub stage_label: String,
    pub recipient_label: &'static str,
    pub builtin: bool,
    pub instructions: String,
    pub prompts: Vec<PromptView>,
    pub notice: Option<String>,
}

/// One prompt row of the editor, as typed.
#[derive(Debug, Clone, Default)]
pub struct PromptRowValues {
    pub index: usize,
    pub kind: String,
    pub label: String,
    pub key: String,
    pub options: String,
    pub low: String,
    pub high: String,
    pub required: bool,
}

impl PromptRowValues {
    pub fn is_empty(&self) -> bool {
        [&self.label, &self.key, &self.options, &self.low, &self.high]
            .iter()
            .all(|v| v.trim().is_empty())
    }

    pub fn from_prompt(index: usize, p: &Prompt) -> Self {
        let view = PromptView::from_prompt(index + 1, p);
        PromptRowValues {
            index,
            kind: view.kind.to_owned(),
            label: p.label.clone(),
            key: p.key.clone(),
            options: view.options.join("\n"),
            low: view.low,
            high: view.high,
            required: p.required,
        }
    }

    pub fn kinds(&self) -> Vec<Opt> {
        KINDS
            .iter()
            .map(|(k, l)| Opt {
                key: k,
                label: (*l).to_owned(),
                selected: *k == self.kind,
            })
            .collect()
    }

    pub fn number(&self) -> usize {
        self.index + 1
    }

    /// The field's error, e.g. `error("label")`.
    pub fn field(&self, name: &str) -> String {
        format!("p{}.{name}", self.index)
    }
}

/// The editor as typed: every field a string, so what was typed is shown again as typed.
#[derive(Debug, Clone, Default)]
pub struct ExerciseFormValues {
    pub title: String,
    pub stage: String,
    pub recipient: String,
    pub instructions: String,
    pub version: String,
    pub rows: Vec<PromptRowValues>,
}

#[derive(Template, WebTemplate)]
#[template(path = "library/form.html")]
pub struct ExerciseFormPage {
    pub chrome: Chrome,
    pub heading: String,
    pub action: String,
    pub submit_label: &'static str,
    pub cancel_url: String,
    pub values: ExerciseFormValues,
    pub stages: Vec<Opt>,
    pub recipients: Vec<Opt>,
    pub errors: Errors,
    pub conflict: Option<String>,
    /// On a conflict: where the latest version can be opened.
    pub reload_url: Option<String>,
    pub notice: Option<String>,
}
