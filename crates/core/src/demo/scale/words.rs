//! The words of the large practice: names, and short pieces of notes, answers and comments that
//! the generator strings together, so that ten thousand couples do not all read alike. Written
//! for Kintsugi; any resemblance to a real person or record is chance.

pub const FIRST_NAMES: [&str; 48] = [
    "Ada", "Alex", "Amara", "Ana", "Ben", "Björn", "Camille", "Chen", "Chidi", "Dana", "Dev",
    "Élodie", "Emre", "Fatima", "Finn", "Grace", "Hana", "Ines", "Ivan", "Jonas", "Joon", "Kai",
    "Kwame", "Lea", "Leila", "Luca", "Maya", "Mateo", "Mei", "Nadia", "Noor", "Olu", "Oskar",
    "Priya", "Quinn", "Rafael", "Renée", "Rosa", "Sam", "Sanjay", "Siobhán", "Tariq", "Tomasz",
    "Uma", "Wren", "Yara", "Zoë", "Zofia",
];

pub const LAST_NAMES: [&str; 32] = [
    "Abara",
    "Bergström",
    "Castillo",
    "Dubois",
    "Eze",
    "Fischer",
    "García",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kowalczyk",
    "Lindqvist",
    "Mensah",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Quintero",
    "Raman",
    "Schmidt",
    "Tanaka",
    "Ulloa",
    "Varga",
    "Walker",
    "Xu",
    "Yilmaz",
    "Zielińska",
    "Moreau",
    "Ñúñez",
    "O'Connell",
    "Park",
    "Rossi",
    "Šimková",
];

/// Counselors' time zones, in turn.
pub const COUNSELOR_ZONES: [&str; 6] = [
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Australia/Sydney",
];

/// What was seen and heard (the D of DAP, the S and O of SOAP).
pub const OBSERVED: [&str; 12] = [
    "Both partners arrived together and chose to sit on the same sofa.",
    "The hurt partner described a hard weekend after an unexpected reminder of the affair.",
    "The involved partner answered two direct questions about the timeline without hedging.",
    "They reported one argument this week and said they repaired it the next morning.",
    "The hurt partner said sleep has improved and the checking has become less frequent.",
    "The involved partner spoke about shame and stayed with the feeling rather than explaining.",
    "They completed the homework together and brought their notes to the session.",
    "Voices rose briefly when money came up; both slowed down when invited to.",
    "The hurt partner cried when describing the night of the discovery; the involved partner reached for their hand.",
    "Both named a small kindness from the other partner without being prompted.",
    "They said the weekly check-in has become a routine rather than a chore.",
    "The involved partner offered information before being asked, which the hurt partner noticed.",
];

/// How the counselor reads it (the A of DAP and SOAP).
pub const ASSESSED: [&str; 10] = [
    "Defensiveness is lower than a month ago and the questions have become more specific.",
    "The couple is repairing on their own more often, a sign the current stage is taking hold.",
    "Trust is rising slowly and unevenly, as expected at this point in the work.",
    "The hurt partner's anger is easing; sadness is more visible now, which fits the stage.",
    "The involved partner still minimises under stress, though less than before.",
    "Safety in the room is good and both partners can name their own part in hard moments.",
    "Progress this week was modest but real; no new risk factors were reported.",
    "The partners' check-in ratings agree with what they describe in session.",
    "Some avoidance of the harder topics; the couple agreed to return to them next time.",
    "Empathy from the involved partner is becoming steady rather than occasional.",
];

/// What happens next (the P).
pub const PLANNED: [&str; 10] = [
    "Continue the weekly connection check-in and review it together next session.",
    "The involved partner to finish the letter discussed today and read it aloud next time.",
    "Both to practise the repair conversation once this week, at a calm moment.",
    "Keep the transparency agreement as it is for another month, then review.",
    "The hurt partner to write down the questions that still come up at night.",
    "Schedule the next session in a week; consider an individual session if sleep worsens.",
    "Assign the next exercise of the current stage and check how it lands.",
    "Revisit the timeline of the year before the affair, at the couple's pace.",
    "Plan one shared activity that has nothing to do with the affair.",
    "Agree on a signal either partner can use to pause an argument before it escalates.",
];

/// Answers clients write to open questions.
pub const ANSWERS: [&str; 12] = [
    "I noticed I could stay in the conversation longer this week before wanting to leave the room.",
    "Some evenings are still hard. Sunday was the worst; Thursday was better than I expected.",
    "I tried to say what I needed instead of waiting to be asked. It felt clumsy but it helped.",
    "Writing this down showed me how much has changed since we started, and how much has not.",
    "When the old feeling came back I told my partner straight away instead of going quiet.",
    "We talked about the friends who knew. It was painful, but we agreed on what to say to them.",
    "I still want details sometimes. Less than before, and I can wait until our session now.",
    "I realised I have been apologising to end the discomfort, not to understand it.",
    "This week felt ordinary in a good way: dinner, a walk, no big conversations.",
    "I wrote three things I miss about us before all this. Two of them came back a little.",
    "My partner noticed I was tense and asked about it. That mattered more than I can say.",
    "I am not sure yet. I will keep thinking and bring it to the next session.",
];

pub const SHORT_ANSWERS: [&str; 8] = [
    "A walk together on Saturday",
    "Being listened to without a fix",
    "The drive home from work",
    "Less than last week",
    "Honestly, not yet",
    "Saying sorry and meaning it",
    "When the phone lights up",
    "Making breakfast together",
];

pub const COMMENTS: [&str; 6] = [
    "Thank you for writing this so openly. Let's begin there next time.",
    "You noticed something important here. I'd like to hear more about Thursday.",
    "This is careful work. Keep going at the same pace.",
    "Good to see both of you describing the same evening in similar words.",
    "Bring this to our session; the second half deserves more time.",
    "Well done for finishing this in a hard week.",
];

pub const ADDENDA: [&str; 4] = [
    "After the session the hurt partner called to say the letter was read together at home and went well. No change to the plan.",
    "Correction: the argument described in the data section happened on the Tuesday, not the Monday.",
    "The couple emailed to move the next session by one day; the plan above stands.",
    "Supervision discussed this session; agreed to keep the current pace.",
];
