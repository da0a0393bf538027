//! What each table accepts on ingest: columns, types, ranges, keys and references.
//! The DDL in `queries/schema/` is the storage contract; this is the input contract.

/// How a column's text is checked and converted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ColumnType {
    /// An identifier: trimmed, never empty.
    Id,
    /// Free text, kept exactly as written.
    Text,
    /// A whole number of at least `min`.
    Count { min: i64 },
    /// A finite number, optionally bounded below.
    Number { min: Option<f64> },
    /// 0 or 1.
    Flag01,
    /// true/false (also 1/0, t/f).
    Bool,
    /// A date and time, ISO 8601; an offset is converted to UTC.
    Timestamp,
    /// A calendar date.
    Date,
    /// One of a fixed set of lowercase words.
    OneOf(&'static [&'static str]),
}

#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    pub name: &'static str,
    pub ty: ColumnType,
    pub required: bool,
    /// `(table, column)` this column must name a row of, when it has a value.
    pub references: Option<(&'static str, &'static str)>,
}

/// Dimensions are upserted on their key; events are appended, and an event
/// whose key is already stored is skipped (identical) or rejected (different).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    Dimension,
    Event,
}

#[derive(Debug, Clone, Copy)]
pub struct TableSpec {
    pub name: &'static str,
    pub kind: TableKind,
    pub columns: &'static [ColumnSpec],
    pub key: &'static [&'static str],
    /// Ground truth written by the demo generator; refused from ordinary ingest.
    pub internal: bool,
}

impl TableSpec {
    pub fn column(&self, name: &str) -> Option<&ColumnSpec> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn required_columns(&self) -> impl Iterator<Item = &ColumnSpec> {
        self.columns.iter().filter(|c| c.required)
    }
}

const fn req(name: &'static str, ty: ColumnType) -> ColumnSpec {
    ColumnSpec {
        name,
        ty,
        required: true,
        references: None,
    }
}

const fn opt(name: &'static str, ty: ColumnType) -> ColumnSpec {
    ColumnSpec {
        name,
        ty,
        required: false,
        references: None,
    }
}

const fn req_ref(name: &'static str, table: &'static str, column: &'static str) -> ColumnSpec {
    ColumnSpec {
        name,
        ty: ColumnType::Id,
        required: true,
        references: Some((table, column)),
    }
}

const fn opt_ref(name: &'static str, table: &'static str, column: &'static str) -> ColumnSpec {
    ColumnSpec {
        name,
        ty: ColumnType::Id,
        required: false,
        references: Some((table, column)),
    }
}

use ColumnType::*;
use TableKind::*;

pub const RESOURCE_KINDS: &[&str] = &["video", "ebook", "exercise", "article"];
pub const SENTIMENTS: &[&str] = &["negative", "neutral", "positive"];

