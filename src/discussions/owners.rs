//! The hook through which a higher layer (communs) says who maintains what owns a category (a
//! commun's news category): its maintainers may edit the wikis there. Discussions define it and
//! ask it when a member who is not a post's author edits a wiki; the application provides the
//! implementation when it is composed (`app::owners`). Without one, [`Nobody`] maintains anything.

use diesel::PgConnection;
use uuid::Uuid;

use crate::error::AppResult;

pub trait CategoryOwners: Send + Sync {
    /// Whether `user` maintains what owns `category` (false for a category nothing owns).
    fn maintains(&self, conn: &mut PgConnection, user: Uuid, category: Uuid) -> AppResult<bool>;
}

/// No category has an owner (an application without communs).
pub struct Nobody;

impl CategoryOwners for Nobody {
    fn maintains(&self, _: &mut PgConnection, _: Uuid, _: Uuid) -> AppResult<bool> {
        Ok(false)
    }
}
