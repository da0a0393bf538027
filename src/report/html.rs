//! The HTML report: one self-contained file per class (inline SVG and CSS,
//! no script, nothing fetched), readable on a phone and printed one student
//! per page.

use std::fmt::Write;

use super::charts::Chart;
use super::model::{ClassReport, StudentPage};
use super::privacy::MIN_GROUP;
use super::{Options, ReportError, slug};

const STYLE: &str = r#"
:root { --ink: #222; --muted: #5b6270; --line: #d8dce3; --accent: #0072b2; --warn: #b45309; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif;
       color: var(--ink); margin: 0 auto; max-width: 1040px; padding: 1.5rem; }
h1 { font-size: 1.7rem; margin: 0 0 .2rem; }
h2 { font-size: 1.3rem; border-bottom: 2px solid var(--line); padding-bottom: .2rem; margin-top: 2rem; }
h3 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; }
.meta, figcaption, .note { color: var(--muted); font-size: .9rem; }
.privacy { background: #eef6fb; border-left: 4px solid var(--accent); padding: .5rem .8rem; }
nav a { margin-right: 1rem; }
.cards { display: flex; flex-wrap: wrap; gap: .8rem; padding: 0; margin: 0; }
.cards div { border: 1px solid var(--line); border-radius: 6px; padding: .6rem .9rem; min-width: 9rem; }
.cards dt { color: var(--muted); font-size: .85rem; }
.cards dd { margin: 0; font-size: 1.4rem; font-weight: 600; }
.cards dd small { display: block; font-size: .8rem; font-weight: 400; color: var(--muted); }
figure { margin: 1rem 0 1.6rem; }
figure svg { max-width: 100%; height: auto; }
.legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .3rem 1rem; font-size: .85rem; }
.legend span { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; vertical-align: -1px; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; margin: .4rem 0 1rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.flag { color: var(--warn); font-weight: 600; }
.student { border-top: 3px solid var(--line); margin-top: 2rem; }
.reasons { color: var(--muted); font-size: .88rem; }
footer { margin-top: 3rem; color: var(--muted); font-size: .85rem; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  nav, .no-print { display: none; }
  a { color: inherit; text-decoration: none; }
  figure, table, .cards div { break-inside: avoid; }
  .student { break-before: page; border-top: none; }
  h2 { break-after: avoid; }
}
"#;

/// Text for HTML content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn head(out: &mut String, title: &str) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"classlens {}\">\n<title>{}</title>\n\
         <style>{STYLE}</style>\n</head>\n<body>\n",
        env!("CARGO_PKG_VERSION"),
        esc(title)
    );
}

fn num(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "—".into(), |v| format!("{v:.digits$}"))
}

fn percent(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |v| format!("{:.0}%", 100.0 * v))
}

fn privacy_note(report_pseudonymized: bool, comments: bool) -> String {
    if report_pseudonymized {
        format!(
            "<p class=\"privacy\">Pseudonymized: students appear under stable codes that only \
             the school's key maps back; figures over fewer than {MIN_GROUP} students are left \
             out; {}.</p>\n",
            if comments {
                "comments are included, with the class's names replaced by [name]"
            } else {
                "comment texts are not included"
            }
        )
    } else {
        "<p class=\"privacy\">Contains students' names and results: share it only with \
         people entitled to see them.</p>\n"
            .into()
    }
}

