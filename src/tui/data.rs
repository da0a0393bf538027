//! What the views show, shaped from the store's rows once when they arrive, so
//! that drawing a frame and answering a key only index and slice.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use crate::store::ability::ItemAnalysis;
use crate::store::dashboard::{
    ClassActivity, ClassInfo, DataSpan, Prerequisite, ResourceUse, SkillClassRate, SkillInfo,
    StudentActivity,
};

/// Weeks in a roster's trend column.
pub const TREND_WEEKS: usize = 4;

/// Students are "active this week" when they did something in the last 7 days of data.
const ACTIVE_DAYS: i32 = 7;

#[derive(Debug, Clone)]
pub struct StudentRow {
    pub student_id: String,
    pub name: String,
    pub class_id: String,
    pub class_index: usize,
    pub responses: u64,
    pub correct_rate: Option<f64>,
    pub minutes_watched: f64,
    pub minutes_on_task: f64,
    pub last_active: Option<String>,
    pub idle_days: Option<i32>,
    /// Answers in each of the last TREND_WEEKS weeks, oldest first.
    pub trend: [u64; TREND_WEEKS],
    /// Mean P(positive) - P(negative) of their scored comments, -1..1.
    pub mood: Option<f64>,
    /// Mean ability over their skills; at-risk rules fired (None before the ability stage).
    pub ability: Option<f64>,
    pub risk: Option<u32>,
    /// Lower-case name and id, for filtering without allocating per key press.
    pub search_key: String,
    /// Place in the whole school sorted by `search_key`: sorting by name, and
    /// breaking ties by name, compare two integers instead of two strings.
    pub name_rank: u32,
}

impl StudentRow {
    pub fn recent_responses(&self) -> u64 {
        self.trend.iter().sum()
    }

    pub fn active_this_week(&self) -> bool {
        self.idle_days.is_some_and(|d| d < ACTIVE_DAYS)
    }
}

#[derive(Debug, Clone)]
pub struct ClassRow {
    pub class_id: String,
    pub name: String,
    pub teacher: String,
    pub students: usize,
    pub active_this_week: usize,
    pub responses: u64,
    pub correct: u64,
    pub minutes_on_task: f64,
    /// Answers per week over the whole span of the data.
    pub weekly: Vec<u64>,
}

impl ClassRow {
    pub fn correct_rate(&self) -> Option<f64> {
        (self.responses > 0).then(|| self.correct as f64 / self.responses as f64)
    }
}

/// The school as the class list needs it.
#[derive(Debug, Clone, Default)]
pub struct School {
    pub span: DataSpan,
    pub classes: Vec<ClassRow>,
    /// Every class summed: the whole school as one row.
    pub total: Option<ClassRow>,
}

impl School {
    pub fn new(span: DataSpan, activity: Vec<ClassActivity>) -> School {
        let weeks = span.weeks as usize;
        let classes: Vec<ClassRow> = activity
            .into_iter()
            .map(|a| ClassRow {
                weekly: spread_weeks(&a.weekly_responses, weeks),
                class_id: a.class_id,
                name: a.name,
                teacher: a.teacher,
                students: a.students as usize,
                active_this_week: a.active_this_week as usize,
                responses: a.responses,
                correct: a.correct,
                minutes_on_task: a.minutes_on_task,
            })
            .collect();
        let total = (!classes.is_empty()).then(|| {
            let mut total = ClassRow {
                class_id: String::new(),
                name: "Whole school".into(),
                teacher: format!("{} classes", classes.len()),
                students: 0,
                active_this_week: 0,
                responses: 0,
                correct: 0,
                minutes_on_task: 0.0,
                weekly: vec![0; weeks],
            };
            for r in &classes {
                total.students += r.students;
                total.active_this_week += r.active_this_week;
                total.responses += r.responses;
                total.correct += r.correct;
                total.minutes_on_task += r.minutes_on_task;
                for (t, w) in total.weekly.iter_mut().zip(&r.weekly) {
                    *t += w;
                }
            }
            total
        });
        School {
            span,
            classes,
            total,
        }
    }

    /// The rows of the class list: every class, then the whole school.
    pub fn class_list_len(&self) -> usize {
        self.classes.len() + usize::from(self.total.is_some())
    }

