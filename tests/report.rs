//! Class reports on an analysed demo school (real DuckDB, real model): the HTML
//! parsed as a browser would, every chart's marks counted against the data,
//! the CSV and Parquet tables read back, pseudonymization checked byte by
//! byte, small groups suppressed, owner-only files, and clear refusals.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{analyze, classlens_at, every_file, query_i64, succeeded};
use scraper::{Html, Selector};

/// A 150-student demo (five classes), built and analysed once; tests that
/// change it work on a copy.
fn demo() -> &'static Path {
    static DB: OnceLock<PathBuf> = OnceLock::new();
    DB.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let db = dir.join("demo.duckdb");
        succeeded(classlens_at(
            &db,
            &["demo", "--no-tui", "--students", "150"],
        ));
        analyze(&db);
        db
    })
}

fn copy_of_demo(dir: &Path) -> PathBuf {
    let db = dir.join("demo.duckdb");
    std::fs::copy(demo(), &db).unwrap();
    db
}

fn report(db: &Path, out: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["report", "--out", out.to_str().unwrap()];
    all.extend(args);
    classlens_at(db, &all)
}

fn sel(css: &str) -> Selector {
    Selector::parse(css).unwrap()
}

fn parse(path: &Path) -> Html {
    Html::parse_document(&std::fs::read_to_string(path).unwrap())
}

fn count(doc: &Html, css: &str) -> usize {
    doc.select(&sel(css)).count()
}

/// Marks of one kind inside a chart's SVG.
fn marks(doc: &Html, chart: &str, mark: &str) -> usize {
    count(doc, &format!("figure#chart-{chart} svg {mark}"))
}

fn sql(db: &Path, query: &str) -> usize {
    query_i64(db, query) as usize
}

