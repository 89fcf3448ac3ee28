//! A client's homework answers (`/h/{secret}` form posts): any set of prompts, any raw values,
//! through `check_answers`; and the stored answers through `responses::decode`.
#![no_main]

use arbitrary::Arbitrary;
use kintsugi_core::homework::prompts::{Answer, Prompt, PromptKind, RawAnswer, check_answers};
use kintsugi_core::homework::responses::decode;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
enum Kind {
    LongText,
    ShortText,
    Scale,
    SingleChoice(Vec<String>),
    Checklist(Vec<String>),
}

#[derive(Debug, Arbitrary)]
struct Input {
    prompts: Vec<(String, Kind, bool)>,
    raw: Vec<(String, Vec<String>)>,
    submitting: bool,
    stored: String,
}

fuzz_target!(|input: Input| {
    // An exercise's prompt keys are unique (the library checks it when the exercise is saved).
    let mut keys = std::collections::HashSet::new();
    let prompts: Vec<Prompt> = input
        .prompts
        .into_iter()
        .filter(|(key, _, _)| keys.insert(key.clone()))
        .map(|(key, kind, required)| Prompt {
            key,
            label: "Label".into(),
            kind: match kind {
                Kind::LongText => PromptKind::LongText,
                Kind::ShortText => PromptKind::ShortText,
                Kind::Scale => PromptKind::Scale {
                    low_label: "low".into(),
                    high_label: "high".into(),
                },
                Kind::SingleChoice(options) => PromptKind::SingleChoice { options },
                Kind::Checklist(options) => PromptKind::Checklist { options },
            },
            required,
        })
        .collect();
    let raw: Vec<(String, RawAnswer)> = input
        .raw
        .into_iter()
        .map(|(k, values)| (k, RawAnswer { values }))
        .collect();
    let checked = check_answers(&prompts, &raw, input.submitting);
    for (key, answer) in &checked.answers {
        let prompt = prompts
            .iter()
            .find(|p| &p.key == key)
            .expect("answer of a prompt");
        match (&prompt.kind, answer) {
            (PromptKind::Scale { .. }, Answer::Number(n)) => assert!(*n <= 10),
            (PromptKind::SingleChoice { options }, Answer::Text(t)) => assert!(options.contains(t)),
            (PromptKind::Checklist { options }, Answer::Choices(c)) => {
                assert!(!c.is_empty() && c.iter().all(|v| options.contains(v)))
            }
            (PromptKind::LongText | PromptKind::ShortText, Answer::Text(t)) => {
                assert!(!t.trim().is_empty())
            }
            (kind, answer) => panic!("{answer:?} accepted for a {} prompt", kind.key()),
        }
    }
    // What is stored can be read back.
    let stored = serde_json::to_string(
        &checked
            .answers
            .iter()
            .cloned()
            .collect::<std::collections::BTreeMap<_, _>>(),
    )
    .expect("answers serialise");
    assert_eq!(decode(Some(&stored)).len(), {
        let mut keys: Vec<&String> = checked.answers.iter().map(|(k, _)| k).collect();
        keys.sort();
        keys.dedup();
        keys.len()
    });
    let _ = decode(Some(&input.stored));
});