    pub fn class_list_row(&self, index: usize) -> Option<&ClassRow> {
        self.classes.get(index).or_else(|| {
            (index == self.classes.len())
                .then_some(self.total.as_ref())
                .flatten()
        })
    }

    /// Roster rows for every student, their class looked up once.
    pub fn student_rows(&self, activity: Vec<StudentActivity>) -> Vec<StudentRow> {
        let weeks = self.span.weeks as usize;
        let class_index: HashMap<&str, usize> = self
            .classes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.class_id.as_str(), i))
            .collect();
        let mut rows = activity
            .into_iter()
            .filter_map(|a| {
                let class_index = *class_index.get(a.class_id.as_str())?;
                let mut trend = [0; TREND_WEEKS];
                for &(week, n) in &a.weekly_responses {
                    if let Some(back) = weeks.checked_sub(week as usize + 1)
                        && back < TREND_WEEKS
                    {
                        trend[TREND_WEEKS - 1 - back] += n;
                    }
                }
                Some(StudentRow {
                    search_key: format!("{} {}", a.display_name, a.student_id).to_lowercase(),
                    student_id: a.student_id,
                    name: a.display_name,
                    class_id: a.class_id,
                    class_index,
                    responses: a.responses,
                    correct_rate: (a.responses > 0).then(|| a.correct as f64 / a.responses as f64),
                    minutes_watched: a.watched_seconds / 60.0,
                    minutes_on_task: (a.answer_seconds + a.watched_seconds) / 60.0,
                    last_active: a.last_active,
                    idle_days: a.idle_days,
                    trend,
                    mood: a.mood,
                    ability: a.ability,
                    risk: a.risk,
                    name_rank: 0,
                })
            })
            .collect::<Vec<_>>();
        let mut by_name: Vec<usize> = (0..rows.len()).collect();
        by_name.sort_by(|&a, &b| rows[a].search_key.cmp(&rows[b].search_key));
        for (rank, i) in by_name.into_iter().enumerate() {
            rows[i].name_rank = rank as u32;
        }
        rows
    }
}

/// Sparse (week, answers) pairs as one count per week of the span.
fn spread_weeks(pairs: &[(u32, u64)], weeks: usize) -> Vec<u64> {
    let mut out = vec![0; weeks];
    for &(week, n) in pairs {
        if let Some(slot) = out.get_mut(week as usize) {
            *slot += n;
        }
    }
    out
}

/// Which students a roster shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Class(usize),
    School,
}

/// The roster's columns; ability and risk are empty until the ability stage ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RosterColumn {
    Name,
    Responses,
    Correct,
    Minutes,
    LastActive,
    Trend,
    Ability,
    Sentiment,
    AtRisk,
}

impl RosterColumn {
    pub const ALL: [RosterColumn; 9] = [
        RosterColumn::Name,
        RosterColumn::Responses,
        RosterColumn::Correct,
        RosterColumn::Minutes,
        RosterColumn::LastActive,
        RosterColumn::Trend,
        RosterColumn::Ability,
        RosterColumn::Sentiment,
        RosterColumn::AtRisk,
    ];

