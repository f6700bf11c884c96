//! Reports as CSV: one measure a line for an activity, one activity a line for the program.

use crate::{
    http::csv,
    reports::dto::{ActivityOutcomes, ProgramOutcomes},
};

fn number(value: Option<f64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// One measure a line: `level,measure,item,value`.
pub fn outcomes_csv(report: &ActivityOutcomes) -> String {
    let mut out = String::new();
    let mut line = |level: &str, measure: &str, item: &str, value: String| {
        csv::push_row(&mut out, &[level.into(), measure.into(), item.into(), value]);
    };
    line("level", "measure", "item", "value".into());
    let p = &report.participation;
    for (measure, value) in [
        ("enrolled", p.enrolled),
        ("attended", p.attended),
        ("completed", p.completed),
        ("claimed", p.claimed),
    ] {
        line("1", measure, "", value.to_string());
    }
    for credit in &p.credits_awarded {
        line("1", "credits_awarded", &crate::db::enum_text(&credit.credit_type), credit.amount.to_string());
    }
    for item in &report.satisfaction {
        let level = crate::db::enum_text(&item.moore_level);
        line(&level, "likert_n", &item.question_id, item.n.to_string());
        line(&level, "likert_mean", &item.question_id, number(item.mean));
    }
    let k = &report.knowledge;
    for item in &k.items {
        let level = crate::db::enum_text(&item.moore_level);
        line(&level, "pre_percent_correct", &item.question_id, number(item.pre.percent_correct));
        line(&level, "post_percent_correct", &item.question_id, number(item.post.percent_correct));
        line(&level, "mcnemar_b", &item.question_id, item.mcnemar.b.to_string());
        line(&level, "mcnemar_c", &item.question_id, item.mcnemar.c.to_string());
        line(&level, "mcnemar_chi_square", &item.question_id, number(item.mcnemar.chi_square));
        line(&level, "mcnemar_p_value", &item.question_id, number(item.mcnemar.p_value));
    }
    line("3-4", "pre_percent_correct", "all", number(k.pre_percent_correct));
    line("3-4", "post_percent_correct", "all", number(k.post_percent_correct));
    line("3-4", "paired_n", "all", k.paired.n.to_string());
    line("3-4", "paired_mean_change", "all", number(k.paired.mean_change));
    line("3-4", "paired_cohens_d", "all", number(k.paired.cohens_d));
    line("4", "commitment_rate", "", number(report.commitment.rate));
    line("5", "follow_up_implementation_rate", "", number(report.follow_up.rate));
    out
}

pub fn program_csv(report: &ProgramOutcomes) -> String {
    let mut out = String::new();
    csv::push_row(
        &mut out,
        &[
            "activity_id",
            "title",
            "format",
            "enrolled",
            "attended",
            "completed",
            "claimed",
            "pre_percent_correct",
            "post_percent_correct",
            "paired_n",
            "mean_change",
            "cohens_d",
            "commitment_rate",
            "follow_up_rate",
            "levels_measured",
        ]
        .map(String::from),
    );
    for line in &report.activities {
        let levels: Vec<String> =
            line.levels_measured.iter().map(|l| crate::db::enum_text(&l.level)).collect();
        csv::push_row(
            &mut out,
            &[
                line.activity_id.clone(),
                line.title.clone(),
                crate::db::enum_text(&line.format),
                line.participation.enrolled.to_string(),
                line.participation.attended.to_string(),
                line.participation.completed.to_string(),
                line.participation.claimed.to_string(),
                number(line.pre_percent_correct),
                number(line.post_percent_correct),
                line.paired.n.to_string(),
                number(line.paired.mean_change),
                number(line.paired.cohens_d),
                number(line.commitment_rate),
                number(line.follow_up_rate),
                levels.join(";"),
            ],
        );
    }
    out
}
