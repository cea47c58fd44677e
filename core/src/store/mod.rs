//! All SQL lives here, one module per table. Functions take any executor (pool or transaction).

pub mod mail;
pub mod tokens;
pub mod users;