fn csv_rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn class_report_has_its_sections_and_every_chart_has_one_mark_per_data_point() {
    let db = demo();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    succeeded(report(
        db,
        &out,
        &["--class", "c01", "--format", "html,csv,svg,png"],
    ));
    let html = out.join("c01.html");
    let doc = parse(&html);

    for id in ["summary", "charts", "at-risk", "roster", "students"] {
        assert_eq!(count(&doc, &format!("section#{id}")), 1, "section {id}");
    }
    let class = "(SELECT student_id FROM students WHERE class_id = 'c01')";
    let students = sql(db, "SELECT count(*) FROM students WHERE class_id = 'c01'");
    assert_eq!(count(&doc, "section#roster tbody tr"), students);
    assert_eq!(count(&doc, "section#students article.student"), students);
    let flagged = sql(
        db,
        &format!("SELECT count(DISTINCT student_id) FROM risk_flags WHERE student_id IN {class}"),
    );
    assert_eq!(count(&doc, "section#at-risk tbody tr"), flagged);

    // Every chart is an inline SVG with one mark per data point.
    for chart in ["ability", "mastery", "engagement", "sentiment", "suggested"] {
        let svg: Vec<_> = doc
            .select(&sel(&format!("figure#chart-{chart} > svg")))
            .collect();
        assert_eq!(svg.len(), 1, "{chart}");
        assert_eq!(svg[0].value().attr("role"), Some("img"));
        assert!(
            svg[0]
                .value()
                .attr("aria-label")
                .is_some_and(|l| !l.is_empty())
        );
    }
    let with_ability = sql(
        db,
        &format!(
            "SELECT count(DISTINCT student_id) FROM ability_estimates WHERE student_id IN {class}"
        ),
    );
    assert_eq!(marks(&doc, "ability", "circle"), with_ability);
    assert_eq!(
        marks(&doc, "mastery", "rect"),
        sql(
            db,
            &format!("SELECT count(*) FROM ability_estimates WHERE student_id IN {class}")
        )
    );
    assert_eq!(
        marks(&doc, "engagement", "rect"),
        sql(
            db,
            &format!(
                "SELECT count(DISTINCT date_trunc('week', time)) FROM (
                    SELECT time FROM responses WHERE student_id IN {class}
                    UNION ALL SELECT time FROM views WHERE student_id IN {class})"
            )
        )
    );
    assert_eq!(
        marks(&doc, "sentiment", "circle"),
        sql(
            db,
            &format!(
                "SELECT count(DISTINCT date_trunc('week', c.time)) FROM comments c
                 JOIN comment_insights i USING (comment_id)
                 WHERE i.status = 'scored' AND c.student_id IN {class}"
            )
        )
    );
    assert_eq!(
        marks(&doc, "suggested", "rect"),
        sql(
            db,
            &format!(
                "SELECT least(count(DISTINCT resource_id), 10) FROM recommendations
                 WHERE student_id IN {class}"
            )
        )
    );
    // A student's trajectory: the points of their (at most six) skills with two weeks or more.
    let first = query_i64(
        db,
        "SELECT min(student_id)[2:]::BIGINT FROM students WHERE class_id = 'c01'",
    );
    let first_id = format!("s{first:06}");
    let expected = sql(
        db,
        &format!(
            "SELECT coalesce(sum(n), 0) FROM (
                SELECT count(*) AS n FROM mastery WHERE student_id = '{first_id}'
                GROUP BY skill_id HAVING count(*) >= 2 ORDER BY n DESC LIMIT 6)"
        ),
    );
    assert!(expected > 0);
    assert_eq!(
        marks(&doc, &format!("trajectory-{first_id}"), "circle"),
        expected
    );

    // Self-contained: no script, no external resource, only in-page or relative links.
    for tag in ["script", "link", "img", "iframe", "object", "embed"] {
        assert_eq!(count(&doc, tag), 0, "<{tag}> in a self-contained report");
    }
    for a in doc.select(&sel("a[href]")) {
        let href = a.value().attr("href").unwrap();
        assert!(href.starts_with('#') || href.ends_with(".html"), "{href}");
        assert!(!href.contains("://"), "{href}");
    }
    let style: String = doc
        .select(&sel("head style"))
        .map(|s| s.inner_html())
        .collect();
    assert!(style.contains("@media print") && style.contains("break-before: page"));

    // The per-student page: the ability table explains every estimate.
    let page = doc.select(&sel("article#student-1")).next().unwrap();
    let skills_answered = sql(
        db,
        "SELECT count(*) FROM ability_estimates WHERE student_id = (
            SELECT student_id FROM students WHERE class_id = 'c01'
            ORDER BY display_name, student_id LIMIT 1)",
    );
    let rows: Vec<_> = page.select(&sel("table.abilities tbody tr")).collect();
    assert_eq!(rows.len(), skills_answered);
    for row in rows {
        let why = row
            .select(&sel("td"))
            .last()
            .unwrap()
            .text()
            .collect::<String>();
        assert!(why.contains("answers"), "an explanation: {why}");
    }
    assert!(page.select(&sel("ol.suggestions li")).count() > 0);

    // SVG and PNG files for every chart, owner-only like every file.
    let charts = out.join("c01/charts");
    for chart in ["ability", "mastery", "engagement", "sentiment", "suggested"] {
        let svg = std::fs::read_to_string(charts.join(format!("{chart}.svg"))).unwrap();
        assert!(svg.starts_with("<svg"));
        let png = image::open(charts.join(format!("{chart}.png"))).unwrap();
        assert!(png.width() >= 500 && png.height() >= 200);
    }
    #[cfg(unix)]
    {
        for file in every_file(&out) {
            assert_eq!(mode(&file), 0o600, "{}", file.display());
        }
        assert_eq!(mode(&out), 0o700);
        assert_eq!(mode(&charts), 0o700);
    }
}

