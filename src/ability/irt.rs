//! Item response theory: Rasch and 2PL models fitted by marginal maximum
//! likelihood (Bock–Aitkin EM over a fixed quadrature grid, the E-step shared
//! among the CPU's threads), abilities as EAP
//! estimates with posterior SDs.
//!
//! The model: P(correct) = 1 / (1 + exp(-a (θ - b))), θ ~ N(0, 1) (which fixes
//! the scale). Weak priors keep items answered by few students sane: a ~ N(1, 1)
//! (negative discriminations stay possible, and are flagged) and b ~ N(0, 3).
//! Missing answers are missing: they add nothing to a likelihood.

use serde::Serialize;

/// Quadrature nodes on [-GRID_EDGE, GRID_EDGE], 0.25 apart (girth uses 41 on
/// [-4.5, 4.5]).
pub(super) const NODES: usize = 41;
const GRID_EDGE: f64 = 5.0;
const PRIOR_A_MEAN: f64 = 1.0;
const PRIOR_A_SD: f64 = 1.0;
const PRIOR_B_SD: f64 = 3.0;
/// Largest parameter change at which EM stops: a thousandth of a logit is far
/// inside any standard error.
const TOLERANCE: f64 = 1e-3;
const MAX_ITERATIONS: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Model {
    /// One parameter per item (difficulty); every discrimination is 1.
    Rasch,
    /// Difficulty and discrimination per item.
    #[serde(rename = "2pl")]
    TwoPl,
}

impl std::str::FromStr for Model {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "rasch" | "1pl" => Ok(Model::Rasch),
            "2pl" => Ok(Model::TwoPl),
            other => Err(format!("unknown model {other:?}: use rasch or 2pl")),
        }
    }
}

/// A persons x items matrix of answers: Some(true) right, Some(false) wrong,
/// None not answered.
#[derive(Debug, Clone)]
pub struct Responses {
    items: usize,
    cells: Vec<Option<bool>>,
}

impl Responses {
    /// `rows` are persons, each with one cell per item.
    pub fn new(items: usize, rows: Vec<Vec<Option<bool>>>) -> Option<Responses> {
        if rows.iter().any(|r| r.len() != items) {
            return None;
        }
        Some(Responses {
            items,
            cells: rows.into_iter().flatten().collect(),
        })
    }

    pub fn persons(&self) -> usize {
        self.cells.len().checked_div(self.items).unwrap_or(0)
    }

    pub fn items(&self) -> usize {
        self.items
    }

    /// One person's answers, one per item.
    pub fn row(&self, person: usize) -> &[Option<bool>] {
        &self.cells[person * self.items..(person + 1) * self.items]
    }
}

/// Why an item's numbers deserve a second look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemFlag {
    /// Nobody answered it: its parameters are the prior's.
    NoAnswers,
    /// Stronger students got it wrong more often: a wrong key or a trick question.
    NegativeDiscrimination,
    /// 95% or more answered right: it tells strong students apart from nobody.
    AlmostAllRight,
    /// 5% or fewer answered right.
    AlmostAllWrong,
    /// Answers fit the model badly (infit or outfit mean square above 1.3).
    Misfit,
}

