//! The exercise library: the built-ins (installed once, never edited) and each counselor's own
//! exercises, including edited copies of built-ins.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use super::Recipient;
use super::builtins::builtins;
use super::prompts::Prompt;
use crate::audit::{self, Action, Actor, Record};
use crate::clock::Clock;
use crate::db::begin_write;
use crate::domain::BoundedText;
use crate::entities::{exercise, exercise_prompt};
use crate::error::{CoreError, FieldErrors};
use crate::stages::Stage;

/// An exercise with its prompts in order.
#[derive(Debug, Clone)]
pub struct Exercise {
    pub model: exercise::Model,
    pub prompts: Vec<Prompt>,
}

impl Exercise {
    pub fn is_builtin(&self) -> bool {
        self.model.counselor_id.is_none()
    }
}

/// Install any built-in exercise that is not there yet (matched by key). Safe to run at every
/// start: existing rows are never touched.
pub async fn install_builtins(db: &DatabaseConnection) -> Result<usize, CoreError> {
    let existing: Vec<String> = exercise::Entity::find()
        .filter(exercise::Column::BuiltinKey.is_not_null())
        .all(db)
        .await?
        .into_iter()
        .filter_map(|e| e.builtin_key)
        .collect();
    let mut installed = 0;
    for b in builtins()
        .into_iter()
        .filter(|b| !existing.iter().any(|k| k == b.key))
    {
        let tx = begin_write(db).await?;
        let now = Utc::now();
        let id = Uuid::new_v4();
        let inserted = exercise::ActiveModel {
            id: Set(id),
            counselor_id: Set(None),
            builtin_key: Set(Some(b.key.to_owned())),
            copied_from_id: Set(None),
            stage: Set(b.stage),
            recipient: Set(b.recipient),
            title: Set(b.title.to_owned()),
            instructions: Set(b.instructions.to_owned()),
            archived: Set(false),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&tx)
        .await;
        match inserted {
            Ok(_) => {}
            // Another instance installed it first.
            Err(e) if crate::error::is_unique_violation(&e) => continue,
            Err(e) => return Err(e.into()),
        }
        insert_prompts(&tx, id, &b.prompts).await?;
        tx.commit().await?;
        installed += 1;
    }
    Ok(installed)
}