#[test]
fn csv_and_parquet_tables_hold_the_figures_behind_the_charts() {
    let db = demo();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    succeeded(report(
        db,
        &out,
        &["--class", "c02", "--format", "csv,parquet"],
    ));
    assert!(!out.join("c02.html").exists(), "html was not asked for");
    let data = out.join("c02/data");

    // Abilities as stored, to the sixth decimal.
    let mastery = csv_rows(&data.join("mastery.csv"));
    let class = "(SELECT student_id FROM students WHERE class_id = 'c02')";
    assert_eq!(
        mastery.len(),
        sql(
            db,
            &format!("SELECT count(*) FROM ability_estimates WHERE student_id IN {class}")
        )
    );
    let sum: f64 = mastery
        .iter()
        .map(|r| r["ability"].parse::<f64>().unwrap())
        .sum();
    let stored = common::query_f64(
        db,
        &format!("SELECT sum(theta) FROM ability_estimates WHERE student_id IN {class}"),
    );
    assert!(
        (sum - stored).abs() < 1e-6 * mastery.len() as f64,
        "{sum} vs {stored}"
    );

    // Answers per week, as counted from the raw answers.
    let engagement = csv_rows(&data.join("engagement.csv"));
    let answers: i64 = engagement
        .iter()
        .map(|r| r["answers"].parse::<i64>().unwrap())
        .sum();
    assert_eq!(
        answers,
        query_i64(
            db,
            &format!("SELECT count(*) FROM responses WHERE student_id IN {class}")
        )
    );
    assert!(engagement.iter().all(|r| r["suppressed"] == "false"));

    // The roster: one row per student, ids as stored.
    let roster = csv_rows(&data.join("roster.csv"));
    assert_eq!(
        roster.len(),
        sql(db, "SELECT count(*) FROM students WHERE class_id = 'c02'")
    );
    for row in &roster {
        let id = &row["student"];
        assert_eq!(
            row["answers"].parse::<i64>().unwrap(),
            query_i64(
                db,
                &format!("SELECT count(*) FROM responses WHERE student_id = '{id}'")
            )
        );
    }

    // Each Parquet file holds the same rows as its CSV, typed.
    let conn = duckdb::Connection::open_in_memory().unwrap();
    for table in [
        "roster",
        "mastery",
        "engagement",
        "sentiment",
        "suggested",
        "ability",
        "trajectories",
    ] {
        let csv = csv_rows(&data.join(format!("{table}.csv")));
        let parquet = data.join(format!("{table}.parquet"));
        let n: i64 = conn
            .query_row(
                &format!("SELECT count(*) FROM read_parquet('{}')", parquet.display()),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n as usize, csv.len(), "{table}");
    }
    let typed: f64 = conn
        .query_row(
            &format!(
                "SELECT sum(ability) FROM read_parquet('{}')",
                data.join("mastery.parquet").display()
            ),
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!((typed - stored).abs() < 1e-9, "{typed} vs {stored}");
}

/// Every real name, id and teacher of the school, none of which may appear.
fn identities(db: &Path) -> Vec<String> {
    let conn = duckdb::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT student_id FROM students UNION ALL SELECT display_name FROM students
             UNION ALL SELECT external_id FROM students WHERE external_id IS NOT NULL
             UNION ALL SELECT teacher FROM classes WHERE teacher IS NOT NULL",
        )
        .unwrap();
    stmt.query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn pseudonymized_reports_hold_no_real_name_or_id_and_keep_pseudonyms_stable() {
    let dir = tempfile::tempdir().unwrap();
    let db = copy_of_demo(dir.path());
    // A comment that names classmates, to be scrubbed.
    let (a, b): (String, String) = {
        let conn = duckdb::Connection::open(&db).unwrap();
        let names = conn
            .query_row(
                "SELECT min(display_name), max(display_name) FROM students WHERE class_id = 'c01'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        conn.execute(
            "INSERT INTO comments SELECT 'named', min(student_id), NULL, TIMESTAMP '2026-03-02 10:00',
             ? FROM students WHERE class_id = 'c01'",
            [format!("I worked with {} and {} on this", names.0, names.1)],
        )
        .unwrap();
        names
    };
    let out1 = dir.path().join("one");
    let all = [
        "--pseudonymize",
        "--include-comments",
        "--format",
        "html,csv,parquet,svg,png",
    ];
    succeeded(report(&db, &out1, &all));
    let out2 = dir.path().join("two");
    succeeded(report(&db, &out2, &["--pseudonymize", "--class", "c01"]));

    let secrets = identities(&db);
    assert!(secrets.contains(&a) && secrets.contains(&b));
    let files = every_file(&out1);
    assert!(files.len() > 100, "{} files", files.len());
    for file in files.iter().chain(every_file(&out2).iter()) {
        let bytes = std::fs::read(file).unwrap();
        let name = file.to_string_lossy();
        for secret in &secrets {
            assert!(
                !name.contains(secret.as_str()),
                "{secret} in the name {name}"
            );
            let needle = secret.as_bytes();
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "{secret:?} in {}",
                file.display()
            );
        }
    }
    // The comment is there, its names replaced.
    let c01 = std::fs::read_to_string(out1.join("c01.html")).unwrap();
    assert!(c01.contains("I worked with [name] and [name] on this"));

    // The same students under the same pseudonyms in both reports.
    let one = csv_rows(&out1.join("c01/data/roster.csv"));
    let two = csv_rows(&out2.join("c01/data/roster.csv"));
    let keys = |rows: &[BTreeMap<String, String>]| -> Vec<(String, String)> {
        let mut k: Vec<_> = rows
            .iter()
            .map(|r| (r["student"].clone(), r["answers"].clone()))
            .collect();
        k.sort();
        k
    };
    assert_eq!(keys(&one), keys(&two));
    assert!(one.iter().all(|r| r["student"].starts_with("S-")));
    #[cfg(unix)]
    assert_eq!(mode(&dir.path().join("demo.duckdb.report-key")), 0o600);
}

