//! Exercise prompts and the answers clients give them: the kinds of prompt, and the pure rules
//! that turn what a client typed into a valid answer (or say, per prompt, what is wrong).

use serde::{Deserialize, Serialize};

/// Longest answer to one text prompt, in characters.
pub const MAX_TEXT: usize = 20_000;
/// Longest short answer.
pub const MAX_SHORT_TEXT: usize = 500;

/// What kind of answer a prompt asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PromptKind {
    LongText,
    ShortText,
    /// A whole number from 0 to 10; the labels name the two ends.
    Scale {
        low_label: String,
        high_label: String,
    },
    SingleChoice {
        options: Vec<String>,
    },
    Checklist {
        options: Vec<String>,
    },
}

impl PromptKind {
    pub fn key(&self) -> &'static str {
        match self {
            PromptKind::LongText => "long_text",
            PromptKind::ShortText => "short_text",
            PromptKind::Scale { .. } => "scale",
            PromptKind::SingleChoice { .. } => "single_choice",
            PromptKind::Checklist { .. } => "checklist",
        }
    }

    pub fn is_scale(&self) -> bool {
        matches!(self, PromptKind::Scale { .. })
    }
}

/// One prompt of an exercise, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    /// A short, stable name for charts ("trust", "anger"); unique within the exercise.
    pub key: String,
    pub label: String,
    #[serde(flatten)]
    pub kind: PromptKind,
    /// Whether a submission needs an answer here (drafts never do).
    #[serde(default)]
    pub required: bool,
}

/// One answer, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    Number(u8),
    Text(String),
    Choices(Vec<String>),
}

/// What a client sent for one prompt, before checking: form fields are text; checklists can
/// send several values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawAnswer {
    pub values: Vec<String>,
}

impl RawAnswer {
    pub fn text(value: impl Into<String>) -> Self {
        Self {
            values: vec![value.into()],
        }
    }

    fn first(&self) -> &str {
        self.values.first().map(String::as_str).unwrap_or("")
    }
}

/// Check one raw answer against its prompt. `Ok(None)` means left empty.
pub fn parse_answer(prompt: &Prompt, raw: &RawAnswer) -> Result<Option<Answer>, String> {
    match &prompt.kind {
        PromptKind::LongText | PromptKind::ShortText => {
            let max = if prompt.kind == PromptKind::ShortText {
                MAX_SHORT_TEXT
            } else {
                MAX_TEXT
            };
            let text = raw.first().trim();
            if text.is_empty() {
                return Ok(None);
            }
            let n = text.chars().count();
            if n > max {
                return Err(format!(
                    "is {n} characters long; the most this answer can hold is {max}"
                ));
            }
            if text
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
            {
                return Err("contains characters that cannot be saved".into());
            }
            Ok(Some(Answer::Text(text.to_owned())))
        }
        PromptKind::Scale { .. } => {
            let text = raw.first().trim();
            if text.is_empty() {
                return Ok(None);
            }
            match text.parse::<i64>() {
                Ok(n) if (0..=10).contains(&n) => {
                    Ok(Some(Answer::Number(u8::try_from(n).unwrap_or(0))))
                }
                Ok(_) => Err("must be a whole number from 0 to 10".into()),
                Err(_) => Err("must be a number from 0 to 10".into()),
            }
        }
        PromptKind::SingleChoice { options } => {
            let text = raw.first().trim();
            if text.is_empty() {
                return Ok(None);
            }
            if options.iter().any(|o| o == text) {
                Ok(Some(Answer::Text(text.to_owned())))
            } else {
                Err("must be one of the choices offered".into())
            }
        }
        PromptKind::Checklist { options } => {
            let mut chosen: Vec<String> = Vec::new();
            for v in raw
                .values
                .iter()
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
            {
                if !options.iter().any(|o| o == v) {
                    return Err("must be chosen from the items listed".into());
                }
                if !chosen.iter().any(|c| c == v) {
                    chosen.push(v.to_owned());
                }
            }
            if chosen.is_empty() {
                return Ok(None);
            }
            // Keep the exercise's order, whatever order the browser sent.
            chosen.sort_by_key(|c| options.iter().position(|o| o == c));
            Ok(Some(Answer::Choices(chosen)))
        }
    }
}

/// The outcome of checking a whole set of answers: what could be kept, and what was wrong.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckedAnswers {
    /// Valid answers by prompt key (empty ones left out).
    pub answers: Vec<(String, Answer)>,
    /// Problems by prompt key, in prompt order.
    pub problems: Vec<(String, String)>,
}