    pub fn title(self) -> &'static str {
        match self {
            RosterColumn::Name => "Name",
            RosterColumn::Responses => "Answers",
            RosterColumn::Correct => "Correct",
            RosterColumn::Minutes => "Watched",
            RosterColumn::LastActive => "Last active",
            RosterColumn::Trend => "4 wk",
            RosterColumn::Ability => "Ability",
            RosterColumn::Sentiment => "Mood",
            RosterColumn::AtRisk => "Risk",
        }
    }

    /// Numbers are right-aligned, header and all.
    pub fn is_number(self) -> bool {
        matches!(
            self,
            RosterColumn::Responses
                | RosterColumn::Correct
                | RosterColumn::Minutes
                | RosterColumn::Ability
                | RosterColumn::Sentiment
                | RosterColumn::AtRisk
        )
    }

    /// What the distribution chart is titled for this column.
    pub fn meaning(self) -> &'static str {
        match self {
            RosterColumn::Name => "name",
            RosterColumn::Responses => "answers given",
            RosterColumn::Correct => "percent correct",
            RosterColumn::Minutes => "minutes watched",
            RosterColumn::LastActive => "days since last active",
            RosterColumn::Trend => "answers in the last 4 weeks",
            RosterColumn::Ability => "mean ability over skills",
            RosterColumn::Sentiment => "comment mood, -1 to +1",
            RosterColumn::AtRisk => "at-risk rules fired",
        }
    }

    /// The number the column sorts and charts by.
    pub fn value(self, s: &StudentRow) -> Option<f64> {
        match self {
            RosterColumn::Name => None,
            RosterColumn::Responses => Some(s.responses as f64),
            RosterColumn::Correct => s.correct_rate.map(|r| r * 100.0),
            RosterColumn::Minutes => Some(s.minutes_watched),
            RosterColumn::LastActive => s.idle_days.map(f64::from),
            RosterColumn::Trend => Some(s.recent_responses() as f64),
            RosterColumn::Sentiment => s.mood,
            RosterColumn::Ability => s.ability,
            RosterColumn::AtRisk => s.risk.map(f64::from),
        }
    }

    /// The first direction a column sorts in: the students who need a look come
    /// first (fewest answers, lowest share correct, longest idle, most at risk).
    pub fn descending_first(self) -> bool {
        matches!(self, RosterColumn::LastActive | RosterColumn::AtRisk)
    }
}

/// A sorted, filtered view of rows: indexes into the data, never copies of it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Listing {
    pub order: Vec<u32>,
    pub selected: usize,
    pub sort: usize,
    pub descending: bool,
    pub filter: String,
}

impl Listing {
    pub fn selected_index(&self) -> Option<usize> {
        self.order.get(self.selected).map(|&i| i as usize)
    }

