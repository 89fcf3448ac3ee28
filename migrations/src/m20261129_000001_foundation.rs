//! Every record of the product, with the indexes the dashboard, the couple page and the
//! reminder worker read by.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(table: &str, column: &str, target: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table.to_owned(), column.to_owned())
        .to(target.to_owned(), "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn index(table: &str, name: &str, columns: &[&str]) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(format!("ix_{table}_{name}"))
        .table(table.to_owned());
    for c in columns {
        stmt.col(ToString::to_string(c));
    }
    stmt.to_owned()
}

fn unique(table: &str, name: &str, columns: &[&str]) -> IndexCreateStatement {
    let mut stmt = index(table, name, columns);
    stmt.unique();
    stmt
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("practice")
                .col(pk_uuid("id"))
                .col(string("name"))
                .col(string("timezone"))
                .col(integer("reminder_hours_before"))
                .col(integer("quiet_hours_start"))
                .col(integer("quiet_hours_end"))
                .col(integer("link_expiry_days"))
                .col(string("note_format"))
                .col(string("paper_size"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("counselor")
                .col(pk_uuid("id"))
                .col(uuid("practice_id"))
                .col(string("name"))
                .col(string("email"))
                .col(string("email_normalized"))
                .col(string("password_hash"))
                .col(string("role"))
                .col(string("timezone"))
                .col(string_null("totp_secret"))
                .col(boolean("active"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("counselor", "practice_id", "practice"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique("counselor", "email", &["email_normalized"]))
            .await?;

        m.create_table(
            Table::create()
                .table("couple")
                .col(pk_uuid("id"))
                .col(uuid("counselor_id"))
                .col(string("label"))
                .col(string("label_normalized"))
                .col(string("status"))
                .col(boolean("open_agreement"))
                .col(date("intake_date"))
                .col(date_null("disclosure_date"))
                .col(integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("couple", "counselor_id", "counselor"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "couple",
            "caseload_label",
            &["counselor_id", "label_normalized"],
        ))
        .await?;
        m.create_index(index(
            "couple",
            "caseload_updated",
            &["counselor_id", "updated_at"],
        ))
        .await?;
        m.create_index(index(
            "couple",
            "caseload_status",
            &["counselor_id", "status"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("partner")
                .col(pk_uuid("id"))
                .col(uuid("couple_id"))
                .col(string("role"))
                .col(string("name"))
                .col(string("email"))
                .col(string("timezone"))
                .col(boolean("reminders_opt_out"))
                .col(boolean("pin_required"))
                .col(string_null("pin_hash"))
                .col(integer("pin_failures"))
                .col(timestamp_with_time_zone_null("pin_paused_until"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("partner", "couple_id", "couple"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique("partner", "couple_role", &["couple_id", "role"]))
            .await?;

        m.create_table(
            Table::create()
                .table("homework_link")
                .col(pk_uuid("id"))
                .col(uuid("partner_id"))
                .col(string("secret_hash"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("last_used_at"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .foreign_key(&mut fk("homework_link", "partner_id", "partner"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique("homework_link", "secret", &["secret_hash"]))
            .await?;
        m.create_index(index("homework_link", "partner", &["partner_id"]))
            .await?;

        m.create_table(
            Table::create()
                .table("stage_progress")
                .col(pk_uuid("id"))
                .col(uuid("couple_id"))
                .col(string("stage"))
                .col(string("status"))
                .col(timestamp_with_time_zone_null("started_at"))
                .col(timestamp_with_time_zone_null("completed_at"))
                .col(uuid_null("completed_by"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("stage_progress", "couple_id", "couple"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique(
            "stage_progress",
            "couple_stage",
            &["couple_id", "stage"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("counseling_session")
                .col(pk_uuid("id"))
                .col(uuid("couple_id"))
                .col(timestamp_with_time_zone("starts_at"))
                .col(integer("duration_minutes"))
                .col(string("location_kind"))
                .col(string_null("location_detail"))
                .col(string_null("attendance"))
                .col(timestamp_with_time_zone_null("cancelled_at"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("counseling_session", "couple_id", "couple"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "counseling_session",
            "couple_start",
            &["couple_id", "starts_at"],
        ))
        .await?;
        m.create_index(index("counseling_session", "start", &["starts_at"]))
            .await?;

        m.create_table(
            Table::create()
                .table("marker_rating")
                .col(pk_uuid("id"))
                .col(uuid("couple_id"))
                .col(string("stage"))
                .col(string("marker"))
                .col(string("rating"))
                .col(uuid_null("session_id"))
                .col(uuid_null("rated_by"))
                .col(timestamp_with_time_zone("rated_at"))
                .foreign_key(&mut fk("marker_rating", "couple_id", "couple"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "marker_rating",
            "couple_marker",
            &["couple_id", "marker", "rated_at"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("stage_event")
                .col(pk_uuid("id"))
                .col(uuid("couple_id"))
                .col(string("stage"))
                .col(string("kind"))
                .col(text_null("reason"))
                .col(uuid_null("actor_id"))
                .col(timestamp_with_time_zone("at"))
                .foreign_key(&mut fk("stage_event", "couple_id", "couple"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("stage_event", "couple_at", &["couple_id", "at"]))
            .await?;

        m.create_table(
            Table::create()
                .table("exercise")
                .col(pk_uuid("id"))
                .col(uuid_null("counselor_id"))
                .col(string_null("builtin_key"))
                .col(uuid_null("copied_from_id"))
                .col(string("stage"))
                .col(string("recipient"))
                .col(string("title"))
                .col(text("instructions"))
                .col(boolean("archived"))
                .col(integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("exercise", "counselor_id", "counselor"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique("exercise", "builtin_key", &["builtin_key"]))
            .await?;
        m.create_index(index("exercise", "library", &["stage", "recipient"]))
            .await?;

        m.create_table(
            Table::create()
                .table("exercise_prompt")
                .col(pk_uuid("id"))
                .col(uuid("exercise_id"))
                .col(integer("position"))
                .col(string("kind"))
                .col(text("label"))
                .col(text_null("options"))
                .foreign_key(&mut fk("exercise_prompt", "exercise_id", "exercise"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique(
            "exercise_prompt",
            "order",
            &["exercise_id", "position"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("assignment")
                .col(pk_uuid("id"))
                .col(uuid("couple_id"))
                .col(uuid("exercise_id"))
                .col(uuid_null("series_id"))
                .col(timestamp_with_time_zone("due_at"))
                .col(string("visibility"))
                .col(string_null("recurrence"))
                .col(date_null("recurrence_until"))
                .col(uuid_null("created_by"))
                .col(timestamp_with_time_zone_null("cancelled_at"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("assignment", "couple_id", "couple"))
                .foreign_key(&mut fk("assignment", "exercise_id", "exercise"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("assignment", "couple_due", &["couple_id", "due_at"]))
            .await?;
        m.create_index(index("assignment", "due", &["due_at"]))
            .await?;

        m.create_table(
            Table::create()
                .table("response")
                .col(pk_uuid("id"))
                .col(uuid("assignment_id"))
                .col(uuid("partner_id"))
                .col(string("status"))
                .col(text_null("answers"))
                .col(boolean("shared_with_partner"))
                .col(timestamp_with_time_zone_null("submitted_at"))
                .col(timestamp_with_time_zone_null("reviewed_at"))
                .col(text_null("counselor_comment"))
                .col(string_null("idempotency_key"))
                .col(integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("response", "assignment_id", "assignment"))
                .foreign_key(&mut fk("response", "partner_id", "partner"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique(
            "response",
            "assignee",
            &["assignment_id", "partner_id"],
        ))
        .await?;
        m.create_index(index(
            "response",
            "partner_status",
            &["partner_id", "status"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("note")
                .col(pk_uuid("id"))
                .col(uuid("session_id"))
                .col(string("format"))
                .col(text("body"))
                .col(string("status"))
                .col(uuid_null("signed_by"))
                .col(timestamp_with_time_zone_null("signed_at"))
                .col(string_null("content_hash"))
                .col(integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("note", "session_id", "counseling_session"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique("note", "session", &["session_id"]))
            .await?;

        m.create_table(
            Table::create()
                .table("note_addendum")
                .col(pk_uuid("id"))
                .col(uuid("note_id"))
                .col(text("body"))
                .col(uuid("signed_by"))
                .col(timestamp_with_time_zone("signed_at"))
                .col(string("content_hash"))
                .foreign_key(&mut fk("note_addendum", "note_id", "note"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("note_addendum", "note", &["note_id", "signed_at"]))
            .await?;

        m.create_table(
            Table::create()
                .table("outbox_message")
                .col(pk_uuid("id"))
                .col(string("kind"))
                .col(string("recipient"))
                .col(uuid_null("counselor_id"))
                .col(uuid_null("partner_id"))
                .col(uuid_null("couple_id"))
                .col(string_null("subject_kind"))
                .col(uuid_null("subject_id"))
                .col(text("payload"))
                .col(timestamp_with_time_zone("scheduled_at"))
                .col(string("status"))
                .col(integer("attempts"))
                .col(text_null("last_error"))
                .col(string("dedupe_key"))
                .col(timestamp_with_time_zone_null("claimed_until"))
                .col(string_null("message_id"))
                .col(timestamp_with_time_zone_null("sent_at"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique("outbox_message", "dedupe", &["dedupe_key"]))
            .await?;
        m.create_index(index("outbox_message", "due", &["status", "scheduled_at"]))
            .await?;
        m.create_index(index(
            "outbox_message",
            "counselor",
            &["counselor_id", "created_at"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("audit_event")
                .col(big_pk_auto("id"))
                .col(timestamp_with_time_zone("at"))
                .col(string("actor_kind"))
                .col(uuid_null("actor_id"))
                .col(string("action"))
                .col(string_null("record_kind"))
                .col(uuid_null("record_id"))
                .col(string_null("ip"))
                .col(string_null("detail"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("audit_event", "at", &["at"])).await?;
        m.create_index(index(
            "audit_event",
            "record",
            &["record_kind", "record_id"],
        ))
        .await?;
        m.create_index(index("audit_event", "actor", &["actor_id", "at"]))
            .await?;

        m.create_table(
            Table::create()
                .table("api_token")
                .col(pk_uuid("id"))
                .col(uuid("counselor_id"))
                .col(string("name"))
                .col(string("token_hash"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("last_used_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .foreign_key(&mut fk("api_token", "counselor_id", "counselor"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique("api_token", "hash", &["token_hash"]))
            .await?;

        m.create_table(
            Table::create()
                .table("browser_session")
                .col(string("id").primary_key())
                .col(uuid("counselor_id"))
                .col(string("csrf_token"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("last_seen_at"))
                .col(timestamp_with_time_zone("expires_at"))
                .foreign_key(&mut fk("browser_session", "counselor_id", "counselor"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("browser_session", "counselor", &["counselor_id"]))
            .await?;
        m.create_index(index("browser_session", "expiry", &["expires_at"]))
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "browser_session",
            "api_token",
            "audit_event",
            "outbox_message",
            "note_addendum",
            "note",
            "response",
            "assignment",
            "exercise_prompt",
            "exercise",
            "stage_event",
            "marker_rating",
            "counseling_session",
            "stage_progress",
            "homework_link",
            "partner",
            "couple",
            "counselor",
            "practice",
        ] {
            m.drop_table(Table::drop().table(table.to_owned()).to_owned())
                .await?;
        }
        Ok(())
    }
}