/// Check every prompt's answer. With `submitting`, required prompts must be answered.
pub fn check_answers(
    prompts: &[Prompt],
    raw: &[(String, RawAnswer)],
    submitting: bool,
) -> CheckedAnswers {
    let mut out = CheckedAnswers::default();
    for prompt in prompts {
        let given = raw
            .iter()
            .find(|(k, _)| *k == prompt.key)
            .map(|(_, r)| r.clone())
            .unwrap_or_default();
        match parse_answer(prompt, &given) {
            Ok(Some(answer)) => out.answers.push((prompt.key.clone(), answer)),
            Ok(None) if submitting && prompt.required => out.problems.push((
                prompt.key.clone(),
                "needs an answer before you submit".into(),
            )),
            Ok(None) => {}
            Err(problem) => out.problems.push((prompt.key.clone(), problem)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prompt(kind: PromptKind) -> Prompt {
        Prompt {
            key: "p".into(),
            label: "Prompt".into(),
            kind,
            required: true,
        }
    }

    fn scale() -> Prompt {
        prompt(PromptKind::Scale {
            low_label: "none".into(),
            high_label: "a great deal".into(),
        })
    }

    #[test]
    fn scales_take_whole_numbers_from_0_to_10() {
        assert_eq!(
            parse_answer(&scale(), &RawAnswer::text("7")),
            Ok(Some(Answer::Number(7)))
        );
        assert_eq!(
            parse_answer(&scale(), &RawAnswer::text(" 0 ")),
            Ok(Some(Answer::Number(0)))
        );
        assert_eq!(parse_answer(&scale(), &RawAnswer::text("")), Ok(None));
        for bad in ["11", "-1", "99999999999999999999", "seven", "7.5", "<b>"] {
            assert!(
                parse_answer(&scale(), &RawAnswer::text(bad)).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn choices_must_be_offered() {
        let single = prompt(PromptKind::SingleChoice {
            options: vec!["Yes".into(), "No".into()],
        });
        assert_eq!(
            parse_answer(&single, &RawAnswer::text("No")),
            Ok(Some(Answer::Text("No".into())))
        );
        assert!(parse_answer(&single, &RawAnswer::text("Maybe")).is_err());
        let list = prompt(PromptKind::Checklist {
            options: vec!["A".into(), "B".into(), "C".into()],
        });
        let raw = RawAnswer {
            values: vec!["C".into(), "A".into(), "C".into()],
        };
        assert_eq!(
            parse_answer(&list, &raw),
            Ok(Some(Answer::Choices(vec!["A".into(), "C".into()])))
        );
        assert!(
            parse_answer(
                &list,
                &RawAnswer {
                    values: vec!["A".into(), "Z".into()]
                }
            )
            .is_err()
        );
    }

    #[test]
    fn text_is_bounded_but_kept_as_written() {
        let long = prompt(PromptKind::LongText);
        let hostile = "<script>alert('x')</script>";
        assert_eq!(
            parse_answer(&long, &RawAnswer::text(hostile)),
            Ok(Some(Answer::Text(hostile.into())))
        );
        assert!(parse_answer(&long, &RawAnswer::text("x".repeat(MAX_TEXT + 1))).is_err());
        assert!(
            parse_answer(
                &prompt(PromptKind::ShortText),
                &RawAnswer::text("x".repeat(MAX_SHORT_TEXT + 1))
            )
            .is_err()
        );
        assert!(parse_answer(&long, &RawAnswer::text("a\u{0}b")).is_err());
    }

    #[test]
    fn submitting_needs_required_answers_but_drafts_do_not() {
        let prompts = vec![
            scale(),
            Prompt {
                key: "q".into(),
                label: "Q".into(),
                kind: PromptKind::LongText,
                required: false,
            },
        ];
        let raw = vec![("q".to_owned(), RawAnswer::text("a thought"))];
        assert!(check_answers(&prompts, &raw, false).problems.is_empty());
        let checked = check_answers(&prompts, &raw, true);
        assert_eq!(
            checked.problems,
            vec![(
                "p".to_owned(),
                "needs an answer before you submit".to_owned()
            )]
        );
        assert_eq!(checked.answers.len(), 1, "the valid answer is kept");
    }

    #[test]
    fn prompts_serialise_with_their_kind() {
        let p = scale();
        let json = serde_json::to_value(&p).expect("json");
        assert_eq!(json["kind"], "scale");
        let back: Prompt = serde_json::from_value(json).expect("back");
        assert_eq!(back, p);
    }
}