    pub fn move_by(&mut self, delta: isize) {
        let last = self.order.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    pub fn select_last(&mut self) {
        self.selected = self.order.len().saturating_sub(1);
    }

    /// Sorts `order`, then selects row `keep`, or the first row when it is gone.
    pub fn arrange(
        &mut self,
        keep: Option<usize>,
        mut compare: impl FnMut(usize, usize) -> Ordering,
    ) {
        let descending = self.descending;
        self.order.sort_by(|&a, &b| {
            let o = compare(a as usize, b as usize);
            if descending { o.reverse() } else { o }
        });
        self.reselect(keep);
    }

    /// Sorts `order` by an integer key per row (ascending; the key carries the
    /// direction), then selects row `keep`, or the first row when it is gone.
    pub fn arrange_by_key(&mut self, keep: Option<usize>, key: impl Fn(usize) -> (u64, u32)) {
        let mut keyed: Vec<((u64, u32), u32)> =
            self.order.iter().map(|&i| (key(i as usize), i)).collect();
        keyed.sort_unstable();
        self.order = keyed.into_iter().map(|(_, i)| i).collect();
        self.reselect(keep);
    }

    pub fn reselect(&mut self, keep: Option<usize>) {
        self.selected = keep
            .and_then(|k| self.order.iter().position(|&i| i as usize == k))
            .unwrap_or(0);
    }
}

/// Missing values sort last whichever way the column runs.
pub fn compare_optional(a: Option<f64>, b: Option<f64>, descending: bool) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => {
            if descending {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (None, Some(_)) => {
            if descending {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        }
        (None, None) => Ordering::Equal,
    }
}

/// A number as an integer that sorts the same way, reversed when descending;
/// a missing number sorts last either way.
pub fn sort_key(value: Option<f64>, descending: bool) -> u64 {
    let Some(v) = value else {
        return u64::MAX;
    };
    let bits = v.to_bits();
    let ascending = if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    };
    // One below u64::MAX at most, so a value never ties with a missing one.
    if descending {
        (!ascending).min(u64::MAX - 1)
    } else {
        ascending.min(u64::MAX - 1)
    }
}

/// Equal-width bins between the smallest and largest value: (lower edge, count).
pub fn histogram(values: &[f64], bins: usize) -> Vec<(f64, u64)> {
    let (Some(min), Some(max)) = (
        values.iter().copied().reduce(f64::min),
        values.iter().copied().reduce(f64::max),
    ) else {
        return Vec::new();
    };
    let bins = bins.max(1);
    let width = if max > min {
        (max - min) / bins as f64
    } else {
        1.0
    };
    let mut counts = vec![0u64; bins];
    for v in values {
        let b = (((v - min) / width) as usize).min(bins - 1);
        counts[b] += 1;
    }
    counts
        .into_iter()
        .enumerate()
        .map(|(i, n)| (min + width * i as f64, n))
        .collect()
}

/// The skills heatmap and prerequisite graph.
#[derive(Debug, Clone, Default)]
pub struct SkillsData {
    pub skills: Vec<SkillInfo>,
    /// The heatmap's columns.
    pub classes: Vec<ClassInfo>,
    /// rates[skill][class]: share correct and answers, when any.
    pub rates: Vec<Vec<Option<(f64, u64)>>>,
    /// Per skill: the skills it needs first, and the skills that need it.
    pub needs: Vec<Vec<usize>>,
    pub unlocks: Vec<Vec<usize>>,
}

impl SkillsData {
    pub fn new(
        skills: Vec<SkillInfo>,
        classes: &[ClassInfo],
        rates: Vec<SkillClassRate>,
        prereqs: Vec<Prerequisite>,
    ) -> SkillsData {
        let skill_index: HashMap<&str, usize> = skills
            .iter()
            .enumerate()
            .map(|(i, s)| (s.skill_id.as_str(), i))
            .collect();
        let class_index: HashMap<&str, usize> = classes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.class_id.as_str(), i))
            .collect();
        let mut grid = vec![vec![None; classes.len()]; skills.len()];
        for r in &rates {
            if let (Some(&s), Some(&c)) = (
                skill_index.get(r.skill_id.as_str()),
                class_index.get(r.class_id.as_str()),
            ) {
                grid[s][c] = Some((r.correct_rate, r.responses));
            }
        }
        let mut needs = vec![Vec::new(); skills.len()];
        let mut unlocks = vec![Vec::new(); skills.len()];
        for p in &prereqs {
            if let (Some(&s), Some(&q)) = (
                skill_index.get(p.skill_id.as_str()),
                skill_index.get(p.prereq_id.as_str()),
            ) {
                needs[s].push(q);
                unlocks[q].push(s);
            }
        }
        SkillsData {
            skills,
            classes: classes.to_vec(),
            rates: grid,
            needs,
            unlocks,
        }
    }

    /// The prerequisites of `skill`, depth first, each with its depth; a skill
    /// reached twice is listed once (the graph is a DAG, but data may not be).
    pub fn prerequisite_tree(&self, skill: usize) -> Vec<(usize, usize, bool)> {
        let mut out = Vec::new();
        let mut seen = HashSet::from([skill]);
        self.walk(skill, 1, &mut seen, &mut out);
        out
    }

    fn walk(
        &self,
        skill: usize,
        depth: usize,
        seen: &mut HashSet<usize>,
        out: &mut Vec<(usize, usize, bool)>,
    ) {
        let Some(needs) = self.needs.get(skill) else {
            return;
        };
        for (i, &q) in needs.iter().enumerate() {
            let last = i + 1 == needs.len();
            out.push((q, depth, last));
            if seen.insert(q) {
                self.walk(q, depth + 1, seen, out);
            }
        }
    }

    /// Share correct over all classes, weighted by answers.
    pub fn overall_rate(&self, skill: usize) -> Option<f64> {
        let (right, all) = self
            .rates
            .get(skill)?
            .iter()
            .flatten()
            .fold((0.0, 0u64), |(right, all), &(rate, n)| {
                (right + rate * n as f64, all + n)
            });
        (all > 0).then(|| right / all as f64)
    }
}

/// The resource table's columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceColumn {
    Title,
    Kind,
    Skill,
    Views,
    Viewers,
    Completion,
    AvgMinutes,
    Length,
}

impl ResourceColumn {
    pub const ALL: [ResourceColumn; 8] = [
        ResourceColumn::Title,
        ResourceColumn::Kind,
        ResourceColumn::Skill,
        ResourceColumn::Views,
        ResourceColumn::Viewers,
        ResourceColumn::Completion,
        ResourceColumn::AvgMinutes,
        ResourceColumn::Length,
    ];

