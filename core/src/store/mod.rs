//! All SQL lives here, one module per table. Functions take any executor (pool or transaction).

pub mod blobs;
pub mod collaborators;
pub mod copy;
pub mod mail;
pub mod manifests;
pub mod repositories;
pub mod settings;
pub mod tags;
pub mod tokens;
pub mod uploads;
pub mod users;