/// One class's report page; `back` links to the school index when given.
pub fn class_page(report: &ClassReport, back: Option<&str>) -> Result<String, ReportError> {
    let mut out = String::new();
    let title = format!("{} — class report", report.name);
    head(&mut out, &title);
    let _ = write!(out, "<header id=\"top\">\n<h1>{}</h1>\n", esc(&report.name));
    let mut meta = vec![format!("class {}", esc(&report.class_id))];
    if !report.grade.is_empty() {
        meta.push(format!("grade {}", esc(&report.grade)));
    }
    if let Some(t) = &report.teacher {
        meta.push(format!("teacher {}", esc(t)));
    }
    meta.push(esc(&report.period));
    let _ = writeln!(out, "<p class=\"meta\">{}</p>", meta.join(" · "));
    out.push_str(&privacy_note(
        report.pseudonymized,
        report.comments_included,
    ));
    if let Some(back) = back {
        let _ = writeln!(
            out,
            "<p class=\"no-print\"><a href=\"{}\">← all classes</a></p>",
            esc(back)
        );
    }
    out.push_str("</header>\n<nav class=\"no-print\">");
    let mut sections = vec![("summary", "Summary"), ("charts", "Charts")];
    if report.only.is_none() {
        sections.extend([("at-risk", "At risk"), ("roster", "Roster")]);
    }
    sections.push(("students", "Students"));
    for (id, name) in &sections {
        let _ = write!(out, "<a href=\"#{id}\">{name}</a>");
    }
    out.push_str("</nav>\n");

    out.push_str("<section id=\"summary\">\n<h2>Summary</h2>\n<dl class=\"cards\">\n");
    for f in &report.summary {
        let _ = writeln!(
            out,
            "<div><dt>{}</dt><dd>{}<small>{}</small></dd></div>",
            esc(&f.label),
            esc(&f.value),
            esc(&f.note)
        );
    }
    out.push_str("</dl>\n");
    if !report.missing.is_empty() {
        out.push_str("<ul class=\"note\" id=\"missing\">\n");
        for m in &report.missing {
            let _ = writeln!(out, "<li>{}</li>", esc(m));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");

    out.push_str("<section id=\"charts\">\n<h2>Charts</h2>\n");
    for chart in &report.charts {
        figure(&mut out, chart)?;
        if chart.id == "mastery" && !report.skill_legend.is_empty() {
            out.push_str("<ol class=\"legend\">");
            for (n, name) in &report.skill_legend {
                let _ = write!(out, "<li>{n}. {}</li>", esc(name));
            }
            out.push_str("</ol>\n");
        }
    }
    if report.charts.is_empty() {
        out.push_str("<p class=\"note\">No chart has data in this period.</p>\n");
    }
    out.push_str("</section>\n");

    if report.only.is_none() {
        out.push_str("<section id=\"at-risk\">\n<h2>At risk</h2>\n");
        if report.at_risk.is_empty() {
            out.push_str("<p>No student is flagged.</p>\n");
        } else {
            out.push_str(
                "<table>\n<thead><tr><th>Student</th><th>Why</th></tr></thead>\n<tbody>\n",
            );
            for s in &report.at_risk {
                let _ = writeln!(
                    out,
                    "<tr><td><a href=\"#{}\">{}</a></td><td>{}</td></tr>",
                    esc(&s.anchor),
                    esc(&s.name),
                    s.reasons
                        .iter()
                        .map(|r| esc(r))
                        .collect::<Vec<_>>()
                        .join("<br>")
                );
            }
            out.push_str("</tbody>\n</table>\n");
        }
        out.push_str("</section>\n");

        out.push_str("<section id=\"roster\">\n<h2>Roster</h2>\n<table>\n<thead><tr>");
        for (h, n) in [
            ("Student", false),
            ("Answers", true),
            ("Right", true),
            ("Minutes", true),
            ("Active weeks", true),
            ("Last active", false),
            ("Ability ± SD", true),
            ("At risk", true),
            ("Mood", true),
        ] {
            let _ = write!(out, "<th{}>{h}</th>", if n { " class=\"n\"" } else { "" });
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        for l in &report.roster {
            let ability = match (l.theta, l.sd) {
                (Some(t), Some(s)) => format!("{t:+.2} ± {s:.2}"),
                _ => "—".into(),
            };
            let _ = writeln!(
                out,
                "<tr><td><a href=\"#{}\">{}</a></td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
                 <td class=\"n\">{:.0}</td><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td>\
                 <td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&l.anchor),
                esc(&l.name),
                l.answers,
                percent(l.share_right),
                l.minutes,
                l.active_weeks,
                esc(l.last_active.as_deref().unwrap_or("—")),
                ability,
                if l.risk_rules > 0 {
                    format!("<span class=\"flag\">{}</span>", l.risk_rules)
                } else {
                    "0".into()
                },
                num(l.mood, 2)
            );
        }
        out.push_str("</tbody>\n</table>\n</section>\n");
    }

    out.push_str("<section id=\"students\">\n<h2>Students</h2>\n");
    for page in &report.pages {
        student(&mut out, page)?;
    }
    out.push_str("</section>\n");
    footer(&mut out);
    Ok(out)
}

fn figure(out: &mut String, chart: &Chart) -> Result<(), ReportError> {
    let _ = write!(
        out,
        "<figure id=\"chart-{}\" data-chart=\"{}\" data-marks=\"{}\">\n<h3>{}</h3>\n",
        esc(&chart.id),
        esc(&chart.id),
        chart.marks(),
        esc(&chart.title)
    );
    // Screen readers announce the chart by its title; the table says the rest.
    let svg = chart.svg()?;
    let labelled = svg.replacen(
        "<svg ",
        &format!("<svg role=\"img\" aria-label=\"{}\" ", esc(&chart.title)),
        1,
    );
    out.push_str(&labelled);
    if !chart.legend.is_empty() {
        out.push_str("\n<ul class=\"legend\">");
        for (label, c) in &chart.legend {
            let _ = write!(
                out,
                "<li><span style=\"background:#{:02x}{:02x}{:02x}\"></span>{}</li>",
                c.0,
                c.1,
                c.2,
                esc(label)
            );
        }
        out.push_str("</ul>");
    }
    let _ = writeln!(
        out,
        "\n<figcaption>{}</figcaption>\n</figure>",
        esc(&chart.caption)
    );
    Ok(())
}

fn student(out: &mut String, page: &StudentPage) -> Result<(), ReportError> {
    let l = &page.line;
    let _ = write!(
        out,
        "<article class=\"student\" id=\"{}\">\n<h2>{}</h2>\n",
        esc(&l.anchor),
        esc(&l.name)
    );
    let _ = writeln!(
        out,
        "<p class=\"meta\">{} answers, {} right · {:.0} minutes on task over {} active weeks · last active {}</p>",
        l.answers,
        percent(l.share_right),
        l.minutes,
        l.active_weeks,
        esc(l.last_active.as_deref().unwrap_or("never"))
    );
    if !page.risk.is_empty() {
        out.push_str("<h3 class=\"flag\">At risk</h3>\n<ul>");
        for r in &page.risk {
            let _ = write!(out, "<li>{}</li>", esc(r));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("<h3>Ability</h3>\n");
    if page.abilities.is_empty() {
        out.push_str("<p class=\"note\">No answers yet, so no estimate.</p>\n");
    } else {
        out.push_str(
            "<table class=\"abilities\">\n<thead><tr><th>Skill</th><th class=\"n\">Ability ± SD</th>\
             <th class=\"n\">Answers</th><th class=\"n\">Expected right</th><th>Why</th></tr></thead>\n<tbody>\n",
        );
        for a in &page.abilities {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td class=\"n\">{:+.2} ± {:.2}</td><td class=\"n\">{}</td>\
                 <td class=\"n\">{}</td><td>{}</td></tr>",
                esc(&a.skill),
                a.theta,
                a.sd,
                a.answered,
                percent(a.expected_right),
                esc(&a.explanation)
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    if let Some(chart) = &page.trajectory {
        figure(out, chart)?;
    }
    out.push_str("<h3>Interests</h3>\n");
    if page.interests.is_empty() {
        out.push_str("<p class=\"note\">Nothing written or searched that names a skill.</p>\n");
    } else {
        let _ = writeln!(
            out,
            "<p>{}</p>",
            page.interests
                .iter()
                .map(|i| esc(i))
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    out.push_str("<h3>Suggested next</h3>\n");
    if page.suggestions.is_empty() {
        out.push_str("<p class=\"note\">No suggestions yet.</p>\n");
    } else {
        out.push_str("<ol class=\"suggestions\">\n");
        for s in page.suggestions.iter().take(5) {
            let _ = writeln!(
                out,
                "<li><strong>{}</strong> ({}{}){}<br><span class=\"reasons\">{}</span></li>",
                esc(&s.title),
                esc(&s.kind),
                if s.skill.is_empty() {
                    String::new()
                } else {
                    format!(", {}", esc(&s.skill))
                },
                if s.pinned {
                    " · pinned by the teacher"
                } else {
                    ""
                },
                esc(&s.reasons.join("; "))
            );
        }
        out.push_str("</ol>\n");
    }
    if !page.path.is_empty() {
        out.push_str("<h3>Learning path</h3>\n<ol class=\"path\">\n");
        for s in &page.path {
            let _ = writeln!(
                out,
                "<li>{} — {}{}</li>",
                esc(&s.skill),
                esc(&s.why),
                s.resource
                    .as_ref()
                    .map(|r| format!(": <em>{}</em>", esc(r)))
                    .unwrap_or_default()
            );
        }
        out.push_str("</ol>\n");
    }
    if !page.comments.is_empty() {
        out.push_str("<h3>Comments</h3>\n<ul class=\"comments\">\n");
        for c in &page.comments {
            let _ = writeln!(
                out,
                "<li><span class=\"meta\">{}{}{}</span><br>{}</li>",
                esc(c.time.get(..10).unwrap_or(&c.time)),
                if c.resource.is_empty() {
                    String::new()
                } else {
                    format!(" on {}", esc(&c.resource))
                },
                c.sentiment
                    .as_ref()
                    .map(|s| format!(" · {}", esc(s)))
                    .unwrap_or_default(),
                match c.language.as_deref() {
                    // The page is `lang="en"`; only other languages need saying.
                    Some(lang) if lang != "en" && lang != "und" => {
                        format!("<span lang=\"{}\">{}</span>", esc(lang), esc(&c.text))
                    }
                    _ => esc(&c.text),
                }
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</article>\n");
    Ok(())
}

fn footer(out: &mut String) {
    out.push_str(
        "<footer>\n<p>Abilities are item response theory (2PL) estimates per skill, in logits: \
         0 is the school's average, ±1 SD is about a 68% interval. Mastery is the expected share \
         right on the skill's items. Moods are the encoder's calibrated sentiment. Made by \
         classlens from the school's own data, offline.</p>\n</footer>\n</body>\n</html>\n",
    );
}

/// The school report's index: one line per class, linking its report.
pub fn school_index(
    reports: &[ClassReport],
    skipped: &[(String, String)],
    options: &Options,
) -> String {
    let mut out = String::new();
    head(&mut out, "School report");
    out.push_str("<header id=\"top\">\n<h1>School report</h1>\n");
    let as_of = reports.iter().filter_map(|r| r.as_of.as_deref()).max();
    let _ = writeln!(
        out,
        "<p class=\"meta\">{} classes, {} students{}{}</p>",
        reports.len(),
        reports.iter().map(|r| r.students).sum::<usize>(),
        as_of
            .map(|d| format!(" · data to {}", esc(d.get(..10).unwrap_or(d))))
            .unwrap_or_default(),
        options
            .since
            .as_ref()
            .map(|d| format!(" · activity from the week of {}", esc(d)))
            .unwrap_or_default()
    );
    out.push_str(&privacy_note(
        options.pseudonymize,
        options.include_comments,
    ));
    out.push_str("</header>\n<section id=\"classes\">\n<h2>Classes</h2>\n<table>\n<thead><tr>\
        <th>Class</th><th class=\"n\">Students</th><th class=\"n\">Answers</th><th class=\"n\">Right</th>\
        <th class=\"n\">Mean ability</th><th class=\"n\">At risk</th></tr></thead>\n<tbody>\n");
    for r in reports {
        let k = &r.key_figures;
        let _ = writeln!(
            out,
            "<tr><td><a href=\"{}.html\">{}</a> <span class=\"meta\">{}</span></td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td></tr>",
            esc(&slug(&r.class_id)),
            esc(&r.name),
            esc(&r.class_id),
            r.students,
            k.answers.map_or_else(|| "—".into(), |a| a.to_string()),
            percent(k.share_right),
            k.mean_ability
                .map_or_else(|| "—".into(), |m| format!("{m:+.2}")),
            k.at_risk.map_or_else(|| "—".into(), |a| a.to_string()),
        );
    }
    out.push_str("</tbody>\n</table>\n");
    if reports.iter().any(|r| r.key_figures.suppressed) {
        let _ = writeln!(
            out,
            "<p class=\"note\">— : not shown for classes of fewer than {MIN_GROUP} students.</p>"
        );
    }
    if !skipped.is_empty() {
        out.push_str("<h3>Not reported</h3>\n<ul>\n");
        for (class, why) in skipped {
            let _ = writeln!(out, "<li>{}: {}</li>", esc(class), esc(why));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
    footer(&mut out);
    out
}