#[test]
fn figures_over_fewer_than_five_students_are_suppressed_when_pseudonymized() {
    let dir = tempfile::tempdir().unwrap();
    let db = copy_of_demo(dir.path());
    {
        let conn = duckdb::Connection::open(&db).unwrap();
        conn.execute_batch(
            "INSERT INTO classes VALUES ('tiny', 'Tiny group', '7', 'Ms Small');
             UPDATE students SET class_id = 'tiny' WHERE student_id IN (
                SELECT student_id FROM students WHERE class_id = 'c03' ORDER BY student_id LIMIT 3);",
        )
        .unwrap();
    }
    let out = dir.path().join("out");
    succeeded(report(&db, &out, &["--class", "tiny", "--pseudonymize"]));
    let doc = parse(&out.join("tiny.html"));
    let cards: Vec<String> = doc
        .select(&sel("section#summary dd"))
        .map(|d| d.text().collect())
        .collect();
    // Students is a count of the class itself; every figure over them is withheld.
    assert!(cards[0].starts_with('3'));
    for card in &cards[1..] {
        assert!(card.starts_with('—'), "{card}");
        assert!(card.contains("fewer than 5"), "{card}");
    }
    let data = out.join("tiny/data");
    let engagement = csv_rows(&data.join("engagement.csv"));
    assert!(!engagement.is_empty());
    assert!(
        engagement
            .iter()
            .all(|r| r["suppressed"] == "true" && r["answers"].is_empty())
    );
    assert!(
        csv_rows(&data.join("suggested.csv"))
            .iter()
            .all(|r| r["students"].is_empty())
    );
    assert_eq!(count(&doc, "figure#chart-engagement"), 0);
    // Each student's own page is still there, under a pseudonym.
    assert_eq!(count(&doc, "article.student"), 3);

    // Named (the teacher's own report), the same class shows its figures.
    let named = dir.path().join("named");
    succeeded(report(&db, &named, &["--class", "tiny"]));
    let engagement = csv_rows(&named.join("tiny/data/engagement.csv"));
    assert!(
        engagement
            .iter()
            .all(|r| r["suppressed"] == "false" && !r["answers"].is_empty())
    );
}

