//! Migrations go up, down and up again; every foreign key has an index.

use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_migrations::MigrationHarness;
use palabre::db::MIGRATIONS;

use crate::support::TestDb;

#[derive(QueryableByName, Debug)]
struct Unindexed {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    constraint_name: String,
}

/// Foreign keys whose columns are not the leading columns of some index.
const UNINDEXED_FKS: &str = r#"
SELECT c.conrelid::regclass::text AS table_name, c.conname::text AS constraint_name
FROM pg_constraint c
WHERE c.contype = 'f'
  AND NOT EXISTS (
    SELECT 1 FROM pg_index i
    WHERE i.indrelid = c.conrelid
      AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] @> c.conkey
      AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] <@ c.conkey
  )
ORDER BY 1, 2
"#;

#[test]
fn migrations_run_up_down_up_and_foreign_keys_are_indexed() {
    let db = TestDb::empty();
    let mut conn = db.connect();
    let applied = conn.run_pending_migrations(MIGRATIONS).unwrap().len();
    assert!(applied > 0);
    let reverted = conn.revert_all_migrations(MIGRATIONS).unwrap().len();
    assert_eq!(reverted, applied);
    let tables: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "(SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> '__diesel_schema_migrations')",
    ))
    .get_result(&mut conn)
    .unwrap();
    assert_eq!(tables, 0, "down migrations leave no table behind");
    let again = conn.run_pending_migrations(MIGRATIONS).unwrap().len();
    assert_eq!(again, applied);

    let unindexed: Vec<Unindexed> = diesel::sql_query(UNINDEXED_FKS).load(&mut conn).unwrap();
    assert!(
        unindexed.is_empty(),
        "foreign keys without an index: {:?}",
        unindexed
            .iter()
            .map(|u| format!("{}.{}", u.table_name, u.constraint_name))
            .collect::<Vec<_>>()
    );
}

#[test]
fn the_fk_index_check_catches_a_missing_index() {
    // The check itself must fail when it should.
    let db = TestDb::empty();
    let mut conn = db.connect();
    use diesel::connection::SimpleConnection;
    conn.batch_execute(
        "CREATE TABLE parent (id int PRIMARY KEY); \
         CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent(id));",
    )
    .unwrap();
    let unindexed: Vec<Unindexed> = diesel::sql_query(UNINDEXED_FKS).load(&mut conn).unwrap();
    assert_eq!(unindexed.len(), 1);
    diesel::sql_query("CREATE INDEX ON child (parent_id)")
        .execute(&mut conn)
        .unwrap();
    let unindexed: Vec<Unindexed> = diesel::sql_query(UNINDEXED_FKS).load(&mut conn).unwrap();
    assert!(unindexed.is_empty());
}
