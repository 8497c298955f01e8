//! A model of the decision protocol whose actors are the real use cases over the real in-memory
//! store, explored over every interleaving (see `protocol_explorer.rs`).

pub mod actors;
pub mod check;
pub mod companions;
mod companions_check;
pub mod explore;
mod formats;
pub mod gate;
mod ports;
pub mod team;
mod team_check;
mod team_ports;
pub mod world;