async fn insert_prompts(
    db: &impl ConnectionTrait,
    exercise_id: Uuid,
    prompts: &[Prompt],
) -> Result<(), CoreError> {
    for (i, p) in prompts.iter().enumerate() {
        exercise_prompt::ActiveModel {
            id: Set(Uuid::new_v4()),
            exercise_id: Set(exercise_id),
            position: Set(i32::try_from(i).unwrap_or(i32::MAX)),
            kind: Set(p.kind.key().to_owned()),
            label: Set(p.label.clone()),
            options: Set(Some(
                serde_json::to_string(p).map_err(|e| CoreError::Internal(e.to_string()))?,
            )),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

fn prompt_from_row(row: &exercise_prompt::Model) -> Result<Prompt, CoreError> {
    let json = row.options.as_deref().unwrap_or("{}");
    serde_json::from_str(json)
        .map_err(|e| CoreError::Internal(format!("prompt {} unreadable: {e}", row.id)))
}

async fn with_prompts(
    db: &impl ConnectionTrait,
    models: Vec<exercise::Model>,
) -> Result<Vec<Exercise>, CoreError> {
    let ids: Vec<Uuid> = models.iter().map(|m| m.id).collect();
    let rows = exercise_prompt::Entity::find()
        .filter(exercise_prompt::Column::ExerciseId.is_in(ids))
        .order_by_asc(exercise_prompt::Column::Position)
        .all(db)
        .await?;
    let mut by_exercise: HashMap<Uuid, Vec<Prompt>> = HashMap::new();
    for row in &rows {
        by_exercise
            .entry(row.exercise_id)
            .or_default()
            .push(prompt_from_row(row)?);
    }
    Ok(models
        .into_iter()
        .map(|model| Exercise {
            prompts: by_exercise.remove(&model.id).unwrap_or_default(),
            model,
        })
        .collect())
}

/// Exercises a counselor may use: the built-ins and their own.
fn usable_by(counselor_id: Uuid) -> Condition {
    Condition::any()
        .add(exercise::Column::CounselorId.is_null())
        .add(exercise::Column::CounselorId.eq(counselor_id))
}

#[derive(Debug, Clone, Copy, Default)]
pub struct LibraryFilter {
    pub stage: Option<Stage>,
    pub recipient: Option<Recipient>,
}

/// The library as a counselor sees it, in stage order, built-ins first within a stage.
pub async fn list(
    db: &impl ConnectionTrait,
    counselor_id: Uuid,
    filter: LibraryFilter,
) -> Result<Vec<Exercise>, CoreError> {
    let mut select = exercise::Entity::find()
        .filter(usable_by(counselor_id))
        .filter(exercise::Column::Archived.eq(false));
    if let Some(stage) = filter.stage {
        select = select.filter(exercise::Column::Stage.eq(stage));
    }
    if let Some(recipient) = filter.recipient {
        select = select.filter(exercise::Column::Recipient.eq(recipient));
    }
    let mut models = select.order_by_asc(exercise::Column::Title).all(db).await?;
    models.sort_by_key(|m| (m.stage, m.counselor_id.is_some()));
    with_prompts(db, models).await
}

/// One exercise the counselor may use, or `NotFound`.
pub async fn get(
    db: &impl ConnectionTrait,
    counselor_id: Uuid,
    id: Uuid,
) -> Result<Exercise, CoreError> {
    let model = exercise::Entity::find_by_id(id)
        .filter(usable_by(counselor_id))
        .one(db)
        .await?
        .ok_or(CoreError::NotFound)?;
    with_prompts(db, vec![model])
        .await?
        .pop()
        .ok_or(CoreError::NotFound)
}

/// Any exercise by id, for showing an assignment's prompts (the caller checked access).
pub async fn get_any(db: &impl ConnectionTrait, id: Uuid) -> Result<Exercise, CoreError> {
    let model = exercise::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(CoreError::NotFound)?;
    with_prompts(db, vec![model])
        .await?
        .pop()
        .ok_or(CoreError::NotFound)
}

/// Several exercises by id, with prompts, in one go.
pub async fn get_many(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Exercise>, CoreError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let models = exercise::Entity::find()
        .filter(exercise::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(with_prompts(db, models)
        .await?
        .into_iter()
        .map(|e| (e.model.id, e))
        .collect())
}

/// A counselor's own exercise as typed.
#[derive(Debug, Clone)]
pub struct NewExercise {
    pub title: String,
    pub stage: Stage,
    pub recipient: Recipient,
    pub instructions: String,
    pub prompts: Vec<Prompt>,
}

impl NewExercise {
    /// Check titles, texts and prompts; field names follow the API (`prompts[2].label`).
    pub fn validate(&self) -> Result<(), CoreError> {
        let mut errors = FieldErrors::new();
        errors.check("title", BoundedText::<200>::parse(&self.title));
        errors.check(
            "instructions",
            BoundedText::<4000, true>::parse(&self.instructions),
        );
        if self.prompts.is_empty() {
            errors.add("prompts", "must have at least one prompt");
        }
        if self.prompts.len() > 40 {
            errors.add("prompts", "must have at most 40 prompts");
        }
        let mut keys: Vec<&str> = Vec::new();
        for (i, p) in self.prompts.iter().enumerate() {
            errors.check(
                &format!("prompts[{i}].label"),
                BoundedText::<1000, true>::parse(&p.label),
            );
            let key_ok = !p.key.is_empty()
                && p.key.len() <= 40
                && p.key
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !key_ok {
                errors.add(
                    format!("prompts[{i}].key"),
                    "must be 1 to 40 characters of a-z, 0-9 and _",
                );
            } else if keys.contains(&p.key.as_str()) {
                errors.add(format!("prompts[{i}].key"), "is used twice");
            }
            keys.push(&p.key);
            use super::prompts::PromptKind::*;
            match &p.kind {
                SingleChoice { options } | Checklist { options } => {
                    if options.len() < 2 || options.len() > 20 {
                        errors.add(format!("prompts[{i}].options"), "must list 2 to 20 choices");
                    }
                    if options
                        .iter()
                        .any(|o| BoundedText::<200>::parse(o).is_err())
                    {
                        errors.add(
                            format!("prompts[{i}].options"),
                            "each choice must be 1 to 200 characters",
                        );
                    }
                }
                Scale {
                    low_label,
                    high_label,
                } => {
                    if BoundedText::<60>::parse(low_label).is_err()
                        || BoundedText::<60>::parse(high_label).is_err()
                    {
                        errors.add(
                            format!("prompts[{i}].options"),
                            "both ends of the scale need a label of up to 60 characters",
                        );
                    }
                }
                LongText | ShortText => {}
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(CoreError::Invalid(errors))
        }
    }
}

/// A counselor's own exercise, audited in the same transaction.
pub async fn create(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    actor: &Actor,
    counselor_id: Uuid,
    new: NewExercise,
    copied_from: Option<Uuid>,
) -> Result<Exercise, CoreError> {
    new.validate()?;
    let tx = begin_write(db).await?;
    let now = clock.now();
    let id = Uuid::new_v4();
    exercise::ActiveModel {
        id: Set(id),
        counselor_id: Set(Some(counselor_id)),
        builtin_key: Set(None),
        copied_from_id: Set(copied_from),
        stage: Set(new.stage),
        recipient: Set(new.recipient),
        title: Set(new.title.trim().to_owned()),
        instructions: Set(new.instructions.trim().to_owned()),
        archived: Set(false),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&tx)
    .await?;
    insert_prompts(&tx, id, &new.prompts).await?;
    audit::record(
        &tx,
        clock,
        actor,
        Action::ExerciseCreated,
        Some(Record::exercise(id)),
    )
    .await?;
    let created = get(&tx, counselor_id, id).await?;
    tx.commit().await?;
    Ok(created)
}

/// Copy any usable exercise (a built-in or one's own) into a new exercise of one's own.
pub async fn copy(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    actor: &Actor,
    counselor_id: Uuid,
    from: Uuid,
) -> Result<Exercise, CoreError> {
    let source = get(db, counselor_id, from).await?;
    let new = NewExercise {
        title: format!("{} (my copy)", source.model.title)
            .chars()
            .take(200)
            .collect(),
        stage: source.model.stage,
        recipient: source.model.recipient,
        instructions: source.model.instructions.clone(),
        prompts: source.prompts.clone(),
    };
    create(db, clock, actor, counselor_id, new, Some(from)).await
}

/// Change one of the counselor's own exercises (never a built-in). A stale `expected_version`
/// is a conflict. Assignments already made keep pointing at this exercise.
pub async fn update(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    actor: &Actor,
    counselor_id: Uuid,
    id: Uuid,
    expected_version: i32,
    changed: NewExercise,
) -> Result<Exercise, CoreError> {
    changed.validate()?;
    let tx = begin_write(db).await?;
    let current = exercise::Entity::find_by_id(id)
        .filter(exercise::Column::CounselorId.eq(counselor_id))
        .one(&tx)
        .await?
        .ok_or(CoreError::NotFound)?;
    if current.version != expected_version {
        return Err(CoreError::Conflict(
            "This exercise was changed since you opened it. Reload to see the latest version, then make your change again.".into(),
        ));
    }
    let mut model: exercise::ActiveModel = current.into();
    model.title = Set(changed.title.trim().to_owned());
    model.stage = Set(changed.stage);
    model.recipient = Set(changed.recipient);
    model.instructions = Set(changed.instructions.trim().to_owned());
    model.version = Set(expected_version + 1);
    model.updated_at = Set(clock.now());
    model.update(&tx).await?;
    exercise_prompt::Entity::delete_many()
        .filter(exercise_prompt::Column::ExerciseId.eq(id))
        .exec(&tx)
        .await?;
    insert_prompts(&tx, id, &changed.prompts).await?;
    audit::record(
        &tx,
        clock,
        actor,
        Action::ExerciseChanged,
        Some(Record::exercise(id)),
    )
    .await?;
    let updated = get(&tx, counselor_id, id).await?;
    tx.commit().await?;
    Ok(updated)
}
