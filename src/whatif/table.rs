//! A comparison summed up: one row per variant, the best value of each column marked `*`, and each
//! variant's makespans tested against the first variant's (Mann–Whitney); and every run as CSV or
//! JSON records for a notebook or a spreadsheet.

use std::fmt::Write as _;

use serde::Serialize;

use super::runs::Figures;
use super::stats::{mann_whitney_p, mean, percentile};
use super::variants::Variant;

/// One variant's figures over its runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub variant: String,
    pub runs: usize,
    /// Runs that succeeded, 0..=1.
    pub success_rate: f64,
    pub makespan_p50_ms: f64,
    pub makespan_p95_ms: f64,
    pub makespan_max_ms: f64,
    pub mean_cost: f64,
    /// Means per run.
    pub retries: f64,
    pub reassigned: f64,
    pub escalated: f64,
    /// Mean of the runs' mean times to recovery (over the runs where something recovered).
    pub mttr_ms: Option<f64>,
    /// Two-sided p-value of the makespans against the first variant's (`None` for the first).
    pub p_vs_first: Option<f64>,
}

/// The rows, one per variant (a variant with no finished run has none).
pub fn rows(variants: &[Variant], figures: &[Figures]) -> Vec<Row> {
    let labels: Vec<&str> = variants.iter().map(|v| v.label.as_str()).collect();
    labelled_rows(&labels, figures)
}

/// [`rows`] for variants known by their labels.
pub fn labelled_rows(labels: &[&str], figures: &[Figures]) -> Vec<Row> {
    let makespans = |v: usize| -> Vec<f64> {
        let mut m: Vec<f64> = figures.iter().filter(|f| f.variant == v).map(|f| f.makespan_ms as f64).collect();
        m.sort_by(f64::total_cmp);
        m
    };
    let first = makespans(0);
    let mut rows = Vec::new();
    for (v, label) in labels.iter().enumerate() {
        let runs: Vec<&Figures> = figures.iter().filter(|f| f.variant == v).collect();
        if runs.is_empty() {
            continue;
        }
        let m = makespans(v);
        let per_run = |f: &dyn Fn(&Figures) -> f64| mean(&runs.iter().map(|r| f(r)).collect::<Vec<_>>()).unwrap_or(0.0);
        let mttr: Vec<f64> = runs.iter().filter_map(|r| r.mttr_ms.map(|x| x as f64)).collect();
        rows.push(Row {
            variant: label.to_string(),
            runs: runs.len(),
            success_rate: per_run(&|r| if r.succeeded() { 1.0 } else { 0.0 }),
            makespan_p50_ms: percentile(&m, 50.0).unwrap_or(0.0),
            makespan_p95_ms: percentile(&m, 95.0).unwrap_or(0.0),
            makespan_max_ms: m.last().copied().unwrap_or(0.0),
            mean_cost: per_run(&|r| r.cost),
            retries: per_run(&|r| f64::from(r.retries)),
            reassigned: per_run(&|r| f64::from(r.reassigned)),
            escalated: per_run(&|r| f64::from(r.escalated)),
            mttr_ms: mean(&mttr),
            p_vs_first: if v == 0 { None } else { mann_whitney_p(&first, &m) },
        });
    }
    rows
}

/// A column of the table: its heading, its cell, and whether more is better.
struct Column {
    heading: &'static str,
    value: fn(&Row) -> Option<f64>,
    cell: fn(f64) -> String,
    higher_is_better: bool,
}

