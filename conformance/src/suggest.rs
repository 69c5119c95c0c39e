//! "Did you mean": the known name closest to a mistyped one, by edit distance (strsim's
//! Damerau-Levenshtein, so a swapped pair of letters counts as one edit).

/// The candidate closest to `word`, when it is close enough to be a typo: at most a third of
/// its length in edits (two for short names), ignoring case; a candidate that contains the
/// word whole (`eligible` in `isEligible`) counts as one edit.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(2);
    let lower = word.to_lowercase();
    candidates
        .into_iter()
        .filter(|candidate| *candidate != word)
        .map(|candidate| {
            let known = candidate.to_lowercase();
            let distance = if lower.len() >= 4 && known.contains(&lower) {
                1
            } else {
                strsim::damerau_levenshtein(&lower, &known)
            };
            (distance, candidate)
        })
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, candidate)| (*distance, *candidate))
        .map(|(_, candidate)| candidate)
}

/// ` (did you mean `X`?)`, or nothing.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(word, candidates)
        .map(|found| format!(" (did you mean `{found}`?)"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_name_and_strangers_find_none() {
        let names = ["check-eligibility", "create-business-request", "login"];
        assert_eq!(
            closest("check-eligibilty", names),
            Some("check-eligibility")
        );
        assert_eq!(closest("logni", names), Some("login"));
        assert_eq!(closest("Login", names), Some("login"));
        assert_eq!(closest("delete-everything", names), None);
        assert_eq!(
            closest("eligible", ["isEligible", "hasPendingRequest"]),
            Some("isEligible")
        );
        assert_eq!(
            did_you_mean("usr", ["user", "loan"]),
            " (did you mean `user`?)"
        );
    }
}
