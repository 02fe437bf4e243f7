//! SQL fragments written in the source, which diesel may cache as part of a prepared statement.
//!
//! Diesel marks every `diesel::dsl::sql()` literal as unsafe to cache (it cannot know whether the
//! string was built at run time), so a query containing one is parsed and planned by PostgreSQL on
//! every call. A `&'static str` cannot produce an unbounded number of statements, so [`fixed`]
//! fragments leave the statement cacheable: it is prepared once per connection and then reused.

use std::marker::PhantomData;

use diesel::expression::{
    AppearsOnTable, Expression, SelectableExpression, TypedExpressionType, ValidGrouping,
    is_aggregate,
};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::HasSqlType;

/// A fixed piece of SQL of type `ST`, optionally following `inner` (more SQL and bind parameters).
#[derive(Debug, Clone, Copy)]
pub struct Fixed<ST, T = ()> {
    inner: T,
    sql: &'static str,
    _type: PhantomData<ST>,
}

/// A bind parameter of SQL type `BST` following `inner`.
#[derive(Debug, Clone, Copy)]
pub struct Bound<ST, T, BST, V> {
    inner: T,
    value: V,
    _type: PhantomData<(ST, BST)>,
}

/// Starts a fixed fragment of SQL type `ST`.
pub fn fixed<ST: TypedExpressionType>(sql: &'static str) -> Fixed<ST> {
    Fixed {
        inner: (),
        sql,
        _type: PhantomData,
    }
}

impl<ST, T> Fixed<ST, T> {
    /// Appends a bind parameter.
    pub fn bind<BST, V>(self, value: V) -> Bound<ST, Self, BST, V>
    where
        Pg: HasSqlType<BST>,
        V: ToSql<BST, Pg>,
    {
        Bound {
            inner: self,
            value,
            _type: PhantomData,
        }
    }
}

impl<ST, T, BST, V> Bound<ST, T, BST, V> {
    /// Appends more fixed SQL.
    pub fn sql(self, sql: &'static str) -> Fixed<ST, Self> {
        Fixed {
            inner: self,
            sql,
            _type: PhantomData,
        }
    }
}

impl<ST: TypedExpressionType, T> Expression for Fixed<ST, T> {
    type SqlType = ST;
}

impl<ST: TypedExpressionType, T, BST, V> Expression for Bound<ST, T, BST, V> {
    type SqlType = ST;
}

impl<ST, T: QueryFragment<Pg>> QueryFragment<Pg> for Fixed<ST, T> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> diesel::QueryResult<()> {
        self.inner.walk_ast(out.reborrow())?;
        out.push_sql(self.sql);
        Ok(())
    }
}

impl<ST, T, BST, V> QueryFragment<Pg> for Bound<ST, T, BST, V>
where
    T: QueryFragment<Pg>,
    Pg: HasSqlType<BST>,
    V: ToSql<BST, Pg>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> diesel::QueryResult<()> {
        self.inner.walk_ast(out.reborrow())?;
        out.push_bind_param::<BST, V>(&self.value)
    }
}

macro_rules! expression_impls {
    ($($ty:ident<$($p:ident),*>),*) => {$(
        impl<$($p),*> QueryId for $ty<$($p),*> {
            type QueryId = ();
            const HAS_STATIC_QUERY_ID: bool = false;
        }
        impl<QS, $($p),*> SelectableExpression<QS> for $ty<$($p),*> where Self: Expression {}
        impl<QS, $($p),*> AppearsOnTable<QS> for $ty<$($p),*> where Self: Expression {}
        impl<GB, $($p),*> ValidGrouping<GB> for $ty<$($p),*> {
            type IsAggregate = is_aggregate::Never;
        }
    )*};
}
expression_impls!(Fixed<ST, T>, Bound<ST, T, BST, V>);

/// A whole statement written as fixed SQL (for what the query builder cannot say, such as
/// data-modifying `WITH` clauses) runs like any diesel query, and is cached like one.
impl<ST: TypedExpressionType, T> diesel::query_builder::Query for Fixed<ST, T> {
    type SqlType = ST;
}

impl<ST, T, Conn> diesel::RunQueryDsl<Conn> for Fixed<ST, T> {}
