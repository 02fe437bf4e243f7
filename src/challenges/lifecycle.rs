//! The lifecycle of a challenge, in one table the code cannot go around:
//!
//! ```text
//! draft → submitted → under_review → open → in_progress → solved
//!           └──────────┴→ rejected (note)
//! draft, submitted, under_review, open → withdrawn (the author, before in_progress)
//! any state but closed → closed (note)
//! ```
//! Authors submit and withdraw; moderators (and administrators) make every other move. A challenge
//! that was never submitted stays private (its author's and moderators') whatever it becomes.

use super::types::ChallengeStatus::{self, *};
use crate::error::{AppError, AppResult};

/// Who may make a move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mover {
    Author,
    Moderator,
}

/// Every allowed move: from, to, who, whether a note is required.
const MOVES: &[(ChallengeStatus, ChallengeStatus, Mover, bool)] = &[
    (Draft, Submitted, Mover::Author, false),
    (Draft, Withdrawn, Mover::Author, false),
    (Submitted, UnderReview, Mover::Moderator, false),
    (Submitted, Rejected, Mover::Moderator, true),
    (Submitted, Withdrawn, Mover::Author, false),
    (UnderReview, Open, Mover::Moderator, false),
    (UnderReview, Rejected, Mover::Moderator, true),
    (UnderReview, Withdrawn, Mover::Author, false),
    (Open, InProgress, Mover::Moderator, false),
    (Open, Withdrawn, Mover::Author, false),
    (InProgress, Solved, Mover::Moderator, false),
    (Draft, Closed, Mover::Moderator, true),
    (Submitted, Closed, Mover::Moderator, true),
    (UnderReview, Closed, Mover::Moderator, true),
    (Open, Closed, Mover::Moderator, true),
    (InProgress, Closed, Mover::Moderator, true),
    (Solved, Closed, Mover::Moderator, true),
    (Rejected, Closed, Mover::Moderator, true),
    (Withdrawn, Closed, Mover::Moderator, true),
];

/// The states a caller may move a challenge to from `from`.
pub fn allowed(from: ChallengeStatus, author: bool, moderator: bool) -> Vec<ChallengeStatus> {
    MOVES
        .iter()
        .filter(|(f, _, who, _)| {
            *f == from
                && match who {
                    Mover::Author => author,
                    Mover::Moderator => moderator,
                }
        })
        .map(|(_, to, _, _)| *to)
        .collect()
}

/// Checks a move: 409 naming the caller's allowed moves when the lifecycle has no such move, 403
/// when it is someone else's to make, 422 on `note` when it needs one.
pub fn check(
    from: ChallengeStatus,
    to: ChallengeStatus,
    author: bool,
    moderator: bool,
    note: Option<&str>,
) -> AppResult<()> {
    let Some(&(_, _, who, needs_note)) = MOVES.iter().find(|(f, t, _, _)| *f == from && *t == to)
    else {
        let open: Vec<&str> = allowed(from, author, moderator)
            .into_iter()
            .map(ChallengeStatus::as_str)
            .collect();
        return Err(AppError::conflict(
            Some("to"),
            if open.is_empty() {
                format!(
                    "A challenge that is {} cannot become {}, and no move is open to you from here.",
                    from.as_str(),
                    to.as_str()
                )
            } else {
                format!(
                    "A challenge that is {} cannot become {}; allowed: {}.",
                    from.as_str(),
                    to.as_str(),
                    open.join(", ")
                )
            },
        ));
    };
    let may = match who {
        Mover::Author => author,
        Mover::Moderator => moderator,
    };
    if !may {
        return Err(AppError::Forbidden(match who {
            Mover::Author => "Only the challenge's author makes this move.".into(),
            Mover::Moderator => "Only moderators make this move.".into(),
        }));
    }
    if needs_note && note.is_none_or(|n| n.trim().is_empty()) {
        return Err(AppError::validation(
            "note",
            format!(
                "Say why: a note is required to make a challenge {}.",
                to.as_str()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_no_duplicate_and_no_move_out_of_closed() {
        for (i, a) in MOVES.iter().enumerate() {
            for b in &MOVES[i + 1..] {
                assert!(!(a.0 == b.0 && a.1 == b.1), "{a:?} twice");
            }
        }
        assert!(allowed(Closed, true, true).is_empty());
        assert_eq!(allowed(Open, false, true), [InProgress, Closed]);
        assert_eq!(allowed(Open, true, false), [Withdrawn]);
    }

    #[test]
    fn refusals_say_why() {
        assert!(matches!(
            check(Draft, Open, true, false, None),
            Err(AppError::Conflict { .. })
        ));
        assert!(matches!(
            check(Submitted, UnderReview, true, false, None),
            Err(AppError::Forbidden(_))
        ));
        assert!(matches!(
            check(Submitted, Rejected, false, true, Some("  ")),
            Err(AppError::Validation(_))
        ));
        assert!(check(Submitted, Rejected, false, true, Some("Hors sujet")).is_ok());
        assert!(check(Draft, Submitted, true, false, None).is_ok());
    }
}
