//! The demo school's written content: subjects, skills, items, resources,
//! the phrase bank for comments and searches, and names. Kept as TOML beside
//! this file so a teacher can read and extend it.

use serde::Deserialize;

use super::SynthError;

const CATALOG_FILES: &[(&str, &str)] = &[
    ("catalog/math.toml", include_str!("catalog/math.toml")),
    ("catalog/science.toml", include_str!("catalog/science.toml")),
    ("catalog/ela.toml", include_str!("catalog/ela.toml")),
];
const PHRASES: &str = include_str!("phrases.toml");
const PHRASES_ZH: &str = include_str!("phrases_zh.toml");
const NAMES: &str = include_str!("names.toml");

#[derive(Debug, Deserialize)]
pub struct SubjectFile {
    pub subject: Subject,
    pub skills: Vec<SkillDef>,
}

#[derive(Debug, Deserialize)]
pub struct Subject {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub struct SkillDef {
    pub id: String,
    pub name: String,
    pub description: String,
    pub prereqs: Vec<String>,
    pub topics: Vec<String>,
    pub items: Vec<ItemDef>,
    pub resources: Vec<ResourceDef>,
}

#[derive(Debug, Deserialize)]
pub struct ItemDef {
    pub text: String,
    pub level: u8,
}

#[derive(Debug, Deserialize)]
pub struct ResourceDef {
    pub kind: String,
    pub title: String,
    pub description: String,
    pub minutes: u32,
    pub level: u8,
    pub theme: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Phrases {
    pub comments: CommentBank,
    pub searches: SearchBank,
    pub other_language: Vec<ForeignComment>,
}

#[derive(Debug, Deserialize)]
pub struct CommentBank {
    pub positive: Vec<String>,
    pub negative: Vec<String>,
    pub neutral: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct SearchBank {
    pub skill: Vec<String>,
    pub theme: Vec<String>,
    pub offtopic: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct ForeignComment {
    pub lang: String,
    pub sentiment: String,
    pub text: String,
}

/// The Chinese bank: entry i of each list says what entry i of the English
/// one says, so comments made from the same template, topic, kind and theme
/// mean the same in both languages.
#[derive(Debug, Deserialize)]
pub struct ChinesePhrases {
    pub comments: CommentBank,
    pub searches: SearchBank,
    pub kinds: std::collections::HashMap<String, String>,
    pub themes: std::collections::HashMap<String, String>,
    pub topics: std::collections::HashMap<String, String>,
}

#[derive(Debug, Deserialize)]
pub struct Names {
    pub first: Vec<String>,
    pub last: Vec<String>,
}

/// Interests students have outside the syllabus; resources may be dressed in one.
pub const THEMES: &[(&str, &[&str])] = &[
    ("sports", &["football", "basketball", "running", "swimming"]),
    ("music", &["music", "guitar", "hip hop", "singing"]),
    ("space", &["space", "planets", "rockets", "astronauts"]),
    ("animals", &["animals", "dogs", "dinosaurs", "sharks"]),
    (
        "games",
        &["video games", "minecraft", "chess", "board games"],
    ),
    ("cooking", &["cooking", "baking", "pizza", "recipes"]),
    ("art", &["drawing", "painting", "comics", "design"]),
    ("nature", &["nature", "forests", "oceans", "camping"]),
    (
        "technology",
        &["robots", "coding", "phones", "electric cars"],
    ),
    (
        "history",
        &["history", "ancient egypt", "castles", "the romans"],
    ),
];

pub struct Content {
    pub subjects: Vec<SubjectFile>,
    pub phrases: Phrases,
    pub chinese: ChinesePhrases,
    pub names: Names,
}

impl Content {
    pub fn load() -> Result<Content, SynthError> {
        let mut subjects = Vec::new();
        for (file, text) in CATALOG_FILES {
            subjects.push(parse::<SubjectFile>(file, text)?);
        }
        let content = Content {
            subjects,
            phrases: parse("phrases.toml", PHRASES)?,
            chinese: parse("phrases_zh.toml", PHRASES_ZH)?,
            names: parse("names.toml", NAMES)?,
        };
        content.check()?;
        Ok(content)
    }

    pub fn skills(&self) -> impl Iterator<Item = (&Subject, &SkillDef)> {
        self.subjects
            .iter()
            .flat_map(|s| s.skills.iter().map(move |k| (&s.subject, k)))
    }

    /// Content errors are ours, but say exactly where they are.
    fn check(&self) -> Result<(), SynthError> {
        let ids: Vec<&str> = self.skills().map(|(_, k)| k.id.as_str()).collect();
        for (i, (_, skill)) in self.skills().enumerate() {
            for p in &skill.prereqs {
                match ids.iter().position(|id| id == p) {
                    Some(j) if j < i => {}
                    _ => {
                        return Err(SynthError::Content(format!(
                            "skill {}: prerequisite {p} must be a skill listed before it",
                            skill.id
                        )));
                    }
                }
            }
            if skill.items.is_empty() || skill.resources.is_empty() || skill.topics.is_empty() {
                return Err(SynthError::Content(format!(
                    "skill {} needs items, resources and topics",
                    skill.id
                )));
            }
            for r in &skill.resources {
                if let Some(theme) = &r.theme
                    && !THEMES.iter().any(|(t, _)| t == theme)
                {
                    return Err(SynthError::Content(format!(
                        "resource '{}': unknown theme {theme}",
                        r.title
                    )));
                }
            }
        }
        let bank = &self.phrases.comments;
        if bank.positive.is_empty() || bank.negative.is_empty() || bank.neutral.is_empty() {
            return Err(SynthError::Content(
                "phrases.toml: every sentiment needs templates".into(),
            ));
        }
        self.check_chinese()?;
        if self.names.first.is_empty() || self.names.last.is_empty() {
            return Err(SynthError::Content("names.toml: no names".into()));
        }
        Ok(())
    }
}

impl Content {
    /// The Chinese bank must stay parallel to the English one and name every
    /// topic, theme and kind the English templates are filled with.
    fn check_chinese(&self) -> Result<(), SynthError> {
        let zh = &self.chinese;
        let en = &self.phrases;
        let lists = [
            (
                "comments.positive",
                &en.comments.positive,
                &zh.comments.positive,
            ),
            (
                "comments.negative",
                &en.comments.negative,
                &zh.comments.negative,
            ),
            (
                "comments.neutral",
                &en.comments.neutral,
                &zh.comments.neutral,
            ),
            ("searches.skill", &en.searches.skill, &zh.searches.skill),
            ("searches.theme", &en.searches.theme, &zh.searches.theme),
            (
                "searches.offtopic",
                &en.searches.offtopic,
                &zh.searches.offtopic,
            ),
        ];
        let error = |what: String| SynthError::Content(format!("phrases_zh.toml: {what}"));
        for (name, english, chinese) in lists {
            if english.len() != chinese.len() {
                return Err(error(format!(
                    "{name} has {} entries, the English bank {}",
                    chinese.len(),
                    english.len()
                )));
            }
            for (i, (e, c)) in english.iter().zip(chinese).enumerate() {
                for placeholder in ["{topic}", "{kind}", "{theme}"] {
                    if e.contains(placeholder) != c.contains(placeholder) {
                        return Err(error(format!(
                            "{name}[{i}] {c:?} and the English {e:?} differ in {placeholder}"
                        )));
                    }
                }
            }
        }
        for (_, skill) in self.skills() {
            if let Some(topic) = skill.topics.iter().find(|t| !zh.topics.contains_key(*t)) {
                return Err(error(format!("no Chinese for the topic {topic:?}")));
            }
        }
        for word in THEMES.iter().flat_map(|(_, words)| words.iter()) {
            if !zh.themes.contains_key(*word) {
                return Err(error(format!("no Chinese for the theme {word:?}")));
            }
        }
        for kind in ["video", "e-book", "exercise", "article"] {
            if !zh.kinds.contains_key(kind) {
                return Err(error(format!("no Chinese for the kind {kind:?}")));
            }
        }
        Ok(())
    }
}

fn parse<T: for<'de> Deserialize<'de>>(file: &str, text: &str) -> Result<T, SynthError> {
    toml::from_str(text).map_err(|e| SynthError::Content(format!("src/synth/{file}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_content_loads_and_is_consistent() {
        let content = Content::load().map_err(|e| e.to_string());
        let content = match content {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(content.subjects.len(), 3);
        assert!(content.skills().count() >= 30);
        let items: usize = content.skills().map(|(_, k)| k.items.len()).sum();
        let resources: usize = content.skills().map(|(_, k)| k.resources.len()).sum();
        assert!(items >= 380, "{items} items");
        assert!(resources >= 290, "{resources} resources");
        // Topic phrases are ground truth for topic detection: one skill each.
        let mut topics: Vec<&str> = content
            .skills()
            .flat_map(|(_, k)| k.topics.iter().map(String::as_str))
            .collect();
        let n = topics.len();
        topics.sort();
        topics.dedup();
        assert_eq!(topics.len(), n, "a topic phrase is shared by two skills");
    }
}
