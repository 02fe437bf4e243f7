//! The hook through which a higher layer (communs) says who maintains what owns a category (a
//! commun's news category): there, its maintainers — and only they, besides authors and
//! moderators — edit the wikis. Discussions define it and ask it when a member who is not a post's
//! author edits a wiki; the application provides the implementation when it is composed
//! (`app::category_owners`). Without one, [`Nobody`] owns any category.

use diesel::PgConnection;
use uuid::Uuid;

use crate::error::AppResult;

pub trait CategoryOwners: Send + Sync {
    /// Whether `user` maintains what owns `category`; `None` for a category nothing owns.
    fn maintains(
        &self,
        conn: &mut PgConnection,
        user: Uuid,
        category: Uuid,
    ) -> AppResult<Option<bool>>;
}

/// No category has an owner (an application without communs).
pub struct Nobody;

impl CategoryOwners for Nobody {
    fn maintains(&self, _: &mut PgConnection, _: Uuid, _: Uuid) -> AppResult<Option<bool>> {
        Ok(None)
    }
}