const COLUMNS: [Column; 10] = [
    Column { heading: "runs", value: |r| Some(r.runs as f64), cell: |x| format!("{x:.0}"), higher_is_better: true },
    Column {
        heading: "success",
        value: |r| Some(r.success_rate),
        cell: |x| format!("{:.0}%", x * 100.0),
        higher_is_better: true,
    },
    Column {
        heading: "p50 ms",
        value: |r| Some(r.makespan_p50_ms),
        cell: |x| format!("{x:.0}"),
        higher_is_better: false,
    },
    Column {
        heading: "p95 ms",
        value: |r| Some(r.makespan_p95_ms),
        cell: |x| format!("{x:.0}"),
        higher_is_better: false,
    },
    Column {
        heading: "max ms",
        value: |r| Some(r.makespan_max_ms),
        cell: |x| format!("{x:.0}"),
        higher_is_better: false,
    },
    Column { heading: "cost", value: |r| Some(r.mean_cost), cell: |x| format!("{x:.1}"), higher_is_better: false },
    Column { heading: "retries", value: |r| Some(r.retries), cell: |x| format!("{x:.2}"), higher_is_better: false },
    Column {
        heading: "reassigned",
        value: |r| Some(r.reassigned),
        cell: |x| format!("{x:.2}"),
        higher_is_better: false,
    },
    Column { heading: "escalated", value: |r| Some(r.escalated), cell: |x| format!("{x:.2}"), higher_is_better: false },
    Column { heading: "MTTR ms", value: |r| r.mttr_ms, cell: |x| format!("{x:.0}"), higher_is_better: false },
];

/// The table as text: a row per variant, the best of each column marked `*` (with more than one
/// variant), and the p-value against the first variant (`*` below 0.05).
pub fn render(rows: &[Row]) -> String {
    let width = rows.iter().map(|r| r.variant.len()).max().unwrap_or(0).max("variant".len());
    let mut out = format!("{:<width$}", "variant");
    for c in &COLUMNS {
        let _ = write!(out, " {:>10}", c.heading);
    }
    out.push_str("  p vs first\n");
    let best: Vec<Option<f64>> = COLUMNS
        .iter()
        .map(|c| {
            let values = rows.iter().filter_map(|r| (c.value)(r));
            let pick = if c.higher_is_better { values.reduce(f64::max) } else { values.reduce(f64::min) };
            pick.filter(|_| rows.len() > 1 && c.heading != "runs")
        })
        .collect();
    for r in rows {
        let _ = write!(out, "{:<width$}", r.variant);
        for (c, best) in COLUMNS.iter().zip(&best) {
            let cell = match (c.value)(r) {
                Some(x) => format!("{}{}", (c.cell)(x), if Some(x) == *best { "*" } else { " " }),
                None => "- ".to_string(),
            };
            let _ = write!(out, " {cell:>10}");
        }
        let p = match r.p_vs_first {
            None if rows.first() == Some(r) => "—".to_string(),
            None => "n/a".to_string(),
            Some(p) => format!("{p:.3}{}", if p < 0.05 { " *" } else { "" }),
        };
        let _ = writeln!(out, "  {p:>10}");
    }
    out
}

/// One CSV record per run: variant, seed and every figure.
pub fn csv(variants: &[Variant], figures: &[Figures]) -> String {
    let mut out = String::from("variant,seed,outcome,makespan_ms,cost,retries,reassigned,escalated,mttr_ms\n");
    for f in figures {
        let label = variants[f.variant].label.replace('"', "\"\"");
        let mttr = f.mttr_ms.map_or(String::new(), |m| m.to_string());
        let _ = writeln!(
            out,
            "\"{label}\",{},{},{},{:.3},{},{},{},{mttr}",
            f.seed, f.outcome, f.makespan_ms, f.cost, f.retries, f.reassigned, f.escalated
        );
    }
    out
}

/// Every run as a JSON array of records (the variant named, not numbered).
pub fn json(variants: &[Variant], figures: &[Figures]) -> String {
    #[derive(Serialize)]
    struct Record<'a> {
        variant: &'a str,
        #[serde(flatten)]
        figures: &'a Figures,
    }
    let records: Vec<Record> =
        figures.iter().map(|f| Record { variant: &variants[f.variant].label, figures: f }).collect();
    serde_json::to_string_pretty(&records).expect("records serialize")
}
