//! The built-in exercise library: at least two exercises for each recovery stage, plus the two
//! recurring check-ins whose 0-10 ratings feed the charts.
//!
//! Every text here is the project's own wording and is read by clients on their phones: plain,
//! warm, non-blaming, addressed to "you" and "your partner". A changed text ships under a new
//! key, because installed copies are matched by key.

use super::Recipient;
use super::prompts::{Prompt, PromptKind};
use crate::stages::Stage;

/// A built-in exercise as shipped. Installed once by key; never edited in place.
#[derive(Debug, Clone)]
pub struct BuiltinExercise {
    /// Stable identity, e.g. "accountability_letter"; a changed text ships under a new key.
    pub key: &'static str,
    pub title: &'static str,
    pub stage: Stage,
    pub recipient: Recipient,
    /// Short instructions for the client, shown above the prompts.
    pub instructions: &'static str,
    pub prompts: Vec<Prompt>,
}

/// Key of the hurt partner's recurring feelings check-in (charts read its prompt keys).
pub const FEELINGS_CHECKIN: &str = "feelings_checkin";
/// Key of both partners' recurring connection check-in (charts read its prompt keys).
pub const CONNECTION_CHECKIN: &str = "connection_checkin";
/// The 0-10 prompts of the feelings check-in, in order.
pub const FEELINGS_SCALES: [&str; 4] = ["hurt", "betrayal", "sadness", "anger"];
/// The 0-10 prompts of the connection check-in, in order.
pub const CONNECTION_SCALES: [&str; 4] = ["trust", "closeness", "communication", "cared_for"];

const REQUIRED: bool = true;
const OPTIONAL: bool = false;

fn prompt(key: &str, label: &str, kind: PromptKind, required: bool) -> Prompt {
    Prompt {
        key: key.to_owned(),
        label: label.to_owned(),
        kind,
        required,
    }
}

fn long(key: &str, label: &str, required: bool) -> Prompt {
    prompt(key, label, PromptKind::LongText, required)
}

fn short(key: &str, label: &str, required: bool) -> Prompt {
    prompt(key, label, PromptKind::ShortText, required)
}

/// A 0-10 rating; `low` and `high` name the two ends.
fn scale(key: &str, label: &str, low: &str, high: &str, required: bool) -> Prompt {
    let kind = PromptKind::Scale {
        low_label: low.to_owned(),
        high_label: high.to_owned(),
    };
    prompt(key, label, kind, required)
}

fn choice(key: &str, label: &str, options: &[&str], required: bool) -> Prompt {
    let kind = PromptKind::SingleChoice {
        options: owned(options),
    };
    prompt(key, label, kind, required)
}

fn checklist(key: &str, label: &str, options: &[&str], required: bool) -> Prompt {
    let kind = PromptKind::Checklist {
        options: owned(options),
    };
    prompt(key, label, kind, required)
}

fn owned(options: &[&str]) -> Vec<String> {
    options.iter().map(|o| (*o).to_owned()).collect()
}