    pub fn title(self) -> &'static str {
        match self {
            ResourceColumn::Title => "Title",
            ResourceColumn::Kind => "Kind",
            ResourceColumn::Skill => "Skill",
            ResourceColumn::Views => "Views",
            ResourceColumn::Viewers => "Viewers",
            ResourceColumn::Completion => "Done",
            ResourceColumn::AvgMinutes => "Avg min",
            ResourceColumn::Length => "Length",
        }
    }

    pub fn compare(self, a: &ResourceUse, b: &ResourceUse, descending: bool) -> Ordering {
        let text = |x: &str, y: &str| x.to_lowercase().cmp(&y.to_lowercase());
        match self {
            ResourceColumn::Title => text(&a.title, &b.title),
            ResourceColumn::Kind => a.kind.cmp(&b.kind).then_with(|| text(&a.title, &b.title)),
            ResourceColumn::Skill => {
                text(&a.skill, &b.skill).then_with(|| text(&a.title, &b.title))
            }
            ResourceColumn::Views => a.views.cmp(&b.views),
            ResourceColumn::Viewers => a.viewers.cmp(&b.viewers),
            ResourceColumn::Completion => {
                compare_optional(a.completion_rate, b.completion_rate, descending)
            }
            ResourceColumn::AvgMinutes => {
                compare_optional(a.avg_minutes, b.avg_minutes, descending)
            }
            ResourceColumn::Length => compare_optional(a.minutes, b.minutes, descending),
        }
    }

    pub fn is_number(self) -> bool {
        !matches!(
            self,
            ResourceColumn::Title | ResourceColumn::Kind | ResourceColumn::Skill
        )
    }

    pub fn descending_first(self) -> bool {
        matches!(
            self,
            ResourceColumn::Views
                | ResourceColumn::Viewers
                | ResourceColumn::Completion
                | ResourceColumn::AvgMinutes
        )
    }
}

/// The item analysis's columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemColumn {
    Flags,
    Item,
    Skill,
    Difficulty,
    Discrimination,
    Answered,
    Correct,
    Infit,
    Outfit,
}

impl ItemColumn {
    pub const ALL: [ItemColumn; 9] = [
        ItemColumn::Flags,
        ItemColumn::Item,
        ItemColumn::Skill,
        ItemColumn::Difficulty,
        ItemColumn::Discrimination,
        ItemColumn::Answered,
        ItemColumn::Correct,
        ItemColumn::Infit,
        ItemColumn::Outfit,
    ];