/// Every table ingest can write, in an order where references point backwards.
pub const TABLES: &[TableSpec] = &[
    TableSpec {
        name: "classes",
        kind: Dimension,
        columns: &[
            req("class_id", Id),
            req("name", Text),
            opt("grade", Text),
            opt("teacher", Text),
        ],
        key: &["class_id"],
        internal: false,
    },
    TableSpec {
        name: "students",
        kind: Dimension,
        columns: &[
            req("student_id", Id),
            req_ref("class_id", "classes", "class_id"),
            req("display_name", Text),
            opt("external_id", Id),
        ],
        key: &["student_id"],
        internal: false,
    },
    TableSpec {
        name: "skills",
        kind: Dimension,
        columns: &[
            req("skill_id", Id),
            req("subject", Text),
            req("name", Text),
            opt("description", Text),
        ],
        key: &["skill_id"],
        internal: false,
    },
    TableSpec {
        name: "skill_prereqs",
        kind: Dimension,
        columns: &[
            req_ref("skill_id", "skills", "skill_id"),
            req_ref("prereq_id", "skills", "skill_id"),
        ],
        key: &["skill_id", "prereq_id"],
        internal: false,
    },
    TableSpec {
        name: "items",
        kind: Dimension,
        columns: &[
            req("item_id", Id),
            req_ref("skill_id", "skills", "skill_id"),
            opt("text", Text),
        ],
        key: &["item_id"],
        internal: false,
    },
    TableSpec {
        name: "resources",
        kind: Dimension,
        columns: &[
            req("resource_id", Id),
            req("kind", OneOf(RESOURCE_KINDS)),
            req("title", Text),
            opt("description", Text),
            opt_ref("skill_id", "skills", "skill_id"),
            opt("difficulty", Number { min: None }),
            opt("minutes", Number { min: Some(0.0) }),
        ],
        key: &["resource_id"],
        internal: false,
    },
    TableSpec {
        name: "responses",
        kind: Event,
        columns: &[
            req_ref("student_id", "students", "student_id"),
            req_ref("item_id", "items", "item_id"),
            req("time", Timestamp),
            req("correct", Flag01),
            opt("seconds", Number { min: Some(0.0) }),
            opt("attempt", Count { min: 1 }),
        ],
        key: &["student_id", "item_id", "time"],
        internal: false,
    },
    TableSpec {
        name: "views",
        kind: Event,
        columns: &[
            req_ref("student_id", "students", "student_id"),
            req_ref("resource_id", "resources", "resource_id"),
            req("time", Timestamp),
            req("watched_seconds", Number { min: Some(0.0) }),
            opt("completed", Bool),
        ],
        key: &["student_id", "resource_id", "time"],
        internal: false,
    },
    TableSpec {
        name: "navigation",
        kind: Event,
        columns: &[
            req_ref("student_id", "students", "student_id"),
            req("time", Timestamp),
            req("from_page", Text),
            req("to_page", Text),
        ],
        key: &["student_id", "time", "from_page", "to_page"],
        internal: false,
    },
    TableSpec {
        name: "searches",
        kind: Event,
        columns: &[
            req_ref("student_id", "students", "student_id"),
            req("time", Timestamp),
            req("query", Text),
        ],
        key: &["student_id", "time", "query"],
        internal: false,
    },
    TableSpec {
        name: "comments",
        kind: Event,
        columns: &[
            req("comment_id", Id),
            req_ref("student_id", "students", "student_id"),
            opt_ref("resource_id", "resources", "resource_id"),
            req("time", Timestamp),
            req("text", Text),
        ],
        key: &["comment_id"],
        internal: false,
    },
    TableSpec {
        name: "truth_term",
        kind: Event,
        columns: &[
            req("start_date", Date),
            req("weeks", Count { min: 1 }),
            req("seed", Count { min: 0 }),
        ],
        key: &["start_date", "weeks", "seed"],
        internal: true,
    },
    TableSpec {
        name: "truth_students",
        kind: Dimension,
        columns: &[
            req_ref("student_id", "students", "student_id"),
            req("general_ability", Number { min: None }),
            req("engagement", Number { min: Some(0.0) }),
            opt("disengaged_from_week", Count { min: 0 }),
        ],
        key: &["student_id"],
        internal: true,
    },
    TableSpec {
        name: "truth_abilities",
        kind: Dimension,
        columns: &[
            req_ref("student_id", "students", "student_id"),
            req_ref("skill_id", "skills", "skill_id"),
            req("theta_start", Number { min: None }),
            req("growth_per_week", Number { min: None }),
        ],
        key: &["student_id", "skill_id"],
        internal: true,
    },
    TableSpec {
        name: "truth_items",
        kind: Dimension,
        columns: &[
            req_ref("item_id", "items", "item_id"),
            req("a", Number { min: None }),
            req("b", Number { min: None }),
            req("misbehaving", Bool),
        ],
        key: &["item_id"],
        internal: true,
    },
    TableSpec {
        name: "truth_interests",
        kind: Dimension,
        columns: &[
            req_ref("student_id", "students", "student_id"),
            req("theme", Id),
            req("weight", Number { min: Some(0.0) }),
        ],
        key: &["student_id", "theme"],
        internal: true,
    },
    TableSpec {
        name: "truth_resources",
        kind: Dimension,
        columns: &[
            req_ref("resource_id", "resources", "resource_id"),
            opt("theme", Id),
        ],
        key: &["resource_id"],
        internal: true,
    },
    TableSpec {
        name: "truth_comments",
        kind: Dimension,
        columns: &[
            req_ref("comment_id", "comments", "comment_id"),
            req("sentiment", OneOf(SENTIMENTS)),
            opt_ref("skill_id", "skills", "skill_id"),
            req("language", Id),
            req("mentions_topic", Bool),
            opt("meaning", Text),
        ],
        key: &["comment_id"],
        internal: true,
    },
    TableSpec {
        name: "truth_searches",
        kind: Event,
        columns: &[
            req_ref("student_id", "students", "student_id"),
            req("time", Timestamp),
            req("query", Text),
            opt_ref("skill_id", "skills", "skill_id"),
            opt("theme", Id),
        ],
        key: &["student_id", "time", "query"],
        internal: true,
    },
];

pub fn table(name: &str) -> Option<&'static TableSpec> {
    TABLES.iter().find(|t| t.name == name)
}

/// The table a file feeds, from its name: `responses.csv`, `responses-week3.csv`,
/// `responses_2026.parquet` all feed `responses`. The longest table name wins, so
/// `skill_prereqs.csv` is not read as `skills`.
pub fn table_for_file_stem(stem: &str, allow_internal: bool) -> Option<&'static TableSpec> {
    let stem = stem.to_ascii_lowercase();
    TABLES
        .iter()
        .filter(|t| allow_internal || !t.internal)
        .filter(|t| {
            stem == t.name
                || stem
                    .strip_prefix(t.name)
                    .is_some_and(|rest| rest.starts_with(['-', '_', '.', ' ']))
        })
        .max_by_key(|t| t.name.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_stems_pick_the_longest_matching_table() {
        let name = |s| table_for_file_stem(s, false).map(|t| t.name);
        assert_eq!(name("responses"), Some("responses"));
        assert_eq!(name("Responses-week3"), Some("responses"));
        assert_eq!(name("skill_prereqs"), Some("skill_prereqs"));
        assert_eq!(name("skills_2026"), Some("skills"));
        assert_eq!(name("responsesx"), None);
        assert_eq!(name("truth_items"), None);
        assert_eq!(
            table_for_file_stem("truth_items", true).map(|t| t.name),
            Some("truth_items")
        );
    }

    #[test]
    fn references_point_to_earlier_tables() {
        for (i, t) in TABLES.iter().enumerate() {
            for c in t.columns {
                if let Some((target, column)) = c.references {
                    let j = TABLES.iter().position(|u| u.name == target);
                    assert!(
                        j.is_some_and(|j| j <= i),
                        "{}.{} -> {target}",
                        t.name,
                        c.name
                    );
                    assert!(table(target).and_then(|u| u.column(column)).is_some());
                }
            }
            for k in t.key {
                assert!(
                    t.column(k).is_some_and(|c| c.required),
                    "{} key {k}",
                    t.name
                );
            }
        }
    }
}