/// The built-in library, in stage order.
pub fn builtins() -> Vec<BuiltinExercise> {
    vec![
        // Stage 1: admission and remorse.
        BuiltinExercise {
            key: "accountability_letter",
            title: "A letter of accountability",
            stage: Stage::Admission,
            recipient: Recipient::Involved,
            instructions: "Write a letter to your partner that owns the affair completely, in plain words. \
                Give yourself about 30 minutes, and it is fine to come back to it over several days. \
                Your counselor reads it, and you choose whether your partner sees it.",
            prompts: vec![
                long(
                    "letter",
                    "Your letter. Say what you did, that it was wrong, and what you understand about the pain it has caused your partner.",
                    REQUIRED,
                ),
                checklist(
                    "self_check",
                    "Read your letter again. Tick anything you notice, so you can rewrite those lines.",
                    &[
                        "A \"but\" after saying sorry",
                        "Words that make it sound smaller",
                        "Reasons that point at my partner",
                        "Asking to be forgiven soon",
                        "None of these",
                    ],
                    OPTIONAL,
                ),
                long(
                    "hard_to_say",
                    "Is there anything you are still finding hard to put into words? Your counselor can help with it.",
                    OPTIONAL,
                ),
                choice(
                    "readiness",
                    "How ready does this letter feel?",
                    &["A first draft", "Nearly there", "Ready to share"],
                    REQUIRED,
                ),
            ],
        },
        BuiltinExercise {
            key: "naming_the_promise",
            title: "Naming the promise that was broken",
            stage: Stage::Admission,
            recipient: Recipient::Involved,
            instructions: "This exercise asks you to name the commitment the affair broke, whether it was a vow or an agreement the two of you had made. \
                Putting it into words shows your partner you understand what was at stake. \
                Spend 15 to 20 minutes; your counselor reads it, and you choose whether your partner sees it.",
            prompts: vec![
                short(
                    "promise",
                    "In one sentence, what promise or agreement did the affair break?",
                    REQUIRED,
                ),
                long(
                    "what_it_meant",
                    "What did that promise mean to your partner? What did it mean to you?",
                    REQUIRED,
                ),
                long(
                    "how_it_was_broken",
                    "Describe the choices you made that broke it, plainly and without reasons attached.",
                    REQUIRED,
                ),
                long(
                    "keeping_it_now",
                    "What are you doing now to keep your word?",
                    OPTIONAL,
                ),
            ],
        },
        BuiltinExercise {
            key: "questions_log",
            title: "Your partner's questions",
            stage: Stage::Admission,
            recipient: Recipient::Involved,
            instructions: "Your partner may have many questions, and may need to ask some of them more than once. \
                Soon after each one comes up, take a few minutes to note the question and how you answered it. \
                Your counselor reads this log, and you choose whether your partner sees it.",
            prompts: vec![
                short(
                    "question",
                    "What did your partner ask? Use their words as closely as you can.",
                    REQUIRED,
                ),
                choice(
                    "asked_before",
                    "Has your partner asked this before?",
                    &["First time", "Asked before", "Not sure"],
                    OPTIONAL,
                ),
                long("answer", "How did you answer?", REQUIRED),
                choice(
                    "answered_fully",
                    "Did you give a full and honest answer?",
                    &["Yes", "Partly", "Not yet"],
                    REQUIRED,
                ),
                long(
                    "still_to_say",
                    "If you held something back, what was it, and what would help you say it?",
                    OPTIONAL,
                ),
            ],
        },
        // Stage 2: validating the pain.
        BuiltinExercise {
            key: "feelings_journal",
            title: "Feelings journal",
            stage: Stage::Validation,
            recipient: Recipient::Hurt,
            instructions: "This journal is a place to put your feelings into words, whatever they are today. \
                There are no right answers, and about 10 minutes is plenty. \
                Your counselor reads it, and you choose whether your partner sees it.",
            prompts: vec![
                checklist(
                    "feelings",
                    "Which of these have you felt today?",
                    &[
                        "Hurt", "Betrayed", "Sad", "Angry", "Afraid", "Ashamed", "Numb",
                        "Confused", "Lonely", "Hopeful", "Calm",
                    ],
                    REQUIRED,
                ),
                scale(
                    "intensity",
                    "How strong have your feelings been today?",
                    "Very mild",
                    "Overwhelming",
                    OPTIONAL,
                ),
                long(
                    "entry",
                    "Write about what you are feeling and what seems to be behind it.",
                    REQUIRED,
                ),
                long(
                    "for_your_partner",
                    "Is there something you would like your partner to understand, or to do?",
                    OPTIONAL,
                ),
            ],
        },
        BuiltinExercise {
            key: "reflective_listening",
            title: "Listening and reflecting back",
            stage: Stage::Validation,
            recipient: Recipient::Involved,
            instructions: "After your partner tells you how they feel, write down what you heard in your own words, then check it with them. \
                The aim is to understand, not to explain or correct. \
                Spend about 15 minutes after each conversation; your counselor reads it, and you choose whether your partner sees it.",
            prompts: vec![
                long(
                    "what_you_heard",
                    "What did your partner tell you? Sum it up the way they would.",
                    REQUIRED,
                ),
                checklist(
                    "feelings_heard",
                    "Which feelings did you hear?",
                    &[
                        "Hurt",
                        "Betrayal",
                        "Sadness",
                        "Anger",
                        "Fear",
                        "Something else",
                    ],
                    REQUIRED,
                ),
                long(
                    "your_response",
                    "What did you say to show you understood? Did you say sorry for the pain you caused?",
                    REQUIRED,
                ),
                scale(
                    "pull_to_defend",
                    "How strong was the pull to defend or explain yourself?",
                    "None at all",
                    "Very strong",
                    OPTIONAL,
                ),
                choice(
                    "felt_heard",
                    "When you checked your summary, did your partner feel heard?",
                    &["Yes", "Partly", "Not yet", "We have not checked yet"],
                    REQUIRED,
                ),
            ],
        },
        BuiltinExercise {
            key: "trigger_log",
            title: "Trigger log",
            stage: Stage::Validation,
            recipient: Recipient::Hurt,
            instructions: "Some moments bring the pain back suddenly: a place, a song, a phone lighting up. \
                Note them here soon afterwards, in just a few minutes, so you and your counselor can see patterns and what helps. \
                Your counselor reads it, and you choose whether your partner sees it.",
            prompts: vec![
                short("trigger", "What set off the pain?", REQUIRED),
                scale(
                    "intensity",
                    "How intense was it?",
                    "Barely there",
                    "As strong as it gets",
                    REQUIRED,
                ),
                long(
                    "what_happened",
                    "What went through your mind, and what did you do next?",
                    OPTIONAL,
                ),
                checklist(
                    "what_helped",
                    "What helped, if anything?",
                    &[
                        "Talking with my partner",
                        "Talking with someone else",
                        "Time alone",
                        "Moving my body",
                        "Slow breathing",
                        "Writing it down",
                        "Nothing yet",
                    ],
                    OPTIONAL,
                ),
                short("helped_other", "Anything else that helped?", OPTIONAL),
            ],
        },
        // Stage 3: openness to healing.
        BuiltinExercise {
            key: FEELINGS_CHECKIN,
            title: "Feelings check-in",
            stage: Stage::Openness,
            recipient: Recipient::Hurt,
            instructions: "A short, regular check-in so you and your counselor can see how your feelings change over time. \
                Rate each one as it has been over the last few days; it takes about two minutes. \
                There are no right or wrong numbers, and your counselor reads every check-in.",
            prompts: vec![
                scale(
                    "hurt",
                    "How much hurt are you carrying?",
                    "None",
                    "As much as I can bear",
                    REQUIRED,
                ),
                scale(
                    "betrayal",
                    "How betrayed do you feel?",
                    "Not at all",
                    "Completely",
                    REQUIRED,
                ),
                scale(
                    "sadness",
                    "How sad do you feel?",
                    "Not at all",
                    "Deeply sad",
                    REQUIRED,
                ),
                scale(
                    "anger",
                    "How angry do you feel?",
                    "Not at all",
                    "Very angry",
                    REQUIRED,
                ),
                long(
                    "notes",
                    "Anything you would like your counselor to know?",
                    OPTIONAL,
                ),
            ],
        },
        BuiltinExercise {
            key: "caring_letter",
            title: "What caring would look like",
            stage: Stage::Openness,
            recipient: Recipient::Hurt,
            instructions: "Write to your partner about what would help you feel cared for right now. \
                Be as concrete as you can; small, everyday things count. \
                Spend about 20 minutes; your counselor reads it, and you choose whether your partner sees it.",
            prompts: vec![
                long(
                    "letter",
                    "Your letter. What would caring look like to you, day to day?",
                    REQUIRED,
                ),
                checklist(
                    "means_most",
                    "Which of these would mean the most right now?",
                    &[
                        "Being asked how I am",
                        "Being listened to",
                        "Honest, plain answers",
                        "Knowing where you are",
                        "Affection",
                        "Time together",
                        "Space when I ask for it",
                    ],
                    OPTIONAL,
                ),
                short(
                    "one_thing",
                    "If your partner could do one thing this week, what would it be?",
                    OPTIONAL,
                ),
            ],
        },
        BuiltinExercise {
            key: "letting_go_of_getting_even",
            title: "Letting go of getting even",
            stage: Stage::Openness,
            recipient: Recipient::Hurt,
            instructions: "Wanting your partner to hurt the way you have is a very human reaction. \
                This reflection helps you notice that wish, and what you need beneath it, without judging yourself. \
                Spend about 15 minutes; your counselor reads it, and you choose whether your partner sees it.",
            prompts: vec![
                scale(
                    "wish_now",
                    "How strong is the wish to get even right now?",
                    "Not there",
                    "Very strong",
                    REQUIRED,
                ),
                long(
                    "how_it_shows",
                    "When the wish comes up, how does it show in your thoughts, words or actions?",
                    OPTIONAL,
                ),
                long(
                    "beneath_it",
                    "What do you need beneath it? For example, to be believed, to feel safe, or to see that your partner truly understands.",
                    REQUIRED,
                ),
                choice(
                    "compared",
                    "Compared with a month ago, this wish is:",
                    &["Stronger", "About the same", "Softer", "Hard to say"],
                    OPTIONAL,
                ),
            ],
        },
        BuiltinExercise {
            key: "transparency_checkin",
            title: "Transparency check-in",
            stage: Stage::Openness,
            recipient: Recipient::Involved,
            instructions: "Being open about your days helps your partner feel safer again. \
                Use this check-in to note what you shared and what you still need to share; about 10 minutes is enough. \
                Your counselor reads it, and you choose whether your partner sees it.",
            prompts: vec![
                checklist(
                    "shared",
                    "What did you share openly since your last check-in?",
                    &[
                        "Where I was",
                        "Who I spent time with",
                        "Messages and calls",
                        "Plans and schedule",
                        "How I am feeling",
                    ],
                    REQUIRED,
                ),
                choice(
                    "contact",
                    "Has there been any contact with the other person since your last check-in?",
                    &[
                        "No",
                        "Yes, and my partner knows",
                        "Yes, and my partner does not know yet",
                    ],
                    REQUIRED,
                ),
                scale(
                    "unprompted",
                    "How much did you share before being asked?",
                    "Only when asked",
                    "All of it, unasked",
                    OPTIONAL,
                ),
                long(
                    "still_to_share",
                    "Is there anything you still need to tell your partner? What would help you do it?",
                    OPTIONAL,
                ),
            ],
        },
        // Stage 4: understanding the relationship before the affair.
        BuiltinExercise {
            key: "before_inventory",
            title: "Our relationship before the affair",
            stage: Stage::BeforeTheAffair,
            recipient: Recipient::Both,
            instructions: "Each of you fills this in on your own, looking back at your relationship in the year or two before the affair. \
                It is about understanding what was happening between you, not about finding a reason for the affair. \
                Spend about 30 minutes; your counselor reads it, and you choose whether your partner sees it.",
            prompts: vec![
                long(
                    "strengths",
                    "What was good between you then? What did you enjoy together?",
                    REQUIRED,
                ),
                long(
                    "difficulties",
                    "What was hard, or missing, in that time?",
                    REQUIRED,
                ),
                checklist(
                    "strained_areas",
                    "Which areas were under strain?",
                    &[
                        "Time together",
                        "Talking and listening",
                        "Affection and sex",
                        "Money",
                        "Work",
                        "Parenting",
                        "Wider family",
                        "Health",
                        "Something else",
                    ],
                    OPTIONAL,
                ),
                scale(
                    "connected_then",
                    "Overall, how connected did you feel in that time?",
                    "Very distant",
                    "Very close",
                    REQUIRED,
                ),
                long(
                    "unspoken",
                    "Was there anything you wished for then but did not say?",
                    OPTIONAL,
                ),
            ],
        },
        BuiltinExercise {
            key: "my_own_part",
            title: "My own part",
            stage: Stage::BeforeTheAffair,
            recipient: Recipient::Both,
            instructions: "This reflection asks each of you to look honestly at what you brought to the difficulties you had before the affair. \
                Naming your part helps explain the past; it does not make anyone responsible for the affair, which remains the choice of the partner who made it. \
                Spend about 20 minutes; your counselor reads it, and you choose whether your partner sees it.",
            prompts: vec![
                short(
                    "difficulty",
                    "Which earlier difficulty are you reflecting on?",
                    REQUIRED,
                ),
                long(
                    "my_part",
                    "What did you do, or leave undone, that added to it?",
                    REQUIRED,
                ),
                long(
                    "looking_back",
                    "Looking back, what do you wish you had done differently?",
                    OPTIONAL,
                ),
                long(
                    "from_now_on",
                    "What would you like to do differently from now on?",
                    OPTIONAL,
                ),
                choice(
                    "how_hard",
                    "How hard was this to write?",
                    &["Fairly easy", "Somewhat hard", "Very hard"],
                    OPTIONAL,
                ),
            ],
        },
        // Stage 5: current and ongoing struggles.
        BuiltinExercise {
            key: "struggles_list",
            title: "What is hard right now",
            stage: Stage::CurrentStruggles,
            recipient: Recipient::Both,
            instructions: "Each of you makes your own list of what feels hardest in your relationship now, big or small. \
                Your counselor will help you bring your two lists together in a session. \
                Spend about 20 minutes; your counselor reads it, and you choose whether your partner sees it.",
            prompts: vec![
                checklist(
                    "areas",
                    "Which areas feel hard at the moment?",
                    &[
                        "Trust",
                        "Talking about the affair",
                        "Everyday communication",
                        "Affection and sex",
                        "Time together",
                        "Money",
                        "Parenting",
                        "Wider family",
                        "Work and stress",
                        "Something else",
                    ],
                    REQUIRED,
                ),
                long(
                    "struggles",
                    "List the struggles you would most like to work on, one per line, most important first.",
                    REQUIRED,
                ),
                short(
                    "start_with",
                    "If you could pick one to start with, which would it be?",
                    REQUIRED,
                ),
                scale(
                    "weight",
                    "How heavy do these feel overall?",
                    "Light",
                    "Very heavy",
                    OPTIONAL,
                ),
            ],
        },
        BuiltinExercise {
            key: "struggle_plan",
            title: "A plan for one struggle",
            stage: Stage::CurrentStruggles,
            recipient: Recipient::Both,
            instructions: "Use this for one item from your list at a time, ideally after talking it through together. \
                Keep the plan small and concrete, and allow about 20 minutes. \
                Your counselor reads it, and you choose whether your partner sees it.",
            prompts: vec![
                short("struggle", "Which struggle is this plan for?", REQUIRED),
                long(
                    "better_looks_like",
                    "What would \"better\" look like here, in a way you could both notice?",
                    REQUIRED,
                ),
                long("steps", "What will each of you do, and when?", REQUIRED),
                choice(
                    "where",
                    "Where would you like to work on it?",
                    &[
                        "At home, the two of us",
                        "In sessions with our counselor",
                        "Both",
                    ],
                    REQUIRED,
                ),
                choice(
                    "review_in",
                    "When will you look at how it is going?",
                    &["In a week", "In two weeks", "In a month"],
                    OPTIONAL,
                ),
                scale(
                    "confidence",
                    "How confident do you feel about this plan?",
                    "Not at all",
                    "Very confident",
                    OPTIONAL,
                ),
            ],
        },
        // Stage 6: shared responsibility and reconnection.
        BuiltinExercise {
            key: "daily_appreciation",
            title: "Daily appreciation and check-in",
            stage: Stage::SharedResponsibility,
            recipient: Recipient::Both,
            instructions: "Take five minutes each day to notice something you valued in your partner and to catch up on each other's day. \
                Small things count as much as big ones. \
                Your counselor reads it, and you choose whether your partner sees it.",
            prompts: vec![
                short(
                    "appreciation",
                    "One thing your partner did or said today that you appreciated:",
                    REQUIRED,
                ),
                choice(
                    "told_them",
                    "Did you tell them?",
                    &["Yes", "Not yet"],
                    REQUIRED,
                ),
                long(
                    "my_day",
                    "How was your day, and what would you like your partner to know about it?",
                    OPTIONAL,
                ),
                short(
                    "their_day",
                    "What did you learn about your partner's day?",
                    OPTIONAL,
                ),
            ],
        },
        BuiltinExercise {
            key: "weekly_conversation",
            title: "Weekly conversation",
            stage: Stage::SharedResponsibility,
            recipient: Recipient::Both,
            instructions: "Once a week, set aside about 30 minutes to talk calmly about how things are between you, taking turns to speak and to listen. \
                Afterwards, each of you fills this in on your own. \
                Your counselor reads it, and you choose whether your partner sees it.",
            prompts: vec![
                choice(
                    "held",
                    "Did your conversation happen this week?",
                    &["Yes", "Partly", "Not this week"],
                    REQUIRED,
                ),
                checklist(
                    "topics",
                    "What did you talk about?",
                    &[
                        "What went well this week",
                        "Something that was hard",
                        "The week ahead",
                        "Time together",
                        "Something about the affair",
                        "Something else",
                    ],
                    OPTIONAL,
                ),
                scale(
                    "felt_heard",
                    "How well did you feel heard?",
                    "Not at all",
                    "Completely",
                    OPTIONAL,
                ),
                scale(
                    "listened",
                    "How well do you think you listened?",
                    "Not at all",
                    "Very well",
                    OPTIONAL,
                ),
                long("went_well", "What went well in the conversation?", OPTIONAL),
                long(
                    "next_time",
                    "What would you like to do differently next time?",
                    OPTIONAL,
                ),
            ],
        },
        BuiltinExercise {
            key: CONNECTION_CHECKIN,
            title: "Connection check-in",
            stage: Stage::SharedResponsibility,
            recipient: Recipient::Both,
            instructions: "A short, regular check-in so you and your counselor can see how your connection changes over time. \
                Rate each one as it has felt over the past week; it takes about two minutes. \
                There are no right or wrong numbers, and your counselor reads every check-in.",
            prompts: vec![
                scale(
                    "trust",
                    "How much do you trust your partner right now?",
                    "Not at all",
                    "Completely",
                    REQUIRED,
                ),
                scale(
                    "closeness",
                    "How close do you feel to your partner?",
                    "Very distant",
                    "Very close",
                    REQUIRED,
                ),
                scale(
                    "communication",
                    "How well are the two of you talking and listening to each other?",
                    "Very poorly",
                    "Very well",
                    REQUIRED,
                ),
                scale(
                    "cared_for",
                    "How cared for do you feel by your partner?",
                    "Not at all",
                    "Very cared for",
                    REQUIRED,
                ),
                long(
                    "notes",
                    "Anything you would like your counselor to know?",
                    OPTIONAL,
                ),
            ],
        },
    ]
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn library() -> Vec<BuiltinExercise> {
        builtins()
    }

    fn exercise(key: &str) -> BuiltinExercise {
        library()
            .into_iter()
            .find(|e| e.key == key)
            .unwrap_or_else(|| panic!("no built-in exercise {key}"))
    }

    fn in_stage(stage: Stage) -> Vec<BuiltinExercise> {
        library().into_iter().filter(|e| e.stage == stage).collect()
    }

    fn prompt_of<'a>(e: &'a BuiltinExercise, key: &str) -> &'a Prompt {
        e.prompts
            .iter()
            .find(|p| p.key == key)
            .unwrap_or_else(|| panic!("{} has no prompt {key}", e.key))
    }

    /// Every piece of text a client can read in one exercise.
    fn texts(e: &BuiltinExercise) -> Vec<String> {
        let mut out = vec![e.title.to_owned(), e.instructions.to_owned()];
        for p in &e.prompts {
            out.push(p.label.clone());
            match &p.kind {
                PromptKind::LongText | PromptKind::ShortText => {}
                PromptKind::Scale {
                    low_label,
                    high_label,
                } => {
                    out.push(low_label.clone());
                    out.push(high_label.clone());
                }
                PromptKind::SingleChoice { options } | PromptKind::Checklist { options } => {
                    out.extend(options.iter().cloned());
                }
            }
        }
        out
    }

    fn is_snake_case(key: &str) -> bool {
        !key.is_empty()
            && key.len() <= 40
            && key.starts_with(|c: char| c.is_ascii_lowercase())
            && !key.ends_with('_')
            && !key.contains("__")
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    }

    fn assert_checkin(key: &str, stage: Stage, recipient: Recipient, scales: [&str; 4]) {
        let e = exercise(key);
        assert_eq!(e.stage, stage, "{key}");
        assert_eq!(e.recipient, recipient, "{key}");
        for k in scales {
            let p = prompt_of(&e, k);
            assert!(p.kind.is_scale(), "{key}.{k} must be a 0-10 scale");
            assert!(
                p.required,
                "{key}.{k} must be required so every check-in has a point on the chart"
            );
        }
        let others: Vec<&Prompt> = e
            .prompts
            .iter()
            .filter(|p| !scales.contains(&p.key.as_str()))
            .collect();
        assert!(
            others
                .iter()
                .all(|p| p.kind == PromptKind::LongText && !p.required),
            "{key}: besides its four scales it has only an optional reflection"
        );
        assert_eq!(others.len(), 1, "{key} has one optional reflection");
        let keys: Vec<&str> = e
            .prompts
            .iter()
            .filter(|p| p.kind.is_scale())
            .map(|p| p.key.as_str())
            .collect();
        assert_eq!(keys, scales, "{key}: scales in chart order");
    }

    // --- The library as a whole ---------------------------------------------------------------

    #[test]
    fn exercise_keys_are_unique_and_snake_case() {
        let mut seen = HashSet::new();
        for e in library() {
            assert!(is_snake_case(e.key), "exercise key {:?}", e.key);
            assert!(seen.insert(e.key), "duplicate exercise key {}", e.key);
        }
    }

    #[test]
    fn prompt_keys_are_unique_and_snake_case_within_each_exercise() {
        for e in library() {
            let mut seen = HashSet::new();
            assert!(!e.prompts.is_empty(), "{} has prompts", e.key);
            for p in &e.prompts {
                assert!(is_snake_case(&p.key), "{}.{:?}", e.key, p.key);
                assert!(
                    seen.insert(p.key.as_str()),
                    "duplicate prompt key {}.{}",
                    e.key,
                    p.key
                );
            }
        }
    }

    #[test]
    fn every_prompt_kind_is_used() {
        let used: HashSet<&'static str> = library()
            .iter()
            .flat_map(|e| e.prompts.iter().map(|p| p.kind.key()))
            .collect();
        for kind in [
            "long_text",
            "short_text",
            "scale",
            "single_choice",
            "checklist",
        ] {
            assert!(used.contains(kind), "no built-in prompt of kind {kind}");
        }
    }

    #[test]
    fn no_text_is_empty_or_padded() {
        for e in library() {
            for t in texts(&e) {
                assert!(!t.trim().is_empty(), "{} has an empty text", e.key);
                assert_eq!(t.trim(), t, "{}: {t:?} has stray spaces", e.key);
                assert!(!t.contains("  "), "{}: {t:?} has a double space", e.key);
            }
        }
    }

    #[test]
    fn every_exercise_has_a_required_prompt() {
        for e in library() {
            assert!(
                e.prompts.iter().any(|p| p.required),
                "{} needs at least one required prompt",
                e.key
            );
        }
    }

    #[test]
    fn choice_prompts_offer_two_or_more_short_distinct_options() {
        for e in library() {
            for p in &e.prompts {
                if let PromptKind::SingleChoice { options } | PromptKind::Checklist { options } =
                    &p.kind
                {
                    assert!(
                        options.len() >= 2,
                        "{}.{} needs two or more options",
                        e.key,
                        p.key
                    );
                    let distinct: HashSet<&String> = options.iter().collect();
                    assert_eq!(
                        distinct.len(),
                        options.len(),
                        "{}.{} repeats an option",
                        e.key,
                        p.key
                    );
                    for o in options {
                        assert!(
                            o.chars().count() <= 40,
                            "{}.{}: option {o:?} is too long for a phone",
                            e.key,
                            p.key
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn no_text_uses_blaming_labels() {
        for e in library() {
            for t in texts(&e) {
                let lower = t.to_lowercase();
                for word in ["offender", "perpetrator", "cheater", "victim", "adulterer"] {
                    assert!(!lower.contains(word), "{}: {t:?} uses {word:?}", e.key);
                }
            }
        }
    }

    #[test]
    fn instructions_are_short_and_say_who_reads_them() {
        for e in library() {
            let sentences = e
                .instructions
                .split_terminator(['.', '?', '!'])
                .filter(|s| !s.trim().is_empty())
                .count();
            assert!(
                (2..=4).contains(&sentences),
                "{}: {sentences} sentences of instructions",
                e.key
            );
            assert!(
                e.instructions.chars().count() <= 420,
                "{}: instructions are long for a phone",
                e.key
            );
            assert!(
                e.instructions.contains("counselor"),
                "{}: instructions say the counselor reads it",
                e.key
            );
        }
    }

    #[test]
    fn scales_have_distinct_end_labels() {
        for e in library() {
            for p in &e.prompts {
                if let PromptKind::Scale {
                    low_label,
                    high_label,
                } = &p.kind
                {
                    assert_ne!(low_label, high_label, "{}.{}", e.key, p.key);
                }
            }
        }
    }

    #[test]
    fn library_is_in_stage_order() {
        let stages: Vec<u8> = library().iter().map(|e| e.stage.number()).collect();
        let mut sorted = stages.clone();
        sorted.sort_unstable();
        assert_eq!(stages, sorted);
    }

    #[test]
    fn prompts_survive_a_json_round_trip() {
        for e in library() {
            let json = serde_json::to_value(&e.prompts).expect("prompts serialise");
            let back: Vec<Prompt> = serde_json::from_value(json).expect("prompts deserialise");
            assert_eq!(back, e.prompts, "{}", e.key);
        }
    }

    #[test]
    fn both_check_ins_exist_with_the_chart_keys() {
        assert_checkin(
            FEELINGS_CHECKIN,
            Stage::Openness,
            Recipient::Hurt,
            FEELINGS_SCALES,
        );
        assert_checkin(
            CONNECTION_CHECKIN,
            Stage::SharedResponsibility,
            Recipient::Both,
            CONNECTION_SCALES,
        );
        assert_eq!(exercise(FEELINGS_CHECKIN).title, "Feelings check-in");
        assert_eq!(exercise(CONNECTION_CHECKIN).title, "Connection check-in");
    }

    #[test]
    fn role_specific_work_exists_for_each_partner() {
        let lib = library();
        assert!(
            lib.iter()
                .filter(|e| e.recipient == Recipient::Involved)
                .count()
                >= 3
        );
        assert!(
            lib.iter()
                .filter(|e| e.recipient == Recipient::Hurt)
                .count()
                >= 3
        );
        assert!(
            lib.iter()
                .filter(|e| e.recipient == Recipient::Both)
                .count()
                >= 6
        );
    }

    // --- Stage 1: admission ---------------------------------------------------------------------

    #[test]
    fn admission_has_the_involved_partners_own_exercises() {
        let stage = in_stage(Stage::Admission);
        assert!(stage.len() >= 2);
        assert!(
            stage.iter().all(|e| e.recipient == Recipient::Involved),
            "stage 1 is the involved partner's step"
        );
        for key in [
            "accountability_letter",
            "naming_the_promise",
            "questions_log",
        ] {
            assert!(stage.iter().any(|e| e.key == key), "{key} in stage 1");
        }
    }

    #[test]
    fn admission_texts_fit_an_open_relationship_agreement() {
        // With an open-relationship agreement the broken commitment is an agreement, not a vow.
        let e = exercise("naming_the_promise");
        assert!(e.instructions.contains("agreement"));
        assert!(prompt_of(&e, "promise").label.contains("agreement"));
        let log = exercise("questions_log");
        assert!(prompt_of(&log, "question").required && prompt_of(&log, "answer").required);
    }

    // --- Stage 2: validation --------------------------------------------------------------------

    #[test]
    fn validation_gives_the_hurt_partner_a_voice_and_the_involved_partner_listening_work() {
        let stage = in_stage(Stage::Validation);
        assert!(stage.len() >= 2);
        assert!(stage.iter().any(|e| e.recipient == Recipient::Hurt));
        assert!(stage.iter().any(|e| e.recipient == Recipient::Involved));
        let listening = exercise("reflective_listening");
        assert_eq!(listening.recipient, Recipient::Involved);
        assert!(prompt_of(&listening, "what_you_heard").required);
    }

    #[test]
    fn trigger_log_records_what_how_intense_and_what_helped() {
        let e = exercise("trigger_log");
        assert_eq!((e.stage, e.recipient), (Stage::Validation, Recipient::Hurt));
        assert_eq!(prompt_of(&e, "trigger").kind, PromptKind::ShortText);
        assert!(prompt_of(&e, "intensity").kind.is_scale() && prompt_of(&e, "intensity").required);
        assert!(matches!(
            prompt_of(&e, "what_helped").kind,
            PromptKind::Checklist { .. }
        ));
    }

    // --- Stage 3: openness ----------------------------------------------------------------------

    #[test]
    fn openness_is_mostly_the_hurt_partners_work() {
        let stage = in_stage(Stage::Openness);
        assert!(stage.len() >= 2);
        assert!(
            stage
                .iter()
                .filter(|e| e.recipient == Recipient::Hurt)
                .count()
                >= 2
        );
        for key in [
            FEELINGS_CHECKIN,
            "caring_letter",
            "letting_go_of_getting_even",
        ] {
            assert_eq!(exercise(key).stage, Stage::Openness, "{key}");
        }
    }

    #[test]
    fn transparency_check_in_belongs_to_the_involved_partner() {
        let e = exercise("transparency_checkin");
        assert_eq!(
            (e.stage, e.recipient),
            (Stage::Openness, Recipient::Involved)
        );
        assert!(prompt_of(&e, "contact").required);
        assert!(
            prompt_of(&exercise("letting_go_of_getting_even"), "wish_now")
                .kind
                .is_scale()
        );
    }

    // --- Stage 4: before the affair -------------------------------------------------------------

    #[test]
    fn before_the_affair_is_joint_work() {
        let stage = in_stage(Stage::BeforeTheAffair);
        assert!(stage.len() >= 2);
        assert!(stage.iter().all(|e| e.recipient == Recipient::Both));
        assert!(prompt_of(&exercise("before_inventory"), "strengths").required);
    }

    #[test]
    fn own_part_keeps_the_affair_the_choice_of_who_made_it() {
        let e = exercise("my_own_part");
        assert!(
            e.instructions
                .contains("does not make anyone responsible for the affair")
        );
        assert!(prompt_of(&e, "my_part").required);
        assert!(
            exercise("before_inventory")
                .instructions
                .contains("not about finding a reason")
        );
    }

    // --- Stage 5: current struggles -------------------------------------------------------------

    #[test]
    fn current_struggles_has_a_list_and_a_plan() {
        let stage = in_stage(Stage::CurrentStruggles);
        assert!(stage.len() >= 2);
        assert!(stage.iter().all(|e| e.recipient == Recipient::Both));
        assert!(stage.iter().any(|e| e.key == "struggles_list"));
        assert!(stage.iter().any(|e| e.key == "struggle_plan"));
    }

    #[test]
    fn a_plan_names_its_struggle_and_its_steps() {
        let e = exercise("struggle_plan");
        for key in ["struggle", "steps", "where"] {
            assert!(prompt_of(&e, key).required, "struggle_plan.{key}");
        }
        assert!(prompt_of(&exercise("struggles_list"), "struggles").required);
    }

    // --- Stage 6: shared responsibility ---------------------------------------------------------

    #[test]
    fn shared_responsibility_has_daily_and_weekly_practice() {
        let stage = in_stage(Stage::SharedResponsibility);
        assert!(stage.len() >= 3);
        assert!(stage.iter().all(|e| e.recipient == Recipient::Both));
        for key in [
            "daily_appreciation",
            "weekly_conversation",
            CONNECTION_CHECKIN,
        ] {
            assert!(stage.iter().any(|e| e.key == key), "{key} in stage 6");
        }
    }

    #[test]
    fn weekly_conversation_can_be_submitted_when_it_did_not_happen() {
        let e = exercise("weekly_conversation");
        let required: Vec<&str> = e
            .prompts
            .iter()
            .filter(|p| p.required)
            .map(|p| p.key.as_str())
            .collect();
        assert_eq!(required, ["held"]);
        assert!(prompt_of(&exercise("daily_appreciation"), "appreciation").required);
    }

    #[test]
    fn every_stage_has_at_least_two_exercises() {
        for stage in Stage::ALL {
            let n = in_stage(stage)
                .iter()
                .filter(|e| e.key != FEELINGS_CHECKIN && e.key != CONNECTION_CHECKIN)
                .count();
            assert!(
                n >= 2,
                "{} has {n} exercises besides check-ins",
                stage.key()
            );
        }
    }
}