#[test]
fn a_class_with_nothing_to_report_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let db = copy_of_demo(dir.path());
    {
        let conn = duckdb::Connection::open(&db).unwrap();
        conn.execute_batch(
            "INSERT INTO classes VALUES ('empty', 'Empty', '7', 'Mr Nobody');
             INSERT INTO classes VALUES ('quiet', 'Quiet', '7', 'Ms Quiet');
             INSERT INTO students VALUES ('q1', 'quiet', 'Quinn One', NULL), ('q2', 'quiet', 'Quinn Two', NULL);",
        )
        .unwrap();
    }
    for (class, why) in [
        (
            "empty",
            "class \"empty\" has nothing to report: it has no students",
        ),
        ("quiet", "its 2 students have no answers, views or comments"),
        ("nope", "no class \"nope\""),
    ] {
        let out = dir.path().join(class);
        let run = report(&db, &out, &["--class", class]);
        assert!(!run.status.success());
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(stderr.contains(why), "{stderr}");
        assert!(!out.exists(), "nothing is written for a refused report");
    }
    // A date that is not one.
    let run = report(
        &db,
        &dir.path().join("x"),
        &["--class", "c01", "--since", "2026-13-01"],
    );
    assert!(String::from_utf8_lossy(&run.stderr).contains("is not a date as YYYY-MM-DD"));

    // The school report says which classes it left out, and why.
    let out = dir.path().join("school");
    let run = succeeded(report(&db, &out, &["--json"]));
    let written: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let skipped: Vec<&str> = written["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s[0].as_str().unwrap())
        .collect();
    assert_eq!(skipped, ["empty", "quiet"]);
    let index = parse(&out.join("index.html"));
    let links: Vec<String> = index
        .select(&sel("section#classes tbody a"))
        .map(|a| a.value().attr("href").unwrap().to_string())
        .collect();
    assert_eq!(links.len(), 5);
    for link in &links {
        assert!(out.join(link).is_file(), "{link}");
    }
    // The school reads its classes together; each reads the same as alone.
    let alone = dir.path().join("alone");
    succeeded(report(&db, &alone, &["--class", "c03"]));
    for table in [
        "roster",
        "mastery",
        "engagement",
        "sentiment",
        "suggested",
        "trajectories",
        "at_risk",
    ] {
        let file = format!("c03/data/{table}.csv");
        assert_eq!(
            std::fs::read(out.join(&file)).unwrap(),
            std::fs::read(alone.join(&file)).unwrap(),
            "{table}"
        );
    }
}

#[test]
fn a_student_report_shows_that_student_and_nobody_else() {
    let db = demo();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let run = succeeded(report(
        db,
        &out,
        &["--student", "s000002", "--since", "2026-04-01"],
    ));
    let main = String::from_utf8_lossy(&run.stdout).trim().to_string();
    assert!(main.ends_with("-s000002.html"), "{main}");
    let text = std::fs::read_to_string(&main).unwrap();
    let doc = Html::parse_document(&text);
    assert_eq!(count(&doc, "article.student"), 1);
    assert_eq!(count(&doc, "section#roster"), 0);
    assert_eq!(count(&doc, "figure#chart-ability"), 0);
    assert_eq!(count(&doc, "figure#chart-mastery"), 0);
    let class: String = common::query_string(
        db,
        "SELECT class_id FROM students WHERE student_id = 's000002'",
    );
    let conn = duckdb::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT student_id, display_name FROM students WHERE class_id = ? AND student_id <> 's000002'")
        .unwrap();
    let others: Vec<(String, String)> = stmt
        .query_map([&class], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(others.len() > 10);
    for (id, name) in &others {
        assert!(
            !text.contains(id.as_str()) && !text.contains(name.as_str()),
            "{id} {name}"
        );
    }
    // --since: the weeks before it are left out of the activity.
    let stem = Path::new(&main)
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .to_string();
    let weeks = csv_rows(&out.join(&stem).join("data/engagement.csv"));
    assert!(!weeks.is_empty());
    assert!(
        weeks.iter().all(|w| w["week"].as_str() >= "2026-03-30"),
        "{weeks:?}"
    );
}

#[test]
fn before_analyze_the_report_shows_what_exists_and_says_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("school.duckdb");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/dashboard-school");
    succeeded(classlens_at(&db, &["ingest", fixture.to_str().unwrap()]));
    let out = dir.path().join("out");
    succeeded(report(&db, &out, &["--class", "c01"]));
    let doc = parse(&out.join("c01.html"));
    let charts: Vec<&str> = doc
        .select(&sel("section#charts figure"))
        .map(|f| f.value().attr("data-chart").unwrap())
        .collect();
    assert_eq!(charts, ["engagement"]);
    let missing: String = doc
        .select(&sel("ul#missing"))
        .map(|u| u.text().collect::<String>())
        .collect();
    for said in [
        "Abilities are not fitted yet",
        "No scored comments",
        "No suggestions yet",
    ] {
        assert!(missing.contains(said), "{missing}");
    }
    assert!(missing.contains("classlens analyze"));
    assert_eq!(
        count(&doc, "section#roster tbody tr"),
        sql(&db, "SELECT count(*) FROM students WHERE class_id = 'c01'")
    );
}