    pub fn title(self) -> &'static str {
        match self {
            ItemColumn::Flags => "Flags",
            ItemColumn::Item => "Item",
            ItemColumn::Skill => "Skill",
            ItemColumn::Difficulty => "Difficulty",
            ItemColumn::Discrimination => "Discrim.",
            ItemColumn::Answered => "Answers",
            ItemColumn::Correct => "Right",
            ItemColumn::Infit => "Infit",
            ItemColumn::Outfit => "Outfit",
        }
    }

    /// Flagged items sort first by default (an empty flag list is last).
    pub fn compare(self, a: &ItemAnalysis, b: &ItemAnalysis, descending: bool) -> Ordering {
        let skill = |x: &ItemAnalysis, y: &ItemAnalysis| {
            x.skill
                .cmp(&y.skill)
                .then(x.difficulty.total_cmp(&y.difficulty))
        };
        match self {
            ItemColumn::Flags => (a.flags.is_empty(), &a.flags)
                .cmp(&(b.flags.is_empty(), &b.flags))
                .then_with(|| skill(a, b)),
            ItemColumn::Item => a.item_id.cmp(&b.item_id),
            ItemColumn::Skill => skill(a, b),
            ItemColumn::Difficulty => a.difficulty.total_cmp(&b.difficulty),
            ItemColumn::Discrimination => a.discrimination.total_cmp(&b.discrimination),
            ItemColumn::Answered => a.answered.cmp(&b.answered),
            ItemColumn::Correct => compare_optional(a.p_correct, b.p_correct, descending),
            ItemColumn::Infit => compare_optional(a.infit, b.infit, descending),
            ItemColumn::Outfit => compare_optional(a.outfit, b.outfit, descending),
        }
    }

    pub fn is_number(self) -> bool {
        !matches!(
            self,
            ItemColumn::Flags | ItemColumn::Item | ItemColumn::Skill
        )
    }

    /// The items that need a look first: hardest, worst fitting.
    pub fn descending_first(self) -> bool {
        matches!(
            self,
            ItemColumn::Difficulty | ItemColumn::Infit | ItemColumn::Outfit | ItemColumn::Answered
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_puts_the_maximum_in_the_last_bin() {
        let h = histogram(&[0.0, 5.0, 10.0], 2);
        assert_eq!(h, vec![(0.0, 1), (5.0, 2)]);
        assert_eq!(histogram(&[3.0, 3.0], 4)[0], (3.0, 2));
        assert!(histogram(&[], 4).is_empty());
    }

    #[test]
    fn missing_values_sort_last_both_ways() {
        let mut v = vec![None, Some(2.0), Some(1.0)];
        v.sort_by(|a, b| compare_optional(*a, *b, false));
        assert_eq!(v, vec![Some(1.0), Some(2.0), None]);
        v.sort_by(|a, b| compare_optional(*a, *b, true).reverse());
        assert_eq!(v, vec![Some(2.0), Some(1.0), None]);
    }

    #[test]
    fn sort_keys_order_numbers_and_put_missing_last() {
        let values = [
            Some(-2.5),
            Some(-0.0),
            Some(0.0),
            Some(1.0),
            Some(1e9),
            None,
        ];
        let up: Vec<u64> = values.iter().map(|&v| sort_key(v, false)).collect();
        assert!(up.windows(2).all(|w| w[0] <= w[1]), "{up:?}");
        let down: Vec<u64> = values[..5].iter().map(|&v| sort_key(v, true)).collect();
        assert!(down.windows(2).all(|w| w[0] >= w[1]), "{down:?}");
        assert!(sort_key(Some(-1e9), true) < sort_key(None, true));
    }

    #[test]
    fn listing_keeps_the_selected_row_through_a_sort() {
        let mut l = Listing {
            order: vec![0, 1, 2],
            selected: 2,
            ..Listing::default()
        };
        let keep = l.selected_index();
        l.arrange(keep, |a, b| b.cmp(&a));
        assert_eq!(l.order, vec![2, 1, 0]);
        assert_eq!(l.selected_index(), Some(2));
        l.move_by(-5);
        assert_eq!(l.selected, 0);
        l.move_by(10);
        assert_eq!(l.selected, 2);
    }

    #[test]
    fn trend_takes_the_last_four_weeks() {
        let span = DataSpan {
            first_week: Some("2026-02-02".into()),
            as_of: Some("2026-03-30 10:00:00".into()),
            weeks: 9,
        };
        let classes = vec![ClassActivity {
            class_id: "c1".into(),
            name: "7A".into(),
            teacher: "T".into(),
            students: 1,
            active_this_week: 1,
            responses: 10,
            correct: 7,
            minutes_on_task: 3.0,
            weekly_responses: vec![(0, 1), (5, 2), (7, 3), (8, 4)],
        }];
        let school = School::new(span, classes);
        assert_eq!(school.classes[0].weekly, vec![1, 0, 0, 0, 0, 2, 0, 3, 4]);
        assert_eq!(school.class_list_len(), 2);
        assert_eq!(school.class_list_row(1).map(|r| r.students), Some(1));
        let students = school.student_rows(vec![StudentActivity {
            student_id: "s1".into(),
            display_name: "Ada".into(),
            class_id: "c1".into(),
            responses: 10,
            correct: 7,
            answer_seconds: 60.0,
            watched_seconds: 120.0,
            last_active: Some("2026-03-30 10:00:00".into()),
            idle_days: Some(0),
            weekly_responses: vec![(0, 1), (5, 2), (7, 3), (8, 4)],
            mood: Some(0.25),
            ability: Some(-0.4),
            risk: Some(1),
        }]);
        assert_eq!(students[0].trend, [2, 0, 3, 4]);
        assert!(students[0].active_this_week());
        assert!((students[0].minutes_on_task - 3.0).abs() < 1e-9);
    }
}