impl ItemFlag {
    /// The flag's name as stored and printed (snake case).
    pub fn name(self) -> &'static str {
        match self {
            ItemFlag::NoAnswers => "no_answers",
            ItemFlag::NegativeDiscrimination => "negative_discrimination",
            ItemFlag::AlmostAllRight => "almost_all_right",
            ItemFlag::AlmostAllWrong => "almost_all_wrong",
            ItemFlag::Misfit => "misfit",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemEstimate {
    pub difficulty: f64,
    pub difficulty_se: f64,
    pub discrimination: f64,
    /// Zero under Rasch, where it is fixed.
    pub discrimination_se: f64,
    pub answered: usize,
    /// Share answered right, of those who answered.
    pub p_correct: Option<f64>,
    /// Information-weighted mean square residual (1 is ideal).
    pub infit: Option<f64>,
    /// Unweighted mean square residual (1 is ideal; sensitive to surprises).
    pub outfit: Option<f64>,
    pub flags: Vec<ItemFlag>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct AbilityEstimate {
    /// EAP: the posterior mean of θ.
    pub theta: f64,
    /// Posterior SD: 1 (the prior's) for someone with no answers.
    pub sd: f64,
    pub answered: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Fit {
    pub model: Model,
    pub items: Vec<ItemEstimate>,
    pub abilities: Vec<AbilityEstimate>,
    pub iterations: usize,
    pub converged: bool,
    /// Marginal log-likelihood of the answers at the estimates.
    pub log_likelihood: f64,
}

/// The quadrature grid and the N(0, 1) prior weights on it.
pub(super) struct Grid {
    pub(super) nodes: [f64; NODES],
    pub(super) log_prior: [f64; NODES],
}

impl Grid {
    pub(super) fn new() -> Grid {
        let mut nodes = [0.0; NODES];
        let mut log_prior = [0.0; NODES];
        let step = 2.0 * GRID_EDGE / (NODES - 1) as f64;
        for q in 0..NODES {
            nodes[q] = -GRID_EDGE + step * q as f64;
            log_prior[q] = -0.5 * nodes[q] * nodes[q];
        }
        let norm = log_sum_exp(&log_prior);
        log_prior.iter_mut().for_each(|w| *w -= norm);
        Grid { nodes, log_prior }
    }
}

/// Item parameters in slope-intercept form: P = σ(a θ + c), b = -c / a.
#[derive(Debug, Clone, Copy)]
struct Params {
    a: f64,
    c: f64,
}

impl Params {
    fn difficulty(self) -> f64 {
        -self.c / self.a
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// log σ(x) and log(1 - σ(x)), accurate far into the tails.
pub(super) fn log_sigmoids(x: f64) -> (f64, f64) {
    let softplus = |z: f64| {
        if z > 0.0 {
            z + (-z).exp().ln_1p()
        } else {
            z.exp().ln_1p()
        }
    };
    (-softplus(-x), -softplus(x))
}

pub(super) fn log_sum_exp(values: &[f64]) -> f64 {
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return max;
    }
    max + values.iter().map(|v| (v - max).exp()).sum::<f64>().ln()
}

/// Fits `model` to `responses`.
pub fn fit(responses: &Responses, model: Model) -> Fit {
    fit_to(responses, model, TOLERANCE)
}

/// Like [`fit`], stopping when no parameter moves more than `tolerance` in a round.
pub fn fit_to(responses: &Responses, model: Model, tolerance: f64) -> Fit {
    let grid = Grid::new();
    let items = responses.items();
    let mut params = starting_values(responses);
    let mut iterations = 0;
    let mut converged = false;
    // Expected answers (n) and right answers (r) per item and node.
    let mut expected_n = vec![[0.0; NODES]; items];
    let mut expected_r = vec![[0.0; NODES]; items];
    while iterations < MAX_ITERATIONS {
        iterations += 1;
        e_step(responses, &grid, &params, &mut expected_n, &mut expected_r);
        let mut largest_change = 0.0f64;
        for (j, p) in params.iter_mut().enumerate() {
            let next = m_step(&grid, &expected_n[j], &expected_r[j], *p, model);
            largest_change = largest_change
                .max((next.a - p.a).abs())
                .max((next.c - p.c).abs());
            *p = next;
        }
        if largest_change < tolerance {
            converged = true;
            break;
        }
    }
    e_step(responses, &grid, &params, &mut expected_n, &mut expected_r);
    let (abilities, log_likelihood) = eap(responses, &grid, &params);
    let items = (0..items)
        .map(|j| {
            describe_item(
                responses,
                j,
                params[j],
                &expected_n[j],
                &grid,
                model,
                &abilities,
            )
        })
        .collect();
    Fit {
        model,
        items,
        abilities,
        iterations,
        converged,
        log_likelihood,
    }
}

/// a = 1 and the intercept whose marginal share right, over θ ~ N(0, 1), is
/// the item's observed share (σ(c / sqrt(1 + π/8)) approximates it): EM starts
/// near the answer and needs fewer rounds.
fn starting_values(responses: &Responses) -> Vec<Params> {
    let scale = (1.0 + std::f64::consts::PI / 8.0).sqrt();
    (0..responses.items())
        .map(|j| {
            let (mut right, mut answered) = (0usize, 0usize);
            for i in 0..responses.persons() {
                if let Some(x) = responses.row(i)[j] {
                    answered += 1;
                    right += usize::from(x);
                }
            }
            // Half a right and half a wrong answer added keep the logit finite.
            let share = (right as f64 + 0.5) / (answered as f64 + 1.0);
            Params {
                a: 1.0,
                c: (share / (1.0 - share)).ln() * scale,
            }
        })
        .collect()
}

/// What the posteriors need of the items: log P(wrong) at every node, their
/// sum over all items, and the logit's slope and intercept, since
/// log P(right) = log P(wrong) + a θ + c. A person's log-likelihood is then
/// the sum for everyone, less the items they skipped, plus one line for their
/// right answers: O(items) per person instead of O(items x nodes).
struct Tables {
    wrong: Vec<[f64; NODES]>,
    all_wrong: [f64; NODES],
    params: Vec<Params>,
}

impl Tables {
    fn new(grid: &Grid, params: &[Params]) -> Tables {
        let wrong: Vec<[f64; NODES]> = params
            .iter()
            .map(|p| std::array::from_fn(|q| log_sigmoids(p.a * grid.nodes[q] + p.c).1))
            .collect();
        let mut all_wrong = [0.0; NODES];
        for w in &wrong {
            add(&mut all_wrong, w);
        }
        Tables {
            wrong,
            all_wrong,
            params: params.to_vec(),
        }
    }
}

/// A person's log posterior over the grid (unnormalised) and its normaliser
/// (the log marginal likelihood of their answers).
fn person_log_posterior(
    answers: &[Option<bool>],
    grid: &Grid,
    tables: &Tables,
) -> ([f64; NODES], f64) {
    let mut post: [f64; NODES] = std::array::from_fn(|q| grid.log_prior[q] + tables.all_wrong[q]);
    let (mut slope, mut intercept) = (0.0, 0.0);
    for ((answer, wrong), p) in answers.iter().zip(&tables.wrong).zip(&tables.params) {
        match answer {
            None => {
                for (v, w) in post.iter_mut().zip(wrong) {
                    *v -= w;
                }
            }
            Some(true) => {
                slope += p.a;
                intercept += p.c;
            }
            Some(false) => {}
        }
    }
    for (v, theta) in post.iter_mut().zip(&grid.nodes) {
        *v += slope * theta + intercept;
    }
    let norm = log_sum_exp(&post);
    (post, norm)
}

fn e_step(
    responses: &Responses,
    grid: &Grid,
    params: &[Params],
    expected_n: &mut [[f64; NODES]],
    expected_r: &mut [[f64; NODES]],
) {
    let tables = Tables::new(grid, params);
    let persons = responses.persons();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 16);
    let chunk = persons.div_ceil(threads).max(1);
    let partials: Vec<Counts> = std::thread::scope(|scope| {
        let tables = &tables;
        let workers: Vec<_> = (0..persons)
            .step_by(chunk)
            .map(|start| {
                scope.spawn(move || {
                    count(responses, grid, tables, start..persons.min(start + chunk))
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    for (j, (n, r)) in expected_n.iter_mut().zip(expected_r.iter_mut()).enumerate() {
        *n = [0.0; NODES];
        *r = [0.0; NODES];
        for part in &partials {
            for q in 0..NODES {
                // Everyone's weight, less theirs who did not answer item j.
                n[q] += part.total[q] - part.missing[j][q];
                r[q] += part.right[j][q];
            }
        }
    }
}

/// One thread's share of the E-step: posterior weights summed over everyone,
/// over those who left each item out, and over those who got it right.
struct Counts {
    total: [f64; NODES],
    missing: Vec<[f64; NODES]>,
    right: Vec<[f64; NODES]>,
}

fn count(
    responses: &Responses,
    grid: &Grid,
    tables: &Tables,
    persons: std::ops::Range<usize>,
) -> Counts {
    let items = responses.items();
    let mut counts = Counts {
        total: [0.0; NODES],
        missing: vec![[0.0; NODES]; items],
        right: vec![[0.0; NODES]; items],
    };
    for i in persons {
        let answers = responses.row(i);
        let (post, norm) = person_log_posterior(answers, grid, tables);
        let weights: [f64; NODES] = std::array::from_fn(|q| (post[q] - norm).exp());
        add(&mut counts.total, &weights);
        for (j, answer) in answers.iter().enumerate() {
            match answer {
                None => add(&mut counts.missing[j], &weights),
                Some(true) => add(&mut counts.right[j], &weights),
                Some(false) => {}
            }
        }
    }
    counts
}

fn add(sum: &mut [f64; NODES], weights: &[f64; NODES]) {
    for (s, w) in sum.iter_mut().zip(weights) {
        *s += w;
    }
}

/// One item's parameters maximising the expected log-likelihood of the E-step's
/// counts plus the log prior (a ~ N(1, 1); b = -c/a ~ N(0, 3), taken as
/// c ~ N(0, (3a)²) at the current a), by Newton's method.
fn m_step(grid: &Grid, n: &[f64; NODES], r: &[f64; NODES], start: Params, model: Model) -> Params {
    let mut p = start;
    for _ in 0..20 {
        // Gradient and negative Hessian of the expected log-likelihood plus log prior.
        let (mut ga, mut gc) = (0.0, 0.0);
        let (mut haa, mut hac, mut hcc) = (0.0, 0.0, 0.0);
        for q in 0..NODES {
            if n[q] <= 0.0 {
                continue;
            }
            let theta = grid.nodes[q];
            let prob = sigmoid(p.a * theta + p.c);
            let residual = r[q] - n[q] * prob;
            let w = n[q] * prob * (1.0 - prob);
            ga += residual * theta;
            gc += residual;
            haa += w * theta * theta;
            hac += w * theta;
            hcc += w;
        }
        let c_sd = PRIOR_B_SD * p.a.abs().max(0.25);
        gc -= p.c / (c_sd * c_sd);
        hcc += 1.0 / (c_sd * c_sd);
        let next = match model {
            Model::Rasch => Params {
                a: 1.0,
                c: p.c + gc / hcc,
            },
            Model::TwoPl => {
                ga -= (p.a - PRIOR_A_MEAN) / (PRIOR_A_SD * PRIOR_A_SD);
                haa += 1.0 / (PRIOR_A_SD * PRIOR_A_SD);
                let det = haa * hcc - hac * hac;
                if det <= 1e-12 {
                    break;
                }
                let (da, dc) = ((hcc * ga - hac * gc) / det, (haa * gc - hac * ga) / det);
                // Steps are capped: far from the optimum a Newton step can overshoot.
                let scale = 1.0f64.min(1.0 / da.abs().max(dc.abs()).max(1e-12));
                Params {
                    a: p.a + da * scale,
                    c: p.c + dc * scale,
                }
            }
        };
        let change = (next.a - p.a).abs().max((next.c - p.c).abs());
        p = next;
        if change < 1e-8 {
            break;
        }
    }
    p
}

/// EAP and posterior SD of every person, and the marginal log-likelihood.
fn eap(responses: &Responses, grid: &Grid, params: &[Params]) -> (Vec<AbilityEstimate>, f64) {
    let tables = Tables::new(grid, params);
    let mut log_likelihood = 0.0;
    let abilities = (0..responses.persons())
        .map(|i| {
            let answers = responses.row(i);
            let (post, norm) = person_log_posterior(answers, grid, &tables);
            log_likelihood += norm;
            summarise(&post, norm, grid, answers.iter().flatten().count())
        })
        .collect();
    (abilities, log_likelihood)
}

/// The mean and SD of a log posterior over the grid (`norm` its log-sum-exp).
pub(super) fn summarise(
    post: &[f64; NODES],
    norm: f64,
    grid: &Grid,
    answered: usize,
) -> AbilityEstimate {
    let weights: Vec<f64> = post.iter().map(|v| (v - norm).exp()).collect();
    let theta: f64 = weights.iter().zip(&grid.nodes).map(|(w, t)| w * t).sum();
    let variance: f64 = weights
        .iter()
        .zip(&grid.nodes)
        .map(|(w, t)| w * (t - theta) * (t - theta))
        .sum();
    AbilityEstimate {
        theta,
        sd: variance.max(0.0).sqrt(),
        answered,
    }
}

fn describe_item(
    responses: &Responses,
    j: usize,
    params: Params,
    expected_n: &[f64; NODES],
    grid: &Grid,
    model: Model,
    abilities: &[AbilityEstimate],
) -> ItemEstimate {
    let answers: Vec<(bool, f64)> = (0..responses.persons())
        .filter_map(|i| responses.row(i)[j].map(|x| (x, abilities[i].theta)))
        .collect();
    let answered = answers.len();
    let right = answers.iter().filter(|(x, _)| *x).count();
    let (a, b) = (params.a, params.difficulty());
    let (b_se, a_se) = standard_errors(params, expected_n, grid, model);
    let mut flags = Vec::new();
    let (mut infit, mut outfit, mut p_correct) = (None, None, None);
    if answered == 0 {
        flags.push(ItemFlag::NoAnswers);
    } else {
        let share = right as f64 / answered as f64;
        p_correct = Some(share);
        if share >= 0.95 {
            flags.push(ItemFlag::AlmostAllRight);
        }
        if share <= 0.05 {
            flags.push(ItemFlag::AlmostAllWrong);
        }
        let (mut squares, mut variances, mut standardised) = (0.0, 0.0, 0.0);
        for (x, theta) in &answers {
            let prob = sigmoid(a * (theta - b)).clamp(1e-9, 1.0 - 1e-9);
            let residual = f64::from(u8::from(*x)) - prob;
            let variance = prob * (1.0 - prob);
            squares += residual * residual;
            variances += variance;
            standardised += residual * residual / variance;
        }
        let (inf, out) = (squares / variances, standardised / answered as f64);
        if inf > 1.3 || out > 1.3 {
            flags.push(ItemFlag::Misfit);
        }
        infit = Some(inf);
        outfit = Some(out);
    }
    if model == Model::TwoPl && a < 0.0 {
        flags.push(ItemFlag::NegativeDiscrimination);
    }
    ItemEstimate {
        difficulty: b,
        difficulty_se: b_se,
        discrimination: a,
        discrimination_se: a_se,
        answered,
        p_correct,
        infit,
        outfit,
        flags,
    }
}

/// SEs of b and a from the information of the expected counts plus the prior
/// (the delta method for b = -c/a). An item nobody answered gets the prior's.
fn standard_errors(params: Params, n: &[f64; NODES], grid: &Grid, model: Model) -> (f64, f64) {
    let (mut haa, mut hac, mut hcc) = (0.0, 0.0, 0.0);
    for (&theta, &count) in grid.nodes.iter().zip(n) {
        let prob = sigmoid(params.a * theta + params.c);
        let w = count * prob * (1.0 - prob);
        haa += w * theta * theta;
        hac += w * theta;
        hcc += w;
    }
    let c_sd = PRIOR_B_SD * params.a.abs().max(0.25);
    hcc += 1.0 / (c_sd * c_sd);
    let a = params.a;
    let b = params.difficulty();
    match model {
        Model::Rasch => ((1.0 / hcc).sqrt() / a.abs(), 0.0),
        Model::TwoPl => {
            haa += 1.0 / (PRIOR_A_SD * PRIOR_A_SD);
            let det = haa * hcc - hac * hac;
            let (var_a, var_c, cov) = (hcc / det, haa / det, -hac / det);
            // b = -c/a: db/dc = -1/a, db/da = c/a² = -b/a.
            let (dc, da) = (-1.0 / a, -b / a);
            let var_b = dc * dc * var_c + da * da * var_a + 2.0 * dc * da * cov;
            (var_b.max(0.0).sqrt(), var_a.max(0.0).sqrt())
        }
    }
}

/// One answer with its item's parameters, for scoring a single person.
#[derive(Debug, Clone, Copy)]
pub struct ScoredAnswer {
    pub difficulty: f64,
    pub discrimination: f64,
    pub correct: bool,
}

/// EAP and posterior SD of one person from answers to calibrated items: what
/// [`fit`] gives that person, computed on the same grid and prior.
pub fn eap_of(answers: &[ScoredAnswer]) -> AbilityEstimate {
    let grid = Grid::new();
    let mut post = grid.log_prior;
    for answer in answers {
        for (v, theta) in post.iter_mut().zip(&grid.nodes) {
            let (right, wrong) = log_sigmoids(answer.discrimination * (theta - answer.difficulty));
            *v += if answer.correct { right } else { wrong };
        }
    }
    summarise(&post, log_sum_exp(&post), &grid, answers.len())
}

/// [`eap_of`] all the answers, and of every answer left out in turn (the
/// estimate without answer i at i): each answer's log-likelihood on the grid is
/// computed once, so n answers cost n passes, not n².
pub fn eap_leave_one_out(answers: &[ScoredAnswer]) -> (AbilityEstimate, Vec<AbilityEstimate>) {
    let grid = Grid::new();
    let terms: Vec<[f64; NODES]> = answers
        .iter()
        .map(|answer| {
            let mut term = [0.0; NODES];
            for (t, theta) in term.iter_mut().zip(&grid.nodes) {
                let (right, wrong) =
                    log_sigmoids(answer.discrimination * (theta - answer.difficulty));
                *t = if answer.correct { right } else { wrong };
            }
            term
        })
        .collect();
    let mut post = grid.log_prior;
    for term in &terms {
        for (v, t) in post.iter_mut().zip(term) {
            *v += t;
        }
    }
    let all = summarise(&post, log_sum_exp(&post), &grid, answers.len());
    let without = terms
        .iter()
        .map(|term| {
            let mut rest = post;
            for (v, t) in rest.iter_mut().zip(term) {
                *v -= t;
            }
            summarise(&rest, log_sum_exp(&rest), &grid, answers.len() - 1)
        })
        .collect();
    (all, without)
}

/// The model's probability of a right answer.
pub fn p_right(answer: &ScoredAnswer, theta: f64) -> f64 {
    sigmoid(answer.discrimination * (theta - answer.difficulty))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaving_one_out_equals_refitting_without_it() {
        let answers: Vec<ScoredAnswer> = (0..9)
            .map(|i| ScoredAnswer {
                difficulty: -1.5 + 0.4 * f64::from(i),
                discrimination: 0.6 + 0.15 * f64::from(i % 4),
                correct: i % 3 != 1,
            })
            .collect();
        let (all, without) = eap_leave_one_out(&answers);
        let direct = eap_of(&answers);
        assert_eq!(
            (all.theta, all.sd, all.answered),
            (direct.theta, direct.sd, direct.answered)
        );
        assert_eq!(without.len(), answers.len());
        for (i, left_out) in without.iter().enumerate() {
            let mut rest = answers.clone();
            rest.remove(i);
            let refit = eap_of(&rest);
            assert!((left_out.theta - refit.theta).abs() < 1e-9, "{i}");
            assert!((left_out.sd - refit.sd).abs() < 1e-9, "{i}");
            assert_eq!(left_out.answered, refit.answered);
        }
    }
}
