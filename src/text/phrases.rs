//! Key phrases of a comment: its word n-grams (1 to 3 words, not starting or
//! ending with a stop word) ranked by how close each one's vector is to the
//! whole comment's (the KeyBERT recipe). The phrases go through the embedding
//! cache like any text, so a phrase students repeat is encoded once.

/// At most this many candidates per comment (a long comment's first ones).
pub const MAX_CANDIDATES: usize = 24;
/// Phrases kept per comment.
pub const KEPT: usize = 3;

const STOP_WORDS: &[&str] = &[
    "a", "about", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as", "at",
    "be", "because", "been", "before", "being", "bit", "but", "by", "can", "could", "did", "do",
    "does", "doing", "don't", "dont", "down", "even", "every", "for", "fr", "from", "get", "gonna",
    "got", "had", "has", "have", "he", "her", "here", "hey", "hi", "him", "his", "how", "i", "i'm",
    "i've", "idk", "if", "im", "in", "into", "is", "it", "it's", "its", "just", "like", "lol",
    "lot", "lots", "me", "more", "most", "much", "my", "ngl", "no", "not", "now", "of", "oh", "ok",
    "okay", "omg", "on", "one", "only", "or", "our", "out", "over", "please", "pls", "really",
    "so", "some", "still", "such", "tbh", "than", "thank", "thanks", "that", "the", "their",
    "them", "then", "there", "these", "they", "thing", "things", "this", "those", "thx", "to",
    "too", "ty", "u", "up", "ur", "us", "very", "wanna", "was", "way", "we", "well", "were",
    "what", "when", "where", "which", "while", "who", "why", "will", "with", "would", "yeah",
    "yes", "you", "your",
];

fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.binary_search(&word).is_ok()
}

/// The comment's words, lower-cased: letters and digits, with inner apostrophes
/// and hyphens kept ("don't", "step-by-step").
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’' || c == '-'))
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .replace('’', "'")
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// Candidate phrases, each once, in order of first appearance.
pub fn candidates(text: &str) -> Vec<String> {
    let words = words(text);
    let mut out: Vec<String> = Vec::new();
    for n in 1..=3 {
        for window in words.windows(n) {
            let (first, last) = (&window[0], &window[n - 1]);
            if is_stop_word(first)
                || is_stop_word(last)
                || window.iter().all(|w| w.chars().all(|c| c.is_ascii_digit()))
                // Scripts without spaces give one long "word": not a phrase.
                || window.iter().any(|w| w.chars().count() > 24)
            {
                continue;
            }
            let phrase = window.join(" ");
            if !out.contains(&phrase) {
                out.push(phrase);
            }
            if out.len() == MAX_CANDIDATES {
                return out;
            }
        }
    }
    out
}

/// The `KEPT` candidates closest to the comment's vector, none sharing a word
/// with one already kept (so "long division" and "understand long division"
/// do not both take a place).
pub fn key_phrases<'a>(
    comment: &[f32],
    scored: impl IntoIterator<Item = (&'a str, &'a [f32])>,
) -> Vec<&'a str> {
    let mut ranked: Vec<(f32, &str)> = scored
        .into_iter()
        .map(|(phrase, v)| (super::topics::dot(comment, v), phrase))
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    let mut kept: Vec<&str> = Vec::new();
    for (_, phrase) in ranked {
        if kept
            .iter()
            .any(|k| k.split(' ').any(|w| phrase.split(' ').any(|x| x == w)))
        {
            continue;
        }
        kept.push(phrase);
        if kept.len() == KEPT {
            break;
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_words_are_sorted_for_binary_search() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn candidates_skip_stop_word_edges_and_numbers() {
        let c = candidates("I finally get long division, it's 10/10!");
        assert!(c.contains(&"long division".to_string()), "{c:?}");
        assert!(!c.contains(&"finally get long division".to_string()));
        assert!(c.contains(&"finally".to_string()));
        assert!(
            !c.iter()
                .any(|p| p == "i" || p == "10" || p.starts_with("it's"))
        );
        // A run without spaces longer than any word is not a phrase (callers only
        // pass English, but a pasted URL or a line of one script is not cut up).
        assert!(candidates(&"分".repeat(30)).is_empty());
        assert!(candidates("").is_empty());
        let long = "word ".repeat(500);
        assert!(candidates(&long).len() <= MAX_CANDIDATES);
    }

    #[test]
    fn the_closest_phrases_win_and_do_not_nest() {
        let comment = [1.0, 0.0];
        let (a, b, c) = ([0.9, 0.1], [0.8, 0.2], [0.0, 1.0]);
        let kept = key_phrases(
            &comment,
            [
                ("long division", &a[..]),
                ("division", &b[..]),
                ("video", &c[..]),
            ],
        );
        assert_eq!(kept, ["long division", "video"]);
    }
}
